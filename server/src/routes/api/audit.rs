//! The audit log over REST, read only: `GET …/feeds/{feed}/audit` (the feed's
//! Administrators), `GET /{org}/_apis/audit` (the organization's, Wharf administrators) and
//! `GET /_apis/audit` (everything, Wharf administrators). `$top` (at most 200, default 50)
//! and `$skip` page it, newest first. No route changes or removes a record.

use axum::{
    Json,
    extract::{RawQuery, State},
};
use serde::Serialize;
use utoipa::ToSchema;
use wharf_service::{Core, audit_log as audit, rfc3339};

use super::caller::Caller;
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    routes::extract::{ApiPath, FeedPath, ScopePath},
};

/// One page of records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// How many records there are in all (not only on this page).
    count: i64,
    value: Vec<AuditRecord>,
}

/// One record: who did what, when, to what, through which channel.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    id: i64,
    at: String,
    actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    actor_id: Option<i64>,
    /// The personal access token used, by id (never its secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    token_id: Option<i64>,
    channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    address: Option<String>,
    action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    feed: Option<String>,
    target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    detail: Option<String>,
}

impl From<audit::Page> for AuditPage {
    fn from(page: audit::Page) -> Self {
        AuditPage {
            count: page.count,
            value: page
                .records
                .into_iter()
                .map(|r| AuditRecord {
                    id: r.id,
                    at: rfc3339(r.at),
                    actor: r.actor,
                    actor_id: r.actor_id,
                    token_id: r.token_id,
                    channel: r.channel,
                    address: r.address,
                    action: r.action,
                    org: r.org,
                    feed: r.feed,
                    target: r.target,
                    detail: r.detail,
                })
                .collect(),
        }
    }
}

/// `$skip` and `$top` from the query; anything else there is refused, by name.
pub fn paging(query: Option<&str>) -> Result<(i64, i64), ApiError> {
    let (mut skip, mut top) = (0, 50);
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let number = |field: &str, max: i64| {
            value.parse::<i64>().ok().filter(|n| (0..=max).contains(n)).ok_or_else(|| {
                ApiError::invalid(field, format!("{field} must be a whole number from 0 to {max} (got '{value}')."))
            })
        };
        match key.as_ref() {
            "$skip" => skip = number("$skip", i64::from(u32::MAX))?,
            "$top" => top = number("$top", audit::MAX_PAGE)?.max(1),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "Unknown query parameter '{other}': the audit log takes $top and $skip."
                )));
            }
        }
    }
    Ok((skip, top))
}

/// The feed's audit log, newest first (Administrator or Owner).
#[utoipa::path(get, path = "/{org}/_apis/packaging/feeds/{feed}/audit", operation_id = "feedAuditLog", tag = "audit",
    params(
        ("$top" = Option<i64>, Query, description = "Records per page (default 50).", minimum = 0, maximum = 200),
        ("$skip" = Option<i64>, Query, description = "Records to skip, newest first.", minimum = 0,
            maximum = 4294967295_u32),
    ),
    responses(
        (status = 200, description = "One page of records.", body = AuditPage),
        (status = 400, description = "An unknown query parameter.", body = ErrorBody),
        (status = 403, description = "The caller's role does not allow it.", body = ErrorBody),
        (status = 404, description = "No such feed, or one the caller may not read.", body = ErrorBody),
        (status = 422, description = "`$top` or `$skip` out of range or not a number.", body = ErrorBody),
    ))]
pub async fn feed_log(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<FeedPath>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<AuditPage>> {
    let (skip, top) = paging(query.as_deref())?;
    Ok(Json(audit::feed_log(&core, &caller.0, &path.to_ref(), skip, top).await?.into()))
}

/// The organization's audit log (its feeds' and projects' records), newest first (Wharf
/// administrators).
#[utoipa::path(get, path = "/{org}/_apis/audit", operation_id = "organizationAuditLog", tag = "audit",
    params(
        ("$top" = Option<i64>, Query, description = "Records per page (default 50).", minimum = 0, maximum = 200),
        ("$skip" = Option<i64>, Query, description = "Records to skip, newest first.", minimum = 0,
            maximum = 4294967295_u32),
    ),
    responses(
        (status = 200, description = "One page of records.", body = AuditPage),
        (status = 400, description = "An unknown query parameter.", body = ErrorBody),
        (status = 403, description = "Not a Wharf administrator.", body = ErrorBody),
        (status = 404, description = "No such organization.", body = ErrorBody),
        (status = 422, description = "`$top` or `$skip` out of range or not a number.", body = ErrorBody),
    ))]
pub async fn org_log(
    State(core): State<Core>,
    caller: Caller,
    ApiPath(path): ApiPath<ScopePath>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<AuditPage>> {
    let (skip, top) = paging(query.as_deref())?;
    Ok(Json(audit::org_log(&core, &caller.0, &path.org, skip, top).await?.into()))
}

/// The whole instance's audit log (accounts and tokens too), newest first (Wharf
/// administrators).
#[utoipa::path(get, path = "/_apis/audit", operation_id = "instanceAuditLog", tag = "audit",
    params(
        ("$top" = Option<i64>, Query, description = "Records per page (default 50).", minimum = 0, maximum = 200),
        ("$skip" = Option<i64>, Query, description = "Records to skip, newest first.", minimum = 0,
            maximum = 4294967295_u32),
    ),
    responses(
        (status = 200, description = "One page of records.", body = AuditPage),
        (status = 400, description = "An unknown query parameter.", body = ErrorBody),
        (status = 403, description = "Not a Wharf administrator.", body = ErrorBody),
        (status = 422, description = "`$top` or `$skip` out of range or not a number.", body = ErrorBody),
    ))]
pub async fn instance_log(
    State(core): State<Core>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<AuditPage>> {
    let (skip, top) = paging(query.as_deref())?;
    Ok(Json(audit::instance_log(&core, &caller.0, skip, top).await?.into()))
}

#[cfg(test)]
mod tests {
    use super::paging;

    #[test]
    fn paging_takes_top_and_skip_and_names_what_is_wrong() {
        assert_eq!(paging(None).unwrap(), (0, 50));
        assert_eq!(paging(Some("$top=10&$skip=20")).unwrap(), (20, 10));
        assert_eq!(paging(Some("%24top=0")).unwrap(), (0, 1));
        assert!(paging(Some("$top=201")).unwrap_err().to_string().contains("invalid"));
        assert!(paging(Some("$skip=-1")).is_err());
        assert!(paging(Some("$top=ten")).is_err());
        assert!(paging(Some("top=10")).unwrap_err().to_string().contains("'top'"));
    }
}
