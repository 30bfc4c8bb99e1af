//! The feed's advisory policy: versions an advisory in force affects are marked yanked
//! under `hide` (new resolution passes them by; locked builds still get them) and refused
//! too under `block`. Advisories that mark a crate malicious are refused whatever the
//! policy. Only versions from upstream sources are judged: advisories are about
//! crates.io's crates, not a feed's own crate of the same name.

use std::{sync::Arc, time::Duration};

use futures_util::future::BoxFuture;
use wharf_core::feed::AdvisoryPolicy;
use wharf_db::{Db, DbError, Origin};
use wharf_index::advisory::Advisory;

use super::{Effect, Judged, Policy, Reason, Subject};
use crate::{
    Change,
    remembered::{Generation, Remembered},
};

pub struct Advisories {
    db: Db,
    /// The advisories in force about each crate (lower-cased name), until the next import.
    in_force: Remembered<String, Arc<Vec<Advisory>>>,
}

impl Advisories {
    pub fn new(db: &Db, generation: &Arc<Generation>) -> Self {
        Advisories { db: db.clone(), in_force: Remembered::new(generation, Duration::from_secs(5), 100_000) }
    }

    async fn about(&self, name: &str) -> Result<Arc<Vec<Advisory>>, DbError> {
        self.in_force
            .get_or_read(name.to_owned(), || async move {
                let rows = self.db.advisories().of_package(name).await?;
                Ok(Arc::new(rows.iter().map(crate::advisories::advisory_of).filter(Advisory::is_in_force).collect()))
            })
            .await
    }
}

impl Policy for Advisories {
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            let all = self.about(subject.name).await?;
            if all.is_empty() {
                return Ok(());
            }
            let saved = subject.held.iter().filter(|h| h.origin == Origin::Upstream).map(|h| h.version.as_str());
            let supplied = subject.supplied.iter().map(|l| l.vers.as_str()).filter(|v| !subject.local(v));
            for version in saved.chain(supplied) {
                let affecting =
                    |malicious: bool| all.iter().find(|a| a.affects(version) && (!malicious || a.kind == "malicious"));
                let (effect, advisory) = match (affecting(true), subject.feed.settings.advisory_policy) {
                    (Some(malicious), _) => (Effect::Refuse, malicious),
                    (None, AdvisoryPolicy::Block) => match affecting(false) {
                        Some(advisory) => (Effect::Refuse, advisory),
                        None => continue,
                    },
                    (None, AdvisoryPolicy::Hide) => match affecting(false) {
                        Some(advisory) => (Effect::Yank, advisory),
                        None => continue,
                    },
                    (None, AdvisoryPolicy::Warn) => continue,
                };
                let reason = Reason::Advisory { id: advisory.id.clone(), title: advisory.title.clone() };
                judged.add(version, effect, reason);
            }
            Ok(())
        })
    }

    fn changed(&self, change: &Change) {
        if matches!(change, Change::AdvisoriesImported | Change::Resync) {
            self.in_force.forget_all();
        }
    }
}
