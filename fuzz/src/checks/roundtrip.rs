//! Target `roundtrip`: build a token from structured input, encode, decode, verify.

use super::*;
use caveat_token::DecodeError;

/// Strings for identifier fields: mostly valid ones, sometimes anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzStr {
    /// One of a few valid values.
    Known(u8),
    /// `len % 300` copies of one ASCII byte (reaches the 255-byte limit).
    Repeat {
        /// The byte, modulo 128.
        byte: u8,
        /// The length, modulo 300.
        len: u16,
    },
    /// Anything.
    Raw(String),
}

pub(crate) const KNOWN_STRS: &[&str] = &[
    "alice",
    "tok-0001",
    "auth.example.com",
    "c-42",
    "sess~1",
    "a",
    "k=1+2@x_y.z",
    "p=1",
];

impl FuzzStr {
    pub(crate) fn build(&self) -> String {
        match self {
            Self::Known(i) => KNOWN_STRS[usize::from(*i) % KNOWN_STRS.len()].to_owned(),
            Self::Repeat { byte, len } => char::from(byte & 0x7f)
                .to_string()
                .repeat(usize::from(*len) % 300),
            Self::Raw(s) => s.clone(),
        }
    }
}

/// What the token is for.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzTokenType {
    /// Access, with an optional session.
    Access(Option<FuzzStr>),
    /// Identity.
    Identity,
    /// Invite.
    Invite {
        /// Index into `InviteType::ALL`.
        invite: u8,
        /// The target id.
        target: FuzzStr,
        /// Parameters (`None`: empty).
        params: Option<FuzzStr>,
    },
}

/// A token identifier.
#[derive(Arbitrary, Debug, Clone)]
pub struct FuzzIdentifier {
    /// The location.
    pub location: FuzzStr,
    /// The key id.
    pub key_id: Option<FuzzStr>,
    /// The token id.
    pub token_id: FuzzStr,
    /// A provider rather than a user.
    pub provider: bool,
    /// The subject id.
    pub subject: FuzzStr,
    /// The type.
    pub token_type: FuzzTokenType,
    /// `Some(generation)`: temporary.
    pub generation: Option<u64>,
}

impl FuzzIdentifier {
    pub(crate) fn build(&self) -> Identifier<'static> {
        let subject = self.subject.build();
        Identifier {
            location: self.location.build().into(),
            key_id: self.key_id.as_ref().map(|k| k.build().into()),
            token_id: self.token_id.build().into(),
            subject: if self.provider {
                Subject::Provider(subject.into())
            } else {
                Subject::User(subject.into())
            },
            token_type: match &self.token_type {
                FuzzTokenType::Access(s) => TokenType::Access {
                    session: s.as_ref().map(|s| s.build().into()),
                },
                FuzzTokenType::Identity => TokenType::Identity,
                FuzzTokenType::Invite {
                    invite,
                    target,
                    params,
                } => TokenType::Invite {
                    invite_type: InviteType::ALL[usize::from(*invite) % InviteType::ALL.len()],
                    target: target.build().into(),
                    params: params.as_ref().map_or(String::new(), FuzzStr::build).into(),
                },
            },
            persistence: self.generation.map_or(Persistence::Named, |generation| {
                Persistence::Temporary { generation }
            }),
        }
    }
}

/// The identifier rules (SPEC §3), written out: ids are 1–255 bytes of `[A-Za-z0-9-._~@+=]`,
/// invite parameters may also be empty, locations are 1–255 bytes of printable ASCII, no space.
pub(crate) fn reference_identifier_ok(id: &Identifier<'_>) -> bool {
    let id_ok = |s: &str| {
        (1..=255).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~@+=".contains(&b))
    };
    let location_ok = (1..=255).contains(&id.location.len())
        && id.location.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let subject = match &id.subject {
        Subject::User(s) | Subject::Provider(s) => s,
    };
    let type_ok = match &id.token_type {
        TokenType::Access { session } => session.as_deref().is_none_or(id_ok),
        TokenType::Identity => true,
        TokenType::Invite { target, params, .. } => {
            id_ok(target) && (params.is_empty() || id_ok(params))
        }
    };
    location_ok
        && id.key_id.as_deref().is_none_or(id_ok)
        && id_ok(&id.token_id)
        && id_ok(subject)
        && type_ok
}

/// A network in an IP caveat (the prefix is taken modulo the family's width plus one).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum FuzzNet {
    /// IPv4.
    V4([u8; 4], u8),
    /// IPv6.
    V6([u8; 16], u8),
}

/// Application caveat names: the two with predicates, an unregistered one, or anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzAppName {
    /// `example.com/action`.
    Action,
    /// `example.com/deny`.
    Deny,
    /// `other.org/thing`, which has no predicate.
    Unregistered,
    /// Anything.
    Raw(String),
}

/// A caveat of any kind, built through the public constructors.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzCaveat {
    /// Time, within ±32768 s of the base time.
    TimeNear(u16),
    /// Time, anything.
    Time(u64),
    /// IP whitelist.
    Ip(Vec<FuzzNet>),
    /// Invite type whitelist (indices into `InviteType::ALL`).
    InviteType(Vec<u8>),
    /// Application caveat.
    App(FuzzAppName, String),
    /// One of the Onedata kinds, from [`ONEDATA_SAMPLES`] (modulo its length).
    Onedata(u8),
}

/// Caveats of the Onedata kinds, in their text forms, for `roundtrip`. Their reference
/// decision is simple in the oracles' contexts (see [`reference_clear`]), so they are drawn
/// from this list rather than generated field by field; `caveat_parse` and `decode` fuzz their
/// parsers.
pub const ONEDATA_SAMPLES: &[&str] = &[
    "asn = 3320|64512",
    "geo.country = PL|FR",
    "geo.country != DE",
    "geo.region = EU|Asia",
    "geo.region != Oceania",
    "service = ozw-onezone|opw-*",
    "consumer = usr-alice|grp-admins|prv-*",
    "interface = rest",
    "interface = oneclient",
    "api = all/all/*.*.*:*",
    "api = opw/get/op_space.s1.*:private",
    "data.readonly",
    "data.path = L3NwYWNlMS9maWxlMS50eHQ=",
    "data.objectid = 00000000000CDBDA677569642331323323616263",
    "authorization = none",
];

impl FuzzCaveat {
    /// Builds the caveat, checking that the constructor accepts exactly what the rules allow.
    pub(crate) fn build(&self) -> Option<Caveat> {
        let (result, allowed) = match self {
            Self::TimeNear(n) => (Ok(Caveat::time(BASE_NOW + u64::from(*n) - 32_768)), true),
            Self::Time(t) => (Ok(Caveat::time(*t)), true),
            Self::Ip(nets) => {
                let nets: Vec<IpNet> = nets
                    .iter()
                    .map(|n| match *n {
                        FuzzNet::V4(a, p) => IpNet::new(Ipv4Addr::from(a).into(), p % 33),
                        FuzzNet::V6(a, p) => IpNet::new(Ipv6Addr::from(a).into(), p % 129),
                    })
                    .collect::<Result<_, _>>()
                    .expect("prefixes are reduced to the family's width");
                let allowed = (1..=32).contains(&nets.len());
                (IpCaveat::new(nets).map(Caveat::Ip), allowed)
            }
            Self::InviteType(codes) => {
                let types: Vec<InviteType> = codes
                    .iter()
                    .map(|&c| InviteType::ALL[usize::from(c) % InviteType::ALL.len()])
                    .collect();
                let distinct = types
                    .iter()
                    .enumerate()
                    .all(|(i, t)| !types[i + 1..].contains(t));
                let allowed = !types.is_empty() && distinct;
                (
                    InviteTypeCaveat::new(types).map(Caveat::InviteType),
                    allowed,
                )
            }
            Self::App(name, value) => {
                let name = match name {
                    FuzzAppName::Action => APP_ACTION.to_owned(),
                    FuzzAppName::Deny => APP_DENY.to_owned(),
                    FuzzAppName::Unregistered => "other.org/thing".to_owned(),
                    FuzzAppName::Raw(s) => s.clone(),
                };
                let allowed = reference_app_ok(&name, value);
                (AppCaveat::new(&name, value).map(Caveat::App), allowed)
            }
            Self::Onedata(i) => {
                let text = ONEDATA_SAMPLES[usize::from(*i) % ONEDATA_SAMPLES.len()];
                (Caveat::from_text(text), true)
            }
        };
        match result {
            Ok(c) => {
                assert!(
                    allowed,
                    "constructor accepted a caveat the rules forbid: {c:?}"
                );
                Some(c)
            }
            Err(e) => {
                assert!(!allowed, "constructor refused {self:?}: {e}");
                assert_eq!(e.id(), "badValueCaveat");
                None
            }
        }
    }
}

/// Application caveat rules, written out: the name is 3–64 bytes of `[a-z0-9._-/]` with exactly
/// one `/`, not first or last; the value is at most 255 bytes with no C0/C1 control character.
pub(crate) fn reference_app_ok(name: &str, value: &str) -> bool {
    let name_ok = (3..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        && name.bytes().filter(|&b| b == b'/').count() == 1
        && !name.starts_with('/')
        && !name.ends_with('/');
    let value_ok = value.len() <= 255
        && value
            .chars()
            .all(|c| !matches!(u32::from(c), 0..=0x1f | 0x7f..=0x9f));
    name_ok && value_ok
}

/// One attenuation step.
#[derive(Arbitrary, Debug, Clone)]
pub enum FuzzStep {
    /// A typed caveat.
    Add(FuzzCaveat),
    /// Caveat bytes as they are (usually not understood).
    Raw(Vec<u8>),
}

/// Decoding limits (each small, to reach every limit).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct FuzzLimits {
    /// `max_token_bytes`.
    pub token: u16,
    /// `max_caveats`.
    pub caveats: u8,
    /// `max_caveat_bytes`.
    pub caveat: u16,
    /// `max_identifier_bytes`.
    pub identifier: u16,
}

/// Input of `roundtrip`.
#[derive(Arbitrary, Debug)]
pub struct RoundtripInput {
    /// The identifier.
    pub identifier: FuzzIdentifier,
    /// Caveats given at minting.
    pub minted: Vec<FuzzCaveat>,
    /// Attenuations after minting.
    pub steps: Vec<FuzzStep>,
    /// The request.
    pub ctx: FuzzContext,
    /// Non-default decoding limits.
    pub limits: Option<FuzzLimits>,
    /// Send the text form rather than the binary one.
    pub text: bool,
    /// Mint in the Onedata format rather than the native one.
    pub onedata: bool,
}

/// The caveat a token reads back from what `c` encodes to: `c`, except for an `ip` caveat with
/// an IPv4-mapped entry, which `IpCaveat::new` accepts but no decoder reads (SPEC §5.3), so the
/// token carries a caveat it does not understand.
pub(crate) fn read_back(c: Caveat) -> Option<Caveat> {
    let mapped = |net: &ipnet::IpNet| match net {
        IpNet::V6(n) => {
            let o = n.addr().octets();
            o[..10].iter().all(|&b| b == 0) && o[10] == 0xff && o[11] == 0xff
        }
        IpNet::V4(_) => false,
    };
    match &c {
        Caveat::Ip(ip) if ip.whitelist().iter().any(mapped) => None,
        _ => Some(c),
    }
}

/// An Onedata caveat (its cid value) as the library must read it: UTF-8 that is exactly the
/// canonical text of the caveat it parses to, else not understood.
pub(crate) fn onedata_caveat(bytes: &[u8]) -> Option<Caveat> {
    let text = std::str::from_utf8(bytes).ok()?;
    let c = Caveat::from_text(text).ok()?;
    (c.to_text() == text).then_some(c)
}

/// Target `roundtrip`: the token built from the input encodes, decodes to the identical bytes
/// and values, verifies under key A with exactly the reference decision, and never under key B.
/// Returns the decision (`None` when the bytes are too short for an input).
pub fn roundtrip(data: &[u8]) -> Option<Decision> {
    let input = structured::<RoundtripInput>(data)?;
    let id = input.identifier.build();
    let minted: Vec<Caveat> = input.minted.iter().filter_map(FuzzCaveat::build).collect();
    let format = if input.onedata {
        Format::Onedata
    } else {
        Format::Native
    };
    // The Onedata format has no key id.
    let id_ok = reference_identifier_ok(&id) && (format == Format::Native || id.key_id.is_none());
    // A temporary token is minted only with a time caveat; one without is still decoded and
    // verified below, minted as other code could mint it.
    let needs_time = matches!(id.persistence, Persistence::Temporary { .. })
        && !minted.iter().any(|c| matches!(c, Caveat::Time(_)));
    let token = match Token::mint_as(format, key_a(), &id, &minted) {
        Ok(t) => {
            assert!(id_ok, "minted a bad identifier {id:?} in {format:?}");
            assert!(
                !needs_time,
                "minted a temporary token without a time caveat"
            );
            t
        }
        Err(e) if id_ok && needs_time => {
            assert_eq!(e.id(), "tokenTimeCaveatRequired");
            caveat_token::hazmat::mint_unchecked(format, key_a(), &id, &minted)
                .expect("a good identifier mints unchecked")
        }
        Err(e) => {
            assert!(
                !id_ok,
                "refused a good identifier {id:?} in {format:?}: {e}"
            );
            assert_eq!(e.id(), "badValueIdentifier");
            return Some(Decision::Other("badValueIdentifier"));
        }
    };
    let mut expected: Vec<Option<Caveat>> = minted.into_iter().map(read_back).collect();
    let mut token = token;
    for step in &input.steps {
        let before: Vec<Vec<u8>> = token.caveat_bytes().map(<[u8]>::to_vec).collect();
        let (next, caveat) = match step {
            FuzzStep::Add(c) => match c.build() {
                Some(c) => (
                    token.attenuate(&c).expect("both formats take every caveat"),
                    read_back(c),
                ),
                None => continue,
            },
            FuzzStep::Raw(bytes) => {
                let attenuated = token.attenuate_raw(bytes);
                if format == Format::Native {
                    // native_caveat checks that only third-party caveats are refused.
                    let caveat = native_caveat(bytes);
                    match attenuated {
                        Ok(t) => (t, caveat),
                        Err(e) => {
                            assert!(reference_native_third_party(bytes).is_some(), "{e}");
                            continue;
                        }
                    }
                } else {
                    // An Onedata cid packet is at most 0xffff bytes: 4 + "cid " + value + "\n".
                    let fits = bytes.len() + 9 <= 0xffff;
                    match attenuated {
                        Ok(t) => {
                            assert!(fits, "an oversize cid packet");
                            (t, onedata_caveat(bytes))
                        }
                        Err(e) => {
                            assert!(!fits, "attenuate_raw refused a cid: {e}");
                            assert_eq!(e.id(), "badValueCaveat");
                            continue;
                        }
                    }
                }
            }
        };
        let after: Vec<&[u8]> = next.caveat_bytes().collect();
        assert_eq!(
            after.len(),
            before.len() + 1,
            "attenuation appends one caveat"
        );
        assert!(
            before.iter().zip(&after).all(|(a, b)| a.as_slice() == *b),
            "attenuation keeps earlier caveats"
        );
        assert_eq!(next.identifier_bytes(), token.identifier_bytes());
        token = next;
        expected.push(caveat);
    }
    assert!(
        chains_under(&token, KEY_A),
        "minting/attenuation chain differs from HMAC's"
    );

    // Encode, then decode under the limits.
    let limits = input.limits.map_or(Limits::default(), |l| Limits {
        max_token_bytes: usize::from(l.token),
        max_caveats: usize::from(l.caveats),
        max_caveat_bytes: usize::from(l.caveat),
        max_identifier_bytes: usize::from(l.identifier),
    });
    let too_large = if token.as_bytes().len() > limits.max_token_bytes {
        Some("size")
    } else if token.identifier_bytes().len() > limits.max_identifier_bytes {
        Some("identifierSize")
    } else if token.caveat_count() > limits.max_caveats {
        Some("caveats")
    } else if token
        .caveat_bytes()
        .any(|c| c.len() > limits.max_caveat_bytes)
    {
        Some("caveatSize")
    } else {
        None
    };
    let text = token.to_text();
    let decoded = if input.text {
        Token::from_text(&text, &limits)
    } else {
        Token::from_bytes_as(format, token.as_bytes(), &limits)
    };
    let decoded = match (decoded, too_large) {
        (Err(Error::Decode(DecodeError::TooLarge { limit, .. })), Some(expected_limit)) => {
            if format == Format::Native {
                assert_eq!(
                    limit.as_str(),
                    expected_limit,
                    "which limit refused the token"
                );
            } else {
                // The packet decoder meets the limits in packet order: any exceeded one may be
                // named first.
                let exceeded = match limit.as_str() {
                    "size" => token.as_bytes().len() > limits.max_token_bytes,
                    "identifierSize" => {
                        token.identifier_bytes().len() > limits.max_identifier_bytes
                    }
                    "caveats" => token.caveat_count() > limits.max_caveats,
                    "caveatSize" => token
                        .caveat_bytes()
                        .any(|c| c.len() > limits.max_caveat_bytes),
                    _ => false,
                };
                assert!(exceeded, "limit {limit} named, but not exceeded");
            }
            return Some(Decision::Other("tokenTooLarge"));
        }
        (Ok(t), None) => t,
        (got, want) => panic!("decode under {limits:?}: got {got:?}, expected limit {want:?}"),
    };
    assert_eq!(
        decoded.as_bytes(),
        token.as_bytes(),
        "decode keeps the bytes"
    );
    assert_eq!(decoded.to_text(), text);
    assert_eq!(
        decoded.untrusted_identifier().expect("identifier parses"),
        id,
        "identifier round trip"
    );
    let caveats: Vec<Option<Caveat>> = decoded.untrusted_caveats().map(Result::ok).collect();
    assert_eq!(caveats, expected, "caveat round trip");

    // Verify: key A gives the reference decision; key B never verifies.
    let req = input.ctx.request(limits);
    let verifier = req.verifier();
    let ctx = req.context();
    let want = reference_temporary_rule(
        reference_clear(&expected, &req, Some(TypeClass::of(&id.token_type))),
        Some(id.persistence),
    );
    let got = verifier.verify(decoded.clone(), key_a(), &ctx);
    assert_eq!(decision_of(&got), want, "clearing decision");
    if let Ok(v) = &got {
        assert_eq!(v.identifier(), id);
        assert_eq!(v.token().as_bytes(), token.as_bytes());
    }
    let text_got = verifier.verify_text(&text, key_a(), &ctx);
    assert_eq!(decision_of(&text_got), want, "clearing decision (text)");
    let wrong = verifier.verify(decoded, key_b(), &ctx);
    assert_eq!(
        decision_of(&wrong),
        Decision::Other("tokenInvalid"),
        "wrong key"
    );
    Some(want)
}
