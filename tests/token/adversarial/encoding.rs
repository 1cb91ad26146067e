//! Hostile encodings of the native format: empty and huge inputs, base64 variants of the text
//! form, trailing bytes, and CBOR that is well formed but not canonical.

use super::*;

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
    let mut t = base();
    // Each extra caveat changes the length, so one of three lengths modulo 3 is reached.
    for _ in 0..3 {
        for i in 0..10_000u64 {
            let c = t
                .attenuate(&Caveat::time(NOW + 3600 + i))
                .expect("attenuate");
            let body = b64(c.as_bytes());
            if c.as_bytes().len() % 3 == 1 && body.contains('-') && body.contains('_') {
                return c;
            }
        }
        t = t.attenuate(&Caveat::time(NOW + 7200)).expect("attenuate");
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
