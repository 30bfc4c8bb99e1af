//! Reading each engine's schema from its catalog.

use std::collections::BTreeMap;

use sqlx::{AnyPool, Row};

use super::sql::{Token, tokens};

/// One engine's schema as its catalog describes it, before normalization.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    pub(super) tables: BTreeMap<String, TableInfo>,
}

/// One table: what the normalization needs of it.
#[derive(Debug, Default)]
pub(super) struct TableInfo {
    pub(super) columns: Vec<ColumnInfo>,
    pub(super) primary_key: Vec<String>,
    /// The columns of each UNIQUE constraint (not those of unique indexes).
    pub(super) uniques: Vec<Vec<String>>,
    pub(super) foreign_keys: Vec<ForeignKey>,
    pub(super) indexes: Vec<IndexInfo>,
    /// Each CHECK constraint's text, `CHECK (…)`.
    pub(super) checks: Vec<String>,
    /// Each trigger's name and its definition.
    pub(super) triggers: Vec<(String, String)>,
}

/// One column, its declared type already turned into a family.
#[derive(Debug)]
pub(super) struct ColumnInfo {
    pub(super) name: String,
    /// Already a family: integer, boolean, text, real, blob, numeric (or the type's own name).
    pub(super) family: String,
    pub(super) not_null: bool,
    pub(super) default: Option<String>,
}

/// A foreign key: its columns, the table and columns it references, its actions.
#[derive(Debug)]
pub(super) struct ForeignKey {
    pub(super) columns: Vec<String>,
    pub(super) table: String,
    pub(super) references: Vec<String>,
    pub(super) on_delete: String,
    pub(super) on_update: String,
}

/// An index created on its own, not one behind a PRIMARY KEY or UNIQUE constraint.
#[derive(Debug)]
pub(super) struct IndexInfo {
    pub(super) name: String,
    pub(super) unique: bool,
    /// Column names, `<expression>` for an indexed expression.
    pub(super) columns: Vec<String>,
    /// The WHERE clause of a partial index.
    pub(super) predicate: Option<String>,
}

/// The `CHECK (…)` clauses of a CREATE TABLE statement.
fn sqlite_checks(create: &str) -> Vec<String> {
    let tokens = tokens(create);
    let mut checks = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if *token != Token::Word("check".into()) || tokens.get(i + 1) != Some(&Token::Punct("(".into())) {
            continue;
        }
        let mut depth = 0;
        let mut end = i + 1;
        for (j, t) in tokens.iter().enumerate().skip(i + 1) {
            match t {
                Token::Punct(p) if p == "(" => depth += 1,
                Token::Punct(p) if p == ")" => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = j;
                break;
            }
        }
        checks.push(tokens[i..=end].iter().map(Token::to_string).collect::<Vec<_>>().join(" "));
    }
    checks
}

/// SQLite's type affinity rules (section 3.1 of its "Datatypes" page), with BOOLEAN apart.
fn sqlite_family(declared: &str) -> String {
    let t = declared.to_uppercase();
    let family = if t.contains("BOOL") {
        "boolean"
    } else if t.contains("INT") {
        "integer"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "text"
    } else if t.contains("BLOB") || t.is_empty() {
        "blob"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "real"
    } else {
        "numeric"
    };
    family.into()
}

/// PostgreSQL's `information_schema` type names, by family.
fn postgres_family(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "boolean" => "boolean",
        "text" | "character varying" | "character" => "text",
        "bytea" => "blob",
        "real" | "double precision" => "real",
        "numeric" => "numeric",
        other => other,
    }
    .into()
}

/// Runs a catalog query, with at most one text parameter.
async fn rows(pool: &AnyPool, sql: &str, bind: Option<&str>) -> Vec<sqlx::any::AnyRow> {
    let mut query = sqlx::query(sql);
    if let Some(value) = bind {
        query = query.bind(value.to_owned());
    }
    query.fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A text column of a catalog row.
fn text(row: &sqlx::any::AnyRow, column: &str) -> String {
    row.try_get(column).unwrap_or_else(|e| panic!("{column}: {e}"))
}

/// A text column that may be NULL.
fn maybe_text(row: &sqlx::any::AnyRow, column: &str) -> Option<String> {
    row.try_get(column).unwrap_or_else(|e| panic!("{column}: {e}"))
}

/// An integer column of a catalog row.
fn int(row: &sqlx::any::AnyRow, column: &str) -> i64 {
    row.try_get(column).unwrap_or_else(|e| panic!("{column}: {e}"))
}

/// A comma-separated column list as built by `string_agg`.
fn list(csv: Option<String>) -> Vec<String> {
    csv.map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default()
}

/// Reads SQLite's schema from `sqlite_master` and the table-valued pragmas.
pub(super) async fn sqlite_catalog(pool: &AnyPool) -> Catalog {
    let mut catalog = Catalog::default();
    let tables = rows(
        pool,
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations'",
        None,
    )
    .await;
    for table in tables {
        let name = text(&table, "name");
        let mut info = TableInfo { checks: sqlite_checks(&text(&table, "sql")), ..TableInfo::default() };
        let mut key = Vec::new();
        let mut declared_integer = None;
        for c in
            rows(pool, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info($1)", Some(&name)).await
        {
            if int(&c, "pk") > 0 {
                key.push((int(&c, "pk"), text(&c, "name")));
                if text(&c, "type").eq_ignore_ascii_case("INTEGER") {
                    declared_integer = Some(text(&c, "name"));
                }
            }
            info.columns.push(ColumnInfo {
                name: text(&c, "name"),
                family: sqlite_family(&text(&c, "type")),
                not_null: int(&c, "notnull") != 0,
                default: maybe_text(&c, "dflt_value"),
            });
        }
        key.sort();
        info.primary_key = key.into_iter().map(|(_, column)| column).collect();
        // An INTEGER PRIMARY KEY is the rowid, which is never NULL, whatever the pragma says.
        if let ([key], Some(rowid)) = (info.primary_key.as_slice(), declared_integer.as_deref())
            && key == rowid
        {
            info.columns.iter_mut().filter(|c| c.name == *key).for_each(|c| c.not_null = true);
        }
        let fks = rows(
            pool,
            "SELECT id, \"table\", \"from\", \"to\", on_delete, on_update FROM pragma_foreign_key_list($1) \
             ORDER BY id, seq",
            Some(&name),
        )
        .await;
        // A foreign key over several columns is one row per column, all with its id.
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for fk in fks {
            let to = maybe_text(&fk, "to").unwrap_or_else(|| "<primary key>".into());
            let entry = by_id.entry(int(&fk, "id")).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                table: text(&fk, "table"),
                references: Vec::new(),
                on_delete: text(&fk, "on_delete"),
                on_update: text(&fk, "on_update"),
            });
            entry.columns.push(text(&fk, "from"));
            entry.references.push(to);
        }
        info.foreign_keys = by_id.into_values().collect();
        for index in
            rows(pool, "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)", Some(&name)).await
        {
            let index_name = text(&index, "name");
            let columns: Vec<String> =
                rows(pool, "SELECT name FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno", Some(&index_name))
                    .await
                    .iter()
                    .map(|c| maybe_text(c, "name").unwrap_or_else(|| "<expression>".into()))
                    .collect();
            match text(&index, "origin").as_str() {
                "pk" => {}
                "u" => info.uniques.push(columns),
                _ => {
                    let predicate = if int(&index, "partial") != 0 {
                        let create =
                            rows(pool, "SELECT sql FROM sqlite_master WHERE name = $1", Some(&index_name)).await;
                        let tokens = tokens(&text(&create[0], "sql"));
                        let start = tokens.iter().rposition(|t| *t == Token::Word("where".into())).expect("WHERE");
                        Some(tokens[start + 1..].iter().map(Token::to_string).collect::<Vec<_>>().join(" "))
                    } else {
                        None
                    };
                    info.indexes.push(IndexInfo {
                        name: index_name,
                        unique: int(&index, "unique") != 0,
                        columns,
                        predicate,
                    });
                }
            }
        }
        catalog.tables.insert(name, info);
    }
    for trigger in rows(pool, "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'", None).await {
        let info = catalog.tables.get_mut(&text(&trigger, "tbl_name")).expect("a trigger's table");
        info.triggers.push((text(&trigger, "name"), text(&trigger, "sql")));
    }
    catalog
}

/// Reads PostgreSQL's schema from `information_schema` and `pg_catalog`, in the current schema.
pub(super) async fn postgres_catalog(pool: &AnyPool) -> Catalog {
    let mut catalog = Catalog::default();
    let tables = rows(
        pool,
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
        None,
    )
    .await;
    for table in tables {
        catalog.tables.insert(text(&table, "name"), TableInfo::default());
    }
    let columns = rows(
        pool,
        "SELECT table_name::text AS tbl, column_name::text AS name, data_type::text AS ty, \
         is_nullable::text AS nullable, column_default::text AS dflt FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        None,
    )
    .await;
    for c in columns {
        let Some(info) = catalog.tables.get_mut(&text(&c, "tbl")) else { continue };
        info.columns.push(ColumnInfo {
            name: text(&c, "name"),
            family: postgres_family(&text(&c, "ty")),
            not_null: text(&c, "nullable") == "NO",
            default: maybe_text(&c, "dflt"),
        });
    }
    // Column lists in key order, comma-separated.
    let key_columns = |keys: &str, relation: &str| {
        format!(
            "(SELECT string_agg(a.attname::text, ',' ORDER BY u.ord) FROM unnest(k.{keys}) WITH ORDINALITY \
             AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = k.{relation} AND a.attnum = u.attnum)"
        )
    };
    let constraints = rows(
        pool,
        &format!(
            "SELECT c.relname::text AS tbl, k.contype::text AS kind, pg_get_constraintdef(k.oid) AS def, \
             {} AS cols, f.relname::text AS ref_table, {} AS ref_cols, \
             k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update \
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class f ON f.oid = k.confrelid \
             WHERE c.relnamespace = current_schema()::regnamespace",
            key_columns("conkey", "conrelid"),
            key_columns("confkey", "confrelid"),
        ),
        None,
    )
    .await;
    let action = |code: String| {
        match code.as_str() {
            "a" => "NO ACTION",
            "r" => "RESTRICT",
            "c" => "CASCADE",
            "n" => "SET NULL",
            "d" => "SET DEFAULT",
            other => panic!("unknown foreign key action {other:?}"),
        }
        .to_owned()
    };
    for k in constraints {
        let Some(info) = catalog.tables.get_mut(&text(&k, "tbl")) else { continue };
        match text(&k, "kind").as_str() {
            "p" => info.primary_key = list(maybe_text(&k, "cols")),
            "u" => info.uniques.push(list(maybe_text(&k, "cols"))),
            "c" => info.checks.push(text(&k, "def")),
            "f" => info.foreign_keys.push(ForeignKey {
                columns: list(maybe_text(&k, "cols")),
                table: text(&k, "ref_table"),
                references: list(maybe_text(&k, "ref_cols")),
                on_delete: action(text(&k, "on_delete")),
                on_update: action(text(&k, "on_update")),
            }),
            _ => {}
        }
    }
    // The indexes created on their own (those behind a PRIMARY KEY or UNIQUE are above).
    let indexes = rows(
        pool,
        "SELECT t.relname::text AS tbl, i.relname::text AS name, x.indisunique AS is_unique, \
         pg_get_expr(x.indpred, x.indrelid) AS pred, \
         (SELECT string_agg(CASE WHEN x.indkey[n - 1] = 0 THEN '<expression>' \
                                 ELSE pg_get_indexdef(x.indexrelid, n, true) END, ',' ORDER BY n) \
          FROM generate_series(1, x.indnkeyatts::int) AS n) AS cols \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND NOT EXISTS \
           (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u'))",
        None,
    )
    .await;
    for index in indexes {
        let Some(info) = catalog.tables.get_mut(&text(&index, "tbl")) else { continue };
        info.indexes.push(IndexInfo {
            name: text(&index, "name"),
            unique: index.try_get("is_unique").expect("is_unique"),
            columns: list(maybe_text(&index, "cols")),
            predicate: maybe_text(&index, "pred"),
        });
    }
    let triggers = rows(
        pool,
        "SELECT c.relname::text AS tbl, g.tgname::text AS name, pg_get_triggerdef(g.oid) AS def \
         FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid \
         WHERE NOT g.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
        None,
    )
    .await;
    for trigger in triggers {
        let Some(info) = catalog.tables.get_mut(&text(&trigger, "tbl")) else { continue };
        info.triggers.push((text(&trigger, "name"), text(&trigger, "def")));
    }
    catalog
}
