//! The clearing rows of the catalogue through `caveat verify`: times, leeway, addresses, caveat
//! counts.

use super::hostile::{base, maced};
use super::*;

// ---------------------------------------------------------------------------------------------
// Clearing rows of the catalogue: times, leeway, addresses, caveat counts
// ---------------------------------------------------------------------------------------------

#[test]
fn clearing_rows_through_verify() {
    let time = |t: u64| crate::common::mint(&[Caveat::time(t)]);
    let ip8 = || {
        crate::common::mint(&[crate::common::caveat(
            r#"{"type":"ip","whitelist":["10.0.0.0/8"]}"#,
        )])
    };
    let raw_time = |int: &[u8]| {
        crate::common::mint(&[])
            .attenuate_raw(&cat(&[&[0x82, 0x00], int]))
            .expect("raw caveat")
    };
    let at = |now: u64| Settings::new(Key::Hex(KEY_HEX.to_owned()), now);
    let leeway = |now: u64, leeway: u64| Settings { leeway, ..at(now) };
    let id = parts(&base()).0;
    let times = |n: u64| -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| Caveat::time(NOW + 1 + i).to_native())
            .collect()
    };
    let rows: Vec<(&str, String, Settings, &str)> = vec![
        (
            "validUntil == now",
            time(NOW).to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil == now + 1",
            time(NOW).to_text(),
            at(NOW - 1),
            "ok",
        ),
        (
            "validUntil 0",
            time(0).to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil i64::MAX",
            time(i64::MAX as u64).to_text(),
            at(NOW),
            "ok",
        ),
        (
            "validUntil i64::MAX at i64::MAX",
            time(i64::MAX as u64).to_text(),
            at(i64::MAX as u64),
            "tokenCaveatUnverified",
        ),
        (
            "validUntil u64::MAX",
            time(u64::MAX).to_text(),
            at(NOW),
            "ok",
        ),
        // Leeway overflow fails closed: validUntil + leeway does not fit in u64.
        (
            "u64::MAX with leeway 1",
            time(u64::MAX).to_text(),
            leeway(0, 1),
            "tokenCaveatUnverified",
        ),
        (
            "1 with leeway u64::MAX",
            time(1).to_text(),
            leeway(0, u64::MAX),
            "tokenCaveatUnverified",
        ),
        (
            "0 with leeway u64::MAX",
            time(0).to_text(),
            leeway(5, u64::MAX),
            "ok",
        ),
        (
            "validUntil -1 (raw CBOR)",
            raw_time(&[0x20]).to_text(),
            at(NOW),
            "tokenCaveatUnknown",
        ),
        (
            "validUntil i64::MIN (raw CBOR)",
            raw_time(&[0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).to_text(),
            at(NOW),
            "tokenCaveatUnknown",
        ),
        (
            "two time caveats, the later one's instant",
            crate::common::mint(&[Caveat::time(NOW + 10), Caveat::time(NOW + 5)]).to_text(),
            at(NOW + 5),
            "tokenCaveatUnverified",
        ),
        (
            "two time caveats, within both",
            crate::common::mint(&[Caveat::time(NOW + 10), Caveat::time(NOW + 5)]).to_text(),
            at(NOW + 4),
            "ok",
        ),
        (
            "::ffff:10.1.2.3 against 10.0.0.0/8",
            ip8().to_text(),
            at(NOW).with_ip("::ffff:10.1.2.3"),
            "ok",
        ),
        (
            "10.1.2.3 against 10.0.0.0/8",
            ip8().to_text(),
            at(NOW).with_ip("10.1.2.3"),
            "ok",
        ),
        (
            "IPv6 client, IPv4 whitelist",
            ip8().to_text(),
            at(NOW).with_ip("2001:db8::1"),
            "tokenCaveatUnverified",
        ),
        (
            "no client address",
            ip8().to_text(),
            at(NOW),
            "tokenCaveatUnverified",
        ),
        (
            "256 caveats",
            native_text(&maced(&id, &times(256))),
            at(NOW),
            "ok",
        ),
        (
            "257 caveats",
            native_text(&maced(&id, &times(257))),
            at(NOW),
            "tokenTooLarge",
        ),
        (
            "10k caveats",
            native_text(&maced(&id, &times(10_000))),
            at(NOW),
            "tokenTooLarge",
        ),
    ];
    let mut h = Harness::default();
    for (name, text, settings, id) in rows {
        let case = Case::arg(name, text);
        // The library's answer is the catalogue's (tests/token/adversarial/clearing.rs) ...
        assert_eq!(
            verify_expected(case.text(), &settings)
                .error_id()
                .unwrap_or("ok"),
            id,
            "{name}"
        );
        // ... and the command's is the library's.
        h.both(&case, &settings);
    }
    h.finish("clearing rows");
}
