//! Regression tests for holes an attacker with an ordinary account (or none) could use:
//! redirects after sign-in, sign-in limits under concurrency, error text injected through a
//! link, and server functions called without the session's CSRF token.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use tower::ServiceExt;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::{TestApp, form};

fn post(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn user(app: &TestApp, name: &str) -> wharf_db::User {
    let hash = wharf::auth::hash_password("correct horse battery").unwrap();
    app.db().users().create(name, &hash, false).await.unwrap()
}

/// `next` is resolved against the public URL: only a path of this site is followed, and
/// nothing in it (a TAB, a control character) can break the redirect.
async fn sign_in_goes_only_to_paths_of_this_site(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    user(&app, "ada").await;
    let cases = [
        ("/default/_artifacts?x=1", "/default/_artifacts?x=1"),
        ("/\t/evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/..//evil.example", "/"),
        ("/\u{1}x", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        ("/caf\u{e9}", "/caf%C3%A9"),
    ];
    for (next, expected) in cases {
        let (cookie, csrf) = app.session_for(None).await;
        let body = form(&[("csrf", &csrf), ("name", "ada"), ("password", "correct horse battery"), ("next", next)]);
        let res = app.router().oneshot(post("/_fn/sign_in", &cookie, &body)).await.expect("an answer, not a panic");
        assert_eq!(res.status(), StatusCode::OK, "{next:?}");
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), expected, "{next:?}");
    }
}

/// Sixty wrong passwords at once: each attempt is recorded before its password is checked,
/// so no more than the limit are checked at all.
async fn concurrent_wrong_passwords_cannot_pass_the_limit(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    user(&app, "ada").await;
    let (cookie, csrf) = app.session_for(None).await;
    let body = form(&[("csrf", &csrf), ("name", "ada"), ("password", "wrong password!")]);
    let attempts = (0..60).map(|_| {
        let (router, request) = (app.router(), post("/_fn/sign_in", &cookie, &body));
        tokio::spawn(async move { router.oneshot(request).await.unwrap().status() })
    });
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(checked + limited, 60, "{statuses:?}");
    let limit = wharf::auth::sign_in::MAX_FAILURES_PER_ACCOUNT as usize;
    assert!(checked <= limit, "{checked} passwords checked");
    // One after another now: exactly as many more are checked as the limit has left.
    let mut more = 0;
    loop {
        let res = app.router().oneshot(post("/_fn/sign_in", &cookie, &body)).await.unwrap();
        match res.status() {
            StatusCode::UNAUTHORIZED => more += 1,
            StatusCode::TOO_MANY_REQUESTS => break,
            other => panic!("{other}"),
        }
        assert!(more <= limit, "more than the limit checked");
    }
    assert_eq!(checked + more, limit, "{checked} at once, then {more}");
    // And the right password is refused too while the account waits.
    let right = form(&[("csrf", &csrf), ("name", "ada"), ("password", "correct horse battery")]);
    let res = app.router().oneshot(post("/_fn/sign_in", &cookie, &right)).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// An error written into a link (`?__path=…&__err=…`) is not shown; the server's own
/// error of a plain form post still is.
async fn only_errors_the_server_signed_are_shown(engine: Engine) {
    use base64::Engine as _;
    let app = TestApp::builder(engine).build().await;
    user(&app, "ada").await;
    let forged =
        base64::engine::general_purpose::URL_SAFE.encode(br#"{"Refused":"Your account is locked: call +1 555 0100"}"#);
    let (status, page) = app.page_with(None, &format!("/_signin?__path=/_fn/sign_in&__err={forged}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("call +1 555 0100"), "the forged error was shown");

    // A plain form post (no JavaScript) with a wrong password comes back with its error.
    let (cookie, csrf) = app.session_for(None).await;
    let body = form(&[("csrf", &csrf), ("name", "ada"), ("password", "wrong password!")]);
    let mut request = post("/_fn/sign_in", &cookie, &body);
    request.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
    request.headers_mut().insert(header::REFERER, "http://wharf.test/_signin".parse().unwrap());
    let res = app.router().oneshot(request).await.unwrap();
    let location = res.headers().get(header::LOCATION).expect("back to the form").to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let path = location.strip_prefix("http://wharf.test").unwrap_or(&location);
    let (_, page) = app.page_with(Some(&cookie), path).await;
    assert!(page.contains("The user name or password is not right."), "{page}");
}

/// Every server function that can change something refuses, before it runs, a call without
/// the session's CSRF token: the column the authorization matrix has for such calls.
async fn state_changing_server_functions_need_the_csrf_token(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    let root = app.db().users().by_name("root").await.unwrap().0;
    let (cookie, _) = app.session_for(Some(&root)).await;
    let read_only = app::server::READ_ONLY_FNS;
    let guarded: Vec<String> = wharf::routes::inventory()
        .into_iter()
        .filter(|(method, path)| *method == Method::POST && path.starts_with("/_fn/"))
        .map(|(_, path)| path)
        .filter(|path| !read_only.contains(&path.as_str()))
        .collect();
    assert!(guarded.len() >= 12, "{guarded:?}");
    let feeds_before = app.db().feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(1)).await.unwrap().len();
    for path in &guarded {
        // Fields a real form would send, minus the token; and once with a wrong token.
        for csrf in [None, Some("not-the-token")] {
            let mut pairs =
                vec![("org", "default"), ("name", "x-feed"), ("visibility", "private"), ("scope", "organization")];
            if let Some(csrf) = csrf {
                pairs.push(("csrf", csrf));
            }
            let (status, _, text) = app.send_raw(post(path, &cookie, &form(&pairs))).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} with csrf {csrf:?}: {text}");
            assert!(text.contains("did not come from this Wharf page"), "{path}: {text}");
        }
    }
    let feeds_after = app.db().feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(1)).await.unwrap().len();
    assert_eq!(feeds_before, feeds_after, "a refused call changed something");
}

on_both_engines!(
    sign_in_goes_only_to_paths_of_this_site,
    concurrent_wrong_passwords_cannot_pass_the_limit,
    only_errors_the_server_signed_are_shown,
    state_changing_server_functions_need_the_csrf_token,
);
