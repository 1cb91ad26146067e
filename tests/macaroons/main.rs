//! libmacaroons formats through the public API: V1, V2 and V2J (known vectors, strict decoding,
//! format detection, predicates), third-party caveats and discharges.
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(feature = "macaroons")]

mod discharges;
mod formats;
