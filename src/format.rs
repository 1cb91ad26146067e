//! The token formats: which one a token is in, their names, and the constants that mark them.

/// The native envelope version this crate writes and the only one it reads.
pub const NATIVE_VERSION: u64 = 1;

/// The native text form's fixed prefix: names the format (`cvt`, caveat-token) and its version.
pub const NATIVE_TEXT_PREFIX: &str = "cvt1_";

/// Every Onedata token's text starts with this. The location packet comes first, and its length
/// (14 + a location of at most 255 bytes, so at most `010d`) starts with the digits `00` or
/// `01`, whose base64 starts `MDA`, `MDB` or `MDE` (no escape applies to those characters).
#[cfg(feature = "onedata")]
pub const ONEDATA_TEXT_START: &str = "MD";

/// The Onedata identifier version this crate reads and writes (Onedata's version 2).
#[cfg(feature = "onedata")]
pub const ONEDATA_IDENTIFIER_VERSION: &str = "2";

/// The token formats this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The native CBOR format (SPEC.md §4), text prefix `cvt1_`.
    Native,
    #[cfg(feature = "onedata")]
    /// Onedata's format (SPEC.md §10): libmacaroons v1 packets, base64url, Onedata's
    /// escape; its text starts with `MD`.
    Onedata,
    #[cfg(feature = "macaroons")]
    /// libmacaroons' V1 format (SPEC.md §11): packets in base64; opaque identifier.
    MacaroonV1,
    #[cfg(feature = "macaroons")]
    /// libmacaroons' V2 binary format: fields after a `0x02` byte, in base64 (`Ag…`); opaque
    /// identifier.
    MacaroonV2,
    #[cfg(feature = "macaroons")]
    /// libmacaroons' V2J format: the V2 fields as JSON (`{…}`); opaque identifier.
    MacaroonV2J,
}

impl Format {
    /// Every format whose identifier is a structured [`crate::Identifier`] (what [`crate::Token::mint_as`]
    /// writes and [`crate::Verifier::verify`] reads).
    pub const ALL: &'static [Format] = &[
        Self::Native,
        #[cfg(feature = "onedata")]
        Self::Onedata,
    ];

    /// libmacaroons' formats, whose identifiers are opaque bytes (see [`crate::Token::mint_macaroon`]
    /// and [`crate::Verifier::verify_macaroon`]).
    pub const MACAROON: &'static [Format] = &[
        #[cfg(feature = "macaroons")]
        Self::MacaroonV1,
        #[cfg(feature = "macaroons")]
        Self::MacaroonV2,
        #[cfg(feature = "macaroons")]
        Self::MacaroonV2J,
    ];

    /// The format's name as the CLI spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            #[cfg(feature = "onedata")]
            Self::Onedata => "onedata",
            #[cfg(feature = "macaroons")]
            Self::MacaroonV1 => "macaroon-v1",
            #[cfg(feature = "macaroons")]
            Self::MacaroonV2 => "macaroon-v2",
            #[cfg(feature = "macaroons")]
            Self::MacaroonV2J => "macaroon-v2j",
        }
    }

    /// Looks a format up by its name (`native`, `onedata`, `macaroon-v1`, `macaroon-v2`,
    /// `macaroon-v2j`): `None` for a format whose cargo feature is off.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .chain(Self::MACAROON)
            .copied()
            .find(|f| f.name() == name)
    }

    /// Whether this is one of libmacaroons' formats (opaque identifiers, UTF-8 predicates).
    #[must_use]
    pub fn is_macaroon(self) -> bool {
        Self::MACAROON.contains(&self)
    }
}

impl std::fmt::Display for Format {
    /// The name, as [`Format::name`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
