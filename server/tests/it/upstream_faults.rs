//! The upstream fault matrix, with the real cargo: whatever the upstream does, the feed
//! answers in bounded time, keeps nothing bad, serves the stale copy where it has one, and
//! otherwise gives an error a person understands.

use std::time::{Duration, Instant};

use wharf_test_support::{
    Engine,
    upstream::{Canned, LocalUpstream, Mode, index_path},
};

use crate::running::{Options, RunningWharf, assert_ok, cargo, consumer_project};

/// How long any answer may take: the upstream timeout (2 s) and some slack.
const BOUND: Duration = Duration::from_secs(6);

struct Faults {
    upstream: LocalUpstream,
    wharf: RunningWharf,
    work: tempfile::TempDir,
}

impl Faults {
    /// A feed whose upstream copies are always due for revalidation (TTL zero), so every
    /// request meets the fault.
    async fn new() -> Self {
        let upstream = LocalUpstream::start(LocalUpstream::sample_crates()).await;
        let options = Options {
            upstream_index: upstream.index_url(),
            ttl: Duration::ZERO,
            timeout: Duration::from_secs(2),
            tls: None,
            // A 1 GB .crate is refused after 1 MiB, not after the default 128 MiB.
            limits: wharf::config::UpstreamLimits { crate_file: 1 << 20, ..Default::default() },
            clock: Default::default(),
        };
        let wharf = RunningWharf::start(Engine::Sqlite, options).await;
        wharf.create_feed("team", true).await;
        Faults { upstream, wharf, work: tempfile::tempdir().unwrap() }
    }

    /// GET of a feed path: status, body, and how long it took (checked against [`BOUND`]).
    async fn get(&self, path: &str) -> (u16, String) {
        let started = Instant::now();
        let res = self.wharf.http().get(self.wharf.url(&format!("/default/default/_packaging/team/Cargo/{path}")));
        let res = res.send().await.unwrap();
        let answer = (res.status().as_u16(), res.text().await.unwrap());
        assert!(started.elapsed() < BOUND, "{path} took {:?}", started.elapsed());
        answer
    }

    /// A consumer of `top` with its own cargo home, through the feed.
    async fn cargo(&self, home: &str, args: &[&str]) -> std::process::Output {
        let project = self.work.path().join("consumer");
        if !project.exists() {
            consumer_project(&project, &self.wharf.index_url("team"));
        }
        cargo(&project, &self.work.path().join(home), args, &[]).await
    }
}

/// The index faults, each once with a stale copy to fall back on and once without.
fn index_faults() -> Vec<(&'static str, Canned)> {
    vec![
        ("500", Canned::Status { status: 500, retry_after: None }),
        ("503", Canned::Status { status: 503, retry_after: None }),
        ("reset in the middle of the body", Canned::CutOff { declared: 10_000, sent: 100 }),
        (
            "an HTML page with status 200",
            Canned::Body { content_type: "text/html", body: "<html><body>Please sign in</body></html>\n".into() },
        ),
        (
            "malformed index lines",
            Canned::Body { content_type: "text/plain", body: "{\"name\": 1}\nnot json\n".into() },
        ),
        ("a slow drip of 1 byte/s", Canned::Drip),
        ("a 1 GB body", Canned::Filler(1 << 30)),
        // Last: after it, the copy is not asked for again for 30 s.
        ("429 with Retry-After", Canned::Status { status: 429, retry_after: Some(30) }),
    ]
}

/// Crates of the sample that nothing asked for yet: one per fault, with no copy kept.
const FRESH: [&str; 9] =
    ["a", "ab", "abc", "upper_leaf", "chain-mid", "real-name", "unix-only", "build-helper", "meta"];

#[tokio::test(flavor = "multi_thread")]
async fn index_faults_serve_the_stale_copy_or_a_clear_error() {
    let f = Faults::new().await;
    let (status, good) = f.get("index/3/t/top").await;
    assert_eq!(status, 200, "{good}");
    assert!(good.contains("\"0.1.0\""), "{good}");

    for ((what, canned), fresh) in index_faults().into_iter().zip(FRESH) {
        // With a copy: the copy, unchanged.
        f.upstream.answer("/index/3/t/top", canned.clone());
        let (status, body) = f.get("index/3/t/top").await;
        assert_eq!((status, body.as_str()), (200, good.as_str()), "{what}: the stale copy");
        // Without one: 503 naming the crate and the upstream's failure.
        let path = index_path(fresh);
        f.upstream.answer(&format!("/index/{path}"), canned);
        let (status, body) = f.get(&format!("index/{path}")).await;
        assert_eq!(status, 503, "{what}: {body}");
        assert!(body.contains(fresh) && body.contains("upstream"), "{what}: {body}");
        f.upstream.clear_answer("/index/3/t/top");
        f.upstream.clear_answer(&format!("/index/{path}"));
        // Nothing poisoned: with the upstream fine again, the copy is the real file.
        let (status, body) = f.get("index/3/t/top").await;
        assert_eq!((status, body.as_str()), (200, good.as_str()), "{what}: after the fault");
    }
    // A failure without a copy is remembered for 10 s; past that, the real files.
    tokio::time::sleep(Duration::from_secs(11)).await;
    for fresh in &FRESH[..index_faults().len()] {
        let (status, body) = f.get(&format!("index/{}", index_path(fresh))).await;
        assert_eq!(status, 200, "{fresh}: {body}");
        assert_eq!(body, f.upstream.index_file(fresh), "{fresh}: not the upstream's file");
    }

    // The real cargo resolves through every fault, from the stale copies.
    assert_ok(&f.cargo("h0", &["generate-lockfile"]).await, "generate-lockfile before the faults");
    for (i, (what, canned)) in index_faults().into_iter().enumerate() {
        f.upstream.answer("/index/3/t/top", canned);
        let out = f.cargo(&format!("h{}", i + 1), &["generate-lockfile"]).await;
        assert_ok(&out, &format!("generate-lockfile with the upstream giving {what}"));
        f.upstream.clear_answer("/index/3/t/top");
    }
    f.upstream.stop().await;
    f.wharf.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crate_faults_save_nothing_and_say_why() {
    let f = Faults::new().await;
    assert_ok(&f.cargo("h0", &["generate-lockfile"]).await, "generate-lockfile");
    let download = "api/v1/crates/top/0.1.0/download";
    let upstream_file = "/files/top/0.1.0/download";
    let faults = [
        ("500", Canned::Status { status: 500, retry_after: None }, "500"),
        ("429 with Retry-After", Canned::Status { status: 429, retry_after: Some(30) }, "429"),
        ("a truncated .crate", Canned::CutOff { declared: 50_000, sent: 1_000 }, "could not be saved"),
        ("a 1 GB .crate", Canned::Filler(1 << 30), "larger than"),
    ];
    for (what, canned, says) in faults {
        f.upstream.answer(upstream_file, canned);
        let (status, body) = f.get(download).await;
        assert!((500..600).contains(&status), "{what}: {status} {body}");
        assert!(body.contains(says) && body.contains("top"), "{what}: {body}");
        let out = f.cargo("h-fail", &["fetch"]).await;
        assert!(!out.status.success(), "{what}: cargo fetch succeeded");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{what}: cargo says:\n{stderr}");
        f.upstream.clear_answer(upstream_file);
        let feed = f.wharf.db.feeds().list(wharf_db::feeds::FeedFilter::WholeOrganization(1)).await.unwrap()[0].id;
        assert!(
            f.wharf.db.packages().find_version(feed, "top", "0.1.0").await.unwrap().is_none(),
            "{what}: a version was recorded"
        );
    }
    // Wrong checksum.
    f.upstream.set_mode(Mode::CorruptCrates);
    let (status, body) = f.get(download).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("sha256"), "{body}");
    f.upstream.set_mode(Mode::Normal);
    // Nothing poisoned: the real file now.
    let (status, _) = f.get(download).await;
    assert_eq!(status, 200);
    assert_ok(&f.cargo("h-ok", &["fetch"]).await, "fetch once the upstream is fine");
    // Connection refused: what was saved still downloads; what was not, says so.
    f.upstream.stop().await;
    assert_eq!(f.get(download).await.0, 200);
    let (status, body) = f.get("api/v1/crates/beta/1.0.0/download").await;
    assert!((500..600).contains(&status), "{status} {body}");
    assert!(body.contains("beta") && body.contains("upstream"), "{body}");
    f.wharf.stop().await;
}
