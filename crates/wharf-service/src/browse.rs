//! Reading a feed's packages: the portal's listings and package page, cargo's search and
//! owners. Each read authorizes through `FeedRef::authorized` like every
//! operation; only reads, so nothing is announced.

use wharf_auth::{FeedAction, Principal};
use wharf_core::Role;
use wharf_db::{Feed, PackageFilter, PackageSummary, VersionRow, packages::VersionDetail};

use crate::{Core, CoreError, CoreResult, FeedRef, PackageRef, registry::policy::Reason};

/// Packages a listing shows per page.
pub const PACKAGES_PER_PAGE: i64 = 50;

/// One page of a feed's packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagePage {
    /// Packages that match, on every page.
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<PackageSummary>,
    /// Newer upstream versions of this page's packages the feed's cooldown holds back.
    pub held_back: i64,
}

impl PackagePage {
    /// The last page (1 when nothing matches).
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// Page `page` (from 1) of the packages of a feed whose name contains `query` and that
/// pass `filter` (readers). Searched and paged in the database: a feed of ten thousand
/// packages costs one page. A page past the last is empty.
pub async fn list(
    core: &Core,
    principal: &Principal,
    feed: &FeedRef,
    query: &str,
    filter: PackageFilter,
    page: i64,
) -> CoreResult<PackagePage> {
    let found = feed.authorized(core, principal, FeedAction::Read).await?;
    let page = page.max(1);
    let offset = (page - 1).saturating_mul(PACKAGES_PER_PAGE);
    let (total, items) =
        core.db.packages().page(found.feed.id, query.trim(), filter, offset, PACKAGES_PER_PAGE).await?;
    let held_back = match found.feed.settings.upstream_cooldown_days.is_some_and(|days| days > 0) {
        true => held_back_of(core, principal, &found.feed, &items).await?,
        false => 0,
    };
    Ok(PackagePage { total, page, per_page: PACKAGES_PER_PAGE, items, held_back })
}

/// How many upstream versions of `packages` the feed's cooldown holds back now, as cargo
/// would be served them (a few packages at a time).
async fn held_back_of(core: &Core, principal: &Principal, feed: &Feed, packages: &[PackageSummary]) -> CoreResult<i64> {
    let registry = core.registry()?;
    let names: Vec<String> = packages.iter().map(|p| p.name.to_ascii_lowercase()).collect();
    let mut held = 0;
    for some in names.chunks(4) {
        let judged = futures_util::future::try_join_all(some.iter().map(|name| registry.judged(feed, name, principal)));
        held += judged.await?.iter().map(|j| j.held_back().len()).sum::<usize>();
    }
    Ok(held.try_into().unwrap_or(i64::MAX))
}

/// Versions a package's page lists per page.
pub const VERSIONS_PER_PAGE: i64 = 50;

/// A package as its page shows it.
#[derive(Debug, Clone)]
pub struct PackageDetails {
    pub feed: Feed,
    /// The version on display: the newest not yanked, else the newest.
    pub shown: VersionDetail,
    /// Upstream versions its cooldown holds back, with the day each is released.
    pub held_back: Vec<(String, i64)>,
    /// Saved versions their upstream no longer lists.
    pub removed_upstream: std::collections::HashSet<String>,
    /// Whether any version was published to the feed (the guard applies).
    pub has_local: bool,
    /// Whether upstream versions of its name are allowed in anyway.
    pub allow_external: bool,
    /// Whether the caller may promote versions to views.
    pub can_promote: bool,
    /// The feed's views, by name.
    pub views: Vec<String>,
    /// Every version promoted to a view.
    pub promoted: Vec<wharf_db::Promotion>,
    /// Versions in all, this page (from 1), and its versions, newest first.
    pub total: i64,
    pub page: i64,
    pub versions: Vec<VersionRow>,
}

/// A package with the version on display and page `page` of its versions (readers).
/// `NotFound` when the feed holds no version of it.
pub async fn details(
    core: &Core,
    principal: &Principal,
    package: &PackageRef,
    page: i64,
) -> CoreResult<PackageDetails> {
    let found = package.feed.authorized(core, principal, FeedAction::Read).await?;
    let key = package.key();
    let packages = core.db.packages();
    let missing = || CoreError::NotFound(format!("Feed '{}' has no package '{}'.", found.feed.name, package.name));
    let (shown, has_local) = packages.shown_version(found.feed.id, &key).await?.ok_or_else(missing)?;
    let page = page.max(1);
    let offset = (page - 1).saturating_mul(VERSIONS_PER_PAGE);
    let (total, versions) = packages.version_page(found.feed.id, &key, offset, VERSIONS_PER_PAGE).await?;
    let guard = packages.guard(found.feed.id, &wharf_db::canonical_key(&key)).await?;
    let can_promote = wharf_auth::authorize(principal, &found.standing, FeedAction::Write).is_ok();
    let views = core.db.views().list(found.feed.id).await?.into_iter().map(|v| v.name).collect();
    let promoted = core.db.views().of_package(found.feed.id, &key).await?;
    // What the feed's policies say of it, as cargo is served it now.
    let judged = core.registry()?.judged(&found.feed, &key, principal).await?;
    Ok(PackageDetails {
        held_back: judged.held_back(),
        removed_upstream: judged.versions_where(|r| *r == Reason::RemovedUpstream),
        feed: found.feed,
        shown,
        has_local,
        allow_external: guard == Some(true),
        can_promote,
        views,
        promoted,
        total,
        page,
        versions,
    })
}

/// One search hit: name, newest version, description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub name: String,
    pub max_version: String,
    pub description: String,
}

/// Cargo's search in a feed `principal` may read: exact matches first
/// (names compared ignoring case and `-`/`_`), then prefixes, then the rest, by name, each
/// with the newest version the feed serves them (through its policies: a package it
/// serves nothing of is left out). Answers the total and the first `per_page` hits.
pub async fn search(
    core: &Core,
    principal: &Principal,
    feed: &FeedRef,
    query: &str,
    per_page: usize,
) -> CoreResult<(usize, Vec<Hit>)> {
    let registry = core.registry()?;
    let feed = &registry.authorized(core, principal, feed, FeedAction::Read).await?.feed;
    let q = wharf_db::canonical_key(query.trim());
    let packages = core.db.packages();
    let mut found = Vec::new();
    for package in packages.list(feed.id, "").await? {
        let key = wharf_db::canonical_key(&package.name);
        let rank = if key == q {
            0
        } else if key.starts_with(&q) {
            1
        } else if key.contains(&q) {
            2
        } else {
            continue;
        };
        found.push((rank, package.name));
    }
    found.sort();
    let total = found.len();
    let mut hits = Vec::new();
    for (_, name) in found.into_iter() {
        if hits.len() == per_page {
            break;
        }
        let key = name.to_ascii_lowercase();
        let Some(max_version) = registry.newest_served(feed, &key, principal).await? else { continue };
        let description = packages.description(feed.id, &key).await?.unwrap_or_default();
        hits.push(Hit { name, max_version, description });
    }
    Ok((total, hits))
}

/// Who may publish and yank `krate` in a feed `principal` may read: the feed's Owners and
/// Contributors.
pub async fn owners(
    core: &Core,
    principal: &Principal,
    feed: &FeedRef,
    krate: &str,
) -> CoreResult<Vec<wharf_db::FeedRole>> {
    let feed = &core.registry()?.authorized(core, principal, feed, FeedAction::Read).await?.feed;
    if core.db.packages().versions(feed.id, &krate.to_ascii_lowercase()).await?.is_empty() {
        return Err(CoreError::NotFound(format!("This feed has no crate named `{krate}`.")));
    }
    let roles = core.db.roles().list(feed.id).await?;
    Ok(roles.into_iter().filter(|h| matches!(h.role, Role::Owner | Role::Contributor)).collect())
}
