//! The `wharf` server: configuration, start-up, and the HTTP routes beside the portal.

pub mod admin;
pub mod assets;
pub mod backup;
pub mod bundle;
pub mod command_line;
pub mod config;
pub mod error;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod warm;

pub use wharf_auth::{self as auth, access};
/// The Cargo side of the core (publish, yank, saving from the upstream, the caches),
/// with its storage and counters.
pub use wharf_service::{metrics, registry, storage};
