//! The audit log, on a server listening on TCP (so records carry the client's address):
//! operations through REST, cargo (the real one for a save), the portal and the command
//! line each leave one record saying who, what and through which channel; the logs are
//! readable only by those allowed; no route and no SQL changes a record; the retention
//! sweep removes only old ones.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wharf_test_support::{
    Engine, on_both_engines,
    upstream::{CrateSpec, LocalUpstream},
};

use crate::running::{Options, RunningWharf, cargo, dependent_project};

const FEED: &str = "/default/default/_apis/packaging/feeds/au";

/// `(action, channel, actor, target)` of each record, oldest first.
fn actions(log: &Value) -> Vec<(String, String, String, String)> {
    let mut list: Vec<_> = log["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no records: {log}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("action"), s("channel"), s("actor"), s("target"))
        })
        .collect();
    list.reverse();
    list
}

fn row(action: &str, channel: &str, actor: &str, target: &str) -> (String, String, String, String) {
    (action.into(), channel.into(), actor.into(), target.into())
}

async fn every_operation_leaves_one_record_and_none_can_be_changed(engine: Engine) {
    let upstream = LocalUpstream::start(vec![CrateSpec::new("au-dep", "1.0.0")]).await;
    let wharf = RunningWharf::start(engine, Options::upstream(upstream.index_url(), Duration::from_secs(300))).await;

    // REST: create and change the feed.
    wharf.create_feed("au", true).await;
    let (status, body) = wharf.send(Method::PATCH, FEED, Some(json!({"description": "audited"}))).await;
    assert_eq!(status, 200, "{body}");

    // Cargo, anonymously: the real cargo saves a crate from the upstream.
    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("app");
    dependent_project(&project, &wharf.index_url("au"), &[("au-dep", "1")]);
    let out = cargo(&project, &work.path().join("home"), &["fetch"], &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Cargo's web API with the administrator's token: publish, then yank.
    let spec = CrateSpec::new("au-own", "0.1.0");
    let meta = json!({"name": "au-own", "vers": "0.1.0", "deps": [], "features": {}});
    let res = wharf
        .admin()
        .apply_cargo(wharf.http().put(wharf.url("/default/default/_packaging/au/Cargo/api/v1/crates/new")))
        .body(wharf_test_support::publish_body(&meta, &spec.crate_file()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = wharf
        .admin()
        .apply_cargo(
            wharf.http().delete(wharf.url("/default/default/_packaging/au/Cargo/api/v1/crates/au-own/0.1.0/yank")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // REST: quarantine the saved version, with a reason the record keeps.
    let reason = "audit test: suspicious build script";
    let path = format!("{FEED}/packages/au-dep/versions/1.0.0/quarantine");
    let (status, body) = wharf.send(Method::POST, &path, Some(json!({"reason": reason}))).await;
    assert_eq!(status, 200, "{body}");

    // The portal: a view added through its server function, with a browser session.
    let (root, _) = wharf.db.users().by_name("root").await.unwrap();
    let (cookie, csrf) = crate::helpers::session_cookie(&wharf.db, Some(&root)).await;
    let form = crate::helpers::form(&[
        ("csrf", &csrf),
        ("org", "default"),
        ("project", "default"),
        ("feed", "au"),
        ("name", "audited"),
    ]);
    let res = wharf
        .http()
        .post(wharf.url("/_fn/create_view"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &wharf.base)
        .body(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());

    // The command line: a token for root (an instance record).
    let (ok, _, stderr) = crate::admin::admin(
        wharf.test_db(),
        &["create-token", "--user", "root", "--name", "audit-cli", "--scope", "read"],
        "",
    );
    assert!(ok, "{stderr}");

    // The feed's log, oldest first here: exactly these, each through its channel.
    let (status, log) = wharf.send(Method::GET, &format!("{FEED}/audit"), None).await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(
        actions(&log),
        vec![
            row("feed.create", "rest", "root", "au"),
            row("feed.update", "rest", "root", "au"),
            row("version.save", "cargo", "anonymous", "au-dep 1.0.0"),
            row("version.publish", "cargo", "root", "au-own 0.1.0"),
            row("version.yank", "cargo", "root", "au-own 0.1.0"),
            row("version.quarantine", "rest", "root", "au-dep 1.0.0"),
            row("view.create", "portal", "root", "audited"),
        ],
        "{log}"
    );
    assert_eq!(log["count"], 7, "{log}");
    let records = log["value"].as_array().unwrap();
    for record in records {
        assert_eq!(record["address"], "127.0.0.1", "{record}");
        assert_eq!(record["feed"], "default/default/au", "{record}");
        assert!(record["at"].as_str().unwrap().ends_with('Z'), "{record}");
    }
    let quarantine = records.iter().find(|r| r["action"] == "version.quarantine").unwrap();
    assert_eq!(quarantine["detail"], reason);
    let update = records.iter().find(|r| r["action"] == "feed.update").unwrap();
    assert_eq!(update["detail"], "description changed");
    let rest = records.iter().find(|r| r["action"] == "feed.create").unwrap();
    assert!(rest["tokenId"].is_i64(), "a token's use is recorded by id: {rest}");
    assert!(!log.to_string().contains(wharf.admin().token().unwrap()), "no secret in the log");

    // Paging: newest first.
    let (_, page) = wharf.send(Method::GET, &format!("{FEED}/audit?$top=2&$skip=1"), None).await;
    let page_actions: Vec<_> = page["value"].as_array().unwrap().iter().map(|r| r["action"].clone()).collect();
    assert_eq!(page_actions, [json!("version.quarantine"), json!("version.yank")], "{page}");
    assert_eq!(page["count"], 7);
    for (query, message) in [("$top=0x10", "$top must be a whole number"), ("$skip=-1", "$skip"), ("top=1", "'top'")] {
        let (status, body) = wharf.send(Method::GET, &format!("{FEED}/audit?{query}"), None).await;
        assert!(status == 400 || status == 422, "{query}: {status} {body}");
        assert!(body.to_string().contains(message), "{query}: {body}");
    }

    // The organization's log holds the feed's records and the project's; the instance's
    // holds the command line's token too.
    let (status, org) = wharf.send(Method::GET, "/default/_apis/audit", None).await;
    assert_eq!((status, org["count"].clone()), (200, json!(7)), "{org}");
    let (status, all) = wharf.send(Method::GET, "/_apis/audit?$top=200", None).await;
    assert_eq!(status, 200, "{all}");
    let cli = all["value"].as_array().unwrap().iter().find(|r| r["action"] == "token.create").expect("CLI record");
    assert_eq!((cli["channel"].clone(), cli["actor"].clone()), (json!("cli"), json!("command line")), "{cli}");
    assert_eq!(cli["target"], "audit-cli of root");

    // Who may read: a reader of the feed, or an ordinary account, may not.
    let reader = wharf.user("au-reader", wharf_core::TokenScope::Read).await;
    let (status, body) = wharf
        .send(Method::PATCH, &format!("{FEED}/permissions"), Some(json!([{"user": "au-reader", "role": "reader"}])))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, log) = wharf.send(Method::GET, &format!("{FEED}/audit?$top=1"), None).await;
    assert_eq!(log["value"][0]["action"], "feed.roles", "{log}");
    assert_eq!(log["value"][0]["detail"], "au-reader: reader", "{log}");
    for path in [format!("{FEED}/audit"), "/default/_apis/audit".into(), "/_apis/audit".into()] {
        let res = reader.apply(wharf.http().get(wharf.url(&path))).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let res = wharf.http().get(wharf.url(&path)).send().await.unwrap();
        assert!(matches!(res.status().as_u16(), 401 | 404), "{path}: anonymous gets {}", res.status());
    }

    // No route changes or removes a record.
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, _) = wharf.send(method.clone(), &format!("{FEED}/audit"), Some(json!({}))).await;
        assert_eq!(status, 405, "{method} on the log");
    }
    // Nor does SQL: the database refuses updates.
    let tampered = sqlx::query("UPDATE audit_log SET actor = 'mallory'").execute(wharf.db.pool()).await;
    let message = tampered.expect_err("an update of the log must fail").to_string();
    assert!(message.contains("audit records cannot be changed"), "{message}");

    // Retention: only records older than the time are removed.
    let (_, before) = wharf.send(Method::GET, "/_apis/audit?$top=1", None).await;
    let old = wharf_db::unix_now() - 400 * 86_400;
    sqlx::query(
        "INSERT INTO audit_log (at, actor, channel, action, target) VALUES ($1, 'system', 'system', 'old.thing', 'x')",
    )
    .bind(old)
    .execute(wharf.db.pool())
    .await
    .unwrap();
    assert_eq!(wharf_service::audit_log::sweep(&wharf.db, 365).await.unwrap(), 1);
    let (_, all_after) = wharf.send(Method::GET, "/_apis/audit?$top=1", None).await;
    assert_eq!(all_after["count"], before["count"], "only the old record went");

    wharf.stop().await;
}

on_both_engines!(every_operation_leaves_one_record_and_none_can_be_changed);
