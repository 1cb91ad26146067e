//! The Onedata profile through the public API: the Onedata token format, the Onedata caveat set,
//! and the profile's rules (token types and expectations, revocation, issuance, exchange).

mod caveats;
mod format;
mod profile;
