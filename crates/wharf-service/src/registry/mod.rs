//! The Cargo side of a feed: its sparse index (own versions merged with the upstream's)
//! and its crate files (saved from the upstream on first use).

pub mod badge;
pub mod bundle;
pub mod bundle_import;
mod download;
mod files;
mod index;
pub mod locks;
pub mod policy;
pub mod publish;
pub mod sources;
pub mod upstream;
mod views;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::remembered::{Generation, Remembered};

use bytes::Bytes;
use wharf_db::{Db, DbError, Feed, unix_now};

pub use download::{Download, DownloadError};
pub use index::{IndexError, Rendered};
pub use views::ViewTarget;

use crate::{metrics::Metrics, storage::Storage};
use locks::KeyedLocks;
use sources::{Source, Upstreams};

/// How long a deleted version stays in its feed's recycle bin.
pub const RECYCLE_BIN_DAYS: i64 = crate::packages::RECYCLE_BIN_DAYS;

/// How long a resolved feed is reused before it is read from the database again.
const FEED_CACHE_TTL: Duration = Duration::from_secs(5);
/// At most one "last used"/"upstream reached" write per package or feed in this time.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Which feed a Cargo request is for: organization, optional project, feed name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedKey {
    pub org: String,
    pub project: Option<String>,
    pub feed: String,
}

impl FeedKey {
    pub fn new(org: &str, project: Option<&str>, feed: &str) -> Self {
        FeedKey {
            org: org.to_ascii_lowercase(),
            project: project.map(str::to_ascii_lowercase),
            feed: feed.to_ascii_lowercase(),
        }
    }
}

/// Shared by every Cargo request.
pub struct Registry {
    /// The core it serves (whose `done` ends what it changes: the record and the change).
    core: crate::Core,
    db: Db,
    /// Where publishes and yanks are announced; the caches below hear of changes there.
    bus: crate::Bus,
    /// The time the cooldown runs on.
    clock: crate::clock::Clock,
    storage: Storage,
    /// Every registry client and the sealing key (shared with the core).
    upstreams: Arc<Upstreams>,
    /// Callers' standings on feeds (shared with the core): a feed source serves a caller
    /// only what the source's own URL would.
    credentials: Arc<crate::credentials::Credentials>,
    metrics: Arc<Metrics>,
    feeds: Remembered<FeedKey, Arc<Feed>>,
    /// Feeds by id, for feeds that are others' upstream sources.
    feeds_by_id: Remembered<i64, Arc<Feed>>,
    /// Each feed's upstream sources, in order, ready for requests.
    sources: Remembered<i64, Arc<Vec<Source>>>,
    /// The feed policies every served line goes through, with what they remember.
    pipeline: policy::Pipeline,
    /// Rendered index files per (feed id, lower-cased crate name).
    rendered: Remembered<(i64, String), Arc<Rendered>>,
    downloads: KeyedLocks<String>,
    touched: Mutex<HashMap<(i64, String), Instant>>,
    /// Largest `.crate` a publish may carry.
    pub max_crate_size: usize,
    /// Downloads served since the last flush, per (feed id, lower-cased name, version).
    download_counts: Mutex<HashMap<(i64, String, String), i64>>,
    /// One permit per core: the `.crate` checks that may run at once.
    checks: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("rendered", &self.rendered).finish_non_exhaustive()
    }
}

impl Registry {
    pub fn new(core: crate::Core, storage: Storage, metrics: Arc<Metrics>, max_crate_size: usize) -> Self {
        let generation = Generation::new();
        Registry {
            feeds: Remembered::new(&generation, FEED_CACHE_TTL, 10_000),
            feeds_by_id: Remembered::new(&generation, FEED_CACHE_TTL, 10_000),
            sources: Remembered::new(&generation, FEED_CACHE_TTL, 10_000),
            pipeline: policy::Pipeline::new(&core.db, &generation),
            // Rendered files expire too: a publish or yank on another replica must show
            // here within seconds (cargo waits up to 60 s for a new version).
            rendered: Remembered::weighed(&generation, FEED_CACHE_TTL, 64 * 1024 * 1024, |_, v: &Arc<Rendered>| {
                v.weight()
            }),
            db: core.db.clone(),
            bus: core.bus.clone(),
            clock: core.clock.clone(),
            storage,
            upstreams: core.upstreams.clone(),
            credentials: core.credentials.clone(),
            core,
            metrics,
            downloads: KeyedLocks::new(),
            touched: Mutex::new(HashMap::new()),
            max_crate_size,
            download_counts: Mutex::new(HashMap::new()),
            checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            )),
        }
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Where crate files are kept.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The feed a Cargo URL names.
    /// The feed `feed` names, from this registry's cache, if `principal` may do `action` on
    /// it: how every cargo request is authorized (a feed the caller may not read answers
    /// as a missing one).
    pub(crate) async fn authorized(
        &self,
        core: &crate::Core,
        principal: &wharf_auth::Principal,
        feed: &crate::FeedRef,
        action: wharf_auth::FeedAction,
    ) -> crate::CoreResult<crate::Authorized<Arc<Feed>>> {
        let found = self.feed(&FeedKey::new(&feed.org, feed.project.as_deref(), &feed.feed)).await;
        crate::refs::authorize_found(core, principal, feed, found, action).await
    }

    pub(crate) async fn feed(&self, key: &FeedKey) -> Result<Arc<Feed>, DbError> {
        self.feeds
            .get_or_read(key.clone(), || async {
                let scope = self.db.scopes().resolve(&key.org, key.project.as_deref()).await?;
                Ok(Arc::new(self.db.feeds().get(&scope, &key.feed).await?))
            })
            .await
    }

    /// A feed by id (a feed another feed has as its upstream).
    async fn feed_by_id(&self, id: i64) -> Result<Arc<Feed>, DbError> {
        self.feeds_by_id.get_or_read(id, || async move { Ok(Arc::new(self.db.feeds().get_by_id(id).await?)) }).await
    }

    /// The feed's upstream sources, in order (none when it has no upstream).
    async fn sources(&self, feed: &Feed) -> Result<Arc<Vec<Source>>, DbError> {
        if !feed.has_sources {
            return Ok(Arc::default());
        }
        self.sources
            .get_or_read(feed.id, || async {
                let rows = self.db.upstreams().list(feed.id).await?;
                Ok(Arc::new(rows.iter().map(|row| self.upstreams.resolve(row)).collect::<Vec<_>>()))
            })
            .await
    }

    /// Counts a download in memory (the download path never waits for the database); the
    /// counts reach the database in batches through [`Registry::flush_download_counts`].
    pub(crate) fn count_download(&self, feed_id: i64, name: &str, version: &str) {
        let mut counts = self.download_counts.lock().expect("download counts poisoned");
        *counts.entry((feed_id, name.to_ascii_lowercase(), version.to_owned())).or_default() += 1;
    }

    /// Writes the counted downloads to the database in one transaction; how many versions'
    /// counts it wrote. When the write fails, the counts are kept for the next flush.
    pub async fn flush_download_counts(&self) -> Result<usize, DbError> {
        let batch: Vec<_> = {
            let mut counts = self.download_counts.lock().expect("download counts poisoned");
            counts.drain().map(|((feed, name, version), n)| (feed, name, version, n)).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(e) = self.db.packages().add_downloads(&batch).await {
            let mut counts = self.download_counts.lock().expect("download counts poisoned");
            for (feed, name, version, n) in batch {
                *counts.entry((feed, name, version)).or_default() += n;
            }
            return Err(e);
        }
        Ok(batch.len())
    }

    /// Purges versions that spent 30 days in a recycle bin, then deletes the files no
    /// version refers to any more (theirs, and those of deleted feeds); one replica at a
    /// time, under the `purge-recycle-bins` job's lock (`None` when another replica is
    /// doing it).
    pub async fn purge_recycle_bins(&self) -> Result<Option<usize>, DbError> {
        crate::job_lock::exclusively(&self.db, crate::job_lock::PURGE_RECYCLE_BINS, self.purge_under_lock()).await
    }

    /// [`Registry::purge_recycle_bins`] for a caller that holds the job lock already: the
    /// `purge-recycle-bins` job, which the runner in [`crate::jobs`] runs under it.
    pub(crate) async fn purge_under_lock(&self) -> Result<usize, DbError> {
        let before = unix_now() - RECYCLE_BIN_DAYS * 86_400;
        let purged = self.db.packages().purge_deleted(before).await?;
        if !purged.is_empty() {
            let entry = crate::audit::Entry::instance("recycle-bin.purge", format!("{} version(s)", purged.len()))
                .detail(format!("in the recycle bin for over {RECYCLE_BIN_DAYS} days"));
            crate::audit::write(&self.db, crate::audit::Actor::SYSTEM, &entry).await;
            self.bus.publish(crate::Change::VersionsPurged { count: purged.len() });
        }
        let files = self.sweep_files().await?;
        if files > 0 {
            tracing::info!(files, "deleted crate files no version refers to");
        }
        Ok(purged.len())
    }

    /// Forgets what the caches hold that `change` made stale. Called by the change bus
    /// only: nothing else forgets.
    pub fn changed(&self, change: &crate::Change) {
        use crate::Change as C;
        self.pipeline.changed(change);
        if let Some((feed, krate)) = change.crate_of() {
            self.rendered.forget(&(feed, krate.to_ascii_lowercase()));
        } else if change.touches_feeds() {
            self.feeds.forget_all();
            self.feeds_by_id.forget_all();
            self.sources.forget_all();
            self.rendered.forget_all();
        }
        match change {
            C::AdvisoriesImported => self.rendered.forget_all(),
            // Views are read from the database on every request (nothing of them cached);
            // a deleted view takes the sources that named it.
            C::ViewsChanged { .. } => self.sources.forget_all(),
            // Roles, tokens and accounts are cached by `Core::access`.
            _ => {}
        }
    }

    /// Whether `key` was touched less than [`TOUCH_INTERVAL`] ago; marks it touched if not.
    fn recently_touched(&self, key: (i64, String)) -> bool {
        let mut touched = self.touched.lock().expect("touch map poisoned");
        let now = Instant::now();
        if touched.len() > 10_000 {
            touched.retain(|_, at| now.duration_since(*at) < TOUCH_INTERVAL);
        }
        match touched.get(&key) {
            Some(at) if now.duration_since(*at) < TOUCH_INTERVAL => true,
            _ => {
                touched.insert(key, now);
                false
            }
        }
    }

    /// Records, at most once a minute per feed, that its upstream answered.
    fn upstream_reached(&self, feed_id: i64) {
        if self.recently_touched((feed_id, String::new())) {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.feeds().mark_upstream_reached(feed_id, unix_now()).await {
                tracing::warn!(error = ?e, "could not record that the upstream was reached");
            }
        });
    }

    /// Records, at most once a minute per token, that it was used.
    pub fn token_used(&self, token_id: i64) {
        // `#` cannot appear in a crate name, so this key never meets a package's.
        if self.recently_touched((token_id, "#token".to_owned())) {
            return;
        }
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = db.tokens().touch(token_id, unix_now()).await {
                tracing::warn!(error = ?e, "could not record a token's last use");
            }
        });
    }

    /// Records, at most once a minute per package, that it was downloaded; never on the
    /// download's critical path.
    fn package_used(&self, feed_id: i64, name_key: &str) {
        if self.recently_touched((feed_id, name_key.to_owned())) {
            return;
        }
        let db = self.db.clone();
        let name_key = name_key.to_owned();
        tokio::spawn(async move {
            if let Err(e) = db.packages().touch(feed_id, &name_key, unix_now()).await {
                tracing::warn!(error = ?e, "could not record a package's last use");
            }
        });
    }
}

/// A strong validator for a body: its sha256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    format!("\"{}\"", hex::encode(sha2::Sha256::digest(body)))
}

/// Gzip of a body, made once when it is cached.
pub fn gzip(body: &[u8]) -> Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::new(6));
    encoder.write_all(body).expect("gzip into memory");
    Bytes::from(encoder.finish().expect("gzip into memory"))
}
