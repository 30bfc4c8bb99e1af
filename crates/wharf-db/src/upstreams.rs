//! A feed's upstream sources, in order, with what each last answered.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyPool, Row, any::AnyRow};
use wharf_core::SourceKind;

use crate::{DbError, DbResult};

/// A source as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRow {
    pub id: i64,
    pub feed_id: i64,
    /// 0 is asked first.
    pub position: i64,
    pub name: String,
    pub kind: SourceKind,
    /// `sparse`: the index URL.
    pub location: Option<String>,
    /// `feed`: the feed and view (`None`: the whole feed) it names.
    pub target_feed_id: Option<i64>,
    pub target_view_id: Option<i64>,
    /// `feed`: `ORG[/PROJECT]/FEED[@VIEW]` as the target is named now.
    pub target_path: Option<String>,
    /// `sparse`: the sealed token, if it has one.
    pub token_sealed: Option<String>,
    pub last_ok_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

impl UpstreamRow {
    fn from_row(row: &AnyRow) -> DbResult<Self> {
        let target_path = match row.try_get::<Option<String>, _>("t_org")? {
            Some(org) => {
                let project: Option<String> = row.try_get("t_project")?;
                let feed: String = row.try_get("t_feed")?;
                let view: Option<String> = row.try_get("t_view")?;
                let mut path = org;
                if let Some(project) = project {
                    path = format!("{path}/{project}");
                }
                path = format!("{path}/{feed}");
                if let Some(view) = view {
                    path = format!("{path}@{view}");
                }
                Some(path)
            }
            None => None,
        };
        Ok(UpstreamRow {
            id: row.try_get("id")?,
            feed_id: row.try_get("feed_id")?,
            position: row.try_get("position")?,
            name: row.try_get("name")?,
            kind: row
                .try_get::<String, _>("kind")?
                .parse()
                .map_err(|e: String| DbError::Sqlx(sqlx::Error::Decode(e.into())))?,
            location: row.try_get("location")?,
            target_feed_id: row.try_get("target_feed_id")?,
            target_view_id: row.try_get("target_view_id")?,
            target_path,
            token_sealed: row.try_get("token_sealed")?,
            last_ok_at: row.try_get("last_ok_at")?,
            last_error: row.try_get("last_error")?,
            last_error_at: row.try_get("last_error_at")?,
        })
    }

    /// Whether `new` names the same source (its status then carries over).
    fn same_source(&self, new: &NewUpstream) -> bool {
        self.name.eq_ignore_ascii_case(&new.name)
            && self.kind == new.kind
            && self.location == new.location
            && self.target_feed_id == new.target_feed_id
            && self.target_view_id == new.target_view_id
    }
}

/// A source to store, validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpstream {
    pub name: String,
    pub kind: SourceKind,
    pub location: Option<String>,
    pub target_feed_id: Option<i64>,
    pub target_view_id: Option<i64>,
    pub token_sealed: Option<String>,
}

impl NewUpstream {
    /// The instance's configured upstream (crates.io unless the operator set another).
    pub fn crates_io() -> Self {
        NewUpstream {
            name: "crates.io".into(),
            kind: SourceKind::CratesIo,
            location: None,
            target_feed_id: None,
            target_view_id: None,
            token_sealed: None,
        }
    }
}

const SELECT: &str = "SELECT u.id, u.feed_id, u.position, u.name, u.kind, u.location, u.target_feed_id, \
     u.target_view_id, u.token_sealed, u.last_ok_at, u.last_error, u.last_error_at, \
     o.name AS t_org, p.name AS t_project, tf.name AS t_feed, w.name AS t_view \
     FROM feed_upstreams u \
     LEFT JOIN feeds tf ON tf.id = u.target_feed_id \
     LEFT JOIN organizations o ON o.id = tf.org_id \
     LEFT JOIN projects p ON p.id = tf.project_id \
     LEFT JOIN feed_views w ON w.id = u.target_view_id";

/// Reads and records upstream sources.
pub struct UpstreamRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> UpstreamRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// The feed's sources, in order.
    pub async fn list(&self, feed_id: i64) -> DbResult<Vec<UpstreamRow>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE u.feed_id = $1 ORDER BY u.position"))
            .bind(feed_id)
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(UpstreamRow::from_row).collect()
    }

    /// Records that a source answered at `at`.
    pub async fn record_ok(&self, id: i64, at: i64) -> DbResult<()> {
        sqlx::query("UPDATE feed_upstreams SET last_ok_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// Records that a source failed at `at`, and why.
    pub async fn record_error(&self, id: i64, at: i64, error: &str) -> DbResult<()> {
        let error: String = error.chars().take(500).collect();
        sqlx::query("UPDATE feed_upstreams SET last_error = $1, last_error_at = $2 WHERE id = $3")
            .bind(error)
            .bind(at)
            .bind(id)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the feed's sources with `sources` (in order) inside `tx`, keeping the
    /// status of those that stay, and sets `feeds.upstream_enabled` to match. Refuses
    /// (`Conflict`) a list that would make feeds each other's upstreams in a cycle.
    pub(crate) async fn replace(tx: &mut sqlx::AnyConnection, feed_id: i64, sources: &[NewUpstream]) -> DbResult<()> {
        if tx.backend_name() == "PostgreSQL" {
            // Two concurrent changes could each close half of a cycle: one at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('wharf-feed-upstreams'))").execute(&mut *tx).await?;
        }
        let old = sqlx::query(&format!("{SELECT} WHERE u.feed_id = $1 ORDER BY u.position"))
            .bind(feed_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(UpstreamRow::from_row)
            .collect::<DbResult<Vec<_>>>()?;
        sqlx::query("DELETE FROM feed_upstreams WHERE feed_id = $1").bind(feed_id).execute(&mut *tx).await?;
        for (position, source) in sources.iter().enumerate() {
            let kept = old.iter().find(|o| o.same_source(source));
            sqlx::query(
                "INSERT INTO feed_upstreams (feed_id, position, name, name_key, kind, location, target_feed_id, \
                 target_view_id, token_sealed, last_ok_at, last_error, last_error_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(feed_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(source.name.as_str())
            .bind(source.name.to_ascii_lowercase())
            .bind(source.kind.as_str())
            .bind(source.location.as_deref())
            .bind(source.target_feed_id)
            .bind(source.target_view_id)
            .bind(source.token_sealed.as_deref())
            .bind(kept.and_then(|k| k.last_ok_at))
            .bind(kept.and_then(|k| k.last_error.clone()))
            .bind(kept.and_then(|k| k.last_error_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    DbError::Conflict(format!("Two upstream sources are named '{}'.", source.name))
                }
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                    DbError::NotFound(format!("The feed upstream source '{}' names was deleted.", source.name))
                }
                _ => DbError::Sqlx(e),
            })?;
        }
        sqlx::query("UPDATE feeds SET upstream_enabled = $1 WHERE id = $2")
            .bind(!sources.is_empty())
            .bind(feed_id)
            .execute(&mut *tx)
            .await?;
        let edges: Vec<(i64, i64)> =
            sqlx::query("SELECT feed_id, target_feed_id FROM feed_upstreams WHERE target_feed_id IS NOT NULL")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("feed_id")?, row.try_get("target_feed_id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
        if reaches(&edges, feed_id) {
            return Err(DbError::Conflict(
                "These upstream sources would make the feed its own upstream, through a cycle of feeds. Remove the \
                 feed that leads back here."
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Whether following upstream edges from `start` leads back to it.
fn reaches(edges: &[(i64, i64)], start: i64) -> bool {
    let mut next: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(from, to) in edges {
        next.entry(from).or_default().push(to);
    }
    let mut seen = HashSet::new();
    let mut stack = next.get(&start).cloned().unwrap_or_default();
    while let Some(feed) = stack.pop() {
        if feed == start {
            return true;
        }
        if seen.insert(feed) {
            stack.extend(next.get(&feed).into_iter().flatten().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::reaches;

    #[test]
    fn cycles_are_found_through_any_length_of_chain() {
        assert!(!reaches(&[], 1));
        assert!(!reaches(&[(1, 2), (2, 3)], 1));
        assert!(reaches(&[(1, 1)], 1));
        assert!(reaches(&[(1, 2), (2, 3), (3, 1)], 1));
        // A cycle elsewhere does not involve 1 and does not loop forever.
        assert!(!reaches(&[(1, 2), (2, 3), (3, 2)], 1));
    }
}
