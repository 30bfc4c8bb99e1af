//! Roles people hold on feeds.

use sqlx::{AnyPool, Row};
use wharf_core::Role;

use crate::{DbError, DbResult};

/// Why a role change that would leave a feed without an Owner is refused.
pub const LAST_OWNER: &str = "A feed keeps at least one Owner: make someone else Owner first.";

/// Who holds a role on a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRole {
    /// The account's name.
    pub user: String,
    pub role: Role,
}

/// Reads and writes feed roles.
pub struct RoleRepo<'a> {
    pool: &'a AnyPool,
}

fn decode(role: String) -> DbResult<Role> {
    role.parse().map_err(|e: String| DbError::Sqlx(sqlx::Error::Decode(e.into())))
}

impl<'a> RoleRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The role `user_id` holds on `feed_id`, if any.
    pub async fn role_of(&self, feed_id: i64, user_id: i64) -> DbResult<Option<Role>> {
        let row = sqlx::query("SELECT role FROM feed_roles WHERE feed_id = $1 AND user_id = $2")
            .bind(feed_id)
            .bind(user_id)
            .fetch_optional(self.pool)
            .await?;
        row.map(|r| decode(r.try_get("role")?)).transpose()
    }

    /// Gives `user_id` a role on `feed_id` (replacing any), or removes it with `None`.
    pub async fn set(&self, feed_id: i64, user_id: i64, role: Option<Role>) -> DbResult<()> {
        self.set_many(feed_id, &[(user_id, role)]).await
    }

    /// Applies several role changes in one transaction: all or none. A feed that has an
    /// Owner keeps one: the count is taken inside the transaction, after the changes and
    /// with the feed locked, so two Owners removing each other at once cannot both win.
    pub async fn set_many(&self, feed_id: i64, changes: &[(i64, Option<Role>)]) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        // Takes the feed's row lock (PostgreSQL) or the write lock (SQLite) first, so
        // concurrent role changes of one feed run one after the other.
        sqlx::query("UPDATE feeds SET updated_at = updated_at WHERE id = $1").bind(feed_id).execute(&mut *tx).await?;
        let owners_before = Self::owners_in(&mut tx, feed_id).await?;
        for (user_id, role) in changes {
            match role {
                Some(role) => {
                    sqlx::query(
                        "INSERT INTO feed_roles (feed_id, user_id, role) VALUES ($1, $2, $3) \
                         ON CONFLICT (feed_id, user_id) DO UPDATE SET role = excluded.role",
                    )
                    .bind(feed_id)
                    .bind(*user_id)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM feed_roles WHERE feed_id = $1 AND user_id = $2")
                        .bind(feed_id)
                        .bind(*user_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        if owners_before > 0 && Self::owners_in(&mut tx, feed_id).await? == 0 {
            tx.rollback().await?;
            return Err(DbError::Conflict(LAST_OWNER.into()));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn owners_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, feed_id: i64) -> DbResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM feed_roles WHERE feed_id = $1 AND role = 'owner'")
            .bind(feed_id)
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Every role a user holds, by feed id.
    pub async fn of_user(&self, user_id: i64) -> DbResult<std::collections::HashMap<i64, Role>> {
        let rows = sqlx::query("SELECT feed_id, role FROM feed_roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("feed_id")?, decode(r.try_get("role")?)?))).collect()
    }

    /// Everyone with a role on a feed, by user name.
    pub async fn list(&self, feed_id: i64) -> DbResult<Vec<FeedRole>> {
        let rows = sqlx::query(
            "SELECT u.name, r.role FROM feed_roles r JOIN users u ON u.id = r.user_id WHERE r.feed_id = $1 ORDER BY u.name_key",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(|r| Ok(FeedRole { user: r.try_get("name")?, role: decode(r.try_get("role")?)? })).collect()
    }
}
