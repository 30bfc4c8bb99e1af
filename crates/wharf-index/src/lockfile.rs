//! A `Cargo.lock`, as far as warming a feed needs it: the crates.io packages, each with the
//! version and checksum the lockfile pins.

use toml_parser::decoder::ScalarKind;

use crate::toml_walk::{Event, walk};

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

/// A `[[package]]` as read: the four keys kept, each at most once.
#[derive(Default)]
struct Package {
    name: Option<String>,
    version: Option<String>,
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
    let (format, lock) = read(text)?;
    if format.is_none_or(|v| v < 3) && lock.iter().any(|p| p.source.is_some() && p.checksum.is_none()) {
        return Err(LockfileError::TooOld);
    }
    let mut packages = Vec::new();
    let mut elsewhere = 0;
    for p in lock {
        let (Some(name), Some(version)) = (p.name, p.version) else {
            return Err(LockfileError::Invalid("a [[package]] without a name or a version".into()));
        };
        let from_crates_io = p.source.as_deref().is_some_and(|s| CRATES_IO.contains(&s) || Some(s) == also);
        if !from_crates_io {
            elsewhere += usize::from(p.source.is_some());
            continue;
        }
        let valid = p.checksum.as_deref().is_some_and(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        let checksum = match p.checksum {
            Some(c) if valid => c.to_ascii_lowercase(),
            other => return Err(LockfileError::BadChecksum { name, version, checksum: other }),
        };
        crate::validate_crate_name(&name).map_err(|e| LockfileError::Invalid(format!("package {name}: {e}")))?;
        packages.push(Locked { name, version, checksum });
    }
    Ok((packages, elsewhere))
}

/// The format version and the `[[package]]`s of `text`, read with memory bounded by them
/// (see [`crate::toml_walk`]); more than [`MAX_PACKAGES`] packages end the reading.
fn read(text: &str) -> Result<(Option<i64>, Vec<Package>), LockfileError> {
    let mut format: Option<Option<i64>> = None;
    let mut packages: Vec<Package> = Vec::new();
    let mut in_package = false;
    let invalid = LockfileError::Invalid;
    walk(
        text,
        |event| match event {
            Event::Table { path, array } => {
                in_package = array && path == ["package"];
                if in_package {
                    if packages.len() == MAX_PACKAGES {
                        return Err(LockfileError::TooLarge);
                    }
                    packages.push(Package::default());
                }
                Ok(())
            }
            Event::Scalar { path, kind, text } => {
                if path == ["version"] {
                    let ScalarKind::Integer(_) = kind else {
                        return Err(invalid("its `version` is not a number".into()));
                    };
                    let parsed = text.replace('_', "").parse().ok();
                    if format.replace(parsed).is_some() {
                        return Err(invalid("`version` is given twice".into()));
                    }
                    return Ok(());
                }
                let (Some(package), true, [_, key]) = (packages.last_mut(), in_package, path) else { return Ok(()) };
                let slot = match key.as_str() {
                    "name" => &mut package.name,
                    "version" => &mut package.version,
                    "source" => &mut package.source,
                    "checksum" => &mut package.checksum,
                    _ => return Ok(()),
                };
                if kind != ScalarKind::String {
                    return Err(invalid(format!("a package's `{key}` is a {}, not a string", kind.description())));
                }
                if slot.replace(text.to_owned()).is_some() {
                    return Err(invalid(format!("a package has `{key}` twice")));
                }
                Ok(())
            }
        },
        invalid,
    )?;
    Ok((format.flatten(), packages))
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

    #[test]
    fn the_package_keys_are_read_once_and_as_strings() {
        let twice = LOCK.replace("name = \"itoa\"", "name = \"itoa\"\nname = \"itoa2\"");
        assert_eq!(crates_io_packages(&twice, None), Err(LockfileError::Invalid("a package has `name` twice".into())));
        let number = LOCK.replace("version = \"1.0.11\"", "version = 1");
        assert!(
            matches!(crates_io_packages(&number, None), Err(LockfileError::Invalid(m)) if m.contains("not a string"))
        );
        let nameless = LOCK.replace("name = \"itoa\"\n", "");
        assert!(matches!(crates_io_packages(&nameless, None), Err(LockfileError::Invalid(_))));
        // An inline table is as good as a header.
        let inline = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nx = { y = [1, {z = 2}] }\n";
        assert_eq!(crates_io_packages(inline, None), Ok((vec![], 0)));
    }

    #[test]
    fn a_lockfile_of_inline_tables_is_refused_without_building_it() {
        let bomb = format!("version = 4\nx = [{}]\n", "{a=1},".repeat(MAX_LOCKFILE / 6 - 10));
        let err = crates_io_packages(&bomb, None).unwrap_err();
        assert!(err.to_string().contains("line 2: a statement of more than 65536 tokens"), "{err}");
        // The same tables one a line are walked through, nothing kept.
        let lines = format!("version = 4\n{}", "[x]\ny = {a=1}\n".repeat(MAX_LOCKFILE / 16));
        assert_eq!(crates_io_packages(&lines, None), Ok((vec![], 0)));
    }

    #[test]
    fn at_most_10000_packages() {
        let package = |i: usize| {
            format!(
                "[[package]]\nname = \"p{i}\"\nversion = \"1.0.0\"\nsource = \"sparse+https://index.crates.io/\"\nchecksum = \"{}\"\n",
                "a".repeat(64)
            )
        };
        let full: String = (0..MAX_PACKAGES).map(package).collect();
        assert_eq!(crates_io_packages(&format!("version = 4\n{full}"), None).unwrap().0.len(), MAX_PACKAGES);
        let over = format!("version = 4\n{full}{}", package(MAX_PACKAGES));
        assert_eq!(crates_io_packages(&over, None), Err(LockfileError::TooLarge));
    }
}
