//! The authorization matrix: every route of the server — portal pages, server functions,
//! the REST API, cargo's config.json, index files and downloads, and whatever is added
//! later — × 8 callers × 3 feed visibilities, with the expected answer of each cell written
//! in one table. A route the server answers that has no row here fails the test, and so
//! does a row for a route the server no longer has.
//!
//! Cells: `.` 2xx, `>` redirect (3xx), `B` 400, `U` 401, `F` 403, `N` 404, `C` 409, and for
//! listings `v` 200 naming the cell's feed, `h` 200 not naming it.
//! Callers, in column order: anonymous (a visitor's session, no user; no token), a member
//! of the organization with no role on the feed, Reader, Collaborator, Contributor,
//! Administrator, Owner, and a Wharf administrator with no role. Browsers' routes (pages,
//! server functions) are called with the caller's session cookie and CSRF token; the REST
//! API and cargo's routes with the caller's read & write token.

use std::collections::BTreeMap;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use sha2::{Digest, Sha256};
use wharf_core::{Role, TokenScope};
use wharf_db::{NewVersion, Origin, User};
use wharf_test_support::{Engine, on_both_engines};

mod spares;
mod table;

use crate::helpers::{Caller, TestApp};
use spares::{spare_source, spare_token, spare_view, spare_webhook};
use table::{Row, table};

const CALLERS: [&str; 8] =
    ["anonymous", "nobody", "reader", "collaborator", "contributor", "administrator", "owner", "superuser"];
const ROLES: [Option<Role>; 8] = [
    None,
    None,
    Some(Role::Reader),
    Some(Role::Collaborator),
    Some(Role::Contributor),
    Some(Role::Administrator),
    Some(Role::Owner),
    None,
];

/// One column of the matrix: a caller's account, token and session.
struct Column {
    user: Option<User>,
    caller: Caller,
    cookie: String,
    csrf: String,
}

struct Cx<'a> {
    app: &'a TestApp,
    callers: Vec<Column>,
    counter: std::sync::atomic::AtomicUsize,
}

impl Cx<'_> {
    fn unique(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// A fresh feed of `visibility` (project- or organization-scoped) with the callers'
    /// roles, holding one saved version of crate `seeded`.
    async fn feed(&self, visibility: &str, project: bool) -> String {
        let name = self.unique("f");
        let db = self.app.db();
        let scope = db.scopes().resolve("default", project.then_some("default")).await.unwrap();
        let draft = wharf_core::FeedDraft::parse(&name, None, visibility, false).unwrap();
        let feed = db.feeds().create(&scope, &draft).await.unwrap();
        for (caller, role) in self.callers.iter().zip(ROLES) {
            if let (Some(user), Some(role)) = (&caller.user, role) {
                db.roles().set(feed.id, user.id, Some(role)).await.unwrap();
            }
        }
        let bytes = format!("crate bytes of {name}").into_bytes();
        let cksum = hex::encode(Sha256::digest(&bytes));
        let line =
            format!(r#"{{"name":"seeded","vers":"1.0.0","deps":[],"cksum":"{cksum}","features":{{}},"yanked":false}}"#);
        let storage = wharf::storage::Storage::local(&self.app.data_dir().join("storage")).unwrap();
        // As the server stores a file: marked as being written first (recording ends it).
        self.app.db().crate_files().acquire(&cksum).await.unwrap();
        storage.put(&cksum, bytes.clone().into()).await.unwrap();
        let version = NewVersion {
            name: "seeded",
            version: "1.0.0",
            origin: Origin::Local,
            cksum: &cksum,
            size: bytes.len() as i64,
            index_line: &line,
        };
        db.packages().record(feed.id, &version).await.unwrap();
        name
    }
}

/// The concrete request for one cell.
async fn request_for(cx: &Cx<'_>, method: &Method, pattern: &str, caller: usize, feed: &str) -> Request<Body> {
    let c = &cx.callers[caller];
    // Server functions are called for a project-scoped feed.
    let project = if pattern.contains("{project}") || pattern.starts_with("/_fn/") { "default" } else { "" };
    let path = pattern
        .replace("{org}", "default")
        .replace("{project}", "default")
        .replace("{feed}", feed)
        .replace("{*path}", "se/ed/seeded")
        .replace("{file}", "seeded.svg")
        .replace("{krate}", "seeded")
        .replace("{package}", "seeded")
        .replace("{version}", "1.0.0")
        .replace("{*file}", "no-such-file.css");
    let (csrf, user_name) = (c.csrf.as_str(), c.user.as_ref().map_or("anonymous", |u| u.name.as_str()));
    let form = |pairs: &[(&str, &str)]| -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let feed_args = |extra: &[(&str, &str)]| {
        let mut pairs = vec![("csrf", csrf), ("org", "default"), ("feed", feed)];
        if !project.is_empty() {
            pairs.push(("project", project));
        }
        pairs.extend_from_slice(extra);
        form(&pairs)
    };
    let is_browser = !pattern.contains("/_apis/") && !pattern.contains("/Cargo/");
    let (path, body, content_type): (String, String, Option<&str>) = match (method.as_str(), pattern) {
        // REST and cargo.
        ("POST", p) if p.ends_with("/_apis/packaging/feeds") => {
            let body = serde_json::json!({"name": cx.unique("new"), "visibility": "private"});
            (path, body.to_string(), Some("application/json"))
        }
        ("PATCH", p) if p.ends_with("/permissions") => {
            (path, r#"[{"user":"target","role":"reader"}]"#.into(), Some("application/json"))
        }
        ("POST", "/{org}/_apis/projects" | "/_apis/organizations") => {
            (path, serde_json::json!({"name": cx.unique("s")}).to_string(), Some("application/json"))
        }
        ("PATCH" | "DELETE", "/{org}/_apis/projects/{project}") => {
            // A project of its own per cell: renaming or deleting `default` would move the feeds.
            let project = cx.unique("proj");
            let org = cx.app.db().scopes().resolve("default", None).await.unwrap();
            cx.app.db().scopes().create_project(org.org_id, &project).await.unwrap();
            let path = format!("/default/_apis/projects/{project}");
            let body = if method == Method::PATCH {
                serde_json::json!({"name": cx.unique("renamed")}).to_string()
            } else {
                String::new()
            };
            (path, body, Some("application/json"))
        }
        ("POST", p) if p.ends_with("/views") => {
            (path, serde_json::json!({"name": cx.unique("v")}).to_string(), Some("application/json"))
        }
        ("PATCH", p) if p.ends_with("/views/{view}") => {
            (path.replace("{view}", "release"), r#"{"name":"release"}"#.into(), Some("application/json"))
        }
        ("DELETE", p) if p.ends_with("/views/{view}") => {
            let view = spare_view(cx, project, feed).await;
            (path.replace("{view}", &view), String::new(), None)
        }
        ("POST", p) if p.ends_with("/promote") => (path, r#"{"view":"release"}"#.into(), Some("application/json")),
        ("POST", p) if p.ends_with("/release-now") => (path, r#"{"reason":"urgent"}"#.into(), Some("application/json")),
        ("POST", p) if p.ends_with("/quarantine") => (path, r#"{"reason":"malware"}"#.into(), Some("application/json")),
        ("POST", p) if p.ends_with("/webhooks") => {
            let body = r#"{"url":"https://hooks.example.com/x","events":["publish"],"secret":"a webhook secret 1234"}"#;
            (path, body.into(), Some("application/json"))
        }
        ("POST", p) if p.contains("/_artifacts/") && p.ends_with("/warm") => {
            // The Warm page's upload: a multipart form with the session's CSRF token.
            let b = "matrix-boundary";
            let body = format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\n\
                 Content-Disposition: form-data; name=\"lockfile\"; filename=\"Cargo.lock\"\r\n\
                 Content-Type: text/plain\r\n\r\nversion = 4\n\r\n--{b}--\r\n"
            );
            (path, body, Some("multipart/form-data; boundary=matrix-boundary"))
        }
        ("POST", p) if p.ends_with("/warm") => (path, "version = 4\n".into(), Some("text/plain")),
        ("GET", p) if p.ends_with("/warm/{job}") => {
            (path.replace("{job}", &spares::spare_job(cx, project, feed).await), String::new(), None)
        }
        (_, p) if p.contains("/webhooks/{id}") => {
            (path.replace("{id}", &spare_webhook(cx, project, feed).await), String::new(), None)
        }
        ("POST", p) if p.ends_with("/upstreams/{source}/test") => {
            let source = spare_source(cx, project, feed).await;
            (path.replace("{source}", &source), String::new(), None)
        }
        ("PATCH", p) if p.ends_with("/packages/{package}") => {
            (path, r#"{"allowExternalVersions":true}"#.into(), Some("application/json"))
        }
        ("PATCH", _) => (path, r#"{"description":"changed"}"#.into(), Some("application/json")),
        ("POST", p) if p.ends_with("/restore") => {
            // Something to restore: the seeded version, deleted.
            let db = cx.app.db();
            let scope = db.scopes().resolve("default", (!project.is_empty()).then_some(project)).await.unwrap();
            let feed_id = db.feeds().get(&scope, feed).await.unwrap().id;
            db.packages().delete_version(feed_id, "seeded", "1.0.0").await.unwrap();
            (path, String::new(), None)
        }
        ("PUT", p) if p.ends_with("/crates/new") => {
            let name = cx.unique("fresh");
            let spec = wharf_test_support::upstream::CrateSpec::new(&name, "1.0.0");
            let meta = serde_json::json!({"name": name, "vers": "1.0.0", "deps": [], "features": {}});
            let body = wharf_test_support::publish_body(&meta, &spec.crate_file());
            return c.caller.apply_cargo(Request::put(path)).body(Body::from(body)).unwrap();
        }
        ("PUT" | "DELETE", p) if p.ends_with("/owners") => {
            (path, r#"{"users":["someone"]}"#.into(), Some("application/json"))
        }
        ("PUT", p) if p.ends_with("/unyank") => (path, String::new(), None),
        ("POST", "/_apis/advisories") => {
            return c.caller.apply_cargo(Request::post(path)).body(Body::from(spares::advisory_tarball())).unwrap();
        }
        ("POST", "/_apis/tokens") => {
            let body = serde_json::json!({"name": cx.unique("t"), "scope": "read"});
            (path, body.to_string(), Some("application/json"))
        }
        ("DELETE", "/_apis/tokens/{id}") => (path.replace("{id}", &spare_token(cx, caller).await), String::new(), None),
        ("GET" | "DELETE", p) if !p.starts_with("/_fn/") => (path, String::new(), None),
        // Server functions, as a browser's fetch sends them.
        ("POST", "/_fn/session_info" | "/_fn/form_token" | "/_fn/list_tokens") => (path, String::new(), None),
        ("POST", "/_fn/list_feeds" | "/_fn/list_projects" | "/_fn/list_members") => {
            (path, form(&[("org", "default")]), None)
        }
        ("POST", "/_fn/get_feed" | "/_fn/list_permissions" | "/_fn/list_recycle_bin") => (path, feed_args(&[]), None),
        ("POST", "/_fn/warm_job") => {
            let job = spares::spare_job(cx, project, feed).await;
            (path, feed_args(&[("job", &job)]), None)
        }
        ("POST", "/_fn/get_package") => (path, feed_args(&[("name", "seeded")]), None),
        ("POST", "/_fn/delete_version") => (path, feed_args(&[("name", "seeded"), ("version", "1.0.0")]), None),
        ("POST", "/_fn/set_allow_external") => (path, feed_args(&[("name", "seeded"), ("allow", "on")]), None),
        ("POST", "/_fn/restore_version") => {
            let db = cx.app.db();
            let scope = db.scopes().resolve("default", Some(project)).await.unwrap();
            let feed_id = db.feeds().get(&scope, feed).await.unwrap().id;
            db.packages().delete_version(feed_id, "seeded", "1.0.0").await.unwrap();
            (path, feed_args(&[("name", "seeded"), ("version", "1.0.0")]), None)
        }
        ("POST", "/_fn/list_packages") => (path, feed_args(&[("query", "")]), None),
        ("POST", "/_fn/list_views" | "/_fn/retention_preview" | "/_fn/list_upstreams" | "/_fn/feed_security") => {
            (path, feed_args(&[]), None)
        }
        ("POST", "/_fn/feed_audit") => (path, feed_args(&[("page", "1")]), None),
        ("POST", "/_fn/list_webhooks") => (path, feed_args(&[]), None),
        ("POST", "/_fn/create_webhook") => (
            path,
            feed_args(&[
                ("url", "https://hooks.example.com/x"),
                ("secret", "a webhook secret 1234"),
                ("ev_publish", "on"),
            ]),
            None,
        ),
        ("POST", "/_fn/delete_webhook" | "/_fn/test_webhook") => {
            let id = spare_webhook(cx, project, feed).await;
            (path, feed_args(&[("id", &id)]), None)
        }
        ("POST", "/_fn/set_quarantine") => {
            (path, feed_args(&[("name", "seeded"), ("version", "1.0.0"), ("reason", "malware")]), None)
        }
        ("POST", "/_fn/release_now") => {
            (path, feed_args(&[("name", "seeded"), ("version", "1.0.0"), ("reason", "urgent")]), None)
        }
        ("POST", "/_fn/add_upstream") => (
            path,
            feed_args(&[("name", &cx.unique("src")), ("kind", "crates-io"), ("location", ""), ("token", "")]),
            None,
        ),
        ("POST", "/_fn/remove_upstream" | "/_fn/test_upstream") => {
            let source = spare_source(cx, project, feed).await;
            (path, feed_args(&[("source", &source)]), None)
        }
        ("POST", "/_fn/move_upstream") => {
            spare_source(cx, project, feed).await;
            let source = spare_source(cx, project, feed).await;
            (path, feed_args(&[("source", &source), ("direction", "up")]), None)
        }
        ("POST", "/_fn/list_organizations") => (path, String::new(), None),
        ("POST", "/_fn/create_organization") => (path, form(&[("csrf", csrf), ("name", &cx.unique("org"))]), None),
        ("POST", "/_fn/create_project") => {
            (path, form(&[("csrf", csrf), ("org", "default"), ("name", &cx.unique("proj"))]), None)
        }
        ("POST", "/_fn/rename_project" | "/_fn/delete_project") => {
            let project = cx.unique("proj");
            let org = cx.app.db().scopes().resolve("default", None).await.unwrap();
            cx.app.db().scopes().create_project(org.org_id, &project).await.unwrap();
            let renamed = cx.unique("renamed");
            (path, form(&[("csrf", csrf), ("org", "default"), ("project", &project), ("name", &renamed)]), None)
        }
        ("POST", "/_fn/create_view") => (path, feed_args(&[("name", &cx.unique("v"))]), None),
        ("POST", "/_fn/rename_view") => (path, feed_args(&[("view", "release"), ("name", "release")]), None),
        ("POST", "/_fn/delete_view") => {
            let view = spare_view(cx, project, feed).await;
            (path, feed_args(&[("view", &view)]), None)
        }
        ("POST", "/_fn/promote_version") => {
            (path, feed_args(&[("name", "seeded"), ("version", "1.0.0"), ("view", "release")]), None)
        }
        ("POST", "/_fn/create_feed") => {
            let name = cx.unique("p");
            let body = form(&[
                ("csrf", csrf),
                ("org", "default"),
                ("name", &name),
                ("visibility", "private"),
                ("scope", "project:default"),
            ]);
            (path, body, None)
        }
        ("POST", "/_fn/setup") => (
            path,
            form(&[("csrf", csrf), ("name", "late"), ("password", "long enough"), ("password2", "long enough")]),
            None,
        ),
        ("POST", "/_fn/sign_in") => {
            (path, form(&[("csrf", csrf), ("name", user_name), ("password", "wrong!wrong!")]), None)
        }
        ("POST", "/_fn/sign_out") => {
            // Signing out ends the session: use a session of its own.
            let (cookie, csrf) = cx.app.session_for(c.user.as_ref()).await;
            let req = Request::post(path)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(&[("csrf", &csrf)])))
                .unwrap();
            return req;
        }
        ("POST", "/_fn/create_token") => {
            let name = cx.unique("t");
            (path, form(&[("csrf", csrf), ("name", &name), ("scope", "read"), ("expires_in_days", "30")]), None)
        }
        ("POST", "/_user/tokens") => {
            let name = cx.unique("t");
            let body = form(&[("csrf", csrf), ("name", &name), ("scope", "read"), ("expires_in_days", "30")]);
            (path, body, Some("application/x-www-form-urlencoded"))
        }
        ("POST", "/_fn/revoke_token") => {
            let id = spare_token(cx, caller).await;
            (path, form(&[("csrf", csrf), ("id", &id)]), None)
        }
        ("POST", "/_fn/create_member") => {
            let name = cx.unique("m");
            (path, form(&[("csrf", csrf), ("org", "default"), ("name", &name), ("password", "long enough")]), None)
        }
        ("POST", "/_fn/add_member" | "/_fn/remove_member") => {
            let name = cx.unique("d");
            let db = cx.app.db();
            let user = db.users().create(&name, "x", false).await.unwrap();
            if pattern.ends_with("add_member") {
                let org = db.scopes().resolve("default", None).await.unwrap();
                db.users().remove_member(org.org_id, &user).await.unwrap();
            }
            (path, form(&[("csrf", csrf), ("org", "default"), ("name", &name)]), None)
        }
        ("POST", "/_fn/update_feed_settings") => {
            (path, feed_args(&[("description", "changed"), ("visibility", "private")]), None)
        }
        ("POST", "/_fn/set_role") => (path, feed_args(&[("user", "target"), ("role", "reader")]), None),
        _ => panic!(
            "the authorization matrix test has no request for {method} {pattern}: add one, and a row to the table"
        ),
    };
    let mut req = Request::builder().method(method.clone()).uri(path);
    if is_browser {
        req = req.header(header::COOKIE, &c.cookie);
        if pattern.starts_with("/_fn/") {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        } else {
            req = req.header(header::ACCEPT, "text/html");
        }
    } else {
        // Raw, as cargo sends it; the REST API takes the same.
        req = c.caller.apply_cargo(req);
    }
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    req.body(Body::from(body)).unwrap()
}

fn cell_of(status: StatusCode, location: Option<&str>, body: &str, feed: &str) -> char {
    match status.as_u16() {
        // A server function called by fetch answers 200 with the redirect in `Location`.
        200 if location.is_some() => '>',
        200..=299 if body.contains(&format!("\"{feed}\"")) => 'v',
        200..=299 => '.',
        300..=399 => '>',
        400 => 'B',
        401 => 'U',
        403 => 'F',
        404 => 'N',
        409 => 'C',
        _ => '?',
    }
}

async fn every_route_obeys_the_matrix(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let db = app.db();
    let mut callers = Vec::new();
    for (i, name) in CALLERS.iter().enumerate() {
        let user = match i {
            0 => None,
            _ => Some(db.users().create(name, "not a real hash", *name == "superuser").await.unwrap()),
        };
        let caller = match &user {
            Some(user) => Caller::User {
                name: user.name.clone(),
                token: wharf::auth::issue_token(db, user.id, "matrix", TokenScope::Write, None, None).await.unwrap().1,
            },
            None => Caller::Anonymous,
        };
        let (cookie, csrf) = app.session_for(user.as_ref()).await;
        callers.push(Column { user, caller, cookie, csrf });
    }
    db.users().create("target", "not a real hash", false).await.unwrap();
    let cx = Cx { app: &app, callers, counter: Default::default() };

    // Every route the server has is in the table, and every row names a route it has.
    let inventory: Vec<(Method, String)> = wharf::routes::inventory();
    let table = table();
    let mut missing = Vec::new();
    for (method, path) in &inventory {
        if !table.iter().any(|(m, p, _)| m == method && p == path) {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:#?}");
    let stale: Vec<_> = table
        .iter()
        .filter(|(m, p, _)| !inventory.iter().any(|(im, ip)| im == m && ip == p))
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert!(stale.is_empty(), "rows for routes the server does not have: {stale:#?}");

    let mut failures = BTreeMap::new();
    for (method, pattern, row) in &table {
        for (v, visibility) in ["public", "organization", "private"].into_iter().enumerate() {
            let expected = match row {
                Row::All(cells) => *cells,
                Row::ByVisibility(rows) => rows[v],
            };
            let mut got = String::new();
            for (caller, caller_name) in CALLERS.iter().enumerate() {
                let feed = cx.feed(visibility, pattern.contains("{project}") || pattern.starts_with("/_fn/")).await;
                let req = request_for(&cx, method, pattern, caller, &feed).await;
                let sent = tokio::time::timeout(std::time::Duration::from_secs(30), app.send_raw(req)).await;
                let (status, location, body) = sent.unwrap_or_else(|_| {
                    panic!("{method} {pattern} [{visibility}] as {caller_name}: no answer within 30 s")
                });
                let cell = cell_of(status, location.as_deref(), &body, &feed);
                // A plain 2xx counts where the row expects a listing cell only if the
                // route is not a listing; `v`/`h` are checked exactly.
                let cell = match (expected.as_bytes()[caller] as char, cell) {
                    ('h', '.') => 'h',
                    ('.', 'v') => '.',
                    (_, c) => c,
                };
                if cell != expected.as_bytes()[caller] as char {
                    failures.insert(
                        format!("{method} {pattern} [{visibility}] {caller_name}"),
                        format!(
                            "expected {}, got {status}: {}",
                            expected.as_bytes()[caller] as char,
                            body.chars().take(200).collect::<String>()
                        ),
                    );
                }
                got.push(cell);
            }
            if got != expected {
                eprintln!("{method} {pattern} [{visibility}]: expected {expected}, got {got}");
            }
        }
    }
    assert!(failures.is_empty(), "{} cells differ from the matrix: {failures:#?}", failures.len());
}

on_both_engines!(every_route_obeys_the_matrix);
