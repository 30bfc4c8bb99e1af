//! Index lines and paths, as cargo reads them from a sparse registry.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::CrateSpec;

/// The path of a crate's index file below the index root, from its lowercased name:
/// `1/{n}`, `2/{n}`, `3/{n[0]}/{n}` or `{n[0..2]}/{n[2..4]}/{n}`.
///
/// ```
/// use wharf_test_support::upstream::index_path;
/// assert_eq!(index_path("a"), "1/a");
/// assert_eq!(index_path("ab"), "2/ab");
/// assert_eq!(index_path("abc"), "3/a/abc");
/// assert_eq!(index_path("AbCd_Ef"), "ab/cd/abcd_ef");
/// ```
pub fn index_path(name: &str) -> String {
    let n = name.to_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// Lowercase hex SHA-256.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// One line of an index file (`cargo-util-schemas`' `IndexPackage`), in crates.io's field
/// order.
#[derive(Serialize)]
struct IndexLine<'a> {
    name: &'a str,
    vers: &'a str,
    deps: Vec<IndexDep<'a>>,
    cksum: &'a str,
    features: BTreeMap<&'a str, &'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    features2: Option<BTreeMap<&'a str, &'a [String]>>,
    yanked: bool,
    links: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rust_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pubtime: Option<&'a str>,
}

/// One dependency of an index line (`RegistryDependency`).
#[derive(Serialize)]
struct IndexDep<'a> {
    /// The name in `Cargo.toml`: the alias when renamed.
    name: &'a str,
    req: &'a str,
    features: &'a [String],
    optional: bool,
    default_features: bool,
    target: Option<&'a str>,
    kind: &'static str,
    /// `null`: the same registry.
    registry: Option<&'a str>,
    /// The real name, only when renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    package: Option<&'a str>,
}

/// The index line of `spec`, whose `.crate` has checksum `cksum`.
///
/// As crates.io does, features using the `dep:` or `name?/feature` syntax go to `features2`
/// with `"v": 2`, so that older cargos skip the version instead of misreading it.
pub(super) fn line(spec: &CrateSpec, cksum: &str) -> String {
    let is_v2 = |enables: &[String]| enables.iter().any(|e| e.starts_with("dep:") || e.contains("?/"));
    let mut features = BTreeMap::new();
    let mut features2 = BTreeMap::new();
    for (name, enables) in &spec.features {
        let map = if is_v2(enables) { &mut features2 } else { &mut features };
        map.insert(name.as_str(), enables.as_slice());
    }
    let has_v2 = !features2.is_empty();
    let line = IndexLine {
        name: &spec.name,
        vers: &spec.version,
        deps: spec
            .deps
            .iter()
            .map(|d| IndexDep {
                name: &d.name,
                req: &d.req,
                features: &d.features,
                optional: d.optional,
                default_features: d.default_features,
                target: d.target.as_deref(),
                kind: d.kind.as_str(),
                registry: None,
                package: d.package.as_deref(),
            })
            .collect(),
        cksum,
        features,
        features2: has_v2.then_some(features2),
        yanked: spec.yanked,
        links: None,
        v: has_v2.then_some(2),
        rust_version: spec.rust_version.as_deref(),
        pubtime: spec.pubtime.as_deref(),
    };
    serde_json::to_string(&line).expect("an index line serializes")
}
