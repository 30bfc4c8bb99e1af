//! What `cargo publish` sends (`PUT …/api/v1/crates/new`) and the index line made from it.
//!
//! The body is a little-endian u32 length, that many bytes of JSON metadata, another u32
//! length, and the `.crate` file. Publish metadata is not an index line: a renamed
//! dependency arrives with its real name in `name` and the alias in
//! `explicit_name_in_toml`, its requirement in `version_req`; the index wants `name` = the
//! alias, `package` = the real name, `req` = the requirement, and the server's checksum.

use std::collections::BTreeMap;

use crate::{IndexDependency, IndexEntry};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Largest metadata JSON accepted (cargo sends a few KiB; a README rides in the `.crate`).
pub const MAX_METADATA_LEN: usize = 1024 * 1024;

/// Why a publish body was refused; `Display` is the message for the person publishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the publish request is truncated: {0}")]
    Truncated(&'static str),
    #[error("the publish metadata is {0} bytes; at most {MAX_METADATA_LEN} are accepted")]
    MetadataTooLarge(usize),
    #[error("the .crate file is {size} bytes; this feed accepts at most {limit} bytes")]
    CrateTooLarge { size: usize, limit: usize },
    #[error("the publish request has {0} bytes after the .crate file")]
    TrailingBytes(usize),
    #[error("the publish metadata is not valid: {0}")]
    Metadata(String),
}

/// The two parts of a publish body: metadata JSON and `.crate` bytes, with every length
/// checked against what is actually there and against the limits.
pub fn split_body(body: &[u8], max_crate_len: usize) -> Result<(&[u8], &[u8]), BodyError> {
    let (json_len, rest) = read_len(body, "no metadata length")?;
    if json_len > MAX_METADATA_LEN {
        return Err(BodyError::MetadataTooLarge(json_len));
    }
    let json = rest.get(..json_len).ok_or(BodyError::Truncated("the metadata is shorter than its length says"))?;
    let (crate_len, rest) = read_len(&rest[json_len..], "no .crate length after the metadata")?;
    if crate_len > max_crate_len {
        return Err(BodyError::CrateTooLarge { size: crate_len, limit: max_crate_len });
    }
    let krate = rest.get(..crate_len).ok_or(BodyError::Truncated("the .crate file is shorter than its length says"))?;
    if rest.len() > crate_len {
        return Err(BodyError::TrailingBytes(rest.len() - crate_len));
    }
    Ok((json, krate))
}

fn read_len<'a>(bytes: &'a [u8], what: &'static str) -> Result<(usize, &'a [u8]), BodyError> {
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or(BodyError::Truncated(what))?;
    Ok((u32::from_le_bytes(*len) as usize, rest))
}

/// The metadata cargo sends with a publish (fields Wharf uses; others are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PublishMetadata {
    pub name: String,
    pub vers: String,
    #[serde(default)]
    pub deps: Vec<PublishDependency>,
    #[serde(default)]
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub links: Option<String>,
    #[serde(default)]
    pub rust_version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub documentation: Option<String>,
    #[serde(default)]
    pub readme_file: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// One dependency as `cargo publish` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PublishDependency {
    /// The real package name.
    pub name: String,
    pub version_req: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default = "yes")]
    pub default_features: bool,
    #[serde(default)]
    pub target: Option<String>,
    /// `normal`, `build` or `dev`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The index URL of another registry; absent for this one.
    #[serde(default)]
    pub registry: Option<String>,
    /// The name the depending crate uses, when it renamed the dependency.
    #[serde(default)]
    pub explicit_name_in_toml: Option<String>,
}

fn yes() -> bool {
    true
}

impl PublishMetadata {
    /// Parses the metadata JSON (an object), with messages that say what is wrong.
    pub fn parse(json: &[u8]) -> Result<Self, BodyError> {
        let value: Value = serde_json::from_slice(json).map_err(|e| BodyError::Metadata(e.to_string()))?;
        if !value.is_object() {
            return Err(BodyError::Metadata("it must be a JSON object".into()));
        }
        serde_json::from_value(value).map_err(|e| BodyError::Metadata(e.to_string()))
    }

    /// The index entry for this version of a `.crate` with sha256 `cksum` (lower-case hex),
    /// published at `pubtime` (`YYYY-MM-DDThh:mm:ssZ`). Features using `dep:` or `?/` go to
    /// `features2` with `v: 2`, as crates.io does.
    pub fn index_entry(&self, cksum: &str, pubtime: Option<String>) -> IndexEntry {
        let deps = self
            .deps
            .iter()
            .map(|d| {
                let (name, package) = match &d.explicit_name_in_toml {
                    Some(alias) if alias != &d.name => (alias.clone(), Some(d.name.clone())),
                    _ => (d.name.clone(), None),
                };
                IndexDependency {
                    name,
                    req: d.version_req.clone(),
                    features: d.features.clone(),
                    optional: d.optional,
                    default_features: d.default_features,
                    target: d.target.clone(),
                    kind: d.kind.clone().unwrap_or_else(|| "normal".into()),
                    registry: d.registry.clone(),
                    package,
                }
            })
            .collect();
        let (features, features2): (BTreeMap<_, _>, BTreeMap<_, _>) = self
            .features
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .partition(|(_, values)| !values.iter().any(|v| v.starts_with("dep:") || v.contains("?/")));
        IndexEntry {
            name: self.name.clone(),
            vers: self.vers.clone(),
            deps,
            cksum: cksum.to_owned(),
            v: if features2.is_empty() { 1 } else { 2 },
            features,
            features2,
            yanked: false,
            links: self.links.clone(),
            rust_version: self.rust_version.clone(),
            pubtime,
        }
    }

    /// The index line of [`Self::index_entry`].
    pub fn index_line(&self, cksum: &str, pubtime: Option<String>) -> String {
        self.index_entry(cksum, pubtime).to_line()
    }
}

/// An index line with its `yanked` flag set: the rest is kept as it was.
pub fn with_yanked(line: &str, yanked: bool) -> Result<String, serde_json::Error> {
    let changed = crate::line::set_yanked(line.as_bytes(), yanked)?;
    // Written by serde_json from valid UTF-8: valid UTF-8.
    Ok(String::from_utf8_lossy(&changed).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(json: &[u8], krate: &[u8]) -> Vec<u8> {
        let mut b = (json.len() as u32).to_le_bytes().to_vec();
        b.extend_from_slice(json);
        b.extend_from_slice(&(krate.len() as u32).to_le_bytes());
        b.extend_from_slice(krate);
        b
    }

    #[test]
    fn bodies_are_split_with_every_length_checked() {
        let good = body(b"{}", b"crate");
        assert_eq!(split_body(&good, 100), Ok((&b"{}"[..], &b"crate"[..])));
        assert!(matches!(split_body(&good[..3], 100), Err(BodyError::Truncated(_))));
        assert!(matches!(split_body(&good[..good.len() - 1], 100), Err(BodyError::Truncated(_))));
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(split_body(&trailing, 100), Err(BodyError::TrailingBytes(1)));
        assert!(matches!(split_body(&good, 4), Err(BodyError::CrateTooLarge { size: 5, limit: 4 })));
        let mut lying = good.clone();
        lying[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(split_body(&lying, 100), Err(BodyError::MetadataTooLarge(_))));
        assert!(matches!(PublishMetadata::parse(b"[1]"), Err(BodyError::Metadata(m)) if m.contains("object")));
    }

    #[test]
    fn renamed_optional_target_build_and_dev_dependencies_become_index_deps() {
        let meta = PublishMetadata::parse(
            br#"{"name":"app","vers":"1.0.0","features":{"default":["fast"],"fast":[],"json":["dep:serde_json","serde?/std"]},
                "deps":[
                  {"name":"serde","version_req":"^1","features":["derive"],"optional":true,"default_features":false,"kind":"normal","registry":"https://github.com/rust-lang/crates.io-index"},
                  {"name":"rand","version_req":"^0.8","explicit_name_in_toml":"random","kind":"normal"},
                  {"name":"winapi","version_req":"^0.3","target":"cfg(windows)","kind":"normal"},
                  {"name":"cc","version_req":"^1","kind":"build"},
                  {"name":"proptest","version_req":"^1","kind":"dev"}
                ],"rust_version":"1.70","links":"z","unknown":1}"#,
        )
        .unwrap();
        let line: Value = serde_json::from_str(&meta.index_line("ab12", None)).unwrap();
        assert_eq!(line["cksum"], "ab12");
        assert_eq!(line["v"], 2);
        assert_eq!(line["features"], json!({"default": ["fast"], "fast": []}));
        assert_eq!(line["features2"], json!({"json": ["dep:serde_json", "serde?/std"]}));
        assert_eq!((line["rust_version"].clone(), line["links"].clone()), (json!("1.70"), json!("z")));
        let deps = line["deps"].as_array().unwrap();
        assert_eq!(deps[0]["registry"], "https://github.com/rust-lang/crates.io-index");
        assert_eq!((deps[0]["optional"].clone(), deps[0]["default_features"].clone()), (json!(true), json!(false)));
        assert_eq!((deps[1]["name"].clone(), deps[1]["package"].clone()), (json!("random"), json!("rand")));
        assert_eq!(deps[1]["req"], "^0.8");
        assert_eq!(deps[2]["target"], "cfg(windows)");
        assert_eq!((deps[3]["kind"].clone(), deps[4]["kind"].clone()), (json!("build"), json!("dev")));
        assert!(deps[2].get("registry").is_none() && deps[2].get("package").is_none());
        assert!(with_yanked(&meta.index_line("ab12", None), true).unwrap().contains(r#""yanked":true"#));
    }
}
