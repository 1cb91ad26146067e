//! `consumer`: whoever consumes the token (the bearer, authenticated by other means) must be one
//! of the listed users, providers, or a member of a listed group, e.g.
//! `consumer = usr-alice|grp-admins|prv-*`.

use serde_json::{json, Value};

use super::service::{read_entry, write_entry, WILDCARD};
use super::{kind, kind::CaveatKind, list, Fields, MAX_LIST_ENTRIES};
use crate::error::Error;
use crate::identifier::{check_id, Subject};
use crate::membership::GroupMembership;
use crate::wire::cbor::Reader;

/// The kinds of consumer a whitelist can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ConsumerKind {
    /// A user, `usr-`.
    User,
    /// Any member of a group, `grp-` (checked through the verifier's
    /// [`GroupMembership`]).
    Group,
    /// A provider, `prv-`.
    Provider,
}

impl ConsumerKind {
    /// The three-letter prefix, e.g. `grp`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::User => "usr",
            Self::Group => "grp",
            Self::Provider => "prv",
        }
    }

    fn number(self) -> u64 {
        match self {
            Self::User => 0,
            Self::Group => 1,
            Self::Provider => 2,
        }
    }

    fn from_number(n: u64) -> Option<Self> {
        match n {
            0 => Some(Self::User),
            1 => Some(Self::Group),
            2 => Some(Self::Provider),
            _ => None,
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "usr" => Some(Self::User),
            "grp" => Some(Self::Group),
            "prv" => Some(Self::Provider),
            _ => None,
        }
    }
}

/// One whitelist entry: `usr-<id>`, `grp-<id>`, `prv-<id>`, or with the id `*` (any user, any
/// provider). `grp-*` is accepted, as Onedata does, but matches nobody.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Consumer {
    /// The kind of consumer.
    pub(crate) kind: ConsumerKind,
    /// The id, or `*`.
    pub(crate) id: String,
}

impl Consumer {
    /// The `kind` this was built with.
    #[must_use]
    pub fn kind(&self) -> ConsumerKind {
        self.kind
    }

    /// The `id` this was built with.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Consumer {
    /// Parses `usr-<id>`, `grp-<id>` or `prv-<id>` (the id may be `*`).
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |r| Error::bad_caveat("whitelist", r);
        let (code, id) = text
            .split_once('-')
            .ok_or(bad("expected usr-<id>, grp-<id> or prv-<id>"))?;
        let kind = ConsumerKind::from_code(code).ok_or(bad("expected usr-, grp- or prv-"))?;
        if id != WILDCARD {
            check_id(id).map_err(bad)?;
        }
        Ok(Self {
            kind,
            id: id.to_owned(),
        })
    }

    /// Whether this entry admits `consumer`. Group entries ask `groups`; with none, or for
    /// `grp-*`, they admit nobody.
    #[must_use]
    pub fn matches(&self, consumer: &Subject<'_>, groups: Option<&dyn GroupMembership>) -> bool {
        match (self.kind, consumer) {
            (ConsumerKind::Group, _) => {
                self.id != WILDCARD && groups.is_some_and(|g| g.is_member(consumer, &self.id))
            }
            (ConsumerKind::User, Subject::User(id))
            | (ConsumerKind::Provider, Subject::Provider(id)) => {
                self.id == WILDCARD || self.id == **id
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.kind.code(), self.id)
    }
}

/// A whitelist of consumers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConsumerCaveat {
    /// The allowed consumers (never empty).
    pub(crate) whitelist: Vec<Consumer>,
}

impl ConsumerCaveat {
    /// The `whitelist` this was built with.
    #[must_use]
    pub fn whitelist(&self) -> &[Consumer] {
        &self.whitelist
    }
}

impl ConsumerCaveat {
    /// A caveat allowing the given consumers.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or too long.
    pub fn new(whitelist: Vec<Consumer>) -> Result<Self, Error> {
        list::check_len(&whitelist, "whitelist")?;
        Ok(Self { whitelist })
    }

    /// Whether `consumer` (`None` when the bearer did not authenticate) is admitted by an entry.
    #[must_use]
    pub fn holds(
        &self,
        consumer: Option<&Subject<'_>>,
        groups: Option<&dyn GroupMembership>,
    ) -> bool {
        consumer.is_some_and(|c| self.whitelist.iter().any(|e| e.matches(c, groups)))
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Self::new(list::from_text(rest, "whitelist", Consumer::parse)?)
    }
}

impl CaveatKind for ConsumerCaveat {
    const NAME: &'static str = "consumer";
    const CODE: u64 = kind::CONSUMER;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        Self::new(list::from_json(f, "whitelist", Consumer::parse)?)
    }

    fn to_json(&self) -> Value {
        json!({"type": "consumer", "whitelist": list::strings(&self.whitelist)})
    }

    fn to_text(&self) -> String {
        format!("consumer = {}", list::join(&self.whitelist))
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("consumer = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        list::write(out, &self.whitelist, |out, c| {
            write_entry(out, c.kind.number(), &c.id);
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let whitelist = list::read(r, MAX_LIST_ENTRIES, |r| {
            let (kind, id) = read_entry(r, ConsumerKind::from_number, "unknown consumer kind")?;
            Ok(Consumer { kind, id })
        })?;
        Self::new(whitelist).map_err(|_| "empty consumer whitelist")
    }
}

impl std::str::FromStr for Consumer {
    type Err = Error;

    /// As [`Consumer::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}
