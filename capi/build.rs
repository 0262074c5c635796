//! Gives the shared library its SONAME, so programs linked against
//! `libbouncekit.so` record `libbouncekit.so.0` (the ABI major) and keep
//! working across compatible upgrades.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" || os == "android" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbouncekit.so.0");
    }
}
