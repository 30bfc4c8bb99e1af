//! Warm jobs need Collaborator or more on the feed and a read & write token; an account and
//! a feed each have a few jobs running at most, however many starts race; finished jobs
//! are swept after a week; a job's event stream sends each failure once.

use std::time::Duration;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::Value;
use sqlx::Row;
use wharf_core::{Role, TokenScope};
use wharf_db::{JobLimits, Tally};
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::{Caller, TestApp};

const LOCKFILE: &str = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\
                        source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
                        checksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";

fn warm_path(feed: &str) -> String {
    format!("/default/default/_apis/packaging/feeds/{feed}/warm")
}

/// Jobs of `feed` (by name) that are running.
async fn running(app: &TestApp, feed: &str) -> i64 {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM warm_jobs j JOIN feeds f ON f.id = j.feed_id WHERE f.name = $1 AND j.state = 'running'",
    )
    .bind(feed)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    row.try_get("n").unwrap()
}

async fn jobs(app: &TestApp) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM warm_jobs").fetch_one(app.db().pool()).await.unwrap();
    row.try_get("n").unwrap()
}

/// A public feed with an upstream, created by `root`.
async fn feed(app: &TestApp, name: &str) -> wharf_db::Feed {
    let body = serde_json::json!({"name": name, "visibility": "public", "upstreamEnabled": true});
    let res = app.json(Method::POST, "/default/default/_apis/packaging/feeds", body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    let scope = app.db().scopes().resolve("default", Some("default")).await.unwrap();
    app.db().feeds().get(&scope, name).await.unwrap()
}

async fn post_lockfile(app: &TestApp, caller: &Caller, feed: &str) -> crate::helpers::TestResponse {
    app.raw_as(caller, Method::POST, &warm_path(feed), Some("text/plain"), LOCKFILE).await
}

async fn warming_needs_collaborator_and_a_write_token(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    feed(&app, "open").await;
    let reader = app.member("rita", "open", Role::Reader, TokenScope::Write).await;
    let stranger = app.user("sam", TokenScope::Write).await;
    let read_scope = app.member("cora", "open", Role::Collaborator, TokenScope::Read).await;
    for (who, caller, says) in [
        ("a Reader", &reader, "needs Collaborator or more"),
        ("a non-member", &stranger, "needs Collaborator or more"),
        ("a read-scope token", &read_scope, "Packaging: read & write"),
    ] {
        let res = post_lockfile(&app, caller, "open").await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{who}: {:?}", res.body);
        assert!(res.body.to_string().contains(says), "{who}: {:?}", res.body);
    }
    let res = post_lockfile(&app, &Caller::Anonymous, "open").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "anonymous");
    assert_eq!(jobs(&app).await, 0, "no job was started");

    // The portal's form: the Reader's session is refused with the page and no job.
    let (rita, _) = app.db().users().by_name(reader.name()).await.unwrap();
    let (cookie, csrf) = app.session_for(Some(&rita)).await;
    let form = format!(
        "--x\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--x\r\nContent-Disposition: form-data; \
         name=\"lockfile\"; filename=\"Cargo.lock\"\r\n\r\n{LOCKFILE}\r\n--x--\r\n"
    );
    let req = Request::post("/default/default/_artifacts/feed/open/warm")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .body(Body::from(form))
        .unwrap();
    let (status, _, text) = app.send_raw(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("needs Collaborator or more"), "{text}");
    assert_eq!(jobs(&app).await, 0, "no job was started");

    // A Collaborator with a read & write token starts one; the Reader may not follow it.
    let collaborator = app.member("cole", "open", Role::Collaborator, TokenScope::Write).await;
    let res = post_lockfile(&app, &collaborator, "open").await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{:?}", res.body);
    let job = res.location.unwrap().replace("http://wharf.test", "");
    assert_eq!(app.get_as(&reader, &job).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get_as(&collaborator, &job).await.status, StatusCode::OK);
}

/// An upstream that accepts connections and never answers: jobs stay running.
async fn silent_upstream() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/index/", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (url, task)
}

async fn job_limits_hold_when_starts_race(engine: Engine) {
    let (upstream, silent) = silent_upstream().await;
    let app = TestApp::builder(engine).upstream(&upstream).build().await;
    feed(&app, "solo").await;
    feed(&app, "busy").await;
    // One account, 16 starts at once on one feed: two run.
    let cole = app.member("cole", "solo", Role::Collaborator, TokenScope::Write).await;
    let starts = (0..16).map(|_| post_lockfile(&app, &cole, "solo"));
    let answers = futures_util::future::join_all(starts).await;
    let accepted = answers.iter().filter(|r| r.status == StatusCode::ACCEPTED).count();
    assert_eq!(accepted, 2, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    let refused = answers.iter().find(|r| r.status == StatusCode::TOO_MANY_REQUESTS).expect("some refused");
    assert!(refused.body.to_string().contains("2 warm jobs running already"), "{:?}", refused.body);
    assert_eq!(running(&app, "solo").await, 2);

    // Four accounts, 6 starts each at once on one feed: four run.
    let mut callers = Vec::new();
    for name in ["ann", "bob", "cid", "dee"] {
        callers.push(app.member(name, "busy", Role::Collaborator, TokenScope::Write).await);
    }
    let starts = callers.iter().flat_map(|c| (0..6).map(move |_| c)).map(|c| post_lockfile(&app, c, "busy"));
    let answers = futures_util::future::join_all(starts).await;
    let accepted = answers.iter().filter(|r| r.status == StatusCode::ACCEPTED).count();
    assert_eq!(accepted, 4, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(answers.iter().all(|r| matches!(r.status, StatusCode::ACCEPTED | StatusCode::TOO_MANY_REQUESTS)));
    assert_eq!(running(&app, "busy").await, 4);
    silent.abort();
}

async fn finished_jobs_are_swept_after_a_week(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let open = feed(&app, "open").await;
    let limits = JobLimits { per_user: 10, per_feed: 10, since: 0 };
    let now = wharf_db::unix_now();
    let old = app.db().warm_jobs().create(open.id, 1, None, now, limits).await.unwrap().unwrap();
    app.db().warm_jobs().progress(old.id, &Tally::default(), true, now).await.unwrap();
    let core = app.core();
    assert_eq!(wharf_service::warm::sweep(core, core.clock.now()).await.unwrap(), 0, "kept for a week");
    core.clock.advance(6 * 86_400);
    let recent = app.db().warm_jobs().create(open.id, 1, None, core.clock.now(), limits).await.unwrap().unwrap();
    app.db().warm_jobs().progress(recent.id, &Tally::default(), true, core.clock.now()).await.unwrap();
    core.clock.advance(2 * 86_400);
    assert_eq!(wharf_service::warm::sweep(core, core.clock.now()).await.unwrap(), 1, "the old one goes");
    assert!(app.db().warm_jobs().get(open.id, old.id).await.is_err());
    assert!(app.db().warm_jobs().get(open.id, recent.id).await.is_ok(), "the recent one stays");
}

async fn the_event_stream_sends_each_failure_once(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let open = feed(&app, "open").await;
    let limits = JobLimits { per_user: 10, per_feed: 10, since: 0 };
    let job = app.db().warm_jobs().create(open.id, 4, None, wharf_db::unix_now(), limits).await.unwrap().unwrap();
    let db = app.db().clone();
    // The job goes on while the stream is followed: a failure every 700 ms, then done.
    let writer = tokio::spawn(async move {
        let mut tally = Tally::default();
        for i in 0..3 {
            tokio::time::sleep(Duration::from_millis(700)).await;
            tally.failed.push((format!("crate-{i}"), "1.0.0".into(), "not found".into()));
            db.warm_jobs().progress(job.id, &tally, false, wharf_db::unix_now()).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        tally.saved = 1;
        db.warm_jobs().progress(job.id, &tally, true, wharf_db::unix_now()).await.unwrap();
    });
    let req = app
        .admin()
        .apply(Request::get(format!("{}/{}", warm_path("open"), job.id)))
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    let (status, _, text) = tokio::time::timeout(Duration::from_secs(30), app.send_raw(req)).await.unwrap();
    writer.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    let events: Vec<Value> =
        text.lines().filter_map(|l| l.strip_prefix("data: ")).map(|data| serde_json::from_str(data).unwrap()).collect();
    let mut seen: Vec<String> = Vec::new();
    for event in &events {
        for failure in event["failed"].as_array().unwrap() {
            seen.push(failure["name"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ["crate-0", "crate-1", "crate-2"], "each failure once, in order: {text}");
    let last = events.last().unwrap();
    assert_eq!((last["state"].as_str(), last["failedCount"].as_i64()), (Some("done"), Some(3)), "{text}");
    // Only changes are sent: no two events alike.
    for pair in events.windows(2) {
        assert_ne!(pair[0], pair[1], "{text}");
    }
}

on_both_engines!(
    warming_needs_collaborator_and_a_write_token,
    job_limits_hold_when_starts_race,
    finished_jobs_are_swept_after_a_week,
    the_event_stream_sends_each_failure_once,
);
