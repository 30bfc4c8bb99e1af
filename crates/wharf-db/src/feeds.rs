//! Feeds: create, read, change, delete.

use sqlx::{AnyPool, Row, any::AnyRow};
use wharf_core::{FeedDraft, FeedLocation, FeedPatch, FeedSettings, Visibility};

use crate::{
    DbError, DbResult, Scope,
    error::{OnConflict, OnMissingParent},
    now,
};

/// A feed as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub id: i64,
    pub org: String,
    /// `None` for an organization-scoped feed.
    pub project: Option<String>,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    /// Whether it has any upstream source.
    pub has_sources: bool,
    /// Whether crates.io (the instance's configured upstream) is one of its sources.
    pub includes_crates_io: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// When the feed last got an answer from its upstream (Unix seconds).
    pub upstream_reached_at: Option<i64>,
    /// What the feed does (stored as one JSON object).
    pub settings: FeedSettings,
}

impl Feed {
    pub fn location(&self) -> FeedLocation {
        FeedLocation { org: self.org.clone(), project: self.project.clone(), feed: self.name.clone() }
    }

    fn from_row(row: &AnyRow) -> DbResult<Self> {
        let visibility: String = row.try_get("visibility")?;
        Ok(Feed {
            id: row.try_get("id")?,
            org: row.try_get("org")?,
            project: row.try_get("project")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            visibility: visibility.parse().map_err(|e: String| DbError::Sqlx(sqlx::Error::Decode(e.into())))?,
            has_sources: crate::get_bool(row, "upstream_enabled")?,
            includes_crates_io: crate::get_bool(row, "includes_crates_io")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            upstream_reached_at: row.try_get("upstream_reached_at")?,
            settings: settings_of(row)?,
        })
    }
}

/// The stored settings; a setting the stored object lacks takes its default.
fn settings_of(row: &AnyRow) -> DbResult<FeedSettings> {
    let text: String = row.try_get("settings")?;
    serde_json::from_str(&text).map_err(|e| DbError::Sqlx(sqlx::Error::Decode(e.into())))
}

/// The settings as stored.
fn stored(settings: &FeedSettings) -> String {
    serde_json::to_string(settings).expect("settings are plain data")
}

const SELECT: &str = "SELECT f.id, o.name AS org, p.name AS project, f.name, f.description, f.visibility, \
     f.upstream_enabled, f.created_at, f.updated_at, f.upstream_reached_at, \
     f.settings, \
     CASE WHEN EXISTS (SELECT 1 FROM feed_upstreams u WHERE u.feed_id = f.id AND u.kind = 'crates-io') \
     THEN 1 ELSE 0 END AS includes_crates_io \
     FROM feeds f JOIN organizations o ON o.id = f.org_id LEFT JOIN projects p ON p.id = f.project_id";

/// Which feeds a listing returns.
#[derive(Debug, Clone, Copy)]
pub enum FeedFilter<'s> {
    /// Feeds of exactly this scope (organization-wide ones, or one project's).
    Scope(&'s Scope),
    /// Every feed of the organization, at any scope.
    WholeOrganization(i64),
}

/// Reads and writes feeds.
pub struct FeedRepo<'a> {
    pool: &'a AnyPool,
}

fn duplicate_message(name: &str, scope: &Scope) -> String {
    match &scope.project {
        Some(project) => format!("A feed named '{name}' already exists in project '{project}'. Choose another name."),
        None => format!("A feed named '{name}' already exists in organization '{}'. Choose another name.", scope.org),
    }
}

fn gone_message(scope: &Scope) -> String {
    match &scope.project {
        Some(project) => format!("Project '{project}' does not exist in organization '{}'.", scope.org),
        None => format!("Organization '{}' does not exist.", scope.org),
    }
}

fn not_found_message(name: &str, scope: &Scope) -> String {
    match &scope.project {
        Some(project) => {
            format!("Feed '{name}' does not exist in project '{project}' of organization '{}'.", scope.org)
        }
        None => format!("Feed '{name}' does not exist in organization '{}'.", scope.org),
    }
}

impl<'a> FeedRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Creates a feed in `scope`; a name already used there (ignoring case) is a conflict.
    pub async fn create(&self, scope: &Scope, draft: &FeedDraft) -> DbResult<Feed> {
        self.create_owned(scope, draft, None).await
    }

    /// Creates a feed and, in the same transaction, makes `owner` (a user id) its Owner.
    pub async fn create_owned(&self, scope: &Scope, draft: &FeedDraft, owner: Option<i64>) -> DbResult<Feed> {
        let ts = now();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO feeds (org_id, project_id, name, name_key, description, visibility, upstream_enabled, created_at, updated_at, settings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(scope.org_id)
        .bind(scope.project_id)
        .bind(draft.name.as_str())
        .bind(draft.name.key())
        .bind(draft.description.as_str())
        .bind(draft.visibility.as_str())
        .bind(draft.includes_crates_io)
        .bind(ts)
        .bind(ts)
        .bind(stored(&draft.settings))
        .fetch_one(&mut *tx)
        .await
        .on_conflict(|| duplicate_message(draft.name.as_str(), scope))
        // The project was deleted since it was looked up.
        .on_missing_parent(|| gone_message(scope))?
        .try_get("id")?;
        if let Some(user_id) = owner {
            sqlx::query("INSERT INTO feed_roles (feed_id, user_id, role) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(user_id)
                .bind(wharf_core::Role::Owner.as_str())
                .execute(&mut *tx)
                .await?;
        }
        crate::views::ViewRepo::create_defaults(&mut tx, id).await?;
        if draft.includes_crates_io {
            crate::upstreams::UpstreamRepo::replace(&mut tx, id, &[crate::upstreams::NewUpstream::crates_io()]).await?;
        }
        tx.commit().await?;
        self.by_id(id).await
    }

    async fn by_id(&self, id: i64) -> DbResult<Feed> {
        let row = sqlx::query(&format!("{SELECT} WHERE f.id = $1")).bind(id).fetch_one(self.pool).await?;
        Feed::from_row(&row)
    }

    /// The feed with this id; `NotFound` once it was deleted.
    pub async fn get_by_id(&self, id: i64) -> DbResult<Feed> {
        let row = sqlx::query(&format!("{SELECT} WHERE f.id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound("The feed was deleted.".into()))?;
        Feed::from_row(&row)
    }

    /// The feed named `name` (ignoring case) in exactly `scope`.
    pub async fn get(&self, scope: &Scope, name: &str) -> DbResult<Feed> {
        let row = sqlx::query(&format!(
            "{SELECT} WHERE f.org_id = $1 AND COALESCE(f.project_id, 0) = $2 AND f.name_key = $3"
        ))
        .bind(scope.org_id)
        .bind(scope.project_id.unwrap_or(0))
        .bind(name.to_ascii_lowercase())
        .fetch_optional(self.pool)
        .await?
        .ok_or_else(|| DbError::NotFound(not_found_message(name, scope)))?;
        Feed::from_row(&row)
    }

    /// Feeds matching `filter`, organization-scoped first, then by project and name.
    pub async fn list(&self, filter: FeedFilter<'_>) -> DbResult<Vec<Feed>> {
        let order = "ORDER BY COALESCE(p.name_key, ''), f.name_key";
        let rows = match filter {
            FeedFilter::Scope(scope) => {
                sqlx::query(&format!("{SELECT} WHERE f.org_id = $1 AND COALESCE(f.project_id, 0) = $2 {order}"))
                    .bind(scope.org_id)
                    .bind(scope.project_id.unwrap_or(0))
                    .fetch_all(self.pool)
                    .await?
            }
            FeedFilter::WholeOrganization(org_id) => {
                sqlx::query(&format!("{SELECT} WHERE f.org_id = $1 {order}")).bind(org_id).fetch_all(self.pool).await?
            }
        };
        rows.iter().map(Feed::from_row).collect()
    }

    /// Applies `patch` to the feed named `name` in `scope`, and replaces its upstream sources
    /// with `sources` when given, in one transaction; returns the result.
    pub async fn update(
        &self,
        scope: &Scope,
        name: &str,
        patch: &FeedPatch,
        sources: Option<&[crate::upstreams::NewUpstream]>,
    ) -> DbResult<Feed> {
        let feed = self.get(scope, name).await?;
        if patch.is_empty() && sources.is_none() {
            return Ok(feed);
        }
        let new_name = patch.name.as_ref();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE feeds SET name = COALESCE($1, name), name_key = COALESCE($2, name_key), \
             description = COALESCE($3, description), visibility = COALESCE($4, visibility), \
             upstream_enabled = COALESCE($5, upstream_enabled), updated_at = $6 WHERE id = $7",
        )
        .bind(new_name.map(|n| n.as_str().to_owned()))
        .bind(new_name.map(|n| n.key()))
        .bind(patch.description.as_ref().map(|d| d.as_str().to_owned()))
        .bind(patch.visibility.map(|v| v.as_str()))
        .bind(patch.includes_crates_io)
        .bind(now())
        .bind(feed.id)
        .execute(&mut *tx)
        .await
        .on_conflict(|| duplicate_message(new_name.map_or(name, |n| n.as_str()), scope))?;
        if let Some(settings) = &patch.settings {
            // Read after the write above, which holds the row until the commit: a change
            // made meanwhile by another request is kept, not overwritten with what this
            // one read before.
            let row = sqlx::query("SELECT settings FROM feeds WHERE id = $1").bind(feed.id).fetch_one(&mut *tx).await?;
            let changed = settings.apply(&settings_of(&row)?);
            sqlx::query("UPDATE feeds SET settings = $1 WHERE id = $2")
                .bind(stored(&changed))
                .bind(feed.id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(sources) = sources {
            crate::upstreams::UpstreamRepo::replace(&mut tx, feed.id, sources).await?;
        }
        tx.commit().await?;
        self.by_id(feed.id).await
    }

    /// Every feed with a retention rule on.
    pub async fn with_retention(&self) -> DbResult<Vec<Feed>> {
        // The rules are inside the settings' JSON, read by no SQL: there are few feeds.
        let rows = sqlx::query(&format!("{SELECT} ORDER BY f.id")).fetch_all(self.pool).await?;
        let feeds = rows.iter().map(Feed::from_row).collect::<DbResult<Vec<_>>>()?;
        Ok(feeds.into_iter().filter(|f| f.settings.retention_on()).collect())
    }

    /// Records that the feed's upstream answered at `at` (Unix seconds).
    pub async fn mark_upstream_reached(&self, feed_id: i64, at: i64) -> DbResult<()> {
        sqlx::query("UPDATE feeds SET upstream_reached_at = $1 WHERE id = $2")
            .bind(at)
            .bind(feed_id)
            .execute(self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the feed named `name` in `scope`.
    pub async fn delete(&self, scope: &Scope, name: &str) -> DbResult<()> {
        let feed = self.get(scope, name).await?;
        let done = sqlx::query("DELETE FROM feeds WHERE id = $1").bind(feed.id).execute(self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(not_found_message(name, scope)));
        }
        Ok(())
    }
}
