//! Hostile envelope structure: deep nesting, declared lengths beyond the input, truncation at
//! every offset, unknown versions, tags of the wrong length, and caveat counts around the limits.

use super::*;

// ---------------------------------------------------------------------------------------------
// Nesting and declared lengths
// ---------------------------------------------------------------------------------------------

#[test]
fn deep_nesting() {
    let depth = 100_000;
    let mut nested = vec![0x81; depth];
    nested.push(0x00);
    let mut nested_indefinite = vec![0x9f; depth];
    nested_indefinite.extend(std::iter::repeat_n(0xff, depth));
    let (id, _, tag) = parts(&base());

    let in_caveat_list = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &[0x81]]);
        v.extend_from_slice(&nested);
        v.extend(bstr(&tag));
        v
    };
    let big = big_limits();
    run(vec![
        (
            "100k-deep arrays, default limits",
            bin(nested.clone()),
            "tokenTooLarge",
        ),
        (
            "100k-deep arrays",
            Input::Bin(nested.clone(), big),
            "badToken",
        ),
        (
            "100k-deep arrays, text",
            Input::Text(format!("cvt1_{}", b64(&nested)), big),
            "badToken",
        ),
        (
            "100k-deep indefinite arrays",
            Input::Bin(nested_indefinite.clone(), big),
            "badToken",
        ),
        (
            "100k-deep arrays in the caveat list",
            Input::Bin(in_caveat_list, big),
            "badToken",
        ),
        (
            "100k-deep arrays as the MACed identifier",
            Input::Bin(maced(&nested, &[]), big),
            "badToken",
        ),
        (
            "100k-deep arrays as a MACed caveat",
            Input::Bin(maced(&id, &[nested.clone()]), big),
            "tokenCaveatUnknown",
        ),
        (
            "100k-deep indefinite arrays as a MACed caveat",
            Input::Bin(maced(&id, &[nested_indefinite]), big),
            "tokenCaveatUnknown",
        ),
        (
            "100k-deep arrays as a MACed caveat, default limits",
            bin(maced(&id, &[nested])),
            "tokenTooLarge",
        ),
    ]);
}

#[test]
fn declared_lengths_beyond_the_input() {
    let (id, cavs, tag) = parts(&base());
    let lengths: [(&str, &[u8]); 4] = [
        ("2^32 - 1", &[0x1a, 0xff, 0xff, 0xff, 0xff]),
        ("2^32", &[0x1b, 0, 0, 0, 1, 0, 0, 0, 0]),
        ("2^63", &[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        (
            "2^64 - 1",
            &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    let mut rows = Vec::new();
    for (len_name, arg) in lengths {
        let with_major = |major: u8| {
            let mut h = arg.to_vec();
            h[0] |= major << 5;
            h
        };
        let tail = |v: &mut Vec<u8>| v.extend_from_slice(&[0u8; 64]);
        // Identifier byte string.
        let mut v = vec![0x84, 0x01];
        v.extend(with_major(2));
        v.extend_from_slice(&id);
        tail(&mut v);
        rows.push((format!("identifier length {len_name}"), v));
        // Caveat count.
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id)]);
        v.extend(with_major(4));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        rows.push((format!("caveat count {len_name}"), v));
        // Caveat byte string.
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &array(1)]);
        v.extend(with_major(2));
        v.extend_from_slice(&cavs[0]);
        v.extend(bstr(&tag));
        rows.push((format!("caveat length {len_name}"), v));
        // Tag byte string.
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &array(0)]);
        v.extend(with_major(2));
        v.extend_from_slice(&tag);
        rows.push((format!("tag length {len_name}"), v));
        // Outer array.
        let mut v = with_major(4);
        v.extend_from_slice(&base().as_bytes()[1..]);
        rows.push((format!("outer array of {len_name}"), v));
    }
    let mut failures = Vec::new();
    for (name, bytes) in &rows {
        for input in [
            bin(bytes.clone()),
            Input::Bin(bytes.clone(), big_limits()),
            text(format!("cvt1_{}", b64(bytes))),
        ] {
            let got = outcome(&input);
            if got != "badToken" {
                failures.push(format!("{name}: {got}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(rows.len(), 20);
}

// ---------------------------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------------------------

#[test]
fn truncation_at_every_byte_offset() {
    let t = base();
    let raw = t.as_bytes();
    for n in 0..raw.len() {
        let got = outcome(&bin(raw[..n].to_vec()));
        assert_eq!(got, "badToken", "binary truncated to {n} bytes");
    }
    let txt = t.to_text();
    for n in 0..txt.len() {
        let got = outcome(&text(&txt[..n]));
        assert_eq!(got, "badToken", "text truncated to {n} chars");
    }
    // The text form of every binary truncation as well.
    for n in 0..raw.len() {
        let got = outcome(&text(format!("cvt1_{}", b64(&raw[..n]))));
        assert_eq!(got, "badToken", "text of {n} bytes");
    }
}

// ---------------------------------------------------------------------------------------------
// Versions and tag lengths
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_and_zero_versions() {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let body = &t.to_text()["cvt1_".len()..];
    let mut rows = Vec::new();
    for (name, v) in [
        ("version 0", uint(0)),
        ("version 2", uint(2)),
        ("version 23", uint(23)),
        ("version 24", uint(24)),
        ("version 2^32", uint(1 << 32)),
        ("version u64::MAX", uint(u64::MAX)),
    ] {
        let b = envelope_version(&v, &id, &cavs, &tag);
        rows.push((name, text(format!("cvt1_{}", b64(&b))), "badToken"));
        rows.push((name, bin(b), "badToken"));
    }
    rows.push((
        "text prefix cvt0_",
        text(format!("cvt0_{body}")),
        "badToken",
    ));
    rows.push((
        "text prefix cvt2_",
        text(format!("cvt2_{body}")),
        "badToken",
    ));
    rows.push((
        "text prefix cvt10_",
        text(format!("cvt10_{body}")),
        "badToken",
    ));
    rows.push((
        "text prefix cvt1 without '_'",
        text(format!("cvt1{body}")),
        "badToken",
    ));
    rows.push(("text prefix cvt_", text(format!("cvt_{body}")), "badToken"));
    run(rows);
    assert_eq!(
        Token::from_text(&format!("cvt2_{body}"), &Limits::default())
            .expect_err("v2")
            .details()["reason"],
        json!("unsupported version")
    );
}

#[test]
fn tag_of_wrong_length() {
    let (id, cavs, tag) = parts(&base());
    let mut rows = Vec::new();
    for len in [0usize, 1, 16, 31, 33, 64] {
        let t: Vec<u8> = tag.iter().copied().cycle().take(len).collect();
        let b = envelope(&id, &cavs, &t);
        rows.push((format!("tag of {len} bytes"), bin(b.clone()), "badToken"));
        rows.push((
            format!("tag of {len} bytes, text"),
            text(format!("cvt1_{}", b64(&b))),
            "badToken",
        ));
    }
    run(rows);
}

#[test]
fn intermediate_chain_tag_offered_as_the_final_one() {
    let t = mint(&[
        Caveat::time(NOW + 3600),
        caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
        Caveat::time(NOW + 1800),
    ]);
    let (id, cavs, tag) = parts(&t);
    let tags = chain::tags(&key(), &id, cavs.iter().map(Vec::as_slice));
    assert_eq!(tags.len(), 4);
    assert!(tags[3].ct_eq(&tag), "the last chain tag is the token's");
    let mut rows = Vec::new();
    for (i, intermediate) in tags[..3].iter().enumerate() {
        rows.push((
            format!("tag_{i} with all caveats"),
            bin(envelope(&id, &cavs, intermediate.as_bytes())),
            "tokenInvalid",
        ));
    }
    // The derived key (the chain's first key) is not a tag either.
    let derived = chain::derive_key(&hex::decode(KEY_HEX).expect("hex"));
    rows.push((
        "derived key as tag".into(),
        bin(envelope(&id, &cavs, derived.as_bytes())),
        "tokenInvalid",
    ));
    run(rows);
    // Whereas an intermediate tag with its own prefix of caveats is a genuine (wider) token:
    // a holder of the wider token could always have used it.
    let prefix = envelope(&id, &cavs[..2], tags[2].as_bytes());
    assert_eq!(outcome(&bin(prefix)), "ok");
}

// ---------------------------------------------------------------------------------------------
// Many caveats
// ---------------------------------------------------------------------------------------------

/// A token with `n` time caveats, built in one pass (attenuating one by one would copy the
/// token each time).
fn many_caveats(n: u64) -> Vec<u8> {
    let (id, _, _) = parts(&base());
    let cavs: Vec<Vec<u8>> = (0..n)
        .map(|i| Caveat::time(NOW + 1 + i).to_native())
        .collect();
    maced(&id, &cavs)
}

#[test]
fn ten_thousand_caveats_under_and_over_the_limits() {
    let bytes = many_caveats(10_000);
    let raised = Limits {
        max_token_bytes: 1 << 20,
        max_caveats: 10_000,
        ..Limits::default()
    };
    let token = Token::from_bytes(&bytes, &raised).expect("under the raised limits");
    assert_eq!(token.caveat_count(), 10_000);
    let ok = Verifier::new()
        .with_limits(raised)
        .verify(token.clone(), &key(), &Context::at(NOW))
        .expect("verifies");
    assert_eq!(ok.expires(), Some(NOW + 1));
    Verifier::new()
        .with_limits(raised)
        .verify_text(&token.to_text(), &key(), &Context::at(NOW))
        .expect("text verifies");
    // Clearing still checks every one: at NOW + 1 the first has expired.
    let err = Verifier::new()
        .with_limits(raised)
        .verify(token, &key(), &Context::at(NOW + 1))
        .expect_err("first expired");
    assert_eq!(err.details()["index"], json!(0));

    let over_count = Limits {
        max_caveats: 9_999,
        ..raised
    };
    let over_size = Limits {
        max_token_bytes: bytes.len() - 1,
        ..raised
    };
    for (name, limits, limit) in [
        ("count", over_count, "caveats"),
        ("size", over_size, "size"),
        ("defaults", Limits::default(), "size"),
    ] {
        let err = Token::from_bytes(&bytes, &limits).expect_err(name);
        assert_eq!(err.id(), "tokenTooLarge", "{name}");
        assert_eq!(err.details()["limit"], json!(limit), "{name}");
        let err = Verifier::new()
            .with_limits(limits)
            .verify_text(&format!("cvt1_{}", b64(&bytes)), &key(), &Context::at(NOW))
            .expect_err(name);
        assert_eq!(err.id(), "tokenTooLarge", "{name} (text)");
    }
    // Over the default caveat count but under the default size: count is what trips.
    let err = Token::from_bytes(
        &many_caveats(257),
        &Limits {
            max_token_bytes: 1 << 20,
            ..Limits::default()
        },
    )
    .expect_err("257");
    assert_eq!(err.details()["limit"], json!("caveats"));
    let at_default = Limits {
        max_token_bytes: 1 << 20,
        ..Limits::default()
    };
    Token::from_bytes(&many_caveats(256), &at_default).expect("256 is the default maximum");
}
