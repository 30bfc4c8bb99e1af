//! Crate files are stored once per sha256 and shared by feeds. Publishes of the same bytes
//! into several feeds race with refused publishes of those bytes (which store the file
//! before the refusal) and with recycle-bin purges (which delete files nothing refers
//! to): afterwards every recorded version downloads, and no file is left unreferenced.

use std::{collections::BTreeSet, sync::Arc};

use axum::http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use wharf_test_support::{Engine, on_both_engines, publish_body, upstream::CrateSpec};

use crate::helpers::TestApp;

/// Versions raced, each with its own bytes.
const ROUNDS: usize = 20;
/// Feeds that each publish every round's bytes (and must keep them).
const VICTIMS: [&str; 3] = ["alpha", "beta", "gamma"];
/// Refused publishes of each round's bytes.
const REFUSALS: usize = 6;

fn publish_path(feed: &str) -> String {
    format!("/default/_packaging/{feed}/Cargo/api/v1/crates/new")
}

fn version(round: usize) -> String {
    format!("1.0.{round}")
}

fn body(spec: &CrateSpec) -> (Vec<u8>, String) {
    let krate = spec.crate_file();
    let cksum = hex::encode(Sha256::digest(&krate));
    let meta = json!({"name": spec.name, "vers": spec.version, "deps": [], "features": {}});
    (publish_body(&meta, &krate), cksum)
}

async fn shared_files_survive_refusals_and_purges(engine: Engine) {
    let app = Arc::new(TestApp::builder(engine).build().await);
    for feed in VICTIMS.iter().chain(&["attacker", "bin"]) {
        let res = app
            .json(Method::POST, "/default/_apis/packaging/feeds", json!({"name": feed, "visibility": "public"}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let mut expected = BTreeSet::new();
    let (mut broken, mut failed) = (Vec::new(), Vec::new());
    // A few races one after the other: each loses files on the old code only sometimes.
    for name in ["race-a", "race-b", "race-c"] {
        let (lost, wrong) = race(&app, name, &mut expected).await;
        broken.extend(lost);
        failed.extend(wrong);
    }
    assert!(broken.is_empty(), "{} versions lost their file: {broken:?}", broken.len());
    assert!(failed.is_empty(), "{} publishes were not answered as expected: {failed:?}", failed.len());

    // Nothing is left that no version refers to (refused publishes and purges cleaned up).
    app.registry().purge_recycle_bins().await.unwrap();
    let stored: BTreeSet<String> = crate::helpers::files_under(&app.data_dir().join("storage"))
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(stored, expected);
    for cksum in &expected {
        assert!(app.db().crate_files().exists(cksum).await.unwrap());
    }
    drop(Arc::try_unwrap(app).ok().expect("every task is done"));
}

/// One race over `ROUNDS` versions of crate `name`; answers the versions that do not
/// download right, and the publishes not answered as expected. Adds the checksums every
/// feed should hold in the end to `expected`.
async fn race(app: &Arc<TestApp>, name: &str, expected: &mut BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    let admin = app.admin();
    let shared: Vec<_> = (0..ROUNDS).map(|r| body(&CrateSpec::new(name, version(r)))).collect();
    for (round, (bytes, cksum)) in shared.iter().enumerate() {
        expected.insert(cksum.clone());
        // The attacker's feed holds each version already, with other bytes: publishing the
        // shared bytes there stores them, then is refused.
        let (own, own_cksum) = body(&CrateSpec::new(name, version(round)).feature("own", &[]));
        assert_eq!(app.put_bytes_as(&admin, &publish_path("attacker"), own).await.status, StatusCode::OK);
        expected.insert(own_cksum);
        // Every other round's bytes also sit in a recycle bin, purged during the race.
        if round % 2 == 0 {
            assert_eq!(app.put_bytes_as(&admin, &publish_path("bin"), bytes.clone()).await.status, StatusCode::OK);
            let path = format!("/default/_apis/packaging/feeds/bin/packages/{name}/versions/{}", version(round));
            assert_eq!(app.request(Method::DELETE, &path).await.status, StatusCode::NO_CONTENT);
        }
    }

    let mut tasks = Vec::new();
    for (round, (bytes, _)) in shared.iter().enumerate() {
        for feed in VICTIMS {
            let (app, admin, bytes) = (app.clone(), admin.clone(), bytes.clone());
            tasks.push(tokio::spawn(async move {
                let res = app.put_bytes_as(&admin, &publish_path(feed), bytes).await;
                (res.status != StatusCode::OK).then(|| format!("{feed} {round}: {} {}", res.status, res.body))
            }));
        }
        for _ in 0..REFUSALS {
            let (app, admin, bytes) = (app.clone(), admin.clone(), bytes.clone());
            tasks.push(tokio::spawn(async move {
                let res = app.put_bytes_as(&admin, &publish_path("attacker"), bytes).await;
                (res.status != StatusCode::CONFLICT).then(|| format!("attacker {round}: {} {}", res.status, res.body))
            }));
        }
    }
    // Meanwhile the binned versions age past 30 days one by one and are purged.
    let purger = {
        let app = app.clone();
        tokio::spawn(async move {
            let month_ago = wharf_db::unix_now() - 31 * 86_400;
            for round in (0..ROUNDS).step_by(2) {
                sqlx::query(
                    "UPDATE package_versions SET deleted_at = $1 WHERE deleted_at IS NOT NULL AND version = $2",
                )
                .bind(month_ago)
                .bind(version(round))
                .execute(app.db().pool())
                .await
                .unwrap();
                assert_eq!(app.registry().purge_recycle_bins().await.unwrap(), Some(1));
                tokio::task::yield_now().await;
            }
            None
        })
    };
    tasks.push(purger);
    let mut failed: Vec<String> =
        futures_util::future::join_all(tasks).await.into_iter().filter_map(|t| t.unwrap()).collect();

    // Every recorded version downloads, byte for byte, and every feed has them all.
    let scope = app.db().scopes().resolve("default", None).await.unwrap();
    let mut broken = Vec::new();
    for feed in VICTIMS.iter().chain(&["attacker"]) {
        let feed_id = app.db().feeds().get(&scope, feed).await.unwrap().id;
        let versions = app.db().packages().versions(feed_id, name).await.unwrap();
        if versions.len() != ROUNDS {
            failed.push(format!("{feed} holds {} versions of {name}, not {ROUNDS}", versions.len()));
        }
        for wharf_db::VersionEntry { version, cksum, .. } in versions {
            let path = format!("/default/_packaging/{feed}/Cargo/api/v1/crates/{name}/{version}/download");
            let (status, bytes) = app.get_bytes(&path).await;
            if status != StatusCode::OK || hex::encode(Sha256::digest(&bytes)) != cksum {
                broken.push(format!("{feed} {name} {version}: {status}"));
            }
        }
    }
    (broken, failed)
}

/// A refused publish of bytes no one else holds leaves neither the file nor its row.
async fn a_lone_refused_publish_leaves_nothing(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    app.json(Method::POST, "/default/_apis/packaging/feeds", json!({"name": "team", "visibility": "public"})).await;
    let (first, _) = body(&CrateSpec::new("lone", "1.0.0"));
    let (other, _) = body(&CrateSpec::new("lone", "1.0.0").feature("x", &[]));
    assert_eq!(app.put_bytes_as(app.admin(), &publish_path("team"), first).await.status, StatusCode::OK);
    assert_eq!(app.put_bytes_as(app.admin(), &publish_path("team"), other).await.status, StatusCode::CONFLICT);
    assert_eq!(crate::helpers::files_under(&app.data_dir().join("storage")).len(), 1);
}

on_both_engines!(shared_files_survive_refusals_and_purges, a_lone_refused_publish_leaves_nothing);
