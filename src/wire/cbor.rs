//! A strict, zero-copy reader and a writer for the small CBOR subset the native format uses.
//!
//! Accepted: unsigned integers (major 0), byte strings (2), text strings (3, valid UTF-8),
//! arrays (4) and `null` (0xf6), all with definite lengths and the shortest head (RFC 8949
//! §4.2.1 "preferred serialization"). Everything else (negative integers, maps, tags, floats,
//! indefinite lengths, non-minimal heads, reserved additional information) is rejected, so each
//! value has exactly one encoding and decoding never recurses on attacker-chosen depth.

use crate::error::Error;

/// Major types used by the format.
pub(crate) const MAJOR_UINT: u8 = 0;
pub(crate) const MAJOR_BYTES: u8 = 2;
pub(crate) const MAJOR_TEXT: u8 = 3;
pub(crate) const MAJOR_ARRAY: u8 = 4;
/// The one simple value used: `null`.
pub(crate) const NULL: u8 = 0xf6;

/// A reader over untrusted bytes. Every method either consumes a well-formed item or fails
/// without consuming.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), Error> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::bad("trailing bytes"))
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(truncated)?;
        let out = &self.input[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Reads a head of the given major type and returns its argument, enforcing minimality.
    /// Consumes nothing on failure. Errors are only built on the failure paths: this runs once
    /// per item of every token verified.
    #[inline]
    fn head(&mut self, major: u8) -> Result<u64, Error> {
        let b = self.peek().ok_or_else(truncated)?;
        if b >> 5 != major {
            return Err(wrong_type(b >> 5));
        }
        let info = b & 0x1f;
        if info < 24 {
            self.pos += 1;
            return Ok(u64::from(info));
        }
        self.long_head(info)
    }

    /// The rest of [`Reader::head`]: an argument in the 1, 2, 4 or 8 bytes after the first.
    fn long_head(&mut self, info: u8) -> Result<u64, Error> {
        let (len, min) = match info {
            24 => (1, 24),
            25 => (2, 0x100),
            26 => (4, 0x1_0000),
            27 => (8, 0x1_0000_0000),
            31 => return Err(Error::bad("indefinite length")),
            _ => return Err(Error::bad("reserved additional information")),
        };
        let start = self.pos + 1;
        let arg = start
            .checked_add(len)
            .and_then(|end| self.input.get(start..end))
            .ok_or_else(truncated)?;
        let value = arg.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        if value < min {
            return Err(Error::bad("non-minimal integer encoding"));
        }
        self.pos = start + len;
        Ok(value)
    }

    /// An unsigned integer.
    pub(crate) fn uint(&mut self) -> Result<u64, Error> {
        self.head(MAJOR_UINT)
    }

    /// A byte string of at most `max` bytes (checked before anything is sliced).
    #[inline]
    pub(crate) fn bytes(&mut self, max: usize) -> Result<&'a [u8], Error> {
        match self.short_string(MAJOR_BYTES, max) {
            Some(b) => Ok(b),
            None => self.string(MAJOR_BYTES, max),
        }
    }

    /// A UTF-8 text string of at most `max` bytes.
    #[inline]
    pub(crate) fn text(&mut self, max: usize) -> Result<&'a str, Error> {
        let start = self.pos;
        if let Some(raw) = self.short_string(MAJOR_TEXT, max) {
            if let Ok(text) = std::str::from_utf8(raw) {
                return Ok(text);
            }
            self.pos = start;
        }
        self.text_slow(max)
    }

    /// A text string's bytes, of at most `max`, without the UTF-8 check (for callers that
    /// accept an ASCII subset only, which implies valid UTF-8).
    #[inline]
    pub(crate) fn text_bytes(&mut self, max: usize) -> Result<&'a [u8], Error> {
        match self.short_string(MAJOR_TEXT, max) {
            Some(b) => Ok(b),
            None => self.string(MAJOR_TEXT, max),
        }
    }

    /// The common case of [`Reader::bytes`] and [`Reader::text`], inlined: a string shorter than
    /// 24 bytes (its length in the head byte) that is all there and within `max`. `None`, with
    /// nothing consumed, sends every other case, and every error, to the general path.
    #[inline]
    fn short_string(&mut self, major: u8, max: usize) -> Option<&'a [u8]> {
        let head = *self.input.get(self.pos)?;
        let len = usize::from(head & 0x1f);
        if head >> 5 != major || len >= 24 || len > max {
            return None;
        }
        let start = self.pos + 1;
        let out = self.input.get(start..start + len)?;
        self.pos = start + len;
        Some(out)
    }

    fn text_slow(&mut self, max: usize) -> Result<&'a str, Error> {
        let start = self.pos;
        let raw = self.string(MAJOR_TEXT, max)?;
        std::str::from_utf8(raw).map_err(|_| {
            self.pos = start;
            Error::bad("invalid UTF-8 in text string")
        })
    }

    fn string(&mut self, major: u8, max: usize) -> Result<&'a [u8], Error> {
        let start = self.pos;
        let len = self.head(major)?;
        let remaining = self.input.len() - self.pos;
        let result = match usize::try_from(len) {
            Ok(l) if l > remaining => Err(truncated()),
            Ok(l) if l > max => Err(Error::bad("string longer than allowed")),
            Ok(l) => self.take(l),
            Err(_) => Err(truncated()),
        };
        if result.is_err() {
            self.pos = start;
        }
        result
    }

    /// An array head; returns the declared number of items (at most `max`).
    pub(crate) fn array(&mut self, max: usize) -> Result<usize, Error> {
        let start = self.pos;
        let n = self.head(MAJOR_ARRAY)?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| {
                self.pos = start;
                Error::bad("array longer than allowed")
            })
    }

    /// An array head that must declare exactly `n` items.
    pub(crate) fn array_of(&mut self, n: usize) -> Result<(), Error> {
        let start = self.pos;
        if self.array(n)? == n {
            Ok(())
        } else {
            self.pos = start;
            Err(Error::bad("wrong number of array items"))
        }
    }

    /// `null` if present (consumed, `true`), otherwise nothing consumed (`false`).
    pub(crate) fn null(&mut self) -> bool {
        if self.peek() == Some(NULL) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

fn truncated() -> Error {
    Error::bad("truncated")
}

#[cold]
fn wrong_type(major: u8) -> Error {
    Error::bad(match major {
        1 => "unexpected negative integer",
        5 => "unexpected map",
        6 => "unexpected CBOR tag",
        7 => "unexpected simple value or float",
        _ => "unexpected CBOR type",
    })
}

/// Appends a head with the shortest encoding of `value`.
pub(crate) fn write_head(out: &mut Vec<u8>, major: u8, value: u64) {
    let m = major << 5;
    if let Some(v) = u8::try_from(value).ok().filter(|&v| v < 24) {
        out.push(m | v);
    } else if let Ok(v) = u8::try_from(value) {
        out.extend_from_slice(&[m | 24, v]);
    } else if let Ok(v) = u16::try_from(value) {
        out.push(m | 25);
        out.extend_from_slice(&v.to_be_bytes());
    } else if let Ok(v) = u32::try_from(value) {
        out.push(m | 26);
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

pub(crate) fn write_uint(out: &mut Vec<u8>, v: u64) {
    write_head(out, MAJOR_UINT, v);
}

pub(crate) fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_head(out, MAJOR_BYTES, b.len() as u64);
    out.extend_from_slice(b);
}

pub(crate) fn write_text(out: &mut Vec<u8>, s: &str) {
    write_head(out, MAJOR_TEXT, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn write_array(out: &mut Vec<u8>, n: usize) {
    write_head(out, MAJOR_ARRAY, n as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_heads_round_trip() {
        for v in [
            0u64,
            23,
            24,
            255,
            256,
            65535,
            65536,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_uint(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.uint().expect("uint"), v);
            r.finish().expect("all consumed");
        }
    }

    #[test]
    fn non_minimal_heads_are_rejected() {
        for bad in [
            &[0x18u8, 0x17][..],
            &[0x19, 0x00, 0xff],
            &[0x1a, 0, 0, 0xff, 0xff],
        ] {
            let err = Reader::new(bad).uint().expect_err("non-minimal");
            assert_eq!(err, Error::bad("non-minimal integer encoding"));
        }
    }

    #[test]
    fn rejects_strings_over_the_limit() {
        let mut r = Reader::new(&[0x43, 1, 2, 3]);
        assert_eq!(
            r.bytes(2).expect_err("limit"),
            Error::bad("string longer than allowed")
        );
        assert_eq!(r.bytes(3).expect("fits"), &[1, 2, 3]);
    }

    #[test]
    fn rejects_everything_outside_the_subset() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x5f, 0x41, 0x00, 0xff], "indefinite length"),
            (&[0xc2, 0x40], "unexpected CBOR tag"),
            (&[0xa0], "unexpected map"),
            (&[0x20], "unexpected negative integer"),
            (
                &[0xfb, 0, 0, 0, 0, 0, 0, 0, 0],
                "unexpected simple value or float",
            ),
            (&[0x5c], "reserved additional information"),
            (
                &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "truncated",
            ),
            (&[0x5a, 0xff, 0xff, 0xff, 0xff], "truncated"),
            (&[0x43, 1, 2], "truncated"),
            (&[], "truncated"),
        ];
        for (input, reason) in cases {
            let mut r = Reader::new(input);
            assert_eq!(
                r.bytes(1 << 20).expect_err("reject"),
                Error::bad(reason),
                "{input:?}"
            );
            assert_eq!(r.position(), 0, "a failed read consumes nothing");
        }
    }

    #[test]
    fn a_declared_length_past_the_input_is_truncation_whatever_the_limit() {
        // Eight integers, then a byte string of 5 bytes of which 2 are present. Truncation is
        // reported before the limit, and measured from the string's own position.
        let mut input = vec![0u8; 8];
        input.extend_from_slice(&[0x45, 1, 2]);
        for max in [0, 2, 4, 5, 1 << 20] {
            let mut r = Reader::new(&input);
            for _ in 0..8 {
                assert_eq!(r.uint().expect("uint"), 0);
            }
            assert_eq!(
                r.bytes(max).expect_err("short"),
                Error::bad("truncated"),
                "{max}"
            );
            assert_eq!(r.position(), 8, "a failed read consumes nothing");
        }
        // The same string complete: too long for a limit of 4, fine for 5.
        input.extend_from_slice(&[3, 4, 5]);
        let mut r = Reader::new(&input[8..]);
        assert_eq!(
            r.bytes(4).expect_err("limit"),
            Error::bad("string longer than allowed")
        );
        assert_eq!(r.bytes(5).expect("fits"), &[1, 2, 3, 4, 5]);
    }

    #[test]
    fn text_must_be_utf8() {
        let mut r = Reader::new(&[0x62, 0xc3, 0x28]);
        assert_eq!(
            r.text(10).expect_err("utf8"),
            Error::bad("invalid UTF-8 in text string")
        );
    }
}
