//! `interface`: the token may only be used through one interface, e.g. `interface = rest`.

use serde_json::{json, Value};

use super::{kind, kind::CaveatKind, reason, Fields};
use crate::error::Error;
use crate::wire::cbor::{self, Reader};

/// The interfaces a client can use a token through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Interface {
    /// The REST API, `rest`.
    Rest,
    /// The Oneclient data client, `oneclient`.
    Oneclient,
    /// The GraphSync websocket channel, `graphsync`.
    Graphsync,
}

impl Interface {
    /// Every interface, in code order.
    pub const ALL: &'static [Interface] = &[Self::Rest, Self::Oneclient, Self::Graphsync];

    /// The name used in text and JSON forms.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Oneclient => "oneclient",
            Self::Graphsync => "graphsync",
        }
    }

    /// Looks an interface up by its name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|i| i.name() == name)
    }

    /// Parses a name, with a typed error.
    ///
    /// # Errors
    /// `badValueCaveat` (key `interface`).
    pub fn parse(name: &str) -> Result<Self, Error> {
        Self::from_name(name)
            .ok_or_else(|| Error::bad_caveat("interface", "expected rest, oneclient or graphsync"))
    }

    fn code(self) -> u64 {
        match self {
            Self::Rest => 0,
            Self::Oneclient => 1,
            Self::Graphsync => 2,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        Self::ALL.iter().copied().find(|i| i.code() == code)
    }
}

impl std::fmt::Display for Interface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The interface the request came through must be this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterfaceCaveat {
    /// The only interface allowed.
    pub(crate) interface: Interface,
}

impl InterfaceCaveat {
    /// A caveat that holds only for requests through `interface`.
    #[must_use]
    pub const fn new(interface: Interface) -> Self {
        Self { interface }
    }

    /// The `interface` this was built with.
    #[must_use]
    pub fn interface(&self) -> Interface {
        self.interface
    }
}

impl InterfaceCaveat {
    /// Whether the request's interface (`None` when unknown, which fails closed) is the one.
    #[must_use]
    pub fn holds(&self, interface: Option<Interface>) -> bool {
        interface == Some(self.interface)
    }

    pub(crate) fn parse_text(rest: &str) -> Result<Self, Error> {
        Ok(Self {
            interface: Interface::parse(rest)?,
        })
    }
}

impl CaveatKind for InterfaceCaveat {
    const NAME: &'static str = "interface";
    const CODE: u64 = kind::INTERFACE;
    const FIELDS: usize = 2;

    fn from_json(f: &Fields<'_>) -> Result<Self, Error> {
        let name = f
            .get("interface")?
            .as_str()
            .ok_or_else(|| Error::bad_caveat("interface", "not a string"))?;
        Ok(Self {
            interface: Interface::parse(name)?,
        })
    }

    fn to_json(&self) -> Value {
        json!({"type": "interface", "interface": self.interface.name()})
    }

    fn to_text(&self) -> String {
        format!("interface = {}", self.interface.name())
    }

    fn from_text(text: &str) -> Option<Result<Self, Error>> {
        text.strip_prefix("interface = ").map(Self::parse_text)
    }

    fn encode_fields(&self, out: &mut Vec<u8>) {
        cbor::write_uint(out, self.interface.code());
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, &'static str> {
        let interface =
            Interface::from_code(r.uint().map_err(reason)?).ok_or("unknown interface code")?;
        Ok(Self { interface })
    }
}

impl std::str::FromStr for Interface {
    type Err = Error;

    /// As [`Interface::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}
