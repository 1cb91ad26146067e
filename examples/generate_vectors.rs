//! Writes the test vectors of `spec/vectors/` (SPEC.md §9), deterministically.
//!
//! Run with `cargo run --example generate_vectors` (from anywhere in the crate). The test
//! `tests/vectors.rs` fails when the committed files differ from what this writes. Files in
//! `spec/vectors/` that this generator does not write are left alone.

#[path = "../tests/support/vectors_gen/mod.rs"]
mod vectors_gen;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors_gen::VECTOR_DIR);
    let files = match vectors_gen::generate() {
        Ok(files) => files,
        Err(e) => {
            eprintln!("generate_vectors: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("generate_vectors: {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for (name, content) in files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, content) {
            eprintln!("generate_vectors: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
