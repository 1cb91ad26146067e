//! `asn`: the client address must belong to one of the listed Autonomous Systems, as the
//! verifier's [`GeoSource`](crate::geo::GeoSource) maps it.

use serde_json::{json, Value};

use super::{kind, list_entries, parse_decimal, reason, write_kind, Fields, MAX_LIST_ENTRIES};
use crate::codec::cbor::{self, Reader};
use crate::error::Error;

/// A whitelist of Autonomous System Numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsnCaveat {
    /// The allowed ASNs (never empty).
    pub whitelist: Vec<u32>,
}

impl AsnCaveat {
    /// A caveat allowing the given ASNs.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or longer than 64 entries.
    pub fn new(whitelist: Vec<u32>) -> Result<Self, Error> {
        if whitelist.is_empty() {
            return Err(Error::bad_caveat("whitelist", "empty list"));
        }
        if whitelist.len() > MAX_LIST_ENTRIES {
            return Err(Error::bad_caveat("whitelist", "more than 64 entries"));
        }
        Ok(Self { whitelist })
    }

    /// Whether the client's ASN (as looked up; `None` when unknown) is listed. Unknown fails
    /// closed.
    #[must_use]
    pub fn holds(&self, asn: Option<u32>) -> bool {
        asn.is_some_and(|a| self.whitelist.contains(&a))
    }

    pub(crate) fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let arr = f
            .get("whitelist")?
            .as_array()
            .ok_or_else(|| Error::bad_caveat("whitelist", "not an array"))?;
        let list = arr
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| Error::bad_caveat("whitelist", "not an ASN (0 to 4294967295)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(list)
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({"type": "asn", "whitelist": self.whitelist})
    }

    pub(crate) fn to_text(&self) -> String {
        let list: Vec<String> = self.whitelist.iter().map(u32::to_string).collect();
        format!("asn = {}", list.join("|"))
    }

    pub(crate) fn from_text(rest: &str) -> Result<Self, Error> {
        let list = list_entries(rest, "whitelist")?
            .map(|e| {
                parse_decimal(e)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| Error::bad_caveat("whitelist", "not an ASN (0 to 4294967295)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(list)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_kind(out, 2, kind::ASN);
        cbor::write_array(out, self.whitelist.len());
        for a in &self.whitelist {
            cbor::write_uint(out, u64::from(*a));
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let n = r.array(MAX_LIST_ENTRIES).map_err(reason)?;
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            let v = r.uint().map_err(reason)?;
            list.push(u32::try_from(v).map_err(|_| "ASN above 4294967295")?);
        }
        Self::new(list).map_err(|_| "empty ASN whitelist")
    }
}
