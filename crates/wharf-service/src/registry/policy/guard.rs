//! The dependency-confusion guard: a name the feed has published itself (ignoring case and
//! `-`/`_`) is never asked of an upstream source, and versions of it saved from one before
//! are withheld, unless the package allows externally-sourced versions.

use std::{sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use wharf_db::{Db, DbError, Feed, Origin};

use super::{Effect, Judged, Policy, Reason, Subject};
use crate::{
    Change,
    remembered::{Generation, Remembered},
};

pub struct Guard {
    db: Db,
    /// Per (feed id, canonical name): whether the guard applies.
    guarded: Remembered<(i64, String), bool>,
}

impl Guard {
    pub fn new(db: &Db, generation: &Arc<Generation>) -> Self {
        Guard { db: db.clone(), guarded: Remembered::new(generation, Duration::from_secs(5), 100_000) }
    }

    /// Whether the guard hides upstream versions of `name` in `feed`.
    async fn applies(&self, feed_id: i64, name: &str) -> Result<bool, DbError> {
        let key = (feed_id, wharf_db::canonical_key(name));
        let canonical = key.1.clone();
        self.guarded
            .get_or_read(key, || async move { Ok(self.db.packages().guard(feed_id, &canonical).await? == Some(false)) })
            .await
    }
}

impl Policy for Guard {
    fn asks_upstream<'a>(&'a self, feed: &'a Feed, name: &'a str) -> BoxFuture<'a, Result<bool, DbError>> {
        Box::pin(async move { Ok(!self.applies(feed.id, name).await?) })
    }

    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            if !subject.feed.has_sources || !self.applies(subject.feed.id, subject.name).await? {
                return Ok(());
            }
            let upstream = subject.held.iter().filter(|h| h.origin == Origin::Upstream).map(|h| h.version.as_str());
            let supplied = subject.supplied.iter().map(|l| l.vers.as_str()).filter(|v| !subject.local(v));
            for version in upstream.chain(supplied) {
                judged.add(version, Effect::Withhold, Reason::Guarded);
            }
            Ok(())
        })
    }

    fn changed(&self, change: &Change) {
        match change.crate_of() {
            Some((feed, krate)) => self.guarded.forget(&(feed, wharf_db::canonical_key(krate))),
            None if change.touches_feeds() => self.guarded.forget_all(),
            None => {}
        }
    }
}
