//! Importing a bundle (see [`super::bundle`]) into a feed, in three passes:
//!
//! 1. the whole file is read and every file's sha256 compared with `SHA256SUMS`, every
//!    version's with its checksum and its index line, then every `.crate` checked as a
//!    publish checks it; any mismatch or refusal refuses the bundle;
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
use wharf_index::lines;

use super::{
    Registry,
    bundle::{BundleError, BundleVersion, MAX_FILE, Progress, Report, Step},
};
use crate::Change;

pub use wharf_index::bundle::Verified;

/// Reads the bundle at `path` whole and checks it (pass 1; see [`wharf_index::bundle`]):
/// every checksum, then every `.crate` as a publish checks it, before anything is written.
/// Blocking.
pub fn verify(path: &Path) -> Result<Verified, BundleError> {
    let open = || {
        let file = std::fs::File::open(path);
        file.map(io::BufReader::new).map_err(super::bundle::io_error(format!("cannot open {}", path.display())))
    };
    let verified = wharf_index::bundle::verify(open()?, &path.display().to_string()).map_err(BundleError::Invalid)?;
    wharf_index::bundle::check_crates(open()?, &verified.manifest).map_err(BundleError::Invalid)?;
    Ok(verified)
}

/// The path of a tar entry, refused when it could point outside the bundle.
fn entry_name(entry: &tar::Entry<'_, impl Read>) -> Result<String, BundleError> {
    wharf_index::bundle::entry_name(entry).map_err(BundleError::Invalid)
}

impl Registry {
    /// Pass 2: the conflicts of a verified bundle with `feed`, each named.
    pub(crate) async fn import_conflicts(&self, feed: &Feed, bundle: &Verified) -> Result<Vec<String>, BundleError> {
        let mut conflicts = Vec::new();
        for v in &bundle.manifest.versions {
            let local = super::bundle::origin(v) == Some(wharf_db::Origin::Local);
            let packages = self.db.packages();
            if let Some(conflict) = packages.import_conflict(feed.id, &v.name, &v.version, &v.cksum, local).await? {
                conflicts.push(conflict);
            }
        }
        Ok(conflicts)
    }

    /// Imports the bundle at `path`, which [`verify`] checked (pass 1), into `feed`
    /// (passes 2 and 3); `progress` hears of every version.
    pub(crate) async fn import_bundle(
        &self,
        feed: &Feed,
        path: &Path,
        bundle: Verified,
        principal: &wharf_auth::Principal,
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
                origin: super::bundle::origin(v).unwrap_or(wharf_db::Origin::Upstream),
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
        self.core.done(principal, entry, Change::FeedChanged { feed: feed.id }).await;
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
