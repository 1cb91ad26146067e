//! `inviteType`: the invite type the request asks for must be listed.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, reason, Fields};
use crate::error::Error;
use crate::identifier::InviteType;
use crate::wire::cbor::{self, Reader};

/// Most invite types one caveat may list (there are fourteen).
const MAX_ENTRIES: usize = 14;

/// A whitelist of invite types; the request's invite type must be one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InviteTypeCaveat {
    /// The allowed invite types (never empty, no duplicates).
    pub(crate) whitelist: Vec<InviteType>,
}

impl InviteTypeCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[InviteType] {
        &self.whitelist
    }
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

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        // A plain split, not `list::entries`: here an empty entry is an "unknown invite type"
        // and the only length limit is the fourteen types without duplicates.
        let types = rest.split('|').map(parse).collect::<Result<Vec<_>, _>>()?;
        Self::new(types)
    }
}

impl CaveatKind for InviteTypeCaveat {
    const NAME: &'static str = "inviteType";
    const CODE: u64 = kind::INVITE_TYPE;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", parse)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "inviteType", "whitelist": list::strings(&self.whitelist)})
    }

    fn to_text(&self) -> String {
        format!("inviteType = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("inviteType = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, t| {
            cbor::write_uint(out, t.code())
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_ENTRIES, |r| {
            InviteType::from_code(r.uint().map_err(reason)?).ok_or("unknown invite type code")
        })?;
        Self::new(whitelist).map_err(|_| "empty or duplicate invite type list")
    }
}

/// One whitelist entry: an invite type by name.
fn parse(name: &str) -> Result<InviteType, Error> {
    InviteType::from_name(name).ok_or_else(|| Error::bad_caveat("whitelist", "unknown invite type"))
}
