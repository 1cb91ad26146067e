//! `asn`: the client address must belong to one of the listed Autonomous Systems, as the
//! verifier's [`GeoSource`](crate::geo::GeoSource) maps it.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, parse_decimal, reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// A whitelist of Autonomous System Numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsnCaveat {
    /// The allowed ASNs (never empty).
    pub(crate) whitelist: Vec<u32>,
}

impl AsnCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[u32] {
        &self.whitelist
    }
}

impl AsnCaveat {
    /// A caveat allowing the given ASNs.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or longer than 64 entries.
    pub fn new(whitelist: Vec<u32>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        Ok(Self { whitelist })
    }

    /// Whether the client's ASN (as looked up; `None` when unknown) is listed. Unknown fails
    /// closed.
    #[must_use]
    pub fn holds(&self, asn: Option<u32>) -> bool {
        asn.is_some_and(|a| self.whitelist.contains(&a))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        let whitelist = list::from_text(rest, "whitelist", |e| {
            parse_decimal(e)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| Error::bad_caveat("whitelist", "not an ASN (0 to 4294967295)"))
        })?;
        Self::new(whitelist)
    }
}

impl CaveatKind for AsnCaveat {
    const NAME: &'static str = "asn";
    const CODE: u64 = kind::ASN;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let arr = f
            .get("whitelist")?
            .as_array()
            .ok_or_else(|| Error::bad_caveat("whitelist", "not an array"))?;
        let whitelist = arr
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| Error::bad_caveat("whitelist", "not an ASN (0 to 4294967295)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(whitelist)
    }

    fn to_json(&self) -> Value {
        json!({"type": "asn", "whitelist": self.whitelist})
    }

    fn to_text(&self) -> String {
        format!("asn = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("asn = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, a| {
            cbor::write_uint(out, u64::from(*a))
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            u32::try_from(r.uint().map_err(reason)?).map_err(|_| "ASN above 4294967295")
        })?;
        Self::new(whitelist).map_err(|_| "empty ASN whitelist")
    }
}
