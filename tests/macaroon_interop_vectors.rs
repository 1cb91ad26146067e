//! The vectors of `spec/vectors/macaroons/interop.json`: tokens minted by libmacaroons 0.3.0
//! and go-macaroon (some edited by hand: an empty location field inserted), for the empty
//! locations of SPEC.md §11.2–§11.4, with outcomes decided by hand (each vector's `comment`
//! says why). Written by `tests/peers/interop_vectors.py` from the peers of `tests/peers/`.
//!
//! Each token must decode to the recorded binary, fields and tag; verify (or fail with the
//! recorded id); come back byte for byte from its own text; when it has a `v2j` text, give
//! that text when its bytes are read as V2J, and those bytes back from it; and, when
//! `remint` is set, be written byte for byte by caveat-token from its fields (third-party
//! caveats sealed again with the nonce that opens their vid).
// Needs the optional format(s) it covers: `cargo test --all-features` runs it.
#![cfg(feature = "macaroons")]

use std::path::PathBuf;

use caveat_token::NONCE_LEN;
use caveat_token::{Context, Format, Limits, RootKey, Token, Verifier};
use serde_json::Value;

const NOW: u64 = 1_700_000_000;

fn vectors() -> Vec<Value> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/macaroons/interop.json");
    let text = std::fs::read_to_string(path).expect("spec/vectors/macaroons/interop.json");
    let file: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(file["schema"], "caveat-token/macaroon-interop-vectors/1");
    file["vectors"].as_array().expect("vectors").clone()
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| s(t).to_owned())
        .collect()
}

/// Checks the decoded token against the recorded fields.
fn check_fields(name: &str, v: &Value, token: &Token) {
    let format = Format::from_name(s(&v["format"])).expect("format");
    assert_eq!(token.format(), format, "{name}");
    assert_eq!(hex::encode(token.as_bytes()), s(&v["binary_hex"]), "{name}");
    assert_eq!(
        token.identifier_bytes(),
        s(&v["identifier"]).as_bytes(),
        "{name}"
    );
    assert_eq!(
        token.untrusted_location(),
        Some(s(&v["location"])),
        "{name}"
    );
    assert_eq!(token.tag().to_hex(), s(&v["tag"]), "{name}");
    let caveats = v["caveats"].as_array().expect("caveats");
    assert_eq!(token.caveat_count(), caveats.len(), "{name}");
    let third: Vec<_> = token.untrusted_third_party_caveats().collect();
    for (i, (c, bytes)) in caveats.iter().zip(token.caveat_bytes()).enumerate() {
        assert_eq!(bytes, s(&c["cid"]).as_bytes(), "{name} #{i}");
        match c["vid"].as_str() {
            None => assert!(!token.is_third_party(i), "{name} #{i}"),
            Some(vid) => {
                let tp = third
                    .iter()
                    .find(|t| t.index == i)
                    .unwrap_or_else(|| panic!("{name} #{i} is not third-party"));
                assert_eq!(hex::encode(tp.vid), vid, "{name} #{i}");
                let location = c["location"].as_str().unwrap_or_default();
                assert_eq!(tp.location, location.as_bytes(), "{name} #{i}");
            }
        }
    }
    assert_eq!(
        third.len(),
        caveats.iter().filter(|c| !c["vid"].is_null()).count()
    );
}

/// caveat-token writes the token again from its fields: the same bytes.
fn remint(name: &str, v: &Value, token: &Token) {
    let format = token.format();
    let key = RootKey::from_bytes(s(&v["key"]).as_bytes()).expect("key");
    let mut again = Token::mint_macaroon(
        format,
        &key,
        s(&v["location"]),
        s(&v["identifier"]).as_bytes(),
        &[],
    )
    .expect("mint");
    for c in v["caveats"].as_array().expect("caveats") {
        let cid = s(&c["cid"]).as_bytes();
        again = match c["vid"].as_str() {
            None => again.attenuate_raw(cid),
            Some(vid) => {
                let vid = hex::decode(vid).expect("hex vid");
                let nonce: [u8; NONCE_LEN] = vid[..NONCE_LEN].try_into().expect("nonce");
                let caveat_key = s(&c["caveat_key"]).as_bytes();
                let location = c["location"].as_str().unwrap_or_default();
                again.attenuate_third_party(location, caveat_key, cid, &nonce)
            }
        }
        .expect("attenuate");
    }
    assert_eq!(
        hex::encode(again.as_bytes()),
        hex::encode(token.as_bytes()),
        "{name}: minted again"
    );
}

#[test]
fn interop_vectors() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 8);
    let limits = Limits::default();
    for v in &vectors {
        let name = s(&v["name"]);
        assert!(!s(&v["comment"]).is_empty(), "{name} has no comment");
        let token = Token::from_text(s(&v["token"]), &limits).expect(name);
        check_fields(name, v, &token);

        // The recorded outcome.
        let key = RootKey::from_bytes(s(&v["key"]).as_bytes()).expect("key");
        let discharges: Vec<Token> = texts(&v["discharges"])
            .iter()
            .map(|d| Token::from_text(d, &limits).expect("discharge decodes"))
            .collect();
        let verifier = texts(&v["exact"])
            .iter()
            .fold(Verifier::new(), |ver, p| ver.satisfy_exact(p.as_str()));
        let result = verifier.verify_any_text(s(&v["token"]), &discharges, &key, &Context::at(NOW));
        match v["expected"]["error"].as_str() {
            None => {
                assert_eq!(v["expected"]["ok"], true, "{name}");
                result.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            Some(id) => assert_eq!(result.expect_err(name).id(), id, "{name}"),
        }

        // Its own text gives the same bytes back.
        let again = Token::from_text(&token.to_text(), &limits).expect("own text");
        assert_eq!(
            again.as_bytes(),
            token.as_bytes(),
            "{name}: text round trip"
        );
        assert_eq!(again.to_text(), token.to_text(), "{name}");

        // The same bytes as V2J: the hand-written text, and back.
        if let Some(v2j) = v["v2j"].as_str() {
            let as_v2j =
                Token::from_bytes_as(Format::MacaroonV2J, token.as_bytes(), &limits).expect(name);
            assert_eq!(as_v2j.to_text(), v2j, "{name}: V2J text");
            let back = Token::from_text(v2j, &limits).expect("V2J text decodes");
            assert_eq!(back.format(), Format::MacaroonV2J);
            assert_eq!(back.as_bytes(), token.as_bytes(), "{name}: V2J bytes");
        }

        if v["remint"] == true {
            remint(name, v, &token);
        }
    }
}

#[test]
fn the_vectors_cover_the_empty_locations() {
    let vectors = vectors();
    let hex_of = |v: &Value| hex::decode(s(&v["binary_hex"])).expect("hex");
    // A V1 third-party caveat with an empty `cl`, from each peer, verified.
    for peer in ["libmacaroons", "gomacaroon"] {
        let v = vectors
            .iter()
            .find(|v| s(&v["name"]) == format!("{peer}_v1_third_party_empty_cl"))
            .expect(peer);
        assert!(
            hex_of(v).windows(8).any(|w| w == b"0008cl \n"),
            "{peer}: no empty cl packet"
        );
        assert_eq!(v["expected"]["ok"], true);
    }
    // A V2 binary whose header has an empty location field: 02 01 00.
    assert!(vectors
        .iter()
        .any(|v| s(&v["format"]) == "macaroon-v2" && hex_of(v).starts_with(&[2, 1, 0])));
    // A V2J text with an empty l.
    assert!(vectors
        .iter()
        .any(|v| s(&v["format"]) == "macaroon-v2j" && s(&v["token"]).contains("\"l\":\"\"")));
}
