//! libmacaroons' V1 format: packets `hhhh key SP value LF`, `hhhh` the whole packet's length in
//! four lowercase hex digits, in the order
//!
//! ```text
//! location identifier ( cid [ vid [ cl ] ] )* signature
//! ```
//!
//! The text form is the packets in base64 (either alphabet, padded or not, when read; URL-safe
//! without padding when written, as pymacaroons and libmacaroons write it).

use std::ops::Range;

use super::Parts;
use crate::chain::{Tag, TAG_LEN};
use crate::codec::{Format, Limits};
use crate::error::Error;
use crate::spans::Spans;
use crate::spans::ThirdPartySpan;
use crate::wire::packet::{
    write_packet, Packets, KEY_CID, KEY_CL, KEY_IDENTIFIER, KEY_LOCATION, KEY_SIGNATURE, KEY_VID,
};

/// Whether `raw` starts like a V1 macaroon: four lowercase hex digits, then `location `.
pub(crate) fn starts_with_location(raw: &[u8]) -> bool {
    raw.len() > 4 + KEY_LOCATION.len()
        && raw[..4]
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && raw[4..4 + KEY_LOCATION.len()] == *KEY_LOCATION
        && raw[4 + KEY_LOCATION.len()] == b' '
}

/// Decodes the packets. `raw` is kept as the token's bytes.
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    limits.check_token_bytes(raw.len())?;
    let (identifier, caveats, spans, tag) = {
        let mut packets = Packets::new(&raw);
        let location = match packets.next()? {
            Some(p) if p.key == KEY_LOCATION => p.value,
            _ => return Err(Error::bad("missing location packet")),
        };
        super::check_location(&raw[location], limits)?;
        let identifier = match packets.next()? {
            Some(p) if p.key == KEY_IDENTIFIER => p.value,
            _ => return Err(Error::bad("missing identifier packet")),
        };
        super::check_identifier(&raw[identifier.clone()], limits)?;
        let mut caveats: Vec<Range<usize>> = Vec::new();
        let mut spans: Vec<ThirdPartySpan> = Vec::new();
        // The key of the previous packet: `vid` must follow a `cid`, `cl` a `vid`.
        let mut previous: &[u8] = KEY_IDENTIFIER;
        let tag = loop {
            let Some(p) = packets.next()? else {
                return Err(Error::bad("missing signature packet"));
            };
            match p.key {
                KEY_CID => {
                    super::check_caveat_count(caveats.len(), limits)?;
                    super::check_part(&raw[p.value.clone()], limits, "empty caveat id")?;
                    caveats.push(p.value);
                }
                KEY_VID => {
                    let (Some(cid), KEY_CID) = (caveats.last(), previous) else {
                        return Err(Error::bad("vid packet not right after a cid packet"));
                    };
                    super::check_part(&raw[p.value.clone()], limits, "empty vid")?;
                    spans.push(ThirdPartySpan {
                        index: caveats.len() - 1,
                        cid: cid.clone(),
                        vid: p.value,
                        location: None,
                    });
                }
                KEY_CL => {
                    let (Some(span), KEY_VID) = (spans.last_mut(), previous) else {
                        return Err(Error::bad("cl packet not right after a vid packet"));
                    };
                    // An empty `cl` is an empty location: libmacaroons and go-macaroon write
                    // one for a third-party caveat without a location.
                    super::check_caveat_location(&raw[p.value.clone()], limits)?;
                    span.location = Some(p.value);
                }
                KEY_SIGNATURE => break p.value,
                KEY_LOCATION | KEY_IDENTIFIER => {
                    return Err(Error::bad("duplicate location or identifier packet"))
                }
                _ => return Err(Error::bad("unknown packet key")),
            }
            previous = p.key;
        };
        if tag.len() != TAG_LEN {
            return Err(Error::bad("signature must be 32 bytes"));
        }
        if packets.next()?.is_some() {
            return Err(Error::bad("data after the signature packet"));
        }
        (identifier, caveats, spans, tag)
    };
    Ok(Spans {
        format: Format::MacaroonV1,
        raw,
        identifier,
        caveats: caveats.into(),
        tag,
        third_party: spans,
    })
}

/// The location: the value of the first packet.
pub(crate) fn location(raw: &[u8]) -> &[u8] {
    // Invariant: a Token of this format exists only if its first packet is a location packet.
    let mut packets = Packets::new(raw);
    match packets.next() {
        Ok(Some(p)) => &raw[p.value],
        _ => &[],
    }
}

/// Writes the packets as libmacaroons does: the location packet always (possibly empty), and
/// for a third-party caveat both `vid` and `cl` (possibly empty: libmacaroons 0.3.0 reads a
/// third-party caveat only when it has both).
pub(crate) fn assemble(
    location: &[u8],
    identifier: &[u8],
    caveats: &[Parts<'_>],
    tag: &Tag,
) -> Result<Spans, Error> {
    let long_caveat = || Error::bad_caveat("caveat", "too long for a V1 packet (65,535 bytes)");
    let mut raw = Vec::with_capacity(
        location.len()
            + identifier.len()
            + caveats
                .iter()
                .map(|c| c.cid.len() + c.vid.map_or(0, <[u8]>::len) + c.location.len() + 20)
                .sum::<usize>()
            + 80,
    );
    write_packet(&mut raw, KEY_LOCATION, location, || {
        Error::bad_identifier("location", "too long for a V1 packet (65,535 bytes)")
    })?;
    let identifier = write_packet(&mut raw, KEY_IDENTIFIER, identifier, || {
        Error::bad_identifier("identifier", "too long for a V1 packet (65,535 bytes)")
    })?;
    let mut ranges = Vec::with_capacity(caveats.len());
    let mut spans = Vec::new();
    for (index, c) in caveats.iter().enumerate() {
        let cid = write_packet(&mut raw, KEY_CID, c.cid, long_caveat)?;
        ranges.push(cid.clone());
        if let Some(vid) = c.vid {
            let vid = write_packet(&mut raw, KEY_VID, vid, long_caveat)?;
            let location = Some(write_packet(&mut raw, KEY_CL, c.location, long_caveat)?);
            spans.push(ThirdPartySpan {
                index,
                cid,
                vid,
                location,
            });
        }
    }
    let tag = write_packet(&mut raw, KEY_SIGNATURE, tag.as_bytes(), long_caveat)?;
    Ok(Spans {
        format: Format::MacaroonV1,
        raw,
        identifier,
        caveats: ranges.into(),
        tag,
        third_party: spans,
    })
}
