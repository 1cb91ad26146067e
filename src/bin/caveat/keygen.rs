//! `caveat keygen`: a new random root key.

use caveat_token::RootKey;
use serde_json::{json, Value};

use crate::args::no_randomness;
use crate::Failure;

/// `caveat keygen`: `{"key":"<64 hex digits>"}`, 32 bytes from the operating system's random
/// source through the library's generator.
pub fn keygen() -> Result<Value, Failure> {
    let (_key, hex) = RootKey::generate(getrandom::fill).map_err(no_randomness)?;
    Ok(json!({ "key": hex.as_str() }))
}
