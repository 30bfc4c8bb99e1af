//! The upstream cooldown: upstream versions published fewer than the feed's days ago are
//! left out of what its sources supply, so they are absent from the index and cannot be
//! saved. A version's age comes from its `pubtime`, or else from when Wharf first saw it.
//! Versions saved before (the feed's own lines) are not touched, and versions or packages
//! an Administrator released stay in.

use std::{collections::HashMap, sync::Arc};

use bytes::Bytes;
use wharf_db::{DbError, Feed};
use wharf_index::IndexLine;

use super::{Registry, index::Supplied};

const DAY: i64 = 86_400;

/// Seconds since the epoch of an index line's `pubtime`, when it has a valid one.
fn published_at(line: &IndexLine) -> Option<i64> {
    let at = line.pubtime.as_deref()?;
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// The versions a cooldown holds back from one supplied file, with when each is released.
#[derive(Debug, Default)]
pub(super) struct Held {
    pub(super) until: HashMap<String, i64>,
}

impl Registry {
    /// `supplied` without the versions the feed's cooldown holds back now (`None` when
    /// nothing is left), and which those are.
    pub(super) async fn cool(
        &self,
        feed: &Feed,
        name: &str,
        supplied: Supplied,
        now: i64,
    ) -> Result<(Option<Supplied>, Held), DbError> {
        let Some(days) = feed.settings.upstream_cooldown_days.filter(|d| *d > 0) else {
            return Ok((Some(supplied), Held::default()));
        };
        let parsed: Vec<IndexLine> = wharf_index::lines(&supplied.body).map(|(_, line)| line).collect();
        let undated: Vec<&str> = parsed.iter().filter(|l| published_at(l).is_none()).map(|l| l.vers.as_str()).collect();
        let first_seen = match undated.is_empty() {
            true => Default::default(),
            false => self.first_seen_of(name, &undated, now).await?,
        };
        let released = match self.released.get(&(feed.id, name.to_owned())) {
            Some(released) => released,
            None => {
                let seen = self.changes_seen();
                let released = Arc::new(self.db.cooldown().released(feed.id, name).await?);
                self.released.insert((feed.id, name.to_owned()), released.clone());
                if self.changes_seen() != seen {
                    self.released.invalidate(&(feed.id, name.to_owned()));
                }
                released
            }
        };
        let mut held = Held::default();
        for line in &parsed {
            let Some(born) = published_at(line).or_else(|| first_seen.get(&line.vers).copied()) else { continue };
            let until = born + days * DAY;
            if until > now && !released.package && !released.versions.contains(&line.vers) {
                held.until.insert(line.vers.clone(), until);
            }
        }
        if !held.until.is_empty() {
            // Versions the feed holds already (saved before) are not held back.
            for line in self.db.packages().own_lines(feed.id, name).await? {
                if let Some((_, own)) = wharf_index::lines(line.as_bytes()).next() {
                    held.until.remove(&own.vers);
                }
            }
        }
        self.note_held(feed.id, name, &held);
        if held.until.is_empty() {
            return Ok((Some(supplied), held));
        }
        let body = wharf_index::retain(&supplied.body, |line| !held.until.contains_key(&line.vers));
        // What is held changes the file: a generation of its own (top half, like a feed's).
        let generation = supplied.generation.rotate_left(17) ^ (held.until.len() as u64) | (1 << 63);
        Ok((body.map(|body| Supplied { body: Bytes::from(body), generation, source: supplied.source }), held))
    }
}

impl Registry {
    /// Records what is held back of a crate for the portal, in the background, when it
    /// differs from what was recorded last.
    fn note_held(&self, feed_id: i64, name: &str, held: &Held) {
        let mut list: Vec<(String, i64)> = held.until.iter().map(|(v, at)| (v.clone(), *at)).collect();
        list.sort();
        let digest = digest_of(&list);
        let key = (feed_id, name.to_owned());
        if self.held_noted.get(&key) == Some(digest) {
            return;
        }
        self.held_noted.insert(key, digest);
        let (db, name) = (self.db.clone(), name.to_owned());
        tokio::spawn(async move {
            if let Err(e) = db.cooldown().record_held(feed_id, &name, &list).await {
                tracing::warn!(error = ?e, krate = %name, "could not record the versions the cooldown holds back");
            }
        });
    }

    /// Records which saved versions of a crate were removed upstream, for the package page,
    /// in the background, when it differs from what was recorded last.
    pub(super) fn note_removed(&self, feed_id: i64, name: &str, removed: &[String]) {
        let mut list = removed.to_vec();
        list.sort();
        let digest = digest_of(&list);
        let key = (feed_id, format!("{name}#removed"));
        if self.held_noted.get(&key) == Some(digest) {
            return;
        }
        self.held_noted.insert(key, digest);
        let (db, name) = (self.db.clone(), name.to_owned());
        tokio::spawn(async move {
            if let Err(e) = db.packages().mark_removed_upstream(feed_id, &name, &list, wharf_db::unix_now()).await {
                tracing::warn!(error = ?e, krate = %name, "could not record versions removed upstream");
            }
        });
    }

    /// When each of `versions` was first seen (recording those never seen), from a cache
    /// that holds every one of them.
    async fn first_seen_of(
        &self,
        name: &str,
        versions: &[&str],
        now: i64,
    ) -> Result<Arc<HashMap<String, i64>>, DbError> {
        if let Some(seen) = self.first_seen.get(name).filter(|seen| versions.iter().all(|v| seen.contains_key(*v))) {
            return Ok(seen);
        }
        let seen = Arc::new(self.db.cooldown().first_seen(name, versions, now).await?);
        self.first_seen.insert(name.to_owned(), seen.clone());
        Ok(seen)
    }
}

/// A digest of what was last recorded, to skip writing the same again.
fn digest_of(value: &impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// When `until` (seconds since the epoch) is, as people read it.
pub(super) fn day_of(until: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(until)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| until.to_string())
}
