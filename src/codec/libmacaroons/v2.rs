//! libmacaroons' V2 binary format: the version byte `0x02`, then sections of fields
//! `type: uvarint, length: uvarint, bytes`, each section ended by EOS (a zero byte):
//!
//! ```text
//! macaroon = 0x02 [LOCATION] IDENTIFIER EOS ( [LOCATION] IDENTIFIER [VID] EOS )* EOS SIGNATURE
//! LOCATION = 1, IDENTIFIER = 2, VID = 4, SIGNATURE = 6
//! ```
//!
//! The text form is base64 of those bytes (read in either alphabet, padded or not; written
//! URL-safe without padding, so it starts with `Ag`).

use std::ops::Range;

use super::Parts;
use crate::chain::{Tag, TAG_LEN};
use crate::codec::{Format, Limits};
use crate::error::Error;
use crate::spans::Spans;
use crate::spans::ThirdPartySpan;

/// The version byte.
pub(crate) const VERSION: u8 = 2;

const EOS: u64 = 0;
const LOCATION: u64 = 1;
const IDENTIFIER: u64 = 2;
const VID: u64 = 4;
const SIGNATURE: u64 = 6;

/// Most bytes of a uvarint that fits 64 bits (7 bits per byte).
const MAX_VARINT_BYTES: usize = 10;

/// The fields of one section, by type.
#[derive(Default)]
struct Section {
    location: Option<Range<usize>>,
    identifier: Option<Range<usize>>,
    vid: Option<Range<usize>>,
}

/// Reads fields from untrusted bytes.
struct Fields<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Fields<'_> {
    /// A uvarint in its shortest form (no trailing zero byte beyond the first).
    fn varint(&mut self) -> Result<u64, Error> {
        let mut value = 0u64;
        for i in 0..MAX_VARINT_BYTES {
            let b = *self
                .raw
                .get(self.pos)
                .ok_or(Error::bad("truncated varint"))?;
            self.pos += 1;
            let bits = u64::from(b & 0x7f);
            if i == MAX_VARINT_BYTES - 1 && b > 1 {
                return Err(Error::bad("varint overflows 64 bits"));
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(Error::bad("non-minimal varint"));
                }
                return Ok(value);
            }
        }
        Err(Error::bad("varint overflows 64 bits"))
    }

    /// The next field: its type and the range of its bytes, or `None` at EOS.
    fn field(&mut self) -> Result<Option<(u64, Range<usize>)>, Error> {
        let ty = self.varint()?;
        if ty == EOS {
            return Ok(None);
        }
        if !matches!(ty, LOCATION | IDENTIFIER | VID | SIGNATURE) {
            return Err(Error::bad("unknown field type"));
        }
        let len = self.varint()?;
        let start = self.pos;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.raw.len())
            .ok_or(Error::bad("field length exceeds the input"))?;
        self.pos = end;
        Ok(Some((ty, start..end)))
    }

    /// A section up to its EOS: field types strictly increasing, each one of `allowed`.
    fn section(&mut self, allowed: &[u64]) -> Result<Section, Error> {
        let mut section = Section::default();
        let mut last = EOS;
        while let Some((ty, range)) = self.field()? {
            if ty <= last {
                return Err(Error::bad("field types out of order in a section"));
            }
            if !allowed.contains(&ty) {
                return Err(Error::bad("field not allowed in this section"));
            }
            last = ty;
            match ty {
                LOCATION => section.location = Some(range),
                IDENTIFIER => section.identifier = Some(range),
                _ => section.vid = Some(range),
            }
        }
        Ok(section)
    }
}

/// Decodes the binary form. `raw` is kept as the token's bytes.
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    limits.check_token_bytes(raw.len())?;
    let (identifier, caveats, spans, tag) = {
        if raw.first() != Some(&VERSION) {
            return Err(Error::bad("not a V2 macaroon (first byte must be 2)"));
        }
        let mut fields = Fields { raw: &raw, pos: 1 };
        let header = fields.section(&[LOCATION, IDENTIFIER])?;
        if let Some(location) = &header.location {
            // An empty location field is accepted: pymacaroons writes one.
            super::check_location(&raw[location.clone()], limits)?;
        }
        let identifier = header
            .identifier
            .ok_or(Error::bad("missing identifier field"))?;
        super::check_identifier(&raw[identifier.clone()], limits)?;
        let mut caveats = Vec::new();
        let mut spans = Vec::new();
        loop {
            match raw.get(fields.pos) {
                None => return Err(Error::bad("missing end of caveats")),
                Some(0) => {
                    fields.pos += 1;
                    break;
                }
                Some(_) => {}
            }
            super::check_caveat_count(caveats.len(), limits)?;
            let section = fields.section(&[LOCATION, IDENTIFIER, VID])?;
            let cid = section
                .identifier
                .ok_or(Error::bad("caveat without identifier field"))?;
            super::check_part(&raw[cid.clone()], limits, "empty caveat id")?;
            match (section.vid, section.location) {
                (None, Some(_)) => return Err(Error::bad("location without vid in a caveat")),
                (None, None) => {}
                (Some(vid), location) => {
                    super::check_part(&raw[vid.clone()], limits, "empty vid")?;
                    if let Some(l) = &location {
                        super::check_location(&raw[l.clone()], limits)?;
                    }
                    spans.push(ThirdPartySpan {
                        index: caveats.len(),
                        cid: cid.clone(),
                        vid,
                        location,
                    });
                }
            }
            caveats.push(cid);
        }
        let tag = match fields.field()? {
            Some((SIGNATURE, range)) => range,
            _ => return Err(Error::bad("missing signature field")),
        };
        if tag.len() != TAG_LEN {
            return Err(Error::bad("signature must be 32 bytes"));
        }
        if fields.pos != raw.len() {
            return Err(Error::bad("trailing bytes"));
        }
        (identifier, caveats, spans, tag)
    };
    Ok(Spans {
        format: Format::MacaroonV2,
        raw,
        identifier,
        caveats: caveats.into(),
        tag,
        third_party: spans,
    })
}

/// The location of a decoded token (empty when it has none).
pub(crate) fn location(raw: &[u8]) -> &[u8] {
    location_field(raw).unwrap_or_default()
}

fn write_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        // Truncation intended: the low seven bits, with the continuation bit.
        out.push(u8::try_from(n & 0x7f).unwrap_or(0) | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).unwrap_or(0));
}

fn write_field(out: &mut Vec<u8>, ty: u64, value: &[u8]) -> Range<usize> {
    write_varint(out, ty);
    write_varint(out, u64::try_from(value.len()).unwrap_or(u64::MAX));
    let start = out.len();
    out.extend_from_slice(value);
    start..out.len()
}

/// One caveat as its V2 fields. A location field may be present and empty (pymacaroons writes
/// one), which is not the same bytes as no field: `None` is no field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldCaveat<'a> {
    /// The caveat id.
    pub(crate) cid: &'a [u8],
    /// The verification id of a third-party caveat.
    pub(crate) vid: Option<&'a [u8]>,
    /// The location field, when present.
    pub(crate) location: Option<&'a [u8]>,
}

/// The location field of a decoded token's header, when present (possibly empty).
pub(crate) fn location_field(raw: &[u8]) -> Option<&[u8]> {
    // Invariant: a Token of this format exists only if its header parsed.
    let mut fields = Fields { raw, pos: 1 };
    match fields.field() {
        Ok(Some((LOCATION, range))) => Some(&raw[range]),
        _ => None,
    }
}

/// Writes the binary form as libmacaroons does: empty locations are omitted.
pub(crate) fn assemble(
    location: &[u8],
    identifier: &[u8],
    caveats: &[Parts<'_>],
    tag: &Tag,
) -> Spans {
    let caveats: Vec<FieldCaveat<'_>> = caveats
        .iter()
        .map(|c| FieldCaveat {
            cid: c.cid,
            vid: c.vid,
            location: (c.vid.is_some() && !c.location.is_empty()).then_some(c.location),
        })
        .collect();
    write(
        (!location.is_empty()).then_some(location),
        identifier,
        &caveats,
        tag,
    )
}

/// Writes exactly the given fields: a location field wherever one is given, even empty (the
/// V2 binary of a V2J text that has an empty `l`). A caveat location without a vid is written
/// too, and refused by [`decode`].
pub(crate) fn write(
    location: Option<&[u8]>,
    identifier: &[u8],
    caveats: &[FieldCaveat<'_>],
    tag: &Tag,
) -> Spans {
    let mut raw = Vec::with_capacity(
        location.map_or(0, <[u8]>::len)
            + identifier.len()
            + caveats
                .iter()
                .map(|c| {
                    c.cid.len()
                        + c.vid.map_or(0, <[u8]>::len)
                        + c.location.map_or(0, <[u8]>::len)
                        + 12
                })
                .sum::<usize>()
            + 48,
    );
    raw.push(VERSION);
    if let Some(location) = location {
        write_field(&mut raw, LOCATION, location);
    }
    let identifier = write_field(&mut raw, IDENTIFIER, identifier);
    raw.push(0);
    let mut ranges = Vec::with_capacity(caveats.len());
    let mut spans = Vec::new();
    for (index, c) in caveats.iter().enumerate() {
        let location = c.location.map(|l| write_field(&mut raw, LOCATION, l));
        let cid = write_field(&mut raw, IDENTIFIER, c.cid);
        if let Some(vid) = c.vid {
            let vid = write_field(&mut raw, VID, vid);
            spans.push(ThirdPartySpan {
                index,
                cid: cid.clone(),
                vid,
                location,
            });
        }
        ranges.push(cid);
        raw.push(0);
    }
    raw.push(0);
    let tag = write_field(&mut raw, SIGNATURE, tag.as_bytes());
    Spans {
        format: Format::MacaroonV2,
        raw,
        identifier,
        caveats: ranges.into(),
        tag,
        third_party: spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_minimal_and_bounded() {
        let read = |b: &[u8]| Fields { raw: b, pos: 0 }.varint();
        assert_eq!(read(&[0]).expect("0"), 0);
        assert_eq!(read(&[0x7f]).expect("127"), 127);
        assert_eq!(read(&[0x80, 0x01]).expect("128"), 128);
        assert!(read(&[0x80, 0x00]).is_err());
        assert!(read(&[0x80]).is_err());
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read(&max).expect("max"), u64::MAX);
        let over = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert!(read(&over).is_err());
        let long = [0x80; 11];
        assert!(read(&long).is_err());
        for n in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, n);
            assert_eq!(read(&out).expect("round trip"), n);
        }
    }
}
