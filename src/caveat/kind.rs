//! What every caveat kind provides, and the native kind numbers (SPEC.md §5).
//!
//! Each kind (one file each) implements [`CaveatKind`]; `Caveat` and its conversions are built
//! from the one table of kinds in `caveat/mod.rs`, so adding a kind is one file plus one line
//! there, and no conversion can forget it.

use serde_json::Value;

use super::Fields;
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

pub(crate) const TIME: u64 = 0;
pub(crate) const IP: u64 = 1;
pub(crate) const INVITE_TYPE: u64 = 2;
pub(crate) const APP: u64 = 3;
pub(crate) const ASN: u64 = 4;
pub(crate) const GEO_COUNTRY: u64 = 5;
pub(crate) const GEO_REGION: u64 = 6;
pub(crate) const SERVICE: u64 = 7;
pub(crate) const CONSUMER: u64 = 8;
pub(crate) const INTERFACE: u64 = 9;
pub(crate) const API: u64 = 10;
pub(crate) const DATA_READONLY: u64 = 11;
pub(crate) const DATA_PATH: u64 = 12;
pub(crate) const DATA_OBJECTID: u64 = 13;
pub(crate) const AUTHORIZATION_NONE: u64 = 14;

/// One kind of caveat: its names, its three encodings, and what the verifier must know of it.
pub(crate) trait CaveatKind: Sized {
    /// The JSON `type` (`"time"`, `"geo.country"`, …).
    const NAME: &'static str;
    /// The native kind number (one of the constants above).
    const CODE: u64;
    /// The length of the native array, the kind number included.
    const FIELDS: usize;
    /// A data-access caveat: holds only when the verifier is told the service enforces it.
    const DATA_ACCESS: bool = false;
    /// A restriction the caller enforces after verification (recorded in `Restrictions`
    /// rather than cleared against the request).
    const DEFERRED: bool = false;
    /// Tried for the text form after every other kind (the application caveat, whose text
    /// form `name = value` is the most general).
    const TEXT_FALLBACK: bool = false;

    /// Reads the JSON form's fields (besides `type`).
    fn from_json(fields: &Fields<'_>) -> Result<Self, Error>;
    /// The JSON form, `type` included.
    fn to_json(&self) -> Value;
    /// The text form (Onedata's for the kinds it has).
    fn to_text(&self) -> String;
    /// Parses `text` if it is of this kind's text form (`None` if it is not: another kind may
    /// take it).
    fn from_text(text: &str) -> Option<Result<Self, Error>>;
    /// Writes the native array's items after the kind number.
    fn encode_fields(&self, out: &mut Vec<u8>);
    /// Reads the native array's items after the kind number.
    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str>;
}

/// Writes the start of a native caveat: the array header and the kind number.
pub(crate) fn write_kind(out: &mut Vec<u8>, fields: usize, k: u64) {
    cbor::write_array(out, fields);
    cbor::write_uint(out, k);
}
