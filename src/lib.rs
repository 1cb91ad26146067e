#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Lints that keep the public surface honest (the library only; tests and tools have their own
// rules). `exhaustive_structs` and `indexing_slicing` are not among them: the structs with public
// fields are plain data checked where they are used (an `Identifier` when a token is minted,
// `Limits` are any numbers), and every slice in the decoders is bounded by the reader before it
// is taken, which the fuzz targets' totality oracles check on every input.
#![warn(
    unreachable_pub,
    clippy::exhaustive_enums,
    clippy::expect_used,
    clippy::missing_panics_doc
)]

mod addr;
#[cfg(feature = "cache")]
mod cache;
pub mod caveat;
mod chain;
mod codec;
mod context;
mod denial;
mod error;
pub mod format;
mod geo;
pub mod hazmat;
mod identifier;
mod issuance;
mod key;
mod lookup;
mod membership;
mod restrictions;
mod revocation;
mod signature;
mod spans;
mod third_party;
mod token;
mod verified;
mod verify;
mod wire;

#[cfg(feature = "cache")]
pub use cache::{CachedToken, VerificationCache};
pub use caveat::Caveat;
pub use chain::Tag;
pub use codec::Limits;
pub use context::{Context, Expect};
pub use denial::Denial;
pub use error::{
    CaveatRef, DecodeError, DenialError, Detail, DischargeError, Error, ErrorDetail, ErrorId,
    Limit, RevocationError, SignatureError, UnknownErrorId, ValueError, ERROR_IDS,
};
pub use format::Format;
pub use geo::{GeoInfo, GeoSource, GeoTable, Region};
pub use identifier::{Identifier, InviteType, Persistence, Subject, TokenType, MAX_ID_LEN};
pub use issuance::{Exchange, IssuancePolicy, DEFAULT_MAX_TTL};
pub use key::{KeyRing, RootKey};
pub use key::{GENERATED_KEY_LEN, MIN_SECRET_LEN};
pub use lookup::{KeyQuery, KeySource};
pub use membership::{GroupMembership, GroupTable};
pub use restrictions::{DataAccess, Restriction, Restrictions};
pub use revocation::{
    FixedGeneration, GenerationSource, Generations, NamedStatus, NamedTokens, RevocationSource,
    RevokedList,
};
pub use third_party::{ThirdPartyCaveat, MAX_DISCHARGES, MAX_DISCHARGE_DEPTH, NONCE_LEN};
pub use token::Token;
pub use verified::{SignedToken, Verified, VerifiedMacaroon, VerifiedToken};
pub use verify::{Predicate, Verifier};
