//! The state every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use wharf_service::Core;

use crate::{assets::Site, config::Network, registry::Registry};

/// Cheap to clone: every field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    /// Every operation, and the change bus.
    pub core: Core,
    pub site: Arc<Site>,
    pub registry: Arc<Registry>,
    /// Trusted proxies and the metrics token.
    pub network: Arc<Network>,
    /// Set once the replica is stopping: `/_ready` answers 503.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}
