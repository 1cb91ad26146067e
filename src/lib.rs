#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod addr;
pub mod cache;
pub mod caveat;
pub mod chain;
pub mod codec;
pub mod context;
pub mod denial;
pub mod error;
mod format;
pub mod geo;
pub mod hazmat;
pub mod identifier;
pub mod issuance;
pub mod key;
pub mod lookup;
pub mod membership;
pub mod restrictions;
pub mod revocation;
mod signature;
mod spans;
pub mod third_party;
pub mod token;
pub mod verified;
pub mod verify;
mod wire;

pub use caveat::Caveat;
pub use codec::{Format, Limits};
pub use context::{Context, Expect};
pub use denial::Denial;
pub use error::Error;
pub use issuance::{Exchange, IssuancePolicy};
pub use key::{KeyRing, RootKey};
pub use lookup::{KeyQuery, KeySource};
pub use restrictions::{DataAccess, Restriction, Restrictions};
pub use token::{Identifier, InviteType, Persistence, Subject, Token, TokenType};
pub use verified::{SignedToken, Verified, VerifiedMacaroon, VerifiedToken};
pub use verify::Verifier;
