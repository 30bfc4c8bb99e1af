//! `POST /_apis/advisories`: a Wharf administrator uploads the RustSec advisory database
//! as a `.tar.gz` of the advisory-db layout (GitHub's archive of the repository will do).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{
    Json,
    extract::{Request, State},
};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use wharf_service::{
    Core,
    advisories::{self, MAX_TARBALL},
};

use super::{caller::Caller, schema};
use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    routes::body,
};

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
// after the caller was authorized; the import reads the body as it arrives.

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
pub async fn import(State(core): State<Core>, caller: Caller, request: Request) -> ApiResult<Json<ImportReport>> {
    // The caller first: no byte of the body is read for anyone but an administrator.
    advisories::may_import(&caller.0)?;
    let too_large =
        || ApiError::PayloadTooLarge(format!("The tarball is larger than {} MiB.", MAX_TARBALL / (1024 * 1024)));
    if body::declared_length(request.headers()).is_some_and(|n| n > MAX_TARBALL as u64) {
        return Err(too_large());
    }
    // The body goes to the gzip and tar readers as it arrives: a few chunks in flight.
    let (sender, chunks) = tokio::sync::mpsc::channel(4);
    let over = Arc::new(AtomicBool::new(false));
    let pump = {
        let over = over.clone();
        let mut frames = request.into_body().into_data_stream();
        async move {
            let mut taken = 0usize;
            while let Some(frame) = frames.next().await {
                let chunk = match frame {
                    Ok(chunk) => chunk,
                    Err(e) => {
                        let _ = sender.send(Err(std::io::Error::other(format!("the upload broke off: {e}")))).await;
                        return;
                    }
                };
                taken += chunk.len();
                if taken > MAX_TARBALL {
                    over.store(true, Ordering::Release);
                    let _ = sender.send(Err(std::io::Error::other("the tarball is too large"))).await;
                    return;
                }
                // The reader stopped (it read the whole archive, or refused it): so does the pump.
                if sender.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
        }
    };
    let (report, ()) = tokio::join!(advisories::import_chunks(&core, &caller.0, chunks), pump);
    let report = match report {
        Err(_) if over.load(Ordering::Acquire) => return Err(too_large()),
        other => other?,
    };
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
