//! Exceptions to a feed's upstream cooldown: an Administrator releases one version, or a
//! whole package, before its time (an urgent fix), giving a reason that is kept with it.

use wharf_auth::{FeedAction, Principal};

use crate::{Authorized, Change, Core, CoreError, CoreResult, PackageRef, VersionRef, audit::Entry};

/// What releasing from the cooldown needs.
pub const NEEDS_TO_RELEASE: FeedAction = FeedAction::Administer;

/// Longest reason kept.
const MAX_REASON: usize = 500;

/// What to release: one version, or every version of the package.
#[derive(Debug, Clone)]
pub enum Release<'a> {
    Version(&'a VersionRef),
    Package(&'a PackageRef),
}

/// Releases a version or package from the feed's cooldown now (Administrator or Owner);
/// whether it was new (releasing again keeps the first reason).
pub async fn release(core: &Core, principal: &Principal, what: Release<'_>, reason: &str) -> CoreResult<bool> {
    let (package, version) = match what {
        Release::Version(version) => (&version.package, Some(version.version.as_str())),
        Release::Package(package) => (package, None),
    };
    let Authorized { feed, .. } = package.feed.authorized(core, principal, NEEDS_TO_RELEASE).await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "reason",
            format!("Say why it cannot wait, in 1 to {MAX_REASON} characters on one line: the reason is kept."),
        ));
    }
    let key = package.key();
    let by = principal.user().map(|u| u.id);
    let new = core.db.cooldown().release(feed.id, &key, version, reason, by, core.clock.now()).await?;
    if new {
        tracing::info!(feed = %feed.name, package = %key, version = version.unwrap_or("*"), reason, "released from the cooldown");
        let entry = match version {
            Some(v) => Entry::feed("version.release-now", &feed, format!("{} {v}", package.name)),
            None => Entry::feed("package.release-now", &feed, &package.name),
        };
        core.done(principal, entry.detail(reason), Change::PackageChanged { feed: feed.id, krate: key }).await;
    }
    Ok(new)
}
