//! Versions removed upstream: a saved version its supplying source no longer lists (as
//! removed malware is) is marked yanked, hidden from new resolution while its saved copy
//! still serves locked builds, unless the feed keeps such versions in resolution. Judged
//! only when the sources answered, never from the fallback while they are down.

use futures_util::future::BoxFuture;
use wharf_db::{DbError, Origin};

use super::{Effect, Judged, Policy, Reason, Subject};

pub struct RemovedUpstream;

impl Policy for RemovedUpstream {
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            let Some(listed) = subject.listed.filter(|_| subject.feed.has_sources) else {
                return Ok(());
            };
            let effect = match subject.feed.settings.keep_removed_upstream {
                true => Effect::Note,
                false => Effect::Yank,
            };
            for held in subject.held.iter().filter(|h| h.origin == Origin::Upstream && !listed.contains(&h.version)) {
                judged.add(&held.version, effect, Reason::RemovedUpstream);
            }
            Ok(())
        })
    }
}
