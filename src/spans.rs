//! A token's bytes and where each of its parts lies: what every decoder produces and every
//! encoder reads, below [`crate::Token`], which wraps it after one check.
//!
//! The codecs work on [`Spans`] only, so that they need nothing of the token's API; the one way
//! from spans to a [`crate::Token`] is `Token::from_spans`, which checks that every range lies in
//! the bytes and that the tag is exactly 32 bytes.

use std::ops::Range;

use crate::chain::TAG_LEN;
use crate::format::Format;

/// The parts of a token, as ranges into its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spans {
    pub(crate) format: Format,
    /// The token's bytes in its format's binary form, exactly as received or minted (for V2J,
    /// the V2 binary form of its fields).
    pub(crate) raw: Vec<u8>,
    pub(crate) identifier: Range<usize>,
    /// Each caveat's bytes, as MACed: a first-party caveat's encoding or predicate; a
    /// third-party caveat's id (libmacaroons formats) or whole encoding (native).
    pub(crate) caveats: Vec<Range<usize>>,
    pub(crate) tag: Range<usize>,
    /// The third-party caveats, by caveat position, in chain order.
    pub(crate) third_party: Vec<ThirdPartySpan>,
}

/// The ranges of a third-party caveat's parts in a token's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ThirdPartySpan {
    /// The caveat's position in the chain.
    pub(crate) index: usize,
    /// The caveat id (the discharge's identifier).
    pub(crate) cid: Range<usize>,
    /// The verification id.
    pub(crate) vid: Range<usize>,
    /// The location, when the token carries one.
    pub(crate) location: Option<Range<usize>>,
}

impl Spans {
    /// Whether every range lies in the bytes, the tag is [`TAG_LEN`] bytes, and the
    /// third-party caveats are in chain order at caveat positions that exist.
    pub(crate) fn is_consistent(&self) -> bool {
        let len = self.raw.len();
        let inside = |r: &Range<usize>| r.start <= r.end && r.end <= len;
        inside(&self.identifier)
            && self.caveats.iter().all(inside)
            && inside(&self.tag)
            && self.tag.len() == TAG_LEN
            && self.third_party.windows(2).all(|w| w[0].index < w[1].index)
            && self.third_party.iter().all(|s| {
                s.index < self.caveats.len()
                    && inside(&s.cid)
                    && inside(&s.vid)
                    && s.location.as_ref().is_none_or(inside)
            })
    }

    /// The identifier bytes exactly as MACed.
    pub(crate) fn identifier_bytes(&self) -> &[u8] {
        self.raw.get(self.identifier.clone()).unwrap_or_default()
    }

    /// Each caveat's bytes exactly as MACed, in chain order.
    pub(crate) fn caveat_bytes(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.caveats
            .iter()
            .map(|r| self.raw.get(r.clone()).unwrap_or_default())
    }

    /// The tag bytes as carried.
    pub(crate) fn tag_bytes(&self) -> &[u8] {
        self.raw.get(self.tag.clone()).unwrap_or_default()
    }

    /// The bytes of `range` (empty if it does not lie in the token, which a consistent token
    /// never has).
    pub(crate) fn slice(&self, range: &Range<usize>) -> &[u8] {
        self.raw.get(range.clone()).unwrap_or_default()
    }
}
