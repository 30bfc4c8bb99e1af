//! The audit log: every operation of the core writes one record (who, when, what, from
//! which address, through which channel) through [`Core::done`], right after its
//! transaction committed and before its change is announced. The adapters say where a
//! request came from once, with [`within`]; operations never pass it along.
//!
//! Reading the log is [`crate::audit_log`]'s.

use std::net::IpAddr;

use wharf_auth::Principal;
use wharf_db::{Feed, NewRecord, User};

use crate::{Change, Core};

/// How a request reached the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Portal,
    Rest,
    Cargo,
    Cli,
    /// Wharf's own background work (retention, purges).
    System,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Rest => "rest",
            Channel::Cargo => "cargo",
            Channel::Cli => "cli",
            Channel::System => "system",
        }
    }
}

/// How the operations of one request (or command) come: the channel and the client's
/// address (not a version's origin, which is [`wharf_core::Origin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via {
    pub channel: Channel,
    pub address: Option<IpAddr>,
}

impl Via {
    pub const SYSTEM: Via = Via { channel: Channel::System, address: None };
    pub const CLI: Via = Via { channel: Channel::Cli, address: None };
}

tokio::task_local! {
    static VIA: Via;
}

/// Runs `work` with every audit record it writes marked as coming `via`. Work outside any
/// `within` (background tasks) is recorded as Wharf's own.
pub async fn within<F: Future>(via: Via, work: F) -> F::Output {
    VIA.scope(via, work).await
}

/// How the work running now came.
pub fn via() -> Via {
    VIA.try_with(|o| *o).unwrap_or(Via::SYSTEM)
}

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
    pub token: Option<i64>,
}

impl<'a> Actor<'a> {
    pub const ANONYMOUS: Actor<'static> = Actor { id: None, name: "anonymous", token: None };
    pub const SYSTEM: Actor<'static> = Actor { id: None, name: "system", token: None };
    /// A local administrator at the command line (`wharf admin …`).
    pub const COMMAND_LINE: Actor<'static> = Actor { id: None, name: "command line", token: None };

    pub fn of(principal: &'a Principal) -> Self {
        match principal {
            Principal::Anonymous => Actor::ANONYMOUS,
            Principal::Operator => Actor::COMMAND_LINE,
            Principal::User { user, token, .. } => Actor { id: Some(user.id), name: &user.name, token: *token },
        }
    }

    pub fn user(user: &'a User, token: Option<i64>) -> Self {
        Actor { id: Some(user.id), name: &user.name, token }
    }
}

/// What an operation did, for its record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `feed.create`, `version.yank`, … (the list is in the README).
    pub action: &'static str,
    pub org: Option<String>,
    /// `(id, "org/[project/]feed")`.
    pub feed: Option<(i64, String)>,
    /// What it was done to: `serde 1.0.0`, a feed, a token's name.
    pub target: String,
    /// Anything else worth keeping: a reason, the settings changed.
    pub detail: Option<String>,
}

impl Entry {
    /// An operation on `feed` (or on something in it).
    pub fn feed(action: &'static str, feed: &Feed, target: impl Into<String>) -> Self {
        Entry {
            action,
            org: Some(feed.org.clone()),
            feed: Some((feed.id, label(feed))),
            target: target.into(),
            detail: None,
        }
    }

    /// An operation on an organization (its projects, its members).
    pub fn org(action: &'static str, org: &str, target: impl Into<String>) -> Self {
        Entry { action, org: Some(org.to_owned()), feed: None, target: target.into(), detail: None }
    }

    /// An operation on the instance (accounts, tokens).
    pub fn instance(action: &'static str, target: impl Into<String>) -> Self {
        Entry { action, org: None, feed: None, target: target.into(), detail: None }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// `org/[project/]feed`.
pub fn label(feed: &Feed) -> String {
    match &feed.project {
        Some(project) => format!("{}/{project}/{}", feed.org, feed.name),
        None => format!("{}/{}", feed.org, feed.name),
    }
}

/// What a change of a feed changed, by the REST names, for the audit record:
/// `visibility: private → public`; texts only as changed. The settings' part is derived
/// from their values ([`crate::settings::changed`]).
pub fn settings_changed(before: &Feed, after: &Feed) -> String {
    let mut parts = Vec::new();
    let mut scalar = |name: &str, old: String, new: String| {
        if old != new {
            parts.push(format!("{name}: {old} → {new}"));
        }
    };
    scalar("name", before.name.clone(), after.name.clone());
    scalar("visibility", before.visibility.as_str().into(), after.visibility.as_str().into());
    scalar("includeCratesIo", before.includes_crates_io.to_string(), after.includes_crates_io.to_string());
    scalar("upstreamEnabled", before.has_sources.to_string(), after.has_sources.to_string());
    parts.extend(crate::settings::changed(&before.settings, &after.settings));
    if before.description != after.description {
        parts.push("description changed".to_owned());
    }
    if parts.is_empty() { "nothing changed".to_owned() } else { parts.join("; ") }
}

/// Writes the record of an operation done by `actor`, from the current [`via`]. A
/// failure is logged, not returned: the operation has committed already.
pub async fn write(db: &wharf_db::Db, actor: Actor<'_>, entry: &Entry) {
    let via = via();
    let address = via.address.map(|a| a.to_string());
    let record = NewRecord {
        at: wharf_db::unix_now(),
        actor_id: actor.id,
        actor: actor.name,
        token_id: actor.token,
        channel: via.channel.as_str(),
        address: address.as_deref(),
        action: entry.action,
        org: entry.org.as_deref(),
        feed_id: entry.feed.as_ref().map(|f| f.0),
        feed: entry.feed.as_ref().map(|f| f.1.as_str()),
        target: &entry.target,
        detail: entry.detail.as_deref(),
    };
    if let Err(e) = db.audit().append(&record).await {
        tracing::error!(error = %e, action = entry.action, target = %entry.target, "the audit record could not be written");
    }
}

impl Core {
    /// Ends an operation that committed: writes its audit record, then announces its change.
    pub async fn done(&self, principal: &Principal, entry: Entry, change: Change) {
        write(&self.db, Actor::of(principal), &entry).await;
        self.announce(change);
    }

    /// [`Core::done`] for an operation that changed nothing anyone caches.
    pub async fn record(&self, principal: &Principal, entry: Entry) {
        write(&self.db, Actor::of(principal), &entry).await;
    }
}
