//! Server-side glue: the context server functions run in, and conversions from the
//! data layer.

use std::net::IpAddr;

use leptos::prelude::*;
use tower_sessions::Session;
use wharf_auth::{CheckError, Denied, FeedAction, Principal, PrincipalError};
use wharf_core::PublicUrl;
use wharf_db::{Db, DbError, Feed, User};

use crate::{error::PortalError, model::FeedView};

/// What server functions need from the running server; provided per request.
#[derive(Clone)]
pub struct AppContext {
    pub db: Db,
    pub public_url: PublicUrl,
    /// Called after a feed's settings change, so caches of feeds are dropped.
    pub feeds_changed: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext").field("db", &self.db).field("public_url", &self.public_url).finish_non_exhaustive()
    }
}

impl AppContext {
    /// The context of the current request.
    pub fn current() -> Result<Self, PortalError> {
        use_context::<AppContext>().ok_or_else(|| PortalError::Server("the server context is missing".into()))
    }

    /// The feed at `org`/`project`/`feed`, if the caller may do `action` on it, with the
    /// caller and whether they may administer it.
    pub async fn feed_for(
        &self,
        org: &str,
        project: Option<&str>,
        feed: &str,
        action: FeedAction,
    ) -> Result<(Feed, Principal, bool), PortalError> {
        let principal = principal(&self.db).await?;
        let scope = self.db.scopes().resolve(org, project).await?;
        let feed = self.db.feeds().get(&scope, feed).await?;
        let standing = wharf_auth::access::standing(&self.db, &principal, &feed).await?;
        wharf_auth::authorize(&principal, &standing, action).map_err(denied)?;
        let can_administer = wharf_auth::authorize(&principal, &standing, FeedAction::Administer).is_ok();
        Ok((feed, principal, can_administer))
    }

    pub fn feed_view(&self, feed: &Feed, can_administer: bool) -> FeedView {
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
            allow_anonymous_saves: feed.allow_anonymous_saves,
            can_administer,
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
                refuse_with(404);
                PortalError::NotFound(message)
            }
            other => {
                tracing::error!(error = ?other, "database error in a server function");
                PortalError::Server("the database could not complete the request".into())
            }
        }
    }
}

/// The browser session of the current request.
pub async fn session() -> Result<Session, PortalError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer around a portal route");
        PortalError::Server("sessions are unavailable".into())
    })
}

/// Who is calling: the session's user, or anonymous.
pub async fn principal(db: &Db) -> Result<Principal, PortalError> {
    let session = session().await?;
    wharf_auth::principal_from_session(db, &session).await.map_err(|e| match e {
        PrincipalError::Unavailable(e) => PortalError::from(e),
        other => PortalError::Server(other.to_string()),
    })
}

/// The signed-in user, or 401.
pub async fn signed_in(db: &Db) -> Result<(Principal, User), PortalError> {
    match principal(db).await? {
        Principal::User { user, .. } => {
            let principal = Principal::User { user: user.clone(), scope: wharf_core::TokenScope::Write };
            Ok((principal, user))
        }
        Principal::Anonymous => Err(denied(Denied::Unauthenticated)),
    }
}

/// Refuses a form post whose CSRF token is not this session's (a post from another site,
/// or a form older than the session). Returns the session.
pub async fn check_csrf(csrf: &str) -> Result<Session, PortalError> {
    let session = session().await?;
    if wharf_auth::session::csrf_matches(&session, csrf).await {
        Ok(session)
    } else {
        tracing::warn!("form post without a valid CSRF token refused");
        refuse_with(403);
        Err(PortalError::Refused(
            "This form has expired or did not come from this Wharf page. Reload the page and try again.".into(),
        ))
    }
}

/// The portal's error for a refused authorization, with its status.
pub fn denied(denied: Denied) -> PortalError {
    match denied {
        Denied::Unauthenticated => {
            refuse_with(401);
            PortalError::Unauthorized("Sign in to see this.".into())
        }
        Denied::Forbidden(message) => {
            refuse_with(403);
            PortalError::Forbidden(message)
        }
    }
}

impl From<CheckError> for PortalError {
    fn from(err: CheckError) -> Self {
        match err {
            CheckError::Denied(d) => denied(d),
            CheckError::Db(e) => e.into(),
        }
    }
}

/// The client's address, when the server knows it (it feeds the sign-in limit).
pub async fn client_ip() -> Option<IpAddr> {
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>().await.ok().map(|c| c.0.ip())
}

/// Sets the status of a refused call, except for a plain form post (JavaScript off),
/// which must stay the redirect back to the form (the error travels in its URL).
pub fn refuse_with(status: u16) {
    let accepts_html = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
        .is_some_and(|accept| accept.to_str().is_ok_and(|a| a.contains("text/html")));
    let is_server_fn = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/_fn/"));
    if !(accepts_html && is_server_fn) {
        crate::pages::set_status(status);
    }
}

/// Sends the browser to `path` after a form post: a same-site path only.
pub fn redirect_to(path: &str) {
    let safe = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    leptos_axum::redirect(if safe { path } else { "/" });
}

/// A conflict (a name or number already taken) as a refused form with its message (409);
/// other database errors as usual.
pub fn refused_on_conflict(e: DbError) -> PortalError {
    match e {
        DbError::Conflict(message) => {
            refuse_with(409);
            PortalError::Refused(message)
        }
        other => other.into(),
    }
}
