//! The audit log's records: appended, listed, and swept after the retention time. Nothing
//! here changes a record (the database refuses updates too).

use sqlx::{AnyPool, Row};

use crate::DbResult;

/// One record, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRecord<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    /// The account's name, or `anonymous` / `system` / `command line`.
    pub actor: &'a str,
    pub token_id: Option<i64>,
    /// `portal`, `rest`, `cargo`, `cli` or `system`.
    pub channel: &'a str,
    pub address: Option<&'a str>,
    pub action: &'a str,
    pub org: Option<&'a str>,
    pub feed_id: Option<i64>,
    /// `org/[project/]feed`.
    pub feed: Option<&'a str>,
    pub target: &'a str,
    pub detail: Option<&'a str>,
}

/// One record, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub token_id: Option<i64>,
    pub channel: String,
    pub address: Option<String>,
    pub action: String,
    pub org: Option<String>,
    pub feed_id: Option<i64>,
    pub feed: Option<String>,
    pub target: String,
    pub detail: Option<String>,
}

/// Whose records to list.
#[derive(Debug, Clone, Copy)]
pub enum AuditFilter<'a> {
    Feed(i64),
    Organization(&'a str),
    Everything,
}

/// Reads and appends audit records.
pub struct AuditRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> AuditRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Appends a record.
    pub async fn append(&self, r: &NewRecord<'_>) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor, token_id, channel, address, action, org, feed_id, feed, \
             target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(r.at)
        .bind(r.actor_id)
        .bind(r.actor)
        .bind(r.token_id)
        .bind(r.channel)
        .bind(r.address)
        .bind(r.action)
        .bind(r.org)
        .bind(r.feed_id)
        .bind(r.feed)
        .bind(r.target)
        .bind(r.detail)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// The records of `filter`, newest first: `limit` of them after skipping `skip`, and
    /// how many there are in all.
    pub async fn list(&self, filter: AuditFilter<'_>, skip: i64, limit: i64) -> DbResult<(i64, Vec<Record>)> {
        let columns = "id, at, actor_id, actor, token_id, channel, address, action, org, feed_id, feed, target, detail";
        let (count, rows) = match filter {
            AuditFilter::Feed(id) => {
                let n = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE feed_id = $1").bind(id);
                let page =
                    format!("SELECT {columns} FROM audit_log WHERE feed_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
                let rows = sqlx::query(&page).bind(id).bind(limit).bind(skip).fetch_all(self.pool).await?;
                (n.fetch_one(self.pool).await?.try_get::<i64, _>("n")?, rows)
            }
            AuditFilter::Organization(org) => {
                let n = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE org = $1").bind(org);
                let page =
                    format!("SELECT {columns} FROM audit_log WHERE org = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
                let rows = sqlx::query(&page).bind(org).bind(limit).bind(skip).fetch_all(self.pool).await?;
                (n.fetch_one(self.pool).await?.try_get::<i64, _>("n")?, rows)
            }
            AuditFilter::Everything => {
                let n = sqlx::query("SELECT COUNT(*) AS n FROM audit_log");
                let page = format!("SELECT {columns} FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2");
                let rows = sqlx::query(&page).bind(limit).bind(skip).fetch_all(self.pool).await?;
                (n.fetch_one(self.pool).await?.try_get::<i64, _>("n")?, rows)
            }
        };
        let records = rows
            .iter()
            .map(|r| {
                Ok(Record {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_id: r.try_get("actor_id")?,
                    actor: r.try_get("actor")?,
                    token_id: r.try_get("token_id")?,
                    channel: r.try_get("channel")?,
                    address: r.try_get("address")?,
                    action: r.try_get("action")?,
                    org: r.try_get("org")?,
                    feed_id: r.try_get("feed_id")?,
                    feed: r.try_get("feed")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok((count, records))
    }

    /// Removes the records written before `before` (the retention sweep); how many.
    pub async fn sweep(&self, before: i64) -> DbResult<u64> {
        Ok(sqlx::query("DELETE FROM audit_log WHERE at < $1").bind(before).execute(self.pool).await?.rows_affected())
    }
}
