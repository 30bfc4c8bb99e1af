//! What the hot paths ask the database on every request, remembered: who a token belongs
//! to, and a user's role and membership on a feed. The change bus drops these the moment a
//! token is revoked or a role or membership changes (on every replica, once changes travel
//! between them); a short time-to-live is only the safety net.
//!
//! A lookup that raced a change must not put back what the change removed: every entry
//! read while a change arrived is removed again (`generation`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use wharf_auth::{FeedStanding, Principal, PrincipalError, TOKEN_PREFIX, hash_token, token_from_header};
use wharf_core::{Role, TokenScope};
use wharf_db::{Db, DbError, Feed, User, unix_now};

use crate::Change;

/// How long an entry is used at most without a change telling otherwise.
const TTL: Duration = Duration::from_secs(5);

/// A live token as last read.
#[derive(Debug, Clone)]
struct LiveToken {
    id: i64,
    user: User,
    scope: TokenScope,
    expires_at: Option<i64>,
}

/// The caches of credentials and standings.
pub struct AccessCache {
    /// By the token's sha256 (the secret itself is never kept).
    tokens: moka::sync::Cache<String, Arc<LiveToken>>,
    /// (feed id, user id) → role on the feed, member of its organization.
    standings: moka::sync::Cache<(i64, i64), (Option<Role>, bool)>,
    /// Bumped by every change that drops entries.
    generation: AtomicU64,
}

impl std::fmt::Debug for AccessCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCache")
            .field("tokens", &self.tokens.entry_count())
            .field("standings", &self.standings.entry_count())
            .finish()
    }
}

impl Default for AccessCache {
    fn default() -> Self {
        AccessCache {
            tokens: moka::sync::Cache::builder().time_to_live(TTL).max_capacity(100_000).build(),
            standings: moka::sync::Cache::builder().time_to_live(TTL).max_capacity(100_000).build(),
            generation: AtomicU64::new(0),
        }
    }
}

impl AccessCache {
    /// The caller named by a request's `Authorization` header (anonymous without one), and
    /// the token's id. A wrong, expired or revoked token is refused.
    pub async fn principal_from_headers(
        &self,
        db: &Db,
        headers: &http::HeaderMap,
    ) -> Result<(Principal, Option<i64>), PrincipalError> {
        let Some(secret) = token_from_header(headers) else {
            return Ok((Principal::Anonymous, None));
        };
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(PrincipalError::WrongPrefix);
        }
        let hash = hash_token(&secret);
        let live = match self.tokens.get(&hash) {
            Some(live) => live,
            None => {
                let generation = self.generation.load(Ordering::Acquire);
                let Some((info, user)) = db.tokens().authenticate(&hash).await.map_err(PrincipalError::Unavailable)?
                else {
                    return Err(PrincipalError::InvalidToken);
                };
                let live = Arc::new(LiveToken { id: info.id, user, scope: info.scope, expires_at: info.expires_at });
                self.tokens.insert(hash.clone(), live.clone());
                if self.changed_since(generation) {
                    self.tokens.invalidate(&hash);
                }
                live
            }
        };
        if live.expires_at.is_some_and(|at| at <= unix_now()) {
            return Err(PrincipalError::InvalidToken);
        }
        Ok((Principal::User { user: live.user.clone(), scope: live.scope, token: Some(live.id) }, Some(live.id)))
    }

    /// The caller's standing on `feed`: their role there and whether they are a member of
    /// its organization (read only for signed-in callers).
    pub async fn standing(&self, db: &Db, principal: &Principal, feed: &Feed) -> Result<FeedStanding, DbError> {
        let Some(user) = principal.user() else {
            return Ok(FeedStanding::of(feed, None, false));
        };
        let key = (feed.id, user.id);
        if let Some((role, member)) = self.standings.get(&key) {
            return Ok(FeedStanding::of(feed, role, member));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let standing = wharf_auth::access::standing(db, principal, feed).await?;
        self.standings.insert(key, (standing.role, standing.member));
        if self.changed_since(generation) {
            self.standings.invalidate(&key);
        }
        Ok(standing)
    }

    /// Whether a change arrived since `generation` was read. Checked after an insert: a
    /// change that came before the check removes the entry here, one after it comes after
    /// the insert and removes it itself.
    fn changed_since(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) != generation
    }

    /// Drops what `change` made stale. Called by the change bus only.
    pub fn changed(&self, change: &Change) {
        match change {
            Change::TokenRevoked { .. } | Change::AccountCreated { .. } => self.drop_tokens(),
            Change::RoleChanged { .. } | Change::MembersChanged { .. } | Change::FeedDeleted { .. } => {
                self.drop_standings()
            }
            Change::Resync => self.drop_all(),
            _ => {}
        }
    }

    /// Forgets everything (after a lost connection to the other replicas, say).
    pub fn drop_all(&self) {
        self.drop_tokens();
        self.drop_standings();
    }

    fn drop_tokens(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.tokens.invalidate_all();
    }

    fn drop_standings(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.standings.invalidate_all();
    }
}
