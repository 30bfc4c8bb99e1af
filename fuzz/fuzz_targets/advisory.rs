//! The RustSec advisory reader (`wharf_index::advisory`): one advisory file, or a gzip'd
//! tarball of the advisory-db layout.
//!
//! Input: one mode byte, then
//! - mode 0: the text of `crates/demo/RUSTSEC-2024-0001.md`;
//! - mode 1: the tarball's bytes themselves;
//! - mode 2: a tar, gzip'd here, so the fuzzer works on the tar format and not on CRCs.
#![no_main]

use std::io::Write as _;

use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::fuzz_target;
use wharf_index::advisory::{parse, read_tarball};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            let text = String::from_utf8_lossy(rest);
            if let Ok(advisory) = parse("crates/demo/RUSTSEC-2024-0001.md", &text) {
                assert!(advisory.id.starts_with("RUSTSEC-"), "{advisory:?}");
            }
        }
        1 => {
            let _ = read_tarball(rest);
        }
        _ => {
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(rest).unwrap();
            let _ = read_tarball(&gz.finish().unwrap()[..]);
        }
    }
});
