//! Hostile caveat values at clearing: time values, leeway and intersections, IP whitelists and
//! client addresses, invite-type whitelists.

use super::*;

// ---------------------------------------------------------------------------------------------
// Time caveats
// ---------------------------------------------------------------------------------------------

/// Verifies a token with one caveat (from JSON) at `now` with `leeway`.
fn time_outcome(json: &str, now: u64, leeway: u64) -> &'static str {
    let c = match Caveat::from_json_str(json) {
        Ok(c) => c,
        Err(e) => return e.id(),
    };
    match Verifier::new()
        .with_leeway(leeway)
        .verify(mint(&[c]), &key(), &Context::at(now))
    {
        Ok(_) => "ok",
        Err(e) => e.id(),
    }
}

#[test]
fn time_values_in_json() {
    let t = |v: &str| format!(r#"{{"type":"time","validUntil":{v}}}"#);
    let rows: Vec<(&str, String, u64, u64, &str)> = vec![
        (
            "validUntil 0 at now 0",
            t("0"),
            0,
            0,
            "tokenCaveatUnverified",
        ),
        (
            "validUntil 0 at NOW",
            t("0"),
            NOW,
            0,
            "tokenCaveatUnverified",
        ),
        ("validUntil -1", t("-1"), 0, 0, "badValueCaveat"),
        (
            "validUntil i64::MIN",
            t(&i64::MIN.to_string()),
            0,
            0,
            "badValueCaveat",
        ),
        (
            "validUntil i64::MAX at NOW",
            t(&i64::MAX.to_string()),
            NOW,
            0,
            "ok",
        ),
        (
            "validUntil i64::MAX at i64::MAX",
            t(&i64::MAX.to_string()),
            u64::try_from(i64::MAX).expect("fits"),
            0,
            "tokenCaveatUnverified",
        ),
        (
            "validUntil u64::MAX at NOW",
            t(&u64::MAX.to_string()),
            NOW,
            0,
            "ok",
        ),
        (
            "validUntil 2^64",
            t("18446744073709551616"),
            NOW,
            0,
            "badValueCaveat",
        ),
        ("validUntil 1e3", t("1e3"), 0, 0, "badValueCaveat"),
        ("validUntil 1.0", t("1.0"), 0, 0, "badValueCaveat"),
        (
            "validUntil as a string",
            t("\"100\""),
            0,
            0,
            "badValueCaveat",
        ),
        ("validUntil null", t("null"), 0, 0, "badValueCaveat"),
        // Leeway overflow fails closed: validUntil + leeway does not fit in u64.
        (
            "u64::MAX with leeway 1",
            t(&u64::MAX.to_string()),
            0,
            1,
            "tokenCaveatUnverified",
        ),
        (
            "1 with leeway u64::MAX",
            t("1"),
            0,
            u64::MAX,
            "tokenCaveatUnverified",
        ),
        ("0 with leeway u64::MAX", t("0"), 5, u64::MAX, "ok"),
        (
            "validUntil == now",
            t(&NOW.to_string()),
            NOW,
            0,
            "tokenCaveatUnverified",
        ),
        (
            "validUntil == now + 1 (now = validUntil - 1)",
            t(&(NOW + 1).to_string()),
            NOW,
            0,
            "ok",
        ),
        (
            "validUntil == now - 1",
            t(&(NOW - 1).to_string()),
            NOW,
            0,
            "tokenCaveatUnverified",
        ),
        (
            "validUntil == now, leeway 1",
            t(&NOW.to_string()),
            NOW,
            1,
            "ok",
        ),
        (
            "validUntil == now - 1, leeway 1",
            t(&(NOW - 1).to_string()),
            NOW,
            1,
            "tokenCaveatUnverified",
        ),
        (
            "now u64::MAX",
            t(&u64::MAX.to_string()),
            u64::MAX,
            0,
            "tokenCaveatUnverified",
        ),
        (
            "now u64::MAX - 1",
            t(&u64::MAX.to_string()),
            u64::MAX - 1,
            0,
            "ok",
        ),
    ];
    let mut failures = Vec::new();
    for (name, json, now, leeway, expected) in &rows {
        let got = time_outcome(json, *now, *leeway);
        if got != *expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The negative ones name the key.
    let err = Caveat::from_json_str(&t("-1")).expect_err("negative");
    assert_eq!(err.details()["key"], json!("validUntil"));
}

#[test]
fn two_time_caveats_intersect() {
    let key = key();
    for (first, second) in [(NOW + 100, NOW + 200), (NOW + 200, NOW + 100)] {
        let token = mint(&[Caveat::time(first), Caveat::time(second)]);
        let earlier_index = usize::from(second < first);
        let v = Verifier::new();
        let ok = v
            .verify(token.clone(), &key, &Context::at(NOW + 99))
            .expect("inside both");
        assert_eq!(ok.expires(), Some(NOW + 100));
        for now in [NOW + 100, NOW + 150, NOW + 199] {
            let err = v
                .verify(token.clone(), &key, &Context::at(now))
                .expect_err("outside the earlier");
            assert_eq!(err.id(), "tokenCaveatUnverified");
            assert_eq!(
                err.details()["index"],
                json!(earlier_index),
                "{first} {second} {now}"
            );
        }
        let err = v
            .verify(token, &key, &Context::at(NOW + 200))
            .expect_err("outside both");
        assert_eq!(
            err.details()["index"],
            json!(0),
            "the first failing caveat is named"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// IP caveats
// ---------------------------------------------------------------------------------------------

fn ip_outcome(whitelist: &[&str], client: Option<&str>) -> &'static str {
    let json = json!({"type": "ip", "whitelist": whitelist}).to_string();
    let c = match Caveat::from_json_str(&json) {
        Ok(c) => c,
        Err(e) => return e.id(),
    };
    let mut ctx = Context::at(NOW);
    ctx = ctx.with_ip_opt(client.map(ip));
    match Verifier::new().verify(mint(&[c]), &key(), &ctx) {
        Ok(_) => "ok",
        Err(e) => e.id(),
    }
}

#[test]
fn ip_matching() {
    let rows: &[(&str, &[&str], Option<&str>, &str)] = &[
        (
            "::ffff:10.1.2.3 against 10.0.0.0/8",
            &["10.0.0.0/8"],
            Some("::ffff:10.1.2.3"),
            "ok",
        ),
        (
            "::ffff:11.1.2.3 against 10.0.0.0/8",
            &["10.0.0.0/8"],
            Some("::ffff:11.1.2.3"),
            "tokenCaveatUnverified",
        ),
        (
            "IPv6 client against an IPv4-only whitelist",
            &["0.0.0.0/0"],
            Some("2001:db8::1"),
            "tokenCaveatUnverified",
        ),
        (
            "IPv6 loopback against 127.0.0.0/8",
            &["127.0.0.0/8"],
            Some("::1"),
            "tokenCaveatUnverified",
        ),
        (
            "IPv4 client against an IPv6-only whitelist",
            &["2001:db8::/32"],
            Some("10.1.2.3"),
            "tokenCaveatUnverified",
        ),
        (
            "IPv6 client inside an IPv6 network",
            &["2001:db8::/32"],
            Some("2001:db8:ffff::1"),
            "ok",
        ),
        (
            "no client address",
            &["0.0.0.0/0", "::/0"],
            None,
            "tokenCaveatUnverified",
        ),
        (
            "bare IPv4 address is /32 (match)",
            &["167.73.12.17"],
            Some("167.73.12.17"),
            "ok",
        ),
        (
            "bare IPv4 address is /32 (neighbour)",
            &["167.73.12.17"],
            Some("167.73.12.16"),
            "tokenCaveatUnverified",
        ),
        (
            "bare IPv6 address is /128",
            &["2001:db8::1"],
            Some("2001:db8::2"),
            "tokenCaveatUnverified",
        ),
        // Host bits below the prefix are accepted and ignored: matched by prefix.
        (
            "CIDR with host bits, inside the prefix",
            &["189.34.15.0/8"],
            Some("189.1.1.1"),
            "ok",
        ),
        (
            "CIDR with host bits, outside the prefix",
            &["189.34.15.0/8"],
            Some("190.34.15.1"),
            "tokenCaveatUnverified",
        ),
        (
            "IPv6 CIDR with host bits",
            &["2001:db8::1/32"],
            Some("2001:db8:1::5"),
            "ok",
        ),
        (
            "/0 matches every IPv4 client",
            &["0.0.0.0/0"],
            Some("255.255.255.255"),
            "ok",
        ),
        ("/33", &["10.0.0.0/33"], Some("10.0.0.1"), "badValueCaveat"),
        ("/129", &["::/129"], Some("::1"), "badValueCaveat"),
        (
            "prefix with a leading zero",
            &["10.0.0.0/08"],
            Some("10.0.0.1"),
            "badValueCaveat",
        ),
        (
            "leading zeros in an octet",
            &["010.0.0.0/8"],
            Some("10.0.0.1"),
            "badValueCaveat",
        ),
        (
            "zone id",
            &["fe80::1%eth0"],
            Some("fe80::1"),
            "badValueCaveat",
        ),
        (
            "zone id with a prefix",
            &["fe80::1%1/64"],
            Some("fe80::1"),
            "badValueCaveat",
        ),
        (
            "empty prefix",
            &["10.0.0.0/"],
            Some("10.0.0.1"),
            "badValueCaveat",
        ),
        (
            "spaces",
            &[" 10.0.0.0/8"],
            Some("10.0.0.1"),
            "badValueCaveat",
        ),
        (
            "hostname",
            &["localhost"],
            Some("127.0.0.1"),
            "badValueCaveat",
        ),
        ("empty entry", &[""], Some("10.0.0.1"), "badValueCaveat"),
        ("empty whitelist", &[], Some("10.0.0.1"), "badValueCaveat"),
    ];
    let mut failures = Vec::new();
    for (name, whitelist, client, expected) in rows {
        let got = ip_outcome(whitelist, *client);
        if got != *expected {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Host bits are kept as written (the seed's own example).
    assert_eq!(
        IpCaveat::parse_entry("189.34.15.0/8")
            .expect("ok")
            .to_string(),
        "189.34.15.0/8"
    );
    // One entry over the per-caveat maximum is refused; the maximum itself is fine.
    let n = caveat_token::caveat::ip::MAX_ENTRIES;
    let many: Vec<String> = (0..=n).map(|i| format!("10.0.0.{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(ip_outcome(&many, Some("10.0.0.1")), "badValueCaveat");
    assert_eq!(ip_outcome(&many[..n], Some("10.0.0.1")), "ok");
    // An IPv4-mapped entry could never match the canonicalized client: refused.
    assert_eq!(
        ip_outcome(&["::ffff:10.0.0.0/104"], Some("10.0.0.1")),
        "badValueCaveat"
    );
}

#[test]
fn empty_whitelists() {
    for json in [
        r#"{"type":"ip","whitelist":[]}"#,
        r#"{"type":"inviteType","whitelist":[]}"#,
    ] {
        let err = Caveat::from_json_str(json).expect_err(json);
        assert_eq!(err.id(), "badValueCaveat");
        assert_eq!(err.details()["key"], json!("whitelist"));
    }
    for text_form in ["ip = ", "inviteType = "] {
        assert_eq!(
            Caveat::from_text(text_form).expect_err(text_form).id(),
            "badValueCaveat"
        );
    }
    // The native encodings of empty whitelists, MACed: not caveats this verifier understands.
    let (id, _, _) = parts(&base());
    run(vec![
        (
            "native empty ip whitelist",
            bin(maced(&id, &[vec![0x82, 0x01, 0x80]])),
            "tokenCaveatUnknown",
        ),
        (
            "native empty inviteType whitelist",
            bin(maced(&id, &[vec![0x82, 0x02, 0x80]])),
            "tokenCaveatUnknown",
        ),
    ]);
}

#[test]
fn invite_type_whitelists() {
    let c = caveat(r#"{"type":"inviteType","whitelist":["userJoinGroup"]}"#);
    let token = mint(&[c]);
    let v = Verifier::new();
    v.verify(
        token.clone(),
        &key(),
        &Context::at(NOW).with_invite_type(InviteType::UserJoinGroup),
    )
    .expect("listed");
    for ctx in [
        Context::at(NOW),
        Context::at(NOW).with_invite_type(InviteType::GroupJoinGroup),
    ] {
        assert_eq!(
            err_id(v.verify(token.clone(), &key(), &ctx)),
            "tokenCaveatUnverified"
        );
    }
    // Native: an unknown invite type code, and a duplicate, MACed.
    let (id, _, _) = parts(&base());
    run(vec![
        (
            "native invite type code 14",
            bin(maced(&id, &[vec![0x82, 0x02, 0x81, 0x0e]])),
            "tokenCaveatUnknown",
        ),
        (
            "native duplicate invite type",
            bin(maced(&id, &[vec![0x82, 0x02, 0x82, 0x00, 0x00]])),
            "tokenCaveatUnknown",
        ),
    ]);
}
