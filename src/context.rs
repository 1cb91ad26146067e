//! What the request brings to verification: its time, the client address, what it asks for
//! ([`Context`]), and what kind of token it expects ([`Expect`]). The library never reads a
//! clock or a socket; the caller fills these in.

use crate::error::{DenialError, Detail, ValueError};
use std::net::IpAddr;

use crate::caveat::{Interface, Service};
use crate::error::Error;
use crate::identifier::{InviteType, Subject, TokenType};

/// What kind of token a request expects. A token of another kind is refused with
/// `notAnAccessToken`, `notAnIdentityToken` or `notAnInviteToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expect {
    /// An access token (with or without a session).
    Access,
    /// An identity token.
    Identity,
    /// An invite token; of this invite type if one is given.
    Invite(Option<InviteType>),
}

impl Expect {
    /// Parses the CLI form: `access`, `identity`, `invite` or `invite:<inviteType>`.
    ///
    /// # Errors
    /// `badValueTokenType`, or `badValueInviteType` for an unknown invite type.
    pub fn parse(text: &str) -> Result<Self, Error> {
        match text {
            "access" => Ok(Self::Access),
            "identity" => Ok(Self::Identity),
            "invite" => Ok(Self::Invite(None)),
            _ => match text.strip_prefix("invite:") {
                Some(name) => Ok(Self::Invite(Some(InviteType::parse(name)?))),
                None => Err(Error::Value(ValueError::TokenType {
                    reason: "expected access, identity, invite or invite:<inviteType>",
                })),
            },
        }
    }

    /// Checks a token type against the expectation.
    ///
    /// # Errors
    /// `notAnAccessToken`, `notAnIdentityToken` or `notAnInviteToken` (with
    /// `expectedInviteType`), each with the type received in its JSON form.
    pub fn check(self, token_type: &TokenType<'_>) -> Result<(), Error> {
        match (self, token_type) {
            (Self::Access, TokenType::Access { .. }) | (Self::Identity, TokenType::Identity) => {
                Ok(())
            }
            (Self::Invite(None), TokenType::Invite { .. }) => Ok(()),
            (Self::Invite(Some(want)), TokenType::Invite { invite_type, .. })
                if want == *invite_type =>
            {
                Ok(())
            }
            (Self::Access, other) => Err(Error::Denied(DenialError::NotAnAccessToken {
                received: Detail::new(other.clone().into_owned()),
            })),
            (Self::Identity, other) => Err(Error::Denied(DenialError::NotAnIdentityToken {
                received: Detail::new(other.clone().into_owned()),
            })),
            (Self::Invite(want), other) => Err(Error::Denied(DenialError::NotAnInviteToken {
                expected_invite_type: want.map(InviteType::name),
                received: Detail::new(other.clone().into_owned()),
            })),
        }
    }
}

/// What the request brings: the time, the client address, what it asks for. The library never
/// reads a clock or a socket; the caller fills this in.
///
/// There is no `Default`: a context always starts from the time of the request, so no verifier
/// can be built that silently checks tokens "at the Unix epoch". Build one with
/// [`Context::at`] and the `with_*` methods:
///
/// ```
/// use caveat_token::Context;
///
/// let ctx = Context::at(1_700_000_000).with_ip("10.0.0.7".parse().unwrap());
/// assert_eq!(ctx.now(), 1_700_000_000);
/// assert_eq!(ctx.ip(), Some("10.0.0.7".parse().unwrap()));
/// ```
///
/// ```compile_fail
/// // A context without a time does not exist.
/// let ctx = caveat_token::Context::default();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Now, in unix seconds.
    pub(crate) now: u64,
    /// The client's address, if known. Caveats that need it fail closed without it.
    pub(crate) ip: Option<IpAddr>,
    /// The invite type the request asks to use, if any (when `None`, an
    /// [`Expect::Invite`] with a type stands for it).
    pub(crate) invite_type: Option<InviteType>,
    /// Application attributes (e.g. `("example.com/action", "read")`) for registered predicates.
    pub(crate) attributes: Vec<(String, String)>,
    /// The kind of token the request expects; `None` accepts any kind.
    pub(crate) expect: Option<Expect>,
    /// The interface the request came through, for `interface` caveats.
    pub(crate) interface: Option<Interface>,
    /// The service the token is used in (authenticated by the caller), for `service` caveats.
    pub(crate) service: Option<Service>,
    /// Who consumes the token (authenticated by the caller), for `consumer` caveats.
    pub(crate) consumer: Option<Subject<'static>>,
}

impl Context {
    /// A context at `now` (unix seconds) with nothing else known.
    #[must_use]
    pub fn at(now: u64) -> Self {
        Self {
            now,
            ip: None,
            invite_type: None,
            attributes: Vec::new(),
            expect: None,
            interface: None,
            service: None,
            consumer: None,
        }
    }

    /// The same request at another time.
    #[must_use]
    pub fn with_now(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    /// Now, in unix seconds.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The client's address, if known.
    #[must_use]
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The invite type the request explicitly asks to use, if any.
    #[must_use]
    pub fn invite_type(&self) -> Option<InviteType> {
        self.invite_type
    }

    /// The kind of token the request expects, if any.
    #[must_use]
    pub fn expect(&self) -> Option<Expect> {
        self.expect
    }

    /// The interface the request came through, if known.
    #[must_use]
    pub fn interface(&self) -> Option<Interface> {
        self.interface
    }

    /// The service the token is used in, if known.
    #[must_use]
    pub fn service(&self) -> Option<&Service> {
        self.service.as_ref()
    }

    /// Who consumes the token, if known.
    #[must_use]
    pub fn consumer(&self) -> Option<&Subject<'static>> {
        self.consumer.as_ref()
    }

    /// Sets the client address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// As [`Context::with_ip`], from an optional value (`None` clears it).
    #[must_use]
    pub fn with_ip_opt(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }

    /// Sets the requested invite type.
    #[must_use]
    pub fn with_invite_type(mut self, invite_type: InviteType) -> Self {
        self.invite_type = Some(invite_type);
        self
    }

    /// As [`Context::with_invite_type`], from an optional value (`None` clears it).
    #[must_use]
    pub fn with_invite_type_opt(mut self, invite_type: Option<InviteType>) -> Self {
        self.invite_type = invite_type;
        self
    }

    /// Adds an application attribute.
    #[must_use]
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// Sets the kind of token expected.
    #[must_use]
    pub fn expecting(mut self, expect: Expect) -> Self {
        self.expect = Some(expect);
        self
    }

    /// Sets the interface the request came through.
    #[must_use]
    pub fn with_interface(mut self, interface: Interface) -> Self {
        self.interface = Some(interface);
        self
    }

    /// As [`Context::with_interface`], from an optional value (`None` clears it).
    #[must_use]
    pub fn with_interface_opt(mut self, interface: Option<Interface>) -> Self {
        self.interface = interface;
        self
    }

    /// Sets the service the token is used in.
    #[must_use]
    pub fn with_service(mut self, service: Service) -> Self {
        self.service = Some(service);
        self
    }

    /// As [`Context::with_service`], from an optional value (`None` clears it).
    #[must_use]
    pub fn with_service_opt(mut self, service: Option<Service>) -> Self {
        self.service = service;
        self
    }

    /// Sets the consumer of the token.
    #[must_use]
    pub fn with_consumer(mut self, consumer: Subject<'_>) -> Self {
        self.consumer = Some(consumer.into_owned());
        self
    }

    /// The invite type the request asks for: the explicit one, else the expected one.
    #[must_use]
    pub fn requested_invite_type(&self) -> Option<InviteType> {
        self.invite_type.or(match self.expect {
            Some(Expect::Invite(t)) => t,
            _ => None,
        })
    }

    /// The first attribute named `name`.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl std::str::FromStr for Expect {
    type Err = Error;

    /// As [`Expect::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl std::fmt::Display for Expect {
    /// The CLI form that [`Expect::parse`] reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Access => f.write_str("access"),
            Self::Identity => f.write_str("identity"),
            Self::Invite(None) => f.write_str("invite"),
            Self::Invite(Some(t)) => write!(f, "invite:{t}"),
        }
    }
}
