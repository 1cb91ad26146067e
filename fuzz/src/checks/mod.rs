//! The checks behind every fuzz target, shared word for word by the fuzzer (`fuzz/src/lib.rs`)
//! and the stable replay test (`tests/fuzz_corpus.rs`, which includes this file with `#[path]`).
//!
//! Each target is one function taking the raw input bytes. The structured targets decode those
//! bytes into their input type here, with `arbitrary::Unstructured` exactly as libFuzzer's
//! `fuzz_target!` does, so a corpus file means the same thing to the fuzzer and to the replay.
//! A check panics (with a message saying which property broke) when the library misbehaves;
//! inputs that simply are not tokens are not failures.
//!
//! The oracles are written independently of the library's internals: the HMAC chain is
//! recomputed with RustCrypto's `hmac` directly, and the clearing decision (which caveat denies,
//! and the expiry) is computed from the caveat values with plain code, not through `Verifier`.
//!
//! One file per target (`decode`, `verify`, `roundtrip`, `caveat`), with the fixed keys and the
//! oracles in `oracle`, the structured request context in `context`, helpers shared by the
//! targets in `common`, and the generated corpus seeds in `seeds`.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use caveat_token::caveat::{
    ApiRule, AppCaveat, Consumer, Gri, Interface, InviteTypeCaveat, IpCaveat, Service,
};
use caveat_token::VerificationCache;
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, InviteType, KeyRing, KeySource, Limits,
    Persistence, RootKey, Subject, Token, TokenType, Verified, VerifiedToken, Verifier,
};
use hmac::{Hmac, KeyInit, Mac};
use ipnet::IpNet;
use sha2::Sha256;

mod caveat;
mod common;
mod context;
mod decode;
mod oracle;
mod roundtrip;
mod seeds;
mod verify;

pub use caveat::*;
use common::*;
pub use context::*;
pub use decode::*;
pub use oracle::*;
pub use roundtrip::*;
pub use seeds::*;
pub use verify::*;

/// Every fuzz target, by name (the names of `fuzz/fuzz_targets/*.rs` and the corpus folders).
pub const TARGETS: &[&str] = &["decode", "verify_oracle", "roundtrip", "caveat_parse"];

/// Runs target `target` on `data`. Returns `false` for an unknown target name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "decode" => decode(data),
        "verify_oracle" => {
            verify_oracle(data);
        }
        "roundtrip" => {
            roundtrip(data);
        }
        "caveat_parse" => caveat_parse(data),
        _ => return false,
    }
    true
}
