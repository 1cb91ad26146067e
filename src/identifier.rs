//! What a token says about itself, as the issuer wrote it: the identifier's vocabulary (issuer,
//! id, subject, type, persistence, key id) and the rules every field obeys (SPEC.md §3).
//!
//! Nothing here is trusted by itself: an [`Identifier`] read from a token is a claim until a
//! verifier checked the token's signature (see [`crate::VerifiedToken::identifier`]).

use crate::error::ValueError;
use std::borrow::Cow;

use serde_json::{json, Value};

use crate::error::Error;
/// Longest id, session, target or key id accepted, in bytes.
pub const MAX_ID_LEN: usize = 255;

/// Who a token speaks for: a user (`usr-<id>`) or a provider (`prv-<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(clippy::exhaustive_enums)] // fixed by both wire formats (SPEC.md §3): a new one is a new format version
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
        let bad = |reason| Error::bad_identifier("subject", reason);
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
        Self::from_name(name).ok_or_else(|| {
            Error::Value(ValueError::InviteType {
                value: name.to_owned(),
            })
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
#[allow(clippy::exhaustive_enums)] // fixed by both wire formats (SPEC.md §3): a new one is a new format version
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

impl crate::error::ErrorDetail for TokenType<'static> {
    fn to_json(&self) -> Value {
        TokenType::to_json(self)
    }
}

impl<'a> TokenType<'a> {
    /// Parses the CLI form: `access`, `access:SESSION`, `identity`,
    /// `invite:INVITE_TYPE:TARGET[:PARAMS]`.
    ///
    /// # Errors
    /// `badValueTokenType` or `badValueInviteType`.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        let bad = |reason| Error::Value(ValueError::TokenType { reason });
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
#[allow(clippy::exhaustive_enums)] // fixed by both wire formats (SPEC.md §3): a new one is a new format version
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
        let bad = Error::bad_identifier;
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

/// Whether `b` may appear in an id (see [`check_id`]).
pub(crate) fn is_id_byte(b: u8) -> bool {
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

impl std::str::FromStr for Subject<'static> {
    type Err = Error;

    /// As [`Subject::parse`], owning the result.
    fn from_str(text: &str) -> Result<Self, Error> {
        Subject::parse(text).map(Subject::into_owned)
    }
}

impl std::str::FromStr for InviteType {
    type Err = Error;

    /// As [`InviteType::parse`].
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl std::str::FromStr for TokenType<'static> {
    type Err = Error;

    /// As [`TokenType::parse`], owning the result.
    fn from_str(text: &str) -> Result<Self, Error> {
        TokenType::parse(text).map(TokenType::into_owned)
    }
}
