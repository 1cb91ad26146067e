//! Format detection (V1 and Onedata texts both start with `MDA`), its errors, and the
//! totality of the decoders and the discharge verifier.

use super::*;

#[test]
#[cfg(feature = "onedata")]
fn onedata_and_v1_texts_never_read_both_ways() {
    use caveat_token::Verified;

    // Both start with MDA, but a V1 text always holds `Y2F0aW9u` (base64 of "cation") at
    // characters 8-15, an invalid Onedata escape, and an Onedata text holds the escape `00`
    // there, so its base64 never starts with a location packet. Check it on many tokens.
    let key = RootKey::from_bytes(b"verySecretSecret").expect("key");
    for n in 0..200u32 {
        let id = Identifier {
            location: format!("d{n}.example.org").into(),
            key_id: None,
            token_id: format!("t{n}").into(),
            subject: Subject::parse("usr-alice").expect("subject"),
            token_type: TokenType::Access { session: None },
            persistence: Persistence::Named,
        };
        let onedata = Token::mint_as(
            Format::Onedata,
            &key,
            &id,
            &[Caveat::time(u64::from(n) + 1)],
        )
        .expect("onedata")
        .to_text();
        assert!(onedata.starts_with("MDA"));
        assert_eq!(
            err_id(Token::from_macaroon_text(&onedata, &limits())),
            "badToken"
        );
        assert_eq!(
            Token::from_text(&onedata, &limits())
                .expect("onedata")
                .format(),
            Format::Onedata
        );
        // The same identifier and caveat as a V1 macaroon.
        let v1 = Token::mint_macaroon(
            Format::MacaroonV1,
            &key,
            &id.location,
            Token::from_text(&onedata, &limits())
                .expect("onedata")
                .identifier_bytes(),
            &[Caveat::time(u64::from(n) + 1)],
        )
        .expect("v1")
        .to_text();
        assert!(v1.starts_with("MDA") && v1[8..16] == *"Y2F0aW9u", "{v1}");
        let t = Token::from_text(&v1, &limits()).expect("v1");
        assert_eq!(t.format(), Format::MacaroonV1);
        // Read as V1, it verifies as a macaroon (the structured verifier refuses it).
        Verifier::new()
            .verify_any_text(&v1, &[], &key, &Context::at(0))
            .expect("verifies");
        assert_eq!(
            err_id(Verifier::new().verify_text(&v1, &key, &Context::at(0))),
            "badToken"
        );
        match Verifier::new()
            .verify_any_text(&onedata, &[], &key, &Context::at(0))
            .expect("verifies")
        {
            Verified::Token(v) => assert_eq!(v.identifier().token_id, id.token_id),
            Verified::Macaroon(_) => panic!("an Onedata token"),
        }
    }
}

#[test]
fn format_detection_errors() {
    // A text that is neither Onedata nor V1-shaped: Onedata's error (unchanged behaviour).
    assert_eq!(
        reason(Token::from_text("MDA", &limits())),
        "truncated packet length"
    );
    // A V1-shaped text (its bytes start with a location packet) gets V1's error.
    let truncated = &README_V1[..README_V1.len() / 4 * 4 - 4];
    assert_eq!(
        reason(Token::from_text(truncated, &limits())),
        "packet length exceeds the input"
    );
    assert_eq!(
        reason(Token::from_macaroon_text("////", &limits())),
        "unknown macaroon format"
    );
    assert_eq!(
        reason(Token::from_text("NDA", &limits())),
        "unknown token format"
    );
    assert_eq!(err_id(Token::from_macaroon_text("", &limits())), "badToken");
    let huge = "A".repeat(limits().max_text_len() + 1);
    assert_eq!(err_id(Token::from_text(&huge, &limits())), "tokenTooLarge");
    assert_eq!(
        err_id(Token::from_macaroon_text(&huge, &limits())),
        "tokenTooLarge"
    );
}

mod totality {
    //! The libmacaroons decoders and the discharge verifier answer every input with a value or
    //! a typed error, never a panic; and no changed token verifies.

    use super::*;
    use proptest::prelude::*;

    fn any_format() -> impl Strategy<Value = Format> {
        prop::sample::select(Format::MACAROON.to_vec())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_and_text_never_panic(
            format in any_format(),
            bytes in prop::collection::vec(any::<u8>(), 0..300),
            text in ".{0,300}",
        ) {
            let _ = Token::from_bytes_as(format, &bytes, &limits());
            let _ = Token::from_macaroon_text(&text, &limits());
            let _ = Token::from_text(&text, &limits());
            let json = format!("{{\"i\":{text:?},\"s64\":{text:?},\"c\":[{{\"i\":{text:?}}}]}}");
            let _ = Token::from_macaroon_text(&json, &limits());
        }

        #[test]
        fn a_changed_byte_never_verifies_with_its_discharge(
            format in any_format(),
            position in any::<prop::sample::Index>(),
            flip in 1u8..=255,
            in_discharge in any::<bool>(),
        ) {
            let root = readme(format)
                .attenuate_third_party("http://auth.mybank/", TP_KEY, TP_CID, &[0; 24])
                .expect("third-party");
            let discharge = Token::mint_macaroon(
                format,
                &RootKey::from_bytes(TP_KEY).expect("key"),
                "",
                TP_CID,
                &[],
            )
            .expect("discharge")
            .bind_to(&root);
            let (target, other) = if in_discharge { (&discharge, &root) } else { (&root, &discharge) };
            let mut raw = target.as_bytes().to_vec();
            let i = position.index(raw.len());
            raw[i] ^= flip;
            let Ok(changed) = Token::from_bytes_as(format, &raw, &limits()) else {
                return Ok(());
            };
            let location_only = changed.untrusted_location() != target.untrusted_location()
                || changed
                    .untrusted_third_party_caveats()
                    .map(|c| c.location)
                    .ne(target.untrusted_third_party_caveats().map(|c| c.location));
            let (r, d) = if in_discharge { (other.clone(), changed) } else { (changed, other.clone()) };
            let result = bank_verifier().verify_macaroon(r, &[d], &readme_key(), &Context::at(0));
            // Locations are not covered by the tag: changing only a location is the exception.
            prop_assert!(result.is_err() || location_only, "byte {} verified", i);
        }
    }
}
