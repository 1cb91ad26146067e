//! Fuzz targets for `caveat-token`. The checks live in [`checks`], which the stable replay test
//! (`tests/fuzz_corpus.rs` at the repository root) includes too, so both run the same code.

#![forbid(unsafe_code)]

pub mod checks;
