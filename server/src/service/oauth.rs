//! The OAuth-style grants (Spotinst's password and refresh-token grants, IBM IAM's API-key
//! exchange), RFC 7662 introspection and RFC 7009 revocation.
//!
//! A password login starts a refresh *family*. Every access token of the family is an access
//! token bound to the family's id as its session, so revoking the family (RFC 7009, or a reused
//! refresh token, OAuth 2.1 §4.3.1) stops its access tokens too. A refresh token is 256 random
//! bits, stored as its SHA-256 only; each use rotates it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::{
    Caveat, Exchange, Expect, Identifier, KeySource, NamedStatus, Persistence, RevocationSource,
    Subject, TokenType,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    keys, now, random_id, Service, ServiceError, User, ACCESS_TTL, APIKEY_ACCESS_TTL, REFRESH_TTL,
};
use crate::store::{RefreshRow, RefreshUse};

/// The prefix of refresh tokens (they are not caveat tokens: only this service reads them).
const REFRESH_PREFIX: &str = "rt1.";

/// An access token and, from the password and refresh grants, a refresh token.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token (none for the API-key grant).
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// When it expires, unix seconds.
    pub expiration: u64,
}

impl TokenPair {
    /// The RFC 6749 §5.1 response.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "expiration": self.expiration,
        });
        if let (Some(r), Value::Object(o)) = (&self.refresh_token, &mut v) {
            o.insert("refresh_token".into(), json!(r));
        }
        v
    }
}

/// Why a grant failed, as RFC 6749 §5.2 names it.
#[derive(Debug)]
pub enum AccessGrant {
    /// `invalid_grant`: the credential is wrong, expired, used or revoked.
    InvalidGrant(String),
    /// `invalid_request`: a required parameter is missing.
    InvalidRequest(String),
    /// The service failed.
    Internal(ServiceError),
}

impl From<ServiceError> for AccessGrant {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Internal(_) | ServiceError::Unavailable { .. } => Self::Internal(e),
            other => Self::InvalidGrant(other.id().to_owned()),
        }
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh(family: &str, at: u64) -> Result<(String, RefreshRow), ServiceError> {
    let bytes = keys::random::<32>().map_err(|e| ServiceError::Internal(e.to_string()))?;
    let token = format!("{REFRESH_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let row = RefreshRow {
        hash: hash(&token),
        family: family.to_owned(),
        created: at,
        expires: at.saturating_add(REFRESH_TTL),
    };
    Ok((token, row))
}

impl Service {
    /// Mints a family's access token for `user`.
    async fn family_access(&self, user: &User, family: &str) -> Result<TokenPair, ServiceError> {
        let at = now();
        let ttl = ACCESS_TTL.min(self.policy.max_ttl());
        let generation = self.generation_of(user).await?;
        let expiration = at.saturating_add(ttl);
        let token = self.mint(
            user,
            &random_id()?,
            TokenType::Access {
                session: Some(family.into()),
            },
            Persistence::Temporary { generation },
            &[Caveat::time(expiration)],
        )?;
        Ok(TokenPair {
            access_token: token.to_text(),
            refresh_token: None,
            expires_in: ttl,
            expiration,
        })
    }

    /// `grant_type=password`: a new family with its first refresh token and an access token.
    ///
    /// # Errors
    /// `invalid_grant` for wrong credentials.
    pub async fn password_grant(
        &self,
        name: &str,
        password: &str,
    ) -> Result<TokenPair, AccessGrant> {
        let user = self
            .login(name, password)
            .await
            .map_err(|_| AccessGrant::InvalidGrant("wrong user name or password".into()))?;
        let family = random_id()?;
        let (refresh, row) = new_refresh(&family, now())?;
        let owner = user.id.clone();
        self.blocking(move |s| s.add_refresh_family(&owner, &row))
            .await?;
        let mut pair = self.family_access(&user, &family).await?;
        pair.refresh_token = Some(refresh);
        Ok(pair)
    }

    /// `grant_type=refresh_token`: rotates the refresh token; a used one revokes its family.
    ///
    /// # Errors
    /// `invalid_grant` for an unknown, expired, used or revoked refresh token.
    pub async fn refresh_grant(&self, refresh: &str) -> Result<TokenPair, AccessGrant> {
        let invalid = || AccessGrant::InvalidGrant("refresh token invalid".into());
        let presented = hash(refresh);
        let lookup = presented.clone();
        let (family, _) = self
            .blocking(move |s| s.refresh_family(&lookup))
            .await?
            .ok_or_else(invalid)?;
        let (next, row) = new_refresh(&family, now())?;
        let outcome = self
            .blocking(move |s| s.use_refresh(&presented, now(), &row))
            .await?;
        match outcome {
            RefreshUse::Rotated { user_id } => {
                let user = User { id: user_id };
                let mut pair = self.family_access(&user, &family).await?;
                pair.refresh_token = Some(next);
                Ok(pair)
            }
            RefreshUse::Reused { family } => {
                self.revoke_family_in_mirror(&family);
                Err(AccessGrant::InvalidGrant(
                    "refresh token reused: its family is revoked".into(),
                ))
            }
            RefreshUse::Invalid => Err(invalid()),
        }
    }

    /// IBM's API-key grant: the API key (an access token of the service) is exchanged for a
    /// 3600 s temporary access token with all of the key's caveats and a new time caveat.
    ///
    /// # Errors
    /// `invalid_grant` when the key does not verify.
    pub async fn apikey_grant(
        &self,
        apikey: &str,
        ip: Option<std::net::IpAddr>,
    ) -> Result<TokenPair, AccessGrant> {
        let at = now();
        let ctx = Self::context(at, ip, Some("rest"), Expect::Access)?;
        let verified = self.verify_fresh(apikey, &ctx).await?;
        let user = self.token_user(&verified)?;
        let generation = self.generation_of(&user).await?;
        let key_id = verified.identifier().key_id.map(|k| k.into_owned());
        let key = self
            .keys
            .root_key(key_id.as_deref())
            .ok_or_else(|| AccessGrant::InvalidGrant("tokenInvalid".into()))?;
        let ttl = APIKEY_ACCESS_TTL.min(self.policy.max_ttl());
        let token_id = random_id()?;
        let token = self
            .policy
            .exchange(
                &verified,
                key,
                &Exchange {
                    token_id: &token_id,
                    current_generation: generation,
                    now: at,
                    ttl,
                },
            )
            .map_err(ServiceError::from)?;
        // The expiry is the earliest of the key's own and the new one.
        let expiration = verified
            .expires()
            .map_or(at + ttl, |e| e.min(at.saturating_add(ttl)));
        Ok(TokenPair {
            access_token: token.to_text(),
            refresh_token: None,
            expires_in: expiration.saturating_sub(at),
            expiration,
        })
    }

    /// RFC 7662 introspection of an access token (or a refresh token).
    ///
    /// # Errors
    /// A store failure.
    pub async fn introspect(&self, token: &str) -> Result<Value, ServiceError> {
        self.require_sync()?;
        if token.starts_with(REFRESH_PREFIX) {
            let h = hash(token);
            let found = self.blocking(move |s| s.refresh_family(&h)).await?;
            let active = found.as_ref().is_some_and(|(family, _)| {
                self.families
                    .read()
                    .is_ok_and(|f| !f.contains(family.as_str()))
            });
            return Ok(match found {
                Some((_, user_id)) if active => json!({
                    "active": true,
                    "token_type": "refresh_token",
                    "sub": format!("usr-{user_id}"),
                }),
                _ => json!({"active": false}),
            });
        }
        if self.active(token, now()).is_none() {
            self.read_through(token).await;
        }
        let mark = self.sync.mark();
        let Some((id, exp)) = self.active(token, now()) else {
            return match self.unless_stale(mark, ServiceError::NotFound) {
                ServiceError::NotFound => Ok(json!({"active": false})),
                unavailable => Err(unavailable),
            };
        };
        let mut out = json!({
            "active": true,
            "token_type": "Bearer",
            "sub": id.subject.to_string(),
            "jti": id.token_id,
            "iss": id.location,
        });
        if let (Some(exp), Value::Object(o)) = (exp, &mut out) {
            o.insert("exp".into(), json!(exp));
        }
        Ok(out)
    }

    /// RFC 7009 revocation by whoever holds the token: a refresh token or a family's access
    /// token revokes the family; a named token is revoked. Returns `false` for a token this
    /// service cannot revoke on its own (a temporary token outside a family: only revoke-all
    /// stops it). An invalid token is not an error (RFC 7009 §2.2): it revokes nothing.
    ///
    /// # Errors
    /// A store failure.
    pub async fn revoke_presented(&self, token: &str) -> Result<bool, ServiceError> {
        self.require_sync()?;
        if token.starts_with(REFRESH_PREFIX) {
            let h = hash(token);
            if let Some((family, user_id)) = self.blocking(move |s| s.refresh_family(&h)).await? {
                self.revoke_family(&family, &user_id).await?;
            }
            return Ok(true);
        }
        // Only the signature matters: an expired or already revoked token may still be
        // revoked (it is a no-op), and its caveats say nothing about who may revoke it.
        let Some(identifier) = self.signed_identifier(token) else {
            return Ok(true);
        };
        let Subject::User(user_id) = &identifier.subject else {
            return Ok(true);
        };
        match (&identifier.persistence, &identifier.token_type) {
            (Persistence::Named, _) => {
                // The store decides (the token may be another node's, not mirrored yet).
                if self.named.named_status(&identifier.token_id) != NamedStatus::Revoked {
                    let user = User {
                        id: user_id.to_string(),
                    };
                    let update = super::NamedUpdate {
                        name: None,
                        custom_metadata: None,
                        revoked: Some(true),
                    };
                    match self
                        .update_named(&user, &identifier.token_id, &update)
                        .await
                    {
                        Ok(()) | Err(ServiceError::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(true)
            }
            (
                Persistence::Temporary { .. },
                TokenType::Access {
                    session: Some(family),
                },
            ) => {
                self.revoke_family(family, user_id).await?;
                Ok(true)
            }
            (Persistence::Temporary { .. }, _) => Ok(false),
        }
    }

    async fn revoke_family(&self, family: &str, user_id: &str) -> Result<(), ServiceError> {
        let (f, u) = (family.to_owned(), user_id.to_owned());
        if self
            .blocking(move |s| s.revoke_family(&f, Some(&u)))
            .await?
        {
            self.revoke_family_in_mirror(family);
        }
        Ok(())
    }

    /// Whether a token is active for introspection: its signature verifies, it is an access
    /// token, it is not revoked (named status, generation, refresh family) and not expired.
    /// Caveats that depend on the request (address, interface, …) are not cleared: the caller
    /// of `/introspect` is not the token's holder, so there is no request to clear them
    /// against. Returns the identifier and the expiry.
    fn active(&self, text: &str, at: u64) -> Option<(Identifier<'static>, Option<u64>)> {
        let token = caveat_token::Token::from_text(text, self.verifier.limits()).ok()?;
        let signed = self.verifier.check_signature(&token, &self.keys).ok()?;
        // A third-party caveat needs a discharge that introspection does not have.
        if signed.token().untrusted_third_party_caveats().len() > 0 {
            return None;
        }
        let id = signed.identifier().ok()?.into_owned();
        Expect::Access.check(&id.token_type).ok()?;
        let current = match id.persistence {
            Persistence::Named => self.named.named_status(&id.token_id) == NamedStatus::Active,
            Persistence::Temporary { generation } => {
                self.generations.get(&id.subject.to_string()) == Some(generation)
            }
        };
        if !current {
            return None;
        }
        if let TokenType::Access {
            session: Some(family),
        } = &id.token_type
        {
            if self
                .families
                .read()
                .map_or(true, |f| f.contains(family.as_ref()))
            {
                return None;
            }
        }
        // Every caveat must decode (an unknown one fails closed); the earliest time caveat is
        // the expiry, and a temporary token must have one.
        let mut exp: Option<u64> = None;
        for caveat in signed.token().untrusted_caveats() {
            if let Caveat::Time(t) = caveat.ok()? {
                exp = Some(exp.map_or(t.valid_until(), |e| e.min(t.valid_until())));
            }
        }
        match (exp, id.persistence) {
            (Some(e), _) if e <= at => None,
            (None, Persistence::Temporary { .. }) => None,
            _ => Some((id, exp)),
        }
    }

    /// The identifier of a token whose signature verifies under one of the keys (caveats not
    /// cleared), owned.
    pub(super) fn signed_identifier(&self, token: &str) -> Option<Identifier<'static>> {
        let token = caveat_token::Token::from_text(token, self.verifier.limits()).ok()?;
        let signed = self.verifier.check_signature(&token, &self.keys).ok()?;
        signed.identifier().ok().map(Identifier::into_owned)
    }
}
