//! A feed's index file: the upstream's file as it was written, plus the feed's own lines
//! for versions the upstream does not list (published locally, or saved and since removed
//! upstream).

use std::collections::HashSet;

use crate::line::lines;

/// Appends each of `own` (raw index lines) whose version `upstream` lacks; the upstream
/// bytes are kept as they are. Returns `None` when there is nothing to serve.
pub fn merge(upstream: Option<&[u8]>, own: &[&str]) -> Option<Vec<u8>> {
    let known: HashSet<String> = upstream.map(|u| lines(u).map(|(_, l)| l.vers).collect()).unwrap_or_default();
    let mut out = upstream.map(<[u8]>::to_vec).unwrap_or_default();
    for line in own {
        let Some((_, parsed)) = lines(line.as_bytes()).next() else { continue };
        if known.contains(&parsed.vers) {
            continue;
        }
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(line.trim_end().as_bytes());
        out.push(b'\n');
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A1: &str = r#"{"name":"a","vers":"1.0.0","deps":[],"cksum":"11","rust_version":"1.60"}"#;
    const A2: &str = r#"{"name":"a","vers":"2.0.0","deps":[],"cksum":"22"}"#;

    #[test]
    fn upstream_bytes_pass_through_untouched() {
        let upstream = format!("{A1}\n");
        assert_eq!(merge(Some(upstream.as_bytes()), &[A1]).unwrap(), upstream.as_bytes());
        // Even without a final newline.
        assert_eq!(merge(Some(A1.as_bytes()), &[]).unwrap(), A1.as_bytes());
    }

    #[test]
    fn own_versions_missing_upstream_are_appended() {
        let merged = merge(Some(A1.as_bytes()), &[A2, A1]).unwrap();
        assert_eq!(String::from_utf8(merged).unwrap(), format!("{A1}\n{A2}\n"));
    }

    #[test]
    fn own_lines_alone() {
        assert_eq!(merge(None, &[A2]).unwrap(), format!("{A2}\n").as_bytes());
        assert_eq!(merge(None, &[]), None);
    }
}
