//! Roles people hold on feeds.

use sqlx::{AnyPool, Row};
use wharf_core::Role;

use crate::{DbError, DbResult};

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

    /// Applies several role changes in one transaction: all or none.
    pub async fn set_many(&self, feed_id: i64, changes: &[(i64, Option<Role>)]) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
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
        tx.commit().await?;
        Ok(())
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
    pub async fn list(&self, feed_id: i64) -> DbResult<Vec<(String, Role)>> {
        let rows = sqlx::query(
            "SELECT u.name, r.role FROM feed_roles r JOIN users u ON u.id = r.user_id WHERE r.feed_id = $1 ORDER BY u.name_key",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("name")?, decode(r.try_get("role")?)?))).collect()
    }
}
