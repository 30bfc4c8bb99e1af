//! Organizations and projects: the scopes feeds live in.

use sqlx::{AnyPool, Row};

use crate::{DbError, DbResult, now};

/// The name of the organization and the project a fresh install starts with.
pub const DEFAULT_NAME: &str = "default";

/// A resolved scope: an organization, and one of its projects unless organization-wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub org_id: i64,
    pub org: String,
    pub project_id: Option<i64>,
    pub project: Option<String>,
}

/// Reads and seeds organizations and projects.
pub struct ScopeRepo<'a> {
    pool: &'a AnyPool,
}

impl<'a> ScopeRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Creates organization `default` and its project `default` unless present.
    pub async fn ensure_defaults(&self) -> DbResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO organizations (name, name_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (name_key) DO NOTHING")
            .bind(DEFAULT_NAME)
            .bind(DEFAULT_NAME)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO projects (org_id, name, name_key, created_at) \
             SELECT id, $1, $2, $3 FROM organizations WHERE name_key = $4 \
             ON CONFLICT (org_id, name_key) DO NOTHING",
        )
        .bind(DEFAULT_NAME)
        .bind(DEFAULT_NAME)
        .bind(now())
        .bind(DEFAULT_NAME)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds an organization, and a project in it when `project` is given (case-insensitively).
    pub async fn resolve(&self, org: &str, project: Option<&str>) -> DbResult<Scope> {
        let row = sqlx::query("SELECT id, name FROM organizations WHERE name_key = $1")
            .bind(org.to_ascii_lowercase())
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(format!("Organization '{org}' does not exist.")))?;
        let org_id: i64 = row.try_get("id")?;
        let org_name: String = row.try_get("name")?;
        let (project_id, project_name) = match project {
            None => (None, None),
            Some(project) => {
                let row = sqlx::query("SELECT id, name FROM projects WHERE org_id = $1 AND name_key = $2")
                    .bind(org_id)
                    .bind(project.to_ascii_lowercase())
                    .fetch_optional(self.pool)
                    .await?
                    .ok_or_else(|| {
                        DbError::NotFound(format!("Project '{project}' does not exist in organization '{org_name}'."))
                    })?;
                (Some(row.try_get::<i64, _>("id")?), Some(row.try_get::<String, _>("name")?))
            }
        };
        Ok(Scope { org_id, org: org_name, project_id, project: project_name })
    }

    /// The names of an organization's projects, sorted.
    pub async fn projects(&self, org_id: i64) -> DbResult<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM projects WHERE org_id = $1 ORDER BY name_key")
            .bind(org_id)
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(|r| r.try_get("name").map_err(DbError::from)).collect()
    }
}
