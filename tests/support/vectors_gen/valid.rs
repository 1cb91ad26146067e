//! valid.json: tokens that verify (SPEC.md §9).

use super::*;

/// The token the tampering vectors start from: alice's access token with three caveats.
pub(super) fn three_caveats() -> Result<Chain, String> {
    Chain::mint(
        &key_main(),
        &base_identifier(),
        vec![
            Cav::typed(&time(NOW + HOUR))?,
            Cav::typed(&ip(&["10.0.0.0/8"]))?,
            Cav::typed(&time(NOW + 2 * HOUR))?,
        ],
    )
}

/// Sizes for a token of exactly `total` bytes under `MIN_LIMITS`: `big` caveats of exactly 256
/// bytes, one filler application caveat with a value of `filler` bytes, and time caveats for the
/// rest of the 64.
pub(super) struct Fill {
    pub(super) total: usize,
    pub(super) token_id_len: usize,
    pub(super) big: usize,
    pub(super) filler: usize,
}

pub(super) const BIG_NAME: &str = "example.com/blob";
pub(super) const FILL_NAME: &str = "example.com/fill";

pub(super) fn long_location() -> String {
    format!("{}.example.com", "a".repeat(243))
}

pub(super) fn long_identifier(token_id_len: usize) -> Identifier<'static> {
    Identifier {
        location: long_location().into(),
        token_id: "t".repeat(token_id_len).into(),
        ..base_identifier()
    }
}

/// The native length of an application caveat named `name` with a value of `n` bytes.
pub(super) fn app_len(name: &str, n: usize) -> Result<usize, String> {
    Ok(typed(&app(name, &"x".repeat(n)))?.to_native().len())
}

/// The value length that makes an application caveat named `name` exactly `size` bytes.
pub(super) fn app_value_len(name: &str, size: usize) -> Result<usize, String> {
    for n in 0..=255 {
        if app_len(name, n)? == size {
            return Ok(n);
        }
    }
    Err(format!("no {name} caveat of {size} bytes"))
}

pub(super) fn fill_caveats(f: &Fill) -> Result<Vec<Cav>, String> {
    let big_value = "b".repeat(app_value_len(BIG_NAME, 256)?);
    let mut caveats = Vec::new();
    for _ in 0..f.big {
        caveats.push(Cav::typed(&app(BIG_NAME, &big_value))?);
    }
    caveats.push(Cav::typed(&app(FILL_NAME, &"f".repeat(f.filler)))?);
    let mut i = 0;
    while caveats.len() < 64 {
        caveats.push(Cav::typed(&time(NOW + HOUR + i))?);
        i += 1;
    }
    Ok(caveats)
}

/// Finds a fill whose token is exactly `total` bytes (the identifier is `id_len` bytes).
pub(super) fn find_fill(id_len: usize, total: usize) -> Result<Fill, String> {
    let token_id_len = (1..=255)
        .find(|&n| identifier_len(&long_identifier(n)) == id_len)
        .ok_or_else(|| format!("no identifier of {id_len} bytes"))?;
    let time_len = Cav::typed(&time(NOW + HOUR))?.bytes.len();
    let filler_lens = (0..=255)
        .map(|n| app_len(FILL_NAME, n))
        .collect::<Result<Vec<_>, _>>()?;
    for big in 0..63 {
        for (filler, &filler_len) in filler_lens.iter().enumerate() {
            // Envelope head, version, identifier, caveat array head (64 = 0x98 0x40),
            // caveats, tag.
            let size = 1
                + 1
                + bstr_len(id_len)
                + 2
                + big * bstr_len(256)
                + bstr_len(filler_len)
                + (63 - big) * bstr_len(time_len)
                + bstr_len(32);
            if size == total && filler_len <= 256 {
                return Ok(Fill {
                    total,
                    token_id_len,
                    big,
                    filler,
                });
            }
        }
    }
    Err(format!("no fill of {total} bytes"))
}

pub(super) fn identifier_len(id: &Identifier<'_>) -> usize {
    let Ok(key) = RootKey::from_hex(&key_main()) else {
        return 0;
    };
    Token::mint(&key, id, &[]).map_or(0, |t| t.identifier_bytes().len())
}

/// The token of `fill` under the main key.
pub(super) fn fill_chain(f: &Fill) -> Result<Chain, String> {
    let chain = Chain::mint(
        &key_main(),
        &long_identifier(f.token_id_len),
        fill_caveats(f)?,
    )?;
    if chain.envelope()?.len() != f.total {
        return Err(format!("fill of {} bytes miscomputed", f.total));
    }
    Ok(chain)
}

pub(super) fn with_fill_predicates(v: Vector, f: &Fill) -> Result<Vector, String> {
    Ok(v.predicate(BIG_NAME)
        .predicate(FILL_NAME)
        .attribute(BIG_NAME, &"b".repeat(app_value_len(BIG_NAME, 256)?))
        .attribute(FILL_NAME, &"f".repeat(f.filler)))
}

pub(super) fn valid() -> Result<Vec<Vector>, String> {
    let main = key_main();
    let mut out = vec![
        Vector::new(
            "valid_access_named_no_caveats",
            "The smallest token: a named access token for usr-alice, no key id, no caveats.",
            Chain::mint(&main, &base_identifier(), vec![])?,
            ok(None, "usr-alice"),
        )?,
        Vector::new(
            "valid_access_session_temporary",
            "An access token bound to session sess-42, temporary with generation 7, valid one \
             hour.",
            Chain::mint(
                &main,
                &Identifier {
                    token_type: TokenType::Access {
                        session: Some("sess-42".into()),
                    },
                    persistence: Persistence::Temporary { generation: 7 },
                    ..with_token_id("tok-0002")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_identity_provider",
            "An identity token whose subject is a provider (prv-…).",
            Chain::mint(
                &main,
                &Identifier {
                    subject: Subject::Provider("oneprovider-1".into()),
                    token_type: TokenType::Identity,
                    ..with_token_id("tok-0003")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "prv-oneprovider-1"),
        )?,
        Vector::new(
            "valid_three_caveats",
            "The token the tampering vectors of chain.json start from: time, ip, time.",
            three_caveats()?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "valid_key_id_in_ring",
            "A token naming key id 2026-11 verifies with the key registered under that id (the \
             ring also has a default key and 2026-10).",
            Chain::mint(&key_rot_b(), &with_key_id("2026-11"), vec![])?,
            ok(None, "usr-alice"),
        )?
        .keys(
            Some(main.clone()),
            &[("2026-10", key_rot_a()), ("2026-11", key_rot_b())],
        ),
    ];
    for &t in InviteType::ALL {
        let target = format!(
            "{}-{:04}",
            t.target_kind().trim_end_matches("Id").to_lowercase(),
            t.code()
        );
        let params = if t == InviteType::SupportSpace {
            "size=1073741824"
        } else {
            ""
        };
        out.push(
            Vector::new(
                &format!("valid_invite_{}", t.name()),
                &format!(
                    "An invite token of type {} (native code {}, target kind {}), with an \
                     inviteType caveat listing it and a matching request.",
                    t.name(),
                    t.code(),
                    t.target_kind()
                ),
                Chain::mint(
                    &main,
                    &invite_identifier(t, &target, params),
                    vec![
                        Cav::typed(&time(NOW + HOUR))?,
                        Cav::typed(&invite(&[t.name()]))?,
                    ],
                )?,
                ok(Some(NOW + HOUR), "usr-bob"),
            )?
            .invite_type(t.name()),
        );
    }
    out.extend([
        Vector::new(
            "valid_invite_type_whitelist_of_two",
            "An inviteType caveat listing two types; the request asks for the second. The token is \
             temporary, so it carries a time caveat too.",
            Chain::mint(
                &main,
                &invite_identifier(InviteType::UserJoinCluster, "cluster-0007", ""),
                vec![
                    Cav::typed(&invite(&["groupJoinCluster", "userJoinCluster"]))?,
                    Cav::typed(&time(NOW + HOUR))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-bob"),
        )?
        .invite_type("userJoinCluster"),
        Vector::new(
            "valid_invite_type_from_expectation",
            "The context names no invite type; the expectation invite:userJoinCluster supplies it \
             (SPEC.md §5.4).",
            Chain::mint(
                &main,
                &invite_identifier(InviteType::UserJoinCluster, "cluster-0007", ""),
                vec![
                    Cav::typed(&invite(&["userJoinCluster"]))?,
                    Cav::typed(&time(NOW + HOUR))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-bob"),
        )?
        .expect("invite:userJoinCluster"),
        Vector::new(
            "valid_all_caveat_kinds",
            "time, ip (v4 network, v6 network, bare v4 address) and a registered application \
             caveat, all holding.",
            Chain::mint(
                &main,
                &with_token_id("tok-0004"),
                vec![
                    Cav::typed(&time(NOW + HOUR))?,
                    Cav::typed(&ip(&["10.0.0.0/8", "2001:db8::/32", "167.73.12.17/32"]))?,
                    Cav::typed(&app("example.com/action", "read"))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .ip("167.73.12.17")
        .predicate("example.com/action")
        .attribute("example.com/action", "read"),
        Vector::new(
            "valid_ip_host_bits_kept_and_ignored",
            "189.34.15.0/8 keeps its host bits in the caveat bytes and matches 189.1.1.1.",
            Chain::mint(
                &main,
                &with_token_id("tok-0005"),
                vec![Cav::typed(&ip(&["189.34.15.0/8"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("189.1.1.1"),
        Vector::new(
            "valid_ip_mapped_v6_client",
            "The client ::ffff:10.1.2.3 is canonicalized to 10.1.2.3 and matches 10.0.0.0/8.",
            Chain::mint(
                &main,
                &with_token_id("tok-0006"),
                vec![Cav::typed(&ip(&["10.0.0.0/8"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("::ffff:10.1.2.3"),
        Vector::new(
            "valid_ip_v6_network",
            "An IPv6 client inside 2001:db8::/32.",
            Chain::mint(
                &main,
                &with_token_id("tok-0007"),
                vec![Cav::typed(&ip(&["2001:db8::/32"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("2001:db8:1::1"),
        Vector::new(
            "valid_ip_v6_host",
            "A bare IPv6 address is a /128 and matches itself.",
            Chain::mint(
                &main,
                &with_token_id("tok-0008"),
                vec![Cav::typed(&ip(&["2001:db8::1/128"]))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("2001:db8::1"),
        Vector::new(
            "valid_time_last_second",
            "now = validUntil - 1: the last second in which the token is valid.",
            Chain::mint(
                &main,
                &with_token_id("tok-0009"),
                vec![Cav::typed(&time(NOW))?],
            )?,
            ok(Some(NOW), "usr-alice"),
        )?
        .now(NOW - 1),
        Vector::new(
            "valid_time_within_leeway",
            "now = validUntil with a leeway of 1 second: valid (now < validUntil + leeway).",
            Chain::mint(
                &main,
                &with_token_id("tok-0010"),
                vec![Cav::typed(&time(NOW))?],
            )?,
            ok(Some(NOW), "usr-alice"),
        )?
        .leeway(1),
        Vector::new(
            "valid_expires_is_minimum",
            "Two time caveats, the later first: expires is the least validUntil.",
            Chain::mint(
                &main,
                &with_token_id("tok-0011"),
                vec![
                    Cav::typed(&time(NOW + 2 * HOUR))?,
                    Cav::typed(&time(NOW + HOUR))?,
                ],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_time_u64_max",
            "validUntil = 2^64-1 (an 8-byte CBOR head); no leeway, so no overflow.",
            Chain::mint(
                &main,
                &with_token_id("tok-0012"),
                vec![Cav::typed(&time(u64::MAX))?],
            )?,
            ok(Some(u64::MAX), "usr-alice"),
        )?,
        Vector::new(
            "valid_text_secret_key",
            "The root key is the 28 ASCII bytes \"correct horse battery staple\" (any non-empty \
             length is allowed).",
            Chain::mint(
                &hex::encode("correct horse battery staple"),
                &with_token_id("tok-0013"),
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_long_key",
            "A 100-byte root key (longer than an HMAC block; it is the message of the key \
             derivation, so it is not hashed first).",
            Chain::mint(
                &seq_hex(0x40, 100),
                &with_token_id("tok-0014"),
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?,
        Vector::new(
            "valid_duplicate_caveat_with_mac",
            "The same ip caveat appended twice, each time with its MAC step: harmless.",
            Chain::mint(
                &main,
                &with_token_id("tok-0015"),
                vec![
                    Cav::typed(&ip(&["10.0.0.0/8"]))?,
                    Cav::typed(&ip(&["10.0.0.0/8"]))?,
                ],
            )?,
            ok(None, "usr-alice"),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "valid_app_caveat_utf8_value",
            "An application caveat with a non-ASCII UTF-8 value, checked by a registered \
             predicate.",
            Chain::mint(
                &main,
                &with_token_id("tok-0016"),
                vec![Cav::typed(&app("example.com/label", "zażółć gęślą jaźń"))?],
            )?,
            ok(None, "usr-alice"),
        )?
        .predicate("example.com/label")
        .attribute("example.com/label", "zażółć gęślą jaźń"),
        Vector::new(
            "valid_generation_u64_max",
            "A temporary token with generation 2^64-1 and a key id.",
            Chain::mint(
                &key_rot_a(),
                &Identifier {
                    key_id: Some("2026-10".into()),
                    persistence: Persistence::Temporary {
                        generation: u64::MAX,
                    },
                    ..with_token_id("tok-0017")
                },
                vec![Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .keys(None, &[("2026-10", key_rot_a())]),
    ]);
    let fill = find_fill(512, 4096)?;
    out.push(with_fill_predicates(
        Vector::new(
            "valid_at_minimum_limits",
            "Exactly at every minimum of SPEC.md §7, with the limits set to those minimums: a \
             4096-byte token, a 512-byte identifier, 64 caveats, caveats of 256 bytes.",
            fill_chain(&fill)?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .limits(MIN_LIMITS),
        &fill,
    )?);
    Ok(out)
}
