//! A `Cargo.lock`, as far as warming a feed needs it: the crates.io packages, each with the
//! version and checksum the lockfile pins.

use serde::Deserialize;

/// The sources that name crates.io in a lockfile.
const CRATES_IO: [&str; 2] =
    ["registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"];

/// Largest lockfile read.
pub const MAX_LOCKFILE: usize = 4 * 1024 * 1024;
/// Most packages one lockfile may name.
pub const MAX_PACKAGES: usize = 10_000;

/// A package the lockfile pins from crates.io.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    /// The sha256 of its `.crate` file, lower-case hex.
    pub checksum: String,
}

#[derive(Deserialize)]
struct Lockfile {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// What is wrong with a lockfile.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LockfileError {
    #[error("this is not a Cargo.lock: {0}")]
    Invalid(String),
    #[error(
        "this Cargo.lock is of format version 1 or 2, without checksums per package: regenerate it with a current cargo"
    )]
    TooOld,
    #[error("this Cargo.lock names more than {MAX_PACKAGES} packages")]
    TooLarge,
    #[error("package {name} {version} has no valid checksum ({checksum:?})")]
    BadChecksum { name: String, version: String, checksum: Option<String> },
}

/// The crates.io packages of `text` (those of `also`, an index this feed is known by, too),
/// and how many packages it names from elsewhere (paths, git, other registries).
pub fn crates_io_packages(text: &str, also: Option<&str>) -> Result<(Vec<Locked>, usize), LockfileError> {
    let lock: Lockfile = toml::from_str(text).map_err(|e| LockfileError::Invalid(e.message().to_owned()))?;
    if lock.version.is_none_or(|v| v < 3) && lock.package.iter().any(|p| p.source.is_some() && p.checksum.is_none()) {
        return Err(LockfileError::TooOld);
    }
    if lock.package.len() > MAX_PACKAGES {
        return Err(LockfileError::TooLarge);
    }
    let mut packages = Vec::new();
    let mut elsewhere = 0;
    for p in lock.package {
        let from_crates_io = p.source.as_deref().is_some_and(|s| CRATES_IO.contains(&s) || Some(s) == also);
        if !from_crates_io {
            elsewhere += usize::from(p.source.is_some());
            continue;
        }
        let valid = p.checksum.as_deref().is_some_and(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        let checksum = match p.checksum {
            Some(c) if valid => c.to_ascii_lowercase(),
            other => return Err(LockfileError::BadChecksum { name: p.name, version: p.version, checksum: other }),
        };
        crate::validate_crate_name(&p.name).map_err(|e| LockfileError::Invalid(format!("package {}: {e}", p.name)))?;
        packages.push(Locked { name: p.name, version: p.version, checksum });
    }
    Ok((packages, elsewhere))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "ddc6f9cc94d67c0e21aaf7eda3a010fd3af78ebf6e096aa6e2e13c79749cce4f"

[[package]]
name = "itoa"
version = "1.0.11"
source = "sparse+https://index.crates.io/"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "forked"
version = "0.1.0"
source = "git+https://example.com/forked#abc"
"#;

    #[test]
    fn keeps_the_crates_io_packages_with_their_checksums() {
        let (packages, elsewhere) = crates_io_packages(LOCK, None).unwrap();
        let names: Vec<_> = packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
        assert_eq!(names, [("serde", "1.0.200"), ("itoa", "1.0.11")]);
        assert_eq!(elsewhere, 1);
    }

    #[test]
    fn refuses_what_it_cannot_trust() {
        assert!(matches!(crates_io_packages("[[package]\n", None), Err(LockfileError::Invalid(_))));
        let bad = LOCK.replace("ddc6f9cc94d67c0e21aaf7eda3a010fd3af78ebf6e096aa6e2e13c79749cce4f", "xyz");
        assert!(matches!(crates_io_packages(&bad, None), Err(LockfileError::BadChecksum { .. })));
        let old = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        assert_eq!(crates_io_packages(old, None), Err(LockfileError::TooOld));
    }
}
