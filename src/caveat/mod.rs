//! Caveats: the conditions a token carries, all of which must hold. One file per kind.
//!
//! Each kind has a JSON form (the seed system's REST shape, `{"type":"time",…}`), a text form
//! (Onedata's, `time < 8374891234`) and a compact native encoding (SPEC.md §5). Creating a caveat
//! from bad input gives `badValueCaveat` naming the key that is wrong.

mod app;
mod invite_type;
mod ip;
mod time;

use serde_json::{Map, Value};

pub use app::AppCaveat;
pub use invite_type::InviteTypeCaveat;
pub use ip::IpCaveat;
/// Read by the native codec's in-place caveat view.
pub(crate) use ip::MAX_ENTRIES as IP_MAX_ENTRIES;
pub use time::TimeCaveat;

use crate::codec::cbor::{self, Reader};
use crate::error::Error;

/// Native kind numbers (SPEC.md §5).
pub(crate) mod kind {
    pub const TIME: u64 = 0;
    pub const IP: u64 = 1;
    pub const INVITE_TYPE: u64 = 2;
    pub const APP: u64 = 3;
}

/// A typed caveat.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Caveat {
    /// Valid while `now < validUntil`.
    Time(TimeCaveat),
    /// The client address must be in one of the listed networks.
    Ip(IpCaveat),
    /// The requested invite type must be listed.
    InviteType(InviteTypeCaveat),
    /// An application-defined condition, checked by a predicate the verifier registers.
    App(AppCaveat),
}

impl Caveat {
    /// A time caveat: valid while `now < valid_until` (unix seconds).
    #[must_use]
    pub fn time(valid_until: u64) -> Self {
        Self::Time(TimeCaveat { valid_until })
    }

    /// The kind's name as used in JSON (`"time"`, `"ip"`, `"inviteType"`, `"app"`).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Time(_) => "time",
            Self::Ip(_) => "ip",
            Self::InviteType(_) => "inviteType",
            Self::App(_) => "app",
        }
    }

    /// Parses the JSON form from text.
    ///
    /// # Errors
    /// `badValueCaveat` (key `caveat` when the text is not a JSON object).
    pub fn from_json_str(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| Error::bad_caveat("caveat", "not valid JSON"))?;
        Self::from_json(&value)
    }

    /// Builds a caveat from its JSON form. Unknown keys are errors, not ignored.
    ///
    /// # Errors
    /// `badValueCaveat` naming the wrong key.
    pub fn from_json(value: &Value) -> Result<Self, Error> {
        let obj = value
            .as_object()
            .ok_or_else(|| Error::bad_caveat("caveat", "not a JSON object"))?;
        let ty = obj
            .get("type")
            .ok_or_else(|| Error::bad_caveat("type", "missing"))?
            .as_str()
            .ok_or_else(|| Error::bad_caveat("type", "not a string"))?;
        let fields = Fields::new(obj);
        let caveat = match ty {
            "time" => Self::Time(TimeCaveat::from_json(&fields)?),
            "ip" => Self::Ip(IpCaveat::from_json(&fields)?),
            "inviteType" => Self::InviteType(InviteTypeCaveat::from_json(&fields)?),
            "app" => Self::App(AppCaveat::from_json(&fields)?),
            _ => return Err(Error::bad_caveat("type", "unknown caveat type")),
        };
        fields.reject_unknown()?;
        Ok(caveat)
    }

    /// The JSON form.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::Time(c) => c.to_json(),
            Self::Ip(c) => c.to_json(),
            Self::InviteType(c) => c.to_json(),
            Self::App(c) => c.to_json(),
        }
    }

    /// The text form (Onedata's for the kinds it has), e.g. `time < 8374891234`.
    #[must_use]
    pub fn to_text(&self) -> String {
        match self {
            Self::Time(c) => c.to_text(),
            Self::Ip(c) => c.to_text(),
            Self::InviteType(c) => c.to_text(),
            Self::App(c) => c.to_text(),
        }
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// `badValueCaveat`; a predicate of no known kind gives key `caveat`.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        if let Some(rest) = text.strip_prefix("time < ") {
            return TimeCaveat::from_text(rest).map(Self::Time);
        }
        if let Some(rest) = text.strip_prefix("ip = ") {
            return IpCaveat::from_text(rest).map(Self::Ip);
        }
        if let Some(rest) = text.strip_prefix("inviteType = ") {
            return InviteTypeCaveat::from_text(rest).map(Self::InviteType);
        }
        if let Some((name, value)) = text.split_once(" = ") {
            if name.contains('/') {
                return AppCaveat::new(name, value).map(Self::App);
            }
        }
        Err(Error::bad_caveat("caveat", "not a known caveat text form"))
    }

    /// The native encoding (SPEC.md §5): a CBOR array `[kind, …]`.
    #[must_use]
    pub fn to_native(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        match self {
            Self::Time(c) => c.encode(&mut out),
            Self::Ip(c) => c.encode(&mut out),
            Self::InviteType(c) => c.encode(&mut out),
            Self::App(c) => c.encode(&mut out),
        }
        out
    }

    /// Decodes a native caveat; `Err` holds the reason it is not understood.
    pub(crate) fn from_native(bytes: &[u8]) -> Result<Self, &'static str> {
        let mut r = Reader::new(bytes);
        let n = r.array(usize::MAX).map_err(reason)?;
        let k = r.uint().map_err(reason)?;
        let caveat = match (k, n) {
            (kind::TIME, 2) => Self::Time(TimeCaveat::decode(&mut r)?),
            (kind::IP, 2) => Self::Ip(IpCaveat::decode(&mut r)?),
            (kind::INVITE_TYPE, 2) => Self::InviteType(InviteTypeCaveat::decode(&mut r)?),
            (kind::APP, 3) => Self::App(AppCaveat::decode(&mut r)?),
            (kind::TIME | kind::IP | kind::INVITE_TYPE | kind::APP, _) => {
                return Err("wrong number of caveat fields")
            }
            _ => return Err("unknown caveat kind"),
        };
        r.finish().map_err(reason)?;
        Ok(caveat)
    }
}

impl std::fmt::Display for Caveat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

pub(crate) fn reason(e: Error) -> &'static str {
    match e {
        Error::BadToken { reason } => reason,
        _ => "malformed",
    }
}

pub(crate) fn write_kind(out: &mut Vec<u8>, fields: usize, k: u64) {
    cbor::write_array(out, fields);
    cbor::write_uint(out, k);
}

/// A JSON object being read: remembers which keys were used so that the rest can be rejected.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    used: std::cell::RefCell<Vec<&'a str>>,
}

impl<'a> Fields<'a> {
    fn new(obj: &'a Map<String, Value>) -> Self {
        Self {
            obj,
            used: std::cell::RefCell::new(vec!["type"]),
        }
    }

    /// The value under `key`, which must be present.
    pub(crate) fn get(&self, key: &'static str) -> Result<&'a Value, Error> {
        self.used.borrow_mut().push(key);
        self.obj
            .get(key)
            .ok_or_else(|| Error::bad_caveat(key, "missing"))
    }

    /// A non-empty array of strings under `key`.
    pub(crate) fn strings(&self, key: &'static str) -> Result<Vec<&'a str>, Error> {
        let arr = self
            .get(key)?
            .as_array()
            .ok_or_else(|| Error::bad_caveat(key, "not an array"))?;
        if arr.is_empty() {
            return Err(Error::bad_caveat(key, "empty list"));
        }
        arr.iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| Error::bad_caveat(key, "not a string"))
            })
            .collect()
    }

    fn reject_unknown(&self) -> Result<(), Error> {
        let used = self.used.borrow();
        match self.obj.keys().find(|k| !used.contains(&k.as_str())) {
            Some(k) => Err(Error::bad_caveat(k.clone(), "unknown key")),
            None => Ok(()),
        }
    }
}
