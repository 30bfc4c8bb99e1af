//! What cargo reads from a feed or one of its views, as operations of the core: the index
//! file of a crate, a crate file, a badge and `config.json`. Each authorizes its caller
//! first (a feed they may not read answers as a missing one), then serves through the
//! feed's policies ([`crate::registry::policy`]); the cargo routes only adapt them.

use std::sync::Arc;

use wharf_auth::{FeedAction, Principal};
use wharf_core::Visibility;
use wharf_db::Feed;
use wharf_index::RegistryConfig;

use crate::{
    Authorized, Core, CoreError, CoreResult, FeedRef,
    registry::{Download, Registry, Rendered, ViewTarget, badge::Badge, upstream::CacheOutcome},
    views::{LOCAL, ViewSel},
};

/// A registry a cargo URL names: a feed, or one of its views.
#[derive(Debug, Clone, Copy)]
pub struct RegistryRef<'a> {
    pub feed: &'a FeedRef,
    pub view: &'a ViewSel,
}

/// The feed of `at` if `principal` may read it, and the view `at` names of it.
async fn readable(
    core: &Core,
    registry: &Registry,
    principal: &Principal,
    at: RegistryRef<'_>,
) -> CoreResult<(Authorized<Arc<Feed>>, Option<ViewTarget>)> {
    let found = registry.authorized(core, principal, at.feed, FeedAction::Read).await?;
    let view = registry.view(&found.feed, at.view).await?;
    Ok((found, view))
}

/// The index file of `name` (lower-cased) as `principal` is served it, and how the
/// upstream part was had.
pub async fn index_file(
    core: &Core,
    principal: &Principal,
    at: RegistryRef<'_>,
    name: &str,
) -> CoreResult<(Arc<Rendered>, CacheOutcome)> {
    let registry = core.registry()?;
    let (found, view) = readable(core, &registry, principal, at).await?;
    Ok(match view {
        None => registry.index_file(&found.feed, name, principal).await?,
        Some(view) => (registry.view_index_file(&found.feed, &view, name, principal).await?, CacheOutcome::Hit),
    })
}

/// The file of `name` `version`: saved from the feed's upstream first when the caller may
/// save there (through a view, nothing is saved). Counted as a download.
pub async fn download(
    core: &Core,
    principal: &Principal,
    at: RegistryRef<'_>,
    name: &str,
    version: &str,
) -> CoreResult<Download> {
    let registry = core.registry()?;
    let (found, view) = readable(core, &registry, principal, at).await?;
    let download = match view {
        None => registry.download(&found.feed, name, version, principal, &found.standing).await?,
        Some(view) => registry.view_download(&found.feed, &view, name, version).await?,
    };
    registry.count_download(found.feed.id, name, version);
    Ok(download)
}

/// A badge, and whether anyone may keep a copy of it (a public feed's, drawn for an
/// anonymous reader).
pub async fn badge(
    core: &Core,
    principal: &Principal,
    at: RegistryRef<'_>,
    name: &str,
    version: Option<&str>,
) -> CoreResult<(Badge, bool)> {
    let registry = core.registry()?;
    let (found, view) = readable(core, &registry, principal, at).await?;
    if !found.feed.settings.badges_enabled {
        return Err(CoreError::NotFound(
            "Badges are turned off for this feed; its Administrators can turn them on in its settings.".into(),
        ));
    }
    let badge = registry.badge(&found.feed, view.as_ref(), name, version, principal).await?;
    let public = found.feed.visibility == Visibility::Public && *principal == Principal::Anonymous;
    Ok((badge, public))
}

/// The registry's `config.json`: a view downloads from its own registry; publishing
/// always goes to the feed.
pub async fn config(core: &Core, principal: &Principal, at: RegistryRef<'_>) -> CoreResult<RegistryConfig> {
    let registry = core.registry()?;
    let (found, view) = readable(core, &registry, principal, at).await?;
    let loc = found.feed.location();
    let dl_loc = match view {
        None => loc.clone(),
        Some(ViewTarget::Local) => loc.view(LOCAL),
        Some(ViewTarget::View(view)) => loc.view(&view.name),
    };
    Ok(RegistryConfig {
        dl: core.public_url.join(&dl_loc.download_path()),
        api: Some(core.public_url.join(&loc.api_path())),
        auth_required: found.feed.visibility.requires_auth(),
    })
}
