//! The state every handler and server function shares.

use std::sync::Arc;

use app::ssr::AppContext;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{assets::Site, registry::Registry};

/// Cheap to clone: every field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub ctx: AppContext,
    pub site: Arc<Site>,
    pub registry: Arc<Registry>,
}
