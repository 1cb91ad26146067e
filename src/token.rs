//! What a token says about itself: its identifier (issuer, id, subject, type, persistence, key id)
//! and the [`Token`] container that holds the identifier, caveats and tag as bytes.
//!
//! Holding a [`Token`] proves nothing: everything read from it before verification is untrusted,
//! and the accessors say so (`untrusted_…`). Only [`crate::verify::Verifier`] yields a
//! [`crate::verify::VerifiedToken`].

use std::borrow::Cow;
use std::ops::Range;

use serde_json::{json, Value};

use crate::caveat::Caveat;
use crate::chain::{self, Tag};
use crate::codec::{self, Format};
use crate::error::Error;
use crate::key::RootKey;
use crate::third_party::{self, ThirdPartyCaveat, NONCE_LEN};

/// Longest id, session, target or key id accepted, in bytes.
pub const MAX_ID_LEN: usize = 255;

/// Who a token speaks for: a user (`usr-<id>`) or a provider (`prv-<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject<'a> {
    /// A user, `usr-<id>`.
    User(Cow<'a, str>),
    /// A provider (a service acting on its own behalf), `prv-<id>`.
    Provider(Cow<'a, str>),
}

impl<'a> Subject<'a> {
    /// Parses `usr-<id>` or `prv-<id>`.
    ///
    /// # Errors
    /// `badValueIdentifier` (key `subject`) for anything else.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let bad = |reason| Error::BadValueIdentifier {
            key: "subject",
            reason,
        };
        let (kind, id) = text
            .split_once('-')
            .ok_or(bad("expected usr-<id> or prv-<id>"))?;
        check_id(id).map_err(bad)?;
        match kind {
            "usr" => Ok(Self::User(Cow::Borrowed(id))),
            "prv" => Ok(Self::Provider(Cow::Borrowed(id))),
            _ => Err(bad("expected usr-<id> or prv-<id>")),
        }
    }

    /// The subject's id, without its kind prefix.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::User(id) | Self::Provider(id) => id,
        }
    }

    /// Copies borrowed parts so the value outlives the token bytes.
    #[must_use]
    pub fn into_owned(self) -> Subject<'static> {
        match self {
            Self::User(id) => Subject::User(Cow::Owned(id.into_owned())),
            Self::Provider(id) => Subject::Provider(Cow::Owned(id.into_owned())),
        }
    }
}

impl std::fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "usr-{id}"),
            Self::Provider(id) => write!(f, "prv-{id}"),
        }
    }
}

macro_rules! invite_types {
    ($( $variant:ident = $code:literal, $name:literal, $od:literal, $target:literal; )*) => {
        /// The kinds of invitation an invite token can carry (Onedata's fourteen).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum InviteType {
            $(
                #[doc = concat!("`", $name, "` (target: `", $target, "`).")]
                $variant,
            )*
        }

        impl InviteType {
            /// Every invite type, in code order.
            pub const ALL: &'static [InviteType] = &[$(Self::$variant),*];

            /// The camelCase name, e.g. `userJoinCluster`.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The number used for it in the native format.
            #[must_use]
            pub fn code(self) -> u64 {
                match self { $(Self::$variant => $code,)* }
            }

            /// The three-letter code used in Onedata identifiers, e.g. `ujc`.
            #[must_use]
            pub fn onedata_code(self) -> &'static str {
                match self { $(Self::$variant => $od,)* }
            }

            /// The JSON key naming the invite's target, e.g. `clusterId`.
            #[must_use]
            pub fn target_kind(self) -> &'static str {
                match self { $(Self::$variant => $target,)* }
            }

            /// Looks an invite type up by its name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Self::$variant),)* _ => None }
            }

            /// Looks an invite type up by its native code.
            #[must_use]
            pub fn from_code(code: u64) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)* _ => None }
            }

            /// Looks an invite type up by its Onedata three-letter code.
            #[must_use]
            pub fn from_onedata_code(code: &str) -> Option<Self> {
                match code { $($od => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

invite_types! {
    UserJoinGroup = 0, "userJoinGroup", "ujg", "groupId";
    GroupJoinGroup = 1, "groupJoinGroup", "gjg", "groupId";
    UserJoinSpace = 2, "userJoinSpace", "ujs", "spaceId";
    GroupJoinSpace = 3, "groupJoinSpace", "gjs", "spaceId";
    HarvesterJoinSpace = 4, "harvesterJoinSpace", "hjs", "spaceId";
    SupportSpace = 5, "supportSpace", "ssp", "spaceId";
    RegisterOneprovider = 6, "registerOneprovider", "rop", "adminUserId";
    UserJoinCluster = 7, "userJoinCluster", "ujc", "clusterId";
    GroupJoinCluster = 8, "groupJoinCluster", "gjc", "clusterId";
    UserJoinHarvester = 9, "userJoinHarvester", "ujh", "harvesterId";
    GroupJoinHarvester = 10, "groupJoinHarvester", "gjh", "harvesterId";
    SpaceJoinHarvester = 11, "spaceJoinHarvester", "sjh", "harvesterId";
    UserJoinAtmInventory = 12, "userJoinAtmInventory", "uji", "atmInventoryId";
    GroupJoinAtmInventory = 13, "groupJoinAtmInventory", "gji", "atmInventoryId";
}

impl InviteType {
    /// Parses a name, with a typed error.
    ///
    /// # Errors
    /// `badValueInviteType` for a name that is not one of the fourteen.
    pub fn parse(name: &str) -> Result<Self, Error> {
        Self::from_name(name).ok_or_else(|| Error::BadValueInviteType {
            value: name.to_owned(),
        })
    }
}

impl std::fmt::Display for InviteType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a token may be used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenType<'a> {
    /// Authorizes requests on behalf of the subject; optionally bound to a session.
    Access {
        /// The session the token is bound to, if any.
        session: Option<Cow<'a, str>>,
    },
    /// Proves the subject's identity only.
    Identity,
    /// Lets its bearer accept one kind of invitation to one target.
    Invite {
        /// Which invitation.
        invite_type: InviteType,
        /// The id of the target (group, space, cluster, …).
        target: Cow<'a, str>,
        /// Opaque invite parameters (may be empty), e.g. Onedata's support parameters.
        params: Cow<'a, str>,
    },
}

impl<'a> TokenType<'a> {
    /// Parses the CLI form: `access`, `access:SESSION`, `identity`,
    /// `invite:INVITE_TYPE:TARGET[:PARAMS]`.
    ///
    /// # Errors
    /// `badValueTokenType` or `badValueInviteType`.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let bad = |reason| Error::BadValueTokenType { reason };
        let mut parts = text.splitn(4, ':');
        match parts.next() {
            Some("access") => match parts.next() {
                None => Ok(Self::Access { session: None }),
                Some(s) => {
                    if parts.next().is_some() {
                        return Err(bad("access takes at most a session id"));
                    }
                    check_id(s).map_err(bad)?;
                    Ok(Self::Access {
                        session: Some(Cow::Borrowed(s)),
                    })
                }
            },
            Some("identity") if parts.next().is_none() => Ok(Self::Identity),
            Some("invite") => {
                let invite_type =
                    InviteType::parse(parts.next().ok_or(bad("missing invite type"))?)?;
                let target = parts.next().ok_or(bad("missing invite target"))?;
                check_id(target).map_err(bad)?;
                let params = parts.next().unwrap_or("");
                check_params(params).map_err(bad)?;
                Ok(Self::Invite {
                    invite_type,
                    target: Cow::Borrowed(target),
                    params: Cow::Borrowed(params),
                })
            }
            _ => Err(bad(
                "expected access[:SESSION], identity or invite:TYPE:TARGET",
            )),
        }
    }

    /// The JSON form, as Onedata writes it: `{"accessToken":{…}}`, `{"identityToken":{}}`,
    /// `{"inviteToken":{"inviteType":…,"<targetKind>":…}}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match self {
            Self::Access { session: None } => json!({"accessToken": {}}),
            Self::Access { session: Some(s) } => json!({"accessToken": {"sessionId": s}}),
            Self::Identity => json!({"identityToken": {}}),
            Self::Invite {
                invite_type,
                target,
                params,
            } => {
                let mut inner = serde_json::Map::new();
                inner.insert("inviteType".into(), json!(invite_type.name()));
                inner.insert(invite_type.target_kind().into(), json!(target));
                if !params.is_empty() {
                    inner.insert("parameters".into(), json!(params));
                }
                json!({ "inviteToken": inner })
            }
        }
    }

    /// Copies borrowed parts.
    #[must_use]
    pub fn into_owned(self) -> TokenType<'static> {
        match self {
            Self::Access { session } => TokenType::Access {
                session: session.map(|s| Cow::Owned(s.into_owned())),
            },
            Self::Identity => TokenType::Identity,
            Self::Invite {
                invite_type,
                target,
                params,
            } => TokenType::Invite {
                invite_type,
                target: Cow::Owned(target.into_owned()),
                params: Cow::Owned(params.into_owned()),
            },
        }
    }
}

/// How a token is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Revocable one by one through the caller's revocation source.
    Named,
    /// Must carry a time caveat; all temporary tokens of a subject are revoked at once by bumping
    /// the subject's generation.
    Temporary {
        /// The subject's generation when the token was minted.
        generation: u64,
    },
}

/// A token's identifier: the part the root key signs first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier<'a> {
    /// The issuer (a domain). In the native format it is covered by the tag; in the Onedata
    /// format it is not (libmacaroons never MACs the location), so do not trust it there.
    pub location: Cow<'a, str>,
    /// Which root key signed the token, for rotation; `None` for the default key. The Onedata
    /// format has no place for it (always `None`).
    pub key_id: Option<Cow<'a, str>>,
    /// The token's own id (what named revocation refers to).
    pub token_id: Cow<'a, str>,
    /// Who the token speaks for.
    pub subject: Subject<'a>,
    /// What it may be used for.
    pub token_type: TokenType<'a>,
    /// Named or temporary.
    pub persistence: Persistence,
}

impl Identifier<'_> {
    /// Checks every field against the rules of SPEC.md §3 (charsets and lengths).
    ///
    /// # Errors
    /// `badValueIdentifier` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |key, reason| Error::BadValueIdentifier { key, reason };
        check_location(&self.location).map_err(|r| bad("location", r))?;
        if let Some(k) = &self.key_id {
            check_id(k).map_err(|r| bad("keyId", r))?;
        }
        check_id(&self.token_id).map_err(|r| bad("tokenId", r))?;
        check_id(self.subject.id()).map_err(|r| bad("subject", r))?;
        match &self.token_type {
            TokenType::Access { session: Some(s) } => check_id(s).map_err(|r| bad("type", r))?,
            TokenType::Invite { target, params, .. } => {
                check_id(target).map_err(|r| bad("type", r))?;
                check_params(params).map_err(|r| bad("type", r))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The JSON form (as `caveat inspect` prints it).
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "location": self.location,
            "keyId": self.key_id,
            "id": self.token_id,
            "subject": self.subject.to_string(),
            "type": self.token_type.to_json(),
            "persistence": match self.persistence {
                Persistence::Named => json!("named"),
                Persistence::Temporary { generation } => json!({"temporary": {"generation": generation}}),
            },
        })
    }

    /// Copies borrowed parts.
    #[must_use]
    pub fn into_owned(self) -> Identifier<'static> {
        Identifier {
            location: Cow::Owned(self.location.into_owned()),
            key_id: self.key_id.map(|k| Cow::Owned(k.into_owned())),
            token_id: Cow::Owned(self.token_id.into_owned()),
            subject: self.subject.into_owned(),
            token_type: self.token_type.into_owned(),
            persistence: self.persistence,
        }
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@' | b'+' | b'=')
}

/// Ids (token id, subject id, session, target, key id): 1–255 bytes of `[A-Za-z0-9-._~@+=]`.
pub(crate) fn check_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        Err("must not be empty")
    } else if s.len() > MAX_ID_LEN {
        Err("longer than 255 bytes")
    } else if !s.bytes().all(is_id_byte) {
        Err("allowed characters are A-Z a-z 0-9 - . _ ~ @ + =")
    } else {
        Ok(())
    }
}

/// Invite parameters: like an id, but may be empty.
pub(crate) fn check_params(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        Ok(())
    } else {
        check_id(s)
    }
}

/// Locations: 1–255 bytes of printable ASCII without spaces.
pub(crate) fn check_location(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        Err("must not be empty")
    } else if s.len() > MAX_ID_LEN {
        Err("longer than 255 bytes")
    } else if !s.bytes().all(|b| b.is_ascii_graphic()) {
        Err("must be printable ASCII without spaces")
    } else {
        Ok(())
    }
}

/// A token as bytes: an identifier, caveats and a tag, in one of the supported formats.
///
/// Nothing read from a `Token` is trusted until a verifier checked it. Anyone holding a token can
/// [`attenuate`](Token::attenuate) it; nobody can remove, reorder or truncate its caveats.
///
/// In the native and Onedata formats the identifier is a structured [`Identifier`]; in
/// libmacaroons' formats ([`Format::MACAROON`]) it is opaque bytes
/// ([`Token::identifier_bytes`]). A caveat is first-party (a condition, checked when the token
/// is cleared) or third-party (discharged by another token, see [`crate::third_party`]).
#[derive(Clone)]
pub struct Token {
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
    pub(crate) third_party: Vec<third_party::Span>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("format", &self.format)
            .field("bytes", &self.raw.len())
            .field("caveats", &self.caveats.len())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// Mints a native token: signs `identifier` with `key`, then appends `caveats` in order.
    ///
    /// # Errors
    /// `badValueIdentifier` when a field breaks the rules of SPEC.md.
    pub fn mint(
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        Self::mint_as(Format::Native, key, identifier, caveats)
    }

    /// Mints a token in `format`: signs `identifier` with `key`, then appends `caveats` in
    /// order. For [`Format::Onedata`] the key is Onedata's secret as bytes
    /// (`RootKey::from_bytes(secret.as_bytes())`).
    ///
    /// A temporary token must carry a time caveat (SPEC.md §6.2): it is revoked only by a
    /// generation bump, so without one it would stay valid for as long as its subject's
    /// generation does. Verifiers deny one that has none.
    ///
    /// # Errors
    /// `badValueIdentifier` when a field breaks the rules of SPEC.md (or, for Onedata, names a
    /// key id, which that format cannot carry); `tokenTimeCaveatRequired` for a temporary token
    /// without a time caveat; `badValueCaveat` when a caveat cannot be written in the format.
    pub fn mint_as(
        format: Format,
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        if matches!(identifier.persistence, Persistence::Temporary { .. })
            && !caveats.iter().any(|c| matches!(c, Caveat::Time(_)))
        {
            return Err(Error::TokenTimeCaveatRequired { max_ttl: None });
        }
        Self::mint_unchecked(format, key, identifier, caveats)
    }

    /// [`Token::mint_as`] without the temporary-token rule (see [`crate::hazmat`]).
    pub(crate) fn mint_unchecked(
        format: Format,
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        identifier.validate()?;
        let mut token = codec::start(format, key, identifier)?;
        for c in caveats {
            token = token.attenuate(c)?;
        }
        Ok(token)
    }

    /// Appends a caveat (no key needed): `tag' = HMAC(tag, caveat_bytes)`.
    ///
    /// # Errors
    /// `badValueCaveat` when the caveat cannot be written in this token's format.
    pub fn attenuate(&self, caveat: &Caveat) -> Result<Self, Error> {
        let bytes = codec::encode_caveat(self.format, caveat)?;
        self.attenuate_raw(&bytes)
    }

    /// Appends caveat bytes as they are (for caveat kinds this crate does not model; in the
    /// libmacaroons formats, any predicate, e.g. `account = 3735928559`).
    ///
    /// # Errors
    /// `badValueCaveat` when the bytes cannot be carried by this token's format as a
    /// first-party caveat: an Onedata or V1 packet holds at most 65,535 bytes; a libmacaroons
    /// caveat is not empty; a native third-party caveat is added with
    /// [`Token::attenuate_third_party`].
    pub fn attenuate_raw(&self, caveat_bytes: &[u8]) -> Result<Self, Error> {
        if self.format.is_macaroon() && caveat_bytes.is_empty() {
            return Err(Error::bad_caveat("caveat", "empty predicate"));
        }
        if self.format == Format::Native && third_party::is_native(caveat_bytes) {
            return Err(Error::bad_caveat(
                "caveat",
                "a third-party caveat (kind 15): use attenuate_third_party",
            ));
        }
        let tag = chain::step(&self.tag(), caveat_bytes);
        codec::reassemble(self, caveat_bytes, &tag)
    }

    /// Mints a token in one of libmacaroons' formats ([`Format::MACAROON`]), whose identifier
    /// is opaque bytes: signs `identifier` with `key`, then appends `caveats` (as their text
    /// forms) in order. The location is not covered by the tag. A discharge for a third-party
    /// caveat is minted so, with the caveat root key and the caveat id as identifier.
    ///
    /// # Errors
    /// `badValueIdentifier` when `format` is not a libmacaroons format, or the identifier is
    /// empty, or (V1) the identifier or location does not fit a packet; `badValueCaveat` as
    /// [`Token::attenuate`].
    pub fn mint_macaroon(
        format: Format,
        key: &RootKey,
        location: &str,
        identifier: &[u8],
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        if !format.is_macaroon() {
            return Err(Error::BadValueIdentifier {
                key: "identifier",
                reason: "opaque identifiers exist only in the libmacaroons formats",
            });
        }
        if identifier.is_empty() {
            return Err(Error::BadValueIdentifier {
                key: "identifier",
                reason: "must not be empty",
            });
        }
        let tag = chain::start(key, identifier);
        let mut token =
            codec::libmacaroons::assemble(format, location.as_bytes(), identifier, &[], &tag)?;
        for c in caveats {
            token = token.attenuate(c)?;
        }
        Ok(token)
    }

    /// Appends a third-party caveat: the holder of the caveat root key `caveat_key` (the third
    /// party, who learns it from `cid` or shares it beforehand) must discharge it. The key is
    /// sealed under the current tag with `nonce` into the verification id; `nonce` MUST be
    /// fresh random bytes for every caveat (the library takes it as a parameter and reads no
    /// randomness itself).
    ///
    /// # Errors
    /// `badValueKey` for an empty caveat key; `badValueCaveat` for an empty `cid`, in the
    /// Onedata format (which has no third-party caveats), or when a V1 packet would be too
    /// long.
    pub fn attenuate_third_party(
        &self,
        location: &str,
        caveat_key: &[u8],
        cid: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Self, Error> {
        if caveat_key.is_empty() {
            return Err(Error::BadValueKey {
                reason: "empty key",
            });
        }
        if cid.is_empty() {
            return Err(Error::bad_caveat("cid", "must not be empty"));
        }
        let tag = self.tag();
        let mut chain_key = chain::derive_key(caveat_key);
        let vid = third_party::seal(&tag, nonce, &chain_key);
        chain_key.wipe();
        let vid = vid?;
        match self.format {
            Format::Onedata => Err(Error::bad_caveat(
                "caveat",
                "the Onedata format has no third-party caveats",
            )),
            Format::Native => {
                let bytes = third_party::encode_native(cid, &vid, location);
                let next = third_party::step(&tag, &vid, &bytes);
                codec::reassemble(self, &bytes, &next)
            }
            Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
                let next = third_party::step(&tag, &vid, cid);
                codec::libmacaroons::append(
                    self,
                    codec::libmacaroons::Parts {
                        cid,
                        vid: Some(&vid),
                        location: location.as_bytes(),
                    },
                    &next,
                )
            }
        }
    }

    /// This token (a discharge) bound to `token`, the token it is sent with:
    /// its tag becomes `HMAC(Z, HMAC(Z, token_tag) || HMAC(Z, tag))` (pymacaroons'
    /// `prepare_for_request`). Bind every discharge, nested ones too, to the top-level token.
    #[must_use]
    pub fn bind_to(&self, token: &Token) -> Token {
        let bound = third_party::bind(&token.tag(), &self.tag());
        let mut out = self.clone();
        out.raw[out.tag.clone()].copy_from_slice(bound.as_bytes());
        out
    }

    /// Decodes a token from its text form, detecting the format: `cvt1_` native, `{` V2J, `Ag`
    /// V2, `MDA` Onedata, else V1 (a text is never both an Onedata token and a V1 macaroon; see
    /// SPEC.md §11).
    ///
    /// # Errors
    /// `tokenTooLarge` before decoding when the text exceeds the limits, `badToken` when it is
    /// not a well-formed token.
    pub fn from_text(text: &str, limits: &codec::Limits) -> Result<Self, Error> {
        codec::decode_text(text, limits)
    }

    /// Decodes the text form of a token in one of libmacaroons' formats, detecting which: `{`
    /// is V2J; otherwise base64 (either alphabet, padded or not) whose first byte is 2 (V2) or
    /// a hex digit (V1). [`Token::from_text`] reads these formats too; this one reports V1's
    /// error for a malformed text starting with `MDA` rather than Onedata's.
    ///
    /// # Errors
    /// As [`Token::from_text`].
    pub fn from_macaroon_text(text: &str, limits: &codec::Limits) -> Result<Self, Error> {
        codec::decode_macaroon_text(text, limits)
    }

    /// Decodes a native token from its binary form.
    ///
    /// # Errors
    /// As [`Token::from_text`].
    pub fn from_bytes(bytes: &[u8], limits: &codec::Limits) -> Result<Self, Error> {
        Self::from_bytes_as(Format::Native, bytes, limits)
    }

    /// Decodes a token of `format` from its binary form (for Onedata and V1: the packets,
    /// before base64 and escaping; for V2 and V2J: the V2 binary form).
    ///
    /// # Errors
    /// As [`Token::from_text`].
    pub fn from_bytes_as(
        format: Format,
        bytes: &[u8],
        limits: &codec::Limits,
    ) -> Result<Self, Error> {
        // Size first: an oversize input is rejected before it is copied.
        limits.check_token_bytes(bytes.len())?;
        codec::decode(format, bytes.to_vec(), limits)
    }

    /// The text form (native: `cvt1_` then base64url without padding; Onedata: base64url
    /// without padding, then Onedata's escape; V1 and V2: base64url without padding; V2J:
    /// JSON).
    #[must_use]
    pub fn to_text(&self) -> String {
        codec::encode_text(self)
    }

    /// The binary form, exactly the bytes the token was decoded from or minted as (for
    /// Onedata and V1: the packets; for V2J: the V2 binary form of its fields).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The token's format.
    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The tag as carried by the token (unverified).
    #[must_use]
    pub fn tag(&self) -> Tag {
        Tag::from_slice(&self.raw[self.tag.clone()]).unwrap_or(Tag::from_bytes([0; chain::TAG_LEN]))
    }

    /// The identifier bytes exactly as MACed.
    #[must_use]
    pub fn identifier_bytes(&self) -> &[u8] {
        &self.raw[self.identifier.clone()]
    }

    /// Each caveat's bytes exactly as MACed, in chain order (for a third-party caveat in a
    /// libmacaroons format, its caveat id; see [`Token::untrusted_third_party_caveats`]).
    pub fn caveat_bytes(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.caveats.iter().map(|r| &self.raw[r.clone()])
    }

    /// The third-party caveats, in chain order, NOT verified.
    pub fn untrusted_third_party_caveats(
        &self,
    ) -> impl ExactSizeIterator<Item = ThirdPartyCaveat<'_>> + '_ {
        self.third_party.iter().map(|span| ThirdPartyCaveat {
            index: span.index,
            cid: &self.raw[span.cid.clone()],
            vid: &self.raw[span.vid.clone()],
            location: span
                .location
                .as_ref()
                .map_or(&[][..], |l| &self.raw[l.clone()]),
        })
    }

    /// Whether the caveat at `index` is a third-party caveat.
    #[must_use]
    pub fn is_third_party(&self, index: usize) -> bool {
        self.third_party
            .binary_search_by_key(&index, |s| s.index)
            .is_ok()
    }

    /// The location of an Onedata or libmacaroons-format token, which is NOT covered by the tag
    /// (anyone can change it); `None` for a native token, whose location is part of its
    /// identifier. Locations are UTF-8 in every format.
    #[must_use]
    pub fn untrusted_location(&self) -> Option<&str> {
        codec::untrusted_location(self).map(|l| std::str::from_utf8(l).unwrap_or_default())
    }

    /// Number of caveats.
    #[must_use]
    pub fn caveat_count(&self) -> usize {
        self.caveats.len()
    }

    /// The identifier, parsed but NOT verified.
    ///
    /// # Errors
    /// `badToken` for a token in a libmacaroons format, whose identifier is opaque (see
    /// [`Token::identifier_bytes`]); cannot happen for other tokens that decoded, which checked
    /// it.
    pub fn untrusted_identifier(&self) -> Result<Identifier<'_>, Error> {
        codec::decode_identifier(self)
    }

    /// The caveats, parsed but NOT verified; one result per caveat. A third-party caveat, and
    /// a libmacaroons predicate that is not the canonical text of a typed caveat, give
    /// `tokenCaveatUnknown`.
    pub fn untrusted_caveats(&self) -> impl Iterator<Item = Result<Caveat, Error>> + '_ {
        let format = self.format;
        self.caveat_bytes().enumerate().map(move |(i, b)| {
            if self.is_third_party(i) {
                // A libmacaroons caveat id may read as a predicate; it is not one.
                return Err(Error::TokenCaveatUnknown {
                    index: i,
                    caveat: codec::display_bytes(b),
                });
            }
            codec::decode_caveat(format, i, b)
        })
    }
}
