//! The invariant of served index lines, over generated files: whatever the upstream's
//! spacing, key order and escapes, every line `mark_yanked` writes parses as strict JSON
//! (no key twice), says what the saved line said except `yanked`, and lines it does not
//! mark keep their bytes.

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{Value, json};
use wharf_index::{lines, mark_yanked, strict_json};

/// Whitespace JSON allows between tokens.
fn space() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec![" ", "\t", "  ", ""]), 0..3).prop_map(|s| s.concat())
}

/// A string written with a random mix of plain characters and `\u` escapes.
fn written(text: &str, escapes: &[bool]) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if escapes.get(i).copied().unwrap_or(false) && c.is_ascii_alphanumeric() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// One index line: its fields (shuffled), written with random spacing and escapes.
fn index_line(vers: String) -> impl Strategy<Value = (String, Value)> {
    (
        prop::option::of(any::<bool>()),
        prop::collection::vec(any::<bool>(), 16),
        prop::collection::vec(space(), 12),
        any::<u64>(),
        prop::option::of("[a-z]{1,8}"),
    )
        .prop_map(move |(yanked, escapes, spaces, order, extra)| {
            let mut fields: Vec<(String, String, Value)> = vec![
                ("name".into(), written("demo", &escapes), json!("demo")),
                ("vers".into(), written(&vers, &escapes[4..]), json!(vers)),
                ("deps".into(), format!("[{}]", spaces[0]), json!([])),
                ("cksum".into(), written("ab12", &escapes[8..]), json!("ab12")),
                ("features".into(), format!("{{\"x\":{}[\"y\"]}}", spaces[1]), json!({"x": ["y"]})),
            ];
            if let Some(yanked) = yanked {
                fields.push(("yanked".into(), yanked.to_string(), json!(yanked)));
            }
            if let Some(extra) = extra {
                fields.push(("rust_version".into(), written(&extra, &escapes[12..]), json!(extra)));
            }
            // A fixed shuffle from the generated number.
            let n = fields.len();
            for i in (1..n).rev() {
                fields.swap(i, (order as usize >> (i % 8)) % (i + 1));
            }
            let body: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, (key, text, _))| {
                    format!("{}\"{key}\"{}:{}{text}", spaces[(i + 2) % 12], spaces[(i + 3) % 12], spaces[(i + 4) % 12])
                })
                .collect();
            let text = format!("{{{}}}", body.join(","));
            let value = Value::Object(fields.into_iter().map(|(k, _, v)| (k, v)).collect());
            (text, value)
        })
}

proptest! {
    #[test]
    fn marked_lines_are_strict_and_change_only_yanked(
        files in prop::collection::vec((0u8..6).prop_flat_map(|minor| index_line(format!("1.{minor}.0"))), 1..6),
        marked in prop::collection::hash_set((0u8..6).prop_map(|m| format!("1.{m}.0")), 0..6),
        crlf in any::<bool>(),
    ) {
        let ending = if crlf { "\r\n" } else { "\n" };
        let body: String = files.iter().map(|(text, _)| format!("{text}{ending}")).collect();
        let out = mark_yanked(body.as_bytes(), &marked.iter().cloned().collect::<HashSet<_>>());
        let out_lines: Vec<&[u8]> = out.split(|b| *b == b'\n').collect();
        prop_assert_eq!(out_lines.len(), files.len() + 1, "one line out per line in");
        for ((text, value), served) in files.iter().zip(&out_lines) {
            let served_value = strict_json(served).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(served))))?;
            let was_yanked = value.get("yanked") == Some(&json!(true));
            let vers = value["vers"].as_str().unwrap();
            if marked.contains(vers) && !was_yanked {
                let mut expected = value.clone();
                expected["yanked"] = json!(true);
                prop_assert_eq!(served_value, expected);
            } else {
                let kept = format!("{text}{}", ending.trim_end_matches('\n'));
                prop_assert_eq!(*served, kept.as_bytes());
            }
        }
        // cargo's view: every version is still there, once, marked as asked.
        let read: Vec<_> = lines(&out).map(|(_, l)| (l.vers, l.yanked)).collect();
        prop_assert_eq!(read.len(), files.len());
        for ((_, value), (vers, yanked)) in files.iter().zip(read) {
            let expected = marked.contains(&vers) || value.get("yanked") == Some(&json!(true));
            prop_assert_eq!(yanked, expected);
        }
    }
}
