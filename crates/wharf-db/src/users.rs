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
    pub(crate) fn from_row(row: &AnyRow) -> DbResult<Self> {
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
        let mut tx = self.pool.begin().await?;
        let id = insert_user(&mut tx, name, password_hash, is_admin).await?;
        tx.commit().await?;
        self.by_id(id).await
    }

    /// Creates the first administrator, once: `Conflict` when the instance was set up
    /// before or any account exists (two racing setup forms cannot both succeed).
    pub async fn create_first_admin(&self, name: &str, password_hash: &str) -> DbResult<User> {
        const DONE: &str = "Wharf is already set up: sign in with an existing account.";
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO instance_setup (id, done_at) VALUES (1, $1)")
            .bind(now())
            .execute(&mut *tx)
            .await
            .on_conflict(|| DONE.to_owned())?;
        let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&mut *tx).await?.try_get("n")?;
        if users > 0 {
            return Err(DbError::Conflict(DONE.to_owned()));
        }
        let id = insert_user(&mut tx, name, password_hash, true).await?;
        tx.commit().await?;
        self.by_id(id).await
    }

    /// Every account, by name.
    pub async fn list(&self) -> DbResult<Vec<User>> {
        let rows = sqlx::query("SELECT id, name, is_admin, created_at FROM users ORDER BY name_key")
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(User::from_row).collect()
    }

    /// The members of an organization with when they joined, by name.
    pub async fn members(&self, org_id: i64) -> DbResult<Vec<(User, i64)>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.is_admin, u.created_at, m.created_at AS joined_at \
             FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.name_key",
        )
        .bind(org_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(|r| Ok((User::from_row(r)?, r.try_get("joined_at")?))).collect()
    }

    /// Makes a user a member of an organization; `Conflict` if they already are.
    pub async fn add_member(&self, org_id: i64, user: &User) -> DbResult<()> {
        sqlx::query("INSERT INTO org_members (org_id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(user.id)
            .bind(now())
            .execute(self.pool)
            .await
            .on_conflict(|| format!("{} is already a member.", user.name))?;
        Ok(())
    }

    /// Removes a user from an organization; `NotFound` if they were not a member.
    pub async fn remove_member(&self, org_id: i64, user: &User) -> DbResult<()> {
        let done = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user.id)
            .execute(self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("{} is not a member.", user.name)));
        }
        Ok(())
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

/// Inserts an account and its membership of the `default` organization; returns its id.
async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &str,
    password_hash: &str,
    is_admin: bool,
) -> DbResult<i64> {
    let ts = now();
    let id: i64 = sqlx::query(
        "INSERT INTO users (name, name_key, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(name.to_ascii_lowercase())
    .bind(password_hash)
    .bind(is_admin)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await
    .on_conflict(|| format!("A user named '{name}' already exists."))?
    .try_get("id")?;
    sqlx::query(
        "INSERT INTO org_members (org_id, user_id, created_at) SELECT id, $1, $2 FROM organizations WHERE name_key = $3",
    )
    .bind(id)
    .bind(ts)
    .bind(DEFAULT_NAME)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}
