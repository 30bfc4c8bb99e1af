//! `POST /_apis/advisories`: a Wharf administrator uploads the RustSec advisory database
//! as a `.tar.gz` of the advisory-db layout (GitHub's archive of the repository will do).

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::State,
};
use serde::Serialize;
use utoipa::ToSchema;
use wharf_service::{
    Core,
    advisories::{self, ImportFrom, MAX_TARBALL},
};

use super::{caller::Caller, schema};
use crate::error::{ApiError, ApiResult, ErrorBody};

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Advisories read (withdrawn ones among them).
    read: usize,
    added: usize,
    updated: usize,
    unchanged: usize,
    /// Withdrawn since (or never in force) and removed.
    removed: usize,
    /// Files that are not advisories, each with why.
    rejected: Vec<String>,
    /// Advisories kept after the import.
    total: i64,
}

// An empty or foreign body is refused by the import itself (422, saying what it expects),
// after the caller was authorized.

/// Imports the RustSec advisory database from a `.tar.gz` of the `advisory-db` layout
/// (GitHub's archive of the repository will do), as the body in any content type (Wharf
/// administrators).
#[utoipa::path(post, path = "/_apis/advisories", operation_id = "importAdvisories", tag = "supply chain",
    request_body(content = schema::Binary, content_type = "application/octet-stream",
        description = "The `.tar.gz`."),
    responses(
        (status = 200, description = "What the import did.", body = ImportReport),
        (status = 403, description = "Not a Wharf administrator, or a read-only token.", body = ErrorBody),
        (status = 413, description = "A tarball over the largest accepted.", body = ErrorBody),
        (status = 422, description = "Not a tarball of the advisory-db layout.", body = ErrorBody),
    ))]
pub async fn import(State(core): State<Core>, caller: Caller, body: Body) -> ApiResult<Json<ImportReport>> {
    let bytes = to_bytes(body, MAX_TARBALL).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!("The tarball is larger than {} MiB.", MAX_TARBALL / (1024 * 1024)))
    })?;
    let report = advisories::import(&core, &caller.0, ImportFrom::Tarball(&bytes)).await?;
    Ok(Json(ImportReport {
        read: report.read,
        added: report.imported.added,
        updated: report.imported.updated,
        unchanged: report.imported.unchanged,
        removed: report.imported.removed,
        rejected: report.rejected,
        total: report.total,
    }))
}
