//! Server functions of the Warm page: a warm job's progress (read only; the lockfile is
//! uploaded by a plain form post to the page itself, see the server's `routes::warm_upload`).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{core, principal};
use crate::{error::PortalError, model::WarmJobView};

/// One warm job of the feed, for its page.
#[server(prefix = "/_fn", endpoint = "warm_job")]
pub async fn warm_job(
    org: String,
    project: Option<String>,
    feed: String,
    job: i64,
) -> Result<WarmJobView, PortalError> {
    let core = core()?;
    let feed_ref = wharf_service::FeedRef::new(&org, project.as_deref(), &feed);
    let job = wharf_service::warm::get(&core, &principal(&core).await?, &feed_ref, job).await?;
    Ok(WarmJobView {
        id: job.id,
        done: job.state == wharf_core::WarmState::Done,
        total: job.total,
        saved: job.saved,
        present: job.present,
        failed: job.failed,
        events_url: format!("{}/warm/{}", feed_ref.location().rest_path(), job.id),
    })
}
