//! The Onedata profile through the public API: the Onedata token format, the Onedata caveat set,
//! and the profile's rules (token types and expectations, revocation, issuance, exchange).
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(feature = "onedata")]

mod caveats;
mod format;
mod profile;
