//! The publish body (`wharf_index::publish`): `split_body` checked against a model of the
//! framing, then `PublishMetadata::parse`, `index_line` and `with_yanked` on what it finds.
//!
//! Input: one mode byte, then the body. Even modes fuzz the raw body; odd modes treat the
//! rest as metadata JSON and frame it as cargo would, so the JSON parts are always reached.
//! Bits 1–2 of the mode pick the `.crate` size limit.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use wharf_index::{
    lines,
    publish::{BodyError, MAX_METADATA_LEN, PublishMetadata, split_body, with_yanked},
};

const LIMITS: [usize; 4] = [0, 1, 64, 10 * 1024 * 1024];
const CKSUM: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let limit = LIMITS[usize::from(mode >> 1) & 3];
    let framed;
    let body = if mode & 1 == 0 {
        rest
    } else {
        let krate = &b"\x1f\x8b crate bytes"[..limit.min(14)];
        framed = frame(rest, krate);
        &framed[..]
    };
    let got = split_body(body, limit);
    check_split(body, limit, &got);
    if let Ok((json, _)) = got {
        check_metadata(json);
    }
});

fn frame(json: &[u8], krate: &[u8]) -> Vec<u8> {
    let mut body = (json.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(json);
    body.extend_from_slice(&(krate.len() as u32).to_le_bytes());
    body.extend_from_slice(krate);
    body
}

/// What the framing says `body` is: the two parts' ranges, or the error it deserves.
fn model(body: &[u8], limit: usize) -> Result<(std::ops::Range<usize>, std::ops::Range<usize>), BodyError> {
    let len_at =
        |at: usize| -> Option<usize> { Some(u32::from_le_bytes(body.get(at..at + 4)?.try_into().unwrap()) as usize) };
    let json_len = len_at(0).ok_or(BodyError::Truncated(""))?;
    if json_len > MAX_METADATA_LEN {
        return Err(BodyError::MetadataTooLarge(json_len));
    }
    if body.len() < 4 + json_len {
        return Err(BodyError::Truncated(""));
    }
    let crate_len = len_at(4 + json_len).ok_or(BodyError::Truncated(""))?;
    if crate_len > limit {
        return Err(BodyError::CrateTooLarge { size: crate_len, limit });
    }
    let end = 8 + json_len + crate_len;
    match body.len().cmp(&end) {
        std::cmp::Ordering::Less => Err(BodyError::Truncated("")),
        std::cmp::Ordering::Greater => Err(BodyError::TrailingBytes(body.len() - end)),
        std::cmp::Ordering::Equal => Ok((4..4 + json_len, 8 + json_len..end)),
    }
}

fn check_split(body: &[u8], limit: usize, got: &Result<(&[u8], &[u8]), BodyError>) {
    match (model(body, limit), got) {
        (Ok((json, krate)), Ok((got_json, got_krate))) => {
            // The parts are the very bytes of the body, and together with the two lengths
            // they are all of it.
            assert_eq!(got_json.len() + got_krate.len() + 8, body.len());
            assert!(std::ptr::eq(*got_json, &body[json]));
            assert!(std::ptr::eq(*got_krate, &body[krate]));
            assert!(got_krate.len() <= limit && got_json.len() <= MAX_METADATA_LEN);
        }
        (Err(BodyError::Truncated(_)), Err(BodyError::Truncated(why))) => assert!(!why.is_empty()),
        (Err(want), Err(got)) => assert_eq!(&want, got),
        (want, got) => panic!("split_body gave {got:?}, the framing says {want:?}"),
    }
    if let Err(e) = got {
        assert!(!e.to_string().is_empty());
    }
}

fn check_metadata(json: &[u8]) {
    let meta = match PublishMetadata::parse(json) {
        Ok(meta) => meta,
        Err(BodyError::Metadata(why)) => return assert!(!why.is_empty()),
        Err(other) => panic!("metadata refused with {other:?}"),
    };
    // The server stores the metadata re-serialized: reading it back gives the same.
    let stored = serde_json::to_string(&meta).unwrap();
    assert_eq!(PublishMetadata::parse(stored.as_bytes()).as_ref(), Ok(&meta));

    let line = meta.index_line(CKSUM, Some("2026-01-01T00:00:00Z".to_owned()));
    assert!(!line.contains('\n'), "an index line is one line");
    let parsed: Vec<_> = lines(line.as_bytes()).collect();
    assert_eq!(parsed.len(), 1, "the index line must read back: {line}");
    let (raw, read) = &parsed[0];
    assert_eq!(*raw, line.as_bytes());
    assert_eq!((read.name.as_str(), read.vers.as_str(), read.cksum.as_str()), (&*meta.name, &*meta.vers, CKSUM));
    assert!(!read.yanked);

    let value: Value = serde_json::from_str(&line).unwrap();
    check_deps(&meta, &value);
    check_features(&meta, &value);
    assert_eq!(value.get("links").and_then(Value::as_str), meta.links.as_deref());
    assert_eq!(value.get("rust_version").and_then(Value::as_str), meta.rust_version.as_deref());

    for yanked in [true, false] {
        let changed = with_yanked(&line, yanked).expect("our own index line can be yanked");
        let mut want = value.clone();
        want["yanked"] = Value::Bool(yanked);
        assert_eq!(serde_json::from_str::<Value>(&changed).unwrap(), want, "only `yanked` changes");
        let (_, read) = lines(changed.as_bytes()).next().expect("a yanked line still reads");
        assert_eq!(read.yanked, yanked);
    }
}

fn check_deps(meta: &PublishMetadata, line: &Value) {
    let deps = line["deps"].as_array().expect("deps is an array");
    assert_eq!(deps.len(), meta.deps.len());
    for (dep, from) in deps.iter().zip(&meta.deps) {
        let alias = from.explicit_name_in_toml.as_deref().filter(|a| *a != from.name);
        assert_eq!(dep["name"], alias.unwrap_or(&from.name), "the index names a dependency by its alias");
        assert_eq!(dep.get("package").and_then(Value::as_str), alias.map(|_| from.name.as_str()));
        assert_eq!(dep["req"], *from.version_req);
        assert_eq!(dep["kind"], from.kind.as_deref().unwrap_or("normal"));
        assert_eq!(dep["optional"], from.optional);
        assert_eq!(dep["default_features"], from.default_features);
        assert_eq!(dep["target"].as_str(), from.target.as_deref());
        assert_eq!(dep.get("registry").and_then(Value::as_str), from.registry.as_deref());
        assert_eq!(dep["features"], serde_json::json!(from.features));
    }
}

/// Every feature lands in exactly one of `features` and `features2`, with its values;
/// those using `dep:` or `?/` in `features2`, which makes the line `v: 2`.
fn check_features(meta: &PublishMetadata, line: &Value) {
    let plain = line["features"].as_object().expect("features is an object");
    let new_syntax = line.get("features2").map(|f| f.as_object().expect("features2 is an object"));
    let is_new = |values: &[String]| values.iter().any(|v| v.starts_with("dep:") || v.contains("?/"));
    let mut seen = BTreeSet::new();
    for (table, new) in [(Some(plain), false), (new_syntax, true)] {
        for (name, values) in table.into_iter().flatten() {
            assert!(seen.insert(name.clone()), "feature {name} is listed twice");
            let want = &meta.features[name];
            assert_eq!(values, &serde_json::json!(want));
            assert_eq!(is_new(want), new);
        }
    }
    assert_eq!(seen.len(), meta.features.len());
    assert_eq!(line["v"], if new_syntax.is_some() { 2 } else { 1 });
    assert!(new_syntax.is_none_or(|f| !f.is_empty()));
}
