//! Target `verify_oracle`: arbitrary token bytes and a context, against fixed keys.

use super::*;
use caveat_token::DenialError;

/// Input of `verify_oracle`.
#[derive(Arbitrary, Debug)]
pub struct OracleInput<'a> {
    /// The request.
    pub ctx: FuzzContext,
    /// Read `token` as text (lossy UTF-8) rather than as the binary form.
    pub text: bool,
    /// The token: all remaining bytes, as they are.
    pub token: &'a [u8],
}

/// Target `verify_oracle`: never panics, and never verifies anything the fixed keys did not
/// chain. A token whose chain holds under the right key gets exactly the reference decision,
/// from `verify`/`verify_text`, `verify_with_discharges` and `verify_any` with no discharges,
/// and a `VerificationCache` (a miss, a hit, a hit in another context, and a long-lived cache
/// shared by every input). Returns the key ring's decision (`None` when the bytes are too short
/// for an input).
pub fn verify_oracle(data: &[u8]) -> Option<Decision> {
    let input = structured::<OracleInput>(data)?;
    let req = input.ctx.request(Limits::default());
    let verifier = req.verifier();
    let ctx = req.context();
    let text = String::from_utf8_lossy(input.token);

    let decoded = if input.text {
        Token::from_text(&text, verifier.limits())
    } else {
        Token::from_bytes(input.token, verifier.limits())
    };
    let (by_ring, by_key_a) = if input.text {
        (
            verifier.verify_text(&text, key_ring(), &ctx),
            verifier.verify_text(&text, key_a(), &ctx),
        )
    } else {
        let verify = |keys: &dyn KeySource| {
            Token::from_bytes(input.token, verifier.limits())
                .and_then(|t| verifier.verify(t, keys, &ctx))
        };
        (verify(key_ring()), verify(key_a()))
    };

    let token = match decoded {
        Err(e) => {
            assert_decode_error(&e, "verify_oracle decode");
            for r in [&by_ring, &by_key_a] {
                let got = r.as_ref().err().map(Error::id);
                assert_eq!(got, Some(e.id()), "verification of undecodable input");
            }
            if input.text {
                let cache = VerificationCache::new(verifier.clone(), 4);
                let got = cache.verify_text(&text, key_ring(), &ctx).err();
                assert_eq!(
                    got.as_ref().map(Error::id),
                    Some(e.id()),
                    "cache, undecodable"
                );
            }
            return Some(Decision::Other(e.id()));
        }
        Ok(t) => t,
    };
    if input.text {
        if matches!(token.format(), Format::Native | Format::Onedata) {
            assert_eq!(token.to_text(), text, "text decode is exact");
        }
    } else {
        assert_eq!(token.as_bytes(), input.token, "binary decode is exact");
    }
    check_decoded(&token);

    let format = token.format();
    let caveats: Vec<Option<Caveat>> = token.untrusted_caveats().map(Result::ok).collect();
    let has_third_party = third_party_vids(&token).iter().any(Option::is_some);
    // What the verifiers must decide for a token chained under the key they use.
    let (id, class) = if format.is_macaroon() {
        (None, None)
    } else {
        let id = token
            .untrusted_identifier()
            .expect("a decoded identifier parses");
        let class = TypeClass::of(&id.token_type);
        (Some(id), Some(class))
    };
    let key_id = id.as_ref().and_then(|id| id.key_id.as_deref());
    let cleared = reference_temporary_rule(
        reference_clear(&caveats, &req, class),
        id.as_ref().map(|id| id.persistence),
    );
    let ring_chains = ring_secret(key_id).is_some_and(|s| chains_under(&token, s));
    let a_chains = chains_under(&token, KEY_A);
    let typed = |chains: bool| -> Expected {
        if format.is_macaroon() {
            Expected::Is(Decision::Other("badToken"))
        } else {
            Expected::of(chains, has_third_party, &cleared)
        }
    };
    oracle(&by_ring, ring_chains, &typed(ring_chains), "key ring");
    oracle(&by_key_a, a_chains, &typed(a_chains), "key A");

    if let Ok(v) = &by_ring {
        assert_eq!(
            Some(v.identifier()),
            id,
            "the verified identifier is the token's"
        );
        assert_eq!(
            v.caveats(),
            caveats.iter().flatten().cloned().collect::<Vec<_>>()
        );
    }

    // With an empty list of discharges: verify_with_discharges is verify; verify_any reads
    // libmacaroons tokens too (under the default key, predicates cleared as typed caveats).
    let macaroon_ring = ring_secret(None).is_some_and(|s| chains_under(&token, s));
    for (keys, chains, which) in [
        (key_ring() as &dyn KeySource, ring_chains, "key ring"),
        (key_a() as &dyn KeySource, a_chains, "key A"),
    ] {
        let with = verifier.verify_with_discharges(token.clone(), &[], keys, &ctx);
        oracle(&with, chains, &typed(chains), which);
        let any = verifier.verify_any(token.clone(), &[], keys, &ctx);
        let chains = if format.is_macaroon() {
            if which == "key A" {
                a_chains
            } else {
                macaroon_ring
            }
        } else {
            chains
        };
        let want = Expected::of(chains, has_third_party, &cleared);
        let any_decision = match any {
            Ok(Verified::Token(v)) => {
                assert!(!format.is_macaroon(), "verify_any: a macaroon as a token");
                Ok(v.expires())
            }
            Ok(Verified::Macaroon(m)) => {
                assert!(format.is_macaroon(), "verify_any: a token as a macaroon");
                assert_eq!(m.identifier(), token.identifier_bytes());
                Ok(m.expires())
            }
            Err(e) => Err(e),
        };
        oracle_decision(decision_of_parts(any_decision), chains, &want, which);
    }

    // The verification cache decides exactly as the verifier, miss or hit, in any context.
    let cache_text = if input.text {
        text.into_owned()
    } else {
        token.to_text()
    };
    let uncached = |c: &Context| decision_of(&verifier.verify_text(&cache_text, key_ring(), c));
    let cache = VerificationCache::new(verifier.clone(), 4);
    let other_ctx = ctx.clone().with_now(ctx.now().wrapping_add(3600));
    for (c, what) in [(&ctx, "miss"), (&ctx, "hit"), (&other_ctx, "hit, later")] {
        let got = cache.verify_text(&cache_text, key_ring(), c);
        assert_eq!(
            decision_of_parts(got.map(|v| v.expires())),
            uncached(c),
            "verification cache ({what})"
        );
    }
    // A cache shared by every input, so entries made by one input are hit by later ones.
    let shared = shared_cache();
    let got = shared.verify_text(&cache_text, key_ring(), &ctx);
    let plain = shared.verifier().verify_text(&cache_text, key_ring(), &ctx);
    assert_eq!(
        decision_of_parts(got.map(|v| v.expires())),
        decision_of(&plain),
        "shared verification cache"
    );
    if plain.is_ok() {
        assert!(ring_chains, "FALSE ACCEPT (shared cache's verifier)");
    }
    Some(decision_of(&by_ring))
}

/// A verification cache shared by every input of the process (leeway 0, default limits, the
/// same predicates as [`Request::verifier`]).
pub(crate) fn shared_cache() -> &'static VerificationCache {
    static CACHE: OnceLock<VerificationCache> = OnceLock::new();
    CACHE.get_or_init(|| {
        let verifier = Verifier::new()
            .with_predicate(APP_ACTION, |value, ctx| {
                ctx.attribute(APP_ACTION) == Some(value)
            })
            .with_predicate(APP_DENY, |_, _| false);
        VerificationCache::new(verifier, 64)
    })
}

/// What a verifier must answer.
#[derive(Debug)]
pub(crate) enum Expected {
    /// Exactly this.
    Is(Decision),
    /// A token with third-party caveats and no discharges: refused with one of these ids.
    OneOf(&'static [&'static str]),
}

impl Expected {
    pub(crate) fn of(chains: bool, has_third_party: bool, cleared: &Decision) -> Self {
        if !chains {
            Self::Is(Decision::Other("tokenInvalid"))
        } else if has_third_party {
            Self::OneOf(&["dischargeMissing", "thirdPartyCaveatInvalid"])
        } else {
            Self::Is(cleared.clone())
        }
    }
}

pub(crate) fn decision_of_parts(result: Result<Option<u64>, Error>) -> Decision {
    match result {
        Ok(expires) => Decision::Allow { expires },
        Err(Error::Denied(DenialError::CaveatUnknown { index, .. })) => Decision::Unknown(index),
        Err(Error::Denied(DenialError::CaveatUnverified { index, .. })) => {
            Decision::Unverified(index)
        }
        Err(e) => Decision::Other(e.id()),
    }
}

pub(crate) fn oracle(
    result: &Result<VerifiedToken, Error>,
    chains: bool,
    expected: &Expected,
    which: &str,
) {
    oracle_decision(decision_of(result), chains, expected, which);
}

pub(crate) fn oracle_decision(got: Decision, chains: bool, expected: &Expected, which: &str) {
    if matches!(got, Decision::Allow { .. }) {
        assert!(
            chains,
            "FALSE ACCEPT ({which}): verified a token whose chain does not hold"
        );
    }
    match expected {
        Expected::Is(want) => assert_eq!(&got, want, "decision ({which})"),
        Expected::OneOf(ids) => assert!(
            matches!(got, Decision::Other(id) if ids.contains(&id)),
            "decision ({which}): {got:?}, expected one of {ids:?}"
        ),
    }
}
