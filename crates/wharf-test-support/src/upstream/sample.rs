//! The ready-made crate set of [`LocalUpstream::sample_crates`](super::LocalUpstream::sample_crates).

use super::{CrateSpec, DepSpec};

/// Every crate version a consumer of `top` (feature `extra`) resolves to, names as published.
pub const SAMPLE_RESOLVED: &[(&str, &str)] = &[
    ("a", "1.0.0"),
    ("ab", "1.0.0"),
    ("abc", "1.0.0"),
    ("Upper_Leaf", "1.0.0"),
    ("chain-mid", "0.3.0"),
    ("real-name", "0.2.0"),
    ("opt-dep", "1.0.0"),
    ("unix-only", "1.0.0"),
    ("beta", "2.0.0-beta.1"),
    ("meta", "1.0.1+build5"),
    ("build-helper", "1.0.0"),
    ("top", "0.1.0"),
];

/// See [`LocalUpstream::sample_crates`](super::LocalUpstream::sample_crates) for the graph.
pub(super) fn sample_crates() -> Vec<CrateSpec> {
    vec![
        // Index paths of every shape: 1/a, 2/ab, 3/a/abc, ch/ai/chain-mid, up/pe/upper_leaf.
        CrateSpec::new("a", "1.0.0").rust_version("1.60"),
        CrateSpec::new("ab", "1.0.0").dep(DepSpec::new("a", "^1")),
        CrateSpec::new("ab", "1.1.0").dep(DepSpec::new("a", "^1")).yanked(),
        CrateSpec::new("abc", "1.0.0").dep(DepSpec::new("ab", "^1")),
        CrateSpec::new("Upper_Leaf", "1.0.0"),
        CrateSpec::new("chain-mid", "0.2.0").dep(DepSpec::new("abc", "^1")),
        CrateSpec::new("chain-mid", "0.3.0").dep(DepSpec::new("abc", "^1")).dep(DepSpec::new("Upper_Leaf", "^1")),
        CrateSpec::new("real-name", "0.2.0"),
        CrateSpec::new("opt-dep", "1.0.0"),
        CrateSpec::new("unix-only", "1.0.0"),
        CrateSpec::new("build-helper", "1.0.0").rust_version("1.56"),
        CrateSpec::new("beta", "1.0.0"),
        CrateSpec::new("beta", "2.0.0-beta.1"),
        CrateSpec::new("meta", "1.0.0"),
        CrateSpec::new("meta", "1.0.1+build5"),
        // A well-known name nothing here depends on: the dependency-confusion guard's test
        // publishes a local crate of this name.
        CrateSpec::new("serde", "1.0.200"),
        CrateSpec::new("top", "0.1.0")
            .dep(DepSpec::new("chain-mid", "^0.3"))
            .dep(DepSpec::new("aliased", "^0.2").renamed_from("real-name"))
            .dep(DepSpec::new("opt-dep", "^1").optional())
            .dep(DepSpec::new("unix-only", "^1").target("cfg(unix)"))
            .dep(DepSpec::new("beta", "=2.0.0-beta.1"))
            .dep(DepSpec::new("meta", "^1"))
            .dep(DepSpec::new("build-helper", "^1").build())
            .dep(DepSpec::new("a", "^1").dev())
            .feature("default", &[])
            .feature("extra", &["opt-dep"])
            .rust_version("1.70"),
    ]
}
