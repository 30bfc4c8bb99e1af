//! An index entry, typed: what the publish path writes and the package page reads. (Lines
//! from an upstream are passed on byte for byte elsewhere; parsing one here ignores the
//! fields this type does not name.)

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One version of a crate in a sparse index, in the field order crates.io writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub name: String,
    pub vers: String,
    #[serde(default)]
    pub deps: Vec<IndexDependency>,
    pub cksum: String,
    #[serde(default)]
    pub features: BTreeMap<String, Vec<String>>,
    /// Features using `dep:` or `?/` (index format version 2).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features2: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub yanked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_version: Option<String>,
    #[serde(default = "format_v1")]
    pub v: u32,
    /// When the version was published, exactly `YYYY-MM-DDThh:mm:ssZ` (cargo ≥ 1.94 reads
    /// it; fractional seconds would make it drop the line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubtime: Option<String>,
}

/// A dependency of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDependency {
    /// The name the depending crate uses (its alias when renamed).
    pub name: String,
    pub req: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default = "yes")]
    pub default_features: bool,
    #[serde(default)]
    pub target: Option<String>,
    /// `normal`, `build` or `dev`.
    #[serde(default = "normal")]
    pub kind: String,
    /// The index URL of another registry; absent for this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The real package name, when `name` is an alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

fn format_v1() -> u32 {
    1
}

fn yes() -> bool {
    true
}

fn normal() -> String {
    "normal".into()
}

impl IndexEntry {
    /// Reads one index line.
    pub fn parse(line: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// The line as it goes into an index file (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every feature, `features` and `features2` together, by name.
    pub fn all_features(&self) -> BTreeMap<&str, &[String]> {
        self.features.iter().chain(&self.features2).map(|(k, v)| (k.as_str(), v.as_slice())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_crates_io_line_and_ignores_unknown_fields() {
        let line = r#"{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"^1","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal","package":"c"}],"cksum":"ab","features":{"x":["b"]},"yanked":false,"pubtime":"2026-01-01T00:00:00Z","v":2,"features2":{"y":["dep:b"]}}"#;
        let entry = IndexEntry::parse(line).unwrap();
        assert_eq!(entry.deps[0].package.as_deref(), Some("c"));
        assert_eq!(entry.all_features().len(), 2);
        assert_eq!(entry.v, 2);
        // Round trip: what it writes reads back the same.
        assert_eq!(IndexEntry::parse(&entry.to_line()).unwrap(), entry);
    }
}
