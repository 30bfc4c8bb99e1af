//! The serving pipeline: what a feed serves of one crate. Cargo's index and downloads, the
//! views, badges, warm and the portal all take the feed's word from here, so they cannot
//! disagree. A served line goes through, in order:
//!
//! 1. [`guard`]: a name the feed publishes itself is not asked of any upstream, and saved
//!    upstream versions of it are withheld (dependency confusion).
//! 2. [`cooldown`]: upstream versions younger than the feed's days are withheld until then.
//! 3. [`quarantine`]: quarantined versions are marked yanked and their downloads refused.
//! 4. [`advisories`]: versions an advisory in force affects are marked yanked (`hide`) or
//!    refused too (`block`, and malicious crates always).
//! 5. [`removed_upstream`]: saved versions their source no longer lists are marked yanked
//!    (unless the feed keeps them).
//! 6. [`upstream_yanks`]: what the source yanked is marked yanked.
//!
//! Each policy is one module: what it does to the index lines (withhold or mark yanked),
//! what it refuses at download and why, and its own inputs, remembered through
//! [`crate::remembered`] and forgotten by change events. Adding a policy is one module
//! and one line in [`Pipeline::new`].

pub mod advisories;
pub mod cooldown;
pub mod guard;
pub mod quarantine;
pub mod removed_upstream;
pub mod upstream_yanks;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use futures_util::future::BoxFuture;
use wharf_db::{Db, DbError, Feed, Holding, Origin};
use wharf_index::IndexLine;

use crate::{Change, remembered::Generation};

/// What the pipeline judges: one crate of one feed, or one version of it.
pub struct Subject<'a> {
    pub feed: &'a Feed,
    /// The crate's name, lower-cased.
    pub name: &'a str,
    /// The versions of it the feed holds that are judged.
    pub held: &'a [Holding],
    /// The versions its upstream source supplies that are judged.
    pub supplied: &'a [IndexLine],
    /// Every version the supplying source lists, when the sources were asked and answered.
    pub listed: Option<&'a HashSet<String>>,
    /// Seconds since the epoch, on the core's clock.
    pub now: i64,
}

impl Subject<'_> {
    /// Whether the feed holds `version` as published to it.
    pub fn local(&self, version: &str) -> bool {
        self.held.iter().any(|h| h.origin == Origin::Local && h.version == version)
    }

    /// Whether the feed holds `version` at all.
    pub fn holds(&self, version: &str) -> bool {
        self.held.iter().any(|h| h.version == version)
    }
}

/// What a policy does to one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Left out of the index; a download answers as if it did not exist, or says why.
    Withhold,
    /// Marked yanked in the index; downloads refused, saying why.
    Refuse,
    /// Marked yanked in the index (new resolution passes it by; locked builds get it).
    Yank,
    /// Served as it is; the portal says it.
    Note,
}

/// Why a policy judged a version as it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The feed publishes the name itself.
    Guarded,
    /// Too young: released at `until` (seconds since the epoch).
    HeldBack {
        until: i64,
    },
    Quarantined {
        reason: String,
    },
    Advisory {
        id: String,
        title: String,
    },
    /// Its source no longer lists it.
    RemovedUpstream,
    /// Its source yanked it.
    YankedUpstream,
}

impl Reason {
    /// In a few words, as an export's report gives it.
    pub fn brief(&self) -> String {
        match self {
            Reason::Guarded => "an upstream version of a name the feed publishes (dependency-confusion guard)".into(),
            Reason::HeldBack { until } => {
                format!("held back by the upstream cooldown until {}", cooldown::day_of(*until))
            }
            Reason::Quarantined { reason } => format!("quarantined ({reason})"),
            Reason::Advisory { id, title } => format!("blocked by advisory {id} ({title})"),
            Reason::RemovedUpstream => "removed upstream".into(),
            Reason::YankedUpstream => "yanked upstream".into(),
        }
    }
}

/// One policy's word on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub effect: Effect,
    pub reason: Reason,
}

/// Every policy's word on the versions of a subject.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Judged {
    verdicts: HashMap<String, Vec<Verdict>>,
}

impl Judged {
    pub fn add(&mut self, version: &str, effect: Effect, reason: Reason) {
        self.verdicts.entry(version.to_owned()).or_default().push(Verdict { effect, reason });
    }

    /// What was said of `version`, in pipeline order.
    pub fn of(&self, version: &str) -> &[Verdict] {
        self.verdicts.get(version).map_or(&[], Vec::as_slice)
    }

    pub fn withheld(&self, version: &str) -> bool {
        self.of(version).iter().any(|v| v.effect == Effect::Withhold)
    }

    /// The versions the index marks yanked.
    pub fn yanked(&self) -> HashSet<String> {
        self.verdicts
            .iter()
            .filter(|(_, said)| said.iter().any(|v| matches!(v.effect, Effect::Refuse | Effect::Yank)))
            .map(|(version, _)| version.clone())
            .collect()
    }

    /// The first verdict that stops a download of `version`.
    pub fn refusal(&self, version: &str) -> Option<&Verdict> {
        self.of(version).iter().find(|v| matches!(v.effect, Effect::Withhold | Effect::Refuse))
    }

    /// Versions the cooldown holds back, with when each is released, soonest first.
    pub fn held_back(&self) -> Vec<(String, i64)> {
        let mut held: Vec<(String, i64)> = self
            .verdicts
            .iter()
            .filter_map(|(version, said)| {
                said.iter().find_map(|v| match v.reason {
                    Reason::HeldBack { until } => Some((version.clone(), until)),
                    _ => None,
                })
            })
            .collect();
        held.sort_by_key(|(version, until)| (*until, wharf_db::version_key(version)));
        held
    }

    /// The versions for which a reason `reason` accepts was given.
    pub fn versions_where(&self, reason: impl Fn(&Reason) -> bool) -> HashSet<String> {
        self.verdicts
            .iter()
            .filter(|(_, said)| said.iter().any(|v| reason(&v.reason)))
            .map(|(version, _)| version.clone())
            .collect()
    }
}

/// One policy of the pipeline.
pub trait Policy: Send + Sync {
    /// Whether the feed's upstream sources are asked for the subject's name at all.
    fn asks_upstream<'a>(&'a self, _feed: &'a Feed, _name: &'a str) -> BoxFuture<'a, Result<bool, DbError>> {
        Box::pin(async { Ok(true) })
    }

    /// Adds its word on the subject's versions.
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>>;

    /// Forgets what `change` made stale of what it remembers.
    fn changed(&self, _change: &Change) {}
}

/// The policies, in order.
pub struct Pipeline {
    policies: Vec<Box<dyn Policy>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("policies", &self.policies.len()).finish()
    }
}

impl Pipeline {
    pub fn new(db: &Db, generation: &Arc<Generation>) -> Self {
        Pipeline {
            policies: vec![
                Box::new(guard::Guard::new(db, generation)),
                Box::new(cooldown::Cooldown::new(db, generation)),
                Box::new(quarantine::Quarantine),
                Box::new(advisories::Advisories::new(db, generation)),
                Box::new(removed_upstream::RemovedUpstream),
                Box::new(upstream_yanks::UpstreamYanks),
            ],
        }
    }

    /// Whether every policy lets the feed's sources be asked for `name`.
    pub async fn asks_upstream(&self, feed: &Feed, name: &str) -> Result<bool, DbError> {
        if !feed.has_sources {
            return Ok(false);
        }
        for policy in &self.policies {
            if !policy.asks_upstream(feed, name).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Every policy's word on `subject`.
    pub async fn judge(&self, subject: &Subject<'_>) -> Result<Judged, DbError> {
        let mut judged = Judged::default();
        for policy in &self.policies {
            policy.judge(subject, &mut judged).await?;
        }
        Ok(judged)
    }

    pub fn changed(&self, change: &Change) {
        for policy in &self.policies {
            policy.changed(change);
        }
    }
}

/// The index file the feed serves: the supplied lines and its own, without what the
/// policies withhold, marked yanked where they say so; `None` when nothing is left.
pub fn render(supplied: Option<&[u8]>, held: &[Holding], judged: &Judged) -> Option<Vec<u8>> {
    let upstream = supplied.and_then(|body| wharf_index::retain(body, |line| !judged.withheld(&line.vers)));
    let own: Vec<&str> = held.iter().filter(|h| !judged.withheld(&h.version)).map(|h| h.index_line.as_str()).collect();
    let body = wharf_index::merge(upstream.as_deref(), &own)?;
    let yanked = judged.yanked();
    Some(match yanked.is_empty() {
        true => body,
        false => wharf_index::mark_yanked(&body, &yanked),
    })
}
