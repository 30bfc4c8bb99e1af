//! Reading a bundle (a feed carried to another Wharf, see `wharf_service::registry::bundle`)
//! before anything of it is imported: a plain tar of `wharf-bundle.json`, the index files
//! under `index/`, the `.crate` files under `crates/` and `SHA256SUMS`, last.
//!
//! [`verify`] reads the whole tar once and checks every file's sha256 against `SHA256SUMS`,
//! every version's against its checksum and its index line; [`check_crates`] reads it again
//! and checks every `.crate` as a publish checks it ([`crate::crate_file`]), one at a time.
//! Both take any reader, so that they can be fuzzed; the text files are kept (each at most
//! [`MAX_TEXT`]), the `.crate` files only hashed, or held one at a time.

use std::{
    collections::{HashMap, HashSet},
    io::Read,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{crate_file, index_path, lines, publish::PublishMetadata, validate_crate_name};

/// The bundle format this Wharf writes and reads.
pub const FORMAT: u32 = 1;
/// The manifest's name in a bundle.
pub const MANIFEST: &str = "wharf-bundle.json";
/// The checksum list's name in a bundle (`sha256sum -c` reads it).
pub const SUMS: &str = "SHA256SUMS";
/// Largest file a bundle may carry: a `.crate` as large as an upstream's may be.
pub const MAX_FILE: u64 = 128 * 1024 * 1024;
/// Largest manifest or index file a bundle may carry.
pub const MAX_TEXT: u64 = 64 * 1024 * 1024;

/// The manifest of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    /// The Wharf that wrote it.
    pub generator: String,
    pub exported_at: String,
    pub feed: BundleFeed,
    pub versions: Vec<BundleVersion>,
}

/// The feed a bundle was exported from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleFeed {
    pub org: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub visibility: String,
    /// The feed's settings as Wharf stores them (an object; absent from older bundles). A
    /// feed the import creates starts with them.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub settings: serde_json::Value,
}

/// One version in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleVersion {
    pub name: String,
    pub version: String,
    /// `local` (published to the feed) or `upstream` (saved from an upstream).
    pub origin: String,
    /// Lower-case hex sha256 of the `.crate`.
    pub cksum: String,
    pub size: i64,
    /// The `.crate`'s path in the bundle.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme: Option<String>,
}

/// Where a version's `.crate` goes, in a bundle and in a static registry.
pub fn crate_path(name: &str, version: &str) -> String {
    format!("crates/{name}/{name}-{version}.crate")
}

/// A bundle whose every checksum has been checked.
#[derive(Debug)]
pub struct Verified {
    pub manifest: Manifest,
    /// Each version's index line, by (lower-cased name, version).
    pub lines: HashMap<(String, String), String>,
}

/// Reads the bundle `tar` (called `what` in messages) whole and checks it; the error is the
/// message for the person importing it.
pub fn verify(tar: impl Read, what: &str) -> Result<Verified, String> {
    let mut archive = tar::Archive::new(tar);
    let not_a_bundle = |e: std::io::Error| format!("{what} is not a Wharf bundle (a tar file): {e}");
    let mut sums_of_files = HashMap::<String, String>::new();
    let mut texts = HashMap::<String, Vec<u8>>::new();
    for entry in archive.entries().map_err(not_a_bundle)? {
        let mut entry = entry.map_err(not_a_bundle)?;
        let name = entry_name(&entry)?;
        if !entry.header().entry_type().is_file() {
            return Err(format!("the bundle holds {name}, which is not a file"));
        }
        let size = entry.header().size().map_err(not_a_bundle)?;
        let text = name == MANIFEST || name == SUMS || name.starts_with("index/");
        let limit = if text { MAX_TEXT } else { MAX_FILE };
        if size > limit {
            return Err(format!("{name} in the bundle is larger than {} MiB", limit / (1024 * 1024)));
        }
        let mut hasher = Sha256::new();
        let mut kept = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = entry.read(&mut buf).map_err(not_a_bundle)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            if text {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        if sums_of_files.insert(name.clone(), hex::encode(hasher.finalize())).is_some() {
            return Err(format!("the bundle holds {name} twice"));
        }
        if text {
            texts.insert(name, kept);
        }
    }
    let sums = texts.remove(SUMS).ok_or_else(|| format!("the bundle has no {SUMS}: it is not complete"))?;
    let sums = String::from_utf8(sums).map_err(|_| format!("{SUMS} is not text"))?;
    sums_of_files.remove(SUMS);
    let mut listed = HashSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (sum, file) =
            line.split_once("  ").ok_or_else(|| format!("{SUMS} has a line that is not `sha256  path`: {line}"))?;
        match sums_of_files.get(file) {
            None => return Err(format!("{SUMS} lists {file}, which the bundle does not hold")),
            Some(actual) if actual != sum => {
                return Err(format!(
                    "checksum mismatch: {file} has sha256 {actual}, {SUMS} says {sum}; the bundle is damaged"
                ));
            }
            Some(_) => listed.insert(file.to_owned()),
        };
    }
    if let Some(extra) = sums_of_files.keys().find(|f| !listed.contains(*f)) {
        return Err(format!("{extra} is in the bundle but not in {SUMS}"));
    }
    let manifest = texts.remove(MANIFEST).ok_or_else(|| format!("the bundle has no {MANIFEST}"))?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest).map_err(|e| format!("{MANIFEST} cannot be read: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "the bundle is of format {}, this Wharf reads format {FORMAT}; import it with a Wharf as new as the one that wrote it",
            manifest.format
        ));
    }
    let mut index = HashMap::new();
    for (file, body) in texts.iter().filter(|(f, _)| f.starts_with("index/")) {
        for (line, parsed) in lines(body) {
            let line = std::str::from_utf8(line.trim_ascii_end()).map_err(|_| format!("{file} is not text"))?;
            index.insert(
                (parsed.name.to_ascii_lowercase(), parsed.vers.clone()),
                (file.clone(), line.to_owned(), parsed),
            );
        }
    }
    let mut lines = HashMap::new();
    for v in &manifest.versions {
        let what = format!("{} {}", v.name, v.version);
        validate_crate_name(&v.name).map_err(|e| format!("{what}: {e}"))?;
        semver::Version::parse(&v.version).map_err(|e| format!("{what}: not a semantic version ({e})"))?;
        if v.origin != "local" && v.origin != "upstream" {
            return Err(format!("{what}: origin `{}` is neither `local` nor `upstream`", v.origin));
        }
        if v.file != crate_path(&v.name, &v.version) {
            return Err(format!("{what}: its file should be {}", crate_path(&v.name, &v.version)));
        }
        match sums_of_files.get(&v.file) {
            None => return Err(format!("{what}: the bundle does not hold {}", v.file)),
            Some(actual) if *actual != v.cksum => {
                return Err(format!(
                    "checksum mismatch: {} has sha256 {actual}, the manifest says {}",
                    v.file, v.cksum
                ));
            }
            Some(_) => {}
        }
        let key = (v.name.to_ascii_lowercase(), v.version.clone());
        let (file, line, parsed) =
            index.get(&key).ok_or_else(|| format!("{what}: the bundle's index has no line for it"))?;
        if *file != format!("index/{}", index_path(&v.name)) || parsed.name != v.name {
            return Err(format!("{what}: its index line is in the wrong file or names it otherwise"));
        }
        if parsed.cksum != v.cksum {
            return Err(format!(
                "checksum mismatch: the index line of {what} says {}, the file is {}",
                parsed.cksum, v.cksum
            ));
        }
        if lines.insert(key, line.clone()).is_some() {
            return Err(format!("{what} is in the manifest twice"));
        }
    }
    Ok(Verified { manifest, lines })
}

/// Reads the bundle `tar` again and checks each version's `.crate` as a publish would: its
/// entries, its manifest's name and version, and, where the bundle carries the publish
/// metadata, its `links` and `rust-version`. One file is held at a time.
pub fn check_crates(tar: impl Read, manifest: &Manifest) -> Result<(), String> {
    let by_file: HashMap<&str, &BundleVersion> = manifest.versions.iter().map(|v| (v.file.as_str(), v)).collect();
    let mut archive = tar::Archive::new(tar);
    let broken = |e: std::io::Error| format!("the bundle could not be read again: {e}");
    for entry in archive.entries().map_err(broken)? {
        let entry = entry.map_err(broken)?;
        let name = entry_name(&entry)?;
        let Some(v) = by_file.get(name.as_str()) else { continue };
        let mut bytes = Vec::new();
        entry.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(broken)?;
        let refused = |e: crate_file::CrateError| format!("{} {}: {e}", v.name, v.version);
        let limit = crate_file::unpack_limit(MAX_FILE);
        let contents = crate_file::inspect(&bytes, &v.name, &v.version, None, limit).map_err(refused)?;
        if let Some(meta) = v.metadata.as_deref().and_then(|m| PublishMetadata::parse(m.as_bytes()).ok()) {
            contents.agrees_with(meta.links.as_deref(), meta.rust_version.as_deref()).map_err(refused)?;
        }
    }
    Ok(())
}

/// The path of a tar entry, refused when it could point outside the bundle.
pub fn entry_name(entry: &tar::Entry<'_, impl Read>) -> Result<String, String> {
    let path = entry.path().map_err(|e| format!("a file name in the bundle is unreadable: {e}"))?;
    let safe = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    let name = path.to_str().filter(|_| safe).map(str::to_owned);
    name.ok_or_else(|| format!("the bundle holds {}, a path outside it", path.display()))
}
