//! The adversarial catalogue (issue 4 §3): every row is an attack input with the error id the
//! library must answer with. Binary-level inputs are built by hand from the documented envelope
//! layout `[1, bstr identifier, [bstr caveat…], bstr(32) tag]`; ciborium serves as an independent
//! CBOR oracle.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use caveat_token::caveat::IpCaveat;
use caveat_token::chain;
use caveat_token::{Caveat, Context, InviteType, Limits, Token, Verifier};
use ciborium::Value;
use serde_json::json;

use crate::common::*;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// One attack input.
enum Input {
    /// Binary form, decoded with these limits.
    Bin(Vec<u8>, Limits),
    /// Text form, decoded with these limits.
    Text(String, Limits),
}

fn bin(b: Vec<u8>) -> Input {
    Input::Bin(b, Limits::default())
}

fn text(t: impl Into<String>) -> Input {
    Input::Text(t.into(), Limits::default())
}

/// Limits large enough for the 100k-byte inputs, so that they reach the decoder.
fn big_limits() -> Limits {
    Limits {
        max_token_bytes: 1 << 20,
        max_caveats: 100_000,
        max_caveat_bytes: 1 << 20,
        max_identifier_bytes: 1 << 20,
    }
}

/// What the library answers: decode, then verify under the test key in a context where every
/// ordinary caveat of the base token holds. `"ok"` if it verifies.
fn outcome(input: &Input) -> String {
    let (limits, decoded) = match input {
        Input::Bin(b, l) => (l, Token::from_bytes(b, l)),
        Input::Text(t, l) => (l, Token::from_text(t, l)),
    };
    let result = decoded.and_then(|t| {
        Verifier::new().with_limits(*limits).verify(
            t,
            &key(),
            &Context::at(NOW).with_ip(ip("10.1.2.3")),
        )
    });
    match result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.id().to_owned(),
    }
}

/// Runs a table of named rows and reports every mismatch at once.
fn run<N: AsRef<str>>(rows: Vec<(N, Input, &str)>) {
    let mut failures = Vec::new();
    for (name, input, expected) in &rows {
        let got = outcome(input);
        if got != *expected {
            failures.push(format!("{}: expected {expected}, got {got}", name.as_ref()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(!rows.is_empty());
}

/// The base token: two ordinary caveats that hold in the harness context.
fn base() -> Token {
    mint(&[
        Caveat::time(NOW + 3600),
        caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
    ])
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token whose identifier, caveats and tag are exactly these bytes, correctly MACed under the
/// test key (so that anything wrong with it is found by decoding or clearing, not the MAC).
fn maced(identifier: &[u8], caveats: &[Vec<u8>]) -> Vec<u8> {
    let tag = chain::compute(&key(), identifier, caveats.iter().map(Vec::as_slice));
    envelope(identifier, caveats, tag.as_bytes())
}

#[test]
fn the_harness_accepts_the_base_token() {
    let t = base();
    assert_eq!(outcome(&bin(t.as_bytes().to_vec())), "ok");
    assert_eq!(outcome(&text(t.to_text())), "ok");
    let (id, cavs, _) = parts(&t);
    assert_eq!(outcome(&bin(maced(&id, &cavs))), "ok");
}

// ---------------------------------------------------------------------------------------------
// Empty and huge inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_and_huge_inputs() {
    let ten_mb = 10 * 1024 * 1024;
    let mut valid_then_zeros = base().as_bytes().to_vec();
    valid_then_zeros.resize(ten_mb, 0);
    run(vec![
        ("empty binary", bin(vec![]), "badToken"),
        ("empty text", text(""), "badToken"),
        ("prefix alone", text("cvt1_"), "badToken"),
        // Garbage that decoding would call badToken is tokenTooLarge: size is checked first.
        (
            "10 MB of 0xff, binary",
            bin(vec![0xff; ten_mb]),
            "tokenTooLarge",
        ),
        (
            "10 MB: valid token then zeros",
            bin(valid_then_zeros),
            "tokenTooLarge",
        ),
        (
            "10 MB text with the prefix",
            text(format!("cvt1_{}", "A".repeat(ten_mb))),
            "tokenTooLarge",
        ),
        (
            "10 MB text of spaces",
            text(" ".repeat(ten_mb)),
            "tokenTooLarge",
        ),
        (
            "10 MB text of NULs",
            text("\0".repeat(ten_mb)),
            "tokenTooLarge",
        ),
        (
            "10 MB text with a multibyte char",
            text("é".repeat(ten_mb / 2)),
            "tokenTooLarge",
        ),
        ("one zero byte", bin(vec![0]), "badToken"),
        ("a lone NUL char", text("\0"), "badToken"),
        ("unknown prefix", text("macaroon_abc"), "badToken"),
        (
            "upper-case prefix",
            text(base().to_text().replacen("cvt1_", "CVT1_", 1)),
            "badToken",
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Base64 of the text form
// ---------------------------------------------------------------------------------------------

/// A token whose length is not a multiple of 3 (so base64 has spare bits and padding) and whose
/// URL-safe text uses both `-` and `_` (so the standard alphabet differs).
fn awkward_token() -> Token {
    let t = base();
    for i in 0..10_000u64 {
        let c = t
            .attenuate(&Caveat::time(NOW + 3600 + i))
            .expect("attenuate");
        let body = b64(c.as_bytes());
        if c.as_bytes().len() % 3 == 1 && body.contains('-') && body.contains('_') {
            return c;
        }
    }
    panic!("no awkward token found")
}

#[test]
fn base64_variants_are_rejected() {
    let t = awkward_token();
    let good = t.to_text();
    assert_eq!(outcome(&text(good.clone())), "ok");
    let body = &good["cvt1_".len()..];

    // Non-zero trailing bits: the last character carries 2 data bits and 4 unused ones (the
    // length is 1 mod 3); set the lowest unused bit.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = body.as_bytes()[body.len() - 1];
    let idx = alphabet
        .iter()
        .position(|&c| c == last)
        .expect("in alphabet");
    assert_eq!(
        idx & 0x0f,
        0,
        "the canonical encoding has zero trailing bits"
    );
    let mut trailing = good.clone();
    trailing.pop();
    trailing.push(char::from(alphabet[idx | 1]));

    let mid = good.len() / 2;
    let with = |i: usize, s: &str| {
        let mut x = good.clone();
        x.insert_str(i, s);
        x
    };
    run(vec![
        (
            "padding (URL-safe alphabet)",
            text(format!("cvt1_{}", URL_SAFE.encode(t.as_bytes()))),
            "badToken",
        ),
        ("one '=' appended", text(format!("{good}=")), "badToken"),
        ("two '=' appended", text(format!("{good}==")), "badToken"),
        (
            "standard alphabet, unpadded (+ and /)",
            text(format!("cvt1_{}", STANDARD_NO_PAD.encode(t.as_bytes()))),
            "badToken",
        ),
        (
            "standard alphabet, padded",
            text(format!("cvt1_{}", STANDARD.encode(t.as_bytes()))),
            "badToken",
        ),
        (
            "one '-' turned into '+'",
            text(good.replacen('-', "+", 1)),
            "badToken",
        ),
        (
            "one '_' turned into '/'",
            text(good.replacen('_', "/", 1)),
            "badToken",
        ),
        ("leading space", text(format!(" {good}")), "badToken"),
        ("trailing space", text(format!("{good} ")), "badToken"),
        ("trailing newline", text(format!("{good}\n")), "badToken"),
        ("trailing CRLF", text(format!("{good}\r\n")), "badToken"),
        ("space in the middle", text(with(mid, " ")), "badToken"),
        ("newline in the middle", text(with(mid, "\n")), "badToken"),
        ("tab after the prefix", text(with(5, "\t")), "badToken"),
        ("space after the prefix", text(with(5, " ")), "badToken"),
        ("non-zero trailing bits", text(trailing), "badToken"),
        ("a '.' inside", text(with(mid, ".")), "badToken"),
        ("non-ASCII inside", text(with(mid, "é")), "badToken"),
        (
            "base64 of length 1 mod 4",
            text(format!("{good}A")),
            "badToken",
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Trailing bytes and CBOR strictness
// ---------------------------------------------------------------------------------------------

#[test]
fn trailing_bytes() {
    let t = base();
    let mut rows = Vec::new();
    for (name, extra) in [
        ("trailing 0x00", vec![0x00]),
        ("trailing 0xff", vec![0xff]),
        ("trailing empty bstr", vec![0x40]),
        ("trailing copy of the token", t.as_bytes().to_vec()),
    ] {
        let mut b = t.as_bytes().to_vec();
        b.extend_from_slice(&extra);
        rows.push((name, bin(b.clone()), "badToken"));
        rows.push((name, text(format!("cvt1_{}", b64(&b))), "badToken"));
    }
    run(rows);
}

#[test]
fn non_canonical_cbor() {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let raw = t.as_bytes().to_vec();
    assert_eq!(raw[0], 0x84, "array(4)");
    assert_eq!(raw[1], 0x01, "version 1");
    let after_version = &raw[2..];

    // Non-minimal heads.
    let version_1byte = cat(&[&[0x84, 0x18, 0x01], after_version]);
    let version_8byte = cat(&[&[0x84, 0x1b, 0, 0, 0, 0, 0, 0, 0, 1], after_version]);
    let outer_1byte = cat(&[&[0x98, 0x04], &raw[1..]]);
    let id_2byte_len = {
        let mut v = vec![0x84, 0x01, 0x59];
        v.extend_from_slice(&u16::try_from(id.len()).expect("short").to_be_bytes());
        v.extend_from_slice(&id);
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        v
    };
    let caveats_1byte_count = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id)]);
        v.extend_from_slice(&[0x98, u8::try_from(cavs.len()).expect("few")]);
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        v
    };
    let caveat_2byte_len = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &array(cavs.len())]);
        v.extend_from_slice(&[0x59, 0x00, u8::try_from(cavs[0].len()).expect("short")]);
        v.extend_from_slice(&cavs[0]);
        for c in &cavs[1..] {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        v
    };
    let tag_2byte_len = {
        let mut v = raw[..raw.len() - 34].to_vec();
        v.extend_from_slice(&[0x59, 0x00, 0x20]);
        v.extend_from_slice(&tag);
        v
    };
    // A caveat whose own content uses a non-minimal integer, correctly MACed: it is not a
    // caveat this verifier understands.
    let time_caveat_non_minimal =
        maced(&id, &[vec![0x82, 0x18, 0x00, 0x1a, 0x00, 0x00, 0x00, 0x05]]);
    // An identifier with a non-minimal head, correctly MACed: rejected when decoding.
    let mut id_non_minimal = id.clone();
    assert_eq!(id_non_minimal[0], 0x86);
    id_non_minimal.splice(0..1, [0x98, 0x06]);

    // Indefinite lengths.
    let outer_indefinite = {
        let mut v = vec![0x9f];
        v.extend_from_slice(&raw[1..]);
        v.push(0xff);
        v
    };
    let caveats_indefinite = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &[0x9f]]);
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.push(0xff);
        v.extend(bstr(&tag));
        v
    };
    let id_indefinite = {
        let mut v = vec![0x84, 0x01, 0x5f];
        v.extend(bstr(&id[..10]));
        v.extend(bstr(&id[10..]));
        v.push(0xff);
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        v
    };
    let tag_indefinite = {
        let mut v = raw[..raw.len() - 34].to_vec();
        v.push(0x5f);
        v.extend(bstr(&tag[..16]));
        v.extend(bstr(&tag[16..]));
        v.push(0xff);
        v
    };
    let caveat_indefinite_inside = maced(&id, &[vec![0x9f, 0x00, 0x05, 0xff]]);

    // CBOR tags.
    let self_describe = cat(&[&[0xd9, 0xd9, 0xf7], &raw]);
    let tag24_identifier = cat(&[&[0x84, 0x01, 0xd8, 0x18], &raw[2..]]);
    let bignum_version = cat(&[&[0x84, 0xc2, 0x41, 0x01], after_version]);
    let tagged_tag = {
        let mut v = raw[..raw.len() - 34].to_vec();
        v.extend_from_slice(&[0xd8, 0x40]);
        v.extend(bstr(&tag));
        v
    };
    let tagged_caveat_content = maced(&id, &[cat(&[&[0xc1], &Caveat::time(NOW + 5).to_native()])]);

    // Maps.
    let env_map = {
        let mut v = vec![0xa4, 0x00, 0x01, 0x01];
        v.extend(bstr(&id));
        v.push(0x02);
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.push(0x03);
        v.extend(bstr(&tag));
        v
    };
    let env_map_duplicate_keys = {
        let mut v = vec![0xa2, 0x00, 0x01, 0x00, 0x01];
        v.extend(bstr(&id));
        v
    };
    let env_map_unknown_keys = {
        let mut v = vec![0xa1, 0x63];
        v.extend_from_slice(b"foo");
        v.push(0x01);
        v
    };
    let map_identifier = maced(&[0xa2, 0x00, 0x01, 0x00, 0x02], &[]);
    let map_caveat_duplicate_keys = maced(&id, &[vec![0xa2, 0x00, 0x01, 0x00, 0x01]]);
    let map_caveat_unknown_keys = maced(&id, &[vec![0xa1, 0x18, 0x63, 0x00]]);

    // Byte string given as an array (or as text).
    let id_as_array = {
        let mut v = vec![0x84, 0x01];
        v.extend(array(id.len()));
        for b in &id {
            v.extend(uint(u64::from(*b)));
        }
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
        v
    };
    let tag_as_array = {
        let mut v = raw[..raw.len() - 34].to_vec();
        v.extend(array(32));
        for b in &tag {
            v.extend(uint(u64::from(*b)));
        }
        v
    };
    let caveat_as_array = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &array(1)]);
        v.extend_from_slice(&Caveat::time(NOW + 5).to_native());
        v.extend(bstr(&tag));
        v
    };
    let id_as_text = {
        let mut v = raw.clone();
        assert_eq!(v[2] >> 5, 2, "identifier is a byte string");
        v[2] = (v[2] & 0x1f) | (3 << 5);
        v
    };
    let caveats_as_bstr = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id)]);
        v.extend(bstr(&cavs.concat()));
        v.extend(bstr(&tag));
        v
    };

    // Other CBOR types where they do not belong.
    let negative_version = cat(&[&[0x84, 0x20], after_version]);
    let float_version = cat(&[&[0x84, 0xf9, 0x3c, 0x00], after_version]);
    let null_caveats = {
        let mut v = cat(&[&[0x84, 0x01], &bstr(&id)]);
        v.push(0xf6);
        v.extend(bstr(&tag));
        v
    };
    let reserved_info = cat(&[&[0x84, 0x1c], after_version]);
    let outer_array_of_5 = {
        let mut v = vec![0x85];
        v.extend_from_slice(&raw[1..]);
        v.push(0x00);
        v
    };
    let outer_array_of_3 = envelope(&id, &cavs, &tag)[..raw.len() - 33].to_vec();
    let mut outer_array_of_3 = outer_array_of_3;
    outer_array_of_3[0] = 0x83;

    run(vec![
        (
            "non-minimal version (1-byte argument)",
            bin(version_1byte),
            "badToken",
        ),
        (
            "non-minimal version (8-byte argument)",
            bin(version_8byte),
            "badToken",
        ),
        ("non-minimal outer array head", bin(outer_1byte), "badToken"),
        (
            "non-minimal identifier length",
            bin(id_2byte_len),
            "badToken",
        ),
        (
            "non-minimal caveat count",
            bin(caveats_1byte_count),
            "badToken",
        ),
        (
            "non-minimal caveat length",
            bin(caveat_2byte_len),
            "badToken",
        ),
        ("non-minimal tag length", bin(tag_2byte_len), "badToken"),
        (
            "non-minimal integer inside a MACed caveat",
            bin(time_caveat_non_minimal),
            "tokenCaveatUnknown",
        ),
        (
            "non-minimal head inside a MACed identifier",
            bin(maced(&id_non_minimal, &[])),
            "badToken",
        ),
        ("indefinite outer array", bin(outer_indefinite), "badToken"),
        (
            "indefinite caveat array",
            bin(caveats_indefinite),
            "badToken",
        ),
        (
            "indefinite identifier byte string",
            bin(id_indefinite),
            "badToken",
        ),
        (
            "indefinite tag byte string",
            bin(tag_indefinite),
            "badToken",
        ),
        (
            "indefinite array inside a MACed caveat",
            bin(caveat_indefinite_inside),
            "tokenCaveatUnknown",
        ),
        (
            "self-describe CBOR tag around the envelope",
            bin(self_describe),
            "badToken",
        ),
        (
            "tag 24 on the identifier",
            bin(tag24_identifier),
            "badToken",
        ),
        ("bignum tag as version", bin(bignum_version), "badToken"),
        ("tag on the tag", bin(tagged_tag), "badToken"),
        (
            "CBOR tag inside a MACed caveat",
            bin(tagged_caveat_content),
            "tokenCaveatUnknown",
        ),
        ("envelope as a map", bin(env_map), "badToken"),
        (
            "envelope as a map with duplicate keys",
            bin(env_map_duplicate_keys),
            "badToken",
        ),
        (
            "envelope as a map with unknown keys",
            bin(env_map_unknown_keys),
            "badToken",
        ),
        (
            "MACed identifier that is a map",
            bin(map_identifier),
            "badToken",
        ),
        (
            "MACed caveat that is a map with duplicate keys",
            bin(map_caveat_duplicate_keys),
            "tokenCaveatUnknown",
        ),
        (
            "MACed caveat that is a map with an unknown key",
            bin(map_caveat_unknown_keys),
            "tokenCaveatUnknown",
        ),
        (
            "identifier given as an array of bytes",
            bin(id_as_array),
            "badToken",
        ),
        (
            "tag given as an array of bytes",
            bin(tag_as_array),
            "badToken",
        ),
        (
            "caveat given as an array, not a byte string",
            bin(caveat_as_array),
            "badToken",
        ),
        (
            "identifier given as a text string",
            bin(id_as_text),
            "badToken",
        ),
        (
            "caveat list given as a byte string",
            bin(caveats_as_bstr),
            "badToken",
        ),
        ("negative version", bin(negative_version), "badToken"),
        ("float version", bin(float_version), "badToken"),
        (
            "null instead of the caveat list",
            bin(null_caveats),
            "badToken",
        ),
        (
            "reserved additional information",
            bin(reserved_info),
            "badToken",
        ),
        ("outer array of 5", bin(outer_array_of_5), "badToken"),
        ("outer array of 3", bin(outer_array_of_3), "badToken"),
    ]);
}

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
    ctx.ip = client.map(ip);
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

// ---------------------------------------------------------------------------------------------
// ciborium as an independent oracle
// ---------------------------------------------------------------------------------------------

fn cbor_decode(bytes: &[u8]) -> Value {
    ciborium::de::from_reader(bytes).expect("ciborium decodes")
}

fn cbor_encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).expect("ciborium encodes");
    out
}

fn int(v: u64) -> Value {
    Value::Integer(v.into())
}

#[test]
fn ciborium_reads_what_we_write() {
    let tokens = [
        base(),
        mint(&[]),
        Token::mint(
            &key(),
            &caveat_token::Identifier {
                key_id: Some("k-2026".into()),
                token_type: caveat_token::TokenType::Invite {
                    invite_type: InviteType::GroupJoinAtmInventory,
                    target: "inv-1".into(),
                    params: "".into(),
                },
                persistence: caveat_token::Persistence::Named,
                ..identifier()
            },
            &[
                caveat(r#"{"type":"inviteType","whitelist":["groupJoinAtmInventory"]}"#),
                caveat(r#"{"type":"app","name":"example.com/action","value":"read"}"#),
                caveat(r#"{"type":"ip","whitelist":["2001:db8::/32","10.0.0.0/8"]}"#),
                Caveat::time(u64::MAX),
            ],
        )
        .expect("mint"),
    ];
    for t in &tokens {
        let (id, cavs, tag) = parts(t);
        let env = cbor_decode(t.as_bytes());
        let expected = Value::Array(vec![
            int(1),
            Value::Bytes(id.clone()),
            Value::Array(cavs.iter().cloned().map(Value::Bytes).collect()),
            Value::Bytes(tag.clone()),
        ]);
        assert_eq!(env, expected);
        // ciborium writes the same bytes back: our encoding is the preferred one.
        assert_eq!(cbor_encode(&env), t.as_bytes());

        // The identifier: [location, keyId|null, tokenId, [subjectKind, id], type, persistence].
        let idv = cbor_decode(&id);
        let parsed = t.untrusted_identifier().expect("identifier");
        let Value::Array(items) = &idv else {
            panic!("identifier is an array: {idv:?}")
        };
        assert_eq!(items.len(), 6);
        assert_eq!(items[0], Value::Text(parsed.location.to_string()));
        match &parsed.key_id {
            None => assert_eq!(items[1], Value::Null),
            Some(k) => assert_eq!(items[1], Value::Text(k.to_string())),
        }
        assert_eq!(items[2], Value::Text(parsed.token_id.to_string()));
        assert_eq!(
            items[3],
            Value::Array(vec![int(0), Value::Text(parsed.subject.id().to_owned())])
        );
        assert_eq!(cbor_encode(&idv), id);

        // Each caveat is an array [kind, …] that ciborium re-encodes identically.
        for (c, typed) in cavs.iter().zip(t.untrusted_caveats()) {
            let v = cbor_decode(c);
            let Value::Array(fields) = &v else {
                panic!("caveat is an array: {v:?}")
            };
            let kind = match typed.expect("known").type_name() {
                "time" => 0,
                "ip" => 1,
                "inviteType" => 2,
                _ => 3,
            };
            assert_eq!(fields[0], int(kind));
            assert_eq!(cbor_encode(&v), c.as_slice());
        }
    }
}

#[test]
fn ciborium_encodings_we_must_reject() {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let caveat_list = Value::Array(cavs.iter().cloned().map(Value::Bytes).collect());
    let env = |version: Value, identifier: Value, caveats: Value, tag: Value| {
        cbor_encode(&Value::Array(vec![version, identifier, caveats, tag]))
    };
    // Sanity: the canonical structure through ciborium is accepted.
    let canonical = env(
        int(1),
        Value::Bytes(id.clone()),
        caveat_list.clone(),
        Value::Bytes(tag.clone()),
    );
    assert_eq!(outcome(&bin(canonical)), "ok");

    #[derive(serde::Serialize)]
    struct AsStruct {
        version: u64,
        #[serde(with = "serde_bytes_like")]
        identifier: Vec<u8>,
    }
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(b)
        }
    }
    let mut as_struct = Vec::new();
    ciborium::ser::into_writer(
        &AsStruct {
            version: 1,
            identifier: id.clone(),
        },
        &mut as_struct,
    )
    .expect("encode");

    let bytes_of = |b: &[u8]| Value::Array(b.iter().map(|&x| int(u64::from(x))).collect());
    run(vec![
        ("a serde struct (a map)", bin(as_struct), "badToken"),
        (
            "a map with our fields",
            bin(cbor_encode(&Value::Map(vec![
                (int(0), int(1)),
                (int(1), Value::Bytes(id.clone())),
                (int(2), caveat_list.clone()),
                (int(3), Value::Bytes(tag.clone())),
            ]))),
            "badToken",
        ),
        (
            "tag 24 around the identifier",
            bin(env(
                int(1),
                Value::Tag(24, Box::new(Value::Bytes(id.clone()))),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "float version 1.0",
            bin(env(
                Value::Float(1.0),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "negative version",
            bin(env(
                Value::Integer((-1).into()),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "bool version",
            bin(env(
                Value::Bool(true),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "identifier as text",
            bin(env(
                int(1),
                Value::Text(String::from_utf8(id.clone()).unwrap_or_default()),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "identifier as its decoded structure",
            bin(env(
                int(1),
                cbor_decode(&id),
                caveat_list.clone(),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "tag as an array of integers",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                caveat_list.clone(),
                bytes_of(&tag),
            )),
            "badToken",
        ),
        (
            "caveats as decoded structures",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                Value::Array(cavs.iter().map(|c| cbor_decode(c)).collect()),
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "null caveat list",
            bin(env(
                int(1),
                Value::Bytes(id.clone()),
                Value::Null,
                Value::Bytes(tag.clone()),
            )),
            "badToken",
        ),
        (
            "self-describe tag around the envelope",
            bin(cbor_encode(&Value::Tag(
                55799,
                Box::new(cbor_decode(t.as_bytes())),
            ))),
            "badToken",
        ),
        (
            "a fifth element",
            bin(cbor_encode(&Value::Array(vec![
                int(1),
                Value::Bytes(id.clone()),
                caveat_list,
                Value::Bytes(tag),
                Value::Null,
            ]))),
            "badToken",
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Caveat JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_caveat_json() {
    let deep_array = format!(
        r#"{{"type":"ip","whitelist":{}"10.0.0.0/8"{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_object = format!("{}{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let huge_value = format!(
        r#"{{"type":"app","name":"ex.com/a","value":"{}"}}"#,
        "v".repeat(1 << 20)
    );
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "duplicate validUntil",
            r#"{"type":"time","validUntil":1,"validUntil":2}"#.into(),
            "validUntil",
        ),
        (
            "duplicate type",
            r#"{"type":"time","type":"ip","validUntil":1}"#.into(),
            "type",
        ),
        (
            "duplicate whitelist",
            r#"{"type":"inviteType","whitelist":["userJoinGroup"],"whitelist":["supportSpace"]}"#
                .into(),
            "whitelist",
        ),
        (
            "unknown key",
            r#"{"type":"time","validUntil":1,"until":2}"#.into(),
            "until",
        ),
        (
            "key differing in case",
            r#"{"type":"time","validuntil":1}"#.into(),
            "validUntil",
        ),
        (
            "type in another case",
            r#"{"type":"Time","validUntil":1}"#.into(),
            "type",
        ),
        (
            "whitelist of objects",
            r#"{"type":"ip","whitelist":[{"a":1,"a":2}]}"#.into(),
            "a",
        ),
        ("100k-deep arrays", deep_array, "caveat"),
        ("100k-deep objects", deep_object, "caveat"),
        ("1 MiB application value", huge_value, "value"),
        (
            "trailing garbage",
            r#"{"type":"time","validUntil":1} x"#.into(),
            "caveat",
        ),
        (
            "two objects",
            r#"{"type":"time","validUntil":1}{"type":"time","validUntil":2}"#.into(),
            "caveat",
        ),
        ("a JSON string", r#""time < 5""#.into(), "caveat"),
        ("null", "null".into(), "caveat"),
        ("empty", String::new(), "caveat"),
    ];
    let mut failures = Vec::new();
    for (name, input, key) in &rows {
        match Caveat::from_json_str(input) {
            Ok(c) => failures.push(format!("{name}: accepted as {}", c.to_json())),
            Err(e) if e.id() != "badValueCaveat" || e.details()["key"] != json!(key) => {
                failures.push(format!("{name}: {}", e.to_json()));
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
