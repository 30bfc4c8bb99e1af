//! `wharf admin backup` while the server runs and `wharf admin restore` into a new
//! instance, with the real binary (and, on PostgreSQL, the README's `pg_dump` /
//! `pg_restore` recipe): the restored instance serves the same feeds, index bytes, crate
//! files, tokens and sessions, and nothing written after the backup.

use std::{
    path::Path,
    process::{Output, Stdio},
    time::Duration,
};

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use wharf_test_support::{Engine, TestDatabase, on_both_engines, upstream::CrateSpec};

use crate::{
    helpers::Caller,
    running::{Options, RunningWharf},
};

const FEEDS: &str = "/default/default/_apis/packaging/feeds";

async fn wharf_admin(data_dir: &Path, database_url: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"))
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", database_url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap()
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    stdout.into_owned()
}

fn run(cmd: &mut std::process::Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// What a client sees of an instance: the feeds, an index file, a crate file, the token's
/// and the session's answers.
async fn seen(wharf: &RunningWharf, caller: &Caller, cookie: &str) -> Vec<String> {
    let (_, feeds) = wharf.send(Method::GET, FEEDS, None).await;
    let mut names: Vec<String> = feeds["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{feeds}"))
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    // Each feed's settings, as REST shows them.
    let mut settings: Vec<String> = feeds["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["name"], f["retentionDays"], f["badgesEnabled"]))
        .collect();
    settings.sort();
    let (_, index) = wharf.get_text("/default/default/_packaging/kept/Cargo/index/ba/ck/backed").await;
    let file = wharf
        .http()
        .get(wharf.url("/default/default/_packaging/kept/Cargo/api/v1/crates/backed/1.0.0/download"))
        .send()
        .await
        .unwrap();
    let file = format!("{} {}", file.status().as_u16(), hex::encode(Sha256::digest(file.bytes().await.unwrap())));
    let tokens = caller.apply(wharf.http().get(wharf.url("/_apis/tokens"))).send().await.unwrap();
    let tokens = format!("{} {}", tokens.status().as_u16(), tokens.text().await.unwrap().contains("\"name\""));
    let page = wharf.http().get(wharf.url("/_user/tokens")).header("cookie", cookie).send().await.unwrap();
    let page = format!("{} {}", page.status().as_u16(), page.text().await.unwrap().contains("Sign out"));
    vec![names.join(","), index, file, tokens, page, settings.join(",")]
}

async fn a_restored_instance_serves_what_the_backup_saw(engine: Engine) {
    let options = Options::upstream("http://127.0.0.1:9/index/".into(), Duration::from_secs(300));
    let source = RunningWharf::start(engine, options.clone()).await;
    source.create_feed("kept", false).await;
    source.create_feed("second", false).await;
    source.publish("kept", &CrateSpec::new("backed", "1.0.0")).await;
    source.publish("kept", &CrateSpec::new("backed", "1.1.0")).await;
    let (status, body) = source
        .send(Method::DELETE, "/default/default/_packaging/kept/Cargo/api/v1/crates/backed/1.1.0/yank", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let settings = json!({"retentionDays": 30, "badgesEnabled": false});
    let (status, body) = source.send(Method::PATCH, &format!("{FEEDS}/kept"), Some(settings)).await;
    assert_eq!(status, 200, "{body}");
    let ada_caller = source.user("ada", wharf_core::TokenScope::Write).await;
    let (ada, _) = source.db.users().by_name("ada").await.unwrap();
    let (cookie, _) = crate::helpers::session_cookie(&source.db, Some(&ada)).await;
    let before = seen(&source, &ada_caller, &cookie).await;
    assert_eq!(before[0], "kept,second");
    assert!(before[1].contains("\"vers\":\"1.1.0\"") && before[1].contains("\"yanked\":true"), "{}", before[1]);
    assert!(before[2].starts_with("200 ") && before[3] == "200 true" && before[4] == "200 true", "{before:?}");
    assert_eq!(before[5], r#""kept" 30 false,"second" 0 true"#, "the settings are part of what is seen");

    let work = tempfile::tempdir().unwrap();
    let backup = work.path().join("backup");
    let dump = work.path().join("wharf.pgdump");
    if engine == Engine::Postgres {
        // The README's recipe: the database first, then the files.
        run(std::process::Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(&dump)
            .arg(&source.test_db().url));
    }
    let out =
        wharf_admin(&source.data_dir(), &source.test_db().url, &["backup", "--out", backup.to_str().unwrap()]).await;
    let summary = ok(&out);
    assert!(summary.contains("Backed up 2 crate files"), "{summary}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("copied 2 of 2 crate files"), "progress is shown");
    let listing = std::fs::read_to_string(backup.join("storage-listing.txt")).unwrap();
    assert_eq!(listing.lines().count(), 2, "{listing}");

    // Changes after the backup are not in it.
    source.publish("kept", &CrateSpec::new("backed", "2.0.0")).await;
    let out =
        wharf_admin(&source.data_dir(), &source.test_db().url, &["backup", "--out", backup.to_str().unwrap()]).await;
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("is not empty"));

    let restored = TestDatabase::new(engine).await;
    let data_dir = restored.dir.path().join("data");
    if engine == Engine::Postgres {
        run(std::process::Command::new("pg_restore").args(["--no-owner", "--dbname", &restored.url]).arg(&dump));
    }
    let out = wharf_admin(&data_dir, &restored.url, &["restore", backup.to_str().unwrap()]).await;
    let summary = ok(&out);
    assert!(summary.contains("2 crate files"), "{summary}");
    if engine == Engine::Sqlite {
        // Nothing is overwritten.
        let out = wharf_admin(&data_dir, &restored.url, &["restore", backup.to_str().unwrap()]).await;
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exists"));
    }
    let copy = RunningWharf::start_with(restored, options).await;
    assert_eq!(seen(&copy, &ada_caller, &cookie).await, before, "the same feeds, index, file, token and session");
    let (status, _) = copy.send(Method::GET, &format!("{FEEDS}/kept/packages/backed"), None).await;
    assert_eq!(status, 200);
    let (_, index) = copy.get_text("/default/default/_packaging/kept/Cargo/index/ba/ck/backed").await;
    assert!(!index.contains("2.0.0"), "published after the backup: {index}");
    copy.stop().await;
    source.stop().await;
}

on_both_engines!(a_restored_instance_serves_what_the_backup_saw);
