//! Lines as Wharf serves them (`wharf_index::mark_yanked`): whatever the saved lines'
//! spacing, key order or escapes, a marked line parses as strict JSON (no key twice) and
//! says what the saved line said except `yanked`; every other line keeps its bytes.
//!
//! Input: one byte choosing which versions to mark (bit `i % 8` for the `i`-th line), then
//! the index file.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wharf_index::{lines, mark_yanked, strict_json};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else { return };
    let marked: HashSet<String> = lines(body)
        .enumerate()
        .filter(|(i, _)| choice >> (i % 8) & 1 == 1)
        .map(|(_, (_, line))| line.vers)
        .collect();
    let out = mark_yanked(body, &marked);
    let before: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let after: Vec<&[u8]> = out.split(|b| *b == b'\n').collect();
    assert_eq!(before.len(), after.len(), "lines were added or lost");
    for (old, new) in before.iter().zip(&after) {
        let read = lines(old).next().map(|(_, l)| l);
        let Some(read) = read.filter(|l| marked.contains(&l.vers) && !l.yanked) else {
            assert_eq!(old, new, "a line that is not marked changed");
            continue;
        };
        // A line serde reads in full is rewritten; one it cannot (a field cargo skips holds
        // what a full parse refuses) passes through as it was.
        let Ok(mut value) = serde_json::from_slice::<Value>(old) else {
            assert_eq!(old, new);
            continue;
        };
        let served = strict_json(new).unwrap_or_else(|e| panic!("served line is not strict JSON: {e}"));
        value["yanked"] = Value::Bool(true);
        assert_eq!(served, value, "the marked line says something else");
        let (_, now) = lines(new).next().expect("the marked line reads");
        assert_eq!(now.vers, read.vers);
        assert!(now.yanked);
    }
});
