//! Builds the libmacaroons shim (shim/libmacaroons_shim.c) and links Debian's libmacaroons 0.3.0;
//! says how to install the system packages when they are missing.

use std::process::Command;

const INSTALL: &str = "sudo apt-get install pkg-config libsodium-dev libmacaroons-dev gcc \
                       (or: INSTALL=1 bash benches/compare/check-deps.sh)";

fn pkg_config(args: &[&str]) -> Option<String> {
    let out = Command::new("pkg-config").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=shim/libmacaroons_shim.c");
    println!("cargo:rerun-if-changed=build.rs");
    for lib in ["libsodium", "libmacaroons"] {
        if pkg_config(&["--exists", lib]).is_none() {
            panic!("benches/compare needs {lib} through pkg-config: {INSTALL}");
        }
    }
    let include = pkg_config(&["--variable=includedir", "libmacaroons"]).unwrap_or_default();
    let mut build = cc::Build::new();
    if !include.is_empty() {
        build.include(&include);
    }
    build
        .file("shim/libmacaroons_shim.c")
        .warnings(true)
        .compile("libmacaroons_shim");
    let libs = pkg_config(&["--libs", "libmacaroons"]).unwrap_or_default();
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
}
