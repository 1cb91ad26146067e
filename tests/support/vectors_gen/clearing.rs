//! clearing.json: caveats that do not hold or are not understood (SPEC.md §9).

use super::*;

pub(super) fn clearing() -> Result<Vec<Vector>, String> {
    let main = key_main();
    let mut n = 300;
    let mut one = |caveats: Vec<Cav>| {
        n += 1;
        Chain::mint(&main, &with_token_id(&format!("tok-{n:04}")), caveats)
    };
    let v4 = ip(&["10.0.0.0/8"]);
    let v6 = ip(&["2001:db8::/32"]);
    let action = app("example.com/action", "read");
    let raw = |name: &str, description: &str, bytes: Vec<u8>, c: Chain| {
        Vector::new(name, description, c, unknown_bytes(0, &bytes))
    };
    let unknown_raw = [
        (
            "caveat_unknown_kind",
            "Kind 99 is not defined: [99, 0].",
            vec![0x82, 0x18, 0x63, 0x00],
        ),
        (
            "caveat_not_cbor",
            "The text form of a time caveat, which is not a native caveat.",
            format!("time < {}", NOW + HOUR).into_bytes(),
        ),
        (
            "caveat_non_minimal_integer",
            "A time caveat whose validUntil (5) is written 0x18 0x05.",
            vec![0x82, 0x00, 0x18, 0x05],
        ),
        (
            "caveat_wrong_field_count",
            "A time caveat without its value: [0].",
            vec![0x81, 0x00],
        ),
        (
            "caveat_trailing_bytes",
            "A time caveat followed by a byte inside its byte string.",
            [Cav::typed(&time(NOW + HOUR))?.bytes, vec![0x00]].concat(),
        ),
        (
            "caveat_negative_time",
            "validUntil = -1 (major type 1).",
            vec![0x82, 0x00, 0x20],
        ),
        (
            "caveat_ip_entry_bad_length",
            "An ip entry of 4 bytes (entries are 5 or 17 bytes).",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A(vec![Item::B(vec![10, 0, 0, 0])]),
            ])),
        ),
        (
            "caveat_ip_prefix_too_long",
            "The IPv4 entry 10.0.0.0/33.",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A(vec![Item::B(vec![10, 0, 0, 0, 33])]),
            ])),
        ),
        (
            "caveat_ip_empty_list",
            "An ip caveat with an empty whitelist.",
            encode(&Item::A(vec![Item::U(1), Item::A(vec![])])),
        ),
        (
            "caveat_invite_code_unknown",
            "An inviteType caveat listing code 14.",
            encode(&Item::A(vec![Item::U(2), Item::A(vec![Item::U(14)])])),
        ),
        (
            "caveat_invite_duplicate",
            "An inviteType caveat listing code 7 twice.",
            encode(&Item::A(vec![
                Item::U(2),
                Item::A(vec![Item::U(7), Item::U(7)]),
            ])),
        ),
        (
            "caveat_app_bad_name",
            "An application caveat whose name has an upper-case letter.",
            encode(&Item::A(vec![
                Item::U(3),
                t("Example.com/action"),
                t("read"),
            ])),
        ),
        (
            "caveat_app_control_character",
            "An application caveat whose value holds a newline.",
            encode(&Item::A(vec![
                Item::U(3),
                t("example.com/action"),
                t("re\nad"),
            ])),
        ),
        (
            "caveat_ip_mapped_entry",
            "The IPv6 entry ::ffff:10.0.0.0/104, whose address is IPv4-mapped (never created, never \
             decoded: SPEC.md §5.3).",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A(vec![Item::B(
                    [&[0u8; 10][..], &[0xff, 0xff, 10, 0, 0, 0, 104]].concat(),
                )]),
            ])),
        ),
        (
            "caveat_ip_too_many_entries",
            "An ip caveat with 33 entries (at most 32); the error shows the first 64 bytes, then \
             U+2026.",
            encode(&Item::A(vec![
                Item::U(1),
                Item::A((0..33u8).map(|i| Item::B(vec![10, 0, i, 0, 24])).collect()),
            ])),
        ),
        (
            "caveat_app_value_too_long",
            "An application caveat whose value is 256 bytes (at most 255).",
            encode(&Item::A(vec![
                Item::U(3),
                t("example.com/action"),
                t(&"v".repeat(256)),
            ])),
        ),
        (
            "caveat_unknown_long_excerpt",
            "An unknown caveat of 100 bytes (kind 99, then a 95-byte text): the error shows the \
             hex of its first 64 bytes, then U+2026.",
            encode(&Item::A(vec![Item::U(99), t(&"x".repeat(95))])),
        ),
    ];
    let mut out = Vec::new();
    for (name, description, bytes) in unknown_raw {
        let c = one(vec![Cav::raw(bytes.clone())])?;
        out.push(raw(name, description, bytes, c)?);
    }
    let app_json = serde_json::to_string(&action).map_err(err)?;
    out.extend([
        Vector::new(
            "time_expired_at_valid_until",
            "now = validUntil: expired (strict now < validUntil).",
            one(vec![Cav::typed(&time(NOW))?])?,
            unverified(0, &time(NOW), expired(NOW, NOW)),
        )?,
        Vector::new(
            "time_leeway_exhausted",
            "now = validUntil + leeway (300 s): expired.",
            one(vec![Cav::typed(&time(NOW - 300))?])?,
            unverified(0, &time(NOW - 300), expired(NOW - 300, NOW)),
        )?
        .leeway(300),
        Vector::new(
            "time_overflow_fails_closed",
            "validUntil = 2^64-1 with a leeway of 1: the sum overflows, which fails closed.",
            one(vec![Cav::typed(&time(u64::MAX))?])?,
            unverified(0, &time(u64::MAX), expired(u64::MAX, NOW)),
        )?
        .leeway(1),
        Vector::new(
            "time_second_caveat_expired",
            "Caveat 0 holds, caveat 1 is expired: the error names index 1.",
            one(vec![
                Cav::typed(&time(NOW + HOUR))?,
                Cav::typed(&time(NOW))?,
            ])?,
            unverified(1, &time(NOW), expired(NOW, NOW)),
        )?,
        Vector::new(
            "ip_mismatch_v4",
            "11.0.0.1 is not in 10.0.0.0/8.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4, ip_not_listed("11.0.0.1")),
        )?
        .ip("11.0.0.1"),
        Vector::new(
            "ip_mismatch_v6",
            "2001:db9::1 is not in 2001:db8::/32.",
            one(vec![Cav::typed(&v6)?])?,
            unverified(0, &v6, ip_not_listed("2001:db9::1")),
        )?
        .ip("2001:db9::1"),
        Vector::new(
            "ip_v4_client_v6_whitelist",
            "An IPv4 client never matches an IPv6 network.",
            one(vec![Cav::typed(&v6)?])?,
            unverified(0, &v6, ip_not_listed("10.1.2.3")),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "ip_mismatch_mapped_v6",
            "The client ::ffff:11.0.0.1 is canonicalized to 11.0.0.1, not in 10.0.0.0/8.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4, ip_not_listed("11.0.0.1")),
        )?
        .ip("::ffff:11.0.0.1"),
        Vector::new(
            "ip_v6_any_excludes_mapped_client",
            "::/0 does not match ::ffff:10.1.2.3, which is canonicalized to IPv4 first.",
            one(vec![Cav::typed(&ip(&["::/0"]))?])?,
            unverified(0, &ip(&["::/0"]), ip_not_listed("10.1.2.3")),
        )?
        .ip("::ffff:10.1.2.3"),
        Vector::new(
            "ip_missing_client",
            "No client address in the context: fails closed.",
            one(vec![Cav::typed(&v4)?])?,
            unverified(0, &v4, context_missing("ip")),
        )?,
        Vector::new(
            "ip_bare_address_is_host",
            "167.73.12.17/32 does not match 167.73.12.18.",
            one(vec![Cav::typed(&ip(&["167.73.12.17/32"]))?])?,
            unverified(0, &ip(&["167.73.12.17/32"]), ip_not_listed("167.73.12.18")),
        )?
        .ip("167.73.12.18"),
        Vector::new(
            "app_unregistered",
            "An application caveat with no registered predicate is unknown, never skipped.",
            one(vec![Cav::typed(&action)?])?,
            error(
                "tokenCaveatUnknown",
                json!({"index": 0, "caveat": app_json}),
            ),
        )?
        .attribute("example.com/action", "read"),
        Vector::new(
            "app_unregistered_compact_json",
            "The unknown app caveat's JSON as compact text: keys type, name, value; no \
             whitespace; a quote and a backslash escaped; a non-ASCII character written as \
             itself (SPEC.md §6.4).",
            one(vec![Cav::typed(&app("example.com/note", "caf\u{e9} \"q\" \\"))?])?,
            error(
                "tokenCaveatUnknown",
                json!({"index": 0,
                       "caveat": "{\"type\":\"app\",\"name\":\"example.com/note\",\"value\":\"caf\u{e9} \\\"q\\\" \\\\\"}"}),
            ),
        )?,
        Vector::new(
            "app_predicate_denies",
            "The registered predicate is false (the request's attribute is write).",
            one(vec![Cav::typed(&action)?])?,
            unverified(0, &action, json!({"reason": "predicateFailed"})),
        )?
        .predicate("example.com/action")
        .attribute("example.com/action", "write"),
        Vector::new(
            "caveat_unknown_after_holding_caveat",
            "Caveat 0 holds; caveat 1 is of unknown kind 99: the error names index 1.",
            one(vec![
                Cav::typed(&time(NOW + HOUR))?,
                Cav::raw(vec![0x82, 0x18, 0x63, 0x00]),
            ])?,
            unknown_bytes(1, &[0x82, 0x18, 0x63, 0x00]),
        )?,
    ]);
    // SPEC.md §6.4 step 7: a temporary token needs a time caveat of its own, checked after
    // every caveat held.
    let temporary = |token_id: &str| Identifier {
        persistence: Persistence::Temporary { generation: 3 },
        ..with_token_id(token_id)
    };
    out.extend([
        Vector::new(
            "temporary_without_time_caveat",
            "A temporary token whose only caveat holds but which carries no time caveat: \
             refused, as it would otherwise never expire.",
            Chain::mint(&main, &temporary("tok-0401"), vec![Cav::typed(&v4)?])?,
            error("tokenTimeCaveatRequired", json!({"maxTtl": null})),
        )?
        .ip("10.1.2.3"),
        Vector::new(
            "temporary_without_caveats",
            "A temporary token with no caveat at all: refused.",
            Chain::mint(&main, &temporary("tok-0402"), vec![])?,
            error("tokenTimeCaveatRequired", json!({"maxTtl": null})),
        )?,
        Vector::new(
            "temporary_caveat_fails_before_the_rule",
            "A temporary token without a time caveat whose ip caveat fails: the caveat's denial \
             is reported (caveats are cleared first).",
            Chain::mint(&main, &temporary("tok-0403"), vec![Cav::typed(&v4)?])?,
            unverified(0, &v4, ip_not_listed("11.0.0.1")),
        )?
        .ip("11.0.0.1"),
        Vector::new(
            "temporary_with_time_caveat",
            "A temporary token with a time caveat that holds: allowed until it.",
            Chain::mint(
                &main,
                &temporary("tok-0404"),
                vec![Cav::typed(&v4)?, Cav::typed(&time(NOW + HOUR))?],
            )?,
            ok(Some(NOW + HOUR), "usr-alice"),
        )?
        .ip("10.1.2.3"),
    ]);
    let ujc = invite(&["userJoinCluster"]);
    let invite_chain = Chain::mint(
        &main,
        &invite_identifier(InviteType::UserJoinCluster, "cluster-0007", ""),
        vec![Cav::typed(&ujc)?],
    )?;
    let identity_chain = Chain::mint(
        &main,
        &Identifier {
            token_id: "tok-0399".into(),
            token_type: TokenType::Identity,
            ..base_identifier()
        },
        vec![Cav::typed(&ujc)?],
    )?;
    out.extend([
        Vector::new(
            "kind_not_allowed_for_identity",
            "An identity token may not carry an inviteType caveat (SPEC.md §10.3): refused even \
             though the request's invite type is listed.",
            identity_chain,
            unverified(
                0,
                &ujc,
                json!({"reason": "notAllowedForTokenType", "tokenType": "identity"}),
            ),
        )?
        .invite_type("userJoinCluster"),
        Vector::new(
            "invite_type_context_before_expectation",
            "The context names groupJoinCluster and the expectation invite:userJoinCluster: the \
             context's invite type is the one checked (SPEC.md §5.4).",
            invite_chain.clone(),
            unverified(
                0,
                &ujc,
                json!({"reason": "inviteTypeNotListed", "inviteType": "groupJoinCluster"}),
            ),
        )?
        .invite_type("groupJoinCluster")
        .expect("invite:userJoinCluster"),
        Vector::new(
            "invite_type_expectation_without_type",
            "The expectation is invite (any type) and the context names no invite type: fails \
             closed.",
            invite_chain.clone(),
            unverified(0, &ujc, context_missing("inviteType")),
        )?
        .expect("invite"),
        Vector::new(
            "expect_identity_got_invite",
            "The request expects an identity token (SPEC.md §6.4 step 5, before any caveat).",
            invite_chain.clone(),
            error(
                "notAnIdentityToken",
                json!({"received": {"inviteToken": {
                    "inviteType": "userJoinCluster", "clusterId": "cluster-0007"}}}),
            ),
        )?
        .expect("identity"),
        Vector::new(
            "invite_type_wrong",
            "The request asks for groupJoinCluster; the caveat lists userJoinCluster.",
            invite_chain.clone(),
            unverified(
                0,
                &ujc,
                json!({"reason": "inviteTypeNotListed", "inviteType": "groupJoinCluster"}),
            ),
        )?
        .invite_type("groupJoinCluster"),
        Vector::new(
            "invite_type_missing",
            "The request names no invite type: fails closed.",
            invite_chain,
            unverified(0, &ujc, context_missing("inviteType")),
        )?,
    ]);
    Ok(out)
}
