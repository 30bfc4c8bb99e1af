//! The upstream cooldown: upstream versions published fewer than the feed's days ago are
//! withheld, so they are absent from the index and cannot be saved. A version's age comes
//! from its `pubtime`, or else from when Wharf first saw it. Versions the feed holds
//! already are not touched, and versions or packages an Administrator released stay in.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use wharf_db::{Db, DbError};
use wharf_index::IndexLine;

use super::{Effect, Judged, Policy, Reason, Subject};
use crate::{
    Change,
    remembered::{Generation, Remembered},
};

const DAY: i64 = 86_400;

/// Seconds since the epoch of an index line's `pubtime`, when it has a valid one.
fn published_at(line: &IndexLine) -> Option<i64> {
    let at = line.pubtime.as_deref()?;
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
}

pub struct Cooldown {
    db: Db,
    /// What an Administrator released early, per (feed id, crate).
    released: Remembered<(i64, String), Arc<wharf_db::Released>>,
    /// When versions without `pubtime` were first seen, per crate (the policy's own record:
    /// their age counts from it).
    first_seen: Remembered<String, Arc<HashMap<String, i64>>>,
}

impl Cooldown {
    pub fn new(db: &Db, generation: &Arc<Generation>) -> Self {
        Cooldown {
            db: db.clone(),
            released: Remembered::new(generation, Duration::from_secs(5), 100_000),
            first_seen: Remembered::new(generation, Duration::from_secs(5), 100_000),
        }
    }

    /// When each of `versions` was first seen (recording those never seen), from a cache
    /// that holds every one of them.
    async fn first_seen_of(
        &self,
        name: &str,
        versions: &[&str],
        now: i64,
    ) -> Result<Arc<HashMap<String, i64>>, DbError> {
        let key = name.to_owned();
        if let Some(seen) = self.first_seen.get(&key).filter(|seen| versions.iter().all(|v| seen.contains_key(*v))) {
            return Ok(seen);
        }
        let at = self.first_seen.seen();
        let seen = Arc::new(self.db.cooldown().first_seen(name, versions, now).await?);
        self.first_seen.keep(key, seen.clone(), at);
        Ok(seen)
    }
}

impl Policy for Cooldown {
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            let Some(days) = subject.feed.settings.upstream_cooldown_days.filter(|d| *d > 0) else {
                return Ok(());
            };
            // Versions the feed holds already (saved before) are not held back.
            let young: Vec<&IndexLine> = subject.supplied.iter().filter(|l| !subject.holds(&l.vers)).collect();
            if young.is_empty() {
                return Ok(());
            }
            let undated: Vec<&str> =
                young.iter().filter(|l| published_at(l).is_none()).map(|l| l.vers.as_str()).collect();
            let first_seen = match undated.is_empty() {
                true => Default::default(),
                false => self.first_seen_of(subject.name, &undated, subject.now).await?,
            };
            let (feed, name) = (subject.feed.id, subject.name.to_owned());
            let released = self
                .released
                .get_or_read((feed, name.clone()), || async move {
                    Ok::<_, DbError>(Arc::new(self.db.cooldown().released(feed, &name).await?))
                })
                .await?;
            for line in young {
                let Some(born) = published_at(line).or_else(|| first_seen.get(&line.vers).copied()) else { continue };
                let until = born + days * DAY;
                if until > subject.now && !released.package && !released.versions.contains(&line.vers) {
                    judged.add(&line.vers, Effect::Withhold, Reason::HeldBack { until });
                }
            }
            Ok(())
        })
    }

    fn changed(&self, change: &Change) {
        match change.crate_of() {
            Some((feed, krate)) => self.released.forget(&(feed, krate.to_ascii_lowercase())),
            None if change.touches_feeds() => self.released.forget_all(),
            None => {}
        }
    }
}

/// When `until` (seconds since the epoch) is, as people read it.
pub fn day_of(until: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(until)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| until.to_string())
}
