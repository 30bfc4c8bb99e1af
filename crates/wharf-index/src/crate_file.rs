//! Checking a published `.crate`: a gzip'd tar whose every entry is a plain file or
//! directory under `{name}-{version}/`, with a `Cargo.toml` naming the same package and
//! version as the publish metadata.
//!
//! The archive is read as a stream, twice, and never held unpacked: a first pass over the
//! raw tar headers refuses what would make the second one hold or unpack much (sizes past
//! the unpack limit, large long-name or PAX headers, which the tar reader keeps whole in
//! memory) or frame the archive otherwise than cargo will (PAX size overrides, sparse
//! files); the second pass checks paths, entry kinds and the manifest, reading only the
//! manifest (at most [`MAX_MANIFEST_LEN`]) and the README (at most [`MAX_README_LEN`]).

use std::io::Read;

/// The least unpack limit (see [`unpack_limit`]).
pub const MAX_UNPACKED_LEN: u64 = 64 * 1024 * 1024;
/// Longest `Cargo.toml` accepted; cargo's own manifests are a few KiB.
pub const MAX_MANIFEST_LEN: u64 = 1024 * 1024;
/// Longest README kept for the package page.
pub const MAX_README_LEN: u64 = 512 * 1024;
/// Longest GNU long-name or PAX extension header (a path is at most a few KiB).
pub const MAX_EXTENSION_LEN: u64 = 64 * 1024;
/// Most entries (files and directories) in a `.crate`, as on crates.io.
pub const MAX_ENTRIES: usize = 30_000;

/// Most bytes a `.crate` of at most `max_crate_size` bytes may unpack to, tar headers
/// included: 8 times that size (source compresses about 4–6×), and at least
/// [`MAX_UNPACKED_LEN`]. It bounds the time a check takes; memory does not grow with it.
pub fn unpack_limit(max_crate_size: u64) -> u64 {
    MAX_UNPACKED_LEN.max(max_crate_size.saturating_mul(8))
}

/// `n` bytes in the largest binary unit that divides it (`64 KiB`, `1 MiB`, `1000 bytes`),
/// for messages about limits.
pub fn human_size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n.is_multiple_of(1 << 20) => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n.is_multiple_of(1 << 10) => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Why a `.crate` was refused; `Display` is the message for the person publishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrateError {
    #[error("the .crate file is not a gzip'd tar archive: {0}")]
    NotAnArchive(String),
    #[error("the .crate entry `{0}` is not under `{1}/`")]
    OutsidePrefix(String, String),
    #[error("the .crate entry `{0}` is a {1}; only files and directories are accepted")]
    BadEntryType(String, &'static str),
    #[error("the .crate unpacks to more than {max}, the most this registry unpacks", max = human_size(*.0))]
    TooLarge(u64),
    #[error("the .crate's Cargo.toml is {0} bytes long; at most {max} is accepted", max = human_size(MAX_MANIFEST_LEN))]
    ManifestTooLarge(u64),
    #[error("the .crate has a tar {kind} of {size} bytes; at most {max} is accepted", max = human_size(MAX_EXTENSION_LEN))]
    LargeExtension { kind: &'static str, size: u64 },
    #[error("the .crate has a PAX header that overrides an entry's size; build it with `cargo package`")]
    SizeOverride,
    #[error("the .crate has no `{0}/Cargo.toml`")]
    NoManifest(String),
    #[error("the .crate's Cargo.toml is not valid: {0}")]
    BadManifest(String),
    #[error("the .crate's Cargo.toml says {field} `{found}`, the publish metadata says `{expected}`")]
    Mismatch { field: &'static str, found: String, expected: String },
    #[error("the .crate has more than {MAX_ENTRIES} files and directories, the most accepted")]
    TooManyEntries,
    #[error(
        "the .crate has both `{0}` and `{1}`: on a disk that ignores case, cargo would build from either; keep one Cargo.toml"
    )]
    TwoManifests(String, String),
}

/// What Wharf keeps from a checked `.crate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrateContents {
    /// The README named by the metadata (or `README.md`), when present and not too long.
    pub readme: Option<String>,
    /// The manifest's `package.links`.
    pub links: Option<String>,
    /// The manifest's `package.rust-version`.
    pub rust_version: Option<String>,
}

impl CrateContents {
    /// Refuses publish metadata whose `links` or `rust_version` is not the manifest's: cargo
    /// builds from the manifest, so the index must say what it says.
    pub fn agrees_with(&self, links: Option<&str>, rust_version: Option<&str>) -> Result<(), CrateError> {
        for (field, found, expected) in
            [("links", self.links.as_deref(), links), ("rust-version", self.rust_version.as_deref(), rust_version)]
        {
            if found != expected {
                let shown = |v: Option<&str>| v.map_or_else(|| "(nothing)".to_owned(), str::to_owned);
                return Err(CrateError::Mismatch { field, found: shown(found), expected: shown(expected) });
            }
        }
        Ok(())
    }
}

/// Checks `bytes` for package `name` version `version`, unpacking at most `max_unpacked`
/// bytes (see [`unpack_limit`]).
pub fn inspect(
    bytes: &[u8],
    name: &str,
    version: &str,
    readme_file: Option<&str>,
    max_unpacked: u64,
) -> Result<CrateContents, CrateError> {
    check_frames(bytes, max_unpacked)?;
    let prefix = format!("{name}-{version}");
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz.take(max_unpacked.saturating_add(1)));
    let readme_path = format!("{prefix}/{}", readme_file.unwrap_or("README.md").trim_start_matches("./"));
    let mut manifest = None;
    let mut manifest_path: Option<String> = None;
    let mut contents = CrateContents::default();
    let mut total = 0u64;
    for (count, entry) in archive.entries().map_err(not_archive)?.enumerate() {
        if count == MAX_ENTRIES {
            return Err(CrateError::TooManyEntries);
        }
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
        let size = entry.size();
        total = total.saturating_add(size);
        if total > max_unpacked {
            return Err(CrateError::TooLarge(max_unpacked));
        }
        // Any spelling of Cargo.toml is one on a disk that ignores case.
        if path[prefix.len()..].to_lowercase() == "/cargo.toml"
            && let Some(first) = manifest_path.replace(path.clone())
        {
            return Err(CrateError::TwoManifests(first, path));
        }
        if path == format!("{prefix}/Cargo.toml") {
            if size > MAX_MANIFEST_LEN {
                return Err(CrateError::ManifestTooLarge(size));
            }
            let mut text = String::new();
            (&mut entry)
                .take(MAX_MANIFEST_LEN)
                .read_to_string(&mut text)
                .map_err(|e| CrateError::BadManifest(e.to_string()))?;
            manifest = Some(text);
        } else if path == readme_path && size <= MAX_README_LEN {
            let mut text = String::new();
            if (&mut entry).take(MAX_README_LEN).read_to_string(&mut text).is_ok() {
                contents.readme = Some(text);
            }
        }
    }
    let manifest = manifest.ok_or_else(|| CrateError::NoManifest(prefix.clone()))?;
    let package = read_manifest(&manifest)?;
    for (field, found, expected) in [("name", package.name, name), ("version", package.version, version)] {
        if found.as_deref() != Some(expected) {
            let found = found.unwrap_or_default();
            return Err(CrateError::Mismatch { field, found, expected: expected.to_owned() });
        }
    }
    (contents.links, contents.rust_version) = (package.links, package.rust_version);
    Ok(contents)
}

/// The keys of `[package]` the check needs.
#[derive(Default)]
struct Package {
    name: Option<String>,
    version: Option<String>,
    links: Option<String>,
    rust_version: Option<String>,
}

/// Reads `package.name`, `.version`, `.links` and `.rust-version` from a manifest with
/// memory bounded by them (see [`crate::toml_walk`]); each must be a string given once.
fn read_manifest(text: &str) -> Result<Package, CrateError> {
    let mut package = Package::default();
    crate::toml_walk::walk(
        text,
        |event| {
            let crate::toml_walk::Event::Scalar { path: [table, key], kind, text } = event else { return Ok(()) };
            let slot = match (table.as_str(), key.as_str()) {
                ("package", "name") => &mut package.name,
                ("package", "version") => &mut package.version,
                ("package", "links") => &mut package.links,
                ("package", "rust-version") => &mut package.rust_version,
                _ => return Ok(()),
            };
            if kind != toml_parser::decoder::ScalarKind::String {
                return Err(CrateError::BadManifest(format!(
                    "`package.{key}` is a {}, not a string",
                    kind.description()
                )));
            }
            if slot.replace(text.to_owned()).is_some() {
                return Err(CrateError::BadManifest(format!("`package.{key}` is given twice")));
            }
            Ok(())
        },
        CrateError::BadManifest,
    )?;
    Ok(package)
}

fn not_archive(e: std::io::Error) -> CrateError {
    CrateError::NotAnArchive(e.to_string())
}

/// The first pass, over the raw tar headers (no long names or PAX applied): refuses an
/// archive whose headers and declared sizes pass `max_unpacked`, whose extension headers
/// would be held whole in memory by the second pass, or whose framing the second pass (and
/// cargo) would read otherwise than this pass does.
fn check_frames(bytes: &[u8], max_unpacked: u64) -> Result<(), CrateError> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz.take(max_unpacked.saturating_add(1)));
    let mut total = 0u64;
    for entry in archive.entries().map_err(not_archive)?.raw(true) {
        let mut entry = entry.map_err(not_archive)?;
        let size = entry.size();
        // A header block, then the data padded to whole blocks.
        total = total.saturating_add(512).saturating_add(size.div_ceil(512).saturating_mul(512));
        if total > max_unpacked {
            return Err(CrateError::TooLarge(max_unpacked));
        }
        let kind = entry.header().entry_type();
        if kind.is_gnu_sparse() {
            let path = entry.path().map_err(not_archive)?.to_string_lossy().into_owned();
            return Err(CrateError::BadEntryType(path, "sparse file"));
        }
        let pax = kind.is_pax_local_extensions() || kind.is_pax_global_extensions();
        if kind.is_gnu_longname() || kind.is_gnu_longlink() || pax {
            if size > MAX_EXTENSION_LEN {
                let kind = if pax { "PAX header" } else { "long-name header" };
                return Err(CrateError::LargeExtension { kind, size });
            }
            if pax && let Some(extensions) = entry.pax_extensions().map_err(not_archive)? {
                for extension in extensions {
                    if extension.map_err(not_archive)?.key_bytes() == b"size" {
                        return Err(CrateError::SizeOverride);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    const MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"1.0.0\"\n";

    /// A gzip'd tar of `(header, data)` entries, the headers as given.
    fn archive(entries: Vec<(tar::Header, Box<dyn Read>)>) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for (header, data) in entries {
            builder.append(&header, data).unwrap();
        }
        let mut gz = builder.into_inner().unwrap();
        gz.flush().unwrap();
        gz.finish().unwrap()
    }

    fn file(path: &str, kind: tar::EntryType, data: impl Read + 'static, size: u64) -> (tar::Header, Box<dyn Read>) {
        let mut header = tar::Header::new_gnu();
        header.set_path(path).unwrap();
        header.set_entry_type(kind);
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        (header, Box::new(data))
    }

    fn text(path: &str, contents: &str) -> (tar::Header, Box<dyn Read>) {
        let bytes = contents.as_bytes().to_vec();
        let len = bytes.len() as u64;
        file(path, tar::EntryType::Regular, std::io::Cursor::new(bytes), len)
    }

    fn zeros(path: &str, len: u64) -> (tar::Header, Box<dyn Read>) {
        file(path, tar::EntryType::Regular, std::io::repeat(0).take(len), len)
    }

    fn check(bytes: &[u8], limit: u64) -> Result<CrateContents, CrateError> {
        inspect(bytes, "demo", "1.0.0", None, limit)
    }

    #[test]
    fn a_plain_crate_passes_with_its_readme() {
        let bytes = archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST), text("demo-1.0.0/README.md", "# Demo\n")]);
        let contents = check(&bytes, MAX_UNPACKED_LEN).unwrap();
        assert_eq!(contents.readme.as_deref(), Some("# Demo\n"));
    }

    #[test]
    fn a_manifest_over_1_mib_is_refused_before_it_is_read() {
        let padding = "#".repeat(MAX_MANIFEST_LEN as usize);
        let bytes = archive(vec![text("demo-1.0.0/Cargo.toml", &format!("{MANIFEST}{padding}\n"))]);
        let err = check(&bytes, MAX_UNPACKED_LEN).unwrap_err();
        assert_eq!(err, CrateError::ManifestTooLarge(MAX_MANIFEST_LEN + MANIFEST.len() as u64 + 1));
        assert!(err.to_string().contains("at most 1 MiB is accepted"), "{err}");
        // One MiB exactly is fine.
        let exact = format!("{MANIFEST}{}\n", "#".repeat(MAX_MANIFEST_LEN as usize - MANIFEST.len() - 1));
        assert!(check(&archive(vec![text("demo-1.0.0/Cargo.toml", &exact)]), MAX_UNPACKED_LEN).is_ok());
    }

    #[test]
    fn a_gzip_bomb_is_refused_at_the_unpack_limit() {
        // 2 MiB of zeros compress to about 2 KiB; the limit here is 1 MiB.
        let one_big = archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST), zeros("demo-1.0.0/big", 2 << 20)]);
        assert!(one_big.len() < 16 * 1024, "{}", one_big.len());
        assert_eq!(check(&one_big, 1 << 20), Err(CrateError::TooLarge(1 << 20)));
        // Many small entries add up the same way, their headers counted.
        let many: Vec<_> = (0..40).map(|i| zeros(&format!("demo-1.0.0/part{i}"), 32 * 1024)).collect();
        let err = check(&archive(many), 1 << 20).unwrap_err();
        assert_eq!(err, CrateError::TooLarge(1 << 20));
        assert_eq!(err.to_string(), "the .crate unpacks to more than 1 MiB, the most this registry unpacks");
        // Under the limit, the same bytes pass.
        assert!(check(&one_big, 4 << 20).is_ok());
    }

    #[test]
    fn large_extension_headers_are_refused_before_they_are_held() {
        // A GNU long name of 1 MiB: the tar reader would keep it whole in memory.
        let mut longname = tar::Header::new_gnu();
        longname.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        longname.set_entry_type(tar::EntryType::GNULongName);
        longname.set_size(1 << 20);
        longname.set_cksum();
        let long = archive(vec![
            (longname, Box::new(std::io::repeat(b'a').take(1 << 20))),
            text("demo-1.0.0/Cargo.toml", MANIFEST),
        ]);
        assert_eq!(
            check(&long, MAX_UNPACKED_LEN),
            Err(CrateError::LargeExtension { kind: "long-name header", size: 1 << 20 })
        );
    }

    #[test]
    fn a_pax_size_override_is_refused() {
        // The PAX record makes the next entry 600 bytes long to a PAX reader, and as long as
        // its header says to one that ignores PAX: two readers would see two archives.
        let record = "12 size=600\n";
        let mut pax = tar::Header::new_ustar();
        pax.set_path("PaxHeaders/x").unwrap();
        pax.set_entry_type(tar::EntryType::XHeader);
        pax.set_size(record.len() as u64);
        pax.set_cksum();
        let bytes = archive(vec![
            (pax, Box::new(std::io::Cursor::new(record.as_bytes().to_vec()))),
            text("demo-1.0.0/Cargo.toml", MANIFEST),
        ]);
        assert_eq!(check(&bytes, MAX_UNPACKED_LEN), Err(CrateError::SizeOverride));
    }

    #[test]
    fn a_second_cargo_toml_in_another_case_is_refused() {
        let two = archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST), text("demo-1.0.0/CARGO.TOML", MANIFEST)]);
        let err = check(&two, MAX_UNPACKED_LEN).unwrap_err();
        assert_eq!(err, CrateError::TwoManifests("demo-1.0.0/Cargo.toml".into(), "demo-1.0.0/CARGO.TOML".into()));
        assert!(err.to_string().contains("keep one Cargo.toml"), "{err}");
        // The same path twice is two manifests as well.
        let twice = archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST), text("demo-1.0.0/Cargo.toml", MANIFEST)]);
        assert!(matches!(check(&twice, MAX_UNPACKED_LEN), Err(CrateError::TwoManifests(..))));
        // Only in another case: cargo would not find it where it looks.
        let other = archive(vec![text("demo-1.0.0/cargo.toml", MANIFEST)]);
        assert_eq!(check(&other, MAX_UNPACKED_LEN), Err(CrateError::NoManifest("demo-1.0.0".into())));
        // A Cargo.toml deeper down (a test fixture) is another file.
        let nested = archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST), text("demo-1.0.0/tests/x/Cargo.toml", "x")]);
        assert!(check(&nested, MAX_UNPACKED_LEN).is_ok());
    }

    #[test]
    fn more_than_30000_entries_are_refused() {
        let entries = |n: usize| {
            let mut all = vec![text("demo-1.0.0/Cargo.toml", MANIFEST)];
            all.extend(
                (1..n).map(|i| file(&format!("demo-1.0.0/d{i}"), tar::EntryType::Directory, std::io::empty(), 0)),
            );
            archive(all)
        };
        assert!(check(&entries(MAX_ENTRIES), MAX_UNPACKED_LEN).is_ok());
        let err = check(&entries(MAX_ENTRIES + 1), MAX_UNPACKED_LEN).unwrap_err();
        assert_eq!(err, CrateError::TooManyEntries);
        assert_eq!(err.to_string(), "the .crate has more than 30000 files and directories, the most accepted");
    }

    #[test]
    fn links_and_rust_version_must_agree_with_the_metadata() {
        let manifest = format!("{MANIFEST}links = \"z\"\nrust-version = \"1.70\"\n");
        let contents = check(&archive(vec![text("demo-1.0.0/Cargo.toml", &manifest)]), MAX_UNPACKED_LEN).unwrap();
        assert_eq!((contents.links.as_deref(), contents.rust_version.as_deref()), (Some("z"), Some("1.70")));
        assert_eq!(contents.agrees_with(Some("z"), Some("1.70")), Ok(()));
        let err = contents.agrees_with(None, Some("1.70")).unwrap_err();
        assert_eq!(err.to_string(), "the .crate's Cargo.toml says links `z`, the publish metadata says `(nothing)`");
        assert!(matches!(
            contents.agrees_with(Some("z"), Some("1.60")),
            Err(CrateError::Mismatch { field: "rust-version", .. })
        ));
        let plain = check(&archive(vec![text("demo-1.0.0/Cargo.toml", MANIFEST)]), MAX_UNPACKED_LEN).unwrap();
        assert_eq!(plain.agrees_with(None, None), Ok(()));
        assert!(plain.agrees_with(Some("z"), None).is_err());
    }

    #[test]
    fn the_manifest_is_read_as_toml_whatever_its_shape() {
        let read = |manifest: &str| check(&archive(vec![text("demo-1.0.0/Cargo.toml", manifest)]), MAX_UNPACKED_LEN);
        assert!(read("package = { name = \"demo\", version = \"1.0.0\" }\n").is_ok());
        assert!(read("package.name = \"demo\"\npackage.version = '1.0.0'\n").is_ok());
        let twice = read(&format!("{MANIFEST}[package]\nname = \"other\"\n")).unwrap_err();
        assert_eq!(twice, CrateError::BadManifest("`package.name` is given twice".into()));
        assert!(matches!(read("[package]\nname = 1\nversion = \"1.0.0\"\n"), Err(CrateError::BadManifest(_))));
        assert!(matches!(read("[package\n"), Err(CrateError::BadManifest(_))));
        // Nearly 1 MiB of inline tables is read statement by statement.
        let tables: String = (0..60_000).map(|i| format!("t{i} = {{a=1}}\n")).collect();
        assert!(read(&format!("{MANIFEST}[package.metadata]\n{tables}")).is_ok());
        // One statement of them is more than a manifest needs.
        let one = format!("{MANIFEST}[package.metadata]\nx = [{}]\n", "{a=1},".repeat(150_000));
        let err = read(&one).unwrap_err();
        assert!(err.to_string().contains("line 5: a statement of more than 65536 tokens"), "{err}");
    }

    #[test]
    fn the_unpack_limit_grows_with_the_crate_limit() {
        assert_eq!(unpack_limit(1024), MAX_UNPACKED_LEN);
        assert_eq!(unpack_limit(10 << 20), 80 << 20);
        assert_eq!(unpack_limit(u64::MAX), u64::MAX);
    }
}
