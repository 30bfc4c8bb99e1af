//! A feed carried to another Wharf or into an air-gapped network.
//!
//! A **bundle** is a plain tar file that can be checked on its own (`tar xf` then
//! `sha256sum -c SHA256SUMS`):
//!
//! - `wharf-bundle.json`: the format, the feed (name, description, visibility) and every
//!   version with its origin, checksum, file and, for published versions, what the package
//!   page shows (description, metadata, readme);
//! - `index/{sparse path}`: the index lines, byte for byte as the feed stores them;
//! - `crates/{name}/{name}-{version}.crate`: the files;
//! - `SHA256SUMS`: the sha256 of every other file, last.
//!
//! A **static registry** is a directory that any web server serves to cargo as a sparse
//! registry: `config.json` (whose `dl` points at the crate files), the index files at
//! their sparse paths and the crate files under `crates/`.
//!
//! Quarantined versions are left out of both (their downloads are refused; a copy could
//! not refuse them), and every file is checked against its checksum as it is read from the
//! store.

use std::{
    collections::BTreeMap,
    io::{self, Write},
    path::Path,
};

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use wharf_db::{DbError, Feed, FeedVersion, Holding, Origin};
use wharf_index::index_path;

use super::{Registry, policy::Subject};

pub use wharf_index::bundle::{
    BundleFeed, BundleVersion, FORMAT, MANIFEST, MAX_FILE, MAX_TEXT, Manifest, SUMS, crate_path,
};

/// The origin a bundle gives a version, when it is one Wharf knows.
pub(super) fn origin(v: &BundleVersion) -> Option<Origin> {
    v.origin.parse().ok()
}

/// What happened to one version, as an export or import goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Written to the bundle or the directory.
    Exported,
    /// Left out, and why.
    Skipped(String),
    /// Imported into the feed.
    Added,
    /// The feed had it already (with the same file).
    Present,
}

/// One step of an export or an import: the `done`-th of `total` versions.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub name: &'a str,
    pub version: &'a str,
    pub step: Step,
}

/// What an export or an import did, in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub exported: usize,
    pub added: usize,
    pub present: usize,
    /// `name version: reason` of each version left out.
    pub skipped: Vec<String>,
}

/// Why an export or an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The bundle is damaged or not a bundle; nothing was imported.
    #[error("{0}")]
    Invalid(String),
    /// Versions of the bundle that the feed holds otherwise; nothing was imported.
    #[error("{0}")]
    Conflict(String),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("the crate file store failed: {0}")]
    Storage(#[source] object_store::Error),
    #[error("the database failed: {0}")]
    Db(#[from] DbError),
    /// The caller may not export or import feeds.
    #[error("{0}")]
    Denied(String),
}

pub(super) fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> BundleError {
    let what = what.into();
    move |source| BundleError::Io { what, source }
}

/// The `config.json` of a static registry whose files are served at `base_url`.
pub fn static_config(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let config = serde_json::json!({ "dl": format!("{base}/crates/{{crate}}/{{crate}}-{{version}}.crate") });
    format!("{config:#}\n")
}

/// Reports the versions an export leaves out (with why), after the `exported` others.
fn skip_held(
    held: &[(FeedVersion, String)],
    exported: usize,
    report: &mut Report,
    progress: &mut impl FnMut(Progress<'_>),
) {
    let total = exported + held.len();
    for (i, (v, why)) in held.iter().enumerate() {
        let why = why.clone();
        report.skipped.push(format!("{} {}: {why}", v.name, v.version));
        progress(Progress {
            done: exported + i + 1,
            total,
            name: &v.name,
            version: &v.version,
            step: Step::Skipped(why),
        });
    }
}

/// The index files of `versions`, by sparse path, each line ending in a newline.
fn index_files(versions: &[&FeedVersion]) -> BTreeMap<String, String> {
    let mut files = BTreeMap::<String, String>::new();
    for v in versions {
        let file = files.entry(index_path(&v.name)).or_default();
        file.push_str(&v.index_line);
        file.push('\n');
    }
    files
}

impl Registry {
    /// The versions of `feed` an export carries, as the feed serves them (through its
    /// policies: marked yanked where they say so), and those it leaves out, with why.
    #[allow(clippy::type_complexity)]
    async fn exported(&self, feed: &Feed) -> Result<(Vec<FeedVersion>, Vec<(FeedVersion, String)>), BundleError> {
        let mut by_name = BTreeMap::<String, Vec<FeedVersion>>::new();
        for v in self.db.packages().feed_versions(feed.id).await? {
            by_name.entry(v.name.to_ascii_lowercase()).or_default().push(v);
        }
        let (mut carried, mut left) = (Vec::new(), Vec::new());
        for (name, versions) in by_name {
            let held: Vec<Holding> = versions
                .iter()
                .map(|v| Holding {
                    version: v.version.clone(),
                    index_line: String::new(),
                    origin: v.origin,
                    quarantine: v.quarantine.clone(),
                })
                .collect();
            let subject =
                Subject { feed, name: &name, held: &held, supplied: &[], listed: None, now: self.clock.now() };
            let judged = self.pipeline.judge(&subject).await?;
            let yanked = judged.yanked();
            for mut v in versions {
                match judged.refusal(&v.version) {
                    Some(verdict) => left.push((v, verdict.reason.brief())),
                    None => {
                        if yanked.contains(&v.version) {
                            let marked = wharf_index::mark_yanked(v.index_line.as_bytes(), &yanked);
                            v.index_line = String::from_utf8_lossy(&marked).into_owned();
                        }
                        carried.push(v);
                    }
                }
            }
        }
        Ok((carried, left))
    }

    /// A stored file, whole, checked against its checksum.
    async fn stored_file(&self, v: &FeedVersion) -> Result<Bytes, BundleError> {
        let (size, mut stream) = self.storage.get(&v.cksum).await.map_err(BundleError::Storage)?;
        if size > MAX_FILE {
            return Err(BundleError::Invalid(format!(
                "{} {}: the stored file is larger than 128 MiB",
                v.name, v.version
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(BundleError::Storage)?;
            hasher.update(&chunk);
            bytes.extend_from_slice(&chunk);
        }
        if hex::encode(hasher.finalize()) != v.cksum {
            return Err(BundleError::Invalid(format!(
                "{} {}: the stored file does not match its checksum {}; the store is damaged",
                v.name, v.version, v.cksum
            )));
        }
        Ok(Bytes::from(bytes))
    }

    /// Writes `feed` as a bundle to `out`.
    pub(crate) async fn export_bundle(
        &self,
        feed: &Feed,
        out: impl Write,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Report, BundleError> {
        let (versions, held) = self.exported(feed).await?;
        let total = versions.len() + held.len();
        let mut report = Report::default();
        let manifest = Manifest {
            format: FORMAT,
            generator: format!("wharf {}", env!("CARGO_PKG_VERSION")),
            exported_at: crate::rfc3339(wharf_db::unix_now()),
            feed: BundleFeed {
                org: feed.org.clone(),
                project: feed.project.clone(),
                name: feed.name.clone(),
                description: feed.description.clone(),
                visibility: feed.visibility.as_str().to_owned(),
                settings: serde_json::to_value(&feed.settings).unwrap_or_default(),
            },
            versions: versions
                .iter()
                .map(|v| BundleVersion {
                    name: v.name.clone(),
                    version: v.version.clone(),
                    origin: v.origin.as_str().to_owned(),
                    cksum: v.cksum.clone(),
                    size: v.size,
                    file: crate_path(&v.name, &v.version),
                    description: v.description.clone(),
                    metadata: v.metadata.clone(),
                    readme: v.readme.clone(),
                })
                .collect(),
        };
        let mut tar = Tar::new(out);
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError::Invalid(e.to_string()))?;
        tar.append(MANIFEST, &json)?;
        for (path, file) in index_files(&versions.iter().collect::<Vec<_>>()) {
            tar.append(&format!("index/{path}"), file.as_bytes())?;
        }
        for (i, v) in versions.iter().enumerate() {
            let bytes = self.stored_file(v).await?;
            tar.append(&crate_path(&v.name, &v.version), &bytes)?;
            report.exported += 1;
            progress(Progress { done: i + 1, total, name: &v.name, version: &v.version, step: Step::Exported });
        }
        skip_held(&held, versions.len(), &mut report, &mut progress);
        tar.finish()?;
        let entry = crate::audit::Entry::feed("feed.export", feed, &feed.name)
            .detail(format!("{} versions to a bundle", report.exported));
        self.core.record(&wharf_auth::Principal::Operator, entry).await;
        Ok(report)
    }

    /// Writes `feed` as a static sparse registry into `dir`, its files to be served at
    /// `base_url` (the URL of `dir` itself).
    pub(crate) async fn export_static(
        &self,
        feed: &Feed,
        dir: &Path,
        base_url: &str,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Report, BundleError> {
        let (versions, held) = self.exported(feed).await?;
        let total = versions.len() + held.len();
        let mut report = Report::default();
        let write = |path: &Path, bytes: &[u8]| -> Result<(), BundleError> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io_error(format!("cannot create {}", parent.display())))?;
            }
            std::fs::write(path, bytes).map_err(io_error(format!("cannot write {}", path.display())))
        };
        for (i, v) in versions.iter().enumerate() {
            let bytes = self.stored_file(v).await?;
            write(&dir.join(crate_path(&v.name, &v.version)), &bytes)?;
            report.exported += 1;
            progress(Progress { done: i + 1, total, name: &v.name, version: &v.version, step: Step::Exported });
        }
        skip_held(&held, versions.len(), &mut report, &mut progress);
        // The index last: cargo never sees a version whose file is not there yet.
        for (path, file) in index_files(&versions.iter().collect::<Vec<_>>()) {
            write(&dir.join(path), file.as_bytes())?;
        }
        write(&dir.join("config.json"), static_config(base_url).as_bytes())?;
        let entry = crate::audit::Entry::feed("feed.export", feed, &feed.name)
            .detail(format!("{} versions to a static registry at {base_url}", report.exported));
        self.core.record(&wharf_auth::Principal::Operator, entry).await;
        Ok(report)
    }
}

/// A tar being written, with the checksum of every file for `SHA256SUMS`.
struct Tar<W: Write> {
    builder: tar::Builder<W>,
    sums: String,
    mtime: u64,
}

impl<W: Write> Tar<W> {
    fn new(out: W) -> Self {
        let mtime = u64::try_from(wharf_db::unix_now()).unwrap_or_default();
        Tar { builder: tar::Builder::new(out), sums: String::new(), mtime }
    }

    fn append(&mut self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        self.sums.push_str(&format!("{}  {path}\n", hex::encode(Sha256::digest(bytes))));
        self.raw(path, bytes)
    }

    fn raw(&mut self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        self.builder
            .append_data(&mut header, path, bytes)
            .map_err(io_error(format!("cannot write {path} to the bundle")))
    }

    fn finish(mut self) -> Result<(), BundleError> {
        let sums = std::mem::take(&mut self.sums);
        self.raw(SUMS, sums.as_bytes())?;
        let mut out = self.builder.into_inner().map_err(io_error("cannot finish the bundle"))?;
        out.flush().map_err(io_error("cannot finish the bundle"))
    }
}
