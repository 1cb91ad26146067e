//! The token engine through the public API, by behaviour: the native format and its strict
//! decoder, the HMAC chain, minting, attenuation and verification, the caveat kinds, tampering,
//! denials, error JSON and the secrecy of keys; `adversarial` is the catalogue of hostile inputs,
//! each row with the error id the library must answer with.

#[path = "../common/mod.rs"]
mod common;

mod adversarial;
mod caveats;
mod chain;
mod decoding;
mod denials;
mod error_json;
mod fixtures;
mod mint_verify;
#[cfg(all(feature = "onedata", feature = "macaroons"))]
mod restrictions;
mod secrets;
mod tampering;
