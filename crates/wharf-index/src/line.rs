//! Index lines, read only as far as Wharf needs: the rest of each line is passed on
//! byte for byte, so fields this crate does not know (`rust_version`, `pubtime`, …) survive.

use serde::Deserialize;

/// The fields of an index line Wharf looks at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IndexLine {
    pub name: String,
    pub vers: String,
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
    /// When it was published (`YYYY-MM-DDThh:mm:ssZ`), when the registry says.
    #[serde(default)]
    pub pubtime: Option<String>,
}

/// The index file with only the lines `keep` accepts, each kept byte for byte (lines that
/// are not index lines go too); `None` when no line is left.
pub fn retain(body: &[u8], mut keep: impl FnMut(&IndexLine) -> bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    for (line, parsed) in lines(body) {
        if keep(&parsed) {
            out.extend_from_slice(line.trim_ascii_end());
            out.push(b'\n');
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Each line of an index file that is an index line, with what it says; lines that do not
/// parse are skipped (cargo skips them too).
pub fn lines(body: &[u8]) -> impl Iterator<Item = (&[u8], IndexLine)> {
    body.split(|b| *b == b'\n')
        // Only a JSON object is an index line: serde would also read a struct from an array
        // (`["a","1.0.0","…"]`), and such a line must not count as a version. Found by fuzzing.
        .filter(|l| l.trim_ascii_start().starts_with(b"{"))
        .filter_map(|l| serde_json::from_slice::<IndexLine>(l).ok().map(|parsed| (l, parsed)))
}

/// The index file with the lines of `versions` marked yanked (a version held back from new
/// resolution while locked builds still find it); other lines are kept byte for byte.
pub fn mark_yanked(body: &[u8], versions: &std::collections::HashSet<String>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 16 * versions.len());
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let parsed =
            line.trim_ascii_start().starts_with(b"{").then(|| serde_json::from_slice::<IndexLine>(line).ok()).flatten();
        match parsed {
            Some(parsed) if versions.contains(&parsed.vers) && !parsed.yanked => {
                let text = String::from_utf8_lossy(line);
                let marked = match text.find("\"yanked\":false") {
                    Some(at) => format!("{}\"yanked\":true{}", &text[..at], &text[at + "\"yanked\":false".len()..]),
                    None => match text.rfind('}') {
                        Some(end) => format!("{},\"yanked\":true{}", &text[..end], &text[end..]),
                        None => text.into_owned(),
                    },
                };
                out.extend_from_slice(marked.as_bytes());
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_keeps_their_bytes() {
        let body = b"{\"name\":\"a\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"ab\",\"rust_version\":\"1.60\"}\n\nnot json\n{\"name\":\"a\",\"vers\":\"1.1.0\",\"deps\":[],\"cksum\":\"cd\",\"yanked\":true}";
        let got: Vec<_> = lines(body).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.vers, "1.0.0");
        assert!(got[0].0.ends_with(b"\"rust_version\":\"1.60\"}"));
        assert!(got[1].1.yanked);
    }

    #[test]
    fn retain_keeps_the_chosen_lines_byte_for_byte() {
        let body = b"{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\",\"pubtime\":\"2026-01-01T00:00:00Z\"}\n{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}";
        let kept = retain(body, |l| l.vers == "2.0.0").unwrap();
        assert_eq!(kept, b"{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}\n");
        assert_eq!(lines(body).next().unwrap().1.pubtime.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert!(retain(body, |_| false).is_none());
    }

    #[test]
    fn marked_versions_read_as_yanked_and_the_rest_is_untouched() {
        let body = "{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\",\"yanked\":false}\n{\"name\":\"a\",\"vers\":\"2.0.0\",\"cksum\":\"cd\"}\n{\"name\":\"a\",\"vers\":\"3.0.0\",\"cksum\":\"ef\"}\n";
        let set: std::collections::HashSet<String> = ["1.0.0".to_owned(), "2.0.0".to_owned()].into();
        let marked = mark_yanked(body.as_bytes(), &set);
        let got: Vec<_> = lines(&marked).map(|(_, l)| (l.vers, l.yanked)).collect();
        assert_eq!(got, [("1.0.0".into(), true), ("2.0.0".into(), true), ("3.0.0".into(), false)]);
        assert!(String::from_utf8(marked).unwrap().ends_with("{\"name\":\"a\",\"vers\":\"3.0.0\",\"cksum\":\"ef\"}\n"));
    }

    #[test]
    fn arrays_are_not_index_lines() {
        assert_eq!(lines(br#"["a","1.0.0","ab"]"#).count(), 0);
        assert_eq!(lines(b" \t{\"name\":\"a\",\"vers\":\"1.0.0\",\"cksum\":\"ab\"}\r").count(), 1);
    }
}
