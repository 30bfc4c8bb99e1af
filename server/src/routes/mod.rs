//! Every route of the server, wired in one place.

pub mod api;
pub mod cargo;
mod table;

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
    RouteTable::default().get("/pkg/{*file}", assets::serve_pkg).get("/_metrics", metrics).get("/_health", health)
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
    for table in [api::routes(), cargo::routes(), service_routes()] {
        all.extend(table.into_parts().1);
    }
    all.extend(route_list().iter().map(|r| (Method::GET, r.path().to_owned())));
    all.extend(leptos::server_fn::axum::server_fn_paths().map(|(path, method)| (method, path.to_owned())));
    all
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let ctx = state.ctx.clone();
    let leptos_options = state.leptos.clone();
    // Browser sessions, kept in the database so replicas share them. Cargo's routes sit
    // outside this layer: they authenticate with tokens only and stay cookie-free.
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.ctx.db.clone()))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.ctx.public_url.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(SIGNED_IN_FOR));
    let portal = Router::<AppState>::new()
        .merge(api::routes().into_parts().0)
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::prelude::provide_context(ctx.clone()),
            move || shell(leptos_options.clone()),
        )
        // Unknown paths render the portal's Not found page (with a 404 status).
        .fallback(leptos_axum::render_app_to_stream_with_context(
            {
                let ctx = state.ctx.clone();
                move || leptos::prelude::provide_context(ctx.clone())
            },
            {
                let leptos_options = state.leptos.clone();
                move || shell(leptos_options.clone())
            },
        ))
        .layer(sessions);
    Router::<AppState>::new()
        .merge(cargo::routes().into_parts().0)
        .merge(service_routes().into_parts().0)
        .merge(portal)
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// `GET /_metrics`: counters in Prometheus' text format.
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.registry.metrics().render())
}

/// `GET /_health`: 200 when the database answers, 503 otherwise (for load balancers).
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    match state.ctx.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer\n").into_response()
        }
    }
}
