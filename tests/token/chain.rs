//! Project Wycheproof's HMAC-SHA256 vectors through the MAC primitive the chain is built on
//! (`chain::hmac_sha256`), and the chain's functions checked against that primitive.

use caveat_token::RootKey;
use caveat_token::{hazmat as chain, Tag};
use proptest::prelude::*;
use wycheproof::mac::{TestName, TestSet};
use wycheproof::TestResult;

#[test]
fn wycheproof_hmac_sha256() {
    let set = TestSet::load(TestName::HmacSha256).expect("vectors load");
    let (mut valid, mut invalid, mut truncated, mut long_keys) = (0, 0, 0, 0);
    for group in &set.test_groups {
        assert_eq!(group.tag_size % 8, 0);
        let tag_len = group.tag_size / 8;
        assert!(tag_len <= chain::TAG_LEN);
        for test in &group.tests {
            let key: &[u8] = test.key.as_ref();
            let msg: &[u8] = test.msg.as_ref();
            let expected: &[u8] = test.tag.as_ref();
            assert_eq!(key.len() * 8, group.key_size, "tc {}", test.tc_id);
            if key.len() > 64 {
                long_keys += 1;
            }
            let tag = chain::hmac_sha256(key, msg);
            // Full-length tags are compared as the verifier does, in constant time; truncated
            // ones (128-bit groups) by their prefix.
            let matches = if tag_len == chain::TAG_LEN {
                tag.ct_eq(expected)
            } else {
                truncated += 1;
                expected.len() == tag_len && tag.as_bytes()[..tag_len] == *expected
            };
            match test.result {
                TestResult::Valid => {
                    assert!(matches, "tc {} ({}) should match", test.tc_id, test.comment);
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert!(
                        !matches,
                        "tc {} ({}) must not match",
                        test.tc_id, test.comment
                    );
                    invalid += 1;
                }
                TestResult::Acceptable => {}
            }
        }
    }
    assert_eq!(
        valid + invalid,
        set.number_of_tests,
        "every vector was checked"
    );
    assert!(
        valid >= 60 && invalid >= 100,
        "valid {valid}, invalid {invalid}"
    );
    assert!(truncated > 0, "truncated-tag groups were exercised");
    assert!(long_keys > 0, "keys longer than a block were exercised");
}

#[test]
fn chain_key_derivation_matches_hmac() {
    // k = HMAC-SHA256(key = "macaroons-key-generator", msg = root_key).
    assert_eq!(chain::KEY_GENERATOR, b"macaroons-key-generator");
    for secret in [&b"k"[..], &[0u8; 32], &[0xaa; 64], &[0x55; 65], &[7; 200]] {
        let derived = chain::derive_key(secret);
        assert_eq!(
            derived.as_bytes(),
            chain::hmac_sha256(b"macaroons-key-generator", secret).as_bytes()
        );
    }
}

/// 256 cases by default (fast on two cores); `PROPTEST_CASES=N` runs more.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    /// `start` and `step` are HMAC-SHA256 keyed with the derived key and the previous tag;
    /// `compute`, `tags` and `verify` are their fold.
    #[test]
    fn start_and_step_equal_hmac_with_the_derived_key(
        secret in proptest::collection::vec(any::<u8>(), 1..150),
        identifier in proptest::collection::vec(any::<u8>(), 0..200),
        caveats in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..5),
    ) {
        let key = RootKey::from_bytes(&secret).expect("non-empty key");
        let derived = chain::derive_key(&secret);

        let tag0 = chain::start(&key, &identifier);
        prop_assert!(tag0.ct_eq(chain::hmac_sha256(derived.as_bytes(), &identifier).as_bytes()));

        let mut expected: Vec<Tag> = vec![tag0];
        for c in &caveats {
            let prev = expected.last().expect("non-empty").clone();
            let next = chain::step(&prev, c);
            prop_assert!(next.ct_eq(chain::hmac_sha256(prev.as_bytes(), c).as_bytes()));
            expected.push(next);
        }

        let all = chain::tags(&key, &identifier, caveats.iter().map(Vec::as_slice));
        prop_assert_eq!(all.len(), caveats.len() + 1);
        for (a, e) in all.iter().zip(&expected) {
            prop_assert!(a.ct_eq(e.as_bytes()));
        }
        let last = expected.last().expect("non-empty");
        let computed = chain::compute(&key, &identifier, caveats.iter().map(Vec::as_slice));
        prop_assert!(computed.ct_eq(last.as_bytes()));
        prop_assert!(chain::verify(&key, &identifier, caveats.iter().map(Vec::as_slice), last.as_bytes()));

        // Any other tag, including every intermediate one when there are caveats, fails.
        for t in &expected[..expected.len() - 1] {
            prop_assert!(!chain::verify(&key, &identifier, caveats.iter().map(Vec::as_slice), t.as_bytes()));
        }
        prop_assert!(!chain::verify(&key, &identifier, caveats.iter().map(Vec::as_slice), &last.as_bytes()[..31]));

        // The hex form of a key gives the same chain.
        let from_hex = RootKey::from_hex(&hex::encode(&secret)).expect("hex key");
        prop_assert!(chain::start(&from_hex, &identifier).ct_eq(expected[0].as_bytes()));
    }
}
