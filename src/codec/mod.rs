//! Turning tokens into bytes and text and back: format detection, limits, and one submodule per
//! format. Every decoder here is strict, bounded by [`Limits`] and total (it answers every input
//! with a value or a typed error).

pub(crate) mod cbor;
pub mod native;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::caveat::Caveat;
use crate::chain::Tag;
use crate::error::Error;
use crate::token::{Identifier, Token};

/// The token formats this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The native CBOR format (SPEC.md §4), text prefix `cvt1_`.
    Native,
}

impl Format {
    /// The format's name as the CLI spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
        }
    }
}

/// Decoding limits, checked before anything is allocated. The defaults are in SPEC.md §7;
/// every conforming implementation must accept at least the SPEC's minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest token, in bytes of its binary form (the text form may be 4/3 of that plus the
    /// prefix). Default 16 KiB.
    pub max_token_bytes: usize,
    /// Most caveats in one token. Default 256.
    pub max_caveats: usize,
    /// Largest single caveat, in bytes. Default 1 KiB.
    pub max_caveat_bytes: usize,
    /// Largest identifier, in bytes. Default 2 KiB.
    pub max_identifier_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_token_bytes: 16 * 1024,
            max_caveats: 256,
            max_caveat_bytes: 1024,
            max_identifier_bytes: 2048,
        }
    }
}

impl Limits {
    /// The longest text form these limits allow (base64 expansion plus the longest prefix).
    #[must_use]
    pub fn max_text_len(&self) -> usize {
        self.max_token_bytes
            .saturating_add(2)
            .saturating_div(3)
            .saturating_mul(4)
            .saturating_add(native::TEXT_PREFIX.len())
    }
}

/// Decodes a token's text form, detecting its format.
pub(crate) fn decode_text(text: &str, limits: &Limits) -> Result<Token, Error> {
    if text.len() > limits.max_text_len() {
        return Err(Error::TokenTooLarge {
            limit: "size",
            max: limits.max_token_bytes,
        });
    }
    if text.is_empty() {
        return Err(Error::bad("empty input"));
    }
    if let Some(body) = text.strip_prefix(native::TEXT_PREFIX) {
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| Error::bad("invalid base64url (unpadded, URL-safe alphabet)"))?;
        return native::decode(raw, limits);
    }
    if native::looks_like_other_version(text) {
        return Err(Error::bad("unsupported version"));
    }
    Err(Error::bad("unknown token format"))
}

/// The text form of a token.
pub(crate) fn encode_text(token: &Token) -> String {
    match token.format {
        Format::Native => {
            let mut out =
                String::with_capacity(native::TEXT_PREFIX.len() + token.raw.len() * 4 / 3 + 4);
            out.push_str(native::TEXT_PREFIX);
            URL_SAFE_NO_PAD.encode_string(&token.raw, &mut out);
            out
        }
    }
}

pub(crate) fn encode_caveat(format: Format, caveat: &Caveat) -> Result<Vec<u8>, Error> {
    match format {
        Format::Native => Ok(caveat.to_native()),
    }
}

pub(crate) fn decode_caveat(format: Format, index: usize, bytes: &[u8]) -> Result<Caveat, Error> {
    match format {
        Format::Native => Caveat::from_native(bytes).map_err(|_| Error::TokenCaveatUnknown {
            index,
            caveat: hex_excerpt(bytes),
        }),
    }
}

pub(crate) fn decode_identifier(format: Format, bytes: &[u8]) -> Result<Identifier<'_>, Error> {
    match format {
        Format::Native => native::decode_identifier(bytes),
    }
}

/// A copy of `token` with one more caveat and the new tag.
pub(crate) fn reassemble(token: &Token, caveat: &[u8], tag: &Tag) -> Token {
    match token.format {
        Format::Native => {
            let caveats: Vec<&[u8]> = token
                .caveat_bytes()
                .chain(std::iter::once(caveat))
                .collect();
            native::assemble(token.identifier_bytes(), &caveats, tag)
        }
    }
}

/// Most bytes of an undecodable caveat shown (as hex) in an error's details.
pub(crate) const MAX_ERROR_EXCERPT: usize = 64;

/// Hex of at most [`MAX_ERROR_EXCERPT`] bytes, with `…` when cut.
pub(crate) fn hex_excerpt(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_ERROR_EXCERPT {
        hex::encode(bytes)
    } else {
        format!("{}…", hex::encode(&bytes[..MAX_ERROR_EXCERPT]))
    }
}
