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
use crate::third_party::Span;
use crate::token::Token;

/// Longest packet the four hex digits can describe.
const MAX_PACKET: usize = 0xffff;
/// Bytes a packet adds around its key and value: four digits, a space and a newline.
const PACKET_OVERHEAD: usize = 6;

const KEY_LOCATION: &[u8] = b"location";
const KEY_IDENTIFIER: &[u8] = b"identifier";
const KEY_CID: &[u8] = b"cid";
const KEY_VID: &[u8] = b"vid";
const KEY_CL: &[u8] = b"cl";
const KEY_SIGNATURE: &[u8] = b"signature";

/// One packet: its key and where its value lies in the input.
struct Packet<'a> {
    key: &'a [u8],
    value: Range<usize>,
}

/// Reads packets from untrusted bytes.
struct Packets<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Packets<'a> {
    fn next(&mut self) -> Result<Option<Packet<'a>>, Error> {
        if self.pos == self.raw.len() {
            return Ok(None);
        }
        let start = self.pos;
        let header = self
            .raw
            .get(start..start + 4)
            .ok_or(Error::bad("truncated packet length"))?;
        let mut len = 0usize;
        for &d in header {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                _ => return Err(Error::bad("packet length must be 4 lowercase hex digits")),
            };
            len = len * 16 + usize::from(v);
        }
        if len < PACKET_OVERHEAD {
            return Err(Error::bad("packet too short"));
        }
        let end = start
            .checked_add(len)
            .filter(|&e| e <= self.raw.len())
            .ok_or(Error::bad("packet length exceeds the input"))?;
        let body = &self.raw[start + 4..end];
        let (&last, body) = body.split_last().ok_or(Error::bad("packet too short"))?;
        if last != b'\n' {
            return Err(Error::bad("packet does not end with a newline"));
        }
        let space = body
            .iter()
            .position(|&b| b == b' ')
            .ok_or(Error::bad("packet has no key"))?;
        self.pos = end;
        Ok(Some(Packet {
            key: &body[..space],
            value: start + 4 + space + 1..end - 1,
        }))
    }
}

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
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Token, Error> {
    if raw.len() > limits.max_token_bytes {
        return Err(Error::TokenTooLarge {
            limit: "size",
            max: limits.max_token_bytes,
        });
    }
    let (identifier, caveats, spans, tag) = {
        let mut packets = Packets { raw: &raw, pos: 0 };
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
        let mut spans: Vec<Span> = Vec::new();
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
                    spans.push(Span {
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
                    super::check_part(&raw[p.value.clone()], limits, "empty caveat location")?;
                    super::check_utf8(&raw[p.value.clone()], "caveat location is not UTF-8")?;
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
    Ok(Token {
        format: Format::MacaroonV1,
        raw,
        identifier,
        caveats,
        tag,
        third_party: spans,
    })
}

/// The location: the value of the first packet.
pub(crate) fn location(raw: &[u8]) -> &[u8] {
    // Invariant: a Token of this format exists only if its first packet is a location packet.
    let mut packets = Packets { raw, pos: 0 };
    match packets.next() {
        Ok(Some(p)) => &raw[p.value],
        _ => &[],
    }
}

fn write_packet(
    out: &mut Vec<u8>,
    key: &[u8],
    value: &[u8],
    too_long: fn() -> Error,
) -> Result<Range<usize>, Error> {
    let len = PACKET_OVERHEAD + key.len() + value.len();
    if len > MAX_PACKET {
        return Err(too_long());
    }
    out.extend_from_slice(format!("{len:04x}").as_bytes());
    out.extend_from_slice(key);
    out.push(b' ');
    let start = out.len();
    out.extend_from_slice(value);
    let end = out.len();
    out.push(b'\n');
    Ok(start..end)
}

/// Writes the packets as libmacaroons does: the location packet always (possibly empty), `vid`
/// and `cl` only when not empty.
pub(crate) fn assemble(
    location: &[u8],
    identifier: &[u8],
    caveats: &[Parts<'_>],
    tag: &Tag,
) -> Result<Token, Error> {
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
        Error::BadValueIdentifier {
            key: "location",
            reason: "too long for a V1 packet (65,535 bytes)",
        }
    })?;
    let identifier = write_packet(&mut raw, KEY_IDENTIFIER, identifier, || {
        Error::BadValueIdentifier {
            key: "identifier",
            reason: "too long for a V1 packet (65,535 bytes)",
        }
    })?;
    let mut ranges = Vec::with_capacity(caveats.len());
    let mut spans = Vec::new();
    for (index, c) in caveats.iter().enumerate() {
        let cid = write_packet(&mut raw, KEY_CID, c.cid, long_caveat)?;
        ranges.push(cid.clone());
        if let Some(vid) = c.vid {
            let vid = write_packet(&mut raw, KEY_VID, vid, long_caveat)?;
            let location = if c.location.is_empty() {
                None
            } else {
                Some(write_packet(&mut raw, KEY_CL, c.location, long_caveat)?)
            };
            spans.push(Span {
                index,
                cid,
                vid,
                location,
            });
        }
    }
    let tag = write_packet(&mut raw, KEY_SIGNATURE, tag.as_bytes(), long_caveat)?;
    Ok(Token {
        format: Format::MacaroonV1,
        raw,
        identifier,
        caveats: ranges,
        tag,
        third_party: spans,
    })
}
