//! The tests' local upstream registry as a process, for benchmarks: serves the sample
//! crates on `127.0.0.1:PORT` (default 3400) until killed.

use wharf_test_support::upstream::LocalUpstream;

#[tokio::main]
async fn main() {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(3400);
    let upstream = LocalUpstream::start_on(port, LocalUpstream::sample_crates()).await;
    println!("serving the sample crates at {}", upstream.index_url());
    std::future::pending::<()>().await;
}
