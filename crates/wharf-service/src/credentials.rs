//! What the hot paths ask the database on every request, remembered: who a token belongs
//! to, and a user's role and membership on a feed. The change bus drops these the moment a
//! token is revoked or a role or membership changes (on every replica, once changes travel
//! between them); a short time-to-live is only the safety net.
//!
//! A lookup that raced a change must not put back what the change removed: both caches
//! are [`Remembered`].

use std::{sync::Arc, time::Duration};

use wharf_auth::{FeedStanding, Principal, PrincipalError, TOKEN_PREFIX, hash_token, token_from_header};
use wharf_core::{Role, TokenScope};
use wharf_db::{Db, DbError, Feed, User, unix_now};

use crate::{
    Change,
    remembered::{Generation, Remembered},
};

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
pub struct Credentials {
    /// By the token's sha256 (the secret itself is never kept).
    tokens: Remembered<String, Arc<LiveToken>>,
    /// (feed id, user id) → role on the feed, member of its organization.
    standings: Remembered<(i64, i64), (Option<Role>, bool)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("tokens", &self.tokens).field("standings", &self.standings).finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        let generation = Generation::new();
        Credentials {
            tokens: Remembered::new(&generation, TTL, 100_000),
            standings: Remembered::new(&generation, TTL, 100_000),
        }
    }
}

impl Credentials {
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
        let live = self
            .tokens
            .get_or_read(hash.clone(), || async {
                let Some((info, user)) = db.tokens().authenticate(&hash).await.map_err(PrincipalError::Unavailable)?
                else {
                    return Err(PrincipalError::InvalidToken);
                };
                Ok(Arc::new(LiveToken { id: info.id, user, scope: info.scope, expires_at: info.expires_at }))
            })
            .await?;
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
        let (role, member) = self
            .standings
            .get_or_read((feed.id, user.id), || async {
                let standing = wharf_auth::access::standing(db, principal, feed).await?;
                Ok::<_, DbError>((standing.role, standing.member))
            })
            .await?;
        Ok(FeedStanding::of(feed, role, member))
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
        self.tokens.forget_all();
    }

    fn drop_standings(&self) {
        self.standings.forget_all();
    }
}
