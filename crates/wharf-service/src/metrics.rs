//! Counters of what the registry does, served in Prometheus' text format at `/_metrics`.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
};

macro_rules! counters {
    ($($field:ident => $name:literal, $help:literal;)*) => {
        /// Monotonic counters; cheap to bump from any request.
        #[derive(Debug, Default)]
        pub struct Metrics { $(pub $field: AtomicU64,)* }

        impl Metrics {
            /// The Prometheus text exposition of every counter.
            pub fn render(&self) -> String {
                let mut out = String::new();
                $(
                    let _ = writeln!(out, "# HELP {} {}\n# TYPE {} counter\n{} {}", $name, $help, $name, $name, self.$field.load(Ordering::Relaxed));
                )*
                out
            }
        }
    };
}

counters! {
    index_hit => "wharf_index_requests_cache_hit_total", "Index files answered from a fresh cache.";
    index_revalidated => "wharf_index_requests_revalidated_total", "Index files whose upstream copy was revalidated.";
    index_stale => "wharf_index_requests_stale_total", "Index files served stale because the upstream failed.";
    index_miss => "wharf_index_requests_miss_total", "Index files fetched from the upstream for the first time.";
    index_not_modified => "wharf_index_not_modified_total", "Index and config.json requests answered 304 Not Modified.";
    upstream_index_fetches => "wharf_upstream_index_fetches_total", "Requests made to the upstream index.";
    upstream_crate_fetches => "wharf_upstream_crate_fetches_total", "Crate files fetched from the upstream.";
    upstream_checksum_mismatches => "wharf_upstream_checksum_mismatches_total", "Upstream crate files refused for a wrong checksum.";
    crates_saved => "wharf_crates_saved_total", "Versions saved into a feed from the upstream.";
    downloads => "wharf_downloads_total", "Crate files served.";
    publishes => "wharf_publishes_total", "Versions published to feeds.";
}

/// Adds one.
pub fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
