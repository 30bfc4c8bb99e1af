//! Release builds embed the portal's bundle from `target/site` (rust-embed): compile again
//! whenever it changes, so the binary never carries a stale or missing bundle. Debug builds
//! read the bundle from disk at run time and need no such rebuilds.
fn main() {
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../target/site");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
