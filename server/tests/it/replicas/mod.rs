//! Many replicas behave as one server: real `wharf serve` processes on one PostgreSQL
//! database and one S3 bucket, behind Debian's nginx, driven by the real cargo.

mod harness;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use harness::{Balancer, Cluster, DbProxy, free_port, stored_files, through_proxy};
use reqwest::StatusCode;
use serde_json::json;
use wharf_test_support::upstream::{CrateSpec, LocalUpstream, Mode, SAMPLE_RESOLVED};

use crate::{
    helpers::Caller,
    running::{assert_ok, cargo, consumer_project},
};

const FEEDS: &str = "/default/default/_apis/packaging/feeds";
const CARGO: &str = "/default/default/_packaging/team/Cargo";

/// Creates feed `team` through `base`.
async fn create_feed(http: &reqwest::Client, base: &str, caller: &Caller, visibility: &str, upstream: bool) {
    let res = caller
        .apply(http.post(format!("{base}{FEEDS}")))
        .header("content-type", "application/json")
        .body(json!({"name": "team", "visibility": visibility, "upstreamEnabled": upstream}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
}

/// Publishes `name` `version` through `base`.
async fn publish(http: &reqwest::Client, base: &str, caller: &Caller, name: &str, version: &str) {
    let spec = CrateSpec::new(name, version);
    let meta = json!({"name": name, "vers": version, "deps": [], "features": {}});
    let res = caller
        .apply_cargo(http.put(format!("{base}{CARGO}/api/v1/crates/new")))
        .body(wharf_test_support::publish_body(&meta, &spec.crate_file()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
}

/// What several tests start with: the local upstream, two replicas on it that hand out
/// `public_port` as their address, a token of an administrator, and a public feed `team`
/// with the upstream.
struct Pair {
    upstream: LocalUpstream,
    cluster: Cluster,
    a: harness::Replica,
    b: harness::Replica,
    root: Caller,
    http: reqwest::Client,
}

impl Pair {
    async fn start(public_port: u16) -> Self {
        let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
        let cluster = Cluster::new(&upstream.index_url(), public_port).await;
        let (a, b) = (cluster.replica(free_port()).await, cluster.replica(free_port()).await);
        let root = cluster.root().await;
        let http = reqwest::Client::new();
        create_feed(&http, &a.url(""), &root, "public", true).await;
        Pair { upstream, cluster, a, b, root, http }
    }
}

/// Polls `check` every 5 ms until it holds; how long that took (panics after `limit`).
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The index file of `mine` as one replica serves it to `caller`.
async fn index_of(http: &reqwest::Client, base: &str, caller: &Caller) -> (StatusCode, String) {
    let res = caller.apply_cargo(http.get(format!("{base}{CARGO}/index/mi/ne/mine"))).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Three replicas started at once on an empty database; every kind of change made on one
/// (publish, yank, delete, restore, feed settings, roles, token revocations) is in the
/// others' answers within a second, although each had the old answer cached (the caches'
/// safety-net TTL is 5 s: only the change events can do it this fast).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_every_replica_at_once() {
    let lb_port = free_port();
    let cluster = Cluster::new("http://127.0.0.1:9/index/", lb_port).await;
    let replicas: Vec<_> = (0..3).map(|_| cluster.spawn_replica(free_port())).collect();
    for r in &replicas {
        r.wait_ready().await;
    }
    let balancer = Balancer::start(lb_port, &replicas.iter().map(|r| r.port).collect::<Vec<_>>()).await;
    let root = cluster.root().await;
    let http = reqwest::Client::new();
    let (a, b, c) = (replicas[0].url(""), replicas[1].url(""), replicas[2].url(""));
    create_feed(&http, &a, &root, "public", false).await;
    publish(&http, &a, &root, "mine", "1.0.0").await;
    let limit = Duration::from_secs(1);
    let mut latencies = Vec::new();

    // A publish on A: B and C, which served the old file, serve the new one.
    for base in [&b, &c] {
        assert!(index_of(&http, base, &Caller::Anonymous).await.1.contains("\"1.0.0\""));
    }
    publish(&http, &a, &root, "mine", "1.1.0").await;
    for base in [&b, &c] {
        latencies.push(
            within(limit, "a publish on another replica", || async {
                index_of(&http, base, &Caller::Anonymous).await.1.contains("\"1.1.0\"")
            })
            .await,
        );
    }

    // The real cargo publishes 1.2.0 through nginx (round-robin: the config.json, the
    // upload and cargo's polling of the index each land on any replica); every replica
    // shows it within the second, whichever took the upload.
    let work = tempfile::tempdir().unwrap();
    let krate = work.path().join("mine");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::create_dir_all(krate.join(".cargo")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"mine\"\nversion = \"1.2.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"m\"\n",
    )
    .unwrap();
    std::fs::write(krate.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
    std::fs::write(
        krate.join(".cargo/config.toml"),
        format!("[registries]\nteam = {{ index = \"sparse+{}\" }}\n", balancer.url(&format!("{CARGO}/index/"))),
    )
    .unwrap();
    let env = [
        ("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token"),
        ("CARGO_REGISTRIES_TEAM_TOKEN", root.token().unwrap()),
    ];
    let out = cargo(&krate, &work.path().join("home"), &["publish", "--registry", "team", "--no-verify"], &env).await;
    assert_ok(&out, "cargo publish through the balancer");
    for base in [&a, &b, &c] {
        latencies.push(
            within(limit, "a cargo publish on another replica", || async {
                index_of(&http, base, &Caller::Anonymous).await.1.contains("\"1.2.0\"")
            })
            .await,
        );
    }

    // A yank on B: A and C show it.
    let res = root.apply_cargo(http.delete(format!("{b}{CARGO}/api/v1/crates/mine/1.0.0/yank"))).send();
    assert_eq!(res.await.unwrap().status(), StatusCode::OK);
    for base in [&a, &c] {
        latencies.push(
            within(limit, "a yank on another replica", || async {
                index_of(&http, base, &Caller::Anonymous)
                    .await
                    .1
                    .lines()
                    .any(|l| l.contains("\"1.0.0\"") && l.contains("\"yanked\":true"))
            })
            .await,
        );
    }

    // A version deleted on C leaves A's and B's index; restored on A, it is back on B and C.
    let version = format!("{c}{FEEDS}/team/packages/mine/versions/1.1.0");
    let res = root.apply(http.delete(version)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for base in [&a, &b] {
        latencies.push(
            within(limit, "a delete on another replica", || async {
                !index_of(&http, base, &Caller::Anonymous).await.1.contains("\"1.1.0\"")
            })
            .await,
        );
    }
    let restore = format!("{a}{FEEDS}/team/recycle-bin/mine/versions/1.1.0/restore");
    let res = root.apply(http.post(restore)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for base in [&b, &c] {
        latencies.push(
            within(limit, "a restore on another replica", || async {
                index_of(&http, base, &Caller::Anonymous).await.1.contains("\"1.1.0\"")
            })
            .await,
        );
    }

    // Feed settings on C: the feed turns private, and A and B stop serving it anonymously.
    let res = root
        .apply(http.patch(format!("{c}{FEEDS}/team")))
        .header("content-type", "application/json")
        .body(json!({"visibility": "private"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    for base in [&a, &b] {
        latencies.push(
            within(limit, "feed settings on another replica", || async {
                index_of(&http, base, &Caller::Anonymous).await.0 == StatusCode::UNAUTHORIZED
            })
            .await,
        );
    }

    // A role granted on A lets bob read the private feed on B, where he was just refused.
    cluster.admin(&["create-user", "--name", "bob", "--password-stdin"], Some("bob's long password\n")).await;
    let out = cluster.admin(&["create-token", "--user", "bob", "--name", "bob", "--scope", "read"], None).await;
    let bob = Caller::User { name: "bob".into(), token: out.lines().last().unwrap().trim().to_owned() };
    assert_eq!(index_of(&http, &b, &bob).await.0, StatusCode::NOT_FOUND, "no role yet");
    let res = root
        .apply(http.patch(format!("{a}{FEEDS}/team/permissions")))
        .header("content-type", "application/json")
        .body(json!([{"user": "bob", "role": "reader"}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    latencies.push(
        within(limit, "a role granted on another replica", || async {
            index_of(&http, &b, &bob).await.0 == StatusCode::OK
        })
        .await,
    );

    // A token revoked on A stops working on B and C, where it was just used.
    let res = root
        .apply(http.post(format!("{a}/_apis/tokens")))
        .header("content-type", "application/json")
        .body(json!({"name": "ci", "scope": "read"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    let ci = Caller::raw_token(created["token"].as_str().unwrap());
    for base in [&b, &c] {
        assert_eq!(index_of(&http, base, &ci).await.0, StatusCode::OK);
    }
    let id = created["id"].as_i64().unwrap();
    let res = root.apply(http.delete(format!("{a}/_apis/tokens/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(index_of(&http, &a, &ci).await.0, StatusCode::UNAUTHORIZED, "at once on its own replica");
    for base in [&b, &c] {
        latencies.push(
            within(limit, "a revocation on another replica", || async {
                index_of(&http, base, &ci).await.0 == StatusCode::UNAUTHORIZED
            })
            .await,
        );
    }
    // So does one revoked with `wharf admin` from another process.
    let out = cluster.admin(&["create-token", "--user", "root", "--name", "cli", "--scope", "read"], None).await;
    let cli = Caller::User { name: "root".into(), token: out.lines().last().unwrap().trim().to_owned() };
    assert_eq!(index_of(&http, &b, &cli).await.0, StatusCode::OK);
    cluster.admin(&["revoke-token", "--user", "root", "--name", "cli"], None).await;
    latencies.push(
        within(limit, "a revocation by wharf admin", || async {
            index_of(&http, &b, &cli).await.0 == StatusCode::UNAUTHORIZED
        })
        .await,
    );
    let slowest = latencies.iter().max().unwrap();
    println!("change → other replicas: slowest {slowest:?} of {latencies:?}");
    balancer.stop().await;
    for r in replicas {
        assert!(r.terminate().await.success());
    }
    cluster.db.remove().await;
}

/// The dependency-confusion guard's setting, changed on one replica, is in the other's
/// index within a second (it had the guarded file cached).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guard_settings_reach_every_replica_at_once() {
    let Pair { upstream, cluster, a, b, root, http } = Pair::start(free_port()).await;
    // The team's own `serde` hides the upstream's (1.0.200) on both replicas.
    publish(&http, &a.url(""), &root, "serde", "9.0.0").await;
    let serde = |base: String| {
        let http = http.clone();
        async move { http.get(format!("{base}{CARGO}/index/se/rd/serde")).send().await.unwrap().text().await.unwrap() }
    };
    within(Duration::from_secs(1), "the guard on B", || async {
        let body = serde(b.url("")).await;
        body.contains("\"9.0.0\"") && !body.contains("1.0.200")
    })
    .await;
    let res = root
        .apply(http.patch(format!("{}{FEEDS}/team/packages/serde", a.url(""))))
        .header("content-type", "application/json")
        .body(r#"{"allowExternalVersions": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let took = within(Duration::from_secs(1), "a guard setting on another replica", || async {
        serde(b.url("")).await.contains("1.0.200")
    })
    .await;
    println!("guard setting → other replica: {took:?}");
    a.terminate().await;
    b.terminate().await;
    upstream.stop().await;
    cluster.db.remove().await;
}

/// Two replicas save the same upstream file at the same moment, eight requests each: every
/// client gets the file, the bucket holds one copy and the feed one row; the download
/// counts of both replicas reach the database when they stop (SIGTERM flushes them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_saves_store_one_copy_and_one_row_and_every_download_counts() {
    let Pair { upstream, cluster, a, b, http, .. } = Pair::start(free_port()).await;
    upstream.set_mode(Mode::Slow(300));
    let path = format!("{CARGO}/api/v1/crates/top/0.1.0/download");
    let requests = (0..16).map(|i| {
        let url = if i % 2 == 0 { a.url(&path) } else { b.url(&path) };
        let http = http.clone();
        tokio::spawn(async move {
            let res = http.get(url).send().await.unwrap();
            (res.status(), res.bytes().await.unwrap().to_vec())
        })
    });
    let expected = upstream.crate_bytes("top", "0.1.0");
    for request in requests.collect::<Vec<_>>() {
        let (status, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        assert!(body == expected, "a client got other bytes than the upstream's");
    }
    let cksum = upstream.cksum("top", "0.1.0");
    assert_eq!(stored_files(&cluster.bucket, "crates-of-tests").await, vec![cksum.clone()], "one copy");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM package_versions WHERE cksum = $1")
        .bind(&cksum)
        .fetch_one(&db_pool(&cluster).await)
        .await
        .unwrap();
    assert_eq!(rows, 1, "one row");
    let fetches = upstream.hits("/files/top/0.1.0/download");
    assert!((1..=2).contains(&fetches), "at most one upstream fetch per replica, not {fetches}");

    assert!(a.terminate().await.success());
    assert!(b.terminate().await.success());
    let downloads: i64 = sqlx::query_scalar("SELECT downloads FROM package_versions WHERE cksum = $1")
        .bind(&cksum)
        .fetch_one(&db_pool(&cluster).await)
        .await
        .unwrap();
    assert_eq!(downloads, 16, "every replica's downloads counted, none lost");
    upstream.stop().await;
    cluster.db.remove().await;
}

async fn db_pool(cluster: &Cluster) -> sqlx::PgPool {
    sqlx::PgPool::connect(&cluster.db.url).await.unwrap()
}

/// A build through nginx saves its crates into the bucket, and still succeeds when one of
/// the two replicas is killed (`kill -9`) in the middle of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_through_the_balancer_survives_kill_9_and_saves_into_the_bucket() {
    let lb_port = free_port();
    let Pair { upstream, cluster, a, b, .. } = Pair::start(lb_port).await;
    let balancer = Balancer::start(lb_port, &[a.port, b.port]).await;

    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("consumer");
    consumer_project(&project, &format!("sparse+{}", balancer.url(&format!("{CARGO}/index/"))));
    // Every upstream answer is late, so that the kill lands while cargo is downloading.
    upstream.set_mode(Mode::Slow(150));
    let home = work.path().join("home");
    let fetch = {
        let (project, home) = (project.clone(), home.clone());
        tokio::spawn(async move { cargo(&project, &home, &["fetch"], &[("CARGO_NET_RETRY", "2")]).await })
    };
    // The kill lands once cargo is downloading (the first crate file was asked of the
    // upstream), not while it still reads config.json: a response nginx has begun to
    // pass on cannot be retried, and cargo does not retry config.json.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !upstream.requests().iter().any(|path| path.starts_with("/files/")) {
        assert!(std::time::Instant::now() < deadline, "cargo never started downloading: {:?}", upstream.requests());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().await;
    let out = fetch.await.unwrap();
    assert_ok(&out, "cargo fetch through the balancer while a replica was killed");

    let mut expected: Vec<String> = SAMPLE_RESOLVED.iter().map(|(n, v)| upstream.cksum(n, v)).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(stored_files(&cluster.bucket, "crates-of-tests").await, expected, "every crate in the bucket");
    // The surviving replica serves the same build from the bucket, with the upstream gone.
    upstream.stop().await;
    let out = cargo(&project, &work.path().join("home2"), &["fetch", "--locked"], &[]).await;
    assert_ok(&out, "cargo fetch through the surviving replica, upstream down");
    balancer.stop().await;
    assert!(b.terminate().await.success());
    cluster.db.remove().await;
}

/// Replicas restarted one after the other (SIGTERM, drain, start again) while cargo keeps
/// resolving and fetching through nginx: not one cargo run fails, with cargo's retries off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_fails_no_cargo_request() {
    let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
    let lb_port = free_port();
    let cluster = Cluster::new(&upstream.index_url(), lb_port).await;
    let ports = [free_port(), free_port()];
    let mut replicas = vec![cluster.replica(ports[0]).await, cluster.replica(ports[1]).await];
    let balancer = Balancer::start(lb_port, &ports).await;
    let root = cluster.root().await;
    create_feed(&reqwest::Client::new(), &balancer.url(""), &root, "public", true).await;

    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("consumer");
    consumer_project(&project, &format!("sparse+{}", balancer.url(&format!("{CARGO}/index/"))));
    let stop = Arc::new(AtomicBool::new(false));
    let runs = Arc::new(AtomicUsize::new(0));
    let load = {
        let (stop, runs, project, root) = (stop.clone(), runs.clone(), project.clone(), work.path().to_owned());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Acquire) {
                let n = runs.fetch_add(1, Ordering::AcqRel);
                // A fresh cargo home each time: every index file and crate is asked for.
                let home = root.join(format!("home-{n}"));
                let _ = std::fs::remove_file(project.join("Cargo.lock"));
                let out = cargo(&project, &home, &["fetch"], &[]).await;
                if !out.status.success() {
                    failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
                }
            }
            failures
        })
    };
    for port in ports {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let old = replicas.remove(0);
        assert!(old.terminate().await.success(), "replica {port} stopped cleanly");
        replicas.push(cluster.replica(port).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Release);
    let failures = load.await.unwrap();
    let runs = runs.load(Ordering::Acquire);
    assert!(failures.is_empty(), "{} of {runs} cargo runs failed:\n{}", failures.len(), failures.join("\n---\n"));
    assert!(runs >= 3, "only {runs} cargo runs during the restarts");
    balancer.stop().await;
    for r in replicas {
        r.terminate().await;
    }
    upstream.stop().await;
    cluster.db.remove().await;
}

/// SIGTERM: `/_ready` answers 503 at once while the replica still serves requests for
/// its drain time, then it stops cleanly; `/_health` (liveness) stays 200 meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_before_stopping() {
    let cluster = Cluster::new("http://127.0.0.1:9/index/", free_port()).await;
    let replica = cluster.replica(free_port()).await;
    let http = reqwest::Client::new();
    let status = |path: &str| {
        let (http, url) = (http.clone(), replica.url(path));
        async move { http.get(url).send().await.map(|r| r.status()).ok() }
    };
    assert_eq!(status("/_ready").await, Some(StatusCode::OK));
    replica.signal_term();
    within(Duration::from_millis(500), "/_ready says it drains", || async {
        status("/_ready").await == Some(StatusCode::SERVICE_UNAVAILABLE)
    })
    .await;
    let res = http.get(replica.url("/_ready")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "draining: this replica is stopping\n");
    assert_eq!(status("/_health").await, Some(StatusCode::OK), "still alive while draining");
    assert_eq!(status(FEEDS).await, Some(StatusCode::OK), "still serving while draining");
    assert!(replica.wait_exit().await.success());
    cluster.db.remove().await;
}

/// PostgreSQL goes away for 10 s under a replica: it answers 503 with a message that says
/// so (and `/_ready` says it is not ready), then recovers by itself, changes from other
/// replicas included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_away_for_ten_seconds() {
    let mut cluster = Cluster::new("http://127.0.0.1:9/index/", free_port()).await;
    let direct = cluster.replica(free_port()).await;
    let pg_port = cluster.db.url.rsplit_once(':').and_then(|(_, p)| p.split('/').next()?.parse().ok()).unwrap_or(5432);
    let proxy = DbProxy::start(pg_port).await;
    cluster.database_url = through_proxy(&cluster.db.url, &proxy);
    let behind = cluster.replica(free_port()).await;
    let root = cluster.root().await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    create_feed(&http, &direct.url(""), &root, "public", false).await;
    publish(&http, &direct.url(""), &root, "mine", "1.0.0").await;
    assert!(index_of(&http, &behind.url(""), &Caller::Anonymous).await.1.contains("1.0.0"));

    proxy.cut();
    let away = Instant::now();
    let mut answers = 0;
    while away.elapsed() < Duration::from_secs(10) {
        let asked = Instant::now();
        let res = root.apply(http.get(behind.url(FEEDS))).send().await.unwrap();
        assert!(asked.elapsed() < Duration::from_secs(6), "an answer took {:?}", asked.elapsed());
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = res.text().await.unwrap();
        assert!(body.contains("database"), "{body}");
        let ready = http.get(behind.url("/_ready")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        answers += 1;
    }
    assert!(answers >= 2);
    proxy.restore();
    within(Duration::from_secs(10), "the replica recovers", || async {
        http.get(behind.url("/_ready")).send().await.unwrap().status() == StatusCode::OK
    })
    .await;
    let res = root.apply(http.get(behind.url(FEEDS))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // It listens for changes again: a publish on the other replica shows well before the
    // caches' 5 s safety net.
    assert!(index_of(&http, &behind.url(""), &Caller::Anonymous).await.1.contains("1.0.0"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    publish(&http, &direct.url(""), &root, "mine", "1.1.0").await;
    within(Duration::from_secs(2), "a change after the database came back", || async {
        index_of(&http, &behind.url(""), &Caller::Anonymous).await.1.contains("1.1.0")
    })
    .await;
    behind.terminate().await;
    direct.terminate().await;
    cluster.db.remove().await;
}

/// Housekeeping runs on one replica at a time: the job lock is exclusive across
/// connections (replicas), and free again once released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_runs_on_one_replica_at_a_time() {
    let test_db = wharf_test_support::TestDatabase::new(wharf_test_support::Engine::Postgres).await;
    let (one, two) =
        (wharf_db::Db::connect(&test_db.url).await.unwrap(), wharf_db::Db::connect(&test_db.url).await.unwrap());
    let attempts = (0..8).map(|i| {
        let db = if i % 2 == 0 { one.clone() } else { two.clone() };
        tokio::spawn(async move { db.try_job_lock("purge").await.unwrap() })
    });
    let mut held = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        if let Some(lock) = attempt.await.unwrap() {
            held.push(lock);
        }
    }
    assert_eq!(held.len(), 1, "exactly one of 8 concurrent attempts holds the lock");
    assert!(two.try_job_lock("purge").await.unwrap().is_none());
    assert!(two.try_job_lock("sessions").await.unwrap().is_some(), "another job is another lock");
    for lock in held {
        lock.release().await;
    }
    assert!(two.try_job_lock("purge").await.unwrap().is_some(), "free once released");
    one.close().await;
    two.close().await;
    test_db.remove().await;
}
