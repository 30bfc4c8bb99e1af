//! Messages between replicas over PostgreSQL `LISTEN`/`NOTIFY`. On SQLite there is one
//! server process; another process (`wharf admin`) announces a change to it as a row of
//! `change_notes`, which the server's [`WriteWatcher`] reads after the commit.

use sqlx::postgres::PgListener;

use crate::{Backend, Db, DbError, DbResult};

/// The channel every replica listens on.
pub const CHANNEL: &str = "wharf_changes";
/// PostgreSQL refuses payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7900;
/// Seconds a change note is kept on SQLite (a watcher reads it within a second).
const NOTE_LIFETIME: i64 = 3600;

impl Db {
    /// Sends `payload` to every listening replica (this one included).
    pub async fn notify(&self, payload: &str) -> DbResult<()> {
        if self.backend != Backend::Postgres {
            let at = crate::unix_now();
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM change_notes WHERE at < $1").bind(at - NOTE_LIFETIME).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO change_notes (payload, at) VALUES ($1, $2)")
                .bind(payload)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(DbError::Config(format!("a notification of {} bytes is too long", payload.len())));
        }
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&self.pool).await?;
        Ok(())
    }

    /// A connection listening on [`CHANNEL`]; `None` on SQLite.
    pub async fn listen(&self) -> DbResult<Option<Listener>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut inner = PgListener::connect(self.url.expose()).await?;
        inner.listen(CHANNEL).await?;
        Ok(Some(Listener { inner }))
    }
}

/// What a [`Listener`] heard.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    Payload(String),
    /// The connection was lost: whatever is sent until a new listener listens is lost.
    Lost,
}

/// One connection listening for other replicas' messages.
pub struct Listener {
    inner: PgListener,
}

impl Listener {
    /// The next message, or that the connection was lost (then make a new listener).
    pub async fn next(&mut self) -> Heard {
        match self.inner.try_recv().await {
            Ok(Some(notification)) => Heard::Payload(notification.payload().to_owned()),
            Ok(None) | Err(_) => Heard::Lost,
        }
    }
}

/// The right to run one housekeeping job while it is held. Release it with
/// [`JobLock::release`]; dropped, it is released once its connection is next used.
pub struct JobLock {
    /// PostgreSQL: the transaction holding the advisory lock. SQLite: none (one process).
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl JobLock {
    /// Ends the job: the lock is free for any replica.
    pub async fn release(self) {
        if let Some(tx) = self.tx
            && let Err(e) = tx.rollback().await
        {
            tracing::warn!(error = %e, "releasing a job lock failed; it ends with its connection");
        }
    }
}

impl Db {
    /// Takes the lock named `job` if no replica holds it: housekeeping (purging recycle
    /// bins, sweeping sessions) then runs on one replica at a time. `None` when another
    /// replica has it.
    pub async fn try_job_lock(&self, job: &str) -> DbResult<Option<JobLock>> {
        if self.backend != Backend::Postgres {
            return Ok(Some(JobLock { tx: None }));
        }
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS taken")
            .bind(format!("wharf:{job}"))
            .fetch_one(&mut *tx)
            .await?;
        let taken: bool = sqlx::Row::try_get(&row, "taken")?;
        Ok(taken.then_some(JobLock { tx: Some(tx) }))
    }
}

/// SQLite: notices commits made through other connections (another process, such as
/// `wharf admin`, or this process's own pool) by polling `PRAGMA data_version` on a
/// connection of its own, and reads the changes other processes announced
/// ([`WriteWatcher::notes`]).
pub struct WriteWatcher {
    conn: sqlx::AnyConnection,
    last: i64,
    /// The newest change note read.
    last_note: i64,
}

impl Db {
    /// A [`WriteWatcher`] on SQLite; `None` on PostgreSQL (which notifies instead).
    pub async fn watch_writes(&self) -> DbResult<Option<WriteWatcher>> {
        use sqlx::Connection;
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        let mut conn = sqlx::AnyConnection::connect(self.url.expose()).await?;
        let last = data_version(&mut conn).await?;
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS last FROM change_notes").fetch_one(&mut conn).await?;
        let last_note = sqlx::Row::try_get(&row, "last")?;
        Ok(Some(WriteWatcher { conn, last, last_note }))
    }
}

async fn data_version(conn: &mut sqlx::AnyConnection) -> DbResult<i64> {
    let row = sqlx::query("PRAGMA data_version").fetch_one(&mut *conn).await?;
    Ok(sqlx::Row::try_get(&row, 0)?)
}

impl WriteWatcher {
    /// Whether anything was committed since the last call.
    pub async fn changed(&mut self) -> DbResult<bool> {
        let now = data_version(&mut self.conn).await?;
        let changed = now != self.last;
        self.last = now;
        Ok(changed)
    }

    /// The payloads of the change notes committed since the last call, oldest first.
    pub async fn notes(&mut self) -> DbResult<Vec<String>> {
        let rows = sqlx::query("SELECT id, payload FROM change_notes WHERE id > $1 ORDER BY id")
            .bind(self.last_note)
            .fetch_all(&mut self.conn)
            .await?;
        let mut notes = Vec::with_capacity(rows.len());
        for row in rows {
            self.last_note = sqlx::Row::try_get(&row, "id")?;
            notes.push(sqlx::Row::try_get(&row, "payload")?);
        }
        Ok(notes)
    }
}
