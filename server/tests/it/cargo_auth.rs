//! The real `cargo` against Organization and Private feeds: tokens, roles, revocation.

use std::time::Duration;

use wharf::auth::{generate_token, hash_password};
use wharf_core::{Role, TokenScope};
use wharf_db::{NewToken, TokenRef, User};
use wharf_test_support::{Engine, upstream::LocalUpstream};

use crate::helpers::Caller;
use crate::running::{Options, RunningWharf, assert_ok, cargo, consumer_project};

struct Private {
    upstream: LocalUpstream,
    wharf: RunningWharf,
    work: tempfile::TempDir,
    project: std::path::PathBuf,
    feed_id: i64,
}

impl Private {
    async fn new(visibility: &str) -> Self {
        let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
        let options = Options {
            upstream_index: upstream.index_url(),
            ttl: Duration::from_secs(300),
            timeout: Duration::from_secs(2),
            tls: None,
            limits: Default::default(),
            clock: Default::default(),
        };
        let wharf = RunningWharf::start(Engine::Sqlite, options).await;
        let res = wharf
            .admin()
            .apply(wharf.http().post(wharf.url("/default/default/_apis/packaging/feeds")))
            .header("content-type", "application/json")
            .body(format!(r#"{{"name":"secret","visibility":"{visibility}","upstreamEnabled":true}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let scope = wharf.db.scopes().resolve("default", Some("default")).await.unwrap();
        let feed_id = wharf.db.feeds().get(&scope, "secret").await.unwrap().id;
        let work = tempfile::tempdir().unwrap();
        let project = work.path().join("consumer");
        consumer_project(&project, &wharf.index_url("secret"));
        Private { upstream, wharf, work, project, feed_id }
    }

    /// A user `name` with `role` on the feed and a read token named `cargo`.
    async fn user(&self, name: &str, role: Option<Role>) -> (User, Caller) {
        let user = self.wharf.db.users().create(name, &hash_password("a long password").unwrap(), false).await.unwrap();
        self.wharf.db.roles().set(self.feed_id, user.id, role).await.unwrap();
        let token = generate_token();
        let new = NewToken {
            user_id: user.id,
            name: "cargo",
            token_hash: &token.hash,
            prefix: &token.display_prefix,
            scope: TokenScope::Read,
            expires_at: None,
            parent_id: None,
        };
        self.wharf.db.tokens().create(&new).await.unwrap();
        (user, Caller::User { name: name.to_owned(), token: token.secret })
    }

    async fn cargo(&self, home: &str, args: &[&str], provider: bool) -> std::process::Output {
        let env: &[(&str, &str)] =
            if provider { &[("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token")] } else { &[] };
        cargo(&self.project, &self.work.path().join(home), args, env).await
    }

    async fn login(&self, home: &str, caller: &Caller) {
        let token = caller.token().expect("a caller with a token");
        let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut child = tokio::process::Command::new(cargo_bin)
            .args(["login", "--registry", "feed"])
            .current_dir(&self.project)
            .env("CARGO_HOME", self.work.path().join(home))
            .env("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token")
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt;
        child.stdin.take().unwrap().write_all(format!("{token}\n").as_bytes()).await.unwrap();
        let out = child.wait_with_output().await.unwrap();
        assert_ok(&out, "cargo login");
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_needs_a_live_token_for_a_private_feed() {
    let p = Private::new("private").await;
    let (ada, caller) = p.user("ada", Some(Role::Collaborator)).await;

    // No credential provider: cargo refuses before sending anything.
    let out = p.cargo("h1", &["generate-lockfile"], false).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("authenticated registries require a credential-provider to be configured"),
        "{}",
        stderr(&out)
    );

    // A provider but no token: the server's 401 sends cargo to `cargo login`.
    let out = p.cargo("h1", &["generate-lockfile"], true).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cargo login --registry feed"), "{err}");

    // Logged in: resolution and downloads work (and save into the feed).
    p.login("h1", &caller).await;
    assert_ok(&p.cargo("h1", &["generate-lockfile"], true).await, "generate-lockfile with a token");
    assert_ok(&p.cargo("h1", &["fetch"], true).await, "fetch with a token");
    assert_eq!(p.upstream.hits("/files/top/0.1.0/download"), 1);

    // Revoked behind the server's back (as `wharf admin revoke-token` does, from another
    // process): the running server notices the commit and refuses the token within 1 s.
    p.wharf.db.tokens().revoke(ada.id, TokenRef::Name("cargo")).await.unwrap();
    let index = p.wharf.url("/default/default/_packaging/secret/Cargo/index/3/t/top");
    let started = std::time::Instant::now();
    while caller.apply_cargo(p.wharf.http().get(&index)).send().await.unwrap().status() != 401 {
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "the revoked token still works");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let out = p.cargo("h1", &["generate-lockfile"], true).await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("401") && err.contains("invalid, expired or revoked"), "{err}");
    p.upstream.stop().await;
    p.wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_decide_reading_and_saving() {
    let p = Private::new("private").await;
    let (_, outsider) = p.user("eve", None).await;
    let (_, reader) = p.user("rita", Some(Role::Reader)).await;

    // A valid token without a role: the private feed is not there for it (404, so its name
    // cannot be probed).
    p.login("eve", &outsider).await;
    let out = p.cargo("eve", &["generate-lockfile"], true).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("config.json not found in registry"), "{}", stderr(&out));

    // A Reader resolves, but may not save new versions from the upstream.
    p.login("rita", &reader).await;
    assert_ok(&p.cargo("rita", &["generate-lockfile"], true).await, "generate-lockfile as a Reader");
    let out = p.cargo("rita", &["fetch"], true).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("rita has the reader role on this feed; this needs collaborator or more."),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.upstream.hits("/files/top/0.1.0/download"), 0, "nothing may be fetched for a Reader");
    p.upstream.stop().await;
    p.wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_answers_speak_cargo() {
    let p = Private::new("organization").await;
    let (_, mo) = p.user("mo", None).await;
    let member = mo.token().unwrap().to_owned();
    let http = p.wharf.http();
    let config = p.wharf.url("/default/default/_packaging/secret/Cargo/index/config.json");

    // Anonymous: 401 with the header that starts cargo's login flow.
    let res = http.get(&config).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let login_url = p.wharf.url("/_user/tokens");
    assert_eq!(res.headers()["www-authenticate"], format!("Cargo login_url=\"{login_url}\"").as_str());

    // Any member of the organization reads an Organization feed, however the token is sent.
    use base64::Engine;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("x:{member}")));
    for value in [member.clone(), format!("Bearer {member}"), basic] {
        let res = http.get(&config).header("authorization", value).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
        assert_eq!(body["auth-required"], true);
    }
    // A wrong token, or one with a wrong prefix: 401.
    for bad in ["wharf_0000", "ghp_abcdef"] {
        let res = Caller::raw_token(bad).apply_cargo(http.get(&config)).send().await.unwrap();
        assert_eq!(res.status(), 401);
    }
    let index = p.wharf.url("/default/default/_packaging/secret/Cargo/index/3/a/abc");
    assert_eq!(http.get(&index).send().await.unwrap().status(), 401);
    let dl = p.wharf.url("/default/default/_packaging/secret/Cargo/api/v1/crates/abc/1.0.0/download");
    assert_eq!(http.get(&dl).send().await.unwrap().status(), 401);
    assert_eq!(mo.apply_cargo(http.get(&index)).send().await.unwrap().status(), 200);
    p.upstream.stop().await;
    p.wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn public_feeds_can_stop_anonymous_saves() {
    let p = Private::new("public").await;
    let (_, collaborator) = p.user("cole", Some(Role::Collaborator)).await;
    let http = p.wharf.http();
    let res = p
        .wharf
        .admin()
        .apply(http.patch(p.wharf.url("/default/default/_apis/packaging/feeds/secret")))
        .header("content-type", "application/json")
        .body(r#"{"allowAnonymousSaves": false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let dl = p.wharf.url("/default/default/_packaging/secret/Cargo/api/v1/crates/abc/1.0.0/download");
    // Anyone reads the public index, but an anonymous download may not save a new version…
    let index = p.wharf.url("/default/default/_packaging/secret/Cargo/index/3/a/abc");
    assert_eq!(http.get(&index).send().await.unwrap().status(), 200);
    let res = http.get(&dl).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("is not saved in this feed yet, and you may not save it"));
    assert_eq!(p.upstream.hits("/files/abc/1.0.0/download"), 0);
    // …a Collaborator's may, and from then on everyone gets the saved file.
    assert_eq!(collaborator.apply_cargo(http.get(&dl)).send().await.unwrap().status(), 200);
    let res = http.get(&dl).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().as_ref() == p.upstream.crate_bytes("abc", "1.0.0").as_slice());
    p.upstream.stop().await;
    p.wharf.stop().await;
}
