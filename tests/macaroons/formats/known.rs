//! Known vectors: libmacaroons' README example in every format as pymacaroons writes it, and
//! pymacaroons' third-party caveat sealed with a zero nonce, with its discharge.

use super::*;

#[test]
fn libmacaroons_readme_vector_in_every_format() {
    for format in Format::MACAROON {
        let token = readme(*format);
        assert_eq!(token.tag().to_hex(), README_TAG, "{format:?}");
        assert_eq!(token.identifier_bytes(), b"keyid");
        assert_eq!(token.untrusted_location(), Some("http://example.org/"));
        let ok = bank_verifier()
            .verify_macaroon(token.clone(), &[], &readme_key(), &Context::at(0))
            .expect("verifies");
        assert_eq!(ok.identifier(), b"keyid");
        assert_eq!(ok.expires(), None);
    }
    // Byte for byte what pymacaroons writes (and libmacaroons, for V2J).
    assert_eq!(readme(Format::MacaroonV1).to_text(), README_V1);
    assert_eq!(readme(Format::MacaroonV2).to_text(), README_V2);
    assert_eq!(readme(Format::MacaroonV2J).to_text(), README_V2J);
    // And what they write reads back to the same fields and tag.
    for (text, format) in [
        (README_V1, Format::MacaroonV1),
        (README_V2, Format::MacaroonV2),
        (README_V2J, Format::MacaroonV2J),
        (README_V2J_PY, Format::MacaroonV2J),
    ] {
        let t = Token::from_macaroon_text(text, &limits()).expect(text);
        assert_eq!(t.format(), format);
        assert_eq!(t.tag().to_hex(), README_TAG);
        assert_eq!(t.identifier_bytes(), b"keyid");
        let caveats: Vec<&[u8]> = t.caveat_bytes().collect();
        assert_eq!(caveats, vec![&b"account = 3735928559"[..]]);
        bank_verifier()
            .verify_macaroon(t, &[], &readme_key(), &Context::at(0))
            .expect("verifies");
    }
    // Token::from_text detects every format.
    for (text, format) in [
        (README_V1, Format::MacaroonV1),
        (README_V2, Format::MacaroonV2),
        (README_V2J_PY, Format::MacaroonV2J),
    ] {
        assert_eq!(
            Token::from_text(text, &limits()).expect(text).format(),
            format
        );
    }
}

#[test]
fn readme_vector_fails_closed() {
    let token = readme(Format::MacaroonV2);
    // Nothing satisfies the predicate.
    let e = Verifier::new()
        .verify_macaroon(token.clone(), &[], &readme_key(), &Context::at(0))
        .expect_err("unknown");
    assert_eq!(e.id(), "tokenCaveatUnknown");
    assert_eq!(e.details()["caveat"], "account = 3735928559");
    assert_eq!(e.details()["index"], 0);
    // Another exact predicate does not match it.
    assert_eq!(
        err_id(
            Verifier::new()
                .satisfy_exact("account = 1")
                .verify_macaroon(token.clone(), &[], &readme_key(), &Context::at(0))
        ),
        "tokenCaveatUnknown"
    );
    // A general satisfier can.
    Verifier::new()
        .satisfy_general(|p, _| p.strip_prefix("account = ") == Some("3735928559"))
        .verify_macaroon(token.clone(), &[], &readme_key(), &Context::at(0))
        .expect("general");
    // Wrong key.
    assert_eq!(
        err_id(bank_verifier().verify_macaroon(
            token.clone(),
            &[],
            &RootKey::from_bytes(b"this is not the key").expect("key"),
            &Context::at(0)
        )),
        "tokenInvalid"
    );
    // The structured verifier refuses an opaque identifier.
    assert_eq!(
        err_id(bank_verifier().verify(token.clone(), &readme_key(), &Context::at(0))),
        "badToken"
    );
    assert_eq!(err_id(token.untrusted_identifier()), "badToken");
}

#[test]
fn every_changed_byte_is_refused() {
    // Flip each byte of each format's binary form: a decoding error, or a token that does not
    // verify. (The location is not covered by the tag: changing it is the one exception.)
    for format in Format::MACAROON {
        let token = readme(*format);
        let location = token
            .untrusted_location()
            .expect("location")
            .as_bytes()
            .to_vec();
        let raw = token.as_bytes().to_vec();
        for i in 0..raw.len() {
            let mut changed = raw.clone();
            changed[i] ^= 0x01;
            let Ok(t) = Token::from_bytes_as(*format, &changed, &limits()) else {
                continue;
            };
            let result =
                bank_verifier().verify_macaroon(t.clone(), &[], &readme_key(), &Context::at(0));
            if t.untrusted_location().map(str::as_bytes) != Some(location.as_slice()) {
                assert!(
                    result.is_ok(),
                    "{format:?} byte {i}: only the location changed"
                );
            } else {
                assert!(result.is_err(), "{format:?} byte {i}");
            }
        }
    }
}

#[test]
fn pymacaroons_third_party_vector_with_a_zero_nonce() {
    let zero = [0u8; 24];
    for (format, text, discharge_text) in [
        (Format::MacaroonV1, TP_V1, TP_DISCHARGE_V1),
        (Format::MacaroonV2, TP_V2, TP_DISCHARGE_V2),
    ] {
        // We write the same bytes.
        let ours = readme(format)
            .attenuate_third_party("http://auth.mybank/", TP_KEY, TP_CID, &zero)
            .expect("third-party");
        assert_eq!(ours.to_text(), text, "{format:?}");
        assert_eq!(ours.tag().to_hex(), TP_TAG);
        let caveat = ours
            .untrusted_third_party_caveats()
            .next()
            .expect("one third-party caveat");
        assert_eq!(caveat.index, 1);
        assert_eq!(caveat.cid, TP_CID);
        assert_eq!(caveat.location, b"http://auth.mybank/");
        assert_eq!(caveat.vid.len(), 72);
        assert_eq!(&caveat.vid[..24], &zero);

        let discharge = Token::mint_macaroon(
            format,
            &RootKey::from_bytes(TP_KEY).expect("key"),
            "http://auth.mybank/",
            TP_CID,
            &[],
        )
        .expect("discharge")
        .attenuate_raw(b"time < 2115-01-01T00:00")
        .expect("caveat");
        assert_eq!(discharge.tag().to_hex(), TP_DISCHARGE_UNBOUND_TAG);
        let bound = discharge.bind_to(&ours);
        assert_eq!(bound.to_text(), discharge_text);

        // Theirs verifies here, with their bound discharge.
        let root = Token::from_macaroon_text(text, &limits()).expect("root");
        let theirs = Token::from_macaroon_text(discharge_text, &limits()).expect("discharge");
        bank_verifier()
            .verify_macaroon(root.clone(), &[theirs], &readme_key(), &Context::at(0))
            .expect("verifies");
        // Not without it, nor with it unbound.
        assert_eq!(
            err_id(bank_verifier().verify_macaroon(
                root.clone(),
                &[],
                &readme_key(),
                &Context::at(0)
            )),
            "dischargeMissing"
        );
        assert_eq!(
            err_id(bank_verifier().verify_macaroon(
                root,
                &[discharge],
                &readme_key(),
                &Context::at(0)
            )),
            "dischargeUnbound"
        );
    }
    // V2J: the same fields as V2.
    let v2j = readme(Format::MacaroonV2J)
        .attenuate_third_party("http://auth.mybank/", TP_KEY, TP_CID, &zero)
        .expect("third-party")
        .to_text();
    let json = serde_json_value(&v2j);
    assert_eq!(json["v"], 2);
    assert_eq!(json["c"][1]["l"], "http://auth.mybank/");
    assert!(json["c"][1]["v64"].is_string());
    let back = Token::from_macaroon_text(&v2j, &limits()).expect("v2j");
    assert_eq!(back.format(), Format::MacaroonV2J);
    assert_eq!(back.as_bytes(), URL_SAFE_NO_PAD.decode(TP_V2).expect("b64"));
}
