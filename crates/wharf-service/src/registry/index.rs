//! A feed's index file: the upstream's bytes plus the feed's own lines, rendered once
//! (ETag, gzip) and served from memory until either side changes.

use std::sync::Arc;

use bytes::Bytes;
use wharf_db::{DbError, Feed};

use super::{Registry, etag_of, gzip, upstream::CacheOutcome};
use crate::metrics::inc;

/// A rendered index file.
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    /// The upstream copy it was built from, or [`NO_UPSTREAM`], or [`LOCAL_ONLY`].
    upstream_generation: u64,
}

/// `Rendered::upstream_generation` of a file with no upstream part (upstream copies count
/// from 2).
pub(super) const NO_UPSTREAM: u64 = 0;
/// … and of a file of a guarded name, whose upstream versions are hidden.
const LOCAL_ONLY: u64 = 1;

impl Rendered {
    pub(super) fn new(body: Vec<u8>, upstream_generation: u64) -> Self {
        Rendered { etag: etag_of(&body), gzip: gzip(&body), body: Bytes::from(body), upstream_generation }
    }

    pub(super) fn weight(&self) -> u32 {
        (self.body.len() + self.gzip.len() + 256).try_into().unwrap_or(u32::MAX)
    }
}

/// Why an index file cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("crate `{krate}` is not in feed `{feed}`")]
    NotFound { krate: String, feed: String },
    #[error("crate `{krate}` is not in feed `{feed}` yet and its upstream cannot be reached: {reason}")]
    UpstreamDown { krate: String, feed: String, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl Registry {
    /// The index file of `name` (lower-cased) in `feed`, and how the upstream part was had.
    pub async fn index_file(&self, feed: &Feed, name: &str) -> Result<(Arc<Rendered>, CacheOutcome), IndexError> {
        let key = (feed.id, name.to_owned());
        if feed.upstream_enabled && self.guarded(feed.id, name).await? {
            // A local name: upstream versions of it are hidden (dependency confusion). Its
            // file is rendered once, until a publish, yank or setting drops it.
            if let Some(rendered) = self.rendered.get(&key).filter(|r| r.upstream_generation == LOCAL_ONLY) {
                return Ok((rendered, CacheOutcome::Hit));
            }
            let seen = self.changes_seen();
            let own = self.db.packages().local_lines(feed.id, name).await?;
            let own: Vec<&str> = own.iter().map(String::as_str).collect();
            let body = wharf_index::merge(None, &own)
                .ok_or_else(|| IndexError::NotFound { krate: name.to_owned(), feed: feed.name.clone() })?;
            let rendered = Arc::new(Rendered::new(body, LOCAL_ONLY));
            self.remember(key, rendered.clone(), seen);
            return Ok((rendered, CacheOutcome::Hit));
        }
        let (upstream, outcome) = if feed.upstream_enabled {
            match self.upstream.index_file(name).await {
                Ok((file, outcome)) => {
                    if outcome != CacheOutcome::Stale && outcome != CacheOutcome::Hit {
                        self.upstream_reached(feed.id);
                    }
                    (Some(file), outcome)
                }
                Err(err) => {
                    // Nothing cached and the upstream is down: the feed's own versions still count.
                    tracing::warn!(krate = name, error = %err, "upstream index unavailable");
                    let own = self.render(feed, name, None, None).await?;
                    return own.map(|r| (r, CacheOutcome::Stale)).ok_or_else(|| IndexError::UpstreamDown {
                        krate: name.to_owned(),
                        feed: feed.name.clone(),
                        reason: err.to_string(),
                    });
                }
            }
        } else {
            (None, CacheOutcome::Hit)
        };
        match outcome {
            CacheOutcome::Hit => inc(&self.metrics.index_hit),
            CacheOutcome::Revalidated => inc(&self.metrics.index_revalidated),
            CacheOutcome::Stale => inc(&self.metrics.index_stale),
            CacheOutcome::Miss => inc(&self.metrics.index_miss),
        }
        let generation = upstream.as_ref().map_or(NO_UPSTREAM, |f| f.generation);
        if let Some(rendered) = self.rendered.get(&key).filter(|r| r.upstream_generation == generation) {
            return Ok((rendered, outcome));
        }
        let body = upstream.as_ref().and_then(|f| f.body.clone());
        match self.render(feed, name, body.as_deref(), Some(generation)).await? {
            Some(rendered) => Ok((rendered, outcome)),
            None => Err(IndexError::NotFound { krate: name.to_owned(), feed: feed.name.clone() }),
        }
    }

    /// Merges the upstream's file (if any) with the feed's own lines. The result is cached
    /// when `generation` says which upstream copy it was built from.
    async fn render(
        &self,
        feed: &Feed,
        name: &str,
        upstream: Option<&[u8]>,
        generation: Option<u64>,
    ) -> Result<Option<Arc<Rendered>>, DbError> {
        let seen = self.changes_seen();
        let own = self.db.packages().own_lines(feed.id, name).await?;
        let own: Vec<&str> = own.iter().map(String::as_str).collect();
        let Some(body) = wharf_index::merge(upstream, &own) else {
            return Ok(None);
        };
        let rendered = Arc::new(Rendered::new(body, generation.unwrap_or(NO_UPSTREAM)));
        if generation.is_some() {
            self.remember((feed.id, name.to_owned()), rendered.clone(), seen);
        }
        Ok(Some(rendered))
    }

    /// Whether the dependency-confusion guard hides upstream versions of `name` in a feed:
    /// it has a local version of that name (ignoring case and `-`/`_`) and the package does
    /// not allow externally-sourced versions. Cached briefly; publishing and the setting
    /// drop the cache.
    pub(crate) async fn guarded(&self, feed_id: i64, name: &str) -> Result<bool, DbError> {
        let key = (feed_id, wharf_db::canonical_key(name));
        if let Some(guarded) = self.guards.get(&key) {
            return Ok(guarded);
        }
        let seen = self.changes_seen();
        let guarded = self.db.packages().guard(feed_id, &key.1).await? == Some(false);
        self.guards.insert(key.clone(), guarded);
        if self.changes_seen() != seen {
            self.guards.invalidate(&key);
        }
        Ok(guarded)
    }
}
