//! A feed's index file: the upstream's bytes plus the feed's own lines, through the
//! feed's policies ([`super::policy`]), rendered once (ETag, gzip) and served from memory
//! until either side changes.

use std::{collections::HashSet, sync::Arc};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use wharf_auth::{FeedAction, Principal};
use wharf_db::{DbError, Feed};

use super::{
    Registry, ViewTarget, etag_of, gzip,
    policy::{Judged, Subject},
    sources::{Source, Through},
    upstream::CacheOutcome,
};
use crate::metrics::inc;

/// A rendered index file.
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    /// The upstream copy it was built from, or [`NO_UPSTREAM`], or [`LOCAL_ONLY`].
    upstream_generation: u64,
    /// What the feed's policies said of its versions (the portal shows it).
    pub judged: Judged,
}

/// `Rendered::upstream_generation` of a file with no upstream part (upstream copies count
/// from 2).
pub(super) const NO_UPSTREAM: u64 = 0;
/// … and of a file of a guarded name, whose upstream versions are hidden.
const LOCAL_ONLY: u64 = 1;

impl Rendered {
    pub(super) fn new(body: Vec<u8>, upstream_generation: u64, judged: Judged) -> Self {
        Rendered { etag: etag_of(&body), gzip: gzip(&body), body: Bytes::from(body), upstream_generation, judged }
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

/// How many feeds deep a chain of feed sources is followed (cycles are refused when
/// sources are set; this bounds a cycle two concurrent changes made anyway).
pub(super) const MAX_CHAIN: u8 = 8;

/// What a feed's upstream sources give for one name: the file of the first source in
/// order that knows it.
pub(super) struct Supplied {
    pub(super) body: Bytes,
    /// Unique per body of a source (feeds as sources: a digest of the body, top bit set).
    pub(super) generation: u64,
    /// Which of the feed's sources gave it.
    pub(super) source: Source,
}

/// A source that could not answer, which stops the lookup of a name.
pub(super) struct SourceFailure {
    pub(super) source: String,
    pub(super) reason: String,
}

impl std::fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "upstream source '{}': {}", self.source, self.reason)
    }
}

/// The generation of a feed-source body: its digest, in the top half of `u64`.
fn digest_generation(etag: &str) -> u64 {
    let hex = etag.trim_matches('"');
    u64::from_str_radix(hex.get(..16).unwrap_or("0"), 16).unwrap_or(0) | (1 << 63)
}

impl Registry {
    /// The index file of `name` (lower-cased) in `feed` as `caller` may see it (the route
    /// has checked that they may read `feed`; its feed sources are checked here), and how
    /// the upstream part was had.
    pub(crate) async fn index_file(
        &self,
        feed: &Feed,
        name: &str,
        caller: &Principal,
    ) -> Result<(Arc<Rendered>, CacheOutcome), IndexError> {
        self.index_file_at(feed, name, caller, 0).await
    }

    /// What the feed's policies say now of the versions of `name` (lower-cased) that
    /// `caller` would be served: the same file cargo gets. Empty when the feed serves
    /// nothing of it, or its sources cannot be reached.
    pub(crate) async fn judged(&self, feed: &Feed, name: &str, caller: &Principal) -> Result<Judged, DbError> {
        match self.index_file(feed, name, caller).await {
            Ok((rendered, _)) => Ok(rendered.judged.clone()),
            Err(IndexError::NotFound { .. } | IndexError::UpstreamDown { .. }) => Ok(Judged::default()),
            Err(IndexError::Db(e)) => Err(e),
        }
    }

    /// [`Registry::index_file`] of a feed `depth` feeds down a chain of feed sources.
    pub(super) fn index_file_at<'a>(
        &'a self,
        feed: &'a Feed,
        name: &'a str,
        caller: &'a Principal,
        depth: u8,
    ) -> BoxFuture<'a, Result<(Arc<Rendered>, CacheOutcome), IndexError>> {
        Box::pin(async move {
            let key = (feed.id, name.to_owned());
            let not_found = || IndexError::NotFound { krate: name.to_owned(), feed: feed.name.clone() };
            if !self.pipeline.asks_upstream(feed, name).await? {
                // No upstream part (no sources, or a name the guard keeps local): rendered
                // once, until a publish, yank or setting drops it.
                let generation = if feed.has_sources { LOCAL_ONLY } else { NO_UPSTREAM };
                if let Some(rendered) = self.rendered.get(&key).filter(|r| r.upstream_generation == generation) {
                    return Ok((rendered, CacheOutcome::Hit));
                }
                let seen = self.rendered.seen();
                let rendered = self.render(feed, name, None, false, generation).await?.ok_or_else(not_found)?;
                self.rendered.keep(key, rendered.clone(), seen);
                return Ok((rendered, CacheOutcome::Hit));
            }
            let (supplied, outcome) = match self.supplier(feed, name, caller, depth).await? {
                Ok(found) => found,
                Err(failure) => {
                    // The source that should answer cannot, and nothing of it is cached: the
                    // feed's own versions still count (not cached).
                    tracing::warn!(krate = name, error = %failure, "upstream index unavailable");
                    let own = self.render(feed, name, None, false, NO_UPSTREAM).await?;
                    return own.map(|r| (r, CacheOutcome::Stale)).ok_or_else(|| IndexError::UpstreamDown {
                        krate: name.to_owned(),
                        feed: feed.name.clone(),
                        reason: failure.to_string(),
                    });
                }
            };
            if depth == 0 {
                match outcome {
                    CacheOutcome::Hit => inc(&self.metrics.index_hit),
                    CacheOutcome::Revalidated => inc(&self.metrics.index_revalidated),
                    CacheOutcome::Stale => inc(&self.metrics.index_stale),
                    CacheOutcome::Miss => inc(&self.metrics.index_miss),
                }
            }
            let generation = supplied.as_ref().map_or(NO_UPSTREAM, |s| s.generation);
            if let Some(rendered) = self.rendered.get(&key).filter(|r| r.upstream_generation == generation) {
                return Ok((rendered, outcome));
            }
            let seen = self.rendered.seen();
            let rendered = self.render(feed, name, supplied.as_ref(), true, generation).await?.ok_or_else(not_found)?;
            self.rendered.keep(key, rendered.clone(), seen);
            Ok((rendered, outcome))
        })
    }

    /// The upstream part of `name` in `feed`: the file of the **first source in order that
    /// knows the name**, and only that source's (a name is never assembled from several).
    /// A source that cannot answer, with no copy of the name kept, stops the lookup: a
    /// later source never answers for a name because an earlier one was down. A feed
    /// source that `caller` may not read (as its own URL would decide, now) is passed over
    /// for them, as if the feed did not have it: a source never gives anyone more than
    /// itself would.
    pub(super) async fn supplier(
        &self,
        feed: &Feed,
        name: &str,
        caller: &Principal,
        depth: u8,
    ) -> Result<Result<(Option<Supplied>, CacheOutcome), SourceFailure>, DbError> {
        let sources = self.sources(feed).await?;
        let mut outcome = CacheOutcome::Hit;
        for source in sources.iter() {
            let fail = |reason: String| {
                self.upstreams.failed(source.id(), &reason);
                Ok(Err(SourceFailure { source: source.name().to_owned(), reason }))
            };
            match source {
                Source::Registry { id, client, .. } => match client.index_file(name).await {
                    Ok((file, got)) => {
                        if got != CacheOutcome::Stale && got != CacheOutcome::Hit {
                            self.upstreams.reached(*id);
                            self.upstream_reached(feed.id);
                        }
                        outcome = got;
                        if let Some(body) = &file.body {
                            let supplied =
                                Supplied { body: body.clone(), generation: file.generation, source: source.clone() };
                            return Ok(Ok((Some(supplied), outcome)));
                        }
                    }
                    Err(err) => return fail(err.to_string()),
                },
                Source::Feed { id, feed_id, through, .. } => {
                    if depth >= MAX_CHAIN {
                        return fail(format!("the chain of feeds is deeper than {MAX_CHAIN}"));
                    }
                    let target = match self.feed_by_id(*feed_id).await {
                        Ok(target) => target,
                        Err(DbError::NotFound(message)) => return fail(message),
                        Err(e) => return Err(e),
                    };
                    if !self.may(caller, &target, FeedAction::Read).await? {
                        continue;
                    }
                    let found = match through {
                        Through::View(view_id) => match self.db.views().get_by_id(*view_id).await {
                            Ok(view) => {
                                self.view_index_file_at(&target, &ViewTarget::View(view), name, caller, depth + 1).await
                            }
                            Err(DbError::NotFound(message)) => return fail(message),
                            Err(e) => return Err(e),
                        },
                        Through::Local => {
                            self.view_index_file_at(&target, &ViewTarget::Local, name, caller, depth + 1).await
                        }
                        Through::Whole => {
                            self.index_file_at(&target, name, caller, depth + 1).await.map(|(rendered, _)| rendered)
                        }
                    };
                    match found {
                        Ok(rendered) => {
                            self.upstreams.reached(*id);
                            let generation = digest_generation(&rendered.etag);
                            let supplied = Supplied { body: rendered.body.clone(), generation, source: source.clone() };
                            return Ok(Ok((Some(supplied), outcome)));
                        }
                        Err(IndexError::NotFound { .. }) => {}
                        Err(IndexError::UpstreamDown { reason, .. }) => return fail(reason),
                        Err(IndexError::Db(e)) => return Err(e),
                    }
                }
                Source::Broken { error, .. } => return fail(error.clone()),
            }
        }
        Ok(Ok((None, outcome)))
    }

    /// The file of `name` in `feed`: what `supplied` gives (the sources `answered`, or were
    /// not asked) and what the feed holds, through the feed's policies.
    async fn render(
        &self,
        feed: &Feed,
        name: &str,
        supplied: Option<&Supplied>,
        answered: bool,
        generation: u64,
    ) -> Result<Option<Arc<Rendered>>, DbError> {
        let held = self.db.packages().holdings(feed.id, name).await?;
        let lines: Vec<wharf_index::IndexLine> =
            supplied.map(|s| wharf_index::lines(&s.body).map(|(_, line)| line).collect()).unwrap_or_default();
        let listed: Option<HashSet<String>> = answered.then(|| lines.iter().map(|l| l.vers.clone()).collect());
        let subject =
            Subject { feed, name, held: &held, supplied: &lines, listed: listed.as_ref(), now: self.clock.now() };
        let judged = self.pipeline.judge(&subject).await?;
        let body = super::policy::render(supplied.map(|s| &s.body[..]), &held, &judged);
        Ok(body.map(|body| Arc::new(Rendered::new(body, generation, judged))))
    }

    /// Whether `caller` may do `action` on `target`, a feed another feed reads from: what
    /// the target's own URL would decide, now (roles and visibility are read through the
    /// access cache, which every change to them empties on every replica).
    pub(super) async fn may(&self, caller: &Principal, target: &Feed, action: FeedAction) -> Result<bool, DbError> {
        let standing = self.credentials.standing(&self.db, caller, target).await?;
        Ok(wharf_auth::authorize(caller, &standing, action).is_ok())
    }
}
