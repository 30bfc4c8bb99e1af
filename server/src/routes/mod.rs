//! Every route of the server, wired in one place.

pub mod api;
pub mod body;
pub mod cargo;
pub mod extract;
pub mod network;
mod portal;
mod table;
mod warm_upload;

use app::{App, shell};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, Method, header},
};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use wharf_auth::session::{COOKIE_NAME, DbSessionStore, SIGNED_IN_FOR};

use crate::{assets, state::AppState};
use table::RouteTable;

/// Largest request body accepted by the management API and the portal's forms.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// Routes beside the portal, the API and cargo's.
fn service_routes() -> RouteTable {
    RouteTable::default()
        .get("/pkg/{*file}", assets::serve_pkg)
        .get("/_metrics", metrics)
        .get("/_health", health)
        .get("/_ready", ready)
}

/// The portal's own routes beside Leptos' pages and server functions.
fn portal_routes() -> RouteTable {
    RouteTable::default()
        .post(wharf_core::urls::pages::TOKENS, portal::create_token)
        .post("/{org}/_artifacts/feed/{feed}/warm", warm_upload::upload)
        .post("/{org}/{project}/_artifacts/feed/{feed}/warm", warm_upload::upload)
}

/// The portal's routes, generated once per process. Generating them renders the app with
/// leptos' resource loading suppressed by a process-wide flag, so it must never overlap a
/// page being rendered: building a second router (tests build many) reuses the list.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static LIST: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| generate_route_list(App)).clone()
}

/// Every route the server answers, as (method, path pattern): the axum routes, the
/// portal's pages and its server functions. The authorization matrix test checks each.
pub fn inventory() -> Vec<(Method, String)> {
    let mut all = Vec::new();
    for table in [api::routes(), cargo::routes(), service_routes(), portal_routes()] {
        all.extend(table.into_parts().1);
    }
    all.extend(route_list().iter().map(|r| (Method::GET, r.path().to_owned())));
    all.extend(leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (method, path.to_owned())));
    all
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let core = state.core.clone();
    let leptos_options = state.leptos.clone();
    // Browser sessions, kept in the database so replicas share them. Cargo's routes sit
    // outside this layer: they authenticate with tokens only and stay cookie-free.
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.core.db.clone()))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.core.public_url.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SIGNED_IN_FOR));
    let portal = Router::<AppState>::new()
        .merge(api::routes().into_parts().0)
        .merge(portal_routes().into_parts().0)
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(core.clone()),
            move || shell(leptos_options.clone()),
        )
        // Unknown paths render the portal's Not found page (with a 404 status).
        .fallback(leptos_axum::render_app_to_stream_with_context(
            {
                let core = state.core.clone();
                move || leptos::prelude::provide_context(core.clone())
            },
            {
                let leptos_options = state.leptos.clone();
                move || shell(leptos_options.clone())
            },
        ))
        // Inside the session layer: the guard reads the session's CSRF token.
        .layer(axum::middleware::from_fn(portal::csrf_guard))
        .layer(sessions);
    Router::<AppState>::new()
        .merge(cargo::routes().into_parts().0)
        .merge(service_routes().into_parts().0)
        .merge(portal)
        .layer(axum::middleware::from_fn_with_state(state.clone(), network::client_ip))
        .layer(axum::middleware::from_fn_with_state(state.clone(), body::guard))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Cargo's reads are the hot path (tens of thousands a second): their span is
            // made only when debug logging is on. Every other request has one at info.
            let cargo_read = req.method() == Method::GET && req.uri().path().contains("/_packaging/");
            if cargo_read {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            } else {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            }
        }))
        // Defence in depth: a panic answers 500 instead of dropping the connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .with_state(state)
}

/// `GET /_metrics`: counters in Prometheus' text format; with `--metrics-token`, only for
/// `Authorization: Bearer <token>`.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    if let Some(expected) = &state.network.metrics_token_hash {
        let presented = wharf_auth::token_from_header(&headers).map(|t| wharf_auth::hash_token(&t));
        if presented.as_deref() != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "The metrics need the metrics token: Authorization: Bearer <token>.\n",
            )
                .into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.registry.metrics().render()).into_response()
}

/// `GET /_health`: liveness. 200 while the process serves requests at all.
async fn health() -> &'static str {
    "ok\n"
}

/// `GET /_ready`: readiness, for load balancers. 200 when the database and the storage
/// answer; 503 with the reason when either does not, or while the replica drains before
/// stopping.
async fn ready(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    let unready = |reason: &'static str| (StatusCode::SERVICE_UNAVAILABLE, reason).into_response();
    if state.draining.load(std::sync::atomic::Ordering::Acquire) {
        return unready("draining: this replica is stopping\n");
    }
    if let Err(e) = state.core.db.ping().await {
        tracing::error!(error = ?e, "readiness: the database does not answer");
        return unready("the database does not answer\n");
    }
    if let Err(e) = state.registry.storage().ping().await {
        tracing::error!(error = %e, "readiness: the crate storage does not answer");
        return unready("the crate storage does not answer\n");
    }
    (StatusCode::OK, "ready\n").into_response()
}
