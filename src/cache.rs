//! A verification cache, for services that see the same token many times (Fly.io reports over
//! 98 % hits on theirs).
//!
//! [`VerificationCache`] wraps a [`Verifier`]. The first time it sees a token's text it decodes
//! it and verifies the whole chain as the verifier does; when that succeeds it remembers the
//! token, keyed by its exact text, together with the key id it named and the
//! [fingerprint](crate::key) of the root key that verified it. The next time the same text comes
//! in, it skips decoding and the chain, but only if the key source still returns that very key
//! for that key id (compared in constant time): removing or replacing a key invalidates every
//! entry it verified. Everything the verifier checks after the signature — the token type the
//! request expects, revocation (named tokens' status, subjects' generations) against the
//! verifier's sources as they are now, and every caveat against the current request
//! [`Context`] — is always done again, by the very function [`Verifier::verify`] runs, so the
//! cache never changes a decision, only its cost.
//!
//! The cache is bounded (a fixed number of entries in sets of up to eight, a full set evicting by
//! the CLOCK second-chance policy) and safe to share between threads: a hit takes no lock and
//! writes no memory that another thread's hit reads, so hits scale with the cores, on one token
//! as on many (see the `table` module). Only tokens that verified and cleared are inserted, so
//! an attacker cannot fill it with forgeries; the hash that places a text in the cache is keyed
//! at random per cache.

mod table;

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::sync::Arc;

use crate::caveat::Caveat;
use crate::context::Context;
use crate::error::Error;
use crate::identifier::Identifier;
use crate::key::Fingerprint;
use crate::lookup::{KeyQuery, KeySource};
use crate::token::Token;
use crate::verified::VerifiedToken;
use crate::verify::{Caveats, Verifier};

use table::{Handle, Table};

/// How many trailing bytes of a token's text are hashed. A native token's text ends with the
/// base64 of its 32-byte tag, so this is enough to tell verified tokens apart, and it keeps a
/// lookup's cost independent of the token's size. Equality is always checked on the whole text.
const HASHED_SUFFIX: usize = 32;

/// A bounded, thread-safe cache in front of a [`Verifier`]: it skips decoding and the chain for
/// a text it verified before under the same key, and clears the caveats on every call, so it
/// never changes a decision, only its cost.
///
///  ```
///  use caveat_token::VerificationCache;
///  use caveat_token::{Caveat, Context, Identifier, Persistence, RootKey, Subject, Token, TokenType, Verifier};
///
///  # fn main() -> Result<(), caveat_token::Error> {
///  let key = RootKey::from_bytes(b"a root key of 32 bytes, or more!")?;
///  let id = Identifier {
///      location: "auth.example.com".into(),
///      key_id: None,
///      token_id: "tok-1".into(),
///      subject: Subject::User("alice".into()),
///      token_type: TokenType::Access { session: None },
///      persistence: Persistence::Named,
///  };
///  let text = Token::mint(&key, &id, &[Caveat::time(2_000)])?.to_text();
///
///  let cache = VerificationCache::new(Verifier::new(), 10_000);
///  let first = cache.verify_text(&text, &key, &Context::at(1_000))?; // decodes, runs the chain
///  let again = cache.verify_text(&text, &key, &Context::at(1_500))?; // clears the caveats only
///  assert_eq!(again.expires(), Some(2_000));
///  // The caveats are still checked against each request: after expiry, it is refused.
///  let err = cache.verify_text(&text, &key, &Context::at(2_000)).unwrap_err();
///  assert_eq!(err.id(), "tokenCaveatUnverified");
///  # drop(first);
///  # Ok(())
///  # }
///  ```
pub struct VerificationCache {
    verifier: Verifier,
    table: Table<Entry>,
    hasher: TextHasher,
}

impl fmt::Debug for VerificationCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationCache")
            .field("verifier", &self.verifier)
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

/// A token the cache verified (now or earlier) and cleared against the current request: a
/// shared handle to a [`VerifiedToken`].
#[derive(Clone)]
pub struct CachedToken(Handle<Entry>);

impl Deref for CachedToken {
    type Target = VerifiedToken;

    fn deref(&self) -> &VerifiedToken {
        &self.0.verified
    }
}

impl AsRef<VerifiedToken> for CachedToken {
    fn as_ref(&self) -> &VerifiedToken {
        &self.0.verified
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CachedToken")
            .field(&self.0.verified)
            .finish()
    }
}

/// What the cache remembers about a verified token.
struct Entry {
    /// The token's identifier (owned): its key id is what the key source is asked for; its
    /// type, id, subject and persistence are what each hit checks the expectation and
    /// revocation against.
    identifier: Identifier<'static>,
    /// The fingerprint of the root key that verified the chain.
    key: Fingerprint,
    verified: VerifiedToken,
    /// The token's caveats, decoded once, in chain order: each hit clears them again.
    caveats: Box<[Caveat]>,
}

impl VerificationCache {
    /// A cache of at most `capacity` tokens in front of `verifier` (whose limits, leeway and
    /// predicates it uses for every token). A capacity of 0 caches nothing. Tokens are held in
    /// sets of eight, so [`capacity`](Self::capacity) is `capacity` rounded down to a multiple
    /// of eight when it is over eight. The sets are allocated here, 32 bytes a token, and a
    /// capacity over 1,048,576 (2^20, 32 MiB of sets) is taken as that.
    ///
    /// ```
    /// use caveat_token::{VerificationCache, Verifier};
    ///
    /// assert_eq!(VerificationCache::new(Verifier::new(), 10_000).capacity(), 10_000);
    /// assert_eq!(VerificationCache::new(Verifier::new(), 1_001).capacity(), 1_000);
    /// assert_eq!(VerificationCache::new(Verifier::new(), 5).capacity(), 5);
    /// assert_eq!(VerificationCache::new(Verifier::new(), usize::MAX).capacity(), 1 << 20);
    /// ```
    #[must_use]
    pub fn new(verifier: Verifier, capacity: usize) -> Self {
        Self {
            verifier,
            table: Table::new(capacity),
            hasher: TextHasher::new(),
        }
    }

    /// The verifier every token goes through.
    #[must_use]
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The most tokens the cache holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// How many tokens the cache holds now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the cache holds no token.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every token.
    pub fn clear(&self) {
        self.table.clear();
    }

    /// [`Verifier::verify_text`], skipping decoding and the chain for a text already verified
    /// under the key `keys` still returns for its key id. The caveats are always cleared against
    /// `ctx`.
    ///
    /// # Errors
    /// Exactly those of [`Verifier::verify_text`].
    pub fn verify_text<K: KeySource + ?Sized>(
        &self,
        text: &str,
        keys: &K,
        ctx: &Context,
    ) -> Result<CachedToken, Error> {
        let hash = self.hash(text);
        if let Some(entry) = self.table.get(hash, text) {
            let still_valid = keys
                .key_for(&KeyQuery::new(
                    entry.verified.token(),
                    entry.identifier.key_id.as_deref(),
                ))
                .is_some_and(|key| key.fingerprint().ct_eq(&entry.key));
            if still_valid {
                // Everything the verifier checks after the signature, by the very function
                // `Verifier::verify` runs: the expiry it returns depends on the caveats alone,
                // so it is the one remembered.
                self.verifier.after_signature(
                    entry.verified.token(),
                    Some(&entry.identifier),
                    Caveats::Decoded(&entry.caveats),
                    ctx,
                )?;
                return Ok(CachedToken(entry));
            }
            // The key was removed or replaced: forget the entry and verify from scratch (which
            // fails unless the token also verifies under the key now in place).
            self.table.remove(hash, text);
        }

        let token = Token::from_text(text, self.verifier.limits())?;
        let identifier = token.untrusted_identifier()?.into_owned();
        let key = keys
            .key_for(&KeyQuery::new(&token, identifier.key_id.as_deref()))
            .ok_or(Error::INVALID)?;
        // Verify under exactly the key whose fingerprint is remembered (a single key is a key
        // source that answers every key id with itself).
        let verified = self.verifier.verify(token, key, ctx)?;
        // Every caveat decoded while clearing just succeeded.
        let caveats = verified
            .token()
            .untrusted_caveats()
            .collect::<Result<Box<[Caveat]>, Error>>()?;
        let entry = Arc::new(Entry {
            identifier,
            key: key.fingerprint().clone(),
            verified,
            caveats,
        });
        Ok(CachedToken(self.table.insert(hash, text, entry)))
    }

    fn hash(&self, text: &str) -> u64 {
        self.hasher.hash(text.as_bytes())
    }
}

/// The hash that places a text in the cache: the text's length and its last [`HASHED_SUFFIX`]
/// bytes, mixed with four random 64-bit keys drawn per cache by folded multiplications (the
/// 128-bit product's halves xored). A collision only shares a set (equality is always checked on
/// the whole text), and only verified tokens are inserted; the random keys keep anyone who
/// attenuates their own tokens from steering them into one set. About a
/// tenth of what SipHash costs on the same 40 bytes, which was a fifth of a cache hit.
struct TextHasher([u64; 4]);

impl TextHasher {
    fn new() -> Self {
        let random = RandomState::new();
        Self([0_u64, 1, 2, 3].map(|i| random.hash_one(i)))
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        let mut suffix = [0_u8; HASHED_SUFFIX];
        let tail = &bytes[bytes.len().saturating_sub(HASHED_SUFFIX)..];
        suffix[..tail.len()].copy_from_slice(tail);
        let word = |i: usize| {
            let mut w = [0_u8; 8];
            w.copy_from_slice(&suffix[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let [k0, k1, k2, k3] = self.0;
        let a = fold(word(0) ^ k0, word(1) ^ k1);
        let b = fold(word(2) ^ k2, word(3) ^ k3);
        fold(a ^ (bytes.len() as u64), b ^ k0.rotate_left(32))
    }
}

/// The folded multiplication: both halves of the 128-bit product, xored.
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    #[allow(clippy::cast_possible_truncation)]
    let (low, high) = (product as u64, (product >> 64) as u64);
    low ^ high
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::caveat::Interface;
    use crate::codec::Format;
    use crate::context::Expect;
    use crate::identifier::{InviteType, Persistence, Subject, TokenType};
    use crate::key::{KeyRing, RootKey};
    use crate::revocation::{Generations, NamedTokens};

    const KEY_IDS: [Option<&str>; 3] = [None, Some("k1"), Some("k2")];

    fn key(secret: &str) -> RootKey {
        RootKey::from_bytes(secret.as_bytes()).expect("key")
    }

    fn ring() -> KeyRing {
        let mut ring = KeyRing::new();
        ring.set_default(key("default"));
        ring.insert("k1", key("one"));
        ring.insert("k2", key("two"));
        ring
    }

    /// The caller's revocation state, shared by the plain verifier and the cache's.
    #[derive(Default)]
    struct Sources {
        named: Arc<NamedTokens>,
        generations: Arc<Generations>,
    }

    const TOKEN_IDS: [&str; 2] = ["t0", "t1"];
    const SUBJECTS: [&str; 2] = ["alice", "bob"];

    fn subject(s: u8) -> Subject<'static> {
        Subject::User(SUBJECTS[usize::from(s % 2)].into())
    }

    fn verifier() -> Verifier {
        let has = |name: &'static str| move |v: &str, ctx: &Context| ctx.attribute(name) == Some(v);
        Verifier::new()
            .with_leeway(1)
            .with_predicate("example.com/a", has("example.com/a"))
            .with_predicate("example.com/b", has("example.com/b"))
    }

    fn verifier_with(sources: &Sources) -> Verifier {
        verifier()
            .with_revocation_source(Arc::clone(&sources.named))
            .with_generation_source(Arc::clone(&sources.generations))
    }

    /// Kinds 0–3 are allowed for every token type; 4–6 only for some (`interface`: access and
    /// identity; `inviteType`: access and invite; `data.readonly`: access, and never holds here).
    fn caveat(kind: u8, x: u8) -> Caveat {
        match kind % 7 {
            0 => Caveat::time(u64::from(x)),
            1 => Caveat::from_json_str(&format!(
                r#"{{"type":"ip","whitelist":["10.{}.0.0/16","2001:db8::/32"]}}"#,
                x % 3
            ))
            .expect("ip"),
            2 => Caveat::from_text(&format!(
                "example.com/{} = {}",
                ["a", "b"][usize::from(x % 2)],
                x % 3
            ))
            .expect("app"),
            3 => Caveat::from_text("other.org/x = 1").expect("app without a predicate"),
            4 => {
                Caveat::from_text(["interface = rest", "interface = oneclient"][usize::from(x % 2)])
                    .expect("interface")
            }
            5 => Caveat::from_text(
                ["inviteType = userJoinGroup", "inviteType = supportSpace"][usize::from(x % 2)],
            )
            .expect("invite type"),
            _ => Caveat::from_text("data.readonly").expect("data.readonly"),
        }
    }

    /// A token to mint: its format, signer and key id, type, persistence and caveats.
    #[derive(Debug, Clone)]
    struct Spec {
        onedata: bool,
        signer: u8,
        key_id: u8,
        token_type: u8,
        /// Named (token id `t0`/`t1`) or temporary (subject, generation 0–2).
        persistence: u8,
        subject: u8,
        caveats: Vec<(u8, u8)>,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            any::<bool>(),
            0u8..4,
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            vec((any::<u8>(), any::<u8>()), 0..5),
        )
            .prop_map(
                |(onedata, signer, key_id, token_type, persistence, subject, caveats)| Spec {
                    onedata,
                    signer,
                    key_id,
                    token_type,
                    persistence,
                    subject,
                    caveats,
                },
            )
    }

    fn mint_spec(spec: &Spec) -> String {
        // Mostly signed by the key the key id names; Onedata tokens carry no key id.
        let key_id = if spec.onedata {
            None
        } else {
            KEY_IDS[usize::from(spec.key_id % 3)]
        };
        let signer = match (spec.signer, key_id) {
            (3, _) => key("not in the ring"),
            (_, None) => key("default"),
            (_, Some("k1")) => key("one"),
            (_, Some(_)) => key("two"),
        };
        let token_type = match spec.token_type % 4 {
            0 => TokenType::Access { session: None },
            1 => TokenType::Identity,
            2 => TokenType::Invite {
                invite_type: InviteType::UserJoinGroup,
                target: "g1".into(),
                params: "".into(),
            },
            _ => TokenType::Invite {
                invite_type: InviteType::SupportSpace,
                target: "s1".into(),
                params: "".into(),
            },
        };
        let persistence = match spec.persistence % 4 {
            0 | 1 => Persistence::Named,
            p => Persistence::Temporary {
                generation: u64::from(p - 2 + spec.persistence / 4 % 2),
            },
        };
        let id = Identifier {
            location: "auth.example.com".into(),
            key_id: key_id.map(Into::into),
            token_id: TOKEN_IDS[usize::from(spec.persistence % 2)].into(),
            subject: subject(spec.subject),
            token_type,
            persistence,
        };
        // Without the `onedata` feature, every token is native.
        #[cfg(feature = "onedata")]
        let format = if spec.onedata {
            Format::Onedata
        } else {
            Format::Native
        };
        #[cfg(not(feature = "onedata"))]
        let format = Format::Native;
        let caveats: Vec<Caveat> = spec.caveats.iter().map(|&(k, x)| caveat(k, x)).collect();
        // Unchecked: temporary tokens without a time caveat are among the decisions compared.
        crate::hazmat::mint_unchecked(format, &signer, &id, &caveats)
            .expect("mint")
            .to_text()
    }

    fn mint(signer: u8, key_id: u8, caveats: &[(u8, u8)]) -> String {
        mint_spec(&Spec {
            onedata: false,
            signer,
            key_id,
            token_type: 0,
            persistence: 0,
            subject: 0,
            caveats: caveats.to_vec(),
        })
    }

    fn context(now: u8, ip: u8, a: u8, b: u8) -> Context {
        let ip: IpAddr = match ip % 4 {
            0 => "10.0.1.2".parse(),
            1 => "10.1.1.2".parse(),
            2 => "2001:db8::7".parse(),
            _ => "192.0.2.1".parse(),
        }
        .expect("ip");
        Context::at(u64::from(now))
            .with_ip(ip)
            .with_attribute("example.com/a", (a % 3).to_string())
            .with_attribute("example.com/b", (b % 3).to_string())
    }

    /// A context that may also expect a token type and name the interface.
    fn full_context(now: u8, ip: u8, a: u8, b: u8, expect: u8) -> Context {
        let ctx = context(now, ip, a, b);
        let ctx = match expect % 4 {
            0 => ctx,
            _ => ctx.with_interface(Interface::ALL[usize::from(expect / 4 % 3)]),
        };
        match expect / 16 % 6 {
            0 => ctx,
            1 => ctx.expecting(Expect::Access),
            2 => ctx.expecting(Expect::Identity),
            3 => ctx.expecting(Expect::Invite(None)),
            4 => ctx.expecting(Expect::Invite(Some(InviteType::UserJoinGroup))),
            _ => ctx.expecting(Expect::Invite(Some(InviteType::SupportSpace))),
        }
    }

    /// What a caller can observe of a verification.
    fn outcome(
        r: Result<impl AsRef<VerifiedToken>, Error>,
    ) -> Result<(Option<u64>, String), Error> {
        r.map(|v| {
            let v = v.as_ref();
            (v.expires(), v.identifier().to_json().to_string())
        })
    }

    impl AsRef<VerifiedToken> for VerifiedToken {
        fn as_ref(&self) -> &VerifiedToken {
            self
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Verify {
            token: usize,
            ctx: (u8, u8, u8, u8, u8),
        },
        RemoveKey(u8),
        ReplaceKey(u8),
        RestoreKey(u8),
        /// Issue, revoke, reinstate or delete a named token.
        Named(u8, u8),
        /// Set a subject's generation (0–2), or bump it.
        Generation(u8, u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => (any::<usize>(), any::<(u8, u8, u8, u8, u8)>())
                .prop_map(|(token, ctx)| Op::Verify { token, ctx }),
            1 => any::<u8>().prop_map(Op::RemoveKey),
            1 => any::<u8>().prop_map(Op::ReplaceKey),
            1 => any::<u8>().prop_map(Op::RestoreKey),
            2 => any::<(u8, u8)>().prop_map(|(t, what)| Op::Named(t, what)),
            2 => any::<(u8, u8)>().prop_map(|(s, what)| Op::Generation(s, what)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Cached and uncached verification agree on every outcome (value or error id and
        /// details) while keys, revocations, generations, expectations and caveat contexts
        /// change between requests.

    #[test]
        fn the_cache_never_changes_a_decision(
            tokens in vec((spec(), prop::option::of(any::<prop::sample::Index>())), 1..5),
            ops in vec(op(), 1..40),
            capacity in 0usize..4,
        ) {
            let texts: Vec<String> = tokens
                .iter()
                .map(|(spec, tamper)| {
                    let mut text = mint_spec(spec);
                    // Tamper with some tokens (a character after the prefix).
                    if let Some(i) = tamper {
                        if spec.signer == 0 {
                            let i = 5 + i.index(text.len() - 5);
                            let c = text.as_bytes()[i];
                            let flipped = if c == b'A' { 'B' } else { 'A' };
                            text.replace_range(i..=i, &flipped.to_string());
                        }
                    }
                    text
                })
                .collect();
            let mut keys = ring();
            let sources = Sources::default();
            // Start with every named token active and every subject at generation 0.
            for t in TOKEN_IDS {
                sources.named.issue(t);
            }
            for s in 0..2 {
                sources.generations.set(&subject(s), 0);
            }
            let plain = verifier_with(&sources);
            let cache = VerificationCache::new(verifier_with(&sources), capacity);
            for op in ops {
                let id = |k: u8| ["k1", "k2"][usize::from(k % 2)];
                match op {
                    Op::Verify { token, ctx } => {
                        let text = &texts[token % texts.len()];
                        let ctx = full_context(ctx.0, ctx.1, ctx.2, ctx.3, ctx.4);
                        let expected = outcome(plain.verify_text(text, &keys, &ctx));
                        let cached = outcome(cache.verify_text(text, &keys, &ctx));
                        prop_assert_eq!(cached, expected);
                    }
                    Op::RemoveKey(k) => {
                        keys.remove(id(k));
                    }
                    Op::ReplaceKey(k) => keys.insert(id(k), key("a replacement")),
                    Op::RestoreKey(k) => keys.insert(id(k), key(["one", "two"][usize::from(k % 2)])),
                    Op::Named(t, what) => {
                        let t = TOKEN_IDS[usize::from(t % 2)];
                        match what % 4 {
                            0 => sources.named.issue(t),
                            1 => {
                                sources.named.revoke(t);
                            }
                            2 => {
                                sources.named.reinstate(t);
                            }
                            _ => {
                                sources.named.delete(t);
                            }
                        }
                    }
                    Op::Generation(s, what) => match what % 4 {
                        3 => {
                            sources.generations.bump(&subject(s));
                        }
                        g => sources.generations.set(&subject(s), u64::from(g)),
                    },
                }
                prop_assert!(cache.len() <= cache.capacity());
            }
        }
    }

    #[test]
    fn removing_a_key_invalidates_its_entries() {
        let text = mint(1, 1, &[(0, 200)]);
        let mut keys = ring();
        let cache = VerificationCache::new(verifier(), 16);
        let ctx = Context::at(100);
        cache.verify_text(&text, &keys, &ctx).expect("verifies");
        assert_eq!(cache.len(), 1);
        cache.verify_text(&text, &keys, &ctx).expect("a hit");

        keys.remove("k1");
        let err = cache.verify_text(&text, &keys, &ctx).expect_err("key gone");
        assert_eq!(err.id(), "tokenInvalid");
        assert!(cache.is_empty(), "the stale entry is dropped");

        // The same key id, another key: still invalid.
        keys.insert("k1", key("a replacement"));
        let err = cache
            .verify_text(&text, &keys, &ctx)
            .expect_err("other key");
        assert_eq!(err.id(), "tokenInvalid");

        // The original key back: valid again.
        keys.insert("k1", key("one"));
        cache
            .verify_text(&text, &keys, &ctx)
            .expect("verifies again");
        assert_eq!(cache.len(), 1);

        // Replaced while its entry is cached: the entry no longer counts.
        keys.insert("k1", key("a replacement"));
        let err = cache
            .verify_text(&text, &keys, &ctx)
            .expect_err("replaced key");
        assert_eq!(err.id(), "tokenInvalid");
        assert!(cache.is_empty());
    }

    #[test]
    fn hits_still_clear_every_caveat_against_the_request() {
        // Valid before 200, from 10.0.0.0/16 (or 2001:db8::/32), for requests with a = 0.
        let text = mint(0, 0, &[(0, 200), (1, 0), (2, 0)]);
        let keys = ring();
        let cache = VerificationCache::new(verifier(), 16);
        let ok = context(100, 0, 0, 0);
        let first = cache.verify_text(&text, &keys, &ok).expect("verifies");
        assert_eq!(first.expires(), Some(200));
        for (ctx, index) in [
            (context(201, 0, 0, 0), 0),
            (context(100, 3, 0, 0), 1),
            (context(100, 0, 1, 0), 2),
        ] {
            match cache.verify_text(&text, &keys, &ctx) {
                Err(Error::Denied(crate::DenialError::CaveatUnverified { index: i, .. })) => {
                    assert_eq!(i, index)
                }
                other => panic!("expected caveat {index} to fail, got {other:?}"),
            }
        }
        assert_eq!(cache.len(), 1);
        cache
            .verify_text(&text, &keys, &ok)
            .expect("still verifies");
    }

    #[test]
    fn failures_are_not_cached_and_capacity_is_a_bound() {
        let keys = ring();
        let cache = VerificationCache::new(verifier(), 8);
        let ctx = Context::at(0);
        let forged = mint(3, 1, &[]);
        for _ in 0..3 {
            assert_eq!(
                cache
                    .verify_text(&forged, &keys, &ctx)
                    .expect_err("forged")
                    .id(),
                "tokenInvalid"
            );
        }
        assert!(cache.is_empty());
        for x in 0..100u8 {
            let text = mint(1, 1, &[(0, 100), (0, x.wrapping_add(1))]);
            cache.verify_text(&text, &keys, &ctx).expect("verifies");
            assert!(cache.len() <= cache.capacity());
        }
        assert_eq!(cache.len(), cache.capacity());
        cache.clear();
        assert!(cache.is_empty());
        let none = VerificationCache::new(verifier(), 0);
        none.verify_text(&mint(1, 1, &[]), &keys, &ctx)
            .expect("verifies");
        assert!(none.is_empty());
    }

    #[test]
    fn shared_between_threads() {
        let keys = ring();
        let cache = VerificationCache::new(verifier(), 1024);
        let texts: Vec<String> = (0..8u8)
            .map(|x| mint(1, 1, &[(0, 200), (0, 150 + x)]))
            .collect();
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let (cache, keys, texts) = (&cache, &keys, &texts);
                s.spawn(move || {
                    for i in 0..200usize {
                        let text = &texts[(i + usize::from(t)) % texts.len()];
                        let ctx = context(100, 0, 0, 0);
                        let expected = outcome(cache.verifier().verify_text(text, keys, &ctx));
                        assert_eq!(outcome(cache.verify_text(text, keys, &ctx)), expected);
                    }
                });
            }
        });
        assert_eq!(cache.len(), texts.len());
    }

    #[test]
    fn racing_hits_inserts_evictions_and_clears_never_change_a_decision() {
        // Eight slots (one set) for 24 tokens, some forged or expired, from four threads; one of
        // them also clears the cache now and then. Every answer must be the uncached one, and
        // the handles a thread holds must stay valid while others evict their slots.
        let keys = ring();
        let cache = VerificationCache::new(verifier(), 8);
        let texts: Vec<String> = (0..24u8)
            .map(|x| match x % 6 {
                5 => mint(3, 1, &[(0, 200)]),    // forged
                4 => mint(1, 1, &[(0, 90 + x)]), // expired at some of the times below
                _ => mint(1, 1, &[(0, 200), (0, 150 + x)]),
            })
            .collect();
        let held: Vec<Vec<(&String, CachedToken)>> = std::thread::scope(|s| {
            let spawned: Vec<_> = (0..4usize)
                .map(|t| {
                    let (cache, keys, texts) = (&cache, &keys, &texts);
                    s.spawn(move || {
                        let mut held = Vec::new();
                        for i in 0..600usize {
                            let text = &texts[(i * (t + 1) + t) % texts.len()];
                            #[allow(clippy::cast_possible_truncation)]
                            let ctx = context(90 + (i % 40) as u8, 0, 0, 0);
                            let expected = outcome(cache.verifier().verify_text(text, keys, &ctx));
                            let got = cache.verify_text(text, keys, &ctx);
                            if let Ok(token) = &got {
                                if i % 50 == 0 {
                                    held.push((text, token.clone()));
                                }
                            }
                            assert_eq!(outcome(got), expected);
                            if t == 0 && i % 97 == 0 {
                                cache.clear();
                            }
                            assert!(cache.len() <= cache.capacity());
                        }
                        held
                    })
                })
                .collect();
            spawned
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        // Tokens handed out long ago are still whole, though most were evicted since.
        for (text, token) in held.iter().flatten() {
            assert_eq!(token.token().to_text(), **text);
            assert!(token.expires().is_some());
        }
        assert!(held.iter().map(Vec::len).sum::<usize>() > 0);
    }

    #[test]
    fn the_text_hash_sees_the_length_and_every_byte_of_the_suffix() {
        let hasher = TextHasher::new();
        let text = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEF";
        let base = hasher.hash(text);
        assert_eq!(base, hasher.hash(text), "deterministic for one cache");
        // Each byte of the hashed suffix moves the hash (a 1-bit change through a folded
        // multiplication with a random key collides with odds of about 2^-64).
        for i in text.len() - HASHED_SUFFIX..text.len() {
            let mut edited = *text;
            edited[i] ^= 1;
            assert_ne!(hasher.hash(&edited), base, "byte {i}");
        }
        // Bytes before the suffix are not hashed; the length is.
        let mut edited = *text;
        edited[0] ^= 1;
        assert_eq!(hasher.hash(&edited), base);
        assert_ne!(hasher.hash(&text[1..]), base);
        // Texts shorter than the suffix are hashed whole, the empty one too.
        assert_ne!(hasher.hash(b"ab"), hasher.hash(b"ac"));
        assert_ne!(hasher.hash(b""), hasher.hash(b"\0"));
    }
}
