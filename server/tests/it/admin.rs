//! `wharf admin …` with the real binary, against the database of a running server.

use std::{io::Write, process::Stdio};

use wharf_test_support::{Engine, TestDatabase, on_both_engines};

use crate::helpers::TestApp;

/// Runs `wharf admin ARGS` on `db`, with `stdin`; returns (success, stdout, stderr).
pub(crate) fn admin(db: &TestDatabase, args: &[&str], stdin: &str) -> (bool, String, String) {
    run(db, args, stdin, false)
}

/// The same, with `--data-dir` and `--database-url` after the subcommand's own arguments.
fn admin_after(db: &TestDatabase, args: &[&str], stdin: &str) -> (bool, String, String) {
    run(db, args, stdin, true)
}

fn run(db: &TestDatabase, args: &[&str], stdin: &str, store_last: bool) -> (bool, String, String) {
    let data_dir = db.dir.path().join("data");
    let store = ["--data-dir", data_dir.to_str().unwrap(), "--database-url", &db.url];
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
    command.arg("admin");
    if store_last {
        command.args(args).args(store);
    } else {
        command.args(store).args(args);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run wharf admin");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn accounts_and_tokens_from_the_command_line(engine: Engine) {
    // A server is up on the same database the whole time.
    let app = TestApp::builder(engine).build().await;
    let db = app.test_db();

    let (ok, out, err) =
        admin(db, &["create-user", "--name", "ada", "--password-stdin", "--admin"], "hunter2hunter2\n");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "Created administrator 'ada', a member of organization 'default'.");
    let (ok, _, err) = admin(db, &["create-user", "--name", "ADA", "--password-stdin"], "another password\n");
    assert!(!ok);
    assert!(err.contains("A user named 'ADA' already exists."), "{err}");
    let (ok, _, err) = admin(db, &["create-user", "--name", "bob", "--password-stdin"], "short\n");
    assert!(!ok && err.contains("at least 8 characters"), "{err}");
    let (ok, _, err) = admin(db, &["create-user", "--name", "bob"], "");
    assert!(!ok && err.contains("--password-stdin"), "{err}");

    // The stored password is an Argon2id hash of exactly what came on stdin (one newline stripped).
    let (user, hash) = app.db().users().by_name("ada").await.unwrap();
    assert!(user.is_admin && hash.starts_with("$argon2id$"));
    assert!(wharf::auth::verify_password("hunter2hunter2", &hash));

    let (ok, out, err) =
        admin(db, &["create-token", "--user", "ada", "--name", "ci", "--scope", "read", "--expires-days", "7"], "");
    assert!(ok, "{err}");
    let token = out.trim_end().lines().last().unwrap().to_owned();
    assert!(token.starts_with("wharf_") && token.len() == 70, "{out}");
    let hash = wharf::auth::hash_token(&token);
    let (info, owner) = app.db().tokens().authenticate(&hash).await.unwrap().expect("the token works");
    assert_eq!((info.name.as_str(), owner.name.as_str()), ("ci", "ada"));
    assert!(info.expires_at.is_some());
    // Only a short prefix of the token is kept in the clear, to recognise it in listings.
    let listed = app.db().tokens().list(user.id).await.unwrap();
    assert_eq!(listed[0].prefix, token[..12]);

    let (ok, _, err) = admin(db, &["create-token", "--user", "nobody", "--name", "x", "--scope", "write"], "");
    assert!(!ok && err.contains("User 'nobody' does not exist."), "{err}");
    let (ok, _, err) = admin(db, &["create-token", "--user", "ada", "--name", "x", "--scope", "everything"], "");
    assert!(!ok && err.contains("use read or write"), "{err}");

    let (ok, out, err) = admin(db, &["revoke-token", "--user", "ada", "--name", "ci"], "");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "Revoked token 'ci' of ada.");
    assert!(app.db().tokens().authenticate(&hash).await.unwrap().is_none(), "a revoked token still works");
    let (ok, _, err) = admin(db, &["revoke-token", "--user", "ada", "--name", "ci"], "");
    assert!(!ok && err.contains("No live token named 'ci'."), "{err}");

    // The store flags may also follow the subcommand.
    let (ok, out, err) = admin_after(db, &["create-user", "--name", "cy", "--password-stdin"], "a long password\n");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "Created user 'cy', a member of organization 'default'.");
    assert!(app.db().users().by_name("cy").await.is_ok());
}

on_both_engines!(accounts_and_tokens_from_the_command_line);
