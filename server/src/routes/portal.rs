//! The portal's adapters beside Leptos' own routes: the CSRF guard every state-changing
//! server function runs behind, and the tokens page's form, whose answer shows a new
//! token once without storing it anywhere.

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use leptos::server_fn::{ServerFn, error::FromServerFnError};
use tower_sessions::Session;

use crate::{routes::FORM_BODY_LIMIT, state::AppState};

/// Refuses, before it runs, every call of a state-changing server function that does not
/// carry the session's CSRF token (the form's `csrf` field, or an `X-CSRF-Token` header).
/// Only the functions in [`app::server::READ_ONLY_FNS`] are exempt, so a new function is
/// guarded whether or not its author remembered. Every server function's form is bounded
/// (64 KiB) and, for a session that holds no CSRF token at all, refused unread.
pub async fn csrf_guard(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/_fn/") {
        return next.run(request).await;
    }
    // Anyone may call a server function (signing in is one): each takes a small form, and
    // a larger declared one is refused before it is read.
    if super::body::declared_length(request.headers()).is_some_and(|n| n > FORM_BODY_LIMIT as u64) {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than Wharf accepts.");
    }
    let read_only = app::server::READ_ONLY_FNS.contains(&path.trim_end_matches('/'));
    if request.method() != Method::POST || read_only {
        // Bounded here too: the server functions read their bodies whole.
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, FORM_BODY_LIMIT).await else {
            return refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than Wharf accepts.");
        };
        return next.run(Request::from_parts(parts, Body::from(bytes))).await;
    }
    let session = request.extensions().get::<Session>().cloned();
    // A session that was never given a CSRF token (no page of the portal was loaded in it)
    // cannot present one: refused before the form is read.
    let has_token = match &session {
        Some(session) => wharf_auth::session::has_csrf_token(session).await,
        None => false,
    };
    if !has_token {
        tracing::warn!(path = %path, "server function call from a session without a CSRF token refused");
        return refusal(StatusCode::FORBIDDEN, app::ssr::CSRF_REFUSED);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_BODY_LIMIT).await else {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than Wharf accepts.");
    };
    let presented = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| form_field(&bytes, "csrf"))
        .unwrap_or_default();
    let valid = match &session {
        Some(session) => wharf_auth::session::csrf_matches(session, &presented).await,
        None => false,
    };
    if !valid {
        tracing::warn!(path = %parts.uri.path(), "server function call without a valid CSRF token refused");
        return refusal(StatusCode::FORBIDDEN, app::ssr::CSRF_REFUSED);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The first value of `name` in a form-encoded body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_owned()).into_response()
}

/// `POST /_user/tokens`: the tokens page's form. Creates the token through the core and
/// answers the tokens page with the secret in it: the one and only time it exists outside
/// the user's hands (never in the session or anywhere else). A refusal goes back to the
/// page with the error, as every other form does.
pub async fn create_token(State(state): State<AppState>, request: Request) -> Response {
    use app::{model::CreatedToken, server::CreateToken};
    let session = request.extensions().get::<Session>().cloned();
    let (parts, body) = request.into_parts();
    let Some(session) = session else {
        return refusal(StatusCode::INTERNAL_SERVER_ERROR, "Sessions are unavailable.");
    };
    // Signed in first: the form is read only for an account.
    let principal = match wharf_service::authn::from_session(&state.core, &session).await {
        Ok(principal) if principal.user().is_some() => principal,
        Ok(_) => {
            return Redirect::to(&wharf_core::urls::pages::sign_in(wharf_core::urls::pages::TOKENS)).into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "reading the session failed");
            return refusal(StatusCode::SERVICE_UNAVAILABLE, "The session could not be read; try again.");
        }
    };
    if super::body::declared_length(&parts.headers).is_some_and(|n| n > FORM_BODY_LIMIT as u64) {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than Wharf accepts.");
    }
    let Ok(bytes) = to_bytes(body, FORM_BODY_LIMIT).await else {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is larger than Wharf accepts.");
    };
    let field = |name| form_field(&bytes, name);
    if !wharf_auth::session::csrf_matches(&session, &field("csrf").unwrap_or_default()).await {
        return refusal(StatusCode::FORBIDDEN, app::ssr::CSRF_REFUSED);
    }
    let created =
        match app::server::token_request(field("name").unwrap_or_default(), field("scope"), field("expires_in_days")) {
            Ok(new) => {
                wharf_service::tokens::create(&state.core, &principal, &new).await.map_err(app::server::token_error)
            }
            Err(e) => Err(e),
        };
    let created = match created {
        Ok((info, secret)) => CreatedToken { name: info.name, secret },
        Err(error) => {
            // Back to the form with the (signed) error, like a refused server function.
            let err = base64_url(&error.ser());
            let location =
                format!("{}?__path={}&__err={err}", wharf_core::urls::pages::TOKENS, <CreateToken as ServerFn>::PATH);
            return Redirect::to(&location).into_response();
        }
    };
    // The tokens page, rendered with the new token in its context (the answer holds the
    // secret: no cache may keep it).
    page_with(&state, parts, created).await
}

/// The portal page at the request's address, rendered as for a `GET` with `extra` in its
/// context, and marked for no cache to keep: the answer to a form posted to its own page.
pub(super) async fn page_with<T: Clone + Send + Sync + 'static>(
    state: &AppState,
    mut parts: axum::http::request::Parts,
    extra: T,
) -> Response {
    parts.method = Method::GET;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    let (core, options) = (state.core.clone(), state.leptos.clone());
    let render = leptos_axum::render_app_async_with_context(
        move || {
            leptos::prelude::provide_context(core.clone());
            leptos::prelude::provide_context(extra.clone());
        },
        move || app::shell(options.clone()),
    );
    let mut response = render(Request::from_parts(parts, Body::empty())).await;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}
