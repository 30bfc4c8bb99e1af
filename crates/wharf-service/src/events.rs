//! Change events: announced once per operation, after its transaction committed. Caches
//! listen here and nowhere else (no one invalidates a cache by hand); other replicas hear
//! them through [`crate::relay`]; the audit log and webhooks will subscribe too.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What changed. Ids are database ids; crate names are lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Change {
    FeedCreated {
        feed: i64,
    },
    /// Name, description, visibility, upstream or anonymous saves.
    FeedChanged {
        feed: i64,
    },
    FeedDeleted {
        feed: i64,
    },
    VersionPublished {
        feed: i64,
        krate: String,
        version: String,
    },
    VersionYanked {
        feed: i64,
        krate: String,
        version: String,
        yanked: bool,
    },
    VersionDeleted {
        feed: i64,
        krate: String,
        version: String,
    },
    VersionRestored {
        feed: i64,
        krate: String,
        version: String,
    },
    /// Versions purged from recycle bins (any feed).
    VersionsPurged {
        count: usize,
    },
    /// A version saved from the upstream on first use.
    VersionSaved {
        feed: i64,
        krate: String,
        version: String,
    },
    /// A package's settings (the dependency-confusion guard).
    PackageChanged {
        feed: i64,
        krate: String,
    },
    RoleChanged {
        feed: i64,
    },
    /// An organization's projects created, renamed or deleted (or the organization created).
    ProjectsChanged {
        org: i64,
    },
    /// A view added, renamed or deleted.
    ViewsChanged {
        feed: i64,
    },
    /// A version promoted to a view.
    VersionPromoted {
        feed: i64,
        krate: String,
        version: String,
        view: String,
    },
    /// Versions moved to the recycle bin by the feed's retention rules.
    RetentionApplied {
        feed: i64,
        count: usize,
    },
    TokenCreated {
        token: i64,
    },
    TokenRevoked {
        tokens: Vec<i64>,
    },
    AccountCreated {
        user: i64,
    },
    MembersChanged {
        org: i64,
    },
    /// Security advisories imported: every feed's marks may change.
    AdvisoriesImported,
    /// Changes may have been missed (the connection that carries them between replicas
    /// was lost): everything cached is dropped.
    Resync,
}

impl Change {
    /// The feed the change is about, if it is about one.
    pub fn feed(&self) -> Option<i64> {
        match self {
            Change::FeedCreated { feed }
            | Change::FeedChanged { feed }
            | Change::FeedDeleted { feed }
            | Change::VersionPublished { feed, .. }
            | Change::VersionYanked { feed, .. }
            | Change::VersionDeleted { feed, .. }
            | Change::VersionRestored { feed, .. }
            | Change::VersionSaved { feed, .. }
            | Change::PackageChanged { feed, .. }
            | Change::RoleChanged { feed }
            | Change::ViewsChanged { feed }
            | Change::VersionPromoted { feed, .. }
            | Change::RetentionApplied { feed, .. } => Some(*feed),
            _ => None,
        }
    }

    /// The crate of a feed whose versions or package settings the change is about.
    pub fn crate_of(&self) -> Option<(i64, &str)> {
        match self {
            Change::VersionPublished { feed, krate, .. }
            | Change::VersionYanked { feed, krate, .. }
            | Change::VersionDeleted { feed, krate, .. }
            | Change::VersionRestored { feed, krate, .. }
            | Change::VersionSaved { feed, krate, .. }
            | Change::PackageChanged { feed, krate } => Some((*feed, krate)),
            _ => None,
        }
    }

    /// Whether the change may touch what is cached of any feed as a whole: its settings,
    /// where its URLs lead, or versions in bulk.
    pub fn touches_feeds(&self) -> bool {
        matches!(
            self,
            Change::FeedChanged { .. }
                | Change::FeedDeleted { .. }
                | Change::FeedCreated { .. }
                | Change::VersionsPurged { .. }
                | Change::Resync
                | Change::RetentionApplied { .. }
                | Change::ProjectsChanged { .. }
        )
    }
}

type Listener = Arc<dyn Fn(&Change) + Send + Sync>;

/// The one bus. Listeners (caches) run inline, before the operation returns, so the
/// caller's next request already sees the change; other subscribers get the change over a
/// broadcast channel.
#[derive(Clone)]
pub struct Bus {
    listeners: Arc<RwLock<Vec<Listener>>>,
    channel: broadcast::Sender<Change>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus { listeners: Arc::default(), channel: broadcast::channel(1024).0 }
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("subscribers", &self.channel.receiver_count()).finish_non_exhaustive()
    }
}

impl Bus {
    /// Calls `listener` with every change from now on, inline (keep it cheap: cache
    /// invalidation, not I/O).
    pub fn listen(&self, listener: impl Fn(&Change) + Send + Sync + 'static) {
        self.listeners.write().unwrap_or_else(|e| e.into_inner()).push(Arc::new(listener));
    }

    /// A handle that does not keep the bus alive: background tasks hold this, and end
    /// once the core is gone.
    pub fn downgrade(&self) -> WeakBus {
        WeakBus { listeners: Arc::downgrade(&self.listeners) }
    }

    /// Every change from now on, for consumers that do I/O (they may lag and be told so).
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.channel.subscribe()
    }

    /// Announces a change committed by this replica: to the listeners, then to the
    /// subscribers (among them the relay that tells the other replicas).
    pub fn publish(&self, change: Change) {
        tracing::debug!(?change, "change");
        self.tell_listeners(&change);
        // No subscriber is fine.
        let _ = self.channel.send(change);
    }

    /// A change another replica committed: only the listeners (caches) hear it. Audit
    /// records and webhooks are the committing replica's to send, once.
    pub fn deliver_remote(&self, change: &Change) {
        tracing::debug!(?change, "change from another replica");
        self.tell_listeners(change);
    }

    fn tell_listeners(&self, change: &Change) {
        tell(&self.listeners, change);
    }
}

fn tell(listeners: &RwLock<Vec<Listener>>, change: &Change) {
    let listeners = listeners.read().unwrap_or_else(|e| e.into_inner()).clone();
    for listener in listeners {
        listener(change);
    }
}

/// See [`Bus::downgrade`].
#[derive(Clone)]
pub struct WeakBus {
    listeners: std::sync::Weak<RwLock<Vec<Listener>>>,
}

impl WeakBus {
    /// [`Bus::deliver_remote`]; `false` once the bus is gone.
    pub fn deliver_remote(&self, change: &Change) -> bool {
        match self.listeners.upgrade() {
            Some(listeners) => {
                tracing::debug!(?change, "change from elsewhere");
                tell(&listeners, change);
                true
            }
            None => false,
        }
    }

    /// Whether the bus is gone.
    pub fn is_gone(&self) -> bool {
        self.listeners.strong_count() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn listeners_hear_every_change_inline_and_subscribers_later() {
        let bus = Bus::default();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        bus.listen(move |c| h.lock().unwrap().push(c.clone()));
        let mut rx = bus.subscribe();
        bus.publish(Change::FeedChanged { feed: 7 });
        assert_eq!(*heard.lock().unwrap(), vec![Change::FeedChanged { feed: 7 }]);
        assert_eq!(rx.try_recv().unwrap(), Change::FeedChanged { feed: 7 });
    }

    #[test]
    fn changes_travel_as_tagged_json() {
        let c = Change::VersionYanked { feed: 1, krate: "serde".into(), version: "1.0.0".into(), yanked: true };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"kind":"versionYanked","feed":1,"krate":"serde","version":"1.0.0","yanked":true}"#);
        assert_eq!(serde_json::from_str::<Change>(&json).unwrap(), c);
    }
}
