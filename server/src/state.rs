//! The state every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use wharf_service::Core;

use crate::{assets::Site, config::Network, registry::Registry};

/// One pointer: axum clones the state for every extractor and middleware of every
/// request, and on cargo's hot paths cloning each handle on its own cost more than the
/// rest of the request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] points to.
pub struct Shared {
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

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Core {
    fn from_ref(state: &AppState) -> Self {
        state.core.clone()
    }
}

impl FromRef<AppState> for Arc<Site> {
    fn from_ref(state: &AppState) -> Self {
        state.site.clone()
    }
}
