//! The `wharf` server: configuration, start-up, and the HTTP routes beside the portal.

pub mod admin;
pub mod assets;
pub mod config;
pub mod error;
pub mod metrics;
pub mod registry;
pub mod routes;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod tls;

pub use wharf_auth::{self as auth, access};
