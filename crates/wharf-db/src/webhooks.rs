//! Feeds' webhooks and the deliveries of their events.

use std::collections::HashMap;

use sqlx::{AnyPool, Row};
use wharf_core::{DeliveryState, WebhookEvent};

use crate::{DbError, DbResult};

/// A webhook as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: i64,
    pub feed_id: i64,
    pub url: String,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    pub secret_sealed: String,
    pub created_at: i64,
}

/// One delivery of an event to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub response_code: Option<i64>,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Reads and writes webhooks and deliveries.
pub struct WebhookRepo<'a> {
    pool: &'a AnyPool,
}

/// A word of a closed set read from a row: anything else is a row this code did not write.
fn word<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, sqlx::Error> {
    text.parse().map_err(|e: String| sqlx::Error::Decode(e.into()))
}

fn hook(r: &sqlx::any::AnyRow) -> Result<WebhookRow, sqlx::Error> {
    let events: String = r.try_get("events")?;
    let events = events.split(',').filter(|e| !e.is_empty()).map(word).collect::<Result<_, _>>()?;
    Ok(WebhookRow {
        id: r.try_get("id")?,
        feed_id: r.try_get("feed_id")?,
        url: r.try_get("url")?,
        events,
        secret_sealed: r.try_get("secret_sealed")?,
        created_at: r.try_get("created_at")?,
    })
}

fn delivery(r: &sqlx::any::AnyRow) -> Result<DeliveryRow, sqlx::Error> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        webhook_id: r.try_get("webhook_id")?,
        event: r.try_get("event")?,
        payload: r.try_get("payload")?,
        state: word(&r.try_get::<String, _>("state")?)?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        response_code: r.try_get("response_code")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

const DELIVERY: &str = "id, webhook_id, event, payload, state, attempts, next_attempt_at, response_code, error, \
     created_at, finished_at";

impl<'a> WebhookRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    pub async fn create(
        &self,
        feed_id: i64,
        url: &str,
        events: &[WebhookEvent],
        secret_sealed: &str,
        by: Option<i64>,
        now: i64,
    ) -> DbResult<WebhookRow> {
        let row = sqlx::query(
            "INSERT INTO webhooks (feed_id, url, events, secret_sealed, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, feed_id, url, events, secret_sealed, created_at",
        )
        .bind(feed_id)
        .bind(url)
        .bind(events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(","))
        .bind(secret_sealed)
        .bind(by)
        .bind(now)
        .fetch_one(self.pool)
        .await?;
        Ok(hook(&row)?)
    }

    /// A feed's webhooks, oldest first.
    pub async fn list(&self, feed_id: i64) -> DbResult<Vec<WebhookRow>> {
        let rows = sqlx::query(
            "SELECT id, feed_id, url, events, secret_sealed, created_at FROM webhooks WHERE feed_id = $1 ORDER BY id",
        )
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(hook).collect::<Result<_, _>>()?)
    }

    /// One webhook of a feed; `NotFound` otherwise.
    pub async fn get(&self, feed_id: i64, id: i64) -> DbResult<WebhookRow> {
        let row = sqlx::query(
            "SELECT id, feed_id, url, events, secret_sealed, created_at FROM webhooks WHERE feed_id = $1 AND id = $2",
        )
        .bind(feed_id)
        .bind(id)
        .fetch_optional(self.pool)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("This feed has no webhook {id}.")))?;
        Ok(hook(&row)?)
    }

    /// Deletes a webhook of a feed and its deliveries; `NotFound` if it has none such.
    pub async fn delete(&self, feed_id: i64, id: i64) -> DbResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE feed_id = $1 AND id = $2")
            .bind(feed_id)
            .bind(id)
            .execute(self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(format!("This feed has no webhook {id}.")));
        }
        Ok(())
    }

    /// Queues `event` for every webhook of the feed that takes it (or for `only`).
    pub async fn enqueue(
        &self,
        feed_id: i64,
        only: Option<i64>,
        event: &str,
        payload: &str,
        now: i64,
    ) -> DbResult<u64> {
        let hooks = self.list(feed_id).await?;
        let mut queued = 0;
        for h in hooks.iter().filter(|h| only.map_or(h.events.iter().any(|e| e.as_str() == event), |id| id == h.id)) {
            sqlx::query(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, state, attempts, next_attempt_at, \
                 created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4)",
            )
            .bind(h.id)
            .bind(event)
            .bind(payload)
            .bind(now)
            .execute(self.pool)
            .await?;
            queued += 1;
        }
        Ok(queued)
    }

    /// Claims deliveries due at `now` for one attempt each, until `until` (a claim lapses
    /// only if its replica dies before recording the attempt): at most `limit`, oldest first,
    /// and never more than `per_feed` claimed at once per feed, counting every replica's.
    pub async fn claim(&self, now: i64, until: i64, per_feed: i64, limit: i64) -> DbResult<Vec<DeliveryRow>> {
        let mut tx = self.pool.begin().await?;
        // One claimer at a time (replicas, ticks): the counts read below stay true until commit.
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('wharf-webhook-claims'))").execute(&mut *tx).await?;
        } else {
            // SQLite: a write first takes the database's write lock, which claims need too.
            sqlx::query("UPDATE webhook_deliveries SET claimed_until = claimed_until WHERE id = -1")
                .execute(&mut *tx)
                .await?;
        }
        let mut in_flight: HashMap<i64, i64> = HashMap::new();
        for row in sqlx::query(
            "SELECT w.feed_id, COUNT(*) AS n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.claimed_until > $1 GROUP BY w.feed_id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        {
            in_flight.insert(row.try_get("feed_id")?, row.try_get("n")?);
        }
        // The oldest due of each feed, so a feed with a long queue cannot hide the others'.
        let due = sqlx::query(
            "SELECT * FROM (SELECT d.id, d.webhook_id, d.event, d.payload, d.state, d.attempts, \
             d.next_attempt_at, d.response_code, d.error, d.created_at, d.finished_at, w.feed_id, \
             ROW_NUMBER() OVER (PARTITION BY w.feed_id ORDER BY d.id) AS place \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.state = 'pending' \
             AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until <= $1)) due \
             WHERE place <= $2 ORDER BY id LIMIT $3",
        )
        .bind(now)
        .bind(per_feed)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::new();
        for row in &due {
            let busy = in_flight.entry(row.try_get("feed_id")?).or_default();
            if *busy >= per_feed {
                continue;
            }
            let taken = sqlx::query(
                "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id = $2 AND state = 'pending' \
                 AND (claimed_until IS NULL OR claimed_until <= $3)",
            )
            .bind(until)
            .bind(row.try_get::<i64, _>("id")?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if taken.rows_affected() == 1 {
                *busy += 1;
                claimed.push(delivery(row)?);
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// The webhook's creator as their account is now; `None` once they are removed.
    pub async fn creator(&self, webhook_id: i64) -> DbResult<Option<crate::User>> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.is_admin, u.created_at FROM webhooks w JOIN users u ON u.id = w.created_by \
             WHERE w.id = $1",
        )
        .bind(webhook_id)
        .fetch_optional(self.pool)
        .await?;
        row.map(|row| crate::User::from_row(&row)).transpose()
    }

    /// The webhook a delivery goes to; `NotFound` once it is removed.
    pub async fn of_delivery(&self, delivery: &DeliveryRow) -> DbResult<WebhookRow> {
        let row = sqlx::query("SELECT id, feed_id, url, events, secret_sealed, created_at FROM webhooks WHERE id = $1")
            .bind(delivery.webhook_id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("There is no webhook {}.", delivery.webhook_id)))?;
        Ok(hook(&row)?)
    }

    /// Records an attempt, which ends its claim: `state` after it, the answer's status or the
    /// error, and when to try again (pending only).
    pub async fn attempted(
        &self,
        id: i64,
        state: DeliveryState,
        code: Option<i64>,
        error: Option<&str>,
        next_attempt_at: i64,
        now: i64,
    ) -> DbResult<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, response_code = $2, error = $3, \
             next_attempt_at = $4, claimed_until = NULL, finished_at = CASE WHEN $1 = 'pending' THEN NULL ELSE $5 END WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(code)
        .bind(error)
        .bind(next_attempt_at)
        .bind(now)
        .bind(id)
        .execute(self.pool)
        .await?;
        Ok(())
    }

    /// A webhook's deliveries, newest first, at most `limit`.
    pub async fn deliveries(&self, webhook_id: i64, limit: i64) -> DbResult<Vec<DeliveryRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(delivery).collect::<Result<_, _>>()?)
    }
}
