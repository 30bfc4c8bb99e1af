//! Index file paths: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`, always lower-cased.

use std::fmt;

/// Why a request path is not an index file path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The crate name is not one a registry accepts.
    InvalidName(String),
    /// The directories do not match the name (e.g. `ab/cd/abce`).
    WrongPrefix,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::InvalidName(why) => f.write_str(why),
            PathError::WrongPrefix => f.write_str("the directories of this index path do not match the crate name"),
        }
    }
}

impl std::error::Error for PathError {}

/// Longest crate name accepted (crates.io's limit).
pub const MAX_CRATE_NAME_LEN: usize = 64;

/// Checks a crate name as crates.io does: ASCII letters, digits, `-` and `_`, starting with
/// a letter, at most 64 characters.
pub fn validate_crate_name(name: &str) -> Result<(), PathError> {
    let invalid = |why: String| Err(PathError::InvalidName(why));
    let Some(first) = name.chars().next() else {
        return invalid("the crate name is empty".into());
    };
    if name.len() > MAX_CRATE_NAME_LEN {
        return invalid(format!("the crate name is longer than {MAX_CRATE_NAME_LEN} characters"));
    }
    if !first.is_ascii_alphabetic() {
        return invalid(format!("the crate name `{name}` must start with an ASCII letter"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return invalid(format!(
            "the crate name `{name}` contains `{bad}`; only ASCII letters, digits, `-` and `_` are allowed"
        ));
    }
    Ok(())
}

/// Names Windows reserves for devices, refused as new crate names as crates.io does: a
/// crate of that name cannot be unpacked, vendored or cached on Windows.
const WINDOWS_RESERVED: [&str; 4] = ["con", "prn", "aux", "nul"];

/// Checks the name of a crate being published: [`validate_crate_name`], and not a name
/// Windows reserves (`con`, `prn`, `aux`, `nul`, `com1`…`com9`, `lpt1`…`lpt9`, in any case).
pub fn validate_new_crate_name(name: &str) -> Result<(), PathError> {
    validate_crate_name(name)?;
    let lower = name.to_ascii_lowercase();
    let numbered = |stem: &str| {
        lower.strip_prefix(stem).is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit() && n != "0")
    };
    if WINDOWS_RESERVED.contains(&lower.as_str()) || numbered("com") || numbered("lpt") {
        return Err(PathError::InvalidName(format!(
            "the crate name `{name}` is reserved by Windows for a device; choose another name"
        )));
    }
    Ok(())
}

/// The path of a crate's index file relative to the index root, from the lower-cased name.
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// The lower-cased crate name an index path asks for, checking that its directories are
/// the ones cargo computes for that name.
pub fn name_from_index_path(path: &str) -> Result<String, PathError> {
    let name = path.rsplit('/').next().unwrap_or_default();
    validate_crate_name(name)?;
    let name = name.to_ascii_lowercase();
    if index_path(&name) != path.to_ascii_lowercase() {
        return Err(PathError::WrongPrefix);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_cargo() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("AbCd_Ef"), "ab/cd/abcd_ef");
        assert_eq!(index_path("serde"), "se/rd/serde");
    }

    #[test]
    fn names_come_back_from_paths() {
        for name in ["a", "ab", "abc", "serde", "abcd_ef", "my-crate"] {
            assert_eq!(name_from_index_path(&index_path(name)).unwrap(), name);
        }
        assert_eq!(name_from_index_path("Se/Rd/Serde").unwrap(), "serde");
    }

    #[test]
    fn bad_paths_are_refused() {
        assert_eq!(name_from_index_path("ab/cd/abce"), Err(PathError::WrongPrefix));
        assert_eq!(name_from_index_path("3/b/abc"), Err(PathError::WrongPrefix));
        assert_eq!(name_from_index_path("2/abc"), Err(PathError::WrongPrefix));
        assert!(matches!(name_from_index_path("se/rd/ser.de"), Err(PathError::InvalidName(_))));
        assert!(matches!(name_from_index_path(""), Err(PathError::InvalidName(_))));
        assert!(matches!(name_from_index_path("1/_"), Err(PathError::InvalidName(_))));
        assert!(matches!(validate_crate_name(&"a".repeat(65)), Err(PathError::InvalidName(_))));
    }

    #[test]
    fn windows_device_names_are_refused_for_new_crates() {
        for name in ["con", "CON", "Nul", "aux", "prn", "com1", "COM9", "lpt1", "Lpt5"] {
            let err = validate_new_crate_name(name).unwrap_err();
            assert!(err.to_string().contains("reserved by Windows"), "{name}: {err}");
        }
        for name in ["com", "com0", "com10", "lpt", "console", "nul-safe", "auxiliary", "serde"] {
            assert_eq!(validate_new_crate_name(name), Ok(()), "{name}");
        }
        assert!(validate_new_crate_name("1con").is_err());
    }
}
