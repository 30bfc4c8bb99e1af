//! The core a command (`wharf admin`, `wharf import`, `wharf export`) runs its operations
//! on. It makes no request upstream; what it announces reaches running servers through
//! [`wharf_service::relay::CommandLine`] when the command ends.

use std::sync::Arc;

use wharf_core::PublicUrl;
use wharf_db::Db;
use wharf_service::{
    Core,
    metrics::Metrics,
    registry::{sources::Upstreams, upstream::UpstreamConfig},
};

/// A core on `db`, with the metrics its registry (if any) shares.
pub fn core(db: &Db) -> Result<(Core, Arc<Metrics>), String> {
    let metrics = Arc::new(Metrics::default());
    // No request goes upstream from here; the configuration only completes the core.
    let upstream = UpstreamConfig::new(
        tame_index::CRATES_IO_HTTP_INDEX,
        std::time::Duration::from_secs(300),
        std::time::Duration::from_secs(10),
    )
    .map_err(|e| e.to_string())?;
    let upstreams = Upstreams::new(upstream, None, db.clone(), metrics.clone());
    let public_url = PublicUrl::parse("http://localhost").map_err(|e| e.to_string())?;
    Ok((Core::new(db.clone(), public_url, upstreams), metrics))
}
