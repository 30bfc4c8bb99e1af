//! Publish requests cargo would never send, sent directly: each is refused with a 4xx and
//! a detail a person can act on, and nothing is stored (no file, no row).

use std::io::{Read, Write};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wharf_core::TokenScope;
use wharf_test_support::{Engine, on_both_engines, publish_body, upstream::CrateSpec};

use crate::helpers::TestApp;

const PUBLISH: &str = "/default/_packaging/team/Cargo/api/v1/crates/new";

fn meta(name: &str, vers: &str) -> Value {
    json!({"name": name, "vers": vers, "deps": [], "features": {}})
}

/// A gzip'd tar with one entry per (raw path, kind, contents); paths are written into the
/// header as they are, so `..` and absolute paths get through.
fn tarball(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for (path, kind, contents) in entries {
        let mut header = tar::Header::new_old();
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(*kind);
        header.set_size(if *kind == tar::EntryType::Regular { contents.len() as u64 } else { 0 });
        if *kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_mode(0o644);
        header.set_cksum();
        let data: &[u8] = if *kind == tar::EntryType::Regular { contents.as_bytes() } else { &[] };
        builder.append(&header, data).unwrap();
    }
    let mut gz = builder.into_inner().unwrap();
    gz.flush().unwrap();
    gz.finish().unwrap()
}

const MANIFEST: &str = "[package]\nname = \"good\"\nversion = \"1.0.0\"\n";

async fn malformed_publishes_are_refused_and_leave_nothing(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res = app
        .json(Method::POST, "/default/_apis/packaging/feeds", json!({"name": "team", "visibility": "private"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let publisher = app.user("publisher", TokenScope::Write).await;
    let feed_id = res.body["id"].as_i64().unwrap();
    let user = app.db().users().by_name("publisher").await.unwrap().0;
    app.db().roles().set(feed_id, user.id, Some(wharf_core::Role::Contributor)).await.unwrap();

    let good = CrateSpec::new("good", "1.0.0").crate_file();
    let body = publish_body(&meta("good", "1.0.0"), &good);
    let mut lying = body.clone();
    lying[..4].copy_from_slice(&1_000_000u32.to_le_bytes());
    let not_object = {
        let mut b = 3u32.to_le_bytes().to_vec();
        b.extend_from_slice(b"[1]");
        b.extend_from_slice(&(good.len() as u32).to_le_bytes());
        b.extend_from_slice(&good);
        b
    };
    let file = tar::EntryType::Regular;
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("empty", Vec::new(), StatusCode::BAD_REQUEST, "The publish request is truncated"),
        ("truncated", body[..body.len() - 10].to_vec(), StatusCode::BAD_REQUEST, "shorter than its length says"),
        ("lying length", lying, StatusCode::BAD_REQUEST, "truncated"),
        ("trailing bytes", [body.clone(), vec![0]].concat(), StatusCode::BAD_REQUEST, "1 bytes after the .crate file"),
        ("not an object", not_object, StatusCode::BAD_REQUEST, "must be a JSON object"),
        (
            "not gzip",
            publish_body(&meta("good", "1.0.0"), b"plain text"),
            StatusCode::BAD_REQUEST,
            "not a gzip'd tar archive",
        ),
        (
            "dot-dot path",
            publish_body(
                &meta("good", "1.0.0"),
                &tarball(&[("good-1.0.0/../../evil", file, "x"), ("good-1.0.0/Cargo.toml", file, MANIFEST)]),
            ),
            StatusCode::BAD_REQUEST,
            "is not under `good-1.0.0/`",
        ),
        (
            "absolute path",
            publish_body(&meta("good", "1.0.0"), &tarball(&[("/etc/evil", file, "x")])),
            StatusCode::BAD_REQUEST,
            "is not under `good-1.0.0/`",
        ),
        (
            "symlink",
            publish_body(&meta("good", "1.0.0"), &tarball(&[("good-1.0.0/link", tar::EntryType::Symlink, "")])),
            StatusCode::BAD_REQUEST,
            "is a symbolic link",
        ),
        (
            "name mismatch",
            publish_body(
                &meta("good", "1.0.0"),
                &tarball(&[("good-1.0.0/Cargo.toml", file, "[package]\nname = \"other\"\nversion = \"1.0.0\"\n")]),
            ),
            StatusCode::BAD_REQUEST,
            "Cargo.toml says name `other`, the publish metadata says `good`",
        ),
        (
            "two manifests",
            publish_body(
                &meta("good", "1.0.0"),
                &tarball(&[("good-1.0.0/Cargo.toml", file, MANIFEST), ("good-1.0.0/CARGO.TOML", file, MANIFEST)]),
            ),
            StatusCode::BAD_REQUEST,
            "has both `good-1.0.0/Cargo.toml` and `good-1.0.0/CARGO.TOML`",
        ),
        (
            "links not in the manifest",
            publish_body(
                &json!({"name": "good", "vers": "1.0.0", "deps": [], "features": {}, "links": "z"}),
                &tarball(&[("good-1.0.0/Cargo.toml", file, MANIFEST)]),
            ),
            StatusCode::BAD_REQUEST,
            "Cargo.toml says links `(nothing)`, the publish metadata says `z`",
        ),
        (
            "another rust-version",
            publish_body(
                &json!({"name": "good", "vers": "1.0.0", "deps": [], "features": {}, "rust_version": "1.60"}),
                &tarball(&[("good-1.0.0/Cargo.toml", file, &format!("{MANIFEST}rust-version = \"1.80\"\n"))]),
            ),
            StatusCode::BAD_REQUEST,
            "Cargo.toml says rust-version `1.80`, the publish metadata says `1.60`",
        ),
        (
            "windows device name",
            publish_body(&meta("Con", "1.0.0"), &CrateSpec::new("Con", "1.0.0").crate_file()),
            StatusCode::BAD_REQUEST,
            "the crate name `Con` is reserved by Windows",
        ),
        (
            "invalid name",
            publish_body(&meta("9lives", "1.0.0"), &good),
            StatusCode::BAD_REQUEST,
            "must start with an ASCII letter",
        ),
        (
            "invalid version",
            publish_body(&meta("good", "one"), &good),
            StatusCode::BAD_REQUEST,
            "`one` is not a semantic version",
        ),
        (
            "oversized",
            publish_body(&meta("good", "1.0.0"), &vec![0u8; 70 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "this feed accepts at most 65536 bytes",
        ),
    ];
    for (what, body, status, detail) in cases {
        let res = app.put_bytes_as(&publisher, PUBLISH, body).await;
        assert_eq!(res.status, status, "{what}: {}", res.body);
        let message = res.body["errors"][0]["detail"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(detail), "{what}: {message}");
    }
    assert!(app.db().packages().list(feed_id, "").await.unwrap().is_empty());
    let stored = crate::helpers::files_under(&app.data_dir().join("storage"));
    assert!(stored.is_empty(), "files left behind: {stored:?}");

    // The good one goes in; the same version again, or with other build metadata, or the
    // name spelled otherwise, is a 409 that says why, and stores nothing more.
    assert_eq!(app.put_bytes_as(&publisher, PUBLISH, body.clone()).await.status, StatusCode::OK);
    let files = crate::helpers::files_under(&app.data_dir().join("storage")).len();
    for (what, body, detail) in [
        ("same version", body.clone(), "Version 1.0.0 of `good` already exists in this feed."),
        (
            "build metadata",
            publish_body(&meta("good", "1.0.0+again"), &CrateSpec::new("good", "1.0.0+again").crate_file()),
            "differ only in build metadata",
        ),
        (
            "other spelling",
            publish_body(&meta("Good", "2.0.0"), &CrateSpec::new("Good", "2.0.0").crate_file()),
            "This feed already has a crate named `good`",
        ),
    ] {
        let res = app.put_bytes_as(&publisher, PUBLISH, body).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{what}: {}", res.body);
        assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains(detail), "{what}: {}", res.body);
    }
    assert_eq!(crate::helpers::files_under(&app.data_dir().join("storage")).len(), files);
    assert_eq!(app.db().packages().versions(feed_id, "good").await.unwrap().len(), 1);
}

/// Delete to the recycle bin, the reserved number, restore; downloads counted in batches.
async fn deleted_versions_wait_in_the_recycle_bin(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let res =
        app.json(Method::POST, "/default/_apis/packaging/feeds", json!({"name": "team", "visibility": "public"})).await;
    let feed_id = res.body["id"].as_i64().unwrap();
    let admin = app.admin();
    let body = publish_body(&meta("good", "1.0.0"), &CrateSpec::new("good", "1.0.0").crate_file());
    assert_eq!(app.put_bytes_as(&admin, PUBLISH, body.clone()).await.status, StatusCode::OK);
    let index = "/default/_packaging/team/Cargo/index/go/od/good";
    let download = "/default/_packaging/team/Cargo/api/v1/crates/good/1.0.0/download";
    let app = &app;
    let plain = |path: &'static str| async move {
        let req = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
        app.send_raw(req).await.0
    };
    assert_eq!(plain(index).await, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(plain(download).await, StatusCode::OK);
    }
    // Counted without slowing downloads: the batch reaches the database within seconds.
    let mut counted = 0;
    for _ in 0..40 {
        counted = app.db().packages().version_details(feed_id, "good").await.unwrap()[0].downloads;
        if counted == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(counted, 3);

    let version = "/default/_apis/packaging/feeds/team/packages/good/versions/1.0.0";
    assert_eq!(app.request(Method::DELETE, version).await.status, StatusCode::NO_CONTENT);
    assert_eq!(plain(index).await, StatusCode::NOT_FOUND);
    assert_eq!(plain(download).await, StatusCode::NOT_FOUND);
    let bin = app.get("/default/_apis/packaging/feeds/team/recycle-bin").await;
    assert_eq!(bin.body["value"][0]["name"], "good");
    assert_eq!(bin.body["value"][0]["version"], "1.0.0");
    // The number stays reserved.
    let res = app.put_bytes_as(&admin, PUBLISH, body).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("recycle bin; its number stays reserved"));

    let restore = "/default/_apis/packaging/feeds/team/recycle-bin/good/versions/1.0.0/restore";
    assert_eq!(app.request(Method::POST, restore).await.status, StatusCode::NO_CONTENT);
    assert_eq!(plain(index).await, StatusCode::OK);
    assert_eq!(plain(download).await, StatusCode::OK);
    assert_eq!(app.request(Method::POST, restore).await.status, StatusCode::NOT_FOUND);
}

/// Archives built to make the check hold or unpack much: an oversized manifest and a gzip
/// bomb are refused with a 400 that says why, quickly, and leave nothing behind.
async fn oversized_manifests_and_gzip_bombs_are_refused(engine: Engine) {
    // Crates up to the default 10 MiB: the unpack limit is then 80 MiB.
    let app = TestApp::builder(engine).max_crate_size(10 * 1024 * 1024).build().await;
    let res =
        app.json(Method::POST, "/default/_apis/packaging/feeds", json!({"name": "team", "visibility": "public"})).await;
    let feed_id = res.body["id"].as_i64().unwrap();
    let file = tar::EntryType::Regular;

    let huge_manifest = format!("{MANIFEST}{}\n", "#".repeat(1536 * 1024));
    let manifest = tarball(&[("good-1.0.0/Cargo.toml", file, &huge_manifest)]);
    assert!(manifest.len() < 64 * 1024, "{}", manifest.len());

    // 100 MiB of zeros in 1 MiB files, about 100 KiB compressed.
    let bomb = {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(MANIFEST.len() as u64);
        builder.append_data(&mut header, "good-1.0.0/Cargo.toml", MANIFEST.as_bytes()).unwrap();
        for i in 0..100 {
            header.set_size(1 << 20);
            builder.append_data(&mut header, format!("good-1.0.0/zeros{i}"), std::io::repeat(0).take(1 << 20)).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    };
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());

    // 30,001 entries, as crates.io refuses: the manifest and 30,000 directories.
    let dirs: Vec<String> = (0..30_000).map(|i| format!("good-1.0.0/d{i}")).collect();
    let mut entries = vec![("good-1.0.0/Cargo.toml", file, MANIFEST)];
    entries.extend(dirs.iter().map(|d| (d.as_str(), tar::EntryType::Directory, "")));
    let many = tarball(&entries);

    for (what, krate, detail) in [
        ("manifest", manifest, "The .crate's Cargo.toml is 1572907 bytes long; at most 1 MiB is accepted."),
        ("bomb", bomb, "The .crate unpacks to more than 80 MiB, the most this registry unpacks."),
        ("entries", many, "The .crate has more than 30000 files and directories, the most accepted."),
    ] {
        let started = std::time::Instant::now();
        let res = app.put_bytes_as(app.admin(), PUBLISH, publish_body(&meta("good", "1.0.0"), &krate)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{what}: {}", res.body);
        assert_eq!(res.body["errors"][0]["detail"], detail, "{what}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{what} took {:?}", started.elapsed());
    }
    assert!(app.db().packages().list(feed_id, "").await.unwrap().is_empty());
    let stored = crate::helpers::files_under(&app.data_dir().join("storage"));
    assert!(stored.is_empty(), "files left behind: {stored:?}");
}

on_both_engines!(
    malformed_publishes_are_refused_and_leave_nothing,
    deleted_versions_wait_in_the_recycle_bin,
    oversized_manifests_and_gzip_bombs_are_refused,
);
