//! RustSec advisories as imported, and which of a feed's saved versions they concern.

use sqlx::{AnyPool, Row};

use crate::DbResult;

/// One advisory as kept. The lists are kept one entry per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdvisoryRow {
    pub id: String,
    /// Lower-cased crate name.
    pub package: String,
    pub title: String,
    pub url: String,
    pub date: String,
    pub kind: String,
    pub severity: Option<String>,
    pub cvss: Option<String>,
    pub patched: Vec<String>,
    pub unaffected: Vec<String>,
    pub aliases: Vec<String>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Withdrawn since (or never in force) and removed.
    pub removed: usize,
}

/// An advisory about a crate a feed holds a saved version of.
#[derive(Debug, Clone)]
pub struct Concerning {
    /// The package as the feed names it.
    pub package: String,
    pub version: String,
    pub advisory: AdvisoryRow,
}

/// Reads and writes advisories.
pub struct AdvisoryRepo<'a> {
    pool: &'a AnyPool,
}

const COLUMNS: &str = "id, package, title, url, date, kind, severity, cvss, patched, unaffected, aliases";

fn lines(text: String) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<AdvisoryRow, sqlx::Error> {
    Ok(AdvisoryRow {
        id: r.try_get("id")?,
        package: r.try_get("package")?,
        title: r.try_get("title")?,
        url: r.try_get("url")?,
        date: r.try_get("date")?,
        kind: r.try_get("kind")?,
        severity: r.try_get("severity")?,
        cvss: r.try_get("cvss")?,
        patched: lines(r.try_get("patched")?),
        unaffected: lines(r.try_get("unaffected")?),
        aliases: lines(r.try_get("aliases")?),
    })
}

impl<'a> AdvisoryRepo<'a> {
    pub(crate) fn new(pool: &'a AnyPool) -> Self {
        Self { pool }
    }

    /// Adds or updates `advisories` and removes those of `withdrawn` (ids), in one
    /// transaction. What is kept is read first, outside it: the transaction only writes, so
    /// on SQLite it waits for the write lock instead of failing to upgrade a read.
    pub async fn import(&self, advisories: &[AdvisoryRow], withdrawn: &[String], now: i64) -> DbResult<Imported> {
        let kept: std::collections::HashMap<String, AdvisoryRow> =
            sqlx::query(&format!("SELECT {COLUMNS} FROM advisories"))
                .fetch_all(self.pool)
                .await?
                .iter()
                .map(|r| from_row(r).map(|row| (row.id.clone(), row)))
                .collect::<Result<_, _>>()?;
        let mut tx = self.pool.begin().await?;
        let mut counts = Imported::default();
        for a in advisories {
            match kept.get(&a.id) {
                Some(old) if old == a => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
                None => counts.added += 1,
            }
            sqlx::query(
                "INSERT INTO advisories (id, package, title, url, date, kind, severity, cvss, patched, unaffected, \
                 aliases, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (id) DO UPDATE SET package = $2, title = $3, url = $4, date = $5, kind = $6, \
                 severity = $7, cvss = $8, patched = $9, unaffected = $10, aliases = $11, imported_at = $12",
            )
            .bind(&a.id)
            .bind(&a.package)
            .bind(&a.title)
            .bind(&a.url)
            .bind(&a.date)
            .bind(&a.kind)
            .bind(&a.severity)
            .bind(&a.cvss)
            .bind(a.patched.join("\n"))
            .bind(a.unaffected.join("\n"))
            .bind(a.aliases.join("\n"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for id in withdrawn {
            counts.removed +=
                sqlx::query("DELETE FROM advisories WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected()
                    as usize;
        }
        tx.commit().await?;
        Ok(counts)
    }

    /// The advisories about a crate (lower-cased name).
    pub async fn of_package(&self, package: &str) -> DbResult<Vec<AdvisoryRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM advisories WHERE package = $1 ORDER BY id"))
            .bind(package)
            .fetch_all(self.pool)
            .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// How many advisories are kept.
    pub async fn count(&self) -> DbResult<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM advisories").fetch_one(self.pool).await?.try_get("n")?)
    }

    /// The saved upstream versions of a feed whose crate has an advisory:
    /// `(package as named, version, advisory)`; whether each version is affected is for the
    /// caller to judge.
    pub async fn concerning_feed(&self, feed_id: i64) -> DbResult<Vec<Concerning>> {
        let columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("a.{c}")).collect();
        let rows = sqlx::query(&format!(
            "SELECT p.name AS package_name, v.version AS version, {} FROM package_versions v \
             JOIN packages p ON p.id = v.package_id JOIN advisories a ON a.package = p.name_key \
             WHERE p.feed_id = $1 AND v.deleted_at IS NULL AND v.origin = 'upstream' ORDER BY p.name_key, v.id, a.id",
            columns.join(", ")
        ))
        .bind(feed_id)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Concerning {
                    package: r.try_get("package_name")?,
                    version: r.try_get("version")?,
                    advisory: from_row(r)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }
}
