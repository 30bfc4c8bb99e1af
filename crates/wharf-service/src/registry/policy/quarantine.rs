//! Quarantine: a version an Administrator quarantined is marked yanked (new resolution
//! skips it) and its downloads are refused with the reason they gave.

use futures_util::future::BoxFuture;
use wharf_db::DbError;

use super::{Effect, Judged, Policy, Reason, Subject};

pub struct Quarantine;

impl Policy for Quarantine {
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            for held in subject.held {
                if let Some(reason) = &held.quarantine {
                    judged.add(&held.version, Effect::Refuse, Reason::Quarantined { reason: reason.clone() });
                }
            }
            Ok(())
        })
    }
}
