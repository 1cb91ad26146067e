//! The fixed keys and verifier configuration, and the independent oracles: the HMAC chain
//! recomputed with RustCrypto's `hmac`, and the clearing decision computed from caveat values.

use super::*;
use caveat_token::DenialError;

/// The fixed root key the fuzz targets mint and verify with (public: test use only).
pub const KEY_A: &[u8] = b"caveat-token fuzz key A (public, for tests only)";
/// A second fixed key, found in the key ring under [`KEY_B_ID`].
pub const KEY_B: &[u8] = b"caveat-token fuzz key B (public, for tests only)";
/// The key id under which [`KEY_B`] is in the key ring.
pub const KEY_B_ID: &str = "kid-b";
/// The time around which seeds and contexts are built (unix seconds).
pub const BASE_NOW: u64 = 1_700_000_000;
/// The application caveat whose predicate compares the value with the context's attribute.
pub const APP_ACTION: &str = "example.com/action";
/// The application caveat whose predicate always refuses.
pub const APP_DENY: &str = "example.com/deny";

pub(crate) fn key_a() -> &'static RootKey {
    static KEY: OnceLock<RootKey> = OnceLock::new();
    KEY.get_or_init(|| RootKey::from_bytes(KEY_A).expect("fixed key A is valid"))
}

pub(crate) fn key_b() -> &'static RootKey {
    static KEY: OnceLock<RootKey> = OnceLock::new();
    KEY.get_or_init(|| RootKey::from_bytes(KEY_B).expect("fixed key B is valid"))
}

/// Default: key A; `kid-b`: key B; any other key id: no key.
pub(crate) fn key_ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let mut ring = KeyRing::new();
        ring.set_default(key_a().clone());
        ring.insert(KEY_B_ID, key_b().clone());
        ring
    })
}

/// The secret the key ring uses for a token naming `key_id`, written out independently.
pub(crate) fn ring_secret(key_id: Option<&str>) -> Option<&'static [u8]> {
    match key_id {
        None => Some(KEY_A),
        Some(KEY_B_ID) => Some(KEY_B),
        Some(_) => None,
    }
}

pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The verification id of a native third-party caveat, read with plain code (SPEC §11.6: the
/// caveat is exactly `[15, cid: bstr, vid: bstr, location: tstr]` in deterministic CBOR, cid and
/// vid not empty); `None` for any other bytes.
pub fn reference_native_third_party(bytes: &[u8]) -> Option<&[u8]> {
    /// One definite-length string of major type `major` with a minimal head.
    fn string(b: &[u8], major: u8) -> Option<(&[u8], &[u8])> {
        let (&first, rest) = b.split_first()?;
        if first >> 5 != major {
            return None;
        }
        let (len, rest) = match first & 0x1f {
            n @ 0..=23 => (u64::from(n), rest),
            24 => (u64::from(*rest.first()?), &rest[1..]),
            25 => (
                u64::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?)),
                &rest[2..],
            ),
            26 => (
                u64::from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)),
                &rest[4..],
            ),
            27 => (
                u64::from_be_bytes(rest.get(..8)?.try_into().ok()?),
                &rest[8..],
            ),
            _ => return None,
        };
        let minimal = match first & 0x1f {
            24 => len >= 24,
            25 => len > 0xff,
            26 => len > 0xffff,
            27 => len > 0xffff_ffff,
            _ => true,
        };
        let len = usize::try_from(len).ok()?;
        (minimal && rest.len() >= len).then(|| rest.split_at(len))
    }
    let rest = bytes.strip_prefix(&[0x84, 0x0f])?;
    let (cid, rest) = string(rest, 2)?;
    let (vid, rest) = string(rest, 2)?;
    let (location, rest) = string(rest, 3)?;
    let ok = !cid.is_empty()
        && !vid.is_empty()
        && std::str::from_utf8(location).is_ok()
        && rest.is_empty();
    ok.then_some(vid)
}

/// The verification id of each third-party caveat of `token`, by caveat position: native ones
/// read by [`reference_native_third_party`] (and the library's index must agree), those of the
/// libmacaroons formats from the library's packet parse (their vid is a packet of its own).
pub(crate) fn third_party_vids(token: &Token) -> Vec<Option<Vec<u8>>> {
    let mut vids: Vec<Option<Vec<u8>>> = vec![None; token.caveat_count()];
    match token.format() {
        Format::Native => {
            for (i, c) in token.caveat_bytes().enumerate() {
                vids[i] = reference_native_third_party(c).map(<[u8]>::to_vec);
            }
            let lib: Vec<usize> = token
                .untrusted_third_party_caveats()
                .map(|t| t.index)
                .collect();
            let mine: Vec<usize> = (0..vids.len()).filter(|&i| vids[i].is_some()).collect();
            assert_eq!(lib, mine, "native third-party caveats found by the library");
        }
        _ => {
            for t in token.untrusted_third_party_caveats() {
                assert!(
                    token.format().is_macaroon(),
                    "a third-party caveat in {:?}",
                    token.format()
                );
                vids[t.index] = Some(t.vid.to_vec());
            }
        }
    }
    vids
}

/// The chain's final tag over a token, third-party caveats included, recomputed with `hmac`
/// directly: a third-party caveat takes `HMAC(t, HMAC(t, vid) || HMAC(t, cid))` (SPEC §11.6).
pub fn reference_chain(secret: &[u8], token: &Token) -> [u8; 32] {
    let k = hmac_sha256(b"macaroons-key-generator", secret);
    let vids = third_party_vids(token);
    token.caveat_bytes().zip(&vids).fold(
        hmac_sha256(&k, token.identifier_bytes()),
        |tag, (c, vid)| match vid {
            None => hmac_sha256(&tag, c),
            Some(vid) => {
                let mut both = hmac_sha256(&tag, vid).to_vec();
                both.extend(hmac_sha256(&tag, c));
                hmac_sha256(&tag, &both)
            }
        },
    )
}

/// Whether `token`'s carried tag is the chain of its bytes under `secret`.
pub(crate) fn chains_under(token: &Token, secret: &[u8]) -> bool {
    reference_chain(secret, token) == *token.tag().as_bytes()
}

/// The outcome of clearing, as the reference computes it and as read from the library's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Every caveat held; the least `validUntil`, if any.
    Allow {
        /// The expiry.
        expires: Option<u64>,
    },
    /// Caveat `index` is not understood (undecodable, or an unregistered application caveat).
    Unknown(usize),
    /// Caveat `index` does not hold.
    Unverified(usize),
    /// Any other error, by id.
    Other(&'static str),
}

/// The rule that follows clearing (SPEC.md §6.4): a temporary token whose caveats all held but
/// which carries no time caveat of its own is denied.
pub fn reference_temporary_rule(decision: Decision, persistence: Option<Persistence>) -> Decision {
    match (decision, persistence) {
        (Decision::Allow { expires: None }, Some(Persistence::Temporary { .. })) => {
            Decision::Other("tokenTimeCaveatRequired")
        }
        (decision, _) => decision,
    }
}

pub(crate) fn decision_of(result: &Result<VerifiedToken, Error>) -> Decision {
    match result {
        Ok(v) => Decision::Allow {
            expires: v.expires(),
        },
        Err(Error::Denied(DenialError::CaveatUnknown { index, .. })) => Decision::Unknown(*index),
        Err(Error::Denied(DenialError::CaveatUnverified { index, .. })) => {
            Decision::Unverified(*index)
        }
        Err(e) => Decision::Other(e.id()),
    }
}

/// A request context in plain values, from which both the library's `Context`/`Verifier` and
/// the reference decision are made.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) now: u64,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) invite_type: Option<InviteType>,
    pub(crate) leeway: u64,
    pub(crate) action: Option<String>,
    pub(crate) limits: Limits,
}

impl Request {
    pub(crate) fn context(&self) -> Context {
        let mut ctx = Context::at(self.now);
        ctx = ctx.with_ip_opt(self.ip);
        ctx = ctx.with_invite_type_opt(self.invite_type);
        if let Some(a) = &self.action {
            ctx = ctx.with_attribute(APP_ACTION, a.clone());
        }
        ctx
    }

    pub(crate) fn verifier(&self) -> Verifier {
        Verifier::new()
            .with_limits(self.limits)
            .with_leeway(self.leeway)
            .with_predicate(APP_ACTION, |value, ctx| {
                ctx.attribute(APP_ACTION) == Some(value)
            })
            .with_predicate(APP_DENY, |_, _| false)
    }
}

/// The three token types, as the allowed-caveat table sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    /// Access tokens.
    Access,
    /// Identity tokens.
    Identity,
    /// Invite tokens.
    Invite,
}

impl TypeClass {
    pub(crate) fn of(t: &TokenType<'_>) -> Self {
        match t {
            TokenType::Access { .. } => Self::Access,
            TokenType::Identity => Self::Identity,
            TokenType::Invite { .. } => Self::Invite,
        }
    }
}

/// Which caveats a token type may carry, written out from SPEC §10.3: access tokens every kind
/// but `authorization = none`; identity tokens `time`, `ip`, `asn`, `geo.*`, `consumer`,
/// `interface`, `app`; invite tokens the same with `inviteType` instead of `interface`.
pub fn reference_allowed(class: TypeClass, c: &Caveat) -> bool {
    let common = matches!(
        c,
        Caveat::Time(_)
            | Caveat::Ip(_)
            | Caveat::Asn(_)
            | Caveat::GeoCountry(_)
            | Caveat::GeoRegion(_)
            | Caveat::Consumer(_)
            | Caveat::App(_)
    );
    match class {
        TypeClass::Access => !matches!(c, Caveat::AuthorizationNone(_)),
        TypeClass::Identity => common || matches!(c, Caveat::Interface(_)),
        TypeClass::Invite => common || matches!(c, Caveat::InviteType(_)),
    }
}

/// The reference clearing decision: caveats in chain order (`None` = not understood), the first
/// that is unknown, not allowed for the token's type (`class`; `None` for libmacaroons
/// predicates, which have no type) or does not hold decides; otherwise allow, expiring at the
/// least `validUntil`.
///
/// The oracles' verifiers have no geolocation, group or revocation source, do not allow
/// data-access caveats, and their contexts name no service, consumer or interface and expect
/// no token type; so `asn`, `geo.*`, `service`, `consumer`, `interface`, `data.*` and
/// `authorization = none` never hold, and `api` always holds (operations are checked later).
pub fn reference_clear(
    caveats: &[Option<Caveat>],
    req: &Request,
    class: Option<TypeClass>,
) -> Decision {
    let mut expires: Option<u64> = None;
    for (index, caveat) in caveats.iter().enumerate() {
        let Some(caveat) = caveat else {
            return Decision::Unknown(index);
        };
        if let Caveat::Time(t) = caveat {
            expires = Some(match expires {
                Some(e) if e < t.valid_until() => e,
                _ => t.valid_until(),
            });
        }
        if class.is_some_and(|class| !reference_allowed(class, caveat)) {
            return Decision::Unverified(index);
        }
        let holds = match caveat {
            Caveat::Time(t) => {
                // now < validUntil + leeway, where a sum past u64::MAX fails closed.
                let end = u128::from(t.valid_until()) + u128::from(req.leeway);
                end <= u128::from(u64::MAX) && u128::from(req.now) < end
            }
            Caveat::Ip(c) => match req.ip {
                None => false,
                Some(client) => c.whitelist().iter().any(|net| reference_ip_in(net, client)),
            },
            Caveat::InviteType(c) => match req.invite_type {
                None => false,
                Some(t) => c.whitelist().contains(&t),
            },
            Caveat::App(a) => match a.name() {
                APP_ACTION => req.action.as_deref() == Some(a.value()),
                APP_DENY => false,
                _ => return Decision::Unknown(index),
            },
            Caveat::Api(_) => true,
            Caveat::Asn(_)
            | Caveat::GeoCountry(_)
            | Caveat::GeoRegion(_)
            | Caveat::Service(_)
            | Caveat::Consumer(_)
            | Caveat::Interface(_)
            | Caveat::DataReadonly(_)
            | Caveat::DataPath(_)
            | Caveat::DataObjectId(_)
            | Caveat::AuthorizationNone(_) => false,
            // A kind added after these checks were written: fail closed.
            _ => false,
        };
        if !holds {
            return Decision::Unverified(index);
        }
    }
    Decision::Allow { expires }
}

/// Whether `client` is in `net`, bit by bit; an IPv4-mapped IPv6 client (`::ffff:a.b.c.d`) is
/// its IPv4 address; families never mix.
pub(crate) fn reference_ip_in(net: &IpNet, client: IpAddr) -> bool {
    let client: Vec<u8> = match client {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => {
            let o = a.octets();
            if o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff {
                o[12..].to_vec()
            } else {
                o.to_vec()
            }
        }
    };
    let (addr, prefix): (Vec<u8>, u8) = match net {
        IpNet::V4(n) => (n.addr().octets().to_vec(), n.prefix_len()),
        IpNet::V6(n) => (n.addr().octets().to_vec(), n.prefix_len()),
    };
    if addr.len() != client.len() {
        return false;
    }
    let bit = |bytes: &[u8], i: usize| (bytes[i / 8] >> (7 - i % 8)) & 1;
    (0..usize::from(prefix)).all(|i| bit(&addr, i) == bit(&client, i))
}
