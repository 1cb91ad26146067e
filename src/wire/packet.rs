//! The libmacaroons V1 packet layer, shared by the V1 format (SPEC.md §11) and Onedata's
//! (SPEC.md §10): `hhhh key SP value LF`, where `hhhh` is the packet's total length in four
//! lowercase hex digits.

use std::ops::Range;

use crate::error::Error;

/// Longest packet the four hex digits can describe.
pub(crate) const MAX_PACKET: usize = 0xffff;
/// Bytes a packet adds around its key and value: four digits, a space and a newline.
pub(crate) const PACKET_OVERHEAD: usize = 6;

pub(crate) const KEY_LOCATION: &[u8] = b"location";
pub(crate) const KEY_IDENTIFIER: &[u8] = b"identifier";
pub(crate) const KEY_CID: &[u8] = b"cid";
#[cfg(feature = "macaroons")]
pub(crate) const KEY_VID: &[u8] = b"vid";
#[cfg(feature = "macaroons")]
pub(crate) const KEY_CL: &[u8] = b"cl";
pub(crate) const KEY_SIGNATURE: &[u8] = b"signature";

/// One packet: its key and where its value lies in the input.
pub(crate) struct Packet<'a> {
    pub(crate) key: &'a [u8],
    pub(crate) value: Range<usize>,
}

/// Reads packets from untrusted bytes.
pub(crate) struct Packets<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Packets<'a> {
    /// A reader at the start of `raw`.
    pub(crate) fn new(raw: &'a [u8]) -> Self {
        Self { raw, pos: 0 }
    }

    /// The next packet, `None` at the end of the input.
    pub(crate) fn next(&mut self) -> Result<Option<Packet<'a>>, Error> {
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

/// Appends one packet; returns where its value lies. `too_long` is the error for a packet
/// over [`MAX_PACKET`].
pub(crate) fn write_packet(
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
