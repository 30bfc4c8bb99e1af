//! `POST /_apis/advisories`: a Wharf administrator uploads the RustSec advisory database
//! as a `.tar.gz` of the advisory-db layout (GitHub's archive of the repository will do).

use axum::{
    Json,
    body::{Body, to_bytes},
    extract::State,
};
use serde_json::{Value, json};
use wharf_service::{
    Core,
    advisories::{self, ImportFrom, MAX_TARBALL},
};

use super::caller::Caller;
use crate::error::{ApiError, ApiResult};

// An empty or foreign body is refused by the import itself (422, saying what it expects),
// after the caller was authorized.

pub async fn import(State(core): State<Core>, caller: Caller, body: Body) -> ApiResult<Json<Value>> {
    let bytes = to_bytes(body, MAX_TARBALL).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!("The tarball is larger than {} MiB.", MAX_TARBALL / (1024 * 1024)))
    })?;
    let report = advisories::import(&core, &caller.0, ImportFrom::Tarball(&bytes)).await?;
    Ok(Json(json!({
        "read": report.read,
        "added": report.imported.added,
        "updated": report.imported.updated,
        "unchanged": report.imported.unchanged,
        "removed": report.imported.removed,
        "rejected": report.rejected,
        "total": report.total,
    })))
}
