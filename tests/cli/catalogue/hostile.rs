//! Hostile texts through the binary: every truncation and single-character substitution of valid
//! tokens, empty, whitespace, huge and non-UTF-8 inputs, and the hand-made text-level rows of the
//! token adversarial catalogue.

use super::vectors::vector_settings;
use super::*;

// ---------------------------------------------------------------------------------------------
// Truncations and substitutions
// ---------------------------------------------------------------------------------------------

/// The full text must verify; then every proper prefix (including the empty one) goes through
/// both commands, and every one of them must be rejected at decoding.
fn every_truncation(what: &str, text: &str, settings: &Settings) {
    assert!(text.is_ascii(), "{what}: token texts are ASCII");
    let mut h = Harness::default();
    let full = Case::arg(format!("{what}, whole"), text);
    assert!(
        verify_expected(full.text(), settings).is_ok(),
        "{what}: the whole token verifies in the library"
    );
    let got = h.verify(&full, settings);
    assert_eq!(got.map(|v| v["ok"].clone()), Some(json!(true)), "{what}");
    let mut rejected_by_library = 0;
    for n in 0..text.len() {
        let case = Case::arg(format!("{what}, first {n} chars"), &text[..n]);
        rejected_by_library +=
            usize::from(Token::from_text(&text[..n], &Limits::default()).is_err());
        h.both(&case, settings);
    }
    assert_eq!(
        rejected_by_library,
        text.len(),
        "{what}: every truncation is a decoding error"
    );
    // Every prefix is rejected at decoding by both commands.
    assert_eq!(h.rejected_at_decoding, 2 * text.len(), "{what}");
    h.finish(what);
}

#[test]
fn every_truncation_of_a_native_token() {
    let v = vector("valid.json", "valid_access_named_no_caveats");
    let settings = vector_settings(&v).expect("expressible");
    every_truncation("native", v["token"].as_str().expect("token"), &settings);
}

#[test]
fn every_truncation_of_an_onedata_compat_token() {
    let file = spec_file("onedata/compat-20.02.json");
    let v = file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .min_by_key(|v| v["token"].as_str().map_or(usize::MAX, str::len))
        .expect("a vector")
        .clone();
    let settings = Settings::new(
        Key::Text(v["secret"].as_str().expect("secret").to_owned()),
        NOW,
    );
    every_truncation("onedata", v["token"].as_str().expect("token"), &settings);
}

#[test]
fn every_truncation_of_a_macaroon_v2_token() {
    let v = vector("macaroons/pymacaroons.json", "macaroon-v2_readme");
    assert_eq!(v["expected"], json!({"ok": true}));
    let mut settings = Settings::new(Key::Text(v["key"].as_str().expect("key").to_owned()), NOW);
    settings.exact = v["exact"]
        .as_array()
        .expect("exact")
        .iter()
        .map(|p| p.as_str().expect("predicate").to_owned())
        .collect();
    every_truncation(
        "macaroon-v2",
        v["token"].as_str().expect("token"),
        &settings,
    );
}

/// One substitution at every position of a valid text with three caveats, the replacement
/// cycling through base64url characters (most give tokens that still decode, with a broken
/// chain or a caveat no longer understood) and characters base64url does not have.
#[test]
fn single_character_substitutions_at_every_position() {
    let v = vector("valid.json", "valid_three_caveats");
    let settings = vector_settings(&v).expect("expressible");
    let text = v["token"].as_str().expect("token");
    assert!(text.is_ascii());
    let candidates = [
        'A', '+', 'g', '_', ' ', 'w', '/', '-', '=', 'Q', '.', '9', 'é', 'z', '~',
    ];
    let mut h = Harness::default();
    let mut decoded = 0;
    for (i, original) in text.char_indices() {
        let mut c = candidates[i % candidates.len()];
        if c == original {
            c = candidates[(i + 1) % candidates.len()];
        }
        let mut changed = text.to_owned();
        changed.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
        decoded += usize::from(Token::from_text(&changed, &Limits::default()).is_ok());
        h.both(&Case::arg(format!("'{c}' at {i}"), changed), &settings);
    }
    // Some substitutions decode (and reach the MAC and caveat checks), most do not.
    assert!(decoded >= 10, "only {decoded} substitutions decode");
    assert!(
        h.rejected_at_decoding >= text.len(),
        "{}",
        h.rejected_at_decoding
    );
    h.finish("substitutions");
}

// ---------------------------------------------------------------------------------------------
// Empty, whitespace, huge and non-UTF-8 inputs
// ---------------------------------------------------------------------------------------------

fn valid_text() -> String {
    vector("valid.json", "valid_access_named_no_caveats")["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

#[test]
fn empty_whitespace_huge_and_binary_inputs() {
    let ten_mb = 10 * 1024 * 1024;
    let valid = valid_text();
    let mut h = Harness::default();
    let settings = Settings::base();
    let cases = vec![
        Case::arg("empty argument", ""),
        Case::stdin("empty stdin", ""),
        Case::arg("whitespace argument", " \t \n "),
        Case::stdin("whitespace-only stdin", " \t\r\n \n"),
        Case::arg("prefix alone", "cvt1_"),
        Case::stdin("a lone NUL on stdin", "\0"),
        Case::stdin(
            "NUL inside the token on stdin",
            format!("cvt1_\0{}", &valid[5..]),
        ),
        Case::arg("unknown prefix", "macaroon_abc"),
        Case::arg("upper-case prefix", valid.replacen("cvt1_", "CVT1_", 1)),
        // The one trimming case that must succeed: stdin is trimmed.
        Case::stdin(
            "valid token in whitespace on stdin",
            format!("\n  {valid}\r\n\t"),
        ),
        // Argument lengths stay under the kernel's 128 KiB per argument.
        Case::arg("100 kB argument", format!("cvt1_{}", "A".repeat(100_000))),
        Case::stdin_huge(
            "10 MB on stdin with the prefix",
            format!("cvt1_{}", "A".repeat(ten_mb)).into_bytes(),
        ),
        Case::stdin_huge("10 MB of spaces on stdin", vec![b' '; ten_mb]),
        Case::stdin_huge(
            "10 MB on stdin: a valid token then a long base64 tail",
            format!("{valid}{}", "A".repeat(ten_mb)).into_bytes(),
        ),
    ];
    for case in &cases {
        h.both(case, &settings);
    }
    // Not UTF-8: no library text to ask about; the command answers badToken.
    let mut binary = b"cvt1_".to_vec();
    binary.extend_from_slice(&[0xff, 0xfe, 0x80, 0xc0, 0x41]);
    h.both(
        &Case::stdin("invalid UTF-8 on stdin", binary.clone()),
        &settings,
    );
    h.both(
        &Case::stdin(
            "a valid token, then a lone 0xff, on stdin",
            [valid.as_bytes(), &[0xff]].concat(),
        ),
        &settings,
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        h.both(
            &Case {
                name: "invalid UTF-8 argument".into(),
                feed: Feed::Arg(OsString::from_vec(binary)),
                library_text: Err("badToken"),
            },
            &settings,
        );
    }
    // 10 MB that is not UTF-8 either: too large comes first.
    h.both(
        &Case::stdin_huge("10 MB of 0xff on stdin", vec![0xff; ten_mb]),
        &settings,
    );
    // The library refuses the 10 MB texts for their size, before decoding (and the command
    // answered as it does, above).
    for case in cases.iter().filter(|c| c.name.starts_with("10 MB")) {
        assert_eq!(
            inspect_expected(case.text()).error_id(),
            Some("tokenTooLarge"),
            "{}",
            case.name
        );
    }
    h.finish("empty, whitespace, huge and binary inputs");
}

// ---------------------------------------------------------------------------------------------
// Hand-made hostile texts (the text-level rows of tests/token/adversarial/)
// ---------------------------------------------------------------------------------------------

/// The catalogue's base token: two ordinary caveats that hold at `NOW` for client 10.1.2.3.
pub(super) fn base() -> Token {
    crate::common::mint(&[
        Caveat::time(NOW + 3600),
        crate::common::caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
    ])
}

/// Settings under which the base token verifies.
fn base_settings() -> Settings {
    Settings::base().with_ip("10.1.2.3")
}

/// An envelope with these identifier and caveat bytes, correctly MACed under the test key.
pub(super) fn maced(identifier: &[u8], caveats: &[Vec<u8>]) -> Vec<u8> {
    let tag = chain::compute(
        &crate::common::key(),
        identifier,
        caveats.iter().map(Vec::as_slice),
    );
    envelope(identifier, caveats, tag.as_bytes())
}

/// A valid token whose binary length is 1 mod 3 (so its base64 has spare bits and would be
/// padded) and whose text has both `-` and `_` (so the standard alphabet differs).
fn awkward_token() -> Token {
    // Up to two extra caveats change the length, so every length modulo 3 is reached.
    (0..30_000u64)
        .map(|i| {
            let mut t = base();
            for _ in 0..i / 10_000 {
                t = t.attenuate(&Caveat::time(NOW + 3600)).expect("attenuate");
            }
            t.attenuate(&Caveat::time(NOW + 7200 + i % 10_000))
                .expect("attenuate")
        })
        .find(|t| {
            let text = t.to_text();
            t.as_bytes().len() % 3 == 1 && text[5..].contains('-') && text[5..].contains('_')
        })
        .expect("an awkward token")
}

fn base64_rows() -> Vec<Case> {
    let t = awkward_token();
    let good = t.to_text();
    let bytes = t.as_bytes();
    // The last character carries 2 data bits and 4 zero bits; set the lowest zero bit.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = good.as_bytes()[good.len() - 1];
    let idx = alphabet.iter().position(|&c| c == last).expect("base64url");
    assert_eq!(idx & 0x0f, 0, "canonical trailing bits are zero");
    let mut trailing_bits = good.clone();
    trailing_bits.pop();
    trailing_bits.push(char::from(alphabet[idx | 1]));
    let mid = good.len() / 2;
    let insert = |at: usize, s: &str| {
        let mut x = good.clone();
        x.insert_str(at, s);
        x
    };
    vec![
        Case::arg("base64: the awkward token itself", good.clone()),
        Case::arg("base64: padded", format!("cvt1_{}", URL_SAFE.encode(bytes))),
        Case::arg("base64: one '=' appended", format!("{good}=")),
        Case::arg("base64: two '=' appended", format!("{good}==")),
        Case::arg(
            "base64: standard alphabet (+ and /)",
            format!("cvt1_{}", STANDARD_NO_PAD.encode(bytes)),
        ),
        Case::arg(
            "base64: standard alphabet, padded",
            format!("cvt1_{}", STANDARD.encode(bytes)),
        ),
        Case::arg("base64: one '-' as '+'", good.replacen('-', "+", 1)),
        Case::arg("base64: one '_' as '/'", good.replacen('_', "/", 1)),
        Case::arg("base64: leading space", format!(" {good}")),
        Case::arg("base64: trailing space", format!("{good} ")),
        Case::arg("base64: trailing newline", format!("{good}\n")),
        Case::arg("base64: trailing CRLF", format!("{good}\r\n")),
        Case::arg("base64: space in the middle", insert(mid, " ")),
        Case::arg("base64: newline in the middle", insert(mid, "\n")),
        Case::stdin("base64: newline in the middle, on stdin", insert(mid, "\n")),
        Case::arg("base64: tab after the prefix", insert(5, "\t")),
        Case::arg("base64: non-zero trailing bits", trailing_bits),
        Case::arg("base64: a '.' inside", insert(mid, ".")),
        Case::arg("base64: non-ASCII inside", insert(mid, "é")),
        Case::arg("base64: length 1 mod 4", format!("{good}A")),
    ]
}

fn envelope_rows() -> Vec<Case> {
    let t = base();
    let (id, cavs, tag) = parts(&t);
    let raw = t.as_bytes().to_vec();
    let after_version = &raw[2..];
    let body = &t.to_text()[5..];
    let mut rows = Vec::new();
    let mut bin = |name: &str, bytes: &[u8]| rows.push(Case::arg(name, native_text(bytes)));

    // Trailing bytes.
    for (name, extra) in [
        ("trailing 0x00", vec![0x00]),
        ("trailing 0xff", vec![0xff]),
        ("trailing empty bstr", vec![0x40]),
        ("trailing copy of the token", raw.clone()),
    ] {
        bin(name, &cat(&[&raw, &extra]));
    }
    // Versions.
    for (name, v) in [
        ("version 0", uint(0)),
        ("version 2", uint(2)),
        ("version 24", uint(24)),
        ("version 2^32", uint(1 << 32)),
        ("version u64::MAX", uint(u64::MAX)),
    ] {
        bin(name, &envelope_version(&v, &id, &cavs, &tag));
    }
    // Tags of the wrong length.
    for len in [0usize, 16, 31, 33, 64] {
        let wrong: Vec<u8> = tag.iter().copied().cycle().take(len).collect();
        bin(
            &format!("tag of {len} bytes"),
            &envelope(&id, &cavs, &wrong),
        );
    }
    // Declared lengths far beyond the input: 2^32 and 2^64 - 1.
    for (len_name, arg) in [
        ("2^32", &[0x1b, 0, 0, 0, 1, 0, 0, 0, 0][..]),
        (
            "2^64 - 1",
            &[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
        ),
    ] {
        let head = |major: u8| {
            let mut h = arg.to_vec();
            h[0] |= major << 5;
            h
        };
        let caveat_list = |v: &mut Vec<u8>| {
            for c in &cavs {
                v.extend(bstr(c));
            }
        };
        let mut v = cat(&[&[0x84, 0x01], &head(2), &id, &[0; 64]]);
        bin(&format!("identifier length {len_name}"), &v);
        v = cat(&[&[0x84, 0x01], &bstr(&id), &head(4)]);
        caveat_list(&mut v);
        v.extend(bstr(&tag));
        bin(&format!("caveat count {len_name}"), &v);
        v = cat(&[
            &[0x84, 0x01],
            &bstr(&id),
            &array(1),
            &head(2),
            &cavs[0],
            &bstr(&tag),
        ]);
        bin(&format!("caveat length {len_name}"), &v);
        v = cat(&[&[0x84, 0x01], &bstr(&id), &array(0), &head(2), &tag]);
        bin(&format!("tag length {len_name}"), &v);
        v = cat(&[&head(4), &raw[1..]]);
        bin(&format!("outer array of {len_name}"), &v);
    }
    // Non-canonical CBOR, indefinite lengths, tags, maps, byte strings as arrays.
    let rest = |v: &mut Vec<u8>| {
        v.extend(array(cavs.len()));
        for c in &cavs {
            v.extend(bstr(c));
        }
        v.extend(bstr(&tag));
    };
    bin(
        "non-minimal version",
        &cat(&[&[0x84, 0x18, 0x01], after_version]),
    );
    bin(
        "non-minimal tag length",
        &cat(&[&raw[..raw.len() - 34], &[0x59, 0x00, 0x20], &tag]),
    );
    bin(
        "indefinite outer array",
        &cat(&[&[0x9f], &raw[1..], &[0xff]]),
    );
    let mut v = cat(&[&[0x84, 0x01], &bstr(&id), &[0x9f]]);
    for c in &cavs {
        v.extend(bstr(c));
    }
    v.extend_from_slice(&[0xff]);
    v.extend(bstr(&tag));
    bin("indefinite caveat array", &v);
    bin(
        "self-describe CBOR tag around the envelope",
        &cat(&[&[0xd9, 0xd9, 0xf7], &raw]),
    );
    let mut v = vec![0xa4, 0x00, 0x01, 0x01];
    v.extend(bstr(&id));
    v.push(0x02);
    rest(&mut v);
    v.insert(v.len() - 34, 0x03);
    bin("envelope as a map", &v);
    let mut v = vec![0x84, 0x01];
    v.extend(array(id.len()));
    for b in &id {
        v.extend(uint(u64::from(*b)));
    }
    rest(&mut v);
    bin("identifier as an array of bytes", &v);
    let mut v = raw.clone();
    v[2] = (v[2] & 0x1f) | (3 << 5);
    bin("identifier as a text string", &v);
    bin(
        "non-minimal integer inside a MACed caveat",
        &maced(&id, &[vec![0x82, 0x18, 0x00, 0x1a, 0, 0, 0, 5]]),
    );
    bin(
        "CBOR tag inside a MACed caveat",
        &maced(&id, &[cat(&[&[0xc1], &Caveat::time(NOW + 5).to_native()])]),
    );
    bin(
        "MACed caveat that is a map with duplicate keys",
        &maced(&id, &[vec![0xa2, 0x00, 0x01, 0x00, 0x01]]),
    );
    bin(
        "MACed identifier that is a map",
        &maced(&[0xa2, 0x00, 0x01, 0x00, 0x02], &[]),
    );
    // Deep nesting within the default limits (1000 levels) and far beyond them (100k).
    let nested = |depth: usize| {
        let mut n = vec![0x81; depth];
        n.push(0x00);
        n
    };
    bin("1000-deep arrays", &nested(1000));
    bin(
        "1000-deep arrays as a MACed caveat",
        &maced(&id, &[nested(1000)]),
    );
    bin(
        "1000-deep arrays as a MACed identifier",
        &maced(&nested(1000), &[]),
    );
    bin(
        "1000-deep indefinite arrays as a MACed caveat",
        &maced(&id, &[cat(&[&[0x9f; 500], &[0xff; 500]])]),
    );
    rows.push(Case::stdin_huge(
        "100k-deep arrays, on stdin",
        native_text(&nested(100_000)).into_bytes(),
    ));
    rows.push(Case::stdin_huge(
        "100k-deep arrays as a MACed caveat, on stdin",
        native_text(&maced(&id, &[nested(100_000)])).into_bytes(),
    ));
    // Text prefixes.
    for prefix in ["cvt0_", "cvt2_", "cvt10_", "cvt1", "cvt_"] {
        rows.push(Case::arg(
            format!("text prefix {prefix:?}"),
            format!("{prefix}{body}"),
        ));
    }
    // Intermediate chain tags (and the derived key) offered as the final tag.
    let three = crate::common::mint(&[
        Caveat::time(NOW + 3600),
        crate::common::caveat(r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#),
        Caveat::time(NOW + 1800),
    ]);
    let (id3, cavs3, _) = parts(&three);
    let tags = chain::tags(&crate::common::key(), &id3, cavs3.iter().map(Vec::as_slice));
    for (i, intermediate) in tags[..3].iter().enumerate() {
        rows.push(Case::arg(
            format!("tag_{i} offered as the final tag"),
            native_text(&envelope(&id3, &cavs3, intermediate.as_bytes())),
        ));
    }
    let derived = chain::derive_key(&hex::decode(KEY_HEX).expect("hex"));
    rows.push(Case::arg(
        "derived key offered as the tag",
        native_text(&envelope(&id3, &cavs3, derived.as_bytes())),
    ));
    rows
}

#[test]
fn hand_made_hostile_texts() {
    let settings = base_settings();
    let rows: Vec<Case> = base64_rows().into_iter().chain(envelope_rows()).collect();
    let mut h = Harness::default();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for case in &rows {
        h.both(case, &settings);
        let id = verify_expected(case.text(), &settings)
            .error_id()
            .unwrap_or("ok")
            .to_owned();
        *outcomes.entry(id).or_default() += 1;
    }
    println!("hostile texts, verify outcomes: {outcomes:?}");
    // The rows reach every stage: decoding, the size check, the MAC and the caveats.
    for id in [
        "ok",
        "badToken",
        "tokenTooLarge",
        "tokenInvalid",
        "tokenCaveatUnknown",
    ] {
        assert!(outcomes.contains_key(id), "no row gives {id}: {outcomes:?}");
    }
    assert_eq!(outcomes["ok"], 1, "only the awkward token itself verifies");
    h.finish("hostile texts");
}
