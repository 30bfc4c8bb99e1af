//! A feed's views: registries of their own, each listing only the versions promoted to it.
//! `@local` (every version the feed holds) is not stored here.

use sqlx::{AnyPool, Row};

use crate::{DbError, DbResult, StoredVersion, error::OnConflict, now};

/// The views a new feed starts with, as in Azure Artifacts.
pub const DEFAULT_VIEWS: [&str; 2] = ["prerelease", "release"];

/// A view as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub id: i64,
    pub feed_id: i64,
    pub name: String,
    /// How many live versions were promoted to it.
    pub versions: i64,
}

/// A version promoted to a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub version: String,
    /// The view's name.
    pub view: String,
}

/// Reads and writes a feed's views and what was promoted to them.
pub struct ViewRepo<'a> {
    pool: &'a AnyPool,
}

fn duplicate(name: &str) -> String {
    format!("This feed already has a view named '{name}'. Choose another name.")
}

fn missing(name: &str) -> String {
    format!("This feed has no view named '{name}'.")
}

const SELECT: &str = "SELECT w.id, w.feed_id, w.name, \
     (SELECT COUNT(*) FROM view_versions vv JOIN package_versions v ON v.id = vv.version_id \
      WHERE vv.view_id = w.id AND v.deleted_at IS NULL) AS versions \
     FROM feed_views w";

fn from_row(row: &sqlx::any::AnyRow) -> DbResult<View> {
    Ok(View {
        id: row.try_get("id")?,
        feed_id: row.try_get("feed_id")?,
        name: row.try_get("name")?,
        versions: row.try_get("versions")?,
    })
}

impl<'a> ViewRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Creates the default views of a feed, inside the transaction that creates it.
    pub(crate) async fn create_defaults(tx: &mut sqlx::AnyConnection, feed_id: i64) -> DbResult<()> {
        for name in DEFAULT_VIEWS {
            sqlx::query("INSERT INTO feed_views (feed_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)")
                .bind(feed_id)
                .bind(name)
                .bind(name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// The feed's views, by name.
    pub async fn list(&self, feed_id: i64) -> DbResult<Vec<View>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE w.feed_id = $1 ORDER BY w.name_key"))
            .bind(feed_id)
            .fetch_all(self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The view named `name` (ignoring case).
    pub async fn get(&self, feed_id: i64, name: &str) -> DbResult<View> {
        let row = sqlx::query(&format!("{SELECT} WHERE w.feed_id = $1 AND w.name_key = $2"))
            .bind(feed_id)
            .bind(name.to_ascii_lowercase())
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound(missing(name)))?;
        from_row(&row)
    }

    /// The view with this id; `NotFound` once it was deleted.
    pub async fn get_by_id(&self, id: i64) -> DbResult<View> {
        let row = sqlx::query(&format!("{SELECT} WHERE w.id = $1"))
            .bind(id)
            .fetch_optional(self.pool)
            .await?
            .ok_or_else(|| DbError::NotFound("The view was deleted.".into()))?;
        from_row(&row)
    }

    /// Adds a view; a name the feed has already (ignoring case) is a conflict.
    pub async fn create(&self, feed_id: i64, name: &str) -> DbResult<View> {
        sqlx::query("INSERT INTO feed_views (feed_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)")
            .bind(feed_id)
            .bind(name)
            .bind(name.to_ascii_lowercase())
            .bind(now())
            .execute(self.pool)
            .await
            .on_conflict(|| duplicate(name))?;
        self.get(feed_id, name).await
    }

    /// Renames a view; what was promoted to it stays.
    pub async fn rename(&self, feed_id: i64, name: &str, new_name: &str) -> DbResult<View> {
        let done = sqlx::query("UPDATE feed_views SET name = $1, name_key = $2 WHERE feed_id = $3 AND name_key = $4")
            .bind(new_name)
            .bind(new_name.to_ascii_lowercase())
            .bind(feed_id)
            .bind(name.to_ascii_lowercase())
            .execute(self.pool)
            .await
            .on_conflict(|| duplicate(new_name))?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(missing(name)));
        }
        self.get(feed_id, new_name).await
    }

    /// Deletes a view; the versions promoted to it stay in the feed.
    pub async fn delete(&self, feed_id: i64, name: &str) -> DbResult<()> {
        let done = sqlx::query("DELETE FROM feed_views WHERE feed_id = $1 AND name_key = $2")
            .bind(feed_id)
            .bind(name.to_ascii_lowercase())
            .execute(self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound(missing(name)));
        }
        Ok(())
    }

    /// Promotes a version the feed holds (not in its recycle bin) to a view; returns
    /// whether it was new there (promoting twice changes nothing).
    pub async fn promote(&self, view: &View, name_key: &str, version: &str, by: Option<i64>) -> DbResult<bool> {
        let row = sqlx::query(
            "SELECT v.id FROM package_versions v JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 AND v.version = $3 AND v.deleted_at IS NULL",
        )
        .bind(view.feed_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?
        .ok_or_else(|| {
            DbError::NotFound(format!("This feed holds no version {version} of `{name_key}` to promote."))
        })?;
        let version_id: i64 = row.try_get("id")?;
        let done = sqlx::query(
            "INSERT INTO view_versions (view_id, version_id, promoted_at, promoted_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (view_id, version_id) DO NOTHING",
        )
        .bind(view.id)
        .bind(version_id)
        .bind(now())
        .bind(by)
        .execute(self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The index lines of a crate (lower-cased name) promoted to a view, oldest first.
    pub async fn lines(&self, view_id: i64, name_key: &str) -> DbResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT v.index_line FROM view_versions vv JOIN package_versions v ON v.id = vv.version_id \
             JOIN packages p ON p.id = v.package_id \
             WHERE vv.view_id = $1 AND p.name_key = $2 AND v.deleted_at IS NULL ORDER BY v.id",
        )
        .bind(view_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.try_get("index_line")).collect::<Result<_, _>>()?)
    }

    /// The stored file of a version promoted to a view.
    pub async fn find_version(&self, view_id: i64, name_key: &str, version: &str) -> DbResult<Option<StoredVersion>> {
        let row = sqlx::query(
            "SELECT v.cksum, v.size, v.quarantine_reason, v.origin FROM view_versions vv JOIN package_versions v ON v.id = vv.version_id \
             JOIN packages p ON p.id = v.package_id \
             WHERE vv.view_id = $1 AND p.name_key = $2 AND v.version = $3 AND v.deleted_at IS NULL",
        )
        .bind(view_id)
        .bind(name_key)
        .bind(version)
        .fetch_optional(self.pool)
        .await?;
        Ok(row.map(|r| StoredVersion::from_row(&r)).transpose()?)
    }

    /// Which views each version of a package is in: (version, view name), by view name.
    pub async fn of_package(&self, feed_id: i64, name_key: &str) -> DbResult<Vec<Promotion>> {
        let rows = sqlx::query(
            "SELECT v.version, w.name FROM view_versions vv JOIN feed_views w ON w.id = vv.view_id \
             JOIN package_versions v ON v.id = vv.version_id JOIN packages p ON p.id = v.package_id \
             WHERE p.feed_id = $1 AND p.name_key = $2 ORDER BY w.name_key",
        )
        .bind(feed_id)
        .bind(name_key)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(Promotion { version: r.try_get("version")?, view: r.try_get("name")? }))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
