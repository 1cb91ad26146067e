//! `service`: the service that received the token (and authenticated itself to the verifier)
//! must be one of the listed ones, e.g. `service = ozw-onezone|opw-*`.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, list, reason, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::identifier::{check_id, MAX_ID_LEN};
use crate::wire::cbor::{self, Reader};

/// The id that matches any id of a kind, in caveat whitelists (`opw-*`).
pub const WILDCARD: &str = "*";

/// The kinds of Onedata services, with their three-letter codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ServiceKind {
    /// Onezone's worker, `ozw`.
    OzWorker,
    /// Onezone's panel, `ozp`.
    OzPanel,
    /// A Oneprovider's worker, `opw`.
    OpWorker,
    /// A Oneprovider's panel, `opp`.
    OpPanel,
}

impl ServiceKind {
    /// Every kind, in code order.
    pub const ALL: &'static [ServiceKind] =
        &[Self::OzWorker, Self::OzPanel, Self::OpWorker, Self::OpPanel];

    /// The three-letter code, e.g. `opw`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::OzWorker => "ozw",
            Self::OzPanel => "ozp",
            Self::OpWorker => "opw",
            Self::OpPanel => "opp",
        }
    }

    /// Looks a kind up by its three-letter code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The number used for it in the native format (`api` and `service` caveats).
    #[must_use]
    pub fn number(self) -> u64 {
        match self {
            Self::OzWorker => 0,
            Self::OzPanel => 1,
            Self::OpWorker => 2,
            Self::OpPanel => 3,
        }
    }

    /// Looks a kind up by its native number.
    #[must_use]
    pub fn from_number(n: u64) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.number() == n)
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A service: its kind and id, written `<code>-<id>` (e.g. `ozw-onezone`, `opw-p1`). In a
/// caveat's whitelist the id may be `*`, matching any service of that kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    /// The kind of service.
    pub(crate) kind: ServiceKind,
    /// Its id (a cluster or provider id; `onezone` for Onezone), or `*` in a whitelist.
    pub(crate) id: String,
}

impl Service {
    /// The `kind` this was built with.
    #[must_use]
    pub fn kind(&self) -> ServiceKind {
        self.kind
    }

    /// The `id` this was built with.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Service {
    /// Parses `<code>-<id>` (or `<code>-*`).
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) for an unknown code or a bad id.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |r| Error::bad_caveat("whitelist", r);
        let (code, id) = text
            .split_once('-')
            .ok_or(bad("expected <service code>-<id>"))?;
        let kind = ServiceKind::from_code(code).ok_or(bad("unknown service code"))?;
        if id != WILDCARD {
            check_id(id).map_err(bad)?;
        }
        Ok(Self {
            kind,
            id: id.to_owned(),
        })
    }

    /// Whether this whitelist entry matches `actual` (the `*` id matches any id of the kind).
    #[must_use]
    pub fn matches(&self, actual: &Service) -> bool {
        self.kind == actual.kind && (self.id == WILDCARD || self.id == actual.id)
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.kind.code(), self.id)
    }
}

/// A whitelist of services; the service the token is used in must match an entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceCaveat {
    /// The allowed services (never empty).
    pub(crate) whitelist: Vec<Service>,
}

impl ServiceCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[Service] {
        &self.whitelist
    }
}

impl ServiceCaveat {
    /// A caveat allowing the given services.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or too long.
    pub fn new(whitelist: Vec<Service>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        Ok(Self { whitelist })
    }

    /// Whether `service` (`None` when the service did not authenticate) is whitelisted.
    #[must_use]
    pub fn holds(&self, service: Option<&Service>) -> bool {
        service.is_some_and(|s| self.whitelist.iter().any(|e| e.matches(s)))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Self::new(list::from_text(rest, "whitelist", Service::parse)?)
    }
}

impl CaveatKind for ServiceCaveat {
    const NAME: &'static str = "service";
    const CODE: u64 = kind::SERVICE;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", Service::parse)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "service", "whitelist": list::strings(&self.whitelist)})
    }

    fn to_text(&self) -> String {
        format!("service = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("service = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, s| {
            write_entry(out, s.kind.number(), &s.id);
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            let (kind, id) = read_entry(r, ServiceKind::from_number, "unknown service kind")?;
            Ok(Service { kind, id })
        })?;
        Self::new(whitelist).map_err(|_| "empty service whitelist")
    }
}

/// Writes a native `service` or `consumer` whitelist entry: `[kind number, id]`.
pub(super) fn write_entry(out: &mut Vec<u8>, number: u64, id: &str) {
    cbor::write_array(out, 2);
    cbor::write_uint(out, number);
    cbor::write_text(out, id);
}

/// Reads a native `service` or `consumer` whitelist entry, `[kind number, id]`: the kind as
/// `from_number` finds it (`unknown` when it does not), and the id (a valid one, or `*`).
pub(super) fn read_entry<K>(
    r: &mut Reader<'_>,
    from_number: fn(u64) -> Option<K>,
    unknown: &'static str,
) -> Result<(K, String), &'static str> {
    r.array_of(2).map_err(reason)?;
    let kind = from_number(r.uint().map_err(reason)?).ok_or(unknown)?;
    let id = r.text(MAX_ID_LEN).map_err(reason)?;
    if id != WILDCARD {
        check_id(id)?;
    }
    Ok((kind, id.to_owned()))
}

impl std::str::FromStr for Service {
    type Err = Error;

    /// As [`Service::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}
