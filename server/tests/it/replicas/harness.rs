//! Several real `wharf serve` processes on one PostgreSQL database and one S3 bucket,
//! behind Debian's nginx, as an operator runs them. The S3-compatible server is the one
//! `scripts/test.sh` starts (moto, at `WHARF_TEST_S3_ENDPOINT`); nginx is started here
//! with a configuration like the README's. Both are required: these tests fail, never
//! skip, without them.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::{
    io::AsyncWriteExt,
    process::{Child, Command},
};
use wharf_test_support::{Engine, TestDatabase};

/// The S3 endpoint of the tests' S3-compatible server.
pub fn s3_endpoint() -> String {
    std::env::var("WHARF_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9100".into())
}

/// The environment object_store reads for the tests' S3 server.
pub fn s3_env() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT", s3_endpoint()),
        ("AWS_ACCESS_KEY_ID", "wharf-test".into()),
        ("AWS_SECRET_ACCESS_KEY", "wharf-test-secret".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ALLOW_HTTP", "true".into()),
    ]
}

/// A fresh bucket on the tests' S3 server.
pub async fn new_bucket() -> String {
    let name = format!("wharf-{}-{}", std::process::id(), wharf_auth::generate_token().hash[..12].to_owned());
    let url = format!("{}/{name}", s3_endpoint());
    let res = reqwest::Client::new().put(&url).send().await.unwrap_or_else(|e| {
        panic!(
            "these tests need an S3-compatible server at {} (scripts/test.sh starts moto there; \
             or set WHARF_TEST_S3_ENDPOINT): {e}",
            s3_endpoint()
        )
    });
    assert!(res.status().is_success(), "creating bucket {name}: {}", res.status());
    name
}

/// The crate files in `bucket` under `prefix`, as Wharf's own storage lists them.
pub async fn stored_files(bucket: &str, prefix: &str) -> Vec<String> {
    let url = wharf::storage::StorageUrl::S3 { bucket: bucket.to_owned(), prefix: Some(prefix.to_owned()) };
    let vars = s3_env().into_iter().map(|(k, v)| (k.to_owned(), v));
    wharf::storage::Storage::open_with(&url, vars).unwrap().list().await.unwrap()
}

/// A free port on 127.0.0.1 (free when this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What every replica of one cluster shares.
pub struct Cluster {
    pub db: TestDatabase,
    pub bucket: String,
    pub upstream_index: String,
    /// The address every replica hands out (the balancer's).
    pub public_url: String,
    pub dir: tempfile::TempDir,
    /// The database URL the replicas use (the test's database, or a proxy in front of it).
    pub database_url: String,
}

impl Cluster {
    pub async fn new(upstream_index: &str, public_port: u16) -> Self {
        let db = TestDatabase::new(Engine::Postgres).await;
        let database_url = db.url.clone();
        Cluster {
            db,
            bucket: new_bucket().await,
            upstream_index: upstream_index.to_owned(),
            public_url: format!("http://127.0.0.1:{public_port}"),
            dir: tempfile::tempdir().unwrap(),
            database_url,
        }
    }

    /// Runs `wharf admin …` against the cluster's database; its standard output.
    pub async fn admin(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.arg("admin")
            .args(args)
            .arg("--database-url")
            .arg(&self.db.url)
            .arg("--data-dir")
            .arg(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).await.unwrap();
        drop(input);
        let out = child.wait_with_output().await.unwrap();
        assert!(out.status.success(), "wharf admin {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// An administrator `root`, with a read & write token of theirs.
    pub async fn root(&self) -> crate::helpers::Caller {
        self.admin(&["create-user", "--name", "root", "--password-stdin", "--admin"], Some("correct horse battery\n"))
            .await;
        let out = self.admin(&["create-token", "--user", "root", "--name", "tests", "--scope", "write"], None).await;
        crate::helpers::Caller::User { name: "root".into(), token: out.lines().last().unwrap().trim().to_owned() }
    }

    /// Starts a replica on `port` and waits until `/_ready` says it is.
    pub async fn replica(&self, port: u16) -> Replica {
        let replica = self.spawn_replica(port);
        replica.wait_ready().await;
        replica
    }

    /// Starts a replica on `port` without waiting for it.
    pub fn spawn_replica(&self, port: u16) -> Replica {
        let data_dir = self.dir.path().join(format!("replica-{port}"));
        let log = std::fs::File::create(self.dir.path().join(format!("replica-{port}.log"))).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--public-url", &self.public_url])
            .args(["--database-url", &self.database_url])
            .args(["--storage-url", &format!("s3://{}/crates-of-tests", self.bucket)])
            .args(["--upstream-index", &self.upstream_index])
            .args(["--upstream-timeout", "5"])
            .args(["--drain-seconds", "1"])
            .args(["--trusted-proxies", "127.0.0.1"])
            .arg("--data-dir")
            .arg(&data_dir)
            .envs(s3_env())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true);
        let child = cmd.spawn().expect("start wharf serve");
        Replica { port, child, log: self.dir.path().join(format!("replica-{port}.log")) }
    }
}

/// One `wharf serve` process.
pub struct Replica {
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits up to 60 s for `/_ready` to answer 200.
    pub async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(res) = http.get(self.url("/_ready")).send().await
                && res.status() == 200
            {
                return;
            }
            assert!(Instant::now() < deadline, "replica {} never became ready:\n{}", self.port, self.log_text());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9`: gone at once, nothing flushed.
    pub async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }

    /// Sends SIGTERM and returns at once.
    pub fn signal_term(&self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// SIGTERM: drains, flushes and exits; waits for the exit (at most 30 s).
    pub async fn terminate(self) -> std::process::ExitStatus {
        self.signal_term();
        self.wait_exit().await
    }

    /// Waits for the process to exit (at most 30 s).
    pub async fn wait_exit(mut self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("replica {} did not stop on SIGTERM:\n{}", self.port, self.log_text()))
            .unwrap()
    }
}

/// Debian's nginx, round-robin over the replicas, configured as the README shows.
pub struct Balancer {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

/// The nginx configuration of the README's "Running several replicas", for `replicas`.
pub fn nginx_config(dir: &Path, listen: u16, replicas: &[u16]) -> String {
    let servers: String = replicas.iter().map(|p| format!("        server 127.0.0.1:{p} max_fails=0;\n")).collect();
    let d = dir.display();
    format!(
        r#"worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream wharf {{
{servers}        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{listen};
        # Publishes carry the .crate (Wharf has its own limit, 10 MiB by default).
        client_max_body_size 64m;
        location / {{
            proxy_pass http://wharf;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            # A replica that is stopping or gone: the request goes to the next one
            # (nginx retries only requests that are safe to repeat). max_fails=0 above:
            # a refused connection costs a moment, and no replica is ever marked down,
            # so a rolling restart cannot leave nginx believing every replica is.
            proxy_next_upstream error timeout http_502;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_request_buffering off;
        }}
    }}
}}
"#
    )
}

impl Balancer {
    pub async fn start(listen: u16, replicas: &[u16]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, nginx_config(dir.path(), listen, replicas)).unwrap();
        let nginx = ["/usr/sbin/nginx", "nginx"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("nginx");
        let child = Command::new(nginx)
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(dir.path())
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("these tests need Debian's nginx (scripts/test.sh installs it): {e}"));
        let balancer = Balancer { port: listen, child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", listen)).await.is_err() {
            assert!(Instant::now() < deadline, "nginx did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        balancer
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Asks nginx to stop: SIGTERM to the master, which takes its workers with it (a
    /// SIGKILL, as `kill_on_drop` sends, would leave the workers running, holding the
    /// port and the test's output open).
    fn terminate(&self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
    }

    pub async fn stop(mut self) {
        self.terminate();
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

impl Drop for Balancer {
    /// Also when a test fails before [`Balancer::stop`]: waits for nginx to end, before
    /// `kill_on_drop` would SIGKILL it and leave its worker running.
    fn drop(&mut self) {
        self.terminate();
        for _ in 0..100 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A TCP proxy in front of PostgreSQL that a test can cut: the database "goes away" for
/// the replicas behind it, while the tests' own connections go on.
pub struct DbProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl DbProxy {
    pub async fn start(target: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                let mut watch = watch.clone();
                if *watch.borrow() {
                    drop(client);
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        DbProxy { port, cut }
    }

    /// Drops every connection through the proxy and refuses new ones until [`DbProxy::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

/// The database URL of `url` reached through `proxy` instead.
pub fn through_proxy(url: &str, proxy: &DbProxy) -> String {
    let (before, after) = url.split_once("@").expect("user@host in the URL");
    let (_, db) = after.split_once('/').expect("a database name");
    format!("{before}@127.0.0.1:{}/{db}", proxy.port)
}
