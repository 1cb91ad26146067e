//! `consumer`: whoever consumes the token (the bearer, authenticated by other means) must be one
//! of the listed users, providers, or a member of a listed group, e.g.
//! `consumer = usr-alice|grp-admins|prv-*`.

use serde_json::{json, Value};

use super::service::WILDCARD;
use super::{kind, list_entries, reason, write_kind, Fields, MAX_LIST_ENTRIES};
use crate::codec::cbor::{self, Reader};
use crate::error::Error;
use crate::membership::GroupMembership;
use crate::token::{check_id, Subject};

/// The kinds of consumer a whitelist can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    pub kind: ConsumerKind,
    /// The id, or `*`.
    pub id: String,
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
    pub whitelist: Vec<Consumer>,
}

impl ConsumerCaveat {
    /// A caveat allowing the given consumers.
    ///
    /// # Errors
    /// `badValueCaveat` (key `whitelist`) when the list is empty or too long.
    pub fn new(whitelist: Vec<Consumer>) -> Result<Self, Error> {
        if whitelist.is_empty() {
            return Err(Error::bad_caveat("whitelist", "empty list"));
        }
        if whitelist.len() > MAX_LIST_ENTRIES {
            return Err(Error::bad_caveat("whitelist", "more than 64 entries"));
        }
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

    pub(crate) fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let list = f
            .strings("whitelist")?
            .into_iter()
            .map(Consumer::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(list)
    }

    pub(crate) fn to_json(&self) -> Value {
        let list: Vec<String> = self.whitelist.iter().map(ToString::to_string).collect();
        json!({"type": "consumer", "whitelist": list})
    }

    pub(crate) fn to_text(&self) -> String {
        let list: Vec<String> = self.whitelist.iter().map(ToString::to_string).collect();
        format!("consumer = {}", list.join("|"))
    }

    pub(crate) fn from_text(rest: &str) -> Result<Self, Error> {
        let list = list_entries(rest, "whitelist")?
            .map(Consumer::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(list)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        write_kind(out, 2, kind::CONSUMER);
        cbor::write_array(out, self.whitelist.len());
        for c in &self.whitelist {
            cbor::write_array(out, 2);
            cbor::write_uint(out, c.kind.number());
            cbor::write_text(out, &c.id);
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let n = r.array(MAX_LIST_ENTRIES).map_err(reason)?;
        let mut list = Vec::with_capacity(n);
        for _ in 0..n {
            r.array_of(2).map_err(reason)?;
            let kind = ConsumerKind::from_number(r.uint().map_err(reason)?)
                .ok_or("unknown consumer kind")?;
            let id = r.text(crate::token::MAX_ID_LEN).map_err(reason)?;
            if id != WILDCARD {
                check_id(id)?;
            }
            list.push(Consumer {
                kind,
                id: id.to_owned(),
            });
        }
        Self::new(list).map_err(|_| "empty consumer whitelist")
    }
}
