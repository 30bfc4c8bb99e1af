//! Signing in and its limits, and the session store, on SQLite and on PostgreSQL.

use std::net::IpAddr;

use tower_sessions::{
    SessionStore,
    session::{Id, Record},
};
use wharf_auth::{
    hash_password,
    session::DbSessionStore,
    sign_in::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, SignInError, sign_in},
};
use wharf_db::Db;
use wharf_test_support::{Engine, TestDatabase, on_both_engines};

async fn open(engine: Engine) -> (Db, TestDatabase) {
    let test_db = TestDatabase::new(engine).await;
    let db = Db::connect(&test_db.url).await.expect("connect and migrate");
    (db, test_db)
}

async fn failures_are_limited_per_account_and_per_address(engine: Engine) {
    let (db, test_db) = open(engine).await;
    db.users().create("ada", &hash_password("correct horse").unwrap(), false).await.unwrap();
    let home: IpAddr = "192.0.2.1".parse().unwrap();
    let attacker: IpAddr = "198.51.100.7".parse().unwrap();

    assert_eq!(sign_in(&db, "ADA", "correct horse", Some(home)).await.unwrap().name, "ada");
    for _ in 0..MAX_FAILURES_PER_ACCOUNT {
        assert!(matches!(sign_in(&db, "ada", "guess", Some(attacker)).await, Err(SignInError::Invalid)));
    }
    // The account is locked for a while, from anywhere, even with the right password.
    let locked = sign_in(&db, "ada", "correct horse", Some(home)).await;
    assert!(matches!(locked, Err(SignInError::TooManyAttempts { minutes: 15 })), "{locked:?}");

    // One address spraying many accounts is stopped too, across names (known or not).
    let sprayer: IpAddr = "203.0.113.9".parse().unwrap();
    for i in 0..MAX_FAILURES_PER_IP {
        let r = sign_in(&db, &format!("user{i}"), "guess", Some(sprayer)).await;
        assert!(matches!(r, Err(SignInError::Invalid)), "{r:?}");
    }
    db.users().create("bob", &hash_password("bobs password").unwrap(), false).await.unwrap();
    let r = sign_in(&db, "bob", "bobs password", Some(sprayer)).await;
    assert!(matches!(r, Err(SignInError::TooManyAttempts { .. })), "{r:?}");
    // Bob signs in from elsewhere.
    assert!(sign_in(&db, "bob", "bobs password", Some(home)).await.is_ok());
    db.close().await;
    test_db.remove().await;
}

async fn the_session_store_keeps_hashes_and_honours_expiry(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let store = DbSessionStore::new(db.clone());
    let mut data = std::collections::HashMap::new();
    data.insert("csrf".to_owned(), serde_json::json!("abc"));
    let mut live =
        Record { id: Id::default(), data, expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) };
    store.create(&mut live).await.unwrap();
    assert_eq!(store.load(&live.id).await.unwrap().unwrap().data["csrf"], "abc");
    live.data.insert("csrf".to_owned(), serde_json::json!("def"));
    store.save(&live).await.unwrap();
    assert_eq!(store.load(&live.id).await.unwrap().unwrap().data["csrf"], "def");

    let mut old = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::seconds(5),
    };
    store.create(&mut old).await.unwrap();
    assert!(store.load(&old.id).await.unwrap().is_none(), "an expired session is not loaded");
    assert_eq!(db.sessions().delete_expired().await.unwrap(), 1);
    store.delete(&live.id).await.unwrap();
    assert!(store.load(&live.id).await.unwrap().is_none());
    assert_eq!(db.sessions().count().await.unwrap(), 0);
    db.close().await;
    test_db.remove().await;
}

on_both_engines!(failures_are_limited_per_account_and_per_address, the_session_store_keeps_hashes_and_honours_expiry);

/// Forty password checks at once: no more run at the same time than there are cores, so
/// memory (about 19 MiB per Argon2 hash) stays flat; every one still gets its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_password_checks_are_bounded_by_the_cores() {
    let hash = hash_password("correct horse").unwrap();
    let checks = (0..40).map(|i| {
        let hash = hash.clone();
        tokio::spawn(async move {
            let password = if i % 2 == 0 { "correct horse" } else { "wrong horse" };
            wharf_auth::bounded(move || wharf_auth::verify_password(password, &hash)).await
        })
    });
    let results: Vec<_> = futures_util::future::join_all(checks).await.into_iter().map(Result::unwrap).collect();
    let cores = std::thread::available_parallelism().unwrap().get();
    assert!(wharf_auth::hashing_peak() <= cores, "{} hashes at once on {cores} cores", wharf_auth::hashing_peak());
    assert!(wharf_auth::hashing_peak() >= 1);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(*result, Ok(i % 2 == 0), "check {i}");
    }
}
