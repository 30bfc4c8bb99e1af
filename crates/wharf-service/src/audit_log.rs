//! Reading the audit log: per feed (its Administrators), per organization and for the
//! whole instance (Wharf administrators). No API changes or removes a record: the database
//! refuses updates, and only [`sweep`] removes records older than the retention time.

use wharf_auth::{FeedAction, OrgAction, Principal};
use wharf_db::{AuditFilter, Record};

use crate::{Authorized, Core, CoreResult, FeedRef};

/// Records per page at most.
pub const MAX_PAGE: i64 = 200;

/// One page of a log, newest first, and how many records it has in all.
#[derive(Debug, Clone)]
pub struct Page {
    pub count: i64,
    pub records: Vec<Record>,
}

async fn page(core: &Core, filter: AuditFilter<'_>, skip: i64, top: i64) -> CoreResult<Page> {
    let (count, records) = core.db.audit().list(filter, skip.max(0), top.clamp(1, MAX_PAGE)).await?;
    Ok(Page { count, records })
}

/// A feed's log (its Administrators and Owners).
pub async fn feed_log(core: &Core, principal: &Principal, feed: &FeedRef, skip: i64, top: i64) -> CoreResult<Page> {
    let Authorized { feed, .. } = feed.authorized(core, principal, FeedAction::Administer).await?;
    page(core, AuditFilter::Feed(feed.id), skip, top).await
}

/// An organization's log, every feed's records among it (Wharf administrators).
pub async fn org_log(core: &Core, principal: &Principal, org: &str, skip: i64, top: i64) -> CoreResult<Page> {
    let scope = crate::feeds::scope(core, org, None).await?;
    wharf_auth::check_org(&core.db, principal, scope.org_id, OrgAction::ReadAuditLog).await?;
    page(core, AuditFilter::Organization(&scope.org), skip, top).await
}

/// Every record, accounts' and tokens' among them (Wharf administrators).
pub async fn instance_log(core: &Core, principal: &Principal, skip: i64, top: i64) -> CoreResult<Page> {
    wharf_auth::authorize_instance(principal, wharf_auth::InstanceAction::ReadInstanceLog)?;
    page(core, AuditFilter::Everything, skip, top).await
}

/// Removes the records older than `days` (the retention sweep); how many.
pub async fn sweep(db: &wharf_db::Db, days: i64) -> CoreResult<u64> {
    Ok(db.audit().sweep(wharf_db::unix_now() - days * 86_400).await?)
}
