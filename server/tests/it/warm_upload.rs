//! The Warm page's upload refuses bad input with a 4xx and a message a person can act on,
//! answering the page again, and starts no job: not signed in, a wrong CSRF token, not a
//! multipart form, no file, a file too large, not text, not a lockfile, a feed with no
//! upstream. (The accepted upload is driven in the browser tests.)

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;
use sqlx::Row;
use wharf_test_support::{Engine, on_both_engines};

use crate::helpers::TestApp;

const PAGE: &str = "/default/default/_artifacts/feed/{feed}/warm";

fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, bytes) in fields {
        body.extend_from_slice(b"--b0undary\r\n");
        match file {
            Some(file) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\r\n").as_bytes(),
            ),
            None => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes())
            }
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b0undary--\r\n");
    body
}

/// (feed, cookie, content type, body, the status, what the answer says).
type Case<'a> = (&'a str, &'a str, &'a str, Vec<u8>, StatusCode, &'a str);

async fn jobs(app: &TestApp) -> i64 {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM warm_jobs").fetch_one(app.db().pool()).await.unwrap();
    row.try_get("n").unwrap()
}

async fn an_upload_that_cannot_start_a_job_says_why_and_starts_none(engine: Engine) {
    let app = TestApp::builder(engine).build().await;
    for (name, upstream) in [("mirror", true), ("alone", false)] {
        let body = json!({"name": name, "visibility": "public", "upstreamEnabled": upstream});
        let res = app.json(Method::POST, "/default/default/_apis/packaging/feeds", body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    }
    let (root, _) = app.db().users().by_name("root").await.unwrap();
    let (cookie, csrf) = app.session_for(Some(&root)).await;
    let (visitor, visitor_csrf) = app.session_for(None).await;
    let lockfile = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\
                    source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
                    checksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
    let big = vec![b'#'; 5 * 1024 * 1024];
    let multipart_type = "multipart/form-data; boundary=b0undary";
    let cases: Vec<Case> = vec![
        (
            "mirror",
            &visitor,
            multipart_type,
            multipart(&[
                ("csrf", None, visitor_csrf.as_bytes()),
                ("lockfile", Some("Cargo.lock"), lockfile.as_bytes()),
            ]),
            StatusCode::SEE_OTHER,
            "",
        ),
        (
            "mirror",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, b"not the token"), ("lockfile", Some("Cargo.lock"), lockfile.as_bytes())]),
            StatusCode::FORBIDDEN,
            "expired",
        ),
        ("mirror", &cookie, "text/plain", lockfile.as_bytes().to_vec(), StatusCode::BAD_REQUEST, "multipart/form-data"),
        (
            "mirror",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, csrf.as_bytes())]),
            StatusCode::BAD_REQUEST,
            "Choose a Cargo.lock",
        ),
        (
            "mirror",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, csrf.as_bytes()), ("lockfile", Some("Cargo.lock"), &big)]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "at most 4 MiB",
        ),
        (
            "mirror",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, csrf.as_bytes()), ("lockfile", Some("Cargo.lock"), &[0xff, 0xfe, 0x00])]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not UTF-8 text",
        ),
        (
            "mirror",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, csrf.as_bytes()), ("lockfile", Some("Cargo.lock"), b"not = [a lockfile")]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a Cargo.lock",
        ),
        (
            "alone",
            &cookie,
            multipart_type,
            multipart(&[("csrf", None, csrf.as_bytes()), ("lockfile", Some("Cargo.lock"), lockfile.as_bytes())]),
            StatusCode::CONFLICT,
            "has no upstream source",
        ),
    ];
    for (feed, cookie, content_type, body, status, says) in cases {
        let req = Request::builder()
            .method(Method::POST)
            .uri(PAGE.replace("{feed}", feed))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (got, location, text) = app.send_raw(req).await;
        assert_eq!(got, status, "{says}: {text}");
        if status == StatusCode::SEE_OTHER {
            assert!(location.unwrap_or_default().starts_with("/_signin?next="), "sent to sign in");
        } else {
            assert!(text.contains(says), "{status}: the page says why ({says}): {text}");
            assert!(text.contains("id=\"form-error\""), "the reason is above the form");
        }
    }
    assert_eq!(jobs(&app).await, 0, "no job was started");
}

on_both_engines!(an_upload_that_cannot_start_a_job_says_why_and_starts_none);
