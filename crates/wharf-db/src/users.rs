//! Accounts and organization membership.

use sqlx::{AnyPool, Row, any::AnyRow};

use crate::{DbError, DbResult, error::OnConflict, get_bool, now, scopes::DEFAULT_NAME};

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
}

impl User {
    fn from_row(row: &AnyRow) -> DbResult<Self> {
        Ok(User {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            is_admin: get_bool(row, "is_admin")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// Reads and writes accounts.
pub struct UserRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> UserRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Creates an account (names are unique ignoring case) and makes it a member of the
    /// `default` organization.
    pub async fn create(&self, name: &str, password_hash: &str, is_admin: bool) -> DbResult<User> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO users (name, name_key, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(name.to_ascii_lowercase())
        .bind(password_hash)
        .bind(is_admin)
        .bind(ts)
        .fetch_one(&mut *tx)
        .await
        .on_conflict(|| format!("A user named '{name}' already exists."))?
        .try_get("id")?;
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, created_at) SELECT id, $1, $2 FROM organizations WHERE name_key = $3",
        )
        .bind(id)
        .bind(ts)
        .bind(DEFAULT_NAME)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.by_id(id).await
    }

    pub async fn by_id(&self, id: i64) -> DbResult<User> {
        let row = sqlx::query("SELECT id, name, is_admin, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("User {id} does not exist.")))?;
        User::from_row(&row)
    }

    /// The account named `name` (ignoring case) with its password hash.
    pub async fn by_name(&self, name: &str) -> DbResult<(User, String)> {
        let row = sqlx::query("SELECT id, name, is_admin, created_at, password_hash FROM users WHERE name_key = $1")
            .bind(name.to_ascii_lowercase())
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("User '{name}' does not exist.")))?;
        Ok((User::from_row(&row)?, row.try_get("password_hash")?))
    }

    /// How many accounts exist.
    pub async fn count(&self) -> DbResult<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(self.pool).await?.try_get("n")?)
    }

    /// Whether `user_id` is a member of the organization `org_id`.
    pub async fn is_member(&self, org_id: i64, user_id: i64) -> DbResult<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(self.pool)
            .await?;
        Ok(row.is_some())
    }
}
