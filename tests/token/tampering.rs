//! Tampering gives `tokenInvalid`: flipped bits, substituted characters, removed, reordered,
//! duplicated or unMACed caveats, a replaced identifier; and everything after the signature
//! check is reached only by tokens that pass it.

use caveat_token::SignatureError;
use std::borrow::Cow;

use caveat_token::hazmat as chain;
use caveat_token::{
    Caveat, Context, Error, Identifier, Limits, Persistence, Subject, Token, Verifier,
};

use crate::common::*;
use crate::fixtures::*;

// ---------------------------------------------------------------------------------------------
// Tampering → tokenInvalid
// ---------------------------------------------------------------------------------------------

fn tamper_base() -> Token {
    mint(&all_kinds())
}

#[test]
fn any_single_bit_flip_is_rejected_and_content_flips_are_token_invalid() {
    let token = tamper_base();
    let lay = layout(&token);
    let bytes = token.as_bytes();
    let ctx = allowing_ctx();
    let verifier = action_verifier();
    let key = key();
    // Sanity: unmodified it verifies.
    verifier
        .verify(
            Token::from_bytes(bytes, &Limits::default()).expect("decode"),
            &key,
            &ctx,
        )
        .expect("unmodified verifies");
    let mut content_flips = 0;
    for offset in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.to_vec();
            b[offset] ^= 1 << bit;
            let res = Token::from_bytes(&b, &Limits::default())
                .and_then(|t| verifier.verify(t, &key, &ctx));
            let id = err_id(res);
            if lay.in_caveat_or_tag(offset) {
                // Caveat content is not decoded before the signature check, and the tag is just
                // bytes: these flips always decode, and always fail the chain.
                assert_eq!(id, "tokenInvalid", "offset {offset} bit {bit}");
                content_flips += 1;
            } else {
                // Structure and identifier flips may fail decoding instead; never anything else.
                assert!(
                    id == "badToken" || id == "tokenInvalid",
                    "offset {offset} bit {bit}: {id}"
                );
            }
        }
    }
    assert!(content_flips > 8 * 32);
}

#[test]
fn text_character_substitutions_are_rejected() {
    let token = tamper_base();
    let text = token.to_text();
    let verifier = action_verifier();
    let key = key();
    for (i, ch) in text.char_indices().skip("cvt1_".len()) {
        let replacement = if ch == 'A' { 'B' } else { 'A' };
        let mut t = text.clone();
        t.replace_range(i..i + 1, &replacement.to_string());
        let id = err_id(verifier.verify_text(&t, &key, &allowing_ctx()));
        assert!(id == "badToken" || id == "tokenInvalid", "char {i}: {id}");
    }
}

#[test]
fn removed_reordered_duplicated_or_unmaced_caveats_are_token_invalid() {
    let token = tamper_base();
    let (id, cavs, tag) = parts(&token);
    assert_eq!(cavs.len(), 4);
    let ctx = allowing_ctx();
    let verifier = action_verifier();
    let key = key();
    let check = |name: &str, caveats: Vec<Vec<u8>>, tag: &[u8]| {
        let bytes = envelope(&id, &caveats, tag);
        let t = Token::from_bytes(&bytes, &Limits::default()).expect("well-formed");
        let err = verifier.verify(t, &key, &ctx).expect_err(name);
        assert_eq!(err, Error::Signature(SignatureError::Invalid), "{name}");
    };
    // The hand-built envelope with the parts unchanged verifies (so the builder is right).
    let same = Token::from_bytes(&envelope(&id, &cavs, &tag), &Limits::default()).expect("ok");
    verifier.verify(same, &key, &ctx).expect("unchanged parts");

    for i in 0..cavs.len() {
        let mut removed = cavs.clone();
        removed.remove(i);
        check(&format!("remove {i}"), removed, &tag);

        let mut dup = cavs.clone();
        dup.insert(i, cavs[i].clone());
        check(&format!("duplicate {i}"), dup, &tag);
    }
    for i in 0..cavs.len() {
        for j in i + 1..cavs.len() {
            let mut swapped = cavs.clone();
            swapped.swap(i, j);
            check(&format!("swap {i} {j}"), swapped, &tag);
        }
    }
    let mut reversed = cavs.clone();
    reversed.reverse();
    check("reverse", reversed, &tag);
    check("all removed", vec![], &tag);

    // Appended without MAC: a caveat that would pass (and one that would fail) added after
    // the last one, the tag left as it was.
    for extra in [
        Caveat::time(u64::MAX).to_native(),
        Caveat::time(0).to_native(),
    ] {
        let mut appended = cavs.clone();
        appended.push(extra);
        check("appended without MAC", appended, &tag);
    }
    // Appended with a MAC computed from the wrong previous tag (the first one).
    let tags = chain::tags(&key, &id, cavs.iter().map(Vec::as_slice));
    let wrong = chain::step(&tags[0], &Caveat::time(u64::MAX).to_native());
    let mut appended = cavs.clone();
    appended.push(Caveat::time(u64::MAX).to_native());
    check(
        "appended with a MAC over the wrong tag",
        appended.clone(),
        wrong.as_bytes(),
    );
    // …and with the right one it is a valid attenuation (the chain really is the check).
    let right = chain::step(&tags[4], &Caveat::time(u64::MAX).to_native());
    let t = Token::from_bytes(
        &envelope(&id, &appended, right.as_bytes()),
        &Limits::default(),
    )
    .expect("decode");
    verifier.verify(t, &key, &ctx).expect("properly appended");
}

#[test]
fn replaced_identifier_is_token_invalid() {
    let token = tamper_base();
    let (_, cavs, tag) = parts(&token);
    let other_ids = [
        Identifier {
            subject: Subject::User(Cow::Borrowed("mallory")),
            ..identifier()
        },
        Identifier {
            location: Cow::Borrowed("evil.example.com"),
            ..identifier()
        },
        Identifier {
            persistence: Persistence::Temporary { generation: 1 },
            ..identifier()
        },
    ];
    for other in &other_ids {
        // Take a genuine identifier encoding from a token minted with another key.
        let donor = caveat_token::hazmat::mint_unchecked(
            caveat_token::Format::Native,
            &other_key(),
            other,
            &[],
        )
        .expect("mint");
        let bytes = envelope(donor.identifier_bytes(), &cavs, &tag);
        let err = verify_default(&bytes, &allowing_ctx()).expect_err("swapped identifier");
        assert_eq!(err.id(), "tokenInvalid");
    }
}

// ---------------------------------------------------------------------------------------------
// Everything after the signature check
// ---------------------------------------------------------------------------------------------

#[test]
fn forged_tokens_never_reach_a_caveat_error() {
    // Each token would fail clearing (expired, wrong ip, no invite type, unknown caveat, app
    // caveat without predicate), but it is signed with the wrong key: tokenInvalid, always.
    let failing: Vec<Vec<u8>> = vec![
        Caveat::time(0).to_native(),
        caveat(r#"{"type":"ip","whitelist":["192.0.2.0/24"]}"#).to_native(),
        caveat(r#"{"type":"inviteType","whitelist":["supportSpace"]}"#).to_native(),
        vec![0x82, 0x18, 0x63, 0x00],
        caveat(r#"{"type":"app","name":"unregistered.org/x","value":"y"}"#).to_native(),
        b"garbage".to_vec(),
    ];
    let forged = Token::mint(&other_key(), &identifier(), &[]).expect("mint");
    let ctx = Context::at(NOW);
    for c in &failing {
        let t = forged.attenuate_raw(c).expect("attenuate_raw");
        // Under the right key, clearing would complain about the caveat…
        let genuine = mint(&[]).attenuate_raw(c).expect("attenuate_raw");
        let id = err_id(Verifier::new().verify(genuine, &key(), &ctx));
        assert!(id == "tokenCaveatUnverified" || id == "tokenCaveatUnknown");
        // …but the forged one stops at the signature.
        let err = Verifier::new()
            .verify_text(&t.to_text(), &key(), &ctx)
            .expect_err("forged");
        assert_eq!(err, Error::Signature(SignatureError::Invalid));
        assert_eq!(
            Verifier::new().check_signature(&t, &key()).map(|_| ()),
            Err(Error::Signature(SignatureError::Invalid))
        );
    }
    // All of them at once, too.
    let mut t = forged;
    for c in &failing {
        t = t.attenuate_raw(c).expect("attenuate_raw");
    }
    assert_eq!(
        Verifier::new().verify(t, &key(), &ctx).expect_err("forged"),
        Error::Signature(SignatureError::Invalid)
    );
}

#[test]
fn wrong_key_and_tampering_get_the_same_error() {
    let token = mint(&[Caveat::time(NOW + 10)]);
    let wrong_key = Verifier::new()
        .verify(token.clone(), &other_key(), &Context::at(NOW))
        .expect_err("wrong key");
    let mut b = token.as_bytes().to_vec();
    let last = b.len() - 1;
    b[last] ^= 0x80;
    let tampered = verify_default(&b, &Context::at(NOW)).expect_err("tampered");
    assert_eq!(wrong_key, tampered);
    assert_eq!(wrong_key.to_json(), tampered.to_json());
}
