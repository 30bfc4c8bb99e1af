//! Personal access tokens, kept only as sha256 hashes.

use sqlx::{AnyPool, Row, any::AnyRow};
use wharf_core::TokenScope;

use crate::{DbError, DbResult, User, error::OnConflict, get_bool, now};

/// A token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: TokenScope,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    /// The token this one was minted with, if any: it dies with it.
    pub parent_id: Option<i64>,
}

const COLUMNS: &str = "t.id, t.user_id, t.name, t.prefix, t.scope, t.expires_at, t.last_used_at, t.revoked_at, \
                       t.created_at, t.parent_id";

/// A token is live while it, and the token it was minted with, are neither revoked nor expired.
const LIVE: &str = "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
     AND (t.parent_id IS NULL OR EXISTS (SELECT 1 FROM tokens p WHERE p.id = t.parent_id \
          AND p.revoked_at IS NULL AND (p.expires_at IS NULL OR p.expires_at > $2)))";

impl TokenInfo {
    fn from_row(row: &AnyRow) -> DbResult<Self> {
        let scope: String = row.try_get("scope")?;
        Ok(TokenInfo {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            scope: scope.parse().map_err(|e: String| DbError::Sqlx(sqlx::Error::Decode(e.into())))?,
            expires_at: row.try_get("expires_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
            created_at: row.try_get("created_at")?,
            parent_id: row.try_get("parent_id")?,
        })
    }
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub scope: TokenScope,
    pub expires_at: Option<i64>,
    /// The token it is minted with (a token-minted token dies with its parent).
    pub parent_id: Option<i64>,
}

/// Reads and writes tokens.
pub struct TokenRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> TokenRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Stores a token; a live token of the same user with the same name is a conflict.
    pub async fn create(&self, t: &NewToken<'_>) -> DbResult<TokenInfo> {
        let id: i64 = sqlx::query(
            "INSERT INTO tokens (user_id, name, name_key, token_hash, prefix, scope, expires_at, created_at, parent_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(t.user_id)
        .bind(t.name)
        .bind(t.name.to_ascii_lowercase())
        .bind(t.token_hash)
        .bind(t.prefix)
        .bind(t.scope.as_str())
        .bind(t.expires_at)
        .bind(now())
        .bind(t.parent_id)
        .fetch_one(self.pool)
        .await
        .on_conflict(|| format!("You already have a token named '{}'; revoke it or choose another name.", t.name))?
        .try_get("id")?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens t WHERE t.id = $1"))
            .bind(id)
            .fetch_one(self.pool)
            .await?;
        TokenInfo::from_row(&row)
    }

    /// The live (not revoked, not expired) token with this hash, and its owner.
    pub async fn authenticate(&self, token_hash: &str) -> DbResult<Option<(TokenInfo, User)>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, u.name AS user_name, u.is_admin, u.created_at AS user_created_at \
             FROM tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND {LIVE}"
        ))
        .bind(token_hash)
        .bind(now())
        .fetch_optional(self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let info = TokenInfo::from_row(&row)?;
        let user = User {
            id: info.user_id,
            name: row.try_get("user_name")?,
            is_admin: get_bool(&row, "is_admin")?,
            created_at: row.try_get("user_created_at")?,
        };
        Ok(Some((info, user)))
    }

    /// Notes a token's use at `at` (Unix seconds).
    pub async fn touch(&self, id: i64, at: i64) -> DbResult<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2").bind(at).bind(id).execute(self.pool).await?;
        Ok(())
    }

    /// A user's tokens, newest first, revoked ones included.
    pub async fn list(&self, user_id: i64) -> DbResult<Vec<TokenInfo>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens t WHERE t.user_id = $1 ORDER BY t.id DESC"))
            .bind(user_id)
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(TokenInfo::from_row).collect()
    }

    /// One of a user's tokens, revoked and expired ones included.
    pub async fn get(&self, user_id: i64, id: i64) -> DbResult<TokenInfo> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tokens t WHERE t.user_id = $1 AND t.id = $2"))
            .bind(user_id)
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("No token with id {id}.")))?;
        TokenInfo::from_row(&row)
    }

    /// Revokes one of a user's live tokens, by id or by name, and every token minted with
    /// it, in one transaction. Returns the ids revoked. The transaction writes first, so on
    /// SQLite it never has to upgrade a read lock (which fails while another write waits).
    pub async fn revoke(&self, user_id: i64, token: TokenRef<'_>) -> DbResult<Vec<i64>> {
        const REVOKE: &str = "UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
        let at = now();
        let mut tx = self.pool.begin().await?;
        let row = match token {
            TokenRef::Id(id) => {
                sqlx::query(&format!("{REVOKE} AND id = $3 RETURNING id"))
                    .bind(at)
                    .bind(user_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            TokenRef::Name(name) => {
                sqlx::query(&format!("{REVOKE} AND name_key = $3 RETURNING id"))
                    .bind(at)
                    .bind(user_id)
                    .bind(name.to_ascii_lowercase())
                    .fetch_optional(&mut *tx)
                    .await?
            }
        };
        let Some(row) = row else {
            return Err(DbError::NotFound(match token {
                TokenRef::Id(id) => format!("No live token with id {id}."),
                TokenRef::Name(name) => format!("No live token named '{name}'."),
            }));
        };
        let id: i64 = row.try_get("id")?;
        let children =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE parent_id = $2 AND revoked_at IS NULL RETURNING id")
                .bind(at)
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        let mut revoked = vec![id];
        for child in &children {
            revoked.push(child.try_get("id")?);
        }
        tx.commit().await?;
        Ok(revoked)
    }
}

/// Which token to revoke.
#[derive(Debug, Clone, Copy)]
pub enum TokenRef<'a> {
    Id(i64),
    Name(&'a str),
}
