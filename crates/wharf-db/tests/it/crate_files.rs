//! The crate-file discipline: a file may be removed only with no writer's mark and no
//! version referring to it, and a writer waits while a removal holds the file's lock.

use std::time::Duration;

use wharf_db::{NewVersion, Origin};
use wharf_test_support::{Engine, on_both_engines};

use super::{draft, open};

const CKSUM: &str = "c0ffee";

async fn marks_and_references_keep_a_file(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let files = db.crate_files();
    assert!(files.claim_unreferenced(CKSUM).await.unwrap().is_none(), "an unknown file is not removed");

    // Two writers: the first to end leaves the file to the second.
    files.acquire(CKSUM).await.unwrap();
    files.acquire(CKSUM).await.unwrap();
    assert!(files.claim_unreferenced(CKSUM).await.unwrap().is_none());
    assert!(files.release(CKSUM).await.unwrap().is_none());
    assert!(files.unreferenced(10).await.unwrap().is_empty());
    // The last writer recorded nothing: the removal is handed to it.
    let removal = files.release(CKSUM).await.unwrap().expect("removable");
    removal.commit().await.unwrap();
    assert!(!files.exists(CKSUM).await.unwrap());

    // Recording a version ends the mark and refers to the file.
    let project = db.scopes().resolve("default", Some("default")).await.unwrap();
    let feed = db.feeds().create(&project, &draft("team", "public", true)).await.unwrap();
    files.acquire(CKSUM).await.unwrap();
    let version =
        NewVersion { name: "x", version: "1.0.0", origin: Origin::Upstream, cksum: CKSUM, size: 1, index_line: "{}" };
    assert!(db.packages().record(feed.id, &version).await.unwrap());
    assert!(files.claim_unreferenced(CKSUM).await.unwrap().is_none(), "referenced");
    // Once the feed (and so the reference) is gone, the file is unreferenced.
    db.feeds().delete(&project, "team").await.unwrap();
    assert_eq!(files.unreferenced(10).await.unwrap(), [CKSUM]);
    files.claim_unreferenced(CKSUM).await.unwrap().expect("removable").commit().await.unwrap();

    // A writer that crashed stops counting when its lease ends.
    files.acquire(CKSUM).await.unwrap();
    sqlx::query("UPDATE crate_files SET lease_until = 0").execute(db.pool()).await.unwrap();
    let removal = files.claim_unreferenced(CKSUM).await.unwrap().expect("lease over");
    // Dropped without commit: rolled back, the row stays.
    drop(removal);
    assert!(files.exists(CKSUM).await.unwrap());
    db.close().await;
    test_db.remove().await;
}

/// A removal holds the file's lock until it commits: a writer's mark made meanwhile waits
/// and then counts, on a fresh row, so the file is stored again after the delete.
async fn a_writer_waits_for_a_removal_in_progress(engine: Engine) {
    let (db, test_db) = open(engine).await;
    let files = db.crate_files();
    files.acquire(CKSUM).await.unwrap();
    let removal = files.release(CKSUM).await.unwrap().expect("removable");
    let writer = {
        let db = db.clone();
        tokio::spawn(async move { db.crate_files().acquire(CKSUM).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the mark did not wait for the removal");
    removal.commit().await.unwrap();
    writer.await.unwrap().unwrap();
    assert!(files.exists(CKSUM).await.unwrap());
    assert!(files.claim_unreferenced(CKSUM).await.unwrap().is_none(), "the new writer's mark counts");
    db.close().await;
    test_db.remove().await;
}

on_both_engines!(marks_and_references_keep_a_file, a_writer_waits_for_a_removal_in_progress);
