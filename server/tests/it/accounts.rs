//! Accounts in the portal, driven through the real router: first-run setup, signing in and
//! out with sessions stored in the database, cookie attributes, CSRF, sign-in limits, and
//! tokens refused for being expired or not Wharf's.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use wharf_core::TokenScope;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::{Caller, TestApp, form};

/// A server function called as the browser's fetch calls it; `cookie` is sent when given.
fn call(path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

/// The `name=value` of the session cookie a response sets, and the whole header.
fn set_cookie(res: &axum::http::Response<Body>) -> Option<(String, String)> {
    let header = res.headers().get(header::SET_COOKIE)?.to_str().unwrap().to_owned();
    let pair = header.split(';').next().unwrap().trim().to_owned();
    Some((pair, header))
}

/// A visitor's session with its CSRF token, as the sign-in page starts one.
async fn visitor(app: &TestApp) -> (String, String) {
    let res = app.router().oneshot(call("/_fn/form_token", None, "")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (cookie, header) = set_cookie(&res).expect("a session cookie");
    assert!(cookie.starts_with("wharf_session="), "{header}");
    let body = crate::helpers::body_text(res).await;
    (cookie, serde_json::from_str::<String>(&body).unwrap())
}

use tower::ServiceExt;

async fn first_run_setup_creates_one_administrator(engine: Engine) {
    let app = TestApp::builder(engine).without_accounts().build().await;
    // No account: every page leads to the setup page.
    for path in ["/", "/default/_artifacts", "/_signin", "/_user/tokens"] {
        let req = Request::get(path).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap();
        let (status, location, _) = app.send_raw(req).await;
        assert_eq!((status, location.as_deref()), (StatusCode::FOUND, Some("/_setup")), "{path}");
    }
    let (status, page) = app.page_with(None, "/_setup").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Create administrator"), "{page}");

    let (cookie, csrf) = visitor(&app).await;
    // Bad input: each field's message, and nothing created.
    let body = form(&[("csrf", &csrf), ("name", "-ada"), ("password", "short"), ("password2", "other")]);
    let (status, _, text) = app.send_raw(call("/_fn/setup", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    for message in ["must start with a letter or a digit", "at least 8 characters", "The two passwords differ."] {
        assert!(text.contains(message), "{message} in {text}");
    }
    assert_eq!(app.db().users().count().await.unwrap(), 0);

    let body =
        form(&[("csrf", &csrf), ("name", "ada"), ("password", "a long password"), ("password2", "a long password")]);
    let res = app.router().oneshot(call("/_fn/setup", Some(&cookie), &body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");
    // Signed in with a new session id (no fixation).
    let (signed_in, _) = set_cookie(&res).expect("a new session cookie");
    assert_ne!(signed_in, cookie);
    let (ada, _) = app.db().users().by_name("ada").await.unwrap();
    assert!(ada.is_admin);
    let org = app.db().scopes().resolve("default", None).await.unwrap();
    assert!(app.db().users().is_member(org.org_id, ada.id).await.unwrap());
    let (status, page) = app.page_with(Some(&signed_in), "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="signed-in-user" class="user-menu__name">ada<"#), "{page}");

    // Once: a second setup is refused, whoever asks.
    let (cookie, csrf) = visitor(&app).await;
    let body =
        form(&[("csrf", &csrf), ("name", "eve"), ("password", "a long password"), ("password2", "a long password")]);
    let (status, _, text) = app.send_raw(call("/_fn/setup", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("already set up"), "{text}");
    assert_eq!(app.db().users().count().await.unwrap(), 1);
}

async fn sign_in_and_out_with_sessions_in_the_database(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let hash = wharf::auth::hash_password("correct horse battery").unwrap();
    app.db().users().create("bob", &hash, false).await.unwrap();

    let (cookie, csrf) = visitor(&app).await;
    let body =
        form(&[("csrf", &csrf), ("name", "BOB"), ("password", "correct horse battery"), ("next", "/_user/tokens")]);
    let res = app.router().oneshot(call("/_fn/sign_in", Some(&cookie), &body)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/_user/tokens");
    let (session, header) = set_cookie(&res).unwrap();
    // The cookie: HttpOnly, SameSite=Lax, whole site; not Secure on an http public URL.
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax") && header.contains("Path=/"), "{header}");
    assert!(!header.contains("Secure"), "{header}");
    let (status, page) = app.page_with(Some(&session), "/_user/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"id="signed-in-user" class="user-menu__name">bob<"#));
    // Signing in is recorded; a refusal only against an account that exists (a name typed
    // wrong may be a password).
    for (name, password) in [("bob", "wrong password!"), ("correct horse battery", "x")] {
        let (cookie, csrf) = visitor(&app).await;
        let body = form(&[("csrf", &csrf), ("name", name), ("password", password), ("next", "/")]);
        app.router().oneshot(call("/_fn/sign_in", Some(&cookie), &body)).await.unwrap();
    }
    let (_, records) = app.db().audit().list(wharf_db::AuditFilter::Everything, 0, 10).await.unwrap();
    let seen: Vec<(&str, &str, &str)> =
        records.iter().map(|r| (r.action.as_str(), r.actor.as_str(), r.target.as_str())).collect();
    assert_eq!(seen, [("account.sign-in-refused", "anonymous", "bob"), ("account.sign-in", "bob", "bob")]);
    assert!(!records.iter().any(|r| format!("{r:?}").contains("correct horse")), "{records:?}");
    // The session id is stored only as a hash.
    let raw_id = session.split_once('=').unwrap().1;
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT id_hash FROM sessions").fetch_all(app.db().pool()).await.unwrap();
    assert!(rows.iter().all(|h| h.len() == 64 && h != raw_id));

    // An open redirect is not possible through `next`.
    let (c2, t2) = visitor(&app).await;
    let body =
        form(&[("csrf", &t2), ("name", "bob"), ("password", "correct horse battery"), ("next", "//evil.example/")]);
    let res = app.router().oneshot(call("/_fn/sign_in", Some(&c2), &body)).await.unwrap();
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");

    // Sign out: the session row is deleted and the old cookie is worth nothing.
    let session_csrf = {
        let res = app.router().oneshot(call("/_fn/session_info", Some(&session), "")).await.unwrap();
        let info: serde_json::Value = serde_json::from_str(&crate::helpers::body_text(res).await).unwrap();
        assert_eq!(info["user"]["name"], "bob");
        info["csrf"].as_str().unwrap().to_owned()
    };
    let sessions_before = app.db().sessions().count().await.unwrap();
    let res =
        app.router().oneshot(call("/_fn/sign_out", Some(&session), &form(&[("csrf", &session_csrf)]))).await.unwrap();
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");
    assert_eq!(app.db().sessions().count().await.unwrap(), sessions_before - 1);
    let (status, page) = app.page_with(Some(&session), "/_user/tokens").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("/_signin?next=%2F_user%2Ftokens"), "{page}");
}

async fn wrong_passwords_get_one_message_and_are_limited(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let hash = wharf::auth::hash_password("correct horse battery").unwrap();
    app.db().users().create("carol", &hash, false).await.unwrap();
    let (cookie, csrf) = visitor(&app).await;
    let attempt = |name: &str, password: &str| form(&[("csrf", &csrf), ("name", name), ("password", password)]);

    // An unknown name and a wrong password read the same.
    let (s1, _, unknown) = app.send_raw(call("/_fn/sign_in", Some(&cookie), &attempt("nobody", "whatever!"))).await;
    let (s2, _, wrong) = app.send_raw(call("/_fn/sign_in", Some(&cookie), &attempt("carol", "wrong password"))).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(unknown, wrong);
    assert!(wrong.contains("The user name or password is not right."), "{wrong}");

    // Five failures for the account, then even the right password waits.
    for _ in 0..4 {
        let (status, _, _) =
            app.send_raw(call("/_fn/sign_in", Some(&cookie), &attempt("carol", "wrong password"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, location, text) =
        app.send_raw(call("/_fn/sign_in", Some(&cookie), &attempt("Carol", "correct horse battery"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");
    assert!(text.contains("Too many failed sign-in attempts. Try again in 15 minute(s)."), "{text}");
    assert_eq!(location, None);
    // Nothing changed: the visitor is still nobody.
    let (status, _) = app.page_with(Some(&cookie), "/_user/tokens").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn form_posts_without_the_csrf_token_change_nothing(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    let (other_cookie, other_csrf) = app.session_for(Some(&root)).await;
    let before = app.db().tokens().list(root.id).await.unwrap().len();
    let org = app.db().scopes().resolve("default", None).await.unwrap().org_id;
    let all_feeds = wharf_db::feeds::FeedFilter::WholeOrganization(org);
    let feeds_before = app.db().feeds().list(all_feeds).await.unwrap().len();
    let cases = [
        ("/_fn/create_token", form(&[("name", "no-csrf"), ("scope", "write")])),
        ("/_fn/create_token", form(&[("csrf", ""), ("name", "empty"), ("scope", "write")])),
        ("/_fn/create_token", form(&[("csrf", &other_csrf), ("name", "other-session"), ("scope", "write")])),
        (
            "/_fn/create_feed",
            form(&[("org", "default"), ("name", "forged"), ("visibility", "public"), ("scope", "organization")]),
        ),
        ("/_fn/create_member", form(&[("org", "default"), ("name", "mallory"), ("password", "a long password")])),
    ];
    for (path, body) in cases {
        // A plain cross-site form post (the browser sends the cookie on a top-level POST
        // only with SameSite=None, but the token must hold on its own).
        let (status, _, text) = app.send_raw(call(path, Some(&cookie), &body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {text}");
        assert!(text.contains("This form has expired or did not come from this Wharf page"), "{text}");
    }
    assert_eq!(app.db().tokens().list(root.id).await.unwrap().len(), before);
    assert_eq!(app.db().feeds().list(all_feeds).await.unwrap().len(), feeds_before);
    assert!(app.db().users().by_name("mallory").await.is_err());
    // With the token it works.
    let body = form(&[("csrf", &csrf), ("name", "with-csrf"), ("scope", "write"), ("expires_in_days", "30")]);
    let (status, _, text) = app.send_raw(call("/_fn/create_token", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains(r#""secret":"wharf_"#), "the new token is the answer: {text}");
    assert_eq!(app.db().tokens().list(root.id).await.unwrap().len(), before + 1);
    let _ = other_cookie;
}

async fn tokens_page_shows_a_new_token_once(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    // The page's form posts to the page, whose answer shows the token.
    let body = form(&[("csrf", &csrf), ("name", "laptop"), ("scope", "read"), ("expires_in_days", "never")]);
    let (status, _, first) = app.send_raw(call("/_user/tokens", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::OK);
    let secret = first.split("wharf_").nth(1).map(|rest| format!("wharf_{}", &rest[..64])).expect("the token shown");
    assert!(first.contains("Token “laptop” created"), "{first}");
    // It works as a personal access token.
    let res = app.get_as(Caller::raw_token(&secret), "/_apis/tokens").await;
    assert_eq!(res.status, StatusCode::OK);
    let (_, second) = app.page_with(Some(&cookie), "/_user/tokens").await;
    assert!(!second.contains(&secret), "the token is shown only once");
    assert!(second.contains(r#"data-token="laptop""#));
    // Bad input: a duplicate live name, an unknown scope, and nothing more is stored.
    let count = app.db().tokens().list(root.id).await.unwrap().len();
    let body = form(&[("csrf", &csrf), ("name", "LAPTOP"), ("scope", "read")]);
    let (status, _, text) = app.send_raw(call("/_fn/create_token", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");
    assert!(text.contains("already have a token named"), "{text}");
    let body = form(&[("csrf", &csrf), ("name", "x"), ("scope", "admin")]);
    let (status, _, text) = app.send_raw(call("/_fn/create_token", Some(&cookie), &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert_eq!(app.db().tokens().list(root.id).await.unwrap().len(), count);
}

async fn expired_and_foreign_tokens_are_refused(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    app.user("ada", TokenScope::Write).await;
    let (user, _) = app.db().users().by_name("ada").await.unwrap();
    let token = wharf::auth::generate_token();
    let expired = wharf_db::NewToken {
        user_id: user.id,
        name: "old",
        token_hash: &token.hash,
        prefix: &token.display_prefix,
        scope: TokenScope::Write,
        expires_at: Some(wharf_db::unix_now() - 1),
        parent_id: None,
    };
    app.db().tokens().create(&expired).await.unwrap();
    let res = app.json(
        Method::POST,
        "/default/_apis/packaging/feeds",
        serde_json::json!({"name": "open", "visibility": "public"}),
    );
    assert_eq!(res.await.status, StatusCode::CREATED);
    for (secret, message) in [
        (token.secret.as_str(), "The token is invalid, expired or revoked."),
        ("ghp_0123456789abcdef", "This is not a Wharf personal access token: they start with 'wharf_'."),
        ("wharf_0000", "The token is invalid, expired or revoked."),
    ] {
        let caller = Caller::raw_token(secret);
        let res = app.get_as(&caller, "/_apis/tokens").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{secret}");
        assert_eq!(res.body["errors"][0]["detail"], message);
        let req = caller.apply_cargo(Request::get("/default/_packaging/open/Cargo/index/config.json"));
        let req = req.body(Body::empty()).unwrap();
        let (status, _, text) = app.send_raw(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{secret}: {text}");
    }
    // A read token cannot create or change feeds.
    let read = app.user("reader", TokenScope::Read).await;
    let res = app
        .raw_as(
            &read,
            Method::POST,
            "/default/_apis/packaging/feeds",
            Some("application/json"),
            r#"{"name":"nope","visibility":"public"}"#,
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body["errors"][0]["detail"].as_str().unwrap().contains("Packaging: read & write"));
}

async fn behind_https_the_session_cookie_is_secure(engine: Engine) {
    let app = TestApp::builder(engine).public_url("https://wharf.example").without_accounts().build().await;
    let res = app.router().oneshot(call("/_fn/form_token", None, "")).await.unwrap();
    let (_, header) = set_cookie(&res).expect("a session cookie");
    assert!(header.contains("Secure") && header.contains("HttpOnly") && header.contains("SameSite=Lax"), "{header}");
}

on_both_engines!(
    behind_https_the_session_cookie_is_secure,
    first_run_setup_creates_one_administrator,
    sign_in_and_out_with_sessions_in_the_database,
    wrong_passwords_get_one_message_and_are_limited,
    form_posts_without_the_csrf_token_change_nothing,
    tokens_page_shows_a_new_token_once,
    expired_and_foreign_tokens_are_refused,
);
