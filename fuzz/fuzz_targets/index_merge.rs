//! Index lines and merging (`wharf_index::{lines, merge}`, `publish::with_yanked`).
//!
//! Input: one flag byte (bit 0: an upstream file exists), the upstream file's bytes, a NUL,
//! then the feed's own lines, one per line.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wharf_index::{IndexLine, lines, merge, publish::with_yanked};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let (upstream, own) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let own = String::from_utf8_lossy(own);
    let own: Vec<&str> = if own.is_empty() { Vec::new() } else { own.split('\n').collect() };
    check_lines(upstream);
    for line in &own {
        check_lines(line.as_bytes());
    }
    check_merge((flags & 1 == 1).then_some(upstream), &own);
});

/// `lines` yields whole lines of the body, in order, each one that reads as an index line.
fn check_lines(body: &[u8]) {
    let mut readable = body
        .split(|b| *b == b'\n')
        .filter(|l| l.trim_ascii_start().starts_with(b"{") && serde_json::from_slice::<IndexLine>(l).is_ok())
        .map(|l| (l.as_ptr(), l.len()));
    for (raw, line) in lines(body) {
        assert_eq!(readable.next(), Some((raw.as_ptr(), raw.len())), "lines skipped or invented a line");
        assert!(!raw.contains(&b'\n'));
        // Fields Wharf does not read are skipped unchecked, so an upstream line may hold what
        // a full parse refuses (`1e999`, a lone surrogate `\ud800`, bytes that are not UTF-8
        // inside a string): cargo skips such fields too. Those lines pass through as bytes;
        // they are not Wharf's to yank, and `with_yanked` refuses them.
        let text = std::str::from_utf8(raw);
        let Ok(value) = serde_json::from_slice::<Value>(raw) else {
            if let Ok(text) = text {
                assert!(with_yanked(text, true).is_err());
            }
            continue;
        };
        let text = text.expect("a line that parses in full is UTF-8");
        assert!(value.is_object(), "an index line is an object");
        assert_eq!(value["name"], *line.name);
        assert_eq!(value["vers"], *line.vers);
        assert_eq!(value["cksum"], *line.cksum);
        assert_eq!(value.get("yanked").and_then(Value::as_bool).unwrap_or(false), line.yanked);
        for yanked in [true, false] {
            let changed = with_yanked(text, yanked).expect("a line that parses can be yanked");
            let (_, after) = lines(changed.as_bytes()).next().expect("a yanked line reads");
            assert_eq!(after, IndexLine { yanked, ..line.clone() });
        }
    }
    assert_eq!(readable.next(), None, "lines missed a line that reads");
}

fn check_merge(upstream: Option<&[u8]>, own: &[&str]) {
    let merged = merge(upstream, own);
    let upstream = upstream.unwrap_or_default();
    let known: HashSet<String> = lines(upstream).map(|(_, l)| l.vers).collect();
    let own_read: Vec<(&str, IndexLine)> =
        own.iter().filter_map(|l| lines(l.as_bytes()).next().map(|(_, parsed)| (*l, parsed))).collect();
    let appended: Vec<&str> =
        own_read.iter().filter(|(_, l)| !known.contains(&l.vers)).map(|(raw, _)| raw.trim_end()).collect();
    let Some(merged) = merged else {
        assert!(upstream.is_empty() && appended.is_empty(), "merge served nothing although it had lines");
        return;
    };
    assert!(!merged.is_empty());
    // The upstream's bytes pass through untouched; own lines follow, each on its own line.
    assert!(merged.starts_with(upstream), "the upstream bytes were changed");
    let mut tail = Vec::new();
    if !upstream.is_empty() && !upstream.ends_with(b"\n") && !appended.is_empty() {
        tail.push(b'\n');
    }
    for line in &appended {
        tail.extend_from_slice(line.as_bytes());
        tail.push(b'\n');
    }
    assert_eq!(&merged[upstream.len()..], &tail[..]);
    // Every appended line is one valid index line, and every own version is served.
    for line in &appended {
        assert_eq!(lines(line.as_bytes()).count(), 1, "appended line {line:?} does not read");
        assert!(!line.contains('\n'));
    }
    let served: HashSet<String> = lines(&merged).map(|(_, l)| l.vers).collect();
    for (_, line) in &own_read {
        assert!(served.contains(&line.vers), "own version {} is not served", line.vers);
    }
    assert!(known.is_subset(&served), "an upstream version was lost");
}
