//! Caveats: the conditions a token carries, all of which must hold. One file per kind.
//!
//! Each kind has a JSON form (Onedata's REST shape, `{"type":"time",…}`), a text form
//! (Onedata's, `time < 8374891234`) and a compact native encoding (SPEC.md §5). Creating a caveat
//! from bad input gives `badValueCaveat` naming the key that is wrong.
//!
//! The kinds: `time`, `ip`, `inviteType`, `app` (the core), and Onedata's `asn`,
//! `geo.country`, `geo.region`, `service`, `consumer`, `interface`, `api`, `data.readonly`,
//! `data.path`, `data.objectid` and `authorization = none` (SPEC.md §10).

mod allowed;
mod api;
mod app;
mod asn;
mod consumer;
mod data;
mod geo;
mod interface;
mod invite_type;
pub mod ip;
pub(crate) mod kind;
mod list;
mod service;
mod time;

use serde_json::{Map, Value};

pub use allowed::caveat_allowed;
pub(crate) use allowed::{kind_allowed, kind_allowed_for_every_type, TypeClass};
pub use api::{ApiCaveat, ApiRule, Gri, Operation};
pub use app::AppCaveat;
pub use asn::AsnCaveat;
pub use consumer::{Consumer, ConsumerCaveat, ConsumerKind};
pub use data::{AuthorizationNoneCaveat, DataObjectIdCaveat, DataPathCaveat, DataReadonlyCaveat};
pub use geo::{Filter, GeoCountryCaveat, GeoRegionCaveat};
pub use interface::{Interface, InterfaceCaveat};
pub use invite_type::InviteTypeCaveat;
pub use ip::IpCaveat;
/// Read by the native codec's in-place caveat view.
pub(crate) use ip::MAX_ENTRIES as IP_MAX_ENTRIES;
pub use service::{Service, ServiceCaveat, ServiceKind, WILDCARD};
pub use time::TimeCaveat;

/// Most entries one list caveat may hold (IP networks, ASNs, countries, services, …).
pub const MAX_LIST_ENTRIES: usize = 64;

use crate::error::Error;
use crate::wire::cbor::Reader;
use kind::{write_kind, CaveatKind};

/// The one table of caveat kinds: each line a `Caveat` variant and the type implementing
/// [`CaveatKind`] for it. Every conversion of `Caveat` (names, JSON, text, native) is generated
/// from it.
macro_rules! caveat_kinds {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// A typed caveat.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Caveat {
            $($(#[$doc])* $variant($ty),)*
        }

        $(
            impl From<$ty> for Caveat {
                fn from(c: $ty) -> Self {
                    Self::$variant(c)
                }
            }
        )*

        impl Caveat {
            /// The kind's name as used in JSON (`"time"`, `"ip"`, `"inviteType"`, `"app"`,
            /// `"asn"`, `"geo.country"`, `"geo.region"`, `"service"`, `"consumer"`,
            /// `"interface"`, `"api"`, `"data.readonly"`, `"data.path"`, `"data.objectid"`,
            /// `"authorizationNone"`).
            #[must_use]
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => <$ty as CaveatKind>::NAME,)*
                }
            }

            /// The kind's code in the native format: one per variant, what
            /// [`caveat_allowed`] decides on.
            pub(crate) fn kind(&self) -> u64 {
                match self {
                    $(Self::$variant(_) => <$ty as CaveatKind>::CODE,)*
                }
            }

            /// Whether this is a data-access caveat (`data.readonly`, `data.path`,
            /// `data.objectid`): those hold only when the verifier allows them.
            #[must_use]
            pub fn is_data_access(&self) -> bool {
                match self {
                    $(Self::$variant(_) => <$ty as CaveatKind>::DATA_ACCESS,)*
                }
            }

            /// Whether this is a restriction the caller enforces after verification (`api` and
            /// the data-access caveats): it is recorded in the verified token's
            /// [`Restrictions`](crate::Restrictions) rather than checked against the request.
            #[must_use]
            pub fn is_deferred(&self) -> bool {
                match self {
                    $(Self::$variant(_) => <$ty as CaveatKind>::DEFERRED,)*
                }
            }

            /// The JSON form.
            #[must_use]
            pub fn to_json(&self) -> Value {
                match self {
                    $(Self::$variant(c) => c.to_json(),)*
                }
            }

            /// The text form (Onedata's for the kinds it has), e.g. `time < 8374891234`.
            #[must_use]
            pub fn to_text(&self) -> String {
                match self {
                    $(Self::$variant(c) => c.to_text(),)*
                }
            }

            /// The native encoding (SPEC.md §5): a CBOR array `[kind, …]`.
            #[must_use]
            pub fn to_native(&self) -> Vec<u8> {
                let mut out = Vec::with_capacity(16);
                match self {
                    $(Self::$variant(c) => {
                        write_kind(&mut out, <$ty as CaveatKind>::FIELDS, <$ty as CaveatKind>::CODE);
                        c.encode_fields(&mut out);
                    })*
                }
                out
            }

            /// The kind named `ty` read from the JSON form's fields.
            fn from_json_fields(ty: &str, fields: &Fields<'_>) -> Result<Self, Error> {
                $(
                    if ty == <$ty as CaveatKind>::NAME {
                        return <$ty as CaveatKind>::from_json(fields).map(Self::$variant);
                    }
                )*
                Err(Error::bad_caveat("type", "unknown caveat type"))
            }

            /// The kind whose text form `text` is in; the fallback kinds are tried last.
            fn from_text_form(text: &str) -> Option<Result<Self, Error>> {
                for fallback in [false, true] {
                    $(
                        if <$ty as CaveatKind>::TEXT_FALLBACK == fallback {
                            if let Some(parsed) = <$ty as CaveatKind>::from_text(text) {
                                return Some(parsed.map(Self::$variant));
                            }
                        }
                    )*
                }
                None
            }

            /// The native caveat of kind `k` in an array of `n` items, its kind number read.
            fn from_native_fields(k: u64, n: usize, r: &mut Reader<'_>) -> Result<Self, &'static str> {
                $(
                    if k == <$ty as CaveatKind>::CODE {
                        if n != <$ty as CaveatKind>::FIELDS {
                            return Err("wrong number of caveat fields");
                        }
                        return <$ty as CaveatKind>::decode(r).map(Self::$variant);
                    }
                )*
                Err("unknown caveat kind")
            }
        }
    };
}

caveat_kinds! {
    /// Valid while `now < validUntil`.
    Time(TimeCaveat),
    /// The client address must be in one of the listed networks.
    Ip(IpCaveat),
    /// The requested invite type must be listed.
    InviteType(InviteTypeCaveat),
    /// An application-defined condition, checked by a predicate the verifier registers.
    App(AppCaveat),
    /// The client address must belong to a listed Autonomous System.
    Asn(AsnCaveat),
    /// The client address must (not) be in a listed country.
    GeoCountry(GeoCountryCaveat),
    /// The client address must (not) be in a listed region.
    GeoRegion(GeoRegionCaveat),
    /// The service using the token must be listed.
    Service(ServiceCaveat),
    /// The consumer of the token must be listed (or in a listed group).
    Consumer(ConsumerCaveat),
    /// The request must come through this interface.
    Interface(InterfaceCaveat),
    /// Operations are limited to a whitelist (checked per operation).
    Api(ApiCaveat),
    /// Data may only be read.
    DataReadonly(DataReadonlyCaveat),
    /// Data may only be accessed under the listed paths.
    DataPath(DataPathCaveat),
    /// Data may only be accessed in the listed objects.
    DataObjectId(DataObjectIdCaveat),
    /// The token carries no authorization (never holds).
    AuthorizationNone(AuthorizationNoneCaveat),
}

impl Caveat {
    /// A time caveat: valid while `now < valid_until` (unix seconds).
    #[must_use]
    pub fn time(valid_until: u64) -> Self {
        Self::Time(TimeCaveat { valid_until })
    }

    /// Parses the JSON form from text.
    ///
    /// # Errors
    /// `badValueCaveat` (key `caveat` when the text is not a JSON object).
    pub fn from_json_str(text: &str) -> Result<Self, Error> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| Error::bad_caveat("caveat", "not valid JSON"))?;
        // serde_json keeps the last of repeated keys silently; a caveat must not mean one thing
        // here and another to a reader that keeps the first.
        if let Ok(DuplicateKey(Some(key))) = serde_json::from_str::<DuplicateKey>(text) {
            return Err(Error::bad_caveat(key, "duplicate key"));
        }
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
        let caveat = Self::from_json_fields(ty, &fields)?;
        fields.reject_unknown()?;
        Ok(caveat)
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// `badValueCaveat`; a predicate of no known kind gives key `caveat`.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_text_form(text)
            .unwrap_or_else(|| Err(Error::bad_caveat("caveat", "not a known caveat text form")))
    }

    /// Decodes a native caveat; `Err` holds the reason it is not understood.
    pub(crate) fn from_native(bytes: &[u8]) -> Result<Self, &'static str> {
        let mut r = Reader::new(bytes);
        let n = r.array(usize::MAX).map_err(reason)?;
        let k = r.uint().map_err(reason)?;
        let caveat = Self::from_native_fields(k, n, &mut r)?;
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
        Error::Decode(crate::error::DecodeError::Malformed { reason }) => reason,
        _ => "malformed",
    }
}

/// A canonical decimal number (no sign, no leading zeros, no spaces) that fits a `u64`.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty()
        || !text.bytes().all(|b| b.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    text.parse().ok()
}

/// The first key repeated within one object anywhere in a JSON text, if any.
struct DuplicateKey(Option<String>);

impl<'de> serde::Deserialize<'de> for DuplicateKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DuplicateKeyVisitor)
    }
}

struct DuplicateKeyVisitor;

impl<'de> serde::de::Visitor<'de> for DuplicateKeyVisitor {
    type Value = DuplicateKey;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_unit<E>(self) -> Result<DuplicateKey, E> {
        Ok(DuplicateKey(None))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<DuplicateKey, A::Error> {
        let mut found = None;
        while let Some(DuplicateKey(d)) = seq.next_element()? {
            found = found.or(d);
        }
        Ok(DuplicateKey(found))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<DuplicateKey, A::Error> {
        let mut keys = std::collections::HashSet::new();
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            let DuplicateKey(inner) = map.next_value()?;
            if found.is_none() {
                found = if keys.contains(&key) {
                    Some(key.clone())
                } else {
                    inner
                };
            }
            keys.insert(key);
        }
        Ok(DuplicateKey(found))
    }
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

impl std::str::FromStr for Caveat {
    type Err = Error;

    /// As [`Caveat::from_text`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::from_text(text)
    }
}

impl crate::error::ErrorDetail for Caveat {
    fn to_json(&self) -> Value {
        Caveat::to_json(self)
    }
}
