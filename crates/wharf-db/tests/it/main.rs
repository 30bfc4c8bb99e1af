//! The data layer, run on SQLite and on PostgreSQL with the same assertions.

use wharf_core::{FeedDraft, FeedPatch, Visibility};
use wharf_db::{Db, DbError, feeds::FeedFilter};
use wharf_test_support::{Engine, TestDatabase, on_both_engines};

mod crate_files;
mod schema;
mod webhook_claims;

async fn open(engine: Engine) -> (Db, TestDatabase) {
    let test_db = TestDatabase::new(engine).await;
    let db = Db::connect(&test_db.url).await.expect("connect and migrate");
    (db, test_db)
}

fn draft(name: &str, visibility: &str, upstream: bool) -> FeedDraft {
    FeedDraft::parse(name, Some("a feed"), visibility, upstream).unwrap()
}

async fn first_start_creates_default_scopes(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let scope = db.scopes().resolve("default", Some("DEFAULT")).await.unwrap();
    assert_eq!((scope.org.as_str(), scope.project.as_deref()), ("default", Some("default")));
    assert_eq!(db.scopes().projects(scope.org_id).await.unwrap(), ["default"]);
    // A second start (migrations and seeding again) changes nothing.
    db.close().await;
    let db = Db::connect(&test_db.url).await.unwrap();
    assert_eq!(db.scopes().projects(scope.org_id).await.unwrap(), ["default"]);
    assert!(matches!(db.scopes().resolve("nope", None).await, Err(DbError::NotFound(_))));
    assert!(matches!(db.scopes().resolve("default", Some("nope")).await, Err(DbError::NotFound(_))));
    db.close().await;
    test_db.remove().await;
}

async fn feeds_round_trip(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    let org = db.scopes().resolve("default", None).await.unwrap();

    let created = db.feeds().create(&project, &draft("Team", "private", true)).await.unwrap();
    assert_eq!(created.name, "Team");
    assert_eq!(created.project.as_deref(), Some("default"));
    assert_eq!(created.visibility, Visibility::Private);
    assert!(created.has_sources);
    assert_eq!(created.description, "a feed");

    let fetched = db.feeds().get(&project, "team").await.unwrap();
    assert_eq!(fetched, created);

    // The same name at the other scope is a different feed.
    let shared = db.feeds().create(&org, &draft("team", "public", false)).await.unwrap();
    assert_eq!(shared.project, None);
    assert!(!shared.has_sources);

    assert_eq!(db.feeds().list(FeedFilter::Scope(&project)).await.unwrap(), std::slice::from_ref(&created));
    assert_eq!(db.feeds().list(FeedFilter::Scope(&org)).await.unwrap(), std::slice::from_ref(&shared));
    assert_eq!(db.feeds().list(FeedFilter::WholeOrganization(org.org_id)).await.unwrap().len(), 2);
    db.close().await;
    test_db.remove().await;
}

async fn duplicate_names_conflict_ignoring_case(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    db.feeds().create(&project, &draft("crates", "public", false)).await.unwrap();
    let err = db.feeds().create(&project, &draft("CRATES", "public", false)).await.unwrap_err();
    assert!(matches!(&err, DbError::Conflict(m) if m.contains("already exists in project 'default'")), "{err:?}");
    assert_eq!(db.feeds().list(FeedFilter::Scope(&project)).await.unwrap().len(), 1);
    db.close().await;
    test_db.remove().await;
}

async fn update_and_delete(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    db.feeds().create(&project, &draft("one", "public", false)).await.unwrap();
    db.feeds().create(&project, &draft("two", "public", false)).await.unwrap();

    let patch = FeedPatch::parse(Some("uno"), Some("renamed"), Some("organization"), Some(true)).unwrap();
    let updated = db.feeds().update(&project, "ONE", &patch, None).await.unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.description.as_str(), updated.visibility, updated.has_sources),
        ("uno", "renamed", Visibility::Organization, true)
    );
    // Only the fields given change.
    let patch = FeedPatch::parse(None, None, Some("private"), None).unwrap();
    let updated = db.feeds().update(&project, "uno", &patch, None).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.has_sources), ("uno", true));

    // Renaming onto another feed's name is a conflict and changes nothing.
    let clash = FeedPatch::parse(Some("Two"), None, None, None).unwrap();
    assert!(matches!(db.feeds().update(&project, "uno", &clash, None).await, Err(DbError::Conflict(_))));
    assert_eq!(db.feeds().get(&project, "uno").await.unwrap().name, "uno");

    db.feeds().delete(&project, "uno").await.unwrap();
    assert!(matches!(db.feeds().get(&project, "uno").await, Err(DbError::NotFound(_))));
    assert!(matches!(db.feeds().delete(&project, "uno").await, Err(DbError::NotFound(_))));
    assert_eq!(db.feeds().list(FeedFilter::Scope(&project)).await.unwrap().len(), 1);
    db.close().await;
    test_db.remove().await;
}

on_both_engines!(
    first_start_creates_default_scopes,
    feeds_round_trip,
    duplicate_names_conflict_ignoring_case,
    update_and_delete,
);

mod packages {
    use wharf_db::{NewVersion, Origin};
    use wharf_test_support::{Engine, on_both_engines};

    use super::{draft, open};

    const LINE: &str = r#"{"name":"Serde_X","vers":"1.0.0","deps":[],"cksum":"aa"}"#;

    async fn saved_versions_round_trip(engine: Engine) {
        let (db, test_db) = open(engine).await;
        let project = db.scopes().resolve("default", Some("default")).await.unwrap();
        let feed = db.feeds().create(&project, &draft("team", "public", true)).await.unwrap();
        let other = db.feeds().create(&project, &draft("other", "public", true)).await.unwrap();
        let v1 = NewVersion {
            name: "Serde_X",
            version: "1.0.0",
            origin: Origin::Upstream,
            cksum: "aa",
            size: 10,
            index_line: LINE,
        };
        assert!(db.packages().record(feed.id, &v1).await.unwrap());
        // Recording it again is harmless and says so.
        assert!(!db.packages().record(feed.id, &v1).await.unwrap());
        let v2 =
            NewVersion { version: "1.1.0+meta", cksum: "bb", index_line: "{\"vers\":\"1.1.0+meta\"}", ..v1.clone() };
        assert!(db.packages().record(feed.id, &v2).await.unwrap());

        assert_eq!(db.packages().own_lines(feed.id, "serde_x").await.unwrap(), [LINE, "{\"vers\":\"1.1.0+meta\"}"]);
        assert!(db.packages().own_lines(other.id, "serde_x").await.unwrap().is_empty());
        let found = db.packages().find_version(feed.id, "serde_x", "1.1.0+meta").await.unwrap().unwrap();
        assert_eq!((found.cksum.as_str(), found.size), ("bb", 10));
        assert_eq!(db.packages().find_version(feed.id, "serde_x", "1.1.0").await.unwrap(), None);

        let list = db.packages().list(feed.id, "SERDE").await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].name.as_str(), list[0].versions, list[0].latest.as_str()), ("Serde_X", 2, "1.1.0+meta"));
        assert_eq!(list[0].origins, "upstream");
        assert!(db.packages().list(feed.id, "tokio").await.unwrap().is_empty());

        db.packages().touch(feed.id, "serde_x", i64::MAX / 2).await.unwrap();
        assert_eq!(db.packages().list(feed.id, "").await.unwrap()[0].last_used_at, i64::MAX / 2);
        db.feeds().mark_upstream_reached(feed.id, 1234).await.unwrap();
        assert_eq!(db.feeds().get(&project, "team").await.unwrap().upstream_reached_at, Some(1234));

        // Deleting the feed deletes its packages.
        db.feeds().delete(&project, "team").await.unwrap();
        assert!(db.packages().own_lines(feed.id, "serde_x").await.unwrap().is_empty());
        db.close().await;
        test_db.remove().await;
    }

    on_both_engines!(saved_versions_round_trip);
}

mod accounts {
    use wharf_core::TokenScope;
    use wharf_db::{DbError, NewToken, TokenRef};
    use wharf_test_support::{Engine, on_both_engines};

    use super::open;

    async fn users_are_unique_and_members_of_default(engine: Engine) {
        let (db, test_db) = open(engine).await;
        assert_eq!(db.users().count().await.unwrap(), 0);
        let ada = db.users().create("Ada", "$argon2id$fake", true).await.unwrap();
        assert!(ada.is_admin);
        let err = db.users().create("ADA", "$argon2id$other", false).await.unwrap_err();
        assert!(matches!(&err, DbError::Conflict(m) if m == "A user named 'ADA' already exists."), "{err:?}");
        let (found, hash) = db.users().by_name("ada").await.unwrap();
        assert_eq!((found, hash.as_str()), (ada.clone(), "$argon2id$fake"));
        let org = db.scopes().resolve("default", None).await.unwrap();
        assert!(db.users().is_member(org.org_id, ada.id).await.unwrap());
        assert_eq!(db.users().count().await.unwrap(), 1);
        assert!(matches!(db.users().by_name("nobody").await, Err(DbError::NotFound(_))));
        db.close().await;
        test_db.remove().await;
    }

    async fn tokens_authenticate_until_revoked_or_expired(engine: Engine) {
        let (db, test_db) = open(engine).await;
        let user = db.users().create("bob", "$argon2id$x", false).await.unwrap();
        let new = |name, hash, expires_at| NewToken {
            user_id: user.id,
            name,
            token_hash: hash,
            prefix: "wharf_abcd",
            scope: TokenScope::Read,
            expires_at,
            parent_id: None,
        };
        let ci = db.tokens().create(&new("ci", "h1", None)).await.unwrap();
        assert_eq!((ci.name.as_str(), ci.scope, ci.revoked_at), ("ci", TokenScope::Read, None));
        // One live token per name.
        assert!(matches!(db.tokens().create(&new("CI", "h2", None)).await, Err(DbError::Conflict(_))));
        db.tokens().create(&new("old", "h3", Some(1))).await.unwrap();

        let (info, owner) = db.tokens().authenticate("h1").await.unwrap().unwrap();
        assert_eq!((info.id, owner.name.as_str()), (ci.id, "bob"));
        assert!(db.tokens().authenticate("h3").await.unwrap().is_none(), "an expired token worked");
        assert!(db.tokens().authenticate("nope").await.unwrap().is_none());
        db.tokens().touch(ci.id, 42).await.unwrap();

        db.tokens().revoke(user.id, TokenRef::Name("CI")).await.unwrap();
        assert!(db.tokens().authenticate("h1").await.unwrap().is_none(), "a revoked token worked");
        assert!(matches!(db.tokens().revoke(user.id, TokenRef::Name("ci")).await, Err(DbError::NotFound(_))));
        // The name is free again once revoked.
        let again = db.tokens().create(&new("ci", "h4", None)).await.unwrap();
        db.tokens().revoke(user.id, TokenRef::Id(again.id)).await.unwrap();
        let listed = db.tokens().list(user.id).await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed.iter().find(|t| t.id == ci.id).unwrap().last_used_at, Some(42));
        assert!(listed.iter().filter(|t| t.name.eq_ignore_ascii_case("ci")).all(|t| t.revoked_at.is_some()));
        db.close().await;
        test_db.remove().await;
    }

    on_both_engines!(users_are_unique_and_members_of_default, tokens_authenticate_until_revoked_or_expired);
}

mod upstream_copies {
    use super::*;

    /// The kept copy of an upstream index file: written, confirmed, and never replaced by an
    /// older one (two replicas may write in either order).
    async fn upstream_copies_round_trip(engine: Engine) {
        use wharf_db::StoredIndexFile;
        let (db, test_db) = open(engine).await;
        let up = "https://up.example/index/";
        let repo = db.upstream_files();
        assert_eq!(repo.get(up, "serde").await.unwrap(), None);
        assert!(!repo.confirm(up, "serde", 10).await.unwrap(), "nothing kept yet");
        let copy = StoredIndexFile {
            body: Some(b"{\"name\":\"serde\"}\n".to_vec()),
            etag: Some("\"v1\"".into()),
            last_modified: None,
            checked_at: 100,
        };
        repo.put(up, "serde", &copy).await.unwrap();
        assert_eq!(repo.get(up, "serde").await.unwrap().as_ref(), Some(&copy));
        let older = StoredIndexFile { body: Some(b"old\n".to_vec()), checked_at: 50, ..copy.clone() };
        repo.put(up, "serde", &older).await.unwrap();
        assert_eq!(repo.get(up, "serde").await.unwrap().as_ref(), Some(&copy), "an older copy does not win");
        assert!(repo.confirm(up, "serde", 200).await.unwrap());
        assert_eq!(repo.get(up, "serde").await.unwrap().unwrap().checked_at, 200);
        let gone = StoredIndexFile { body: None, etag: None, last_modified: None, checked_at: 300 };
        repo.put(up, "serde", &gone).await.unwrap();
        assert_eq!(repo.get(up, "serde").await.unwrap(), Some(gone));
        assert_eq!(repo.get("https://other.example/index/", "serde").await.unwrap(), None, "per upstream");
        db.close().await;
        test_db.remove().await;
    }

    on_both_engines!(upstream_copies_round_trip);
}

mod paging {
    use wharf_db::{NewVersion, Origin, PackageFilter};
    use wharf_test_support::{Engine, on_both_engines};

    use super::{draft, open};

    /// Pages of a listing: counted, filtered and cut in the database, by name.
    async fn packages_are_paged_filtered_and_counted(engine: Engine) {
        let (db, test_db) = open(engine).await;
        let project = db.scopes().resolve("default", Some("default")).await.unwrap();
        let feed = db.feeds().create(&project, &draft("team", "public", true)).await.unwrap();
        let names: Vec<String> = (0..7).map(|i| format!("crate-{i:02}")).collect();
        for (i, name) in names.iter().enumerate() {
            let line = format!(r#"{{"name":"{name}","vers":"1.0.0","deps":[],"cksum":"c{i}"}}"#);
            let cksum = format!("c{i}");
            let v = NewVersion {
                name,
                version: "1.0.0",
                origin: Origin::Upstream,
                cksum: &cksum,
                size: 1,
                index_line: &line,
            };
            assert!(db.packages().record(feed.id, &v).await.unwrap());
        }
        let repo = db.packages();
        let (total, first) = repo.page(feed.id, "", PackageFilter::All, 0, 3).await.unwrap();
        assert_eq!(total, 7);
        assert_eq!(first.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["crate-00", "crate-01", "crate-02"]);
        let (_, last) = repo.page(feed.id, "", PackageFilter::All, 6, 3).await.unwrap();
        assert_eq!(last.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["crate-06"]);
        assert!(repo.page(feed.id, "", PackageFilter::All, 9, 3).await.unwrap().1.is_empty(), "past the end");
        let (total, found) = repo.page(feed.id, "CRATE-0", PackageFilter::Upstream, 0, 50).await.unwrap();
        assert_eq!((total, found.len()), (7, 7), "search and filter");
        let (total, none) = repo.page(feed.id, "", PackageFilter::Local, 0, 50).await.unwrap();
        assert!(total == 0 && none.is_empty());
        assert_eq!(repo.page(feed.id, "", PackageFilter::Yanked, 0, 50).await.unwrap().0, 0);
        assert_eq!(repo.list(feed.id, "crate-05").await.unwrap().len(), 1);
        db.close().await;
        test_db.remove().await;
    }

    on_both_engines!(packages_are_paged_filtered_and_counted);
}
