//! Server-side glue: the context server functions run in, and conversions from the
//! data layer.

use leptos::prelude::*;
use wharf_core::PublicUrl;
use wharf_db::{Db, DbError, Feed};

use crate::{error::PortalError, model::FeedView};

/// What server functions need from the running server; provided per request.
#[derive(Clone, Debug)]
pub struct AppContext {
    pub db: Db,
    pub public_url: PublicUrl,
}

impl AppContext {
    /// The context of the current request.
    pub fn current() -> Result<Self, PortalError> {
        use_context::<AppContext>().ok_or_else(|| PortalError::Server("the server context is missing".into()))
    }

    pub fn feed_view(&self, feed: &Feed) -> FeedView {
        FeedView {
            id: feed.id,
            org: feed.org.clone(),
            project: feed.project.clone(),
            name: feed.name.clone(),
            description: feed.description.clone(),
            visibility: feed.visibility,
            upstream_enabled: feed.upstream_enabled,
            index_url: feed.location().index_url(&self.public_url),
            tokens_url: self.public_url.join("/_user/tokens"),
            created_at: rfc3339(feed.created_at),
            upstream_reached_at: feed.upstream_reached_at.map(rfc3339),
        }
    }
}

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

impl From<DbError> for PortalError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound(message) => {
                // The status of the page being rendered, or of the server-function call.
                crate::pages::set_status(404);
                PortalError::NotFound(message)
            }
            other => {
                tracing::error!(error = ?other, "database error in a server function");
                PortalError::Server("the database could not complete the request".into())
            }
        }
    }
}
