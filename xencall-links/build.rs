//! Nothing to build: cargo accepts a `links` key only on a package with a
//! build script.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
