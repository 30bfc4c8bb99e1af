//! Server functions of the audit log (read only; nothing changes a record) and of the
//! Security page.

use leptos::prelude::*;

use crate::{error::PortalError, model::AuditLogView};
#[cfg(feature = "ssr")]
use crate::{
    model::AuditRow,
    ssr::{core, principal},
};

/// Records per page of the Audit page.
pub const AUDIT_PER_PAGE: i64 = 50;

/// Page `page` (from 1) of the feed's audit log (Administrators and Owners).
#[server(prefix = "/_fn", endpoint = "feed_audit")]
pub async fn feed_audit(
    org: String,
    project: Option<String>,
    feed: String,
    page: i64,
) -> Result<AuditLogView, PortalError> {
    let core = core()?;
    let feed = wharf_service::FeedRef::new(&org, project.as_deref(), &feed);
    let page = page.clamp(1, i64::from(u32::MAX));
    let skip = (page - 1).saturating_mul(AUDIT_PER_PAGE);
    let log = wharf_service::audit_log::feed_log(&core, &principal(&core).await?, &feed, skip, AUDIT_PER_PAGE).await?;
    Ok(AuditLogView {
        count: log.count,
        page,
        per_page: AUDIT_PER_PAGE,
        rows: log
            .records
            .into_iter()
            .map(|r| AuditRow {
                at: wharf_service::rfc3339(r.at),
                actor: r.actor,
                channel: r.channel,
                address: r.address,
                action: r.action,
                target: r.target,
                detail: r.detail,
            })
            .collect(),
    })
}

/// The versions the feed holds that security advisories affect, and its policy (readers).
#[server(prefix = "/_fn", endpoint = "feed_security")]
pub async fn feed_security(
    org: String,
    project: Option<String>,
    feed: String,
) -> Result<crate::model::SecurityView, PortalError> {
    use crate::model::{AdvisoryView, AffectedView, SecurityView};
    let core = core()?;
    let principal = principal(&core).await?;
    let feed_ref = wharf_service::FeedRef::new(&org, project.as_deref(), &feed);
    let found = feed_ref.authorized(&core, &principal, wharf_service::FeedAction::Read).await?;
    let affected = wharf_service::advisories::of_feed(&core, &principal, &feed_ref).await?;
    Ok(SecurityView {
        loaded: wharf_service::advisories::loaded(&core).await?,
        policy: found.feed.settings.advisory_policy,
        affected: affected
            .into_iter()
            .map(|a| AffectedView {
                package: a.package,
                version: a.version.clone(),
                advisory: AdvisoryView {
                    id: a.advisory.id,
                    title: a.advisory.title,
                    url: a.advisory.url,
                    severity: a.advisory.severity,
                    kind: a.advisory.kind,
                    date: a.advisory.date,
                    affected: vec![a.version],
                    patched: a.advisory.patched,
                },
            })
            .collect(),
    })
}
