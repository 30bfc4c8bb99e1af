//! The HTTP status of the page or server-function call being answered. A leaf: it uses
//! no other module of the portal.

#[cfg(feature = "ssr")]
use leptos::prelude::*;

/// Sets the HTTP status of the page being rendered on the server (no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code)) {
        // A redirect already decided (to the setup page) stands.
        let redirecting = res.0.read().unwrap_or_else(|e| e.into_inner()).status.is_some_and(|s| s.is_redirection());
        if !redirecting {
            res.set_status(code);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

#[cfg(feature = "ssr")]
/// Sets the status of a refused call, except for a plain form post (JavaScript off),
/// which must stay the redirect back to the form (the error travels in its URL).
pub fn refuse_with(status: u16) {
    let accepts_html = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
        .is_some_and(|accept| accept.to_str().is_ok_and(|a| a.contains("text/html")));
    let is_server_fn = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/_fn/"));
    if !(accepts_html && is_server_fn) {
        set_status(status);
    }
}
