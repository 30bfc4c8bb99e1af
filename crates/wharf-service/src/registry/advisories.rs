//! The feeds' advisory policies, where cargo is served: versions an advisory in force
//! affects are marked yanked in the index under `hide` and `block` (new resolution passes
//! them by; locked builds still ask), and their downloads are refused under `block`.
//! Advisories that mark a crate malicious are blocked whatever the policy. Only versions
//! from upstream sources are judged: advisories are about crates.io's crates, not a
//! feed's own crate of the same name.

use std::{collections::HashSet, sync::Arc};

use wharf_core::feed::AdvisoryPolicy;
use wharf_db::{DbError, Feed};
use wharf_index::advisory::Advisory;

use super::Registry;

impl Registry {
    /// The advisories in force about `name`, cached until the next import.
    async fn advisories_of(&self, name: &str) -> Result<Arc<Vec<Advisory>>, DbError> {
        let key = name.to_ascii_lowercase();
        if let Some(found) = self.advisories.get(&key) {
            return Ok(found);
        }
        let rows = self.db.advisories().of_package(&key).await?;
        let list: Vec<Advisory> =
            rows.iter().map(crate::advisories::advisory_of).filter(Advisory::is_in_force).collect();
        let list = Arc::new(list);
        self.advisories.insert(key, list.clone());
        Ok(list)
    }

    /// The first advisory that makes the feed refuse or hide `version` of `name`: under
    /// `hide` (`downloads` false) or `block` any in force, otherwise only a malicious one.
    async fn enforced(
        &self,
        feed: &Feed,
        name: &str,
        version: &str,
        downloads: bool,
    ) -> Result<Option<Advisory>, DbError> {
        let all = self.advisories_of(name).await?;
        let policy_covers = match feed.settings.advisory_policy {
            AdvisoryPolicy::Block => true,
            AdvisoryPolicy::Hide => !downloads,
            AdvisoryPolicy::Warn => false,
        };
        Ok(all.iter().find(|a| (policy_covers || a.kind == "malicious") && a.affects(version)).cloned())
    }

    /// `body` (an index file of `name` with upstream versions) with the versions the feed's
    /// policy hides marked yanked.
    pub(super) async fn advisory_marked(&self, feed: &Feed, name: &str, body: Vec<u8>) -> Result<Vec<u8>, DbError> {
        let all = self.advisories_of(name).await?;
        if all.is_empty() {
            return Ok(body);
        }
        let local: HashSet<String> = self.db.packages().local_versions(feed.id, name).await?.into_iter().collect();
        let mut hidden = HashSet::new();
        for (_, line) in wharf_index::lines(&body) {
            if !local.contains(&line.vers) && self.enforced(feed, name, &line.vers, false).await?.is_some() {
                hidden.insert(line.vers);
            }
        }
        if hidden.is_empty() {
            return Ok(body);
        }
        Ok(wharf_index::mark_yanked(&body, &hidden))
    }

    /// Refuses an upstream `version` of `key` (asked for as `name`) that an advisory
    /// blocks in the feed, naming the advisory.
    pub(super) async fn refuse_if_blocked(
        &self,
        feed: &Feed,
        key: &str,
        name: &str,
        version: &str,
    ) -> Result<(), super::DownloadError> {
        match self.enforced(feed, key, version, true).await? {
            None => Ok(()),
            Some(advisory) => Err(super::DownloadError::Advisory {
                krate: name.to_owned(),
                version: version.to_owned(),
                feed: feed.name.clone(),
                id: advisory.id,
                title: advisory.title,
            }),
        }
    }
}
