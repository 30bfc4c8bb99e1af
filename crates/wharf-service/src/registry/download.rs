//! Crate downloads: a version the feed holds is served from storage; an upstream version
//! is fetched once, checked against the index checksum, stored, recorded, then served.

use bytes::Bytes;
use futures_util::{StreamExt, future::BoxFuture, stream::BoxStream};
use wharf_auth::{FeedAction, Principal};
use wharf_db::{DbError, Feed, Holding, NewVersion, Origin, StoredVersion};
use wharf_index::{IndexLine, lines};

use super::{
    Registry, ViewTarget,
    policy::{Reason, Subject, Verdict, cooldown::day_of},
    sources::{Source, Through},
    upstream::{Upstream, UpstreamError},
};
use crate::{audit::Entry, metrics::inc, storage::UploadError};

/// A crate file on its way to the client.
pub struct Download {
    pub size: u64,
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
    /// Whether this request saved it into the feed.
    pub saved: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("version {version} of crate `{krate}` is not in feed `{feed}`")]
    NotFound { krate: String, version: String, feed: String },
    #[error("version {version} of crate `{krate}` is not saved in this feed yet, and you may not save it: {reason}")]
    SaveForbidden { krate: String, version: String, reason: String },
    #[error(
        "version {version} of crate `{krate}` is held back by this feed's upstream cooldown until {until}; an \
         Administrator can release it now"
    )]
    HeldBack { krate: String, version: String, until: String },
    #[error(
        "version {version} of crate `{krate}` is quarantined in feed `{feed}`: {reason}. An Administrator can lift \
         the quarantine"
    )]
    Quarantined { krate: String, version: String, feed: String, reason: String },
    #[error(
        "version {version} of crate `{krate}` is blocked in feed `{feed}` by security advisory {id} ({title}). \
         Choose a version it does not affect, or an Administrator can change the feed's advisory policy"
    )]
    Advisory { krate: String, version: String, feed: String, id: String, title: String },
    #[error("version {version} of crate `{krate}` could not be saved from the upstream: {source}")]
    Upstream { krate: String, version: String, source: UpstreamError },
    #[error("storage error: {0}")]
    Storage(#[from] object_store::Error),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why a crate file could not be saved from the upstream.
enum SaveError {
    Upstream(UpstreamError),
    /// The feed that is the source could not serve it.
    Feed(DownloadError),
    Storage(object_store::Error),
    Db(DbError),
}

impl From<UpstreamError> for SaveError {
    fn from(e: UpstreamError) -> Self {
        SaveError::Upstream(e)
    }
}

/// What a download does with a version the feed does not hold yet.
#[derive(Debug, Clone)]
pub(super) enum Saving {
    /// Saves it into the feed (the caller may save there).
    Into,
    /// Refuses, saying why (the caller may not save into the feed).
    Refused(String),
    /// Stores the file for the feed downstream alone: the caller reads this feed as a
    /// feed source but may not save into it, so nothing is recorded here.
    PassOn,
}

impl Registry {
    /// The file of `name` (as requested) at `version` in `feed`, for `caller` (who may read
    /// `feed`; its feed sources are checked here). Saving it from the upstream first happens
    /// only when the caller's `standing` on the feed allows saving (Collaborator, or
    /// anyone where a public feed allows anonymous saves); otherwise the refusal says why. A
    /// save is recorded in the audit log as done by the caller.
    pub(crate) async fn download(
        &self,
        feed: &Feed,
        name: &str,
        version: &str,
        caller: &Principal,
        standing: &wharf_auth::FeedStanding,
    ) -> Result<Download, DownloadError> {
        // Saving a version the feed does not hold yet takes more than reading.
        let saving = match wharf_auth::authorize(caller, standing, wharf_auth::FeedAction::SaveFromUpstream) {
            Ok(()) => Saving::Into,
            Err(wharf_auth::Denied::Forbidden(reason)) => Saving::Refused(reason),
            Err(wharf_auth::Denied::Unauthenticated) => {
                Saving::Refused("Saving new versions from the upstream needs a token.".to_owned())
            }
        };
        self.download_at(feed, name, version, saving, caller, 0).await
    }

    /// [`Registry::download`] for a caller the core admitted to save into `feed` already
    /// (who started a warm job: Collaborator or more).
    pub(crate) async fn download_admitted(
        &self,
        feed: &Feed,
        name: &str,
        version: &str,
        caller: &Principal,
    ) -> Result<Download, DownloadError> {
        self.download_at(feed, name, version, Saving::Into, caller, 0).await
    }

    /// [`Registry::download`] from a feed `depth` feeds down a chain of feed sources.
    fn download_at<'a>(
        &'a self,
        feed: &'a Feed,
        name: &'a str,
        version: &'a str,
        saving: Saving,
        caller: &'a Principal,
        depth: u8,
    ) -> BoxFuture<'a, Result<Download, DownloadError>> {
        Box::pin(async move {
            let key = name.to_ascii_lowercase();
            if let Some(stored) = self.db.packages().find_version(feed.id, &key, version).await? {
                return self.serve_found(feed, &key, name, version, &stored).await;
            }
            let not_found = || DownloadError::NotFound {
                krate: name.to_owned(),
                version: version.to_owned(),
                feed: feed.name.clone(),
            };
            let upstream_error =
                |source| DownloadError::Upstream { krate: name.to_owned(), version: version.to_owned(), source };
            // Not asked upstream: no sources, or a name the dependency-confusion guard keeps local.
            if !self.pipeline.asks_upstream(feed, &key).await? {
                return Err(not_found());
            }
            // The same source the index takes the name from, and only that one.
            let supplied = match self.supplier(feed, &key, caller, depth).await? {
                Ok((Some(supplied), _)) => supplied,
                Ok((None, _)) => return Err(not_found()),
                Err(failure) => return Err(upstream_error(UpstreamError::Unreachable(failure.to_string()))),
            };
            let (line, entry) = lines(&supplied.body).find(|(_, l)| l.vers == version).ok_or_else(not_found)?;
            // Judged as the index judges it: a version it withholds (held back by the
            // cooldown) or refuses (an advisory) is not saved.
            let subject = Subject {
                feed,
                name: &key,
                held: &[],
                supplied: std::slice::from_ref(&entry),
                listed: None,
                now: self.clock.now(),
            };
            if let Some(verdict) = self.pipeline.judge(&subject).await?.refusal(version) {
                return Err(refused(feed, name, version, verdict));
            }
            let record = match saving {
                Saving::Into => true,
                Saving::PassOn => false,
                Saving::Refused(reason) => {
                    return Err(DownloadError::SaveForbidden {
                        krate: name.to_owned(),
                        version: version.to_owned(),
                        reason,
                    });
                }
            };
            let line = String::from_utf8_lossy(line).trim_end().to_owned();
            // The checksum names the stored file: only a real sha256 may.
            if !(entry.cksum.len() == 64
                && entry.cksum.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            {
                return Err(upstream_error(UpstreamError::BadIndex(format!(
                    "its index gives {:?} as the checksum",
                    entry.cksum
                ))));
            }

            // One upstream fetch per file and feed, however many requests ask at once (per
            // feed: saving through a feed source takes that feed's lock for the same file
            // while this one is held).
            let _guard = self.downloads.lock(&format!("{}:{}", feed.id, entry.cksum)).await;
            if let Some(stored) = self.db.packages().find_version(feed.id, &key, version).await? {
                return self.serve_found(feed, &key, name, version, &stored).await;
            }
            // Marked as being written first: nothing deletes the file until it is recorded
            // (which ends the mark); a failure ends it here.
            self.begin_write(&entry.cksum).await?;
            if !record {
                // For the feed downstream, which holds its own mark on the file until it
                // records its version.
                let stored = self.store(&entry, &supplied.source, caller, depth).await;
                self.end_write(&entry.cksum).await;
                let size = stored.map_err(|e| self.save_failed(name, version, &supplied.source, e))?;
                // The feed downstream reads the stored file itself; nothing is served here.
                return Ok(Download { size, body: futures_util::stream::empty().boxed(), saved: false });
            }
            match self.store_and_record(feed.id, &entry, &line, &supplied.source, caller, depth).await {
                Ok(true) => {
                    inc(&self.metrics.crates_saved);
                    tracing::info!(krate = %entry.name, version = %entry.vers, source = supplied.source.name(), "saved from an upstream source");
                    let record = Entry::feed("version.save", feed, format!("{} {}", entry.name, entry.vers))
                        .detail(format!("from {}", supplied.source.name()));
                    let change =
                        crate::Change::VersionSaved { feed: feed.id, krate: key.clone(), version: entry.vers.clone() };
                    self.core.done(caller, record, change).await;
                }
                Ok(false) => {}
                Err(e) => {
                    self.end_write(&entry.cksum).await;
                    return Err(self.save_failed(name, version, &supplied.source, e));
                }
            }
            self.upstream_reached(feed.id);
            // Served from storage like any saved version (whichever file the version names).
            let stored = self.db.packages().find_version(feed.id, &key, version).await?.ok_or_else(not_found)?;
            let download = self.serve_stored(feed, &key, &stored.cksum).await?;
            Ok(Download { saved: true, ..download })
        })
    }

    /// Stores the file of `entry` from `source` (unless a whole copy is stored already) and
    /// records the version in the feed; whether it was new there.
    async fn store_and_record(
        &self,
        feed_id: i64,
        entry: &IndexLine,
        line: &str,
        source: &Source,
        caller: &Principal,
        depth: u8,
    ) -> Result<bool, SaveError> {
        let size = self.store(entry, source, caller, depth).await?;
        let new = NewVersion {
            name: &entry.name,
            version: &entry.vers,
            origin: Origin::Upstream,
            cksum: &entry.cksum,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            index_line: line,
        };
        self.db.packages().record(feed_id, &new).await.map_err(SaveError::Db)
    }

    /// Stores the file of `entry` from `source`, unless a whole copy is stored already;
    /// its size.
    async fn store(&self, entry: &IndexLine, source: &Source, caller: &Principal, depth: u8) -> Result<u64, SaveError> {
        if self.storage.holds(&entry.cksum).await {
            // Another feed holds the same file already.
            return Ok(self.storage.get(&entry.cksum).await.map_err(SaveError::Storage)?.0);
        }
        match source {
            Source::Registry { client, .. } => {
                self.save_from_upstream(client, &entry.name, &entry.vers, &entry.cksum).await
            }
            // A feed of this instance: it serves the file into the storage every feed
            // shares, saving it from its own upstreams only when the caller may save
            // there (otherwise it is stored for this feed alone).
            Source::Feed { feed_id: target, through, .. } => {
                let target = self.feed_by_id(*target).await.map_err(SaveError::Db)?;
                let fetched = match through {
                    Through::View(view_id) => {
                        let view = self.db.views().get_by_id(*view_id).await.map_err(SaveError::Db)?;
                        self.view_download(&target, &ViewTarget::View(view), &entry.name, &entry.vers).await
                    }
                    Through::Local => self.view_download(&target, &ViewTarget::Local, &entry.name, &entry.vers).await,
                    Through::Whole => {
                        let saving = match self.may(caller, &target, FeedAction::SaveFromUpstream).await {
                            Ok(true) => Saving::Into,
                            Ok(false) => Saving::PassOn,
                            Err(e) => return Err(SaveError::Db(e)),
                        };
                        self.download_at(&target, &entry.name, &entry.vers, saving, caller, depth + 1).await
                    }
                };
                Ok(fetched.map_err(SaveError::Feed)?.size)
            }
            Source::Broken { error, .. } => Err(SaveError::Upstream(UpstreamError::Unreachable(error.clone()))),
        }
    }

    /// What a failed save answers (an upstream's failure is recorded as its last error).
    fn save_failed(&self, name: &str, version: &str, source: &Source, e: SaveError) -> DownloadError {
        match e {
            SaveError::Upstream(error) => {
                tracing::warn!(krate = name, version, error = %error, "saving from the upstream failed");
                self.upstreams.failed(source.id(), &error.to_string());
                DownloadError::Upstream { krate: name.to_owned(), version: version.to_owned(), source: error }
            }
            SaveError::Feed(e) => e,
            SaveError::Storage(e) => DownloadError::Storage(e),
            SaveError::Db(e) => DownloadError::Db(e),
        }
    }

    /// Streams a crate file from the upstream into storage, at most the upstream's size
    /// limit, checking its sha256 on the way: on any failure nothing is stored.
    async fn save_from_upstream(
        &self,
        upstream: &Upstream,
        name: &str,
        version: &str,
        cksum: &str,
    ) -> Result<u64, SaveError> {
        let mut response = upstream.crate_response(name, version, cksum).await?;
        let limit = upstream.max_crate_size();
        let mut upload = self.storage.upload(cksum).await.map_err(SaveError::Storage)?;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    upload.abort().await;
                    return Err(SaveError::Upstream(e.into()));
                }
            };
            if upload.len() + chunk.len() as u64 > limit {
                upload.abort().await;
                return Err(SaveError::Upstream(UpstreamError::TooLarge { what: ".crate file".to_owned(), limit }));
            }
            upload.write(chunk).await.map_err(SaveError::Storage)?;
        }
        upload.finish().await.map_err(|e| match e {
            UploadError::Mismatch { expected, actual } => {
                inc(&self.metrics.upstream_checksum_mismatches);
                SaveError::Upstream(UpstreamError::ChecksumMismatch { expected, actual })
            }
            UploadError::Store(e) => SaveError::Storage(e),
        })
    }

    /// A version the feed holds, unless the feed's policies refuse it.
    pub(super) async fn serve_found(
        &self,
        feed: &Feed,
        key: &str,
        name: &str,
        version: &str,
        stored: &StoredVersion,
    ) -> Result<Download, DownloadError> {
        let holding = Holding {
            version: version.to_owned(),
            index_line: String::new(),
            origin: stored.origin,
            quarantine: stored.quarantine.clone(),
        };
        let subject = Subject {
            feed,
            name: key,
            held: std::slice::from_ref(&holding),
            supplied: &[],
            listed: None,
            now: self.clock.now(),
        };
        if let Some(verdict) = self.pipeline.judge(&subject).await?.refusal(version) {
            return Err(refused(feed, name, version, verdict));
        }
        self.serve_stored(feed, key, &stored.cksum).await
    }

    pub(super) async fn serve_stored(&self, feed: &Feed, key: &str, cksum: &str) -> Result<Download, DownloadError> {
        let (size, stream) = self.storage.get(cksum).await?;
        self.package_used(feed.id, key);
        inc(&self.metrics.downloads);
        Ok(Download { size, body: stream.map(|r| r.map_err(std::io::Error::other)).boxed(), saved: false })
    }
}

/// What a download the feed's policies stop answers.
fn refused(feed: &Feed, name: &str, version: &str, verdict: &Verdict) -> DownloadError {
    let (krate, version) = (name.to_owned(), version.to_owned());
    match &verdict.reason {
        Reason::HeldBack { until } => DownloadError::HeldBack { krate, version, until: day_of(*until) },
        Reason::Quarantined { reason } => {
            DownloadError::Quarantined { krate, version, feed: feed.name.clone(), reason: reason.clone() }
        }
        Reason::Advisory { id, title } => {
            DownloadError::Advisory { krate, version, feed: feed.name.clone(), id: id.clone(), title: title.clone() }
        }
        // Withheld as if the feed did not have it.
        Reason::Guarded | Reason::RemovedUpstream | Reason::YankedUpstream => {
            DownloadError::NotFound { krate, version, feed: feed.name.clone() }
        }
    }
}
