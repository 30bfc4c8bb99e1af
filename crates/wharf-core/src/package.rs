//! How crate names and versions are compared: two names or versions with equal keys are
//! the same package or version to cargo and crates.io.

/// A crate name as crates.io compares them: lower case, `-` as `_`.
pub fn canonical_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// A version without its build metadata (`1.0.0+abc` → `1.0.0`).
pub fn version_key(version: &str) -> String {
    version.split('+').next().unwrap_or(version).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_separators_and_build_metadata() {
        assert_eq!(canonical_key("Serde-JSON"), canonical_key("serde_json"));
        assert_eq!(version_key("1.0.0+abc"), "1.0.0");
        assert_eq!(version_key("1.0.0-rc.1"), "1.0.0-rc.1");
    }
}
