//! Verification, then clearing: the verifier recomputes the whole HMAC chain under the root key
//! and compares tags in constant time (verification); only then does it check what the token is
//! for, whether it was revoked, and each caveat against the request [`Context`] (clearing). A
//! forged token never reaches any of those checks.
//!
//! Order: signature → token type ([`Expect`]) → revocation ([`crate::revocation`]) → caveats,
//! each of which must be allowed for the token's type and hold.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::caveat::{kind, Caveat, Gri, Interface, Operation, Service, ServiceKind};
use crate::chain;
use crate::codec::native::{self, CaveatView};
use crate::codec::{self, Format, Limits};
use crate::denial::Denial;
use crate::error::CaveatRef;
use crate::error::Error;
use crate::geo::GeoSource;
use crate::key::{KeySource, NameMap};
use crate::membership::GroupMembership;
use crate::restrictions::{DataAccess, Restrictions};
use crate::revocation::{self, GenerationSource, RevocationSource};
use crate::token::{Identifier, InviteType, Persistence, Subject, Token, TokenType};

/// What kind of token a request expects. A token of another kind is refused with
/// `notAnAccessToken`, `notAnIdentityToken` or `notAnInviteToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
                None => Err(Error::BadValueTokenType {
                    reason: "expected access, identity, invite or invite:<inviteType>",
                }),
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
            (Self::Access, other) => Err(Error::NotAnAccessToken {
                received: other.to_json(),
            }),
            (Self::Identity, other) => Err(Error::NotAnIdentityToken {
                received: other.to_json(),
            }),
            (Self::Invite(want), other) => Err(Error::NotAnInviteToken {
                expected_invite_type: want.map(|t| t.name().to_owned()),
                received: other.to_json(),
            }),
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

    /// Sets or clears the client address.
    #[must_use]
    pub fn with_ip_opt(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }

    /// Sets the client address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the requested invite type.
    #[must_use]
    pub fn with_invite_type(mut self, invite_type: InviteType) -> Self {
        self.invite_type = Some(invite_type);
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

    /// Sets the service the token is used in.
    #[must_use]
    pub fn with_service(mut self, service: Service) -> Self {
        self.service = Some(service);
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

/// A predicate for an application caveat: given the caveat's value and the request, does it hold?
pub type Predicate = Arc<dyn Fn(&str, &Context) -> bool + Send + Sync>;

/// Checks tokens: configuration (limits, leeway, registered predicates, the caller's sources of
/// revocation, generation, geolocation and group membership) shared across requests.
#[derive(Clone, Default)]
pub struct Verifier {
    limits: Limits,
    leeway: u64,
    predicates: NameMap<Predicate>,
    allow_data_access: bool,
    geo: Option<Arc<dyn GeoSource + Send + Sync>>,
    groups: Option<Arc<dyn GroupMembership + Send + Sync>>,
    named: Option<Arc<dyn RevocationSource + Send + Sync>>,
    generations: Option<Arc<dyn GenerationSource + Send + Sync>>,
    exact: HashSet<String>,
    general: Vec<Predicate>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("limits", &self.limits)
            .field("leeway", &self.leeway)
            .field("predicates", &self.predicates.keys().collect::<Vec<_>>())
            .field("allow_data_access_caveats", &self.allow_data_access)
            .field("geo_source", &self.geo.is_some())
            .field("group_membership", &self.groups.is_some())
            .field("revocation_source", &self.named.is_some())
            .field("generation_source", &self.generations.is_some())
            .field("exact_predicates", &self.exact.len())
            .field("general_predicates", &self.general.len())
            .finish()
    }
}

/// Whether a token of `token_type` may carry `caveat` (Onedata's sets, plus this crate's
/// `inviteType` and `app`):
///
/// - access: every kind but `authorizationNone`;
/// - identity: `time`, `ip`, `asn`, `geo.*`, `consumer`, `interface`, `app`;
/// - invite: `time`, `ip`, `asn`, `geo.*`, `consumer`, `inviteType`, `app`.
///
/// A caveat not allowed is refused (`tokenCaveatUnverified`) whatever the context.
#[must_use]
pub fn caveat_allowed(token_type: &TokenType<'_>, caveat: &Caveat) -> bool {
    kind_allowed(TypeClass::of(token_type), caveat.kind())
}

/// The three token types, without their fields: all [`caveat_allowed`] looks at.
#[derive(Debug, Clone, Copy)]
enum TypeClass {
    Access,
    Identity,
    Invite,
}

impl TypeClass {
    const ALL: [Self; 3] = [Self::Access, Self::Identity, Self::Invite];

    fn name(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Identity => "identity",
            Self::Invite => "invite",
        }
    }

    fn of(token_type: &TokenType<'_>) -> Self {
        match token_type {
            TokenType::Access { .. } => Self::Access,
            TokenType::Identity => Self::Identity,
            TokenType::Invite { .. } => Self::Invite,
        }
    }
}

/// [`caveat_allowed`] on the kind's code (one per [`Caveat`] variant), so that the verifier's
/// in-place path asks the same table without building the caveat.
fn kind_allowed(class: TypeClass, kind: u64) -> bool {
    let common = matches!(
        kind,
        kind::TIME
            | kind::IP
            | kind::ASN
            | kind::GEO_COUNTRY
            | kind::GEO_REGION
            | kind::CONSUMER
            | kind::APP
    );
    match class {
        TypeClass::Access => kind != kind::AUTHORIZATION_NONE,
        TypeClass::Identity => common || kind == kind::INTERFACE,
        TypeClass::Invite => common || kind == kind::INVITE_TYPE,
    }
}

/// Whether every token type may carry caveats of `kind` (then clearing one does not need the
/// token's type).
fn kind_allowed_for_every_type(kind: u64) -> bool {
    TypeClass::ALL
        .into_iter()
        .all(|class| kind_allowed(class, kind))
}

/// The identifier of a token whose signature checked out, for the checks that follow. Given
/// when the caller has it already; otherwise parsed from the token the first time a check needs
/// it (a native token's was validated in full when the token was decoded or minted, and only its
/// key id was read for the chain), so a verification that needs neither the type nor the
/// revocation data does not parse it again.
struct SignedIdentifier<'a> {
    token: &'a Token,
    given: Option<&'a Identifier<'a>>,
    parsed: OnceCell<Identifier<'a>>,
}

impl<'a> SignedIdentifier<'a> {
    fn get(&self) -> Result<&Identifier<'a>, Error> {
        if let Some(identifier) = self.given.or_else(|| self.parsed.get()) {
            return Ok(identifier);
        }
        let identifier = self.token.untrusted_identifier()?;
        Ok(self.parsed.get_or_init(|| identifier))
    }
}

/// Where [`Verifier::after_signature`] takes a verified token's caveats from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Caveats<'a> {
    /// The token's own bytes, decoded as they are cleared (native ones in place when possible).
    Encoded,
    /// Decoded earlier from the same token, in chain order (the verification cache's hits).
    Decoded(&'a [Caveat]),
}

/// What clearing collects as it goes: the expiry (the least `validUntil` over every time caveat
/// of the token and its discharges), whether the token itself carries a time caveat (a temporary
/// token must), and the restrictions the caller enforces afterwards.
#[derive(Debug, Default)]
pub(crate) struct Clearing {
    expires: Option<u64>,
    own_time: bool,
    /// The discharge being cleared (`None` for the token itself).
    discharge: Option<usize>,
    restrictions: Restrictions,
}

impl Clearing {
    /// Lowers the expiry to `valid_until` (a time caveat was seen and held).
    pub(crate) fn saw_time(&mut self, valid_until: u64) {
        self.expires = Some(self.expires.map_or(valid_until, |e| e.min(valid_until)));
        if self.discharge.is_none() {
            self.own_time = true;
        }
    }

    /// From now on, caveats come from discharge `d`.
    pub(crate) fn in_discharge(&mut self, d: usize) {
        self.discharge = Some(d);
    }

    /// Records a caveat that held, keeping what the caller must still enforce.
    fn held(&mut self, index: usize, caveat: &Caveat) {
        self.restrictions.record(
            CaveatRef {
                discharge: self.discharge,
                index,
            },
            caveat,
        );
    }

    /// The expiry found.
    pub(crate) fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The restrictions recorded.
    pub(crate) fn into_restrictions(self) -> Restrictions {
        self.restrictions
    }

    /// A temporary token must carry a time caveat of its own (SPEC.md §6.4): one minted by code
    /// that skipped the issuance rule would otherwise never expire.
    pub(crate) fn require_time(&self, persistence: Persistence) -> Result<(), Error> {
        match persistence {
            Persistence::Temporary { .. } if !self.own_time => {
                Err(Error::TokenTimeCaveatRequired { max_ttl: None })
            }
            _ => Ok(()),
        }
    }
}

impl Verifier {
    /// A verifier with default limits, no leeway and no application predicates.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the decoding limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Allows `seconds` of clock skew on time caveats (valid while `now < validUntil + leeway`).
    #[must_use]
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Registers the predicate that checks application caveats named `name`.
    #[must_use]
    pub fn with_predicate<F>(mut self, name: impl Into<String>, predicate: F) -> Self
    where
        F: Fn(&str, &Context) -> bool + Send + Sync + 'static,
    {
        self.predicates.insert(name.into(), Arc::new(predicate));
        self
    }

    /// Lets data-access caveats (`data.readonly`, `data.path`, `data.objectid`) hold: set it
    /// only where the service enforces them (see [`VerifiedToken::data_access`]). Off by
    /// default, so such tokens are refused.
    #[must_use]
    pub fn with_data_access_caveats(mut self, allow: bool) -> Self {
        self.allow_data_access = allow;
        self
    }

    /// Sets where `asn`, `geo.country` and `geo.region` caveats look the client address up.
    /// Without one, those caveats never hold.
    #[must_use]
    pub fn with_geo_source<S: GeoSource + Send + Sync + 'static>(mut self, source: Arc<S>) -> Self {
        self.geo = Some(source);
        self
    }

    /// Sets who is in which group, for `consumer` caveats naming groups. Without one, group
    /// entries admit nobody.
    #[must_use]
    pub fn with_group_membership<S: GroupMembership + Send + Sync + 'static>(
        mut self,
        source: Arc<S>,
    ) -> Self {
        self.groups = Some(source);
        self
    }

    /// Sets the source of named tokens' status. Without one, named tokens are not checked for
    /// revocation.
    #[must_use]
    pub fn with_revocation_source<S: RevocationSource + Send + Sync + 'static>(
        mut self,
        source: Arc<S>,
    ) -> Self {
        self.named = Some(source);
        self
    }

    /// Sets the source of subjects' current generations. Without one, temporary tokens are not
    /// checked for revocation.
    #[must_use]
    pub fn with_generation_source<S: GenerationSource + Send + Sync + 'static>(
        mut self,
        source: Arc<S>,
    ) -> Self {
        self.generations = Some(source);
        self
    }

    /// The decoding limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes and verifies a token's text form, then clears its caveats against `ctx`.
    ///
    /// Order: size → decode → key lookup → whole chain → constant-time tag compare → token type
    /// → revocation → caveats.
    ///
    /// # Errors
    /// `tokenTooLarge`, `badToken`, `tokenInvalid` (wrong key, unknown key id, or any
    /// tampering), `notAnAccessToken` / `notAnIdentityToken` / `notAnInviteToken`,
    /// `tokenRevoked` / `tokenInvalid` (revocation), then `tokenCaveatUnknown` /
    /// `tokenCaveatUnverified` naming the caveat.
    pub fn verify_text<K: KeySource + ?Sized>(
        &self,
        text: &str,
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedToken, Error> {
        let token = Token::from_text(text, &self.limits)?;
        self.verify(token, keys, ctx)
    }

    /// Verifies a decoded token, then clears its caveats against `ctx`.
    ///
    /// A token with third-party caveats needs its discharges
    /// ([`Verifier::verify_with_discharges`]); a libmacaroons-format token, whose identifier is
    /// opaque, is verified with [`Verifier::verify_macaroon`].
    ///
    /// # Errors
    /// As [`Verifier::verify_text`], less the decoding errors; `dischargeMissing` for a
    /// third-party caveat; `badToken` for a libmacaroons-format token.
    pub fn verify<K: KeySource + ?Sized>(
        &self,
        token: Token,
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedToken, Error> {
        if token.format().is_macaroon() || !token.spans().third_party.is_empty() {
            // Opaque identifiers are refused there; third-party caveats need discharges.
            return self.verify_with_discharges(token, &[], keys, ctx);
        }
        let clearing = {
            let identifier = Self::signature(&token, keys)?;
            self.after_signature(&token, identifier.as_ref(), Caveats::Encoded, ctx)?
        };
        Ok(VerifiedToken::new(token, clearing))
    }

    /// Verification alone: recomputes the chain and compares the tag in constant time. Says
    /// nothing about caveats.
    ///
    /// # Errors
    /// `tokenInvalid`.
    pub fn check_signature<K: KeySource + ?Sized>(
        &self,
        token: &Token,
        keys: &K,
    ) -> Result<(), Error> {
        if token.format().is_macaroon() || !token.spans().third_party.is_empty() {
            return crate::discharge::check_signature(token, keys);
        }
        Self::signature(token, keys).map(|_| ())
    }

    /// The signature check; returns the identifier if it had to be parsed for it.
    ///
    /// A native token's identifier was validated in full when the token was decoded or minted,
    /// so only its key id is read before the chain (and `None` returned); other formats
    /// (Onedata's identifiers are text, with no key id) are parsed first, as the key lookup
    /// needs.
    fn signature<'t, K: KeySource + ?Sized>(
        token: &'t Token,
        keys: &K,
    ) -> Result<Option<Identifier<'t>>, Error> {
        if token.format() == Format::Native {
            Self::chain(token, native::key_id(token.identifier_bytes())?, keys)?;
            Ok(None)
        } else {
            let identifier = token.untrusted_identifier()?;
            Self::chain(token, identifier.key_id.as_deref(), keys)?;
            Ok(Some(identifier))
        }
    }

    /// Looks the root key up, recomputes the chain and compares the tag in constant time.
    fn chain<K: KeySource + ?Sized>(
        token: &Token,
        key_id: Option<&str>,
        keys: &K,
    ) -> Result<(), Error> {
        let key = keys.root_key(key_id).ok_or(Error::TokenInvalid)?;
        let tag = token.spans().tag_bytes();
        if chain::verify(
            key.state(),
            token.identifier_bytes(),
            token.caveat_bytes(),
            tag,
        ) {
            Ok(())
        } else {
            Err(Error::TokenInvalid)
        }
    }

    /// Everything [`Verifier::verify`] checks after the signature, in order: the token type
    /// against `ctx.expect`, revocation, then clearing (every caveat allowed for the token's type
    /// and holding in `ctx`), then the rule that a temporary token carries a time caveat; returns
    /// what clearing collected (expiry, restrictions).
    ///
    /// The one place for these checks: [`Verifier::verify`] runs it on the token's encoded
    /// caveats, and the verification cache runs it on every hit (it skips decoding and the
    /// chain, nothing else) on the caveats it decoded from the same token. Only call it on a
    /// token whose signature checked out, with its identifier if at hand (else it is parsed
    /// from `token` when a check needs it).
    pub(crate) fn after_signature(
        &self,
        token: &Token,
        identifier: Option<&Identifier<'_>>,
        caveats: Caveats<'_>,
        ctx: &Context,
    ) -> Result<Clearing, Error> {
        let identifier = SignedIdentifier {
            token,
            given: identifier,
            parsed: OnceCell::new(),
        };
        // Without an expectation and either source there is nothing to check, and the
        // identifier need not be parsed.
        if ctx.expect.is_some() || self.named.is_some() || self.generations.is_some() {
            self.check_type_and_revocation(identifier.get()?, ctx)?;
        }
        let mut state = Clearing::default();
        match caveats {
            Caveats::Decoded(decoded) => {
                for (index, caveat) in decoded.iter().enumerate() {
                    let token_type = &identifier.get()?.token_type;
                    self.clear_caveat(index, caveat, Some(token_type), ctx, &mut state)?;
                }
            }
            Caveats::Encoded => {
                let format = token.format();
                for (index, bytes) in token.caveat_bytes().enumerate() {
                    // Fast path: the common native kinds, read in place without allocating.
                    // The owned decoder and `clear_caveat` stay the authority for every other
                    // kind, every kind not allowed, and every error.
                    if format == Format::Native {
                        if let Some(view) = native::view_caveat(bytes) {
                            if self.clear_view(index, view, bytes, &identifier, ctx, &mut state)? {
                                continue;
                            }
                        }
                    }
                    let caveat = codec::decode_caveat(format, index, bytes)?;
                    let token_type = &identifier.get()?.token_type;
                    self.clear_caveat(index, &caveat, Some(token_type), ctx, &mut state)?;
                }
            }
        }
        if !state.own_time {
            state.require_time(identifier.get()?.persistence)?;
        }
        Ok(state)
    }

    /// Clears one caveat: allowed for the token's type (`None` for the opaque identifiers of the
    /// libmacaroons formats, which have no type), then holding in `ctx`; a `time` caveat lowers
    /// the expiry, and a restriction the caller enforces later is recorded. Every verification
    /// path (plain, cached, with discharges) clears through here.
    pub(crate) fn clear_caveat(
        &self,
        index: usize,
        caveat: &Caveat,
        token_type: Option<&TokenType<'_>>,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<(), Error> {
        if let Some(ty) = token_type.filter(|ty| !caveat_allowed(ty, caveat)) {
            return Err(Error::TokenCaveatUnverified {
                index,
                caveat: caveat.to_json(),
                reason: Denial::NotAllowedForTokenType {
                    token_type: TypeClass::of(ty).name(),
                },
            });
        }
        self.check_caveat(index, caveat, ctx)?;
        if let Caveat::Time(t) = caveat {
            state.saw_time(t.valid_until);
        }
        state.held(index, caveat);
        Ok(())
    }

    /// [`Verifier::clear_caveat`] on a caveat read in place, when that is sure to decide alike:
    /// `Ok(true)` when the caveat is allowed and holds, the same error when it is allowed and
    /// does not hold, `Ok(false)` to leave it to the general path (a kind not allowed for this
    /// type, an application caveat with no predicate). None of these kinds is a restriction.
    fn clear_view(
        &self,
        index: usize,
        view: CaveatView<'_>,
        bytes: &[u8],
        identifier: &SignedIdentifier<'_>,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<bool, Error> {
        let kind = view.kind();
        if !kind_allowed_for_every_type(kind)
            && !kind_allowed(TypeClass::of(&identifier.get()?.token_type), kind)
        {
            return Ok(false);
        }
        let holds = match view {
            CaveatView::Time(t) => Some(t.holds(ctx.now, self.leeway)),
            CaveatView::Ip(ip) => Some(ip.holds(ctx.ip)),
            CaveatView::App { name, value } => self.predicates.get(name).map(|p| p(value, ctx)),
        };
        match holds {
            Some(true) => {
                if let CaveatView::Time(t) = view {
                    state.saw_time(t.valid_until);
                }
                Ok(true)
            }
            Some(false) => {
                // Built here rather than by `check_caveat`, which would call the predicate a
                // second time.
                let caveat = codec::decode_caveat(Format::Native, index, bytes)?;
                let reason = match &caveat {
                    Caveat::App(_) => Denial::PredicateFailed,
                    other => self
                        .denial(other, ctx)
                        .ok()
                        .flatten()
                        .unwrap_or(Denial::PredicateFailed),
                };
                Err(Error::TokenCaveatUnverified {
                    index,
                    caveat: caveat.to_json(),
                    reason,
                })
            }
            None => Ok(false),
        }
    }

    /// Checks one caveat against `ctx` (whatever the token's type: see [`caveat_allowed`]).
    ///
    /// `api` caveats always hold here; operations are checked with
    /// [`VerifiedToken::check_api`]. Data-access caveats hold only if the verifier allows them;
    /// `authorization = none` never holds.
    ///
    /// # Errors
    /// `tokenCaveatUnknown` for an application caveat with no predicate registered,
    /// `tokenCaveatUnverified` (with its [`Denial`]) when the caveat does not hold.
    pub fn check_caveat(&self, index: usize, caveat: &Caveat, ctx: &Context) -> Result<(), Error> {
        match self.denial(caveat, ctx) {
            Ok(None) => Ok(()),
            Ok(Some(reason)) => Err(Error::TokenCaveatUnverified {
                index,
                caveat: caveat.to_json(),
                reason,
            }),
            Err(()) => Err(Error::TokenCaveatUnknown {
                index,
                caveat: caveat.to_json().to_string(),
            }),
        }
    }

    /// Why `caveat` does not hold in `ctx` (`None` when it holds); `Err` for an application
    /// caveat with no predicate registered.
    fn denial(&self, caveat: &Caveat, ctx: &Context) -> Result<Option<Denial>, ()> {
        let missing = |missing| Some(Denial::ContextMissing { missing });
        let located = |f: &dyn Fn(&dyn GeoSource, IpAddr) -> bool, d: fn(IpAddr) -> Denial| match (
            self.geo.as_deref(),
            ctx.ip,
        ) {
            (_, None) => missing("ip"),
            (None, Some(_)) => missing("geoSource"),
            (Some(g), Some(ip)) => (!f(g, ip)).then(|| d(ip)),
        };
        Ok(match caveat {
            Caveat::Time(c) => (!c.holds(ctx.now, self.leeway)).then_some(Denial::Expired {
                valid_until: c.valid_until,
                now: ctx.now,
            }),
            Caveat::Ip(c) => match ctx.ip {
                None => missing("ip"),
                Some(ip) => (!c.holds(Some(ip))).then(|| Denial::IpNotListed {
                    ip: crate::addr::canonical(ip),
                }),
            },
            Caveat::InviteType(c) => match ctx.requested_invite_type() {
                None => missing("inviteType"),
                Some(t) => (!c.holds(Some(t))).then(|| Denial::InviteTypeNotListed {
                    invite_type: t.name(),
                }),
            },
            Caveat::Asn(c) => located(&|g, ip| c.holds(g.asn(ip)), |ip| Denial::AsnNotListed {
                ip,
            }),
            Caveat::GeoCountry(c) => located(&|g, ip| c.holds(g.country(ip).as_deref()), |ip| {
                Denial::CountryNotListed { ip }
            }),
            Caveat::GeoRegion(c) => located(&|g, ip| c.holds(g.regions(ip).as_deref()), |ip| {
                Denial::RegionNotListed { ip }
            }),
            Caveat::Service(c) => match &ctx.service {
                None => missing("service"),
                Some(s) => (!c.holds(Some(s))).then(|| Denial::ServiceNotListed {
                    service: s.to_string(),
                }),
            },
            Caveat::Consumer(c) => match &ctx.consumer {
                None => missing("consumer"),
                Some(who) => (!c.holds(
                    Some(who),
                    self.groups.as_deref().map(|g| g as &dyn GroupMembership),
                ))
                .then(|| Denial::ConsumerNotListed {
                    consumer: who.to_string(),
                }),
            },
            Caveat::Interface(c) => match ctx.interface {
                None => missing("interface"),
                Some(i) => (!c.holds(Some(i))).then_some(Denial::InterfaceMismatch {
                    interface: i.name(),
                }),
            },
            Caveat::Api(_) => None,
            Caveat::DataReadonly(_) | Caveat::DataPath(_) | Caveat::DataObjectId(_) => {
                (!self.allow_data_access).then_some(Denial::DataAccessNotAllowed)
            }
            Caveat::AuthorizationNone(_) => Some(Denial::AuthorizationNone),
            Caveat::App(c) => match self.predicates.get(c.name()) {
                Some(p) => (!p(c.value(), ctx)).then_some(Denial::PredicateFailed),
                None => return Err(()),
            },
        })
    }
}

/// libmacaroons' satisfiers, for the predicates of libmacaroons-format tokens and discharges
/// (see [`Verifier::verify_macaroon`]).
impl Verifier {
    /// Declares `predicate` true for every request (libmacaroons' `satisfy_exact`): a
    /// first-party caveat whose text is exactly `predicate` holds.
    #[must_use]
    pub fn satisfy_exact(mut self, predicate: impl Into<String>) -> Self {
        self.exact.insert(predicate.into());
        self
    }

    /// Registers a general satisfier (libmacaroons' `satisfy_general`): a first-party caveat
    /// holds when any general satisfier returns true for its text and the request.
    #[must_use]
    pub fn satisfy_general<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&str, &Context) -> bool + Send + Sync + 'static,
    {
        self.general.push(Arc::new(predicate));
        self
    }

    /// Whether `predicate` was declared with [`Verifier::satisfy_exact`].
    pub(crate) fn exact_holds(&self, predicate: &str) -> bool {
        self.exact.contains(predicate)
    }

    /// Whether a general satisfier accepts `predicate`.
    pub(crate) fn general_holds(&self, predicate: &str, ctx: &Context) -> bool {
        self.general.iter().any(|g| g(predicate, ctx))
    }

    /// Token type and revocation, as [`Verifier::verify`] checks them after the signature.
    pub(crate) fn check_type_and_revocation(
        &self,
        identifier: &Identifier<'_>,
        ctx: &Context,
    ) -> Result<(), Error> {
        if let Some(expect) = ctx.expect {
            expect.check(&identifier.token_type)?;
        }
        revocation::check(
            identifier,
            self.named.as_deref().map(|s| s as &dyn RevocationSource),
            self.generations
                .as_deref()
                .map(|s| s as &dyn GenerationSource),
        )
    }
}

/// A token whose whole chain verified under a root key and whose every caveat held in the
/// request context it was checked against.
///
/// What it still asks of the caller is in [`VerifiedToken::restrictions`]: the `api` and
/// data-access caveats of the token and of every discharge, which only the service can check,
/// operation by operation.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    token: Token,
    expires: Option<u64>,
    restrictions: Restrictions,
}

impl VerifiedToken {
    /// Wraps a token that was verified and cleared, with what clearing collected.
    pub(crate) fn new(token: Token, clearing: Clearing) -> Self {
        Self {
            token,
            expires: clearing.expires,
            restrictions: clearing.restrictions,
        }
    }

    /// The verified identifier.
    #[must_use]
    pub fn identifier(&self) -> Identifier<'_> {
        // Invariant: a Token only exists if its identifier decoded, and a Token is immutable.
        #[allow(clippy::expect_used)]
        self.token
            .untrusted_identifier()
            .expect("identifier was validated when the token was decoded")
    }

    /// The least `validUntil` over the token's time caveats, if it has any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The verified caveats, in chain order.
    #[must_use]
    pub fn caveats(&self) -> Vec<Caveat> {
        self.token
            .untrusted_caveats()
            .filter_map(Result::ok)
            .collect()
    }

    /// The token itself (e.g. to attenuate it further).
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// Every restriction the caller enforces after verification (`api`, `data.*`), from the
    /// token and from every discharge.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }

    /// Checks one operation against every `api` caveat of the token and of its discharges
    /// (see [`Restrictions::check_api`]).
    ///
    /// # Errors
    /// `tokenCaveatUnverified` naming the first `api` caveat that does not allow it.
    pub fn check_api(
        &self,
        service: ServiceKind,
        operation: Operation,
        gri: &Gri,
    ) -> Result<(), Error> {
        self.restrictions.check_api(service, operation, gri)
    }

    /// The data-access caveats of the token and of its discharges, for the service to check
    /// each data operation against (they held at verification only because the verifier
    /// allowed them).
    #[must_use]
    pub fn data_access(&self) -> DataAccess {
        self.restrictions.data_access()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One caveat of every kind.
    fn every_kind() -> Vec<Caveat> {
        [
            "time < 100",
            "ip = 10.0.0.0/8",
            "inviteType = userJoinSpace",
            "example.com/x = 1",
            "asn = 3320",
            "geo.country = PL",
            "geo.region = EU",
            "service = ozw-onezone",
            "consumer = usr-alice",
            "interface = rest",
            "api = all/all/*.*.*:*",
            "data.readonly",
            "data.path = L3NwYWNlMS9maWxlMS50eHQ=",
            "data.objectid = 00000000000CDBDA677569642331323323616263",
            "authorization = none",
        ]
        .iter()
        .map(|t| Caveat::from_text(t).expect(t))
        .collect()
    }

    #[test]
    fn kind_codes_are_the_native_ones_and_distinct() {
        let caveats = every_kind();
        let mut codes: Vec<u64> = caveats.iter().map(Caveat::kind).collect();
        for (caveat, code) in caveats.iter().zip(&codes) {
            // A native caveat is an array head then its kind (every code is below 24).
            assert_eq!(u64::from(caveat.to_native()[1]), *code, "{caveat}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), caveats.len());
    }

    #[test]
    fn allowed_kinds_per_token_type_are_the_documented_sets() {
        let common = [
            "time",
            "ip",
            "asn",
            "geo.country",
            "geo.region",
            "consumer",
            "app",
        ];
        let invite = TokenType::Invite {
            invite_type: InviteType::UserJoinSpace,
            target: "s".into(),
            params: "".into(),
        };
        for caveat in every_kind() {
            let name = caveat.type_name();
            assert_eq!(
                caveat_allowed(&TokenType::Access { session: None }, &caveat),
                name != "authorizationNone",
                "access, {name}"
            );
            assert_eq!(
                caveat_allowed(&TokenType::Identity, &caveat),
                common.contains(&name) || name == "interface",
                "identity, {name}"
            );
            assert_eq!(
                caveat_allowed(&invite, &caveat),
                common.contains(&name) || name == "inviteType",
                "invite, {name}"
            );
        }
    }
}
