//! Wharf's application layer. Every operation a person, a script or cargo can perform
//! lives here once, as an async function taking `(&Core, &Principal, input)`, and does the
//! same steps in order: authorize (through [`wharf_auth::authorize`]), validate, write in
//! one transaction, and after the commit announce one [`Change`] on the [`Bus`]. The REST
//! API, the cargo routes and the portal's server functions only adapt these functions:
//! parse, call, map the [`CoreError`] to their own statuses.

pub mod accounts;
pub mod advisories;
pub mod audit;
pub mod audit_log;
pub mod authn;
pub mod backup;
pub mod browse;
pub mod bundles;
pub mod clock;
pub mod cooldown;
pub mod credentials;
pub mod error;
pub mod events;
pub mod feeds;
pub mod job_lock;
pub mod jobs;
pub mod members;
pub mod metrics;
pub mod packages;
pub mod projects;
pub mod publish;
pub mod refs;
pub mod registry;
pub mod relay;
pub mod remembered;
pub mod retention;
pub mod roles;
pub mod serve;
pub mod settings;
pub mod storage;
pub mod time;
pub mod tokens;
pub mod upstreams;
pub mod views;
pub mod warm;
pub mod webhooks;

use wharf_core::PublicUrl;
use wharf_db::Db;

pub use error::{CoreError, CoreResult};
pub use events::{Bus, Change};
pub use refs::{Authorized, FeedRef, Need, PackageRef, VersionRef, admit};
pub use time::rfc3339;
pub use wharf_auth::{FeedAction, OrgAction, Principal};

/// The address of the client of a request, as the server established it (behind trusted
/// proxies, from `X-Forwarded-For`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// What every operation needs: the database, the public URL, the change bus and the
/// credentials cache that hears it. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Core {
    pub db: Db,
    pub public_url: PublicUrl,
    pub bus: Bus,
    pub credentials: std::sync::Arc<credentials::Credentials>,
    /// The registries feeds have as upstream sources, and the key that seals their tokens.
    pub upstreams: std::sync::Arc<registry::sources::Upstreams>,
    /// The time the cooldown and retention rules run on.
    pub clock: clock::Clock,
    /// The cargo side's engine (caches, storage, upstream clients), where there is one
    /// (servers; not every command-line core). Whoever built it keeps it alive: the jobs
    /// run for as long as it lives.
    registry: Option<std::sync::Weak<registry::Registry>>,
}

impl Core {
    pub fn new(db: Db, public_url: PublicUrl, upstreams: registry::sources::Upstreams) -> Self {
        let bus = Bus::default();
        let credentials = std::sync::Arc::new(credentials::Credentials::default());
        let weak = std::sync::Arc::downgrade(&credentials);
        bus.listen(move |change| {
            if let Some(credentials) = weak.upgrade() {
                credentials.changed(change);
            }
        });
        Core {
            db,
            public_url,
            bus,
            credentials,
            upstreams: std::sync::Arc::new(upstreams),
            clock: Default::default(),
            registry: None,
        }
    }

    /// The same core with the cargo side's engine, whose caches hear every change on the
    /// bus from now on.
    pub fn with_registry(self, registry: std::sync::Arc<registry::Registry>) -> Self {
        let weak = std::sync::Arc::downgrade(&registry);
        let weak_registry = weak.clone();
        self.bus.listen(move |change| {
            if let Some(registry) = weak.upgrade() {
                registry.changed(change);
            }
        });
        Core { registry: Some(weak_registry), ..self }
    }

    /// The cargo side's engine.
    pub fn registry(&self) -> CoreResult<std::sync::Arc<registry::Registry>> {
        self.registry
            .as_ref()
            .and_then(std::sync::Weak::upgrade)
            .ok_or_else(|| CoreError::Internal("this core has no registry".into()))
    }

    /// The same core on `clock` (tests move it).
    pub fn with_clock(self, clock: clock::Clock) -> Self {
        Core { clock, ..self }
    }

    /// Announces a change that has been committed.
    pub fn announce(&self, change: Change) {
        self.bus.publish(change);
    }
}
