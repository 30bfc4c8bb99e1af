//! Upstream yanks: a version its source yanked is served yanked, saved or not (new
//! resolution passes it by; locked builds still get it, as from crates.io itself).

use futures_util::future::BoxFuture;
use wharf_db::DbError;

use super::{Effect, Judged, Policy, Reason, Subject};

pub struct UpstreamYanks;

impl Policy for UpstreamYanks {
    fn judge<'a>(&'a self, subject: &'a Subject<'a>, judged: &'a mut Judged) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            for line in subject.supplied.iter().filter(|l| l.yanked && !subject.local(&l.vers)) {
                judged.add(&line.vers, Effect::Yank, Reason::YankedUpstream);
            }
            Ok(())
        })
    }
}
