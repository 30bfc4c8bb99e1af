//! Checking a published `.crate`: a gzip'd tar whose every entry is a plain file or
//! directory under `{name}-{version}/`, with a `Cargo.toml` naming the same package and
//! version as the publish metadata.

use std::io::Read;

/// Most bytes unpacked from one `.crate` (a zip bomb stops here).
pub const MAX_UNPACKED_LEN: u64 = 256 * 1024 * 1024;
/// Longest README kept for the package page.
pub const MAX_README_LEN: u64 = 512 * 1024;

/// Why a `.crate` was refused; `Display` is the message for the person publishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrateError {
    #[error("the .crate file is not a gzip'd tar archive: {0}")]
    NotAnArchive(String),
    #[error("the .crate entry `{0}` is not under `{1}/`")]
    OutsidePrefix(String, String),
    #[error("the .crate entry `{0}` is a {1}; only files and directories are accepted")]
    BadEntryType(String, &'static str),
    #[error("the .crate unpacks to more than {MAX_UNPACKED_LEN} bytes")]
    TooLarge,
    #[error("the .crate has no `{0}/Cargo.toml`")]
    NoManifest(String),
    #[error("the .crate's Cargo.toml is not valid: {0}")]
    BadManifest(String),
    #[error("the .crate's Cargo.toml says {field} `{found}`, the publish metadata says `{expected}`")]
    Mismatch { field: &'static str, found: String, expected: String },
}

/// What Wharf keeps from a checked `.crate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrateContents {
    /// The README named by the metadata (or `README.md`), when present and not too long.
    pub readme: Option<String>,
}

/// Checks `bytes` for package `name` version `version`.
pub fn inspect(
    bytes: &[u8],
    name: &str,
    version: &str,
    readme_file: Option<&str>,
) -> Result<CrateContents, CrateError> {
    let prefix = format!("{name}-{version}");
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz.take(MAX_UNPACKED_LEN + 1));
    let not_archive = |e: std::io::Error| CrateError::NotAnArchive(e.to_string());
    let readme_path = format!("{prefix}/{}", readme_file.unwrap_or("README.md").trim_start_matches("./"));
    let mut manifest = None;
    let mut contents = CrateContents::default();
    let mut total = 0u64;
    for entry in archive.entries().map_err(not_archive)? {
        let mut entry = entry.map_err(not_archive)?;
        let path = entry.path().map_err(not_archive)?.to_string_lossy().into_owned();
        let kind = entry.header().entry_type();
        let kind_name = match kind {
            tar::EntryType::Regular | tar::EntryType::Directory => None,
            tar::EntryType::Symlink => Some("symbolic link"),
            tar::EntryType::Link => Some("hard link"),
            _ => Some("special file"),
        };
        if let Some(kind_name) = kind_name {
            return Err(CrateError::BadEntryType(path, kind_name));
        }
        let inside = path.strip_prefix(&prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        let escapes = path.starts_with('/') || path.split('/').any(|part| part == ".." || part == ".");
        if !inside || escapes || path.contains('\\') {
            return Err(CrateError::OutsidePrefix(path, prefix));
        }
        total += entry.header().size().unwrap_or(0);
        if total > MAX_UNPACKED_LEN {
            return Err(CrateError::TooLarge);
        }
        if path == format!("{prefix}/Cargo.toml") {
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(|e| CrateError::BadManifest(e.to_string()))?;
            manifest = Some(text);
        } else if path == readme_path && entry.header().size().unwrap_or(u64::MAX) <= MAX_README_LEN {
            let mut text = String::new();
            if entry.read_to_string(&mut text).is_ok() {
                contents.readme = Some(text);
            }
        }
    }
    let manifest = manifest.ok_or_else(|| CrateError::NoManifest(prefix.clone()))?;
    let doc: toml::Table =
        manifest.parse().map_err(|e: toml::de::Error| CrateError::BadManifest(e.message().to_owned()))?;
    let package = doc.get("package").and_then(|p| p.as_table());
    let field = |key: &str| package.and_then(|p| p.get(key)).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    for (key, expected) in [("name", name), ("version", version)] {
        let found = field(key);
        if found != expected {
            return Err(CrateError::Mismatch {
                field: if key == "name" { "name" } else { "version" },
                found,
                expected: expected.to_owned(),
            });
        }
    }
    Ok(contents)
}
