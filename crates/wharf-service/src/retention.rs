//! Retention: per feed, keep at most N versions of each package, and delete versions not
//! downloaded for D days. Either rule alone takes a version; neither ever takes one promoted
//! to a view, nor a package's latest version. Housekeeping applies the rules and moves what
//! they take to the recycle bin (restorable for 30 days); the settings page previews it.
//! Every function takes the time as an argument: the tests run them on a clock they set.

use std::collections::BTreeMap;

use wharf_auth::{FeedAction, Principal};
use wharf_db::{Feed, RetainedVersion};

use crate::{Authorized, Change, Core, CoreResult, FeedRef};

/// A feed's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rules {
    pub max_versions: Option<i64>,
    pub days: Option<i64>,
}

impl Rules {
    pub fn of(feed: &Feed) -> Self {
        Rules { max_versions: feed.settings.retention_max_versions, days: feed.settings.retention_days }
    }

    pub fn is_off(&self) -> bool {
        self.max_versions.is_none() && self.days.is_none()
    }
}

/// A version the rules would take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub id: i64,
    pub package: String,
    pub version: String,
    pub reason: String,
}

/// The package's latest version: the highest that is not yanked, else the highest.
fn latest(versions: &[&RetainedVersion]) -> Option<i64> {
    let parsed = |v: &RetainedVersion| semver::Version::parse(&v.version).ok();
    let best = |yanked_too: bool| {
        versions.iter().filter(|v| yanked_too || !v.yanked).filter_map(|v| parsed(v).map(|s| (s, v.id))).max()
    };
    best(false).or_else(|| best(true)).map(|(_, id)| id)
}

/// What `rules` take of a feed's versions at `now` (Unix seconds), by package and version.
pub fn select(versions: &[RetainedVersion], rules: Rules, now: i64) -> Vec<Retired> {
    let mut by_package: BTreeMap<&str, Vec<&RetainedVersion>> = BTreeMap::new();
    for v in versions {
        by_package.entry(&v.package).or_default().push(v);
    }
    let mut taken = Vec::new();
    for (package, mut list) in by_package {
        let keep = latest(&list);
        // Highest first; a version that is not semver counts as the lowest.
        list.sort_by(|a, b| semver::Version::parse(&b.version).ok().cmp(&semver::Version::parse(&a.version).ok()));
        for (rank, v) in list.iter().enumerate() {
            if v.promoted || Some(v.id) == keep {
                continue;
            }
            let beyond = rules.max_versions.filter(|max| rank as i64 >= *max);
            let idle_since = v.last_downloaded_at.unwrap_or(v.created_at);
            let idle = rules.days.filter(|days| now - idle_since >= days * 86_400);
            let reason = match (beyond, idle) {
                (Some(max), _) => format!("more than the {max} newest versions"),
                (None, Some(days)) => format!("not downloaded for {days} days"),
                (None, None) => continue,
            };
            taken.push(Retired { id: v.id, package: package.to_owned(), version: v.version.clone(), reason });
        }
    }
    taken
}

/// What the feed's rules would take now (Administrator or Owner): the settings page's
/// preview.
pub async fn preview(core: &Core, principal: &Principal, feed: &FeedRef, now: i64) -> CoreResult<Vec<Retired>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    let rules = Rules::of(&feed);
    if rules.is_off() {
        return Ok(Vec::new());
    }
    Ok(select(&core.db.packages().retention_candidates(feed.id).await?, rules, now))
}

/// Applies every feed's rules at `now`, moving what they take to the recycle bins; one
/// replica at a time, under the `retention` job's lock (`None` when another replica is at
/// it). Returns how many versions moved.
pub async fn apply(core: &Core, now: i64) -> CoreResult<Option<usize>> {
    crate::job_lock::exclusively(&core.db, crate::job_lock::RETENTION, apply_under_lock(core, now)).await
}

/// [`apply`] for a caller that holds the job lock already: the `retention` job, which the
/// runner in [`crate::jobs`] runs under it.
pub(crate) async fn apply_under_lock(core: &Core, now: i64) -> CoreResult<usize> {
    let mut total = 0;
    for feed in core.db.feeds().with_retention().await? {
        let rules = Rules::of(&feed);
        let taken = select(&core.db.packages().retention_candidates(feed.id).await?, rules, now);
        if taken.is_empty() {
            continue;
        }
        let ids: Vec<i64> = taken.iter().map(|t| t.id).collect();
        let moved = core.db.packages().retire(feed.id, &ids, now).await?;
        for v in &moved {
            tracing::info!(feed = %feed.name, package = %v.name, version = %v.version, "retention moved a version to the recycle bin");
        }
        if !moved.is_empty() {
            total += moved.len();
            let moved_list: Vec<String> = moved.iter().map(|v| format!("{} {}", v.name, v.version)).collect();
            let entry = crate::audit::Entry::feed("retention.apply", &feed, &feed.name)
                .detail(format!("moved to the recycle bin: {}", moved_list.join(", ")));
            crate::audit::write(&core.db, crate::audit::Actor::SYSTEM, &entry).await;
            core.announce(Change::RetentionApplied { feed: feed.id, count: moved.len() });
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: i64, version: &str, created: i64, downloaded: Option<i64>, promoted: bool) -> RetainedVersion {
        RetainedVersion {
            id,
            package: "p".into(),
            version: version.into(),
            yanked: false,
            created_at: created,
            last_downloaded_at: downloaded,
            promoted,
        }
    }

    #[test]
    fn keeps_the_newest_the_latest_and_the_promoted() {
        let day = 86_400;
        let versions = vec![
            v(1, "0.1.0", 0, None, false),
            v(2, "0.2.0", 0, None, true),
            v(3, "0.10.0", 0, Some(100 * day), false),
            v(4, "0.3.0", 0, None, false),
            v(5, "1.0.0-rc.1", 0, None, false),
        ];
        let rules = Rules { max_versions: Some(2), days: None };
        let taken: Vec<_> = select(&versions, rules, day).into_iter().map(|t| t.version).collect();
        // By semver: 1.0.0-rc.1, 0.10.0 kept; 0.3.0 and 0.1.0 taken; 0.2.0 promoted.
        assert_eq!(taken, ["0.3.0", "0.1.0"]);

        let rules = Rules { max_versions: None, days: Some(30) };
        let taken: Vec<_> = select(&versions, rules, 101 * day).into_iter().map(|t| t.version).collect();
        // 0.10.0 was downloaded a day ago; 1.0.0-rc.1 is the latest.
        assert_eq!(taken, ["0.3.0", "0.1.0"]);
        assert!(select(&versions, rules, 29 * day).is_empty());
        assert!(select(&versions, Rules::default(), 1000 * day).is_empty());
    }

    #[test]
    fn the_latest_is_the_highest_not_yanked() {
        let mut versions = vec![v(1, "1.0.0", 0, None, false), v(2, "2.0.0", 0, None, false)];
        versions[1].yanked = true;
        let rules = Rules { max_versions: Some(1), days: Some(1) };
        let taken: Vec<_> = select(&versions, rules, 10 * 86_400).into_iter().map(|t| t.version).collect();
        assert_eq!(taken, ["2.0.0"]);
    }
}
