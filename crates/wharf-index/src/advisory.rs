//! RustSec advisories in their published format: the `advisory-db` repository's
//! `crates/{crate}/RUSTSEC-YYYY-NNNN.md` files, each a fenced TOML front matter followed by
//! Markdown whose first heading is the title. Read from a directory or a tarball of that
//! layout (GitHub's archive puts it under one top directory; both are accepted).

use std::{io::Read, path::Path};

use serde::Deserialize;

/// Largest advisory file read; real ones are a few KiB.
pub const MAX_FILE: u64 = 256 * 1024;
/// Most bytes unpacked from one archive (the whole advisory-db is about 10 MiB).
pub const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// One advisory, as Wharf keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `RUSTSEC-2024-0001`.
    pub id: String,
    /// The crate, as named.
    pub package: String,
    pub title: String,
    /// The advisory's page.
    pub url: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `vulnerability`, `malicious`, or the informational kind (`unmaintained`,
    /// `unsound`, `notice`).
    pub kind: String,
    /// From the CVSS vector: `none`, `low`, `medium`, `high` or `critical`.
    pub severity: Option<String>,
    pub cvss: Option<String>,
    /// Requirements the safe versions meet.
    pub patched: Vec<String>,
    pub unaffected: Vec<String>,
    pub aliases: Vec<String>,
    /// Withdrawn advisories are no longer in force.
    pub withdrawn: bool,
}

impl Advisory {
    /// Whether `version` is affected: it meets neither a `patched` nor an `unaffected`
    /// requirement, as semver matches them (so a pre-release counts as patched only when a
    /// requirement names its own version: the cautious side). A version that does not
    /// parse is not judged (not affected).
    pub fn affects(&self, version: &str) -> bool {
        let Ok(version) = semver::Version::parse(version) else { return false };
        let meets = |reqs: &[String]| {
            reqs.iter().filter_map(|r| semver::VersionReq::parse(r).ok()).any(|req| req.matches(&version))
        };
        !meets(&self.patched) && !meets(&self.unaffected)
    }

    /// Whether it warns of a vulnerability or malice (informational advisories only inform).
    pub fn is_in_force(&self) -> bool {
        !self.withdrawn && matches!(self.kind.as_str(), "vulnerability" | "malicious")
    }
}

#[derive(Debug, Deserialize)]
struct FrontMatter {
    advisory: Head,
    #[serde(default)]
    versions: Versions,
}

#[derive(Debug, Deserialize)]
struct Head {
    id: String,
    package: String,
    /// `YYYY-MM-DD`, quoted, as advisory-db writes it.
    date: Option<String>,
    url: Option<String>,
    title: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    cvss: Option<String>,
    informational: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    withdrawn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Why a file is not an advisory.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdvisoryError {
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// Parses one advisory file (`name` is for messages).
pub fn parse(name: &str, text: &str) -> Result<Advisory, AdvisoryError> {
    let invalid = |reason: String| AdvisoryError::Invalid { file: name.to_owned(), reason };
    let text = text.trim_start_matches('\u{feff}');
    let rest =
        text.strip_prefix("```toml").ok_or_else(|| invalid("it does not start with a ```toml front matter".into()))?;
    let end = rest.find("\n```").ok_or_else(|| invalid("its front matter is not closed with ```".into()))?;
    let (front, markdown) = (&rest[..end], &rest[end + 4..]);
    let front: FrontMatter = toml::from_str(front).map_err(|e| invalid(format!("its front matter: {e}")))?;
    let head = front.advisory;
    let id_ok = head.id.starts_with("RUSTSEC-")
        && head.id.len() <= 32
        && head.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        return Err(invalid(format!("'{}' is not a RUSTSEC id", head.id)));
    }
    crate::validate_crate_name(&head.package).map_err(|e| invalid(format!("package: {e}")))?;
    for req in front.versions.patched.iter().chain(&front.versions.unaffected) {
        semver::VersionReq::parse(req).map_err(|e| invalid(format!("version requirement '{req}': {e}")))?;
    }
    let title = head.title.clone().or_else(|| heading(markdown)).unwrap_or_else(|| head.id.clone());
    let malicious = |words: &[String]| words.iter().any(|w| w.eq_ignore_ascii_case("malicious"));
    let kind = match &head.informational {
        Some(kind) => kind.to_ascii_lowercase(),
        None if malicious(&head.categories)
            || malicious(&head.keywords)
            || title.to_ascii_lowercase().contains("malicious") =>
        {
            "malicious".to_owned()
        }
        None => "vulnerability".to_owned(),
    };
    let severity = head
        .cvss
        .as_deref()
        .and_then(|v| v.parse::<cvss::v3::Base>().ok())
        .map(|base| base.severity().as_str().to_owned());
    Ok(Advisory {
        url: page_url(&head.id, head.url.as_deref()),
        id: head.id,
        package: head.package,
        title: title.chars().take(300).collect(),
        date: head.date.unwrap_or_default(),
        kind,
        severity,
        cvss: head.cvss,
        patched: front.versions.patched,
        unaffected: front.versions.unaffected,
        aliases: head.aliases,
        withdrawn: head.withdrawn.is_some(),
    })
}

/// The address an advisory's link may carry: its own `url` only when that is an `http(s)`
/// URL (a `javascript:` one would run in the portal's origin when a reader clicks it),
/// otherwise RustSec's page for the id.
pub fn page_url(id: &str, url: Option<&str>) -> String {
    url.and_then(|u| url::Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map_or_else(|| format!("https://rustsec.org/advisories/{id}.html"), String::from)
}

/// The first Markdown heading's text.
fn heading(markdown: &str) -> Option<String> {
    markdown.lines().find_map(|l| l.strip_prefix("# ")).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// Whether `path` (inside a directory or archive) is an advisory file of the layout:
/// `…crates/{crate}/RUSTSEC-….md`.
fn is_advisory_path(path: &Path) -> bool {
    let parts: Vec<_> = path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [.., crates, _, file] => crates == "crates" && file.starts_with("RUSTSEC-") && file.ends_with(".md"),
        _ => false,
    }
}

/// What an import read: the advisories, and the files it could not (with why).
#[derive(Debug, Default)]
pub struct Loaded {
    pub advisories: Vec<Advisory>,
    pub rejected: Vec<AdvisoryError>,
}

impl Loaded {
    fn take(&mut self, name: &str, text: &str) {
        match parse(name, text) {
            Ok(advisory) => self.advisories.push(advisory),
            Err(e) => self.rejected.push(e),
        }
    }
}

/// Why nothing could be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("this is not a gzip-compressed tarball of the advisory-db layout: {0}")]
    NotATarball(String),
    #[error("the archive unpacks to more than {} MiB", MAX_UNPACKED / (1024 * 1024))]
    TooLarge,
    #[error("no advisory found: expected files named crates/{{crate}}/RUSTSEC-….md")]
    Empty,
}

/// Reads every advisory of a `.tar.gz` of the advisory-db layout.
pub fn read_tarball(reader: impl std::io::Read) -> Result<Loaded, ArchiveError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    let mut read = Loaded::default();
    let mut unpacked = 0u64;
    let entries = archive.entries().map_err(|e| ArchiveError::NotATarball(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| ArchiveError::NotATarball(e.to_string()))?;
        let path = entry.path().map_err(|e| ArchiveError::NotATarball(e.to_string()))?.into_owned();
        if !entry.header().entry_type().is_file() || !is_advisory_path(&path) {
            continue;
        }
        let name = path.display().to_string();
        if entry.size() > MAX_FILE {
            read.rejected.push(AdvisoryError::Invalid { file: name, reason: format!("larger than {MAX_FILE} bytes") });
            continue;
        }
        unpacked += entry.size();
        if unpacked > MAX_UNPACKED {
            return Err(ArchiveError::TooLarge);
        }
        let mut text = String::new();
        match entry.by_ref().take(MAX_FILE).read_to_string(&mut text) {
            Ok(_) => read.take(&name, &text),
            Err(e) => read.rejected.push(AdvisoryError::Invalid { file: name, reason: e.to_string() }),
        }
    }
    if read.advisories.is_empty() && read.rejected.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(read)
}

/// Reads every advisory under `dir` (the advisory-db checkout, or its `crates` directory's
/// parent).
pub fn read_dir(dir: &Path) -> Result<Loaded, ArchiveError> {
    let crates = dir.join("crates");
    let io = |p: &Path, e| ArchiveError::Io(p.display().to_string(), e);
    let mut read = Loaded::default();
    for krate in std::fs::read_dir(&crates).map_err(|e| io(&crates, e))? {
        let krate = krate.map_err(|e| io(&crates, e))?.path();
        if !krate.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&krate).map_err(|e| io(&krate, e))? {
            let file = file.map_err(|e| io(&krate, e))?.path();
            if !is_advisory_path(&file) || !file.is_file() {
                continue;
            }
            let name = file.display().to_string();
            match std::fs::metadata(&file) {
                Ok(m) if m.len() > MAX_FILE => read
                    .rejected
                    .push(AdvisoryError::Invalid { file: name, reason: format!("larger than {MAX_FILE} bytes") }),
                Ok(_) => match std::fs::read_to_string(&file) {
                    Ok(text) => read.take(&name, &text),
                    Err(e) => read.rejected.push(AdvisoryError::Invalid { file: name, reason: e.to_string() }),
                },
                Err(e) => read.rejected.push(AdvisoryError::Invalid { file: name, reason: e.to_string() }),
            }
        }
    }
    if read.advisories.is_empty() && read.rejected.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "tricky"
date = "2099-01-02"
url = "https://example.com/tricky"
categories = ["memory-corruption"]
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"

[versions]
patched = [">= 1.2.3", "^0.9.5"]
unaffected = ["< 0.5.0"]
```

# Use after free in `tricky::parse`

Details.
"#;

    #[test]
    fn reads_the_front_matter_and_the_title() {
        let a = parse("x.md", SAMPLE).unwrap();
        assert_eq!(a.id, "RUSTSEC-2099-0001");
        assert_eq!(a.package, "tricky");
        assert_eq!(a.title, "Use after free in `tricky::parse`");
        assert_eq!(a.date, "2099-01-02");
        assert_eq!(a.kind, "vulnerability");
        assert_eq!(a.severity.as_deref(), Some("critical"));
        assert!(a.is_in_force());
    }

    #[test]
    fn judges_versions_by_patched_and_unaffected() {
        let a = parse("x.md", SAMPLE).unwrap();
        for (version, affected) in [
            ("1.2.3", false),
            ("1.3.0", false),
            ("1.2.2", true),
            ("1.0.0", true),
            ("0.9.4", true),
            ("0.9.5", false),
            ("0.4.0", false),
            ("1.2.3-rc.1", true),
            ("not a version", false),
        ] {
            assert_eq!(a.affects(version), affected, "{version}");
        }
    }

    #[test]
    fn knows_malicious_and_informational_advisories() {
        let malicious = SAMPLE.replace("# Use after free", "# Malicious code").replace("[\"memory-corruption\"]", "[]");
        assert_eq!(parse("x.md", &malicious).unwrap().kind, "malicious");
        let info = SAMPLE.replace("cvss = ", "informational = \"unmaintained\"\ncvss = ");
        let info = parse("x.md", &info).unwrap();
        assert_eq!(info.kind, "unmaintained");
        assert!(!info.is_in_force());
        let withdrawn = SAMPLE.replace("cvss = ", "withdrawn = \"2099-02-01\"\ncvss = ");
        assert!(!parse("x.md", &withdrawn).unwrap().is_in_force());
    }

    #[test]
    fn refuses_what_is_not_an_advisory_and_says_why() {
        for (text, reason) in [
            ("# just markdown", "does not start with"),
            ("```toml\n[advisory]\nid = \"RUSTSEC-1\"\n", "not closed"),
            ("```toml\n[advisory]\nid = 3\n```\n", "front matter"),
            ("```toml\n[advisory]\nid = \"CVE-1\"\npackage = \"a\"\n```\n", "not a RUSTSEC id"),
            ("```toml\n[advisory]\nid = \"RUSTSEC-1\"\npackage = \"a b\"\n```\n", "package"),
            (
                "```toml\n[advisory]\nid = \"RUSTSEC-1\"\npackage = \"a\"\n[versions]\npatched = [\"~>1\"]\n```\n",
                "requirement",
            ),
        ] {
            let err = parse("f.md", text).unwrap_err().to_string();
            assert!(err.starts_with("f.md: ") && err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn links_only_to_http_pages() {
        assert_eq!(parse("x.md", SAMPLE).unwrap().url, "https://example.com/tricky");
        let rustsec = "https://rustsec.org/advisories/RUSTSEC-2099-0001.html";
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example/x",
            "/relative",
            "",
        ] {
            let text = SAMPLE.replace("https://example.com/tricky", url);
            assert_eq!(parse("x.md", &text).unwrap().url, rustsec, "{url:?}");
        }
        let without = SAMPLE.replace("url = \"https://example.com/tricky\"\n", "");
        assert_eq!(parse("x.md", &without).unwrap().url, rustsec);
        assert_eq!(page_url("RUSTSEC-1", Some("HTTP://Example.com/a")), "http://example.com/a");
    }

    #[test]
    fn finds_advisories_in_the_layout_only() {
        assert!(is_advisory_path(Path::new("advisory-db-main/crates/foo/RUSTSEC-2020-0001.md")));
        assert!(is_advisory_path(Path::new("crates/foo/RUSTSEC-2020-0001.md")));
        assert!(!is_advisory_path(Path::new("rust/std/RUSTSEC-2020-0001.md")));
        assert!(!is_advisory_path(Path::new("crates/foo/README.md")));
    }
}
