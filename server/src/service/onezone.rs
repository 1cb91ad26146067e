//! Onezone's token model: temporary tokens (a mandatory time caveat, revoked all at once by a
//! generation bump) and named tokens (listed, renamed, revoked, deleted one by one), plus the
//! verification and examination of any token.

use std::borrow::Cow;
use std::net::IpAddr;

use caveat_token::{
    Caveat, Expect, Format, Identifier, InviteType, Limits, Persistence, Subject, Token, TokenType,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{now, random_id, Service, ServiceError, User, LOCATION};
use crate::store::{NamedPatch, NamedRow};

/// Longest token name, in bytes.
const MAX_NAME_LEN: usize = 255;

/// Most caveats a client may ask for in one token (the library's own decoding limit is higher;
/// a token the service mints must also stay well under the header sizes clients send).
const MAX_CAVEATS: usize = 64;

/// Largest custom metadata, in bytes of JSON.
const MAX_METADATA_LEN: usize = 4096;

/// `POST /user/tokens/temporary`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemporaryRequest {
    /// The token type (Onedata's JSON form); access by default.
    #[serde(rename = "type")]
    pub token_type: Option<Value>,
    /// The caveats (the library's JSON form); must include a time caveat.
    pub caveats: Option<Vec<Value>>,
}

/// `POST /user/tokens/named`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedRequest {
    /// The name, unique among the user's tokens.
    pub name: Option<String>,
    /// The token type; access by default.
    #[serde(rename = "type")]
    pub token_type: Option<Value>,
    /// The caveats.
    pub caveats: Option<Vec<Value>>,
    /// Any JSON object.
    #[serde(rename = "customMetadata")]
    pub custom_metadata: Option<Value>,
}

/// `PATCH /tokens/named/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedUpdate {
    /// A new name.
    pub name: Option<String>,
    /// New custom metadata.
    #[serde(rename = "customMetadata")]
    pub custom_metadata: Option<Value>,
    /// Revoke (true) or reinstate (false).
    pub revoked: Option<bool>,
}

/// The body of the verification endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token to verify.
    pub token: Option<String>,
    /// The address of the client that presented it.
    #[serde(rename = "peerIp")]
    pub peer_ip: Option<String>,
    /// The interface it came through (`rest`, `oneclient`, `graphsync`).
    pub interface: Option<String>,
    /// For invite tokens: the invite type expected.
    #[serde(rename = "expectedInviteType")]
    pub expected_invite_type: Option<String>,
}

/// Parses Onedata's JSON form of a token type (`{"accessToken":{}}`, …); `None` is access.
///
/// # Errors
/// `badValue` (key `type`), or the library's errors for bad ids.
pub fn parse_type(value: Option<&Value>) -> Result<TokenType<'static>, ServiceError> {
    let bad = |reason: &str| ServiceError::bad("type", reason);
    let Some(value) = value else {
        return Ok(TokenType::Access { session: None });
    };
    let obj = value.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
        bad("expected {\"accessToken\":{}}, {\"identityToken\":{}} or {\"inviteToken\":{..}}")
    })?;
    let Some((kind, inner)) = obj.iter().next() else {
        return Err(bad("empty type"));
    };
    let inner = inner
        .as_object()
        .ok_or_else(|| bad("the type's value must be an object"))?;
    let text = |key: &str| -> Result<Option<String>, ServiceError> {
        match inner.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad("ids must be strings")),
        }
    };
    let token_type = match kind.as_str() {
        "accessToken" => {
            if inner.keys().any(|k| k != "sessionId") {
                return Err(bad("accessToken takes only sessionId"));
            }
            TokenType::Access {
                session: text("sessionId")?.map(Cow::Owned),
            }
        }
        "identityToken" if inner.is_empty() => TokenType::Identity,
        "inviteToken" => {
            let name = text("inviteType")?.ok_or_else(|| bad("missing inviteType"))?;
            let invite_type = InviteType::parse(&name)?;
            let target_kind = invite_type.target_kind();
            if inner
                .keys()
                .any(|k| k != "inviteType" && k != target_kind && k != "parameters")
            {
                return Err(bad("unexpected field in inviteToken"));
            }
            let target = text(target_kind)?.ok_or_else(|| bad("missing invite target"))?;
            TokenType::Invite {
                invite_type,
                target: Cow::Owned(target),
                params: Cow::Owned(text("parameters")?.unwrap_or_default()),
            }
        }
        _ => return Err(bad("unknown token type")),
    };
    Ok(token_type)
}

fn parse_caveats(values: Option<&[Value]>) -> Result<Vec<Caveat>, ServiceError> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_CAVEATS {
        return Err(ServiceError::bad(
            "caveats",
            format!("at most {MAX_CAVEATS}"),
        ));
    }
    values
        .iter()
        .map(|v| Caveat::from_json(v).map_err(ServiceError::from))
        .collect()
}

fn check_name(name: &str) -> Result<(), ServiceError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(ServiceError::bad(
            "name",
            "1-255 bytes without control characters",
        ));
    }
    Ok(())
}

fn metadata_text(value: Option<&Value>) -> Result<String, ServiceError> {
    let text = match value {
        None => "{}".to_owned(),
        Some(v @ Value::Object(_)) => v.to_string(),
        Some(_) => return Err(ServiceError::bad("customMetadata", "must be an object")),
    };
    if text.len() > MAX_METADATA_LEN {
        return Err(ServiceError::bad(
            "customMetadata",
            format!("at most {MAX_METADATA_LEN} bytes"),
        ));
    }
    Ok(text)
}

/// `{"type":"user","id":…}` for a subject.
#[must_use]
pub fn subject_json(subject: &Subject<'_>) -> Value {
    match subject {
        Subject::User(id) => json!({"type": "user", "id": id}),
        Subject::Provider(id) => json!({"type": "oneprovider", "id": id}),
    }
}

impl Service {
    /// Mints a token for `user` with the current key.
    pub(super) fn mint(
        &self,
        user: &User,
        token_id: &str,
        token_type: TokenType<'_>,
        persistence: Persistence,
        caveats: &[Caveat],
    ) -> Result<Token, ServiceError> {
        let (key_id, key) = self.keys.0.current().ok_or_else(|| {
            ServiceError::Internal(super::keys::KeyError::NoActiveKey.to_string())
        })?;
        let identifier = Identifier {
            location: LOCATION.into(),
            key_id: Some(key_id.into()),
            token_id: token_id.into(),
            subject: Subject::User(user.id.as_str().into()),
            token_type,
            persistence,
        };
        Ok(self
            .policy
            .mint(Format::Native, key, &identifier, caveats, now())?)
    }

    /// The user's current generation, as the store has it.
    pub(super) async fn generation_of(&self, user: &User) -> Result<u64, ServiceError> {
        let id = user.id.clone();
        let row = self
            .blocking(move |s| s.user_by_id(&id))
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        self.generations.raise(&user.subject(), row.generation);
        Ok(row.generation)
    }

    /// Mints a temporary token of the user's current generation.
    ///
    /// # Errors
    /// `tokenTimeCaveatRequired` (with `maxTtl`), bad types and caveats.
    pub async fn create_temporary(
        &self,
        user: &User,
        request: &TemporaryRequest,
    ) -> Result<String, ServiceError> {
        let token_type = parse_type(request.token_type.as_ref())?;
        let caveats = parse_caveats(request.caveats.as_deref())?;
        let generation = self.generation_of(user).await?;
        let token = self.mint(
            user,
            &random_id()?,
            token_type,
            Persistence::Temporary { generation },
            &caveats,
        )?;
        Ok(token.to_text())
    }

    /// The user's current generation of temporary tokens.
    ///
    /// # Errors
    /// A store failure.
    pub async fn temporary_generation(&self, user: &User) -> Result<u64, ServiceError> {
        self.generation_of(user).await
    }

    /// Revokes every temporary token of the user (bumps the generation).
    ///
    /// # Errors
    /// A store failure.
    pub async fn revoke_all_temporary(&self, user: &User) -> Result<u64, ServiceError> {
        let id = user.id.clone();
        let generation = self
            .blocking(move |s| s.bump_generation(&id))
            .await?
            .ok_or(ServiceError::Unauthorized)?;
        self.generations.raise(&user.subject(), generation);
        Ok(generation)
    }

    /// Creates a named token; returns its id and the token. The token is returned only after
    /// its record is committed.
    ///
    /// # Errors
    /// `missingRequiredValue` (name), `badValueIdentifierOccupied`, bad types and caveats.
    pub async fn create_named(
        &self,
        user: &User,
        request: &NamedRequest,
        kind: &str,
    ) -> Result<(String, String), ServiceError> {
        let name = request
            .name
            .clone()
            .ok_or(ServiceError::Missing { key: "name" })?;
        check_name(&name)?;
        let token_type = parse_type(request.token_type.as_ref())?;
        let caveats = parse_caveats(request.caveats.as_deref())?;
        let custom_metadata = metadata_text(request.custom_metadata.as_ref())?;
        let id = random_id()?;
        let row = NamedRow {
            id: id.clone(),
            user_id: user.id.clone(),
            name,
            kind: kind.to_owned(),
            token_type: token_type.to_json().to_string(),
            caveats: Value::Array(caveats.iter().map(Caveat::to_json).collect()).to_string(),
            custom_metadata,
            created: now(),
            revoked: false,
            last_used: None,
        };
        let token = self.mint(user, &id, token_type, Persistence::Named, &caveats)?;
        self.blocking(move |s| s.add_named(&row)).await?;
        self.named.fill(&id, super::NamedEntry::Active);
        Ok((id, token.to_text()))
    }

    /// The user's named tokens of `kind` (all kinds for `None`).
    ///
    /// # Errors
    /// A store failure.
    pub async fn list_named(
        &self,
        user: &User,
        kind: Option<&'static str>,
    ) -> Result<Vec<NamedRow>, ServiceError> {
        let id = user.id.clone();
        let mut rows = self.blocking(move |s| s.named_of(&id, kind)).await?;
        for row in &mut rows {
            if let Some(at) = self.last_used.pending(&row.id) {
                row.last_used = Some(row.last_used.map_or(at, |t| t.max(at)));
            }
        }
        Ok(rows)
    }

    /// One of the user's named tokens (another user's is `notFound`, as a missing one is).
    ///
    /// # Errors
    /// `notFound`; a store failure.
    pub async fn get_named(&self, user: &User, id: &str) -> Result<Value, ServiceError> {
        let owned = id.to_owned();
        let row = self
            .blocking(move |s| s.named(&owned))
            .await?
            .filter(|r| r.user_id == user.id)
            .ok_or(ServiceError::NotFound)?;
        let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        let last_used = match (row.last_used, self.last_used.pending(&row.id)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(json!({
            "id": row.id,
            "name": row.name,
            "subject": {"type": "user", "id": row.user_id},
            "type": parse(&row.token_type),
            "caveats": parse(&row.caveats),
            "metadata": {"creationTime": row.created, "custom": parse(&row.custom_metadata)},
            "revoked": row.revoked,
            "lastUsed": last_used,
        }))
    }

    /// Renames, re-describes, revokes or reinstates one of the user's named tokens.
    ///
    /// # Errors
    /// `notFound`, `badValueIdentifierOccupied`, bad values.
    pub async fn update_named(
        &self,
        user: &User,
        id: &str,
        update: &NamedUpdate,
    ) -> Result<(), ServiceError> {
        if let Some(name) = &update.name {
            check_name(name)?;
        }
        let patch = NamedPatch {
            name: update.name.clone(),
            custom_metadata: update
                .custom_metadata
                .as_ref()
                .map(|m| metadata_text(Some(m)))
                .transpose()?,
            revoked: update.revoked,
        };
        let (user_id, token_id) = (user.id.clone(), id.to_owned());
        let found = self
            .blocking(move |s| s.update_named(&user_id, &token_id, &patch))
            .await?;
        if !found {
            return Err(ServiceError::NotFound);
        }
        match update.revoked {
            Some(true) => {
                self.named.set(id, super::NamedEntry::Revoked);
            }
            Some(false) => {
                self.named.set(id, super::NamedEntry::Active);
            }
            None => {}
        }
        Ok(())
    }

    /// Deletes one of the user's named tokens (it no longer verifies).
    ///
    /// # Errors
    /// `notFound`; a store failure.
    pub async fn delete_named(&self, user: &User, id: &str) -> Result<(), ServiceError> {
        let (user_id, token_id) = (user.id.clone(), id.to_owned());
        if !self
            .blocking(move |s| s.delete_named(&user_id, &token_id))
            .await?
        {
            return Err(ServiceError::NotFound);
        }
        self.named.set(id, super::NamedEntry::Gone);
        Ok(())
    }

    /// Verifies a token as `verify_*_token` does: `{"subject":…,"ttl":…}`.
    ///
    /// # Errors
    /// `missingRequiredValue` (token), `badValue` (peerIp, interface), the library's errors.
    pub async fn verify_request(
        &self,
        request: &VerifyRequest,
        expect: Expect,
    ) -> Result<Value, ServiceError> {
        let token = request
            .token
            .as_deref()
            .ok_or(ServiceError::Missing { key: "token" })?;
        let ip = request
            .peer_ip
            .as_deref()
            .map(|t| {
                t.parse::<IpAddr>()
                    .map_err(|_| ServiceError::bad("peerIp", "not an IP address"))
            })
            .transpose()?;
        let expect = match (expect, request.expected_invite_type.as_deref()) {
            (Expect::Invite(_), Some(name)) => Expect::Invite(Some(InviteType::parse(name)?)),
            (other, _) => other,
        };
        let at = now();
        let ctx = Self::context(at, ip, request.interface.as_deref(), expect)?;
        let verified = self.verify_fresh(token, &ctx).await?;
        let identifier = verified.identifier();
        let mut out = Map::new();
        out.insert("subject".into(), subject_json(&identifier.subject));
        out.insert(
            "ttl".into(),
            json!(verified.expires().map(|e| e.saturating_sub(at))),
        );
        if let Expect::Invite(_) = expect {
            out.insert("type".into(), identifier.token_type.to_json());
        }
        Ok(Value::Object(out))
    }

    /// What a token says about itself, unverified.
    ///
    /// # Errors
    /// `missingRequiredValue`; the library's decoding errors.
    pub fn examine(&self, token: Option<&str>) -> Result<Value, ServiceError> {
        let text = token.ok_or(ServiceError::Missing { key: "token" })?;
        let token = Token::from_text(text, &Limits::default())?;
        let identifier = token.untrusted_identifier()?;
        let caveats = token
            .untrusted_caveats()
            .map(|c| c.map(|c| c.to_json()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = identifier.to_json();
        if let Value::Object(o) = &mut out {
            o.insert("subject".into(), subject_json(&identifier.subject));
            o.insert("caveats".into(), Value::Array(caveats));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_types_in_onedata_json() {
        assert_eq!(
            parse_type(None).expect("default"),
            TokenType::Access { session: None }
        );
        let t = parse_type(Some(&json!({"accessToken": {"sessionId": "s1"}}))).expect("access");
        assert_eq!(t.to_json(), json!({"accessToken": {"sessionId": "s1"}}));
        let t = parse_type(Some(&json!({"identityToken": {}}))).expect("identity");
        assert_eq!(t, TokenType::Identity);
        let invite = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}});
        assert_eq!(parse_type(Some(&invite)).expect("invite").to_json(), invite);
        for bad in [
            json!("accessToken"),
            json!({"accessToken": {"x": 1}}),
            json!({"accessToken": {}, "identityToken": {}}),
            json!({"inviteToken": {"inviteType": "userJoinGroup"}}),
            json!({"inviteToken": {"inviteType": "userJoinGroup", "spaceId": "s"}}),
            json!({"refreshToken": {}}),
        ] {
            assert!(parse_type(Some(&bad)).is_err(), "{bad}");
        }
        let unknown = json!({"inviteToken": {"inviteType": "nope", "groupId": "g"}});
        assert_eq!(
            parse_type(Some(&unknown)).expect_err("unknown").id(),
            "badValueInviteType"
        );
    }
}
