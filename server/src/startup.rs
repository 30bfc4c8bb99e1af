//! Building the application and serving it.

use std::{io, sync::Arc, time::Duration};

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
    {
        let registry = Arc::downgrade(&registry);
        core.bus.listen(move |change| {
            if let Some(registry) = registry.upgrade() {
                registry.changed(change);
            }
        });
    }
    // Form errors travel in the page's address signed with a key every replica shares.
    let key = db.keys().get_or_insert("portal-errors", &wharf_auth::generate_token().hash).await?;
    app::ssr::set_error_key(key.as_bytes());
    spawn_housekeeping(Arc::downgrade(&registry), core.clone(), config.audit_retention_days);
    // Webhook deliveries: queued from this replica's change events, sent in the background.
    wharf_service::webhooks::start(&core);
    spawn_webhook_deliveries(Arc::downgrade(&registry), core.clone());
    if let Some((url, every)) = &config.advisory_db {
        spawn_advisory_fetch(Arc::downgrade(&registry), core.clone(), url.clone(), *every);
    }
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
    spawn_session_sweeper(db.clone());
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
    registry.flush_download_counts().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Flushes download counts every few seconds; hourly applies the feeds' retention rules,
/// purges recycle bins, removes audit records past `audit_days` and old warm jobs; for as
/// long as the registry lives.
fn spawn_housekeeping(registry: std::sync::Weak<Registry>, core: wharf_service::Core, audit_days: i64) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut ticks = 0u64;
        loop {
            every.tick().await;
            let Some(registry) = registry.upgrade() else { return };
            registry.flush_download_counts().await;
            if ticks.is_multiple_of(720) {
                match wharf_service::retention::apply(&core, core.clock.now()).await {
                    Ok(None) => tracing::debug!("another replica applies the retention rules"),
                    Ok(Some(0)) => {}
                    Ok(Some(n)) => tracing::info!(versions = n, "retention rules moved versions to recycle bins"),
                    Err(e) => tracing::warn!(error = ?e, "applying retention rules failed"),
                }
                match registry.purge_recycle_bins().await {
                    Ok(None) => tracing::debug!("another replica purges the recycle bins"),
                    Ok(Some(0)) => {}
                    Ok(Some(n)) => tracing::info!(versions = n, "purged from recycle bins after 30 days"),
                    Err(e) => tracing::warn!(error = ?e, "purging recycle bins failed"),
                }
                if let Err(e) = wharf_service::audit_log::sweep(&core.db, audit_days).await {
                    tracing::warn!(error = ?e, "removing old audit records failed");
                }
                match wharf_service::warm::sweep(&core, core.clock.now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "removed warm jobs finished a week ago"),
                    Err(e) => tracing::warn!(error = ?e, "removing old warm jobs failed"),
                }
            }
            ticks += 1;
        }
    });
}

/// Starts the webhook deliveries that are due, every second, for as long as the registry
/// lives (each claimed by one replica; they run concurrently, a few per feed).
fn spawn_webhook_deliveries(registry: std::sync::Weak<Registry>, core: wharf_service::Core) {
    tokio::spawn(async move {
        let courier = match wharf_service::webhooks::Courier::new() {
            Ok(courier) => courier,
            Err(e) => return tracing::error!(error = %e, "cannot build the webhooks' HTTP clients"),
        };
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            if registry.upgrade().is_none() {
                return;
            }
            if let Err(e) = courier.deliver_due(&core).await {
                tracing::warn!(error = %e, "sending webhook deliveries failed");
            }
        }
    });
}

/// Fetches and imports the advisory database at start and then every `every`, on one
/// replica at a time, for as long as the registry lives.
fn spawn_advisory_fetch(registry: std::sync::Weak<Registry>, core: wharf_service::Core, url: String, every: Duration) {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(Duration::from_secs(120)).build() {
            Ok(client) => client,
            Err(e) => return tracing::error!(error = %e, "cannot build the advisory fetch's HTTP client"),
        };
        // After a failure, the next try comes sooner than the schedule: a minute, doubling.
        let mut retry = Duration::from_secs(60);
        loop {
            if registry.upgrade().is_none() {
                return;
            }
            let wait = match core.db.try_job_lock("advisory-fetch").await {
                // Another replica fetches.
                Ok(None) => every,
                Ok(Some(lock)) => {
                    let outcome = wharf_service::advisories::fetch_and_import(&core, &client, &url).await;
                    lock.release().await;
                    match outcome {
                        Ok(report) => {
                            tracing::info!(url, read = report.read, total = report.total, "advisories fetched");
                            retry = Duration::from_secs(60);
                            every
                        }
                        Err(e) => {
                            tracing::warn!(url, error = %e, retry_in = ?retry, "fetching advisories failed");
                            retry = (retry * 2).min(every);
                            retry / 2
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "fetching advisories: the job lock is unavailable");
                    retry
                }
            };
            tokio::time::sleep(wait).await;
        }
    });
}

/// Deletes expired sessions every hour, on one replica at a time.
fn spawn_session_sweeper(db: Db) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            let lock = match db.try_job_lock("session-sweep").await {
                Ok(Some(lock)) => lock,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = ?e, "deleting expired sessions failed");
                    continue;
                }
            };
            let swept = db.sessions().delete_expired().await;
            lock.release().await;
            match swept {
                Ok(0) => {}
                Ok(n) => tracing::debug!(sessions = n, "expired sessions deleted"),
                Err(e) => tracing::warn!(error = ?e, "deleting expired sessions failed"),
            }
        }
    });
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
