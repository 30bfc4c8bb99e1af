//! Publishing a crate (cargo's `PUT …/api/v1/crates/new`) in two steps, so that a refused
//! publish costs no read: [`admit`] authorizes the caller and gives a ticket; only then
//! does the adapter read the body, at most [`body_limit`] bytes, and [`publish`] checks,
//! stores and records it, ending in `Core::done`. The work is the registry's
//! (`registry/publish.rs`).

use bytes::Bytes;
use wharf_auth::Principal;

pub use crate::registry::publish::{PublishTicket, Published};
use crate::{Core, CoreResult, FeedRef};

/// Leave for `principal` to publish into `feed` (Contributor or more, through an
/// account), or the refusal.
pub async fn admit(core: &Core, principal: &Principal, feed: &FeedRef) -> CoreResult<PublishTicket> {
    core.registry()?.admit_publish(core, principal, feed).await
}

/// The largest publish body, and the largest `.crate` in it.
pub fn body_limit(core: &Core) -> CoreResult<(usize, usize)> {
    let registry = core.registry()?;
    Ok((registry.publish_body_limit(), registry.max_crate_size))
}

/// Publishes the body of a request a ticket admitted.
pub async fn publish(core: &Core, ticket: PublishTicket, body: Bytes) -> CoreResult<Published> {
    Ok(core.registry()?.publish_with(ticket, body).await?)
}
