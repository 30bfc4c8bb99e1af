//! Organizations and projects: the scopes feeds live in.

use sqlx::{AnyPool, Row};

use crate::{DbError, DbResult, error::OnConflict, now};

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

    /// The names of every organization, sorted.
    pub async fn organizations(&self) -> DbResult<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM organizations ORDER BY name_key").fetch_all(self.pool).await?;
        rows.iter().map(|r| r.try_get("name").map_err(DbError::from)).collect()
    }

    /// Creates an organization; a name taken (ignoring case) is a conflict.
    pub async fn create_organization(&self, name: &str) -> DbResult<Scope> {
        sqlx::query("INSERT INTO organizations (name, name_key, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(name.to_ascii_lowercase())
            .bind(now())
            .execute(self.pool)
            .await
            .on_conflict(|| format!("An organization named '{name}' already exists. Choose another name."))?;
        self.resolve(name, None).await
    }

    /// Creates a project in an organization; a name taken there is a conflict.
    pub async fn create_project(&self, org_id: i64, name: &str) -> DbResult<()> {
        sqlx::query("INSERT INTO projects (org_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(name)
            .bind(name.to_ascii_lowercase())
            .bind(now())
            .execute(self.pool)
            .await
            .on_conflict(|| {
                format!("A project named '{name}' already exists in this organization. Choose another name.")
            })?;
        Ok(())
    }

    /// Renames a project: its feeds' URLs change with it.
    pub async fn rename_project(&self, scope: &Scope, new_name: &str) -> DbResult<()> {
        let id = scope.project_id.ok_or_else(|| DbError::NotFound("No project named.".into()))?;
        sqlx::query("UPDATE projects SET name = $1, name_key = $2 WHERE id = $3")
            .bind(new_name)
            .bind(new_name.to_ascii_lowercase())
            .bind(id)
            .execute(self.pool)
            .await
            .on_conflict(|| {
                format!("A project named '{new_name}' already exists in this organization. Choose another name.")
            })?;
        Ok(())
    }

    /// Deletes a project that has no feeds; one that still has feeds is refused (its feeds
    /// would go with it). The project's row is locked first, so a feed created meanwhile
    /// either counts here or fails for want of its project.
    pub async fn delete_project(&self, scope: &Scope) -> DbResult<()> {
        let id = scope.project_id.ok_or_else(|| DbError::NotFound("No project named.".into()))?;
        let mut tx = self.pool.begin().await?;
        if tx.backend_name() == "PostgreSQL" {
            sqlx::query("SELECT id FROM projects WHERE id = $1 FOR UPDATE").bind(id).execute(&mut *tx).await?;
        } else {
            // SQLite: a write takes the database's write lock; feeds are created under it too.
            sqlx::query("UPDATE projects SET created_at = created_at WHERE id = $1").bind(id).execute(&mut *tx).await?;
        }
        let feeds: i64 = sqlx::query("SELECT COUNT(*) AS n FROM feeds WHERE project_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if feeds > 0 {
            let project = scope.project.as_deref().unwrap_or_default();
            let what = if feeds == 1 { "1 feed".to_owned() } else { format!("{feeds} feeds") };
            return Err(DbError::Conflict(format!(
                "Project '{project}' still has {what}: delete them first, then the project."
            )));
        }
        sqlx::query("DELETE FROM projects WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
