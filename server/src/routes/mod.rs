//! Every route of the server, wired in one place.

pub mod api;
pub mod cargo;

use app::{App, shell};
use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, header},
    routing::get,
};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

use crate::{assets, state::AppState};

/// Largest request body accepted by the management API and the portal's forms.
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx = state.ctx.clone();
    let leptos_options = state.leptos.clone();
    Router::<AppState>::new()
        .merge(api::router())
        .merge(cargo::router())
        .route("/pkg/{*file}", get(assets::serve_pkg))
        .route("/_metrics", get(metrics))
        .route("/_health", get(health))
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
