//! Server-side glue: the core the server functions call, who is calling, and the one
//! mapping from the core's errors to the portal's.

use leptos::prelude::*;
use tower_sessions::Session;
use wharf_auth::{Denied, Principal, PrincipalError};
use wharf_db::{DbError, Feed, User};
use wharf_service::{Core, CoreError, rfc3339};

use crate::{error::PortalError, model::FeedView};
pub use crate::{signing::set_error_key, status::refuse_with};

/// The core of the current request (the server provides it to every page and server
/// function).
pub fn core() -> Result<Core, PortalError> {
    use_context::<Core>().ok_or_else(|| PortalError::Server("the server context is missing".into()))
}

/// A feed as the portal shows it.
pub fn feed_view(core: &Core, feed: &Feed, can_administer: bool) -> FeedView {
    FeedView {
        id: feed.id,
        org: feed.org.clone(),
        project: feed.project.clone(),
        name: feed.name.clone(),
        description: feed.description.clone(),
        visibility: feed.visibility,
        includes_crates_io: feed.includes_crates_io,
        index_url: feed.location().index_url(&core.public_url),
        tokens_url: core.public_url.join(wharf_core::urls::pages::TOKENS),
        created_at: rfc3339(feed.created_at),
        upstream_reached_at: feed.upstream_reached_at.map(rfc3339),
        can_administer,
        settings: feed.settings.clone(),
    }
}

/// The one mapping from the core's error kinds to the portal's errors and statuses.
impl From<CoreError> for PortalError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::NotFound(message) => {
                // The status of the page being rendered, or of the server-function call.
                refuse_with(404);
                PortalError::NotFound(message)
            }
            CoreError::Denied(d) => denied(d),
            CoreError::BadCredentials(message) => {
                refuse_with(401);
                PortalError::Refused(message)
            }
            CoreError::Invalid(errors) => {
                refuse_with(422);
                PortalError::Fields(errors)
            }
            CoreError::Conflict(message) => {
                refuse_with(409);
                PortalError::Refused(message)
            }
            CoreError::TooLarge(message) => {
                refuse_with(413);
                PortalError::Refused(message)
            }
            CoreError::BadBody(message) => {
                refuse_with(400);
                PortalError::Refused(message)
            }
            CoreError::Withheld(message) => {
                refuse_with(403);
                PortalError::Refused(message)
            }
            CoreError::UpstreamFailed(message) => {
                refuse_with(502);
                PortalError::Refused(message)
            }
            CoreError::Limited { message, retry_after } => {
                refuse_with(429);
                retry_after_header(retry_after);
                PortalError::Refused(message)
            }
            CoreError::Unavailable { message, retry_after } => {
                refuse_with(503);
                retry_after_header(retry_after);
                PortalError::Refused(message)
            }
            CoreError::Internal(e) => {
                tracing::error!(error = %e, "a server function failed");
                PortalError::Server("the server could not complete the request".into())
            }
        }
    }
}

impl From<DbError> for PortalError {
    fn from(err: DbError) -> Self {
        CoreError::from(err).into()
    }
}

fn retry_after_header(seconds: u64) {
    if let (Some(res), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&seconds.to_string()))
    {
        res.insert_header(http::header::RETRY_AFTER, value);
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
pub async fn principal(core: &Core) -> Result<Principal, PortalError> {
    let session = session().await?;
    wharf_service::authn::from_session(core, &session).await.map_err(|e| match e {
        PrincipalError::Unavailable(e) => PortalError::from(e),
        other => PortalError::Server(other.to_string()),
    })
}

/// The signed-in user, or 401.
pub async fn signed_in(core: &Core) -> Result<(Principal, User), PortalError> {
    match principal(core).await? {
        principal @ Principal::User { .. } => {
            let user = principal.user().cloned().ok_or_else(|| denied(Denied::Unauthenticated))?;
            Ok((principal, user))
        }
        Principal::Anonymous | Principal::Operator => Err(denied(Denied::Unauthenticated)),
    }
}

/// Refuses a form post whose CSRF token is not this session's (a post from another site,
/// or a form older than the session). Returns the session. The server also checks every
/// state-changing server function's token before it runs (a layer), so a function that
/// forgot this call still cannot be forged.
pub async fn check_csrf(csrf: &str) -> Result<Session, PortalError> {
    let session = session().await?;
    if wharf_auth::session::csrf_matches(&session, csrf).await {
        Ok(session)
    } else {
        tracing::warn!("form post without a valid CSRF token refused");
        refuse_with(403);
        Err(PortalError::Refused(CSRF_REFUSED.into()))
    }
}

/// What a form post with a missing or wrong CSRF token is told.
pub const CSRF_REFUSED: &str =
    "This form has expired or did not come from this Wharf page. Reload the page and try again.";

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

/// The client's address as the server established it (behind trusted proxies, from
/// `X-Forwarded-For`); it feeds the sign-in limit.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    leptos_axum::extract::<axum::Extension<wharf_service::ClientIp>>().await.ok().map(|c| c.0.0)
}

/// Sends the browser to `path` after a form post: a path of this site only (anything
/// else, or anything a `Location` header cannot carry, goes to `/`).
pub fn redirect_to(path: &str) {
    let target = core().ok().and_then(|core| wharf_core::safe_next(&core.public_url, path));
    leptos_axum::redirect(target.as_deref().unwrap_or("/"));
}

/// The Content-Security-Policy of a portal page whose scripts carry `nonce`. Scripts run
/// only from this origin or with the page's nonce (an injected inline script, event
/// handler or `javascript:` link does not); the islands' WASM may be compiled; styles,
/// fetches and forms stay on this origin. Images may come from `https:` too: a README's
/// badges.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
         form-action 'self'"
    )
}

/// Sends the page's policy with the nonce on its scripts: the server integration makes a
/// fresh random nonce for every response and the hydration scripts carry it.
pub fn send_content_security_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        tracing::error!("a portal page rendered without a nonce: it is sent without its Content-Security-Policy");
        return;
    };
    match http::HeaderValue::from_str(&content_security_policy(&nonce)) {
        Ok(value) => response.insert_header(http::header::CONTENT_SECURITY_POLICY, value),
        Err(e) => tracing::error!(error = %e, "the nonce cannot go in a header"),
    }
}
