//! Verifying a token together with the discharges of its third-party caveats, and verifying
//! tokens in libmacaroons' formats.
//!
//! Verification comes first and covers every token: the token's chain under the root key, then
//! for each third-party caveat (in chain order, depth first) the caveat key opened from its
//! verification id, the one discharge whose identifier is the caveat id, and that discharge's
//! chain under the caveat key, bound to the token's tag. Every supplied discharge must be used
//! exactly once; nesting is bounded ([`MAX_DISCHARGE_DEPTH`]) and walked with an explicit
//! stack, so no input makes it recurse. Clearing follows: the token's first-party caveats, then
//! each discharge's, in the order they were verified.
//!
//! First-party caveats of libmacaroons-format tokens (and discharges) are UTF-8 predicates. A
//! predicate holds when it was declared with [`Verifier::satisfy_exact`]; otherwise, when it is
//! the canonical text of a typed caveat (`time < 1700000000`, `ip = 10.0.0.0/8`, …), it is
//! checked as that caveat; otherwise when a [`Verifier::satisfy_general`] satisfier accepts
//! it. Anything else is `tokenCaveatUnknown`.

use crate::caveat::Caveat;
use crate::chain::{self, Tag};
use crate::codec::{self, Format};
use crate::error::{CaveatRef, Error};
use crate::key::{KeySource, RootKey};
use crate::restrictions::{DataAccess, Restrictions};
use crate::third_party::{self, MAX_DISCHARGES, MAX_DISCHARGE_DEPTH};
use crate::token::{Token, TokenType};
use crate::verify::{Clearing, Context, VerifiedToken, Verifier};

/// A libmacaroons-format token whose whole chain, and the chains of its discharges, verified
/// under the root key, and whose every caveat held in the request context.
///
/// Its identifier is opaque bytes, as the issuer wrote them: map it to what it means yourself.
#[derive(Debug, Clone)]
pub struct VerifiedMacaroon {
    token: Token,
    expires: Option<u64>,
    restrictions: Restrictions,
}

impl VerifiedMacaroon {
    /// The verified identifier.
    #[must_use]
    pub fn identifier(&self) -> &[u8] {
        self.token.identifier_bytes()
    }

    /// The least `validUntil` over the `time < N` caveats of the token and its discharges, if
    /// any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The token itself (e.g. to attenuate it further).
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// Every restriction the caller enforces after verification: the predicates that are the
    /// text of an `api` or data-access caveat, in the token and in every discharge.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }

    /// The data-access caveats of the token and of its discharges.
    #[must_use]
    pub fn data_access(&self) -> DataAccess {
        self.restrictions.data_access()
    }
}

/// The result of [`Verifier::verify_any`]: a token with a structured identifier, or a
/// libmacaroons-format token with an opaque one.
#[derive(Debug, Clone)]
pub enum Verified {
    /// A native or Onedata token.
    Token(VerifiedToken),
    /// A libmacaroons-format token.
    Macaroon(VerifiedMacaroon),
}

impl Verified {
    /// The least `validUntil` over the time caveats, if any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        match self {
            Self::Token(t) => t.expires(),
            Self::Macaroon(m) => m.expires(),
        }
    }

    /// The token itself.
    #[must_use]
    pub fn token(&self) -> &Token {
        match self {
            Self::Token(t) => t.token(),
            Self::Macaroon(m) => m.token(),
        }
    }

    /// Every restriction the caller enforces after verification (`api`, `data.*`).
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        match self {
            Self::Token(t) => t.restrictions(),
            Self::Macaroon(m) => m.restrictions(),
        }
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
        let clearing = {
            let identifier = token.untrusted_identifier()?;
            let key = keys
                .root_key(identifier.key_id.as_deref())
                .ok_or(Error::TokenInvalid)?;
            let order = verify_tree(&token, key, discharges)?;
            self.check_type_and_revocation(&identifier, ctx)?;
            let clearing = self.clear_all(
                &token,
                Some(&identifier.token_type),
                discharges,
                &order,
                ctx,
            )?;
            clearing.require_time(identifier.persistence)?;
            clearing
        };
        Ok(VerifiedToken::new(token, clearing))
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
        let key = keys.root_key(None).ok_or(Error::TokenInvalid)?;
        let order = verify_tree(&token, key, discharges)?;
        let clearing = self.clear_all(&token, None, discharges, &order, ctx)?;
        Ok(VerifiedMacaroon {
            token,
            expires: clearing.expires(),
            restrictions: clearing.into_restrictions(),
        })
    }

    /// Decodes and verifies a libmacaroons-format text ([`Token::from_macaroon_text`], then
    /// [`Verifier::verify_macaroon`]).
    ///
    /// # Errors
    /// As both.
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
        if token.format().is_macaroon() {
            self.verify_macaroon(token, discharges, keys, ctx)
                .map(Verified::Macaroon)
        } else {
            self.verify_with_discharges(token, discharges, keys, ctx)
                .map(Verified::Token)
        }
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
            if token.format().is_macaroon() {
                self.clear_predicate(index, bytes, token_type, ctx, state)?;
            } else {
                let caveat = codec::decode_caveat(token.format(), index, bytes)?;
                self.clear_caveat(index, &caveat, token_type, ctx, state)?;
            }
        }
        Ok(())
    }

    /// A libmacaroons predicate: exact, then typed, then general satisfiers.
    fn clear_predicate(
        &self,
        index: usize,
        bytes: &[u8],
        token_type: Option<&TokenType<'_>>,
        ctx: &Context,
        state: &mut Clearing,
    ) -> Result<(), Error> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(Error::TokenCaveatUnknown {
                index,
                caveat: codec::hex_excerpt(bytes),
            });
        };
        if self.exact_holds(text) {
            if let Ok(Caveat::Time(t)) = codec::decode_caveat(Format::MacaroonV2, index, bytes) {
                state.saw_time(t.valid_until);
            }
            return Ok(());
        }
        if let Ok(caveat) = codec::decode_caveat(Format::MacaroonV2, index, bytes) {
            match self.clear_caveat(index, &caveat, token_type, ctx, state) {
                // An application caveat without its predicate may still be satisfied
                // generally; every other typed caveat is decided by its meaning.
                Err(Error::TokenCaveatUnknown { .. }) if matches!(caveat, Caveat::App(_)) => {}
                decided => return decided,
            }
        }
        if self.general_holds(text, ctx) {
            return Ok(());
        }
        Err(Error::TokenCaveatUnknown {
            index,
            caveat: text.to_owned(),
        })
    }
}

/// [`Verifier::check_signature`] for tokens with third-party caveats or opaque identifiers:
/// the token's own chain only (its discharges are not checked).
pub(crate) fn check_signature<K: KeySource + ?Sized>(token: &Token, keys: &K) -> Result<(), Error> {
    let key = if token.format().is_macaroon() {
        keys.root_key(None)
    } else {
        keys.root_key(token.untrusted_identifier()?.key_id.as_deref())
    }
    .ok_or(Error::TokenInvalid)?;
    let computed = third_party::run_chain(
        chain::start(key.state(), token.identifier_bytes()),
        token.spans(),
        |_, _| {},
    );
    if computed.ct_eq(token.spans().tag_bytes()) {
        Ok(())
    } else {
        Err(Error::TokenInvalid)
    }
}

/// A third-party caveat waiting for its discharge.
struct Pending {
    /// Where the caveat is.
    caveat: CaveatRef,
    /// Its position among its token's third-party caveats.
    span: usize,
    /// The chain's tag just before it: the key its verification id is sealed under.
    tag: Tag,
    /// How deep its discharge would be (1 for a caveat of the token itself).
    depth: usize,
}

/// Verifies `token` under `key` and its discharges: the whole tree of signatures, every
/// discharge used exactly once. Returns the discharges in the order they were verified.
fn verify_tree(token: &Token, key: &RootKey, discharges: &[Token]) -> Result<Vec<usize>, Error> {
    if discharges.len() > MAX_DISCHARGES {
        return Err(Error::TokenTooLarge {
            limit: "discharges",
            max: MAX_DISCHARGES,
        });
    }

    let mut stack: Vec<Pending> = Vec::new();
    let root_tag = chain_with_pending(
        chain::start(key.state(), token.identifier_bytes()),
        token,
        None,
        1,
        &mut stack,
    );
    if !root_tag.ct_eq(token.spans().tag_bytes()) {
        return Err(Error::TokenInvalid);
    }
    for (j, d) in discharges.iter().enumerate() {
        if let Some(i) = discharges[..j]
            .iter()
            .position(|e| e.identifier_bytes() == d.identifier_bytes())
        {
            return Err(Error::DischargeAmbiguous {
                identifier: codec::display_bytes(d.identifier_bytes()),
                discharges: [i, j],
            });
        }
    }

    let mut used = vec![false; discharges.len()];
    // Who asked for each discharge: `None` for the token itself.
    let mut parent: Vec<Option<usize>> = vec![None; discharges.len()];
    let mut order = Vec::new();
    while let Some(p) = stack.pop() {
        let holder = match p.caveat.discharge {
            None => token,
            Some(d) => &discharges[d],
        };
        let Some(span) = holder.spans().third_party.get(p.span) else {
            continue;
        };
        if p.depth > MAX_DISCHARGE_DEPTH {
            return Err(Error::DischargeTooDeep {
                max: MAX_DISCHARGE_DEPTH,
                caveat: p.caveat,
            });
        }
        let mut caveat_key = third_party::open(&p.tag, holder.spans().slice(&span.vid))
            .ok_or(Error::ThirdPartyCaveatInvalid { caveat: p.caveat })?;
        let cid = holder.spans().slice(&span.cid);
        let Some(d) = discharges.iter().position(|t| t.identifier_bytes() == cid) else {
            caveat_key.wipe();
            return Err(Error::DischargeMissing {
                caveat: p.caveat,
                cid: codec::display_bytes(cid),
            });
        };
        if used[d] {
            caveat_key.wipe();
            // A cycle when the discharge asked for is the holder or one of its ancestors.
            let mut at = p.caveat.discharge;
            while let Some(a) = at {
                if a == d {
                    return Err(Error::DischargeCycle {
                        discharge: d,
                        caveat: p.caveat,
                    });
                }
                at = parent[a];
            }
            return Err(Error::DischargeReused {
                discharge: d,
                caveat: p.caveat,
            });
        }
        used[d] = true;
        parent[d] = p.caveat.discharge;
        order.push(d);

        let discharge = &discharges[d];
        let start = chain::hmac_sha256(caveat_key.as_bytes(), discharge.identifier_bytes());
        caveat_key.wipe();
        let computed = chain_with_pending(start, discharge, Some(d), p.depth + 1, &mut stack);
        let carried = discharge.spans().tag_bytes();
        if !third_party::bind(&root_tag, &computed).ct_eq(carried) {
            return Err(if computed.ct_eq(carried) {
                Error::DischargeUnbound { discharge: d }
            } else {
                Error::DischargeInvalid { discharge: d }
            });
        }
    }
    if let Some(d) = used.iter().position(|u| !u) {
        return Err(Error::DischargeUnused {
            discharge: d,
            identifier: codec::display_bytes(discharges[d].identifier_bytes()),
        });
    }
    Ok(order)
}

/// Runs a token's chain from `start` and pushes its third-party caveats on `stack` so that they
/// are popped in chain order.
fn chain_with_pending(
    start: Tag,
    token: &Token,
    holder: Option<usize>,
    depth: usize,
    stack: &mut Vec<Pending>,
) -> Tag {
    let mut found = Vec::new();
    let tag = third_party::run_chain(start, token.spans(), |span, tag| {
        found.push(Pending {
            caveat: CaveatRef {
                discharge: holder,
                index: span.index,
            },
            span: found.len(),
            tag: tag.clone(),
            depth,
        });
    });
    stack.extend(found.into_iter().rev());
    tag
}
