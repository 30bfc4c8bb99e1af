//! A feed's packages: their settings, and versions to the recycle bin and back.

use wharf_auth::{FeedAction, Principal};
use wharf_db::Feed;

use crate::{Authorized, Change, Core, CoreError, CoreResult, PackageRef, VersionRef, audit::Entry};

/// How long a deleted version stays in its feed's recycle bin.
pub const RECYCLE_BIN_DAYS: i64 = 30;

/// A package as a feed holds it.
#[derive(Debug, Clone)]
pub struct Package {
    /// As first published or saved.
    pub name: String,
    /// Oldest first.
    pub versions: Vec<wharf_db::VersionEntry>,
    /// Whether upstream versions of a name with local versions are allowed anyway.
    pub allow_external: bool,
    /// Every version promoted to a view.
    pub views: Vec<wharf_db::Promotion>,
}

/// The package, if the caller may do `action` on its feed; 404 if the feed has no version
/// of it.
async fn authorized(
    core: &Core,
    principal: &Principal,
    package: &PackageRef,
    action: FeedAction,
) -> CoreResult<(Feed, String)> {
    let Authorized { feed, .. } = package.feed.authorized(core, principal, action).await?;
    let key = package.key();
    if core.db.packages().versions(feed.id, &key).await?.is_empty() {
        return Err(CoreError::NotFound(format!("Feed '{}' has no package '{}'.", feed.name, package.name)));
    }
    Ok((feed, key))
}

/// A package of a feed (readers).
pub async fn get(core: &Core, principal: &Principal, package: &PackageRef) -> CoreResult<Package> {
    let (feed, key) = authorized(core, principal, package, FeedAction::Read).await?;
    describe(core, &feed, &key).await
}

async fn describe(core: &Core, feed: &Feed, key: &str) -> CoreResult<Package> {
    let packages = core.db.packages();
    let versions = packages.versions(feed.id, key).await?;
    let guard = packages.guard(feed.id, &wharf_db::canonical_key(key)).await?;
    let name = packages.list(feed.id, key).await?.into_iter().find(|p| p.name.eq_ignore_ascii_case(key));
    let views = core.db.views().of_package(feed.id, key).await?;
    Ok(Package {
        name: name.map_or_else(|| key.to_owned(), |p| p.name),
        versions,
        allow_external: guard == Some(true),
        views,
    })
}

/// What yanking and unyanking need (cargo's `yank`): Contributor or more.
pub const NEEDS_TO_YANK: FeedAction = FeedAction::Write;

/// Yanks (`true`) or unyanks a version published to the feed: new resolution passes a
/// yanked version by, locked builds still get it.
pub async fn set_yanked(core: &Core, principal: &Principal, version: &VersionRef, yanked: bool) -> CoreResult<()> {
    let registry = core.registry()?;
    let found = registry.authorized(core, principal, &version.package.feed, NEEDS_TO_YANK).await?;
    let feed = &found.feed;
    let key = version.package.key();
    let packages = core.db.packages();
    let row = packages.local_version(feed.id, &key, &version.version).await?;
    let line =
        wharf_index::publish::with_yanked(&row.index_line, yanked).map_err(|e| CoreError::BadBody(e.to_string()))?;
    packages.set_yanked(row.id, yanked, &line).await?;
    tracing::info!(feed = %feed.name, krate = %key, version = %version.version, yanked, "yank changed");
    let action = if yanked { "version.yank" } else { "version.unyank" };
    let entry = Entry::feed(action, feed, format!("{} {}", version.package.name, version.version));
    let change = Change::VersionYanked { feed: feed.id, krate: key, version: version.version.clone(), yanked };
    core.done(principal, entry, change).await;
    Ok(())
}

/// What changing a package's settings and quarantining its versions need.
pub const NEEDS_TO_MANAGE: FeedAction = FeedAction::Administer;

/// Turns the package's "Allow externally-sourced versions" on or off (Administrator or
/// Owner).
pub async fn set_allow_external(
    core: &Core,
    principal: &Principal,
    package: &PackageRef,
    allow: bool,
) -> CoreResult<Package> {
    let (feed, key) = authorized(core, principal, package, NEEDS_TO_MANAGE).await?;
    core.db.packages().set_allow_external(feed.id, &key, allow).await?;
    tracing::info!(feed = %feed.name, package = %key, allow, "package setting changed");
    let entry = Entry::feed("package.update", &feed, &package.name)
        .detail(format!("allow externally-sourced versions: {}", if allow { "on" } else { "off" }));
    core.done(principal, entry, Change::PackageChanged { feed: feed.id, krate: key.clone() }).await;
    describe(core, &feed, &key).await
}

/// Moves a local version to the recycle bin (Administrator or Owner): it vanishes from the
/// index and downloads, and its number stays reserved. Returns the feed.
pub async fn delete_version(core: &Core, principal: &Principal, version: &VersionRef) -> CoreResult<Feed> {
    let (feed, key) = authorized(core, principal, &version.package, FeedAction::Administer).await?;
    core.db.packages().delete_version(feed.id, &key, &version.version).await?;
    tracing::info!(feed = %feed.name, package = %key, version = %version.version, "version moved to the recycle bin");
    let entry = Entry::feed("version.delete", &feed, format!("{} {}", version.package.name, version.version));
    core.done(principal, entry, Change::VersionDeleted { feed: feed.id, krate: key, version: version.version.clone() })
        .await;
    Ok(feed)
}

/// Quarantines a version the feed holds (`Some(reason)`; Administrator or Owner): its
/// downloads are refused with the reason, and the index marks it yanked, so locked builds
/// hear why and new resolution passes it by. `None` lifts the quarantine. Whether
/// anything changed.
pub async fn quarantine(
    core: &Core,
    principal: &Principal,
    version: &VersionRef,
    reason: Option<&str>,
) -> CoreResult<bool> {
    let (feed, key) = authorized(core, principal, &version.package, NEEDS_TO_MANAGE).await?;
    let reason = reason.map(str::trim);
    if let Some(reason) = reason
        && (reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control))
    {
        return Err(CoreError::invalid(
            "reason",
            "Say why, in 1 to 500 characters on one line: cargo shows it to whoever downloads the version.",
        ));
    }
    let changed = core.db.packages().set_quarantine(feed.id, &key, &version.version, reason).await?;
    if changed {
        tracing::info!(feed = %feed.name, package = %key, version = %version.version, quarantined = reason.is_some(), reason = reason.unwrap_or(""), "quarantine changed");
        let target = format!("{} {}", version.package.name, version.version);
        let entry = match reason {
            Some(reason) => Entry::feed("version.quarantine", &feed, target).detail(reason),
            None => Entry::feed("version.unquarantine", &feed, target),
        };
        core.done(principal, entry, Change::PackageChanged { feed: feed.id, krate: key }).await;
    }
    Ok(changed)
}

/// Brings a version back from the recycle bin (Administrator or Owner). Returns the feed.
pub async fn restore_version(core: &Core, principal: &Principal, version: &VersionRef) -> CoreResult<Feed> {
    let Authorized { feed, .. } = version.package.feed.authorized(core, principal, FeedAction::Administer).await?;
    let key = version.package.key();
    core.db.packages().restore_version(feed.id, &key, &version.version).await?;
    tracing::info!(feed = %feed.name, package = %key, version = %version.version, "version restored");
    let entry = Entry::feed("version.restore", &feed, format!("{} {}", version.package.name, version.version));
    let change = Change::VersionRestored { feed: feed.id, krate: key, version: version.version.clone() };
    core.done(principal, entry, change).await;
    Ok(feed)
}

/// A version in a recycle bin.
#[derive(Debug, Clone)]
pub struct Recycled {
    pub name: String,
    pub version: String,
    pub deleted_at: i64,
    /// When it is purged for good.
    pub purged_at: i64,
}

/// The feed's recycle bin, newest first (Administrator or Owner).
pub async fn recycle_bin(core: &Core, principal: &Principal, feed: &crate::FeedRef) -> CoreResult<Vec<Recycled>> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    Ok(core
        .db
        .packages()
        .recycle_bin(feed.id)
        .await?
        .into_iter()
        .map(|v| Recycled {
            purged_at: v.deleted_at + RECYCLE_BIN_DAYS * 86_400,
            name: v.name,
            version: v.version,
            deleted_at: v.deleted_at,
        })
        .collect())
}
