//! Signature errors: the chain does not verify under the key.

use std::fmt;

use super::ErrorId;

/// The token's signature does not verify.
///
/// Deliberately says nothing more: which byte, caveat or key was wrong is exactly what a forger
/// would like to learn.
///
/// ```
/// use caveat_token::{Context, Error, RootKey, SignatureError, Token, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// let other = RootKey::from_bytes(b"another root key of 16 bytes+")?;
/// # use caveat_token::{Identifier, Persistence, Subject, TokenType};
/// # let id = Identifier {
/// #     location: "auth.example.com".into(),
/// #     key_id: None,
/// #     token_id: "tok-0001".into(),
/// #     subject: Subject::User("alice".into()),
/// #     token_type: TokenType::Access { session: None },
/// #     persistence: Persistence::Named,
/// # };
/// let token = Token::mint(&key, &id, &[])?;
/// let err = Verifier::new().verify(token, &other, &Context::at(0)).unwrap_err();
/// assert_eq!(err, Error::Signature(SignatureError::Invalid));
/// assert_eq!(err.id(), "tokenInvalid");
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The token was forged, tampered with, truncated, or the key is wrong or unknown (id
    /// `tokenInvalid`).
    Invalid,
}

impl SignatureError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::Invalid => ErrorId::TokenInvalid,
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("Provided token is not valid."),
        }
    }
}
