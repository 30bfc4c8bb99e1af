//! Names and versions: feed names, descriptions, visibilities and scopes (`wharf_core`),
//! crate names and their index paths (`wharf_index`), the canonical name key and the
//! version key (`wharf_core::package`), and versions as the publish path parses them
//! (`semver`).
//!
//! Input: text; every check sees all of it, and the feed form sees its first three lines as
//! name, description and visibility.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_core::{
    Description, FeedDraft, FeedName, NameError, ScopeKind, Visibility,
    name::{MAX_DESCRIPTION_LEN, MAX_NAME_LEN},
    package::{canonical_key, version_key},
};
use wharf_index::{index_path, name_from_index_path, validate_crate_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    feed_name(&text);
    description(&text);
    choices(&text);
    crate_name(&text);
    index_path_request(&text);
    version(&text);
    let mut parts = text.splitn(3, '\n');
    let (name, description, visibility) =
        (parts.next().unwrap_or_default(), parts.next(), parts.next().unwrap_or_default());
    feed_form(name, description, visibility);
});

fn feed_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn feed_name(raw: &str) {
    let trimmed = raw.trim();
    match FeedName::parse(raw) {
        Ok(name) => {
            let s = name.as_str();
            assert_eq!(s, trimmed);
            assert!((1..=MAX_NAME_LEN).contains(&s.len()));
            assert!(s.starts_with(|c: char| c.is_ascii_alphanumeric()) && s.chars().all(feed_name_char));
            // parse → display → parse
            assert_eq!(FeedName::parse(&name.to_string()).as_ref(), Ok(&name));
            // The key is itself a valid name, its own key, and every spelling shares it.
            let key = name.key();
            assert_eq!(key, s.to_ascii_lowercase());
            assert_eq!(FeedName::parse(&key).map(|k| k.key()), Ok(key.clone()));
            assert_eq!(FeedName::parse(&s.to_ascii_uppercase()).map(|k| k.key()), Ok(key));
        }
        Err(e) => {
            match &e {
                NameError::Empty => assert!(trimmed.is_empty()),
                NameError::TooLong { len } => assert!(*len == trimmed.chars().count() && *len > MAX_NAME_LEN),
                NameError::BadStart(c) => assert!(trimmed.starts_with(*c) && !c.is_ascii_alphanumeric()),
                NameError::BadChar(c) => assert!(trimmed.contains(*c) && !feed_name_char(*c)),
            }
            assert!(!e.to_string().is_empty());
        }
    }
}

fn description(raw: &str) {
    let trimmed = raw.trim();
    let allowed = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
    match Description::parse(raw) {
        Ok(d) => {
            assert_eq!(d.as_str(), trimmed);
            assert!(d.as_str().chars().count() <= MAX_DESCRIPTION_LEN && d.as_str().chars().all(allowed));
            assert_eq!(Description::parse(d.as_str()).as_ref(), Ok(&d));
        }
        Err(message) => {
            assert!(trimmed.chars().count() > MAX_DESCRIPTION_LEN || !trimmed.chars().all(allowed));
            assert!(!message.is_empty());
        }
    }
}

fn choices(raw: &str) {
    match raw.parse::<Visibility>() {
        Ok(v) => {
            assert!(v.as_str().eq_ignore_ascii_case(raw.trim()));
            assert_eq!(v.to_string().parse(), Ok(v));
            assert_eq!(v.label().parse(), Ok(v));
        }
        Err(message) => {
            assert!(!Visibility::ALL.iter().any(|v| v.as_str().eq_ignore_ascii_case(raw.trim())));
            assert!(!message.is_empty());
        }
    }
    match raw.parse::<ScopeKind>() {
        Ok(k) => assert!(k.as_str().eq_ignore_ascii_case(raw.trim()) && k.as_str().parse() == Ok(k)),
        Err(_) => assert!(!["organization", "project"].iter().any(|k| k.eq_ignore_ascii_case(raw.trim()))),
    }
}

fn feed_form(name: &str, description: Option<&str>, visibility: &str) {
    let fields_ok = [
        FeedName::parse(name).is_ok(),
        Description::parse(description.unwrap_or_default()).is_ok(),
        visibility.parse::<Visibility>().is_ok(),
    ];
    match FeedDraft::parse(name, description, visibility, true) {
        Ok(draft) => {
            assert_eq!(fields_ok, [true; 3]);
            assert_eq!(draft.name.as_str(), name.trim());
        }
        Err(errors) => {
            // Every bad field is reported, once, in field order.
            let want: Vec<&str> = ["name", "description", "visibility"]
                .into_iter()
                .zip(fields_ok)
                .filter(|(_, ok)| !ok)
                .map(|(field, _)| field)
                .collect();
            let got: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
            assert_eq!(got, want);
        }
    }
}

/// crates.io's rule, written out independently.
fn is_crate_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn crate_name(raw: &str) {
    let valid = validate_crate_name(raw).is_ok();
    assert_eq!(valid, is_crate_name(raw), "validate_crate_name disagrees with the rule for {raw:?}");
    if let Err(e) = validate_crate_name(raw) {
        assert!(!e.to_string().is_empty());
    }
    let key = canonical_key(raw);
    assert_eq!(key.len(), raw.len());
    assert_eq!(canonical_key(&key), key, "the canonical key is its own key");
    assert!(!key.contains('-') && !key.bytes().any(|b| b.is_ascii_uppercase()));
    let respelled: String = raw
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    assert_eq!(canonical_key(&respelled), key, "case and -/_ do not make another crate");
    if !valid {
        return;
    }
    assert!(is_crate_name(&key), "the key of a valid name is a valid name");
    // The index path of a name leads back to the name, whatever the path's case.
    let path = index_path(raw);
    let lower = raw.to_ascii_lowercase();
    assert_eq!(index_path(&lower), path);
    assert_eq!(name_from_index_path(&path), Ok(lower.clone()));
    assert_eq!(name_from_index_path(&path.to_ascii_uppercase()), Ok(lower));
    assert!(path.ends_with(&format!("/{}", raw.to_ascii_lowercase())));
}

/// A request path: when it names a crate, it is exactly that crate's index path.
fn index_path_request(raw: &str) {
    if let Ok(name) = name_from_index_path(raw) {
        assert!(is_crate_name(&name) && name == name.to_ascii_lowercase());
        assert_eq!(index_path(&name), raw.to_ascii_lowercase());
    }
}

fn version(raw: &str) {
    let key = version_key(raw);
    assert!(raw.starts_with(&key) && !key.contains('+'));
    let Ok(v) = semver::Version::parse(raw) else { return };
    // A version is written one way: its display is what was sent, so one version cannot
    // be stored under two spellings.
    assert_eq!(v.to_string(), raw);
    assert_eq!(semver::Version::parse(&v.to_string()).ok().as_ref(), Some(&v));
    // The key is the same version without build metadata: the versions cargo cannot tell apart.
    let keyed = semver::Version::parse(&key).expect("a version without its build metadata is a version");
    assert!(keyed.build.is_empty());
    assert_eq!(keyed.cmp_precedence(&v), std::cmp::Ordering::Equal);
    assert_eq!(semver::Version { build: semver::BuildMetadata::EMPTY, ..v.clone() }, keyed);
}
