//! Browser sessions and failed sign-in attempts: small tables every replica shares.

use sqlx::{AnyPool, Row};

use crate::{DbResult, error::OnConflict, now};

/// Reads and writes session records. The caller hashes the session id; the data is opaque.
pub struct SessionRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> SessionRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Stores a new session; `false` when the id is already taken.
    pub async fn insert(&self, id_hash: &str, data: &str, user_id: Option<i64>, expires_at: i64) -> DbResult<bool> {
        let inserted = sqlx::query("INSERT INTO sessions (id_hash, data, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(id_hash)
            .bind(data)
            .bind(user_id)
            .bind(expires_at)
            .execute(self.pool)
            .await
            .on_conflict(String::new);
        match inserted {
            Ok(_) => Ok(true),
            Err(crate::DbError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stores a session, replacing what was stored under the same id.
    pub async fn upsert(&self, id_hash: &str, data: &str, user_id: Option<i64>, expires_at: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, data, user_id, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, user_id = excluded.user_id, \
             expires_at = excluded.expires_at",
        )
        .bind(id_hash)
        .bind(data)
        .bind(user_id)
        .bind(expires_at)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// The data of a session that has not expired.
    pub async fn load(&self, id_hash: &str) -> DbResult<Option<String>> {
        let row = sqlx::query("SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now())
            .fetch_optional(self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("data")).transpose()?)
    }

    pub async fn delete(&self, id_hash: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(self.pool).await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now()).execute(self.pool).await?;
        Ok(done.rows_affected())
    }

    /// How many live sessions exist (for tests and metrics).
    pub async fn count(&self) -> DbResult<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM sessions WHERE expires_at > $1")
            .bind(now())
            .fetch_one(self.pool)
            .await?
            .try_get("n")?)
    }
}

/// Failed sign-in attempts, counted per subject (`user:NAME`, `ip:ADDR`) over a window.
pub struct SignInFailureRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> SignInFailureRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Records an attempt for each subject *before* its password is checked, then counts
    /// each subject's attempts since `since`, this one included. Every attempt is
    /// committed before it is counted, so of many concurrent attempts at most the limit see
    /// a count within it. Returns the ids of the rows written and `(count, oldest)` per
    /// subject. Also forgets attempts older than `since`.
    pub async fn attempt(
        &self,
        subjects: &[&str],
        at: i64,
        since: i64,
    ) -> DbResult<(Vec<i64>, Vec<(i64, Option<i64>)>)> {
        let mut ids = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let row = sqlx::query("INSERT INTO sign_in_failures (subject, at) VALUES ($1, $2) RETURNING id")
                .bind(*subject)
                .bind(at)
                .fetch_one(self.pool)
                .await?;
            ids.push(row.try_get("id")?);
        }
        let mut counts = Vec::with_capacity(subjects.len());
        for subject in subjects {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM sign_in_failures WHERE subject = $1 AND at > $2",
            )
            .bind(*subject)
            .bind(since)
            .fetch_one(self.pool)
            .await?;
            counts.push((row.try_get("n")?, row.try_get("oldest")?));
        }
        sqlx::query("DELETE FROM sign_in_failures WHERE at <= $1").bind(since).execute(self.pool).await?;
        Ok((ids, counts))
    }

    /// Takes back attempts recorded by [`Self::attempt`] (refused before the password was
    /// checked, or the password was right).
    pub async fn forget(&self, ids: &[i64]) -> DbResult<()> {
        for id in ids {
            sqlx::query("DELETE FROM sign_in_failures WHERE id = $1").bind(*id).execute(self.pool).await?;
        }
        Ok(())
    }

    /// Forgets a subject's failures (after a successful sign-in to that account).
    pub async fn clear(&self, subject: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1").bind(subject).execute(self.pool).await?;
        Ok(())
    }
}

/// Keys the instance made for itself, shared by every replica.
pub struct KeyRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> KeyRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The key named `name`; the first caller stores `candidate`, everyone after (on any
    /// replica) gets the stored one.
    pub async fn get_or_insert(&self, name: &str, candidate: &str) -> DbResult<String> {
        sqlx::query(
            "INSERT INTO instance_keys (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(crate::now())
        .execute(self.pool)
        .await?;
        let row =
            sqlx::query("SELECT value FROM instance_keys WHERE name = $1").bind(name).fetch_one(self.pool).await?;
        Ok(row.try_get("value")?)
    }
}
