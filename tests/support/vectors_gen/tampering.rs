//! chain.json: one change to the chain, or the wrong key (SPEC.md §9). (The module is not named `chain`, the library's module of that name.)

use super::*;

pub(super) fn flip_in(bytes: &[u8], needle: &[u8], offset: usize) -> Result<Vec<u8>, String> {
    let mut out = bytes.to_vec();
    let at = find(bytes, needle)? + offset;
    let b = out
        .get_mut(at)
        .ok_or_else(|| "offset out of range".to_owned())?;
    *b ^= 1;
    Ok(out)
}

pub(super) fn chain_vectors() -> Result<Vec<Vector>, String> {
    let base = three_caveats()?;
    let id = base.identifier_bytes.clone();
    let cavs = base.caveat_bytes();
    let tags = base.tags()?;
    let tag = base.final_tag()?;
    let tampered = |name: &str, description: &str, mutation: &str, token: String| {
        Ok::<_, String>(
            Vector::new(name, description, base.clone(), invalid())?
                .ip("10.1.2.3")
                .mutated(mutation, token),
        )
    };

    let mut flipped_caveat = cavs.clone();
    if let Some(b) = flipped_caveat.first_mut().and_then(|c| c.last_mut()) {
        *b ^= 1;
    }
    let mut flipped_tag = tag.clone();
    if let Some(b) = flipped_tag.first_mut() {
        *b ^= 1;
    }
    let mut truncated_caveat = cavs.clone();
    if let Some(c) = truncated_caveat.first_mut() {
        c.pop();
    }
    let weaker = Cav::typed(&time(NOW + 100 * HOUR))?.bytes;
    let extra = Cav::typed(&time(NOW + HOUR))?.bytes;
    let pick = |idx: &[usize]| -> Vec<Vec<u8>> {
        idx.iter().filter_map(|&i| cavs.get(i).cloned()).collect()
    };
    let tag_n = |n: usize| tags.get(n).cloned().unwrap_or_default();

    let mut out = vec![
        tampered(
            "chain_caveat_bit_flip",
            "One bit of caveat 0 flipped: it still decodes as a time caveat that would hold, but \
             the chain breaks.",
            "lowest bit of the last byte of caveat 0 flipped (validUntil + 1)",
            base.assemble(&id, &flipped_caveat, &tag),
        )?,
        tampered(
            "chain_identifier_bit_flip",
            "One bit of the token id flipped (tok-0001 → tok-0000): still a valid identifier, \
             but the chain breaks.",
            "lowest bit of the last byte of the token id flipped",
            base.assemble(&flip_in(&id, b"tok-0001", 7)?, &cavs, &tag),
        )?,
        tampered(
            "chain_location_bit_flip",
            "The location is covered by the tag: auth.example.com → auth.dxample.com.",
            "lowest bit of the 'e' of 'example' flipped",
            base.assemble(&flip_in(&id, b"example", 0)?, &cavs, &tag),
        )?,
        tampered(
            "chain_subject_bit_flip",
            "The subject is covered by the tag: usr-alice → usr-alicd.",
            "lowest bit of the last byte of the subject id flipped",
            base.assemble(&flip_in(&id, b"alice", 4)?, &cavs, &tag),
        )?,
        tampered(
            "chain_tag_bit_flip",
            "One bit of the tag flipped.",
            "lowest bit of the first tag byte flipped",
            base.assemble(&id, &cavs, &flipped_tag),
        )?,
        tampered(
            "chain_tag_zero",
            "An all-zero tag.",
            "tag replaced by 32 zero bytes",
            base.assemble(&id, &cavs, &[0; 32]),
        )?,
        tampered(
            "chain_caveat_removed_middle",
            "Caveat 1 (ip) removed, final tag kept.",
            "caveat 1 removed",
            base.assemble(&id, &pick(&[0, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_removed_last",
            "The last caveat removed (a truncated chain), final tag kept.",
            "caveat 2 removed",
            base.assemble(&id, &pick(&[0, 1]), &tag),
        )?,
        tampered(
            "chain_all_caveats_removed",
            "Every caveat removed, final tag kept.",
            "caveats 0, 1 and 2 removed",
            base.assemble(&id, &[], &tag),
        )?,
        tampered(
            "chain_caveats_reordered",
            "Caveats 0 and 1 swapped.",
            "caveat order 1, 0, 2",
            base.assemble(&id, &pick(&[1, 0, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_duplicated",
            "Caveat 1 duplicated without a MAC step.",
            "caveat order 0, 1, 1, 2",
            base.assemble(&id, &pick(&[0, 1, 1, 2]), &tag),
        )?,
        tampered(
            "chain_caveat_appended_without_mac",
            "A caveat that would hold appended without the MAC step.",
            "time caveat (validUntil NOW+3600) appended as caveat 3, tag unchanged",
            base.assemble(&id, &[cavs.clone(), vec![extra]].concat(), &tag),
        )?,
        tampered(
            "chain_caveat_replaced",
            "Caveat 0 replaced by a weaker time caveat (100 hours).",
            "caveat 0 replaced by the time caveat validUntil NOW+360000",
            base.assemble(&id, &[vec![weaker], pick(&[1, 2])].concat(), &tag),
        )?,
        tampered(
            "chain_caveat_bytes_truncated",
            "Caveat 0 shortened by one byte (its byte string re-headed): the envelope is well \
             formed, the chain is not.",
            "last byte of caveat 0 removed",
            base.assemble(&id, &truncated_caveat, &tag),
        )?,
        tampered(
            "chain_intermediate_tag_as_final",
            "All caveats kept but tag_2 (the tag before the last caveat) offered as the tag.",
            "tag replaced by tag_2",
            base.assemble(&id, &cavs, &tag_n(2)),
        )?,
        tampered(
            "chain_tag0_as_final",
            "All caveats kept but tag_0 offered as the tag.",
            "tag replaced by tag_0",
            base.assemble(&id, &cavs, &tag_n(0)),
        )?,
        Vector::new(
            "chain_wrong_key",
            "A correctly formed token verified with another key (the same id as tampering).",
            base.clone(),
            invalid(),
        )?
        .ip("10.1.2.3")
        .keys(Some(key_other()), &[]),
    ];

    let rot_b = Chain::mint(&key_rot_b(), &with_key_id("2026-11"), vec![])?;
    let ring = [("2026-10", key_rot_a()), ("2026-11", key_rot_b())];
    out.extend([
        Vector::new(
            "chain_unknown_key_id",
            "The token names key id 2026-12, which the ring does not hold (it holds the signing \
             key under 2026-11, and a default).",
            Chain::mint(&key_rot_b(), &with_key_id("2026-12"), vec![])?,
            invalid(),
        )?
        .keys(Some(key_main()), &ring),
        Vector::new(
            "chain_no_default_key",
            "The token names no key id and the ring has no default key.",
            Chain::mint(&key_main(), &base_identifier(), vec![])?,
            invalid(),
        )?
        .keys(None, &[("2026-10", key_main())]),
        Vector::new(
            "chain_key_id_mismatch",
            "The token names key id 2026-10 but was signed with the key of 2026-11.",
            Chain::mint(&key_rot_b(), &with_key_id("2026-10"), vec![])?,
            invalid(),
        )?
        .keys(None, &ring),
        Vector::new(
            "chain_key_id_stripped",
            "The key id is covered by the tag: removing it from a 2026-11 token fails even \
             though the ring's default is the same key.",
            rot_b.clone(),
            invalid(),
        )?
        .keys(Some(key_rot_b()), &ring)
        .mutated(
            "identifier replaced by the same identifier without key id (keyId null), tag kept",
            rot_b.assemble(
                &Chain::mint(&key_rot_b(), &base_identifier(), vec![])?.identifier_bytes,
                &[],
                &rot_b.final_tag()?,
            ),
        ),
    ]);

    // The order of checks (SPEC.md §6.4): these two vectors carry two defects on purpose.
    let expired_unknown = Chain::mint(
        &key_main(),
        &with_token_id("tok-0100"),
        vec![
            Cav::typed(&time(NOW))?,
            Cav::raw(vec![0x82, 0x18, 0x63, 0x00]),
        ],
    )?;
    out.push(
        Vector::new(
            "order_forged_token_never_reaches_caveats",
            "Order of checks: a token with an expired caveat and an unknown caveat, verified \
             with the wrong key, fails with tokenInvalid (verification precedes clearing).",
            expired_unknown,
            invalid(),
        )?
        .keys(Some(key_other()), &[]),
    );
    let two_failures = Chain::mint(
        &key_main(),
        &with_token_id("tok-0101"),
        vec![Cav::typed(&ip(&["10.0.0.0/8"]))?, Cav::typed(&time(NOW))?],
    )?;
    out.push(
        Vector::new(
            "order_first_failing_caveat_reported",
            "Order of checks: caveat 0 (ip) and caveat 1 (time) both fail; caveat 0 is \
             reported.",
            two_failures,
            unverified(0, &ip(&["10.0.0.0/8"]), ip_not_listed("192.0.2.1")),
        )?
        .ip("192.0.2.1"),
    );
    Ok(out)
}
