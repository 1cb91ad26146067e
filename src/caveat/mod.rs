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
use crate::wire::cbor::{self, Reader};

/// Native kind numbers (SPEC.md §5).
pub(crate) mod kind {
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

    /// The kind's name as used in JSON (`"time"`, `"ip"`, `"inviteType"`, `"app"`, `"asn"`,
    /// `"geo.country"`, `"geo.region"`, `"service"`, `"consumer"`, `"interface"`, `"api"`,
    /// `"data.readonly"`, `"data.path"`, `"data.objectid"`, `"authorizationNone"`).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Time(_) => "time",
            Self::Ip(_) => "ip",
            Self::InviteType(_) => "inviteType",
            Self::App(_) => "app",
            Self::Asn(_) => "asn",
            Self::GeoCountry(_) => "geo.country",
            Self::GeoRegion(_) => "geo.region",
            Self::Service(_) => "service",
            Self::Consumer(_) => "consumer",
            Self::Interface(_) => "interface",
            Self::Api(_) => "api",
            Self::DataReadonly(_) => "data.readonly",
            Self::DataPath(_) => "data.path",
            Self::DataObjectId(_) => "data.objectid",
            Self::AuthorizationNone(_) => "authorizationNone",
        }
    }

    /// The kind's code in the native format (the `kind` module): one per variant, what
    /// [`crate::verify::caveat_allowed`] decides on.
    pub(crate) fn kind(&self) -> u64 {
        match self {
            Self::Time(_) => kind::TIME,
            Self::Ip(_) => kind::IP,
            Self::InviteType(_) => kind::INVITE_TYPE,
            Self::App(_) => kind::APP,
            Self::Asn(_) => kind::ASN,
            Self::GeoCountry(_) => kind::GEO_COUNTRY,
            Self::GeoRegion(_) => kind::GEO_REGION,
            Self::Service(_) => kind::SERVICE,
            Self::Consumer(_) => kind::CONSUMER,
            Self::Interface(_) => kind::INTERFACE,
            Self::Api(_) => kind::API,
            Self::DataReadonly(_) => kind::DATA_READONLY,
            Self::DataPath(_) => kind::DATA_PATH,
            Self::DataObjectId(_) => kind::DATA_OBJECTID,
            Self::AuthorizationNone(_) => kind::AUTHORIZATION_NONE,
        }
    }

    /// Whether this is a data-access caveat (`data.readonly`, `data.path`, `data.objectid`):
    /// those hold only when the verifier allows them.
    #[must_use]
    pub fn is_data_access(&self) -> bool {
        matches!(
            self,
            Self::DataReadonly(_) | Self::DataPath(_) | Self::DataObjectId(_)
        )
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
        let caveat = match ty {
            "time" => Self::Time(TimeCaveat::from_json(&fields)?),
            "ip" => Self::Ip(IpCaveat::from_json(&fields)?),
            "inviteType" => Self::InviteType(InviteTypeCaveat::from_json(&fields)?),
            "app" => Self::App(AppCaveat::from_json(&fields)?),
            "asn" => Self::Asn(AsnCaveat::from_json(&fields)?),
            "geo.country" => Self::GeoCountry(GeoCountryCaveat::from_json(&fields)?),
            "geo.region" => Self::GeoRegion(GeoRegionCaveat::from_json(&fields)?),
            "service" => Self::Service(ServiceCaveat::from_json(&fields)?),
            "consumer" => Self::Consumer(ConsumerCaveat::from_json(&fields)?),
            "interface" => Self::Interface(InterfaceCaveat::from_json(&fields)?),
            "api" => Self::Api(ApiCaveat::from_json(&fields)?),
            "data.readonly" => Self::DataReadonly(DataReadonlyCaveat),
            "data.path" => Self::DataPath(DataPathCaveat::from_json(&fields)?),
            "data.objectid" => Self::DataObjectId(DataObjectIdCaveat::from_json(&fields)?),
            "authorizationNone" => Self::AuthorizationNone(AuthorizationNoneCaveat),
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
            Self::Asn(c) => c.to_json(),
            Self::GeoCountry(c) => c.to_json(),
            Self::GeoRegion(c) => c.to_json(),
            Self::Service(c) => c.to_json(),
            Self::Consumer(c) => c.to_json(),
            Self::Interface(c) => c.to_json(),
            Self::Api(c) => c.to_json(),
            Self::DataReadonly(c) => c.to_json(),
            Self::DataPath(c) => c.to_json(),
            Self::DataObjectId(c) => c.to_json(),
            Self::AuthorizationNone(c) => c.to_json(),
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
            Self::Asn(c) => c.to_text(),
            Self::GeoCountry(c) => c.to_text(),
            Self::GeoRegion(c) => c.to_text(),
            Self::Service(c) => c.to_text(),
            Self::Consumer(c) => c.to_text(),
            Self::Interface(c) => c.to_text(),
            Self::Api(c) => c.to_text(),
            Self::DataReadonly(c) => c.to_text(),
            Self::DataPath(c) => c.to_text(),
            Self::DataObjectId(c) => c.to_text(),
            Self::AuthorizationNone(c) => c.to_text(),
        }
    }

    /// Parses the text form.
    ///
    /// # Errors
    /// `badValueCaveat`; a predicate of no known kind gives key `caveat`.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        match text {
            "data.readonly" => return Ok(Self::DataReadonly(DataReadonlyCaveat)),
            "authorization = none" => return Ok(Self::AuthorizationNone(AuthorizationNoneCaveat)),
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("asn = ") {
            return AsnCaveat::from_text(rest).map(Self::Asn);
        }
        if let Some(rest) = text.strip_prefix("geo.country") {
            if let Some((filter, list)) = geo::split_operator(rest) {
                return GeoCountryCaveat::from_text(filter, list).map(Self::GeoCountry);
            }
        }
        if let Some(rest) = text.strip_prefix("geo.region") {
            if let Some((filter, list)) = geo::split_operator(rest) {
                return GeoRegionCaveat::from_text(filter, list).map(Self::GeoRegion);
            }
        }
        if let Some(rest) = text.strip_prefix("service = ") {
            return ServiceCaveat::from_text(rest).map(Self::Service);
        }
        if let Some(rest) = text.strip_prefix("consumer = ") {
            return ConsumerCaveat::from_text(rest).map(Self::Consumer);
        }
        if let Some(rest) = text.strip_prefix("interface = ") {
            return InterfaceCaveat::from_text(rest).map(Self::Interface);
        }
        if let Some(rest) = text.strip_prefix("api = ") {
            return ApiCaveat::from_text(rest).map(Self::Api);
        }
        if let Some(rest) = text.strip_prefix("data.path = ") {
            return DataPathCaveat::from_text(rest).map(Self::DataPath);
        }
        if let Some(rest) = text.strip_prefix("data.objectid = ") {
            return DataObjectIdCaveat::from_text(rest).map(Self::DataObjectId);
        }
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
            Self::Asn(c) => c.encode(&mut out),
            Self::GeoCountry(c) => c.encode(&mut out),
            Self::GeoRegion(c) => c.encode(&mut out),
            Self::Service(c) => c.encode(&mut out),
            Self::Consumer(c) => c.encode(&mut out),
            Self::Interface(c) => c.encode(&mut out),
            Self::Api(c) => c.encode(&mut out),
            Self::DataReadonly(c) => c.encode(&mut out),
            Self::DataPath(c) => c.encode(&mut out),
            Self::DataObjectId(c) => c.encode(&mut out),
            Self::AuthorizationNone(c) => c.encode(&mut out),
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
            (kind::ASN, 2) => Self::Asn(AsnCaveat::decode(&mut r)?),
            (kind::GEO_COUNTRY, 3) => Self::GeoCountry(GeoCountryCaveat::decode(&mut r)?),
            (kind::GEO_REGION, 3) => Self::GeoRegion(GeoRegionCaveat::decode(&mut r)?),
            (kind::SERVICE, 2) => Self::Service(ServiceCaveat::decode(&mut r)?),
            (kind::CONSUMER, 2) => Self::Consumer(ConsumerCaveat::decode(&mut r)?),
            (kind::INTERFACE, 2) => Self::Interface(InterfaceCaveat::decode(&mut r)?),
            (kind::API, 2) => Self::Api(ApiCaveat::decode(&mut r)?),
            (kind::DATA_READONLY, 1) => Self::DataReadonly(DataReadonlyCaveat),
            (kind::DATA_PATH, 2) => Self::DataPath(DataPathCaveat::decode(&mut r)?),
            (kind::DATA_OBJECTID, 2) => Self::DataObjectId(DataObjectIdCaveat::decode(&mut r)?),
            (kind::AUTHORIZATION_NONE, 1) => Self::AuthorizationNone(AuthorizationNoneCaveat),
            (0..=kind::AUTHORIZATION_NONE, _) => return Err("wrong number of caveat fields"),
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

pub(crate) fn write_kind(out: &mut Vec<u8>, fields: usize, k: u64) {
    cbor::write_array(out, fields);
    cbor::write_uint(out, k);
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
