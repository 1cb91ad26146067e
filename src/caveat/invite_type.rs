//! `inviteType`: the invite type the request asks for must be listed.

use serde_json::{json, Value};

use super::{kind, reason, write_kind, Fields};
use crate::codec::cbor::{self, Reader};
use crate::error::Error;
use crate::token::InviteType;

/// Most invite types one caveat may list (there are fourteen).
const MAX_ENTRIES: usize = 14;

/// A whitelist of invite types; the request's invite type must be one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InviteTypeCaveat {
    /// The allowed invite types (never empty, no duplicates).
    pub whitelist: Vec<InviteType>,
}

impl InviteTypeCaveat {
    /// A caveat allowing exactly `whitelist`.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when it is empty or lists a type twice.
    pub fn new(whitelist: Vec<InviteType>) -> Result<Self, Error> {
        if whitelist.is_empty() {
            return Err(Error::bad_caveat("whitelist", "empty list"));
        }
        for (i, t) in whitelist.iter().enumerate() {
            if whitelist[..i].contains(t) {
                return Err(Error::bad_caveat("whitelist", "duplicate entry"));
            }
        }
        Ok(Self { whitelist })
    }

    /// Whether the requested invite type is listed; no requested type fails closed.
    #[must_use]
    pub fn holds(&self, requested: Option<InviteType>) -> bool {
        requested.is_some_and(|t| self.whitelist.contains(&t))
    }

    pub(crate) fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let names = f.strings("whitelist")?;
        let types = names
            .into_iter()
            .map(|n| {
                InviteType::from_name(n)
                    .ok_or_else(|| Error::bad_caveat("whitelist", "unknown invite type"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(types)
    }

    pub(crate) fn to_json(&self) -> Value {
        let names: Vec<&str> = self.whitelist.iter().map(|t| t.name()).collect();
        json!({"type": "inviteType", "whitelist": names})
    }

    pub(crate) fn to_text(&self) -> String {
        let names: Vec<&str> = self.whitelist.iter().map(|t| t.name()).collect();
        format!("inviteType = {}", names.join("|"))
    }

    pub(crate) fn from_text(rest: &str) -> Result<Self, Error> {
        let types = rest
            .split('|')
            .map(|n| {
                InviteType::from_name(n)
                    .ok_or_else(|| Error::bad_caveat("whitelist", "unknown invite type"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(types)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_kind(out, 2, kind::INVITE_TYPE);
        cbor::write_array(out, self.whitelist.len());
        for t in &self.whitelist {
            cbor::write_uint(out, t.code());
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let n = r.array(MAX_ENTRIES).map_err(reason)?;
        let mut whitelist = Vec::with_capacity(n);
        for _ in 0..n {
            let code = r.uint().map_err(reason)?;
            whitelist.push(InviteType::from_code(code).ok_or("unknown invite type code")?);
        }
        Self::new(whitelist).map_err(|_| "empty or duplicate invite type list")
    }
}
