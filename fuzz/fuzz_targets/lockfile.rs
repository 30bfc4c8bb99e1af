//! The `Cargo.lock` reader of the warm path (`wharf_index::lockfile::crates_io_packages`).
//!
//! Input: the lockfile's text (lossily UTF-8). What is returned must be what warming can
//! trust: at most `MAX_PACKAGES` packages, each a valid crate name with a lower-case sha256.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_index::{
    lockfile::{MAX_PACKAGES, crates_io_packages},
    validate_crate_name,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok((packages, elsewhere)) = crates_io_packages(&text, Some("sparse+https://wharf.example/index/")) else {
        return;
    };
    assert!(packages.len() + elsewhere <= MAX_PACKAGES, "{} + {elsewhere} packages", packages.len());
    for p in &packages {
        assert!(validate_crate_name(&p.name).is_ok(), "accepted the name {:?}", p.name);
        assert_eq!(p.checksum.len(), 64, "{p:?}");
        assert!(p.checksum.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{p:?}");
    }
    // The feed's own index counts as crates.io only when named.
    let (plain, _) = crates_io_packages(&text, None).expect("accepted once, accepted again");
    assert!(plain.len() <= packages.len());
});
