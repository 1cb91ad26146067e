//! Verification, then clearing: the verifier recomputes the whole HMAC chain under the root key
//! and compares tags in constant time (verification); only then does it check what the token is
//! for, whether it was revoked, and each caveat against the request [`Context`] (clearing). A
//! forged token never reaches any of those checks.
//!
//! Order: signature → token type ([`Expect`]) → revocation ([`crate::revocation`]) → caveats,
//! each of which must be allowed for the token's type and hold → a temporary token carries a
//! time caveat of its own.
//!
//! With discharges, verification covers the token and every discharge first
//! ([`crate::signature`]); clearing follows: the token's first-party caveats, then each
//! discharge's, in the order they were verified. First-party caveats of libmacaroons-format
//! tokens (and discharges) are UTF-8 predicates. A predicate holds when it was declared with
//! [`Verifier::satisfy_exact`]; otherwise, when it is the canonical text of a typed caveat
//! (`time < 1700000000`, `ip = 10.0.0.0/8`, …), it is checked as that caveat; otherwise when a
//! [`Verifier::satisfy_general`] satisfier accepts it. Anything else is `tokenCaveatUnknown`.

mod hit;

use crate::error::{DenialError, Detail};
use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::caveat::{caveat_allowed, kind_allowed, kind_allowed_for_every_type, Caveat, TypeClass};
use crate::chain;
use crate::codec::native::{self, CaveatView};
use crate::codec::{self, Format, Limits};
use crate::context::Context;
use crate::denial::Denial;
use crate::error::CaveatRef;
use crate::error::Error;
use crate::geo::GeoSource;
use crate::identifier::{Identifier, Persistence, TokenType};
use crate::key::NameMap;
use crate::lookup::{root_key_for, KeyQuery, KeySource};
use crate::membership::GroupMembership;
use crate::restrictions::Restrictions;
use crate::revocation::{self, GenerationSource, RevocationSource};
use crate::signature::{self, verify_tree};
use crate::token::Token;
use crate::verified::{SignedToken, Verified, VerifiedMacaroon, VerifiedToken};

/// A predicate for an application caveat: given the caveat's value and the request, does it hold?
pub type Predicate = Arc<dyn Fn(&str, &Context) -> bool + Send + Sync>;

/// Checks tokens: configuration (limits, leeway, registered predicates, the caller's sources of
/// revocation, generation, geolocation and group membership) shared across requests.
///
/// Which method a service calls:
///
/// - on each request, with the token's text (a header value): [`Verifier::verify_text`];
/// - when tokens carry third-party caveats, with their discharges:
///   [`Verifier::verify_with_discharges`], or [`Verifier::verify_any`] /
///   [`Verifier::verify_any_text`] to take libmacaroons-format tokens too;
/// - to check the signature once and the caveats later (e.g. per operation):
///   [`Verifier::check_signature`], then [`Verifier::clear`];
/// - for tokens seen again and again: a [`crate::VerificationCache`] around the verifier.
///
/// ```
/// use caveat_token::{Caveat, Context, Identifier, Persistence, RootKey, Subject, Token};
/// use caveat_token::{TokenType, Verified, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// let id = Identifier {
///     location: "auth.example.com".into(),
///     key_id: None,
///     token_id: "t-1".into(),
///     subject: Subject::User("alice".into()),
///     token_type: TokenType::Access { session: None },
///     persistence: Persistence::Named,
/// };
/// let header = Token::mint(&key, &id, &[Caveat::time(2_000)])?.to_text();
///
/// // Configured once, shared by every request.
/// let verifier = Verifier::new().with_leeway(5);
///
/// // Per request: the header value, the key (or a `KeyRing`), what the request brings.
/// let ok = verifier.verify_text(&header, &key, &Context::at(1_000))?;
/// assert_eq!(ok.identifier().subject.to_string(), "usr-alice");
/// assert_eq!(ok.expires(), Some(2_000));
/// let late = verifier.verify_text(&header, &key, &Context::at(2_005));
/// assert_eq!(late.unwrap_err().id(), "tokenCaveatUnverified");
///
/// // The same in two steps: the signature, then the caveats against a request.
/// let token = Token::from_text(&header, verifier.limits())?;
/// let signed = verifier.check_signature(&token, &key)?;
/// assert!(matches!(verifier.clear(signed, &Context::at(1_000))?, Verified::Token(_)));
/// # Ok::<(), caveat_token::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Verifier {
    limits: Limits,
    leeway: u64,
    predicates: NameMap<Predicate>,
    invalid_name_registered: bool, // A predicate's name no caveat can have: see app_view_holds.
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
    /// Decoded earlier from the same token, in chain order, when it verified and cleared (the
    /// verification cache's hits). Each of them is therefore allowed for the token's type (which
    /// depends on nothing else), so only whether each still holds in the request is checked
    /// again; the restrictions are not collected again (the cache keeps those of the first
    /// clearing, and the returned [`Clearing`] has none).
    #[cfg_attr(not(feature = "cache"), allow(dead_code))]
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

    /// A temporary token must carry a time caveat of its own (SPEC.md §6.4): one minted by code
    /// that skipped the issuance rule would otherwise never expire.
    pub(crate) fn require_time(&self, persistence: Persistence) -> Result<(), Error> {
        match persistence {
            Persistence::Temporary { .. } if !self.own_time => {
                Err(Error::Denied(DenialError::TimeCaveatRequired))
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
        let name = name.into();
        self.invalid_name_registered |= !crate::caveat::AppCaveat::name_is_valid(&name);
        self.predicates.insert(name, Arc::new(predicate));
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
        Ok(VerifiedToken::new(
            token,
            clearing.expires,
            clearing.restrictions,
        ))
    }

    /// Verification alone: recomputes the token's chain under its root key and compares the
    /// tag in constant time. Says nothing about caveats: the [`SignedToken`] it returns is
    /// cleared against a request with [`Verifier::clear`]. A token with third-party caveats is
    /// checked on its own chain only; clearing it fails with `dischargeMissing` (verify it with
    /// its discharges through [`Verifier::check_signature_with_discharges`]).
    ///
    /// # Errors
    /// `tokenInvalid`.
    pub fn check_signature<K: KeySource + ?Sized>(
        &self,
        token: &Token,
        keys: &K,
    ) -> Result<SignedToken, Error> {
        let undischarged = !token.spans().third_party.is_empty();
        if token.format().is_macaroon() || undischarged {
            signature::check_signature(token, keys)?;
        } else {
            Self::signature(token, keys)?;
        }
        // With no third-party caveat, the token's chain is the whole tree.
        let order = (!undischarged).then(Vec::new);
        Ok(SignedToken::new(token.clone(), Vec::new(), order))
    }

    /// Verification of a token and the discharges of its third-party caveats, in any format:
    /// the whole tree of signatures. Clear the result with
    /// [`Verifier::clear`].
    ///
    /// # Errors
    /// `tokenInvalid` and the discharge errors of [`Verifier::verify_with_discharges`].
    pub fn check_signature_with_discharges<K: KeySource + ?Sized>(
        &self,
        token: Token,
        discharges: Vec<Token>,
        keys: &K,
    ) -> Result<SignedToken, Error> {
        let order = Self::sign_tree(&token, &discharges, keys)?;
        Ok(SignedToken::new(token, discharges, Some(order)))
    }

    /// Clearing alone: what [`Verifier::verify`] checks after the signature (token type,
    /// revocation, every caveat of the token and of its discharges, the temporary-token rule),
    /// on a token whose signatures were checked.
    ///
    /// # Errors
    /// As [`Verifier::verify_any`], less the signature errors.
    pub fn clear(&self, signed: SignedToken, ctx: &Context) -> Result<Verified, Error> {
        let (token, discharges, order) = signed.into_parts();
        let Some(order) = order else {
            return Err(signature::first_missing(&token));
        };
        let clearing = self.clear_tree(&token, &discharges, &order, ctx)?;
        Ok(if token.format().is_macaroon() {
            Verified::Macaroon(VerifiedMacaroon::new(
                token,
                clearing.expires,
                clearing.restrictions,
            ))
        } else {
            Verified::Token(VerifiedToken::new(
                token,
                clearing.expires,
                clearing.restrictions,
            ))
        })
    }

    /// The signature step of every path with discharges or an opaque identifier: the key the
    /// key source gives for the token, then the whole tree; returns the order in which the
    /// discharges were verified.
    fn sign_tree<K: KeySource + ?Sized>(
        token: &Token,
        discharges: &[Token],
        keys: &K,
    ) -> Result<Vec<usize>, Error> {
        verify_tree(token, root_key_for(token, keys)?, discharges)
    }

    /// The clearing step after [`Verifier::sign_tree`]: for a structured identifier, its type
    /// and revocation, then every caveat (the token's, then each discharge's, in `order`), then
    /// the temporary-token rule; for an opaque one, the caveats.
    fn clear_tree(
        &self,
        token: &Token,
        discharges: &[Token],
        order: &[usize],
        ctx: &Context,
    ) -> Result<Clearing, Error> {
        if token.format().is_macaroon() {
            return self.clear_all(token, None, discharges, order, ctx);
        }
        let identifier = token.untrusted_identifier()?;
        self.check_type_and_revocation(&identifier, ctx)?;
        let clearing =
            self.clear_all(token, Some(&identifier.token_type), discharges, order, ctx)?;
        clearing.require_time(identifier.persistence)?;
        Ok(clearing)
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
        let key = keys
            .key_for(&KeyQuery::new(token, key_id))
            .ok_or(Error::INVALID)?;
        let tag = token.spans().tag_bytes();
        if chain::verify(
            key.state(),
            token.identifier_bytes(),
            token.caveat_bytes(),
            tag,
        ) {
            Ok(())
        } else {
            Err(Error::INVALID)
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
                // `clear_caveat` less what cannot change since these caveats cleared: the
                // type check (always passed) and the restrictions (unused on a hit).
                for (index, caveat) in decoded.iter().enumerate() {
                    if !self.holds_in_line(index, caveat, ctx, &mut state)? {
                        self.check_caveat(index, caveat, ctx)?;
                    }
                }
            }
            Caveats::Encoded => {
                let format = token.format();
                for (index, bytes) in token.caveat_bytes().enumerate() {
                    // Fast path: the common native kinds, read in place without allocating.
                    // The owned decoder and `clear_caveat` stay the authority for every other
                    // kind, every kind not allowed, and every error.
                    if format == Format::Native {
                        if let Some(view) = native::view_caveat_name_unchecked(bytes) {
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
            return Err(Error::Denied(DenialError::CaveatUnverified {
                index,
                caveat: Detail::new(caveat.clone()),
                reason: Denial::NotAllowedForTokenType {
                    token_type: TypeClass::of(ty).name(),
                },
            }));
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
    /// type, an app caveat with no predicate or a bad name). None of these kinds is a restriction.
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
            CaveatView::App { name, value } => self.app_view_holds(name, value, ctx),
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
                Err(Error::Denied(DenialError::CaveatUnverified {
                    index,
                    caveat: Detail::new(caveat),
                    reason,
                }))
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
            Ok(Some(reason)) => Err(Error::Denied(DenialError::CaveatUnverified {
                index,
                caveat: Detail::new(caveat.clone()),
                reason,
            })),
            Err(()) => Err(Error::Denied(DenialError::CaveatUnknown {
                index,
                caveat: caveat.to_json().to_string(),
            })),
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
            (Some(g), Some(ip)) => (!f(g, ip)).then(|| d(crate::addr::canonical(ip))),
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
    #[cfg(feature = "macaroons")]
    pub(crate) fn exact_holds(&self, predicate: &str) -> bool {
        self.exact.contains(predicate)
    }

    /// Whether a general satisfier accepts `predicate`.
    #[cfg(feature = "macaroons")]
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

impl Verifier {
    /// Verifies a native or Onedata token and the discharges of its third-party caveats, then
    /// clears the caveats of all of them against `ctx` ([`Verifier::verify`] is this with no
    /// discharges). Discharges may be in any format; each must be bound to `token`
    /// ([`Token::bind_to`]). Caveats in discharges must be allowed for the token's type too.
    ///
    /// # Errors
    /// As [`Verifier::verify`]; `badToken` for a libmacaroons-format token (use
    /// [`Verifier::verify_macaroon`]); and the discharge errors: `tokenTooLarge` (`discharges`),
    /// `dischargeAmbiguous`, `thirdPartyCaveatInvalid`, `dischargeMissing`, `dischargeCycle`,
    /// `dischargeReused`, `dischargeTooDeep`, `dischargeUnbound`, `dischargeInvalid`,
    /// `dischargeUnused`; an error found while clearing a discharge has its usual id and names
    /// the discharge (`details.discharge`).
    pub fn verify_with_discharges<K: KeySource + ?Sized>(
        &self,
        token: Token,
        discharges: &[Token],
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedToken, Error> {
        if token.format().is_macaroon() {
            return Err(Error::bad(
                "a libmacaroons-format token has an opaque identifier: use verify_macaroon",
            ));
        }
        let order = Self::sign_tree(&token, discharges, keys)?;
        let clearing = self.clear_tree(&token, discharges, &order, ctx)?;
        Ok(VerifiedToken::new(
            token,
            clearing.expires,
            clearing.restrictions,
        ))
    }

    /// Verifies a libmacaroons-format token (V1, V2, V2J) and the discharges of its third-party
    /// caveats, then clears the caveats of all of them against `ctx`.
    ///
    /// The identifier is opaque, so the key source is asked for its default key (key id
    /// `None`); pick the key by [`Token::identifier_bytes`] beforehand if you keep several.
    /// Predicates are cleared as the module documentation says.
    ///
    /// # Errors
    /// `badToken` for a token in another format (use [`Verifier::verify`]); `tokenInvalid`;
    /// the discharge errors of [`Verifier::verify_with_discharges`]; `tokenCaveatUnknown` for a
    /// predicate nothing satisfies, `tokenCaveatUnverified` for a typed caveat that does not
    /// hold.
    #[cfg(feature = "macaroons")]
    pub fn verify_macaroon<K: KeySource + ?Sized>(
        &self,
        token: Token,
        discharges: &[Token],
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedMacaroon, Error> {
        if !token.format().is_macaroon() {
            return Err(Error::bad(
                "not a libmacaroons-format token: use verify or verify_with_discharges",
            ));
        }
        let order = Self::sign_tree(&token, discharges, keys)?;
        let clearing = self.clear_tree(&token, discharges, &order, ctx)?;
        Ok(VerifiedMacaroon::new(
            token,
            clearing.expires,
            clearing.restrictions,
        ))
    }

    /// Decodes and verifies a libmacaroons-format text ([`Token::from_macaroon_text`], then
    /// [`Verifier::verify_macaroon`]).
    ///
    /// # Errors
    /// As both.
    #[cfg(feature = "macaroons")]
    pub fn verify_macaroon_text<K: KeySource + ?Sized>(
        &self,
        text: &str,
        discharges: &[Token],
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedMacaroon, Error> {
        let token = Token::from_macaroon_text(text, self.limits())?;
        self.verify_macaroon(token, discharges, keys, ctx)
    }

    /// Verifies a token of any format: [`Verifier::verify_with_discharges`] for native and
    /// Onedata tokens, [`Verifier::verify_macaroon`] for the others.
    ///
    /// # Errors
    /// As those.
    pub fn verify_any<K: KeySource + ?Sized>(
        &self,
        token: Token,
        discharges: &[Token],
        keys: &K,
        ctx: &Context,
    ) -> Result<Verified, Error> {
        #[cfg(feature = "macaroons")]
        if token.format().is_macaroon() {
            return self
                .verify_macaroon(token, discharges, keys, ctx)
                .map(Verified::Macaroon);
        }
        self.verify_with_discharges(token, discharges, keys, ctx)
            .map(Verified::Token)
    }

    /// Decodes a text in any format ([`Token::from_text`]) and verifies it
    /// ([`Verifier::verify_any`]).
    ///
    /// # Errors
    /// As both.
    pub fn verify_any_text<K: KeySource + ?Sized>(
        &self,
        text: &str,
        discharges: &[Token],
        keys: &K,
        ctx: &Context,
    ) -> Result<Verified, Error> {
        let token = Token::from_text(text, self.limits())?;
        self.verify_any(token, discharges, keys, ctx)
    }

    /// Clears the token's first-party caveats, then each discharge's in `order`; returns the
    /// least `validUntil` over all of them.
    fn clear_all(
        &self,
        token: &Token,
        token_type: Option<&TokenType<'_>>,
        discharges: &[Token],
        order: &[usize],
        ctx: &Context,
    ) -> Result<Clearing, Error> {
        let mut state = Clearing::default();
        self.clear_token(token, token_type, ctx, &mut state)?;
        for &d in order {
            if let Some(discharge) = discharges.get(d) {
                state.in_discharge(d);
                self.clear_token(discharge, token_type, ctx, &mut state)
                    .map_err(|error| Error::InDischarge {
                        discharge: d,
                        error: Box::new(error),
                    })?;
            }
        }
        Ok(state)
    }

    /// Clears one token's first-party caveats, in chain order (third-party caveats were
    /// discharged during verification).
    fn clear_token(
        &self,
        token: &Token,
        token_type: Option<&TokenType<'_>>,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<(), Error> {
        for (index, bytes) in token.caveat_bytes().enumerate() {
            if token.is_third_party(index) {
                continue;
            }
            #[cfg(feature = "macaroons")]
            if token.format().is_macaroon() {
                self.clear_predicate(index, bytes, token_type, ctx, state)?;
                continue;
            }
            let caveat = codec::decode_caveat(token.format(), index, bytes)?;
            self.clear_caveat(index, &caveat, token_type, ctx, state)?;
        }
        Ok(())
    }

    /// A libmacaroons predicate: exact, then typed, then general satisfiers.
    #[cfg(feature = "macaroons")]
    fn clear_predicate(
        &self,
        index: usize,
        bytes: &[u8],
        token_type: Option<&TokenType<'_>>,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<(), Error> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(Error::Denied(DenialError::CaveatUnknown {
                index,
                caveat: codec::hex_excerpt(bytes),
            }));
        };
        if self.exact_holds(text) {
            // Declared true; still a time caveat bounds the expiry and a restriction reaches
            // the caller.
            if let Ok(caveat) = codec::decode_caveat(Format::MacaroonV2, index, bytes) {
                if let Caveat::Time(t) = &caveat {
                    state.saw_time(t.valid_until);
                }
                state.held(index, &caveat);
            }
            return Ok(());
        }
        if let Ok(caveat) = codec::decode_caveat(Format::MacaroonV2, index, bytes) {
            match self.clear_caveat(index, &caveat, token_type, ctx, state) {
                // An application caveat without its predicate may still be satisfied
                // generally; every other typed caveat is decided by its meaning.
                Err(Error::Denied(DenialError::CaveatUnknown { .. }))
                    if matches!(caveat, Caveat::App(_)) => {}
                decided => return decided,
            }
        }
        if self.general_holds(text, ctx) {
            return Ok(());
        }
        Err(Error::Denied(DenialError::CaveatUnknown {
            index,
            caveat: text.to_owned(),
        }))
    }
}
