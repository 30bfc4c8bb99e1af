//! Building the application and serving it.

use std::{io, sync::Arc};

use axum::{Router, serve::ListenerExt};
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;
use wharf_db::Db;

use crate::{
    assets::Site,
    config::ServeConfig,
    metrics::Metrics,
    registry::{Registry, sources::Upstreams},
    routes,
    state::AppState,
    storage::Storage,
};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: io::Error },
    #[error(transparent)]
    Database(#[from] wharf_db::DbError),
    #[error("cannot open the crate storage in {path}: {source}")]
    Storage { path: String, source: io::Error },
    #[error("cannot load the TLS certificate or key: {0}")]
    Tls(io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: io::Error },
    #[error("server error: {0}")]
    Serve(io::Error),
}

/// The application with its state, ready to serve or to drive in tests.
pub async fn build(config: &ServeConfig) -> Result<(Router, Db), StartError> {
    let (state, db) = build_state(config).await?;
    Ok((routes::router(state), db))
}

/// The state the application is built from (tests reach the registry through it).
pub async fn build_state(config: &ServeConfig) -> Result<(AppState, Db), StartError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| StartError::DataDir { path: config.data_dir.display().to_string(), source })?;
    let db = Db::connect(&config.database_url).await?;
    tracing::info!(backend = ?db.backend(), "database ready");
    let site = Site::new(config.site_dir.clone());
    if !site.has_bundle() {
        tracing::warn!(
            "the portal's WASM bundle is missing: pages will render but not hydrate (build it with `cargo xtask site`)"
        );
    }
    let leptos = LeptosOptions::builder().output_name("wharf").site_pkg_dir("pkg").site_addr(config.listen).build();
    let storage = Storage::open(&config.storage)
        .map_err(|source| StartError::Storage { path: config.storage.to_string(), source })?;
    let metrics = Arc::new(Metrics::default());
    let upstreams = Upstreams::new(config.upstream.clone(), config.secret_key.clone(), db.clone(), metrics.clone());
    tracing::info!(
        upstream = upstreams.crates_io().index_url(),
        sealing = config.secret_key.is_some(),
        "crates.io upstream"
    );
    let core =
        wharf_service::Core::new(db.clone(), config.public_url.clone(), upstreams).with_clock(config.clock.clone());
    // Changes committed by other replicas reach this one's caches (PostgreSQL only).
    wharf_service::relay::start(&core).await?;
    let registry = Arc::new(Registry::new(core.clone(), storage, metrics, config.max_crate_size));
    // The registry's caches hear of every change on the bus, and nowhere else.
    let core = core.with_registry(registry.clone());
    // Form errors travel in the page's address signed with a key every replica shares.
    let key = db.keys().get_or_insert("portal-errors", &wharf_auth::generate_token().hash).await?;
    app::ssr::set_error_key(key.as_bytes());
    // Webhook deliveries: queued from this replica's change events, sent by a job below.
    wharf_service::webhooks::start(&core);
    // Every background job (housekeeping, deliveries, the advisory fetch), for as long as
    // the registry lives; the table is `wharf_service::jobs::all`.
    let settings = wharf_service::jobs::Settings {
        audit_retention_days: config.audit_retention_days,
        advisory_db: config.advisory_db.clone(),
    };
    wharf_service::jobs::spawn_all(wharf_service::jobs::all(&settings), &core, &registry);
    let state = AppState::new(crate::state::Shared {
        leptos,
        core,
        site: Arc::new(site),
        registry,
        network: Arc::new(config.network.clone()),
        draining: Arc::default(),
    });
    Ok((state, db))
}

/// Runs the server until Ctrl-C or SIGTERM, then drains: `/_ready` answers 503 for
/// `--drain-seconds` while requests are still served (load balancers move away), then
/// in-flight requests finish, pending download counts are written, and it stops.
pub async fn serve(config: ServeConfig) -> Result<(), StartError> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(crate::tls::server_config(cert, key).map_err(StartError::Tls)?),
        None => None,
    };
    let (state, db) = build_state(&config).await?;
    let (draining, registry) = (state.draining.clone(), state.registry.clone());
    let app = routes::router(state);
    let drain = config.drain;
    let stop = move || async move {
        shutdown_signal().await;
        draining.store(true, std::sync::atomic::Ordering::Release);
        if !drain.is_zero() {
            tracing::info!(seconds = drain.as_secs_f32(), "draining: /_ready answers 503 before the listener closes");
            tokio::time::sleep(drain).await;
        }
        tracing::info!("finishing in-flight requests");
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind { addr: config.listen.to_string(), source })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(listen = %config.listen, %scheme, public_url = %config.public_url, "Wharf is serving");
    match tls {
        Some(tls) => crate::tls::serve(listener, app, tls, stop()).await.map_err(StartError::Serve)?,
        None => {
            // Small responses must not wait for Nagle's algorithm.
            let listener = listener.tap_io(|stream| {
                let _ = stream.set_nodelay(true);
            });
            // The peer address feeds the per-address sign-in limit.
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(stop())
                .await
                .map_err(StartError::Serve)?;
        }
    }
    if let Err(e) = registry.flush_download_counts().await {
        tracing::warn!(error = ?e, "the last download counts could not be recorded");
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut sig) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            sig.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
