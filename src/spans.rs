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
    pub(crate) caveats: Ranges,
    pub(crate) tag: Range<usize>,
    /// The third-party caveats, by caveat position, in chain order.
    pub(crate) third_party: Vec<ThirdPartySpan>,
}

/// How many caveat ranges a token keeps inline, without allocating: the common case.
const INLINE: usize = 8;

/// The caveats' ranges: inline for up to [`INLINE`] caveats in the first 64 KiB of the bytes
/// (as 16-bit offsets, so that the spans stay small enough to be moved without a `memcpy`
/// call), else a vector. A native token decoded for verification then allocates nothing but
/// its bytes.
#[derive(Clone)]
pub(crate) enum Ranges {
    /// The first `len` items are the ranges, as `[start, end]`.
    Inline {
        /// How many of `items` are in use.
        len: u8,
        /// The ranges, then unused `[0, 0]`.
        items: [[u16; 2]; INLINE],
    },
    /// More than fit inline, or built as a vector by a codec.
    Heap(Vec<Range<usize>>),
}

impl Ranges {
    /// Room for `n` ranges, inline when they fit.
    #[inline]
    pub(crate) fn with_capacity(n: usize) -> Self {
        if n <= INLINE {
            Self::Inline {
                len: 0,
                items: [[0; 2]; INLINE],
            }
        } else {
            Self::Heap(Vec::with_capacity(n))
        }
    }

    /// How many ranges fit without allocating (more).
    pub(crate) fn capacity(&self) -> usize {
        match self {
            Self::Inline { .. } => INLINE,
            Self::Heap(v) => v.capacity(),
        }
    }

    /// How many ranges there are.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Inline { len, .. } => usize::from(*len),
            Self::Heap(v) => v.len(),
        }
    }

    /// Appends a range, moving to the heap when it does not fit inline.
    #[inline(always)]
    pub(crate) fn push(&mut self, range: Range<usize>) {
        match self {
            Self::Inline { len, items } => {
                let short = (u16::try_from(range.start), u16::try_from(range.end));
                match (items.get_mut(usize::from(*len)), short) {
                    (Some(slot), (Ok(start), Ok(end))) => {
                        *slot = [start, end];
                        *len += 1;
                    }
                    _ => {
                        let mut heap = Vec::with_capacity(INLINE * 2);
                        heap.extend(self.iter());
                        heap.push(range);
                        *self = Self::Heap(heap);
                    }
                }
            }
            Self::Heap(v) => v.push(range),
        }
    }

    /// The ranges, in order.
    #[inline]
    pub(crate) fn iter(&self) -> RangesIter<'_> {
        match self {
            Self::Inline { len, items } => {
                RangesIter::Inline(items.get(..usize::from(*len)).unwrap_or_default().iter())
            }
            Self::Heap(v) => RangesIter::Heap(v.iter()),
        }
    }
}

/// The iterator of [`Ranges::iter`].
pub(crate) enum RangesIter<'a> {
    /// Over inline ranges.
    Inline(std::slice::Iter<'a, [u16; 2]>),
    /// Over a vector.
    Heap(std::slice::Iter<'a, Range<usize>>),
}

impl Iterator for RangesIter<'_> {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        match self {
            Self::Inline(it) => it
                .next()
                .map(|&[start, end]| usize::from(start)..usize::from(end)),
            Self::Heap(it) => it.next().cloned(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Self::Inline(it) => it.size_hint(),
            Self::Heap(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for RangesIter<'_> {}

impl From<Vec<Range<usize>>> for Ranges {
    fn from(v: Vec<Range<usize>>) -> Self {
        Self::Heap(v)
    }
}

impl PartialEq for Ranges {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Ranges {}

impl std::fmt::Debug for Ranges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
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
            && self.caveats.iter().all(|r| inside(&r))
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
            .map(|r| self.raw.get(r).unwrap_or_default())
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
