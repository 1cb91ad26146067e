//! Revocation, with the state kept by the caller: named tokens are revoked one by one
//! ([`RevocationSource`]); temporary tokens are revoked all at once per subject by bumping the
//! subject's generation ([`GenerationSource`]). The verifier asks these after the signature and
//! the token type checked out and before any caveat is looked at.
//!
//! | token | source says | result |
//! |---|---|---|
//! | named | [`NamedStatus::Active`] | continue |
//! | named | [`NamedStatus::Revoked`] | `tokenRevoked` |
//! | named | [`NamedStatus::Unknown`] (never issued, or deleted) | `tokenInvalid` |
//! | temporary, generation g | current generation c, g = c | continue |
//! | temporary | g < c | `tokenRevoked` |
//! | temporary | g > c, or no current generation for the subject | `tokenInvalid` |
//!
//! A verifier without a source for a persistence does not check it.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use crate::error::Error;
use crate::identifier::{Identifier, Persistence, Subject};

/// What the issuer knows of a named token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NamedStatus {
    /// Issued and not revoked.
    Active,
    /// Revoked (the record is kept, so the holder can be told).
    Revoked,
    /// Never issued, or deleted.
    Unknown,
}

/// Says whether a named token is still valid.
pub trait RevocationSource {
    /// The status of the named token `token_id`.
    fn named_status(&self, token_id: &str) -> NamedStatus;
}

/// Says which generation of temporary tokens is current for a subject.
pub trait GenerationSource {
    /// The subject's current generation, or `None` when the subject is unknown.
    fn current_generation(&self, subject: &Subject<'_>) -> Option<u64>;
}

/// Applies the rules in the module documentation to a verified identifier.
///
/// # Errors
/// `tokenRevoked` or `tokenInvalid`.
pub fn check(
    identifier: &Identifier<'_>,
    named: Option<&dyn RevocationSource>,
    generations: Option<&dyn GenerationSource>,
) -> Result<(), Error> {
    match identifier.persistence {
        Persistence::Named => match named.map(|s| s.named_status(&identifier.token_id)) {
            None | Some(NamedStatus::Active) => Ok(()),
            Some(NamedStatus::Revoked) => Err(Error::REVOKED),
            Some(NamedStatus::Unknown) => Err(Error::INVALID),
        },
        Persistence::Temporary { generation } => match generations {
            None => Ok(()),
            Some(s) => match s.current_generation(&identifier.subject) {
                Some(current) if generation == current => Ok(()),
                Some(current) if generation < current => Err(Error::REVOKED),
                _ => Err(Error::INVALID),
            },
        },
    }
}

/// An in-memory registry of named tokens: issued ones are active until revoked or deleted;
/// tokens it never heard of are [`NamedStatus::Unknown`]. Safe to share between threads.
#[derive(Debug, Default)]
pub struct NamedTokens {
    tokens: RwLock<HashMap<String, bool>>,
}

impl NamedTokens {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a newly issued (active) token.
    pub fn issue(&self, token_id: impl Into<String>) {
        if let Ok(mut t) = self.tokens.write() {
            t.insert(token_id.into(), false);
        }
    }

    /// Revokes a token; returns whether it was known.
    pub fn revoke(&self, token_id: &str) -> bool {
        self.set_revoked(token_id, true)
    }

    /// Un-revokes a token (Onedata allows it); returns whether it was known.
    pub fn reinstate(&self, token_id: &str) -> bool {
        self.set_revoked(token_id, false)
    }

    /// Forgets a token: it becomes unknown. Returns whether it was known.
    pub fn delete(&self, token_id: &str) -> bool {
        self.tokens
            .write()
            .is_ok_and(|mut t| t.remove(token_id).is_some())
    }

    fn set_revoked(&self, token_id: &str, revoked: bool) -> bool {
        self.tokens
            .write()
            .is_ok_and(|mut t| match t.get_mut(token_id) {
                Some(r) => {
                    *r = revoked;
                    true
                }
                None => false,
            })
    }
}

impl RevocationSource for NamedTokens {
    fn named_status(&self, token_id: &str) -> NamedStatus {
        // A poisoned lock fails closed: nothing is active.
        match self.tokens.read().map(|t| t.get(token_id).copied()) {
            Ok(Some(false)) => NamedStatus::Active,
            Ok(Some(true)) => NamedStatus::Revoked,
            Ok(None) | Err(_) => NamedStatus::Unknown,
        }
    }
}

/// A deny-list: the listed token ids are revoked, every other named token is active. For
/// callers that track revocations only (e.g. `caveat verify --revoked ID`).
#[derive(Debug, Clone, Default)]
pub struct RevokedList {
    revoked: HashSet<String>,
}

impl RevokedList {
    /// An empty list (nothing revoked).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a revoked token id.
    pub fn revoke(&mut self, token_id: impl Into<String>) {
        self.revoked.insert(token_id.into());
    }
}

impl<S: Into<String>> FromIterator<S> for RevokedList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self {
            revoked: iter.into_iter().map(Into::into).collect(),
        }
    }
}

impl RevocationSource for RevokedList {
    fn named_status(&self, token_id: &str) -> NamedStatus {
        if self.revoked.contains(token_id) {
            NamedStatus::Revoked
        } else {
            NamedStatus::Active
        }
    }
}

/// In-memory generations per subject (`usr-<id>` / `prv-<id>`); unknown subjects have none.
/// Safe to share between threads.
#[derive(Debug, Default)]
pub struct Generations {
    current: RwLock<HashMap<String, u64>>,
}

impl Generations {
    /// No subjects known.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a subject's current generation.
    pub fn set(&self, subject: &Subject<'_>, generation: u64) {
        if let Ok(mut c) = self.current.write() {
            c.insert(subject.to_string(), generation);
        }
    }

    /// Revokes all temporary tokens of `subject`: bumps its generation (from 0 if unknown) and
    /// returns the new one, or `None` if it cannot grow any more.
    pub fn bump(&self, subject: &Subject<'_>) -> Option<u64> {
        let mut c = self.current.write().ok()?;
        let entry = c.entry(subject.to_string()).or_insert(0);
        *entry = entry.checked_add(1)?;
        Some(*entry)
    }
}

impl GenerationSource for Generations {
    fn current_generation(&self, subject: &Subject<'_>) -> Option<u64> {
        self.current
            .read()
            .ok()
            .and_then(|c| c.get(&subject.to_string()).copied())
    }
}

/// The same current generation for every subject (e.g. `caveat verify --current-generation N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedGeneration(pub u64);

impl GenerationSource for FixedGeneration {
    fn current_generation(&self, _subject: &Subject<'_>) -> Option<u64> {
        Some(self.0)
    }
}
