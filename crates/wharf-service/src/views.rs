//! A feed's views and promotion. A view is a registry of its own, at
//! `…/_packaging/{feed}@{view}/Cargo/index/`, listing only the versions promoted to it;
//! `@local` is every version the feed holds, without its upstreams. Views follow the feed's
//! visibility, and publishing always goes to the feed.

use wharf_auth::{FeedAction, Principal};
use wharf_core::FeedName;
use wharf_db::{DbError, Feed, View};

use crate::{Authorized, Change, Core, CoreError, CoreResult, FeedRef, VersionRef, audit::Entry};

/// The view every feed has: what it holds itself.
pub const LOCAL: &str = "local";

/// Which registry of a feed a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewSel {
    /// The feed itself: its own versions and its upstreams.
    Feed,
    /// `@local`: only the versions the feed holds.
    Local,
    /// A view, by name as the URL gives it.
    Named(String),
}

impl ViewSel {
    /// Splits `feed@view` as a registry URL names it.
    pub fn split(segment: &str) -> (&str, ViewSel) {
        match segment.split_once('@') {
            None => (segment, ViewSel::Feed),
            Some((feed, view)) if view.eq_ignore_ascii_case(LOCAL) => (feed, ViewSel::Local),
            Some((feed, view)) => (feed, ViewSel::Named(view.to_owned())),
        }
    }
}

/// A view's name: the feed-name rule, and never `local`.
fn view_name(field: &str, raw: &str) -> CoreResult<FeedName> {
    let name = FeedName::parse(raw).map_err(|e| CoreError::invalid(field, e.to_string()))?;
    if name.key() == LOCAL {
        return Err(CoreError::invalid(field, "Every feed has @local already; choose another name."));
    }
    Ok(name)
}

/// What adding, renaming and deleting views needs.
pub const NEEDS_TO_MANAGE: FeedAction = FeedAction::Administer;
/// What promoting a version to a view needs.
pub const NEEDS_TO_PROMOTE: FeedAction = FeedAction::Write;

/// The feed's views (readers).
pub async fn list(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<(Feed, Vec<View>)> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Read).await?;
    let views = core.db.views().list(feed.id).await?;
    Ok((feed, views))
}

/// Adds a view (Administrator or Owner).
pub async fn create(core: &Core, principal: &Principal, feed: &FeedRef, name: &str) -> CoreResult<View> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let name = view_name("name", name)?;
    let view = core.db.views().create(feed.id, name.as_str()).await?;
    tracing::info!(feed = %feed.name, view = %view.name, "view created");
    let entry = Entry::feed("view.create", &feed, &view.name);
    core.done(principal, entry, Change::ViewsChanged { feed: feed.id }).await;
    Ok(view)
}

/// Renames a view (Administrator or Owner): its URL changes with it.
pub async fn rename(
    core: &Core,
    principal: &Principal,
    feed: &FeedRef,
    view: &str,
    new_name: &str,
) -> CoreResult<View> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    let new_name = view_name("name", new_name)?;
    let view_before = view;
    let view = core.db.views().rename(feed.id, view.trim(), new_name.as_str()).await?;
    tracing::info!(feed = %feed.name, view = %view.name, "view renamed");
    let entry = Entry::feed("view.rename", &feed, view_before.trim()).detail(format!("renamed to {}", view.name));
    core.done(principal, entry, Change::ViewsChanged { feed: feed.id }).await;
    Ok(view)
}

/// Deletes a view (Administrator or Owner); the versions promoted to it stay in the feed.
pub async fn delete(core: &Core, principal: &Principal, feed: &FeedRef, view: &str) -> CoreResult<()> {
    let Authorized { feed, .. } = feed.authorized(core, principal, NEEDS_TO_MANAGE).await?;
    core.db.views().delete(feed.id, view.trim()).await?;
    tracing::info!(feed = %feed.name, view = view.trim(), "view deleted");
    let entry = Entry::feed("view.delete", &feed, view.trim());
    core.done(principal, entry, Change::ViewsChanged { feed: feed.id }).await;
    Ok(())
}

/// Promotes a version the feed holds to a view (Contributor and up, as publishing): from
/// then on the view's registry lists and serves it.
pub async fn promote(core: &Core, principal: &Principal, version: &VersionRef, view: &str) -> CoreResult<View> {
    let Authorized { feed, .. } = version.package.feed.authorized(core, principal, NEEDS_TO_PROMOTE).await?;
    let view = view.trim();
    if view.eq_ignore_ascii_case(LOCAL) {
        return Err(CoreError::invalid("view", "Every version the feed holds is in @local already."));
    }
    let target = core.db.views().get(feed.id, view).await.map_err(|e| match e {
        DbError::NotFound(message) => CoreError::invalid("view", message),
        e => e.into(),
    })?;
    let key = version.package.key();
    let by = principal.user().map(|u| u.id);
    if core.db.views().promote(&target, &key, &version.version, by).await? {
        tracing::info!(feed = %feed.name, package = %key, version = %version.version, view = %target.name, "version promoted");
        let entry = Entry::feed("version.promote", &feed, format!("{} {}", version.package.name, version.version))
            .detail(format!("to @{}", target.name));
        let change = Change::VersionPromoted {
            feed: feed.id,
            krate: key,
            version: version.version.clone(),
            view: target.name.clone(),
        };
        core.done(principal, entry, change).await;
    }
    core.db.views().get(feed.id, &target.name).await.map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_segments_name_a_feed_and_a_view() {
        assert_eq!(ViewSel::split("team"), ("team", ViewSel::Feed));
        assert_eq!(ViewSel::split("team@Local"), ("team", ViewSel::Local));
        assert_eq!(ViewSel::split("team@release"), ("team", ViewSel::Named("release".into())));
        assert!(view_name("name", "local").is_err());
        assert!(view_name("name", "bad name").is_err());
        assert_eq!(view_name("name", " rc ").unwrap().as_str(), "rc");
    }
}
