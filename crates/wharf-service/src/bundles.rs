//! A feed to a bundle or a static registry, and a bundle into a feed, as operations of the
//! core; `wharf export` and `wharf import` adapt them. Each is an instance
//! administrator's (the operator at the command line), and serves what the feed serves:
//! an export goes through the feed's policies (`registry/bundle.rs`).

use std::{io::Write, path::Path};

use wharf_auth::{InstanceAction, Principal};
use wharf_db::Feed;

pub use crate::registry::{
    bundle::{BundleError, Progress, Report, Step},
    bundle_import::{Verified, verify},
};
use crate::{Core, registry::Registry};

/// What exporting and importing a feed need.
pub const NEEDS: InstanceAction = InstanceAction::ActOnEveryFeed;

/// The registry, once `principal` is admitted.
fn admitted(core: &Core, principal: &Principal) -> Result<std::sync::Arc<Registry>, BundleError> {
    wharf_auth::authorize_instance(principal, NEEDS)
        .map_err(|denied| BundleError::Denied(denied.message().to_owned()))?;
    core.registry().map_err(|e| BundleError::Invalid(e.to_string()))
}

/// Writes `feed` as a bundle to `out`.
pub async fn export_bundle(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    out: impl Write,
    progress: impl FnMut(Progress<'_>),
) -> Result<Report, BundleError> {
    admitted(core, principal)?.export_bundle(feed, out, progress).await
}

/// Writes `feed` as a static sparse registry into `dir`, to be served at `base_url`.
pub async fn export_static(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    dir: &Path,
    base_url: &str,
    progress: impl FnMut(Progress<'_>),
) -> Result<Report, BundleError> {
    admitted(core, principal)?.export_static(feed, dir, base_url, progress).await
}

/// Imports the bundle at `path`, which [`verify`] checked, into `feed`.
pub async fn import(
    core: &Core,
    principal: &Principal,
    feed: &Feed,
    path: &Path,
    bundle: Verified,
    progress: impl FnMut(Progress<'_>),
) -> Result<Report, BundleError> {
    admitted(core, principal)?.import_bundle(feed, path, bundle, principal, progress).await
}
