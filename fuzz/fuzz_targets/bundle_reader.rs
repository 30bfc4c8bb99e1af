//! The bundle reader of `wharf import` (`wharf_index::bundle`): the checksums, the
//! manifest and the index lines ([`verify`]), then every `.crate` checked as a publish
//! checks it ([`check_crates`]).
//!
//! Input: the bundle (a plain tar). What `verify` accepts must be consistent: every version
//! has its index line, and the file the manifest names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_index::bundle::{check_crates, crate_path, verify};

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = verify(data, "the fuzzed bundle") else { return };
    for v in &bundle.manifest.versions {
        assert_eq!(v.file, crate_path(&v.name, &v.version));
        assert!(bundle.lines.contains_key(&(v.name.to_ascii_lowercase(), v.version.clone())), "{v:?}");
    }
    let _ = check_crates(data, &bundle.manifest);
});
