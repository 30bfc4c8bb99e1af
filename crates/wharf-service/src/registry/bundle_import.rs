//! Importing a bundle (see [`super::bundle`]) into a feed, in three passes:
//!
//! 1. the whole file is read and every file's sha256 compared with `SHA256SUMS`, every
//!    version's with its checksum and its index line; any mismatch refuses the bundle;
//! 2. every version is compared with what the feed holds: a version it has with another
//!    file (or a name in another spelling) refuses the bundle, naming each;
//! 3. only then the versions go in, one transaction each, the file stored first; a version
//!    the feed has with the same file is left alone, so importing again changes nothing.
//!
//! A bundle refused in pass 1 or 2 leaves the feed as it was.

use std::{
    collections::{HashMap, HashSet},
    io::{self, Read},
    path::{Path, PathBuf},
};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use wharf_db::{Feed, ImportOutcome, ImportedVersion};
use wharf_index::{index_path, lines, validate_crate_name};

use super::{
    Registry,
    bundle::{
        BundleError, BundleVersion, FORMAT, MANIFEST, MAX_FILE, MAX_TEXT, Manifest, Progress, Report, SUMS, Step,
    },
};
use crate::Change;

/// A bundle whose every checksum has been checked.
pub struct Verified {
    pub manifest: Manifest,
    /// Each version's index line, by (lower-cased name, version).
    lines: HashMap<(String, String), String>,
}

/// Reads the bundle at `path` whole and checks it (pass 1); blocking.
pub fn verify(path: &Path) -> Result<Verified, BundleError> {
    let invalid = |m: String| BundleError::Invalid(m);
    let file = std::fs::File::open(path).map_err(super::bundle::io_error(format!("cannot open {}", path.display())))?;
    let mut archive = tar::Archive::new(io::BufReader::new(file));
    let not_a_bundle = |e: io::Error| invalid(format!("{} is not a Wharf bundle (a tar file): {e}", path.display()));
    let mut sums_of_files = HashMap::<String, String>::new();
    let mut texts = HashMap::<String, Vec<u8>>::new();
    for entry in archive.entries().map_err(not_a_bundle)? {
        let mut entry = entry.map_err(not_a_bundle)?;
        let name = entry_name(&entry)?;
        if !entry.header().entry_type().is_file() {
            return Err(invalid(format!("the bundle holds {name}, which is not a file")));
        }
        let size = entry.header().size().map_err(not_a_bundle)?;
        let text = name == MANIFEST || name == SUMS || name.starts_with("index/");
        let limit = if text { MAX_TEXT } else { MAX_FILE };
        if size > limit {
            return Err(invalid(format!("{name} in the bundle is larger than {} MiB", limit / (1024 * 1024))));
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
            return Err(invalid(format!("the bundle holds {name} twice")));
        }
        if text {
            texts.insert(name, kept);
        }
    }
    let sums = texts.remove(SUMS).ok_or_else(|| invalid(format!("the bundle has no {SUMS}: it is not complete")))?;
    let sums = String::from_utf8(sums).map_err(|_| invalid(format!("{SUMS} is not text")))?;
    sums_of_files.remove(SUMS);
    let mut listed = HashSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (sum, file) = line
            .split_once("  ")
            .ok_or_else(|| invalid(format!("{SUMS} has a line that is not `sha256  path`: {line}")))?;
        match sums_of_files.get(file) {
            None => return Err(invalid(format!("{SUMS} lists {file}, which the bundle does not hold"))),
            Some(actual) if actual != sum => {
                return Err(invalid(format!(
                    "checksum mismatch: {file} has sha256 {actual}, {SUMS} says {sum}; the bundle is damaged"
                )));
            }
            Some(_) => listed.insert(file.to_owned()),
        };
    }
    if let Some(extra) = sums_of_files.keys().find(|f| !listed.contains(*f)) {
        return Err(invalid(format!("{extra} is in the bundle but not in {SUMS}")));
    }
    let manifest = texts.remove(MANIFEST).ok_or_else(|| invalid(format!("the bundle has no {MANIFEST}")))?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest).map_err(|e| invalid(format!("{MANIFEST} cannot be read: {e}")))?;
    if manifest.format != FORMAT {
        return Err(invalid(format!(
            "the bundle is of format {}, this Wharf reads format {FORMAT}; import it with a Wharf as new as the one that wrote it",
            manifest.format
        )));
    }
    let mut index = HashMap::new();
    for (file, body) in texts.iter().filter(|(f, _)| f.starts_with("index/")) {
        for (line, parsed) in lines(body) {
            let line =
                std::str::from_utf8(line.trim_ascii_end()).map_err(|_| invalid(format!("{file} is not text")))?;
            index.insert(
                (parsed.name.to_ascii_lowercase(), parsed.vers.clone()),
                (file.clone(), line.to_owned(), parsed),
            );
        }
    }
    let mut lines = HashMap::new();
    for v in &manifest.versions {
        let what = format!("{} {}", v.name, v.version);
        validate_crate_name(&v.name).map_err(|e| invalid(format!("{what}: {e}")))?;
        semver::Version::parse(&v.version).map_err(|e| invalid(format!("{what}: not a semantic version ({e})")))?;
        if v.origin().is_none() {
            return Err(invalid(format!("{what}: origin `{}` is neither `local` nor `upstream`", v.origin)));
        }
        if v.file != super::bundle::crate_path(&v.name, &v.version) {
            return Err(invalid(format!(
                "{what}: its file should be {}",
                super::bundle::crate_path(&v.name, &v.version)
            )));
        }
        match sums_of_files.get(&v.file) {
            None => return Err(invalid(format!("{what}: the bundle does not hold {}", v.file))),
            Some(actual) if *actual != v.cksum => {
                return Err(invalid(format!(
                    "checksum mismatch: {} has sha256 {actual}, the manifest says {}",
                    v.file, v.cksum
                )));
            }
            Some(_) => {}
        }
        let key = (v.name.to_ascii_lowercase(), v.version.clone());
        let (file, line, parsed) =
            index.get(&key).ok_or_else(|| invalid(format!("{what}: the bundle's index has no line for it")))?;
        if *file != format!("index/{}", index_path(&v.name)) || parsed.name != v.name {
            return Err(invalid(format!("{what}: its index line is in the wrong file or names it otherwise")));
        }
        if parsed.cksum != v.cksum {
            return Err(invalid(format!(
                "checksum mismatch: the index line of {what} says {}, the file is {}",
                parsed.cksum, v.cksum
            )));
        }
        if lines.insert(key, line.clone()).is_some() {
            return Err(invalid(format!("{what} is in the manifest twice")));
        }
    }
    Ok(Verified { manifest, lines })
}

/// The path of a tar entry, refused when it could point outside the bundle.
fn entry_name(entry: &tar::Entry<'_, impl Read>) -> Result<String, BundleError> {
    let path =
        entry.path().map_err(|e| BundleError::Invalid(format!("a file name in the bundle is unreadable: {e}")))?;
    let safe = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    let name = path.to_str().filter(|_| safe).map(str::to_owned);
    name.ok_or_else(|| BundleError::Invalid(format!("the bundle holds {}, a path outside it", path.display())))
}

impl Registry {
    /// Pass 2: the conflicts of a verified bundle with `feed`, each named.
    pub async fn import_conflicts(&self, feed: &Feed, bundle: &Verified) -> Result<Vec<String>, BundleError> {
        let mut conflicts = Vec::new();
        for v in &bundle.manifest.versions {
            let local = v.origin == "local";
            let packages = self.db.packages();
            if let Some(conflict) = packages.import_conflict(feed.id, &v.name, &v.version, &v.cksum, local).await? {
                conflicts.push(conflict);
            }
        }
        Ok(conflicts)
    }

    /// Imports the bundle at `path`, which [`verify`] checked (pass 1), into `feed`
    /// (passes 2 and 3); `progress` hears of every version.
    pub async fn import_bundle(
        &self,
        feed: &Feed,
        path: &Path,
        bundle: Verified,
        by: crate::audit::Actor<'_>,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Report, BundleError> {
        let conflicts = self.import_conflicts(feed, &bundle).await?;
        if !conflicts.is_empty() {
            return Err(BundleError::Conflict(format!(
                "{} version(s) of the bundle conflict with what the feed holds; nothing was imported:\n{}",
                conflicts.len(),
                conflicts.join("\n")
            )));
        }
        let by_file: HashMap<&str, &BundleVersion> =
            bundle.manifest.versions.iter().map(|v| (v.file.as_str(), v)).collect();
        let total = by_file.len();
        let (files, mut incoming) = tokio::sync::mpsc::channel::<Result<(String, Bytes), BundleError>>(2);
        let wanted: HashSet<String> = by_file.keys().map(|f| (*f).to_owned()).collect();
        let reader = tokio::task::spawn_blocking({
            let path: PathBuf = path.to_owned();
            move || read_files(&path, &wanted, &files)
        });
        let mut report = Report::default();
        while let Some(file) = incoming.recv().await {
            let (name, bytes) = file?;
            let Some(v) = by_file.get(name.as_str()) else { continue };
            if hex::encode(Sha256::digest(&bytes)) != v.cksum {
                return Err(BundleError::Invalid(format!("checksum mismatch: {name} changed while it was imported")));
            }
            let line = &bundle.lines[&(v.name.to_ascii_lowercase(), v.version.clone())];
            let yanked = lines(line.as_bytes()).next().is_some_and(|(_, l)| l.yanked);
            let version = ImportedVersion {
                name: &v.name,
                version: &v.version,
                origin: v.origin().unwrap_or(wharf_db::Origin::Upstream),
                cksum: &v.cksum,
                size: bytes.len() as i64,
                index_line: line,
                yanked,
                description: v.description.as_deref(),
                metadata: v.metadata.as_deref(),
                readme: v.readme.as_deref(),
            };
            self.begin_write(&v.cksum).await?;
            let outcome = async {
                self.storage.put(&v.cksum, bytes).await.map_err(BundleError::Storage)?;
                self.db.packages().import(feed.id, &version).await.map_err(|e| match e {
                    wharf_db::DbError::Conflict(m) => BundleError::Conflict(m),
                    other => BundleError::Db(other),
                })
            }
            .await;
            let step = match outcome {
                Ok(ImportOutcome::Added) => {
                    report.added += 1;
                    Step::Added
                }
                Ok(ImportOutcome::Present) => {
                    report.present += 1;
                    Step::Present
                }
                Err(e) => {
                    self.end_write(&v.cksum).await;
                    return Err(e);
                }
            };
            let done = report.added + report.present;
            progress(Progress { done, total, name: &v.name, version: &v.version, step });
        }
        reader.await.map_err(|e| BundleError::Invalid(format!("the bundle could not be read: {e}")))?;
        if report.added + report.present != total {
            return Err(BundleError::Invalid(format!(
                "the bundle changed while it was imported: {} of {total} versions were read",
                report.added + report.present
            )));
        }
        let from = &bundle.manifest.feed;
        let source = match &from.project {
            Some(project) => format!("{}/{project}/{}", from.org, from.name),
            None => format!("{}/{}", from.org, from.name),
        };
        let entry = crate::audit::Entry::feed("feed.import", feed, &feed.name)
            .detail(format!("from a bundle of {source}: {} added, {} already there", report.added, report.present));
        crate::audit::write(&self.db, by, &entry).await;
        self.bus.publish(Change::FeedChanged { feed: feed.id });
        Ok(report)
    }
}

/// Pass 3's reader: sends the wanted files of the bundle, one at a time (blocking).
fn read_files(
    path: &Path,
    wanted: &HashSet<String>,
    files: &tokio::sync::mpsc::Sender<Result<(String, Bytes), BundleError>>,
) {
    let result = (|| -> Result<(), BundleError> {
        let file =
            std::fs::File::open(path).map_err(super::bundle::io_error(format!("cannot open {}", path.display())))?;
        let mut archive = tar::Archive::new(io::BufReader::new(file));
        let broken = |e: io::Error| BundleError::Invalid(format!("the bundle could not be read again: {e}"));
        for entry in archive.entries().map_err(broken)? {
            let entry = entry.map_err(broken)?;
            let name = entry_name(&entry)?;
            if !wanted.contains(&name) {
                continue;
            }
            let mut bytes = Vec::new();
            entry.take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(broken)?;
            if files.blocking_send(Ok((name, Bytes::from(bytes)))).is_err() {
                return Ok(());
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = files.blocking_send(Err(e));
    }
}
