//! `GET /openapi.json`: an OpenAPI 3.0 description of every route, its bodies and every status
//! it answers with, errors included. CI runs schemathesis against a live server with it: no 5xx,
//! and every response matches.

use serde_json::{json, Map, Value};

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn json_body(schema: Value) -> Value {
    json!({"content": {"application/json": {"schema": schema}}})
}

fn described(description: &str, schema: Option<Value>) -> Value {
    let mut r = Map::new();
    r.insert("description".into(), json!(description));
    if let Some(s) = schema {
        r.insert("content".into(), json!({"application/json": {"schema": s}}));
    }
    Value::Object(r)
}

/// The errors every route may answer with, in the service's error form.
fn common_errors(responses: &mut Map<String, Value>, codes: &[(&str, &str)]) {
    for (code, description) in codes {
        responses
            .entry((*code).to_owned())
            .or_insert_with(|| described(description, Some(schema_ref("Error"))));
    }
}

const AUTHED_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Bad request: malformedData, a bad value, or a library error",
    ),
    ("401", "Missing or refused credentials"),
    ("413", "requestTooLarge"),
    (
        "429",
        "tooManyRequests (failed password checks are rate limited)",
    ),
    (
        "503",
        "serviceUnavailable: the node is out of sync with the shared state for longer than its bound, or the database is unreachable",
    ),
];

const OPEN_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Bad request: malformedData, a bad value, or the library's error JSON",
    ),
    ("413", "requestTooLarge"),
    ("429", "tooManyRequests"),
    (
        "503",
        "serviceUnavailable: the node is out of sync with the shared state for longer than its bound, or the database is unreachable",
    ),
];

fn op(summary: &str, authed: bool, body: Option<Value>, ok: &[(&str, Value)]) -> Value {
    let mut responses = Map::new();
    for (code, r) in ok {
        responses.insert((*code).to_owned(), r.clone());
    }
    common_errors(
        &mut responses,
        if authed { AUTHED_ERRORS } else { OPEN_ERRORS },
    );
    let mut o = Map::new();
    o.insert("summary".into(), json!(summary));
    if authed {
        o.insert(
            "security".into(),
            json!([{"basic": []}, {"bearer": []}, {"xAuthToken": []}]),
        );
    }
    if let Some(b) = body {
        o.insert("requestBody".into(), b);
    }
    o.insert("responses".into(), Value::Object(responses));
    Value::Object(o)
}

fn id_param() -> Value {
    json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}])
}

fn with_params(mut operation: Value, params: Value) -> Value {
    if let Value::Object(o) = &mut operation {
        o.insert("parameters".into(), params);
    }
    operation
}

fn form_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": schema}}})
}

fn named_paths() -> Value {
    let record = described("The named token's record", Some(schema_ref("NamedRecord")));
    let not_found = described(
        "notFound (also for another user's token)",
        Some(schema_ref("Error")),
    );
    let no_content = described("Done", None);
    let update = json_body(schema_ref("NamedUpdate"));
    let item = json!({
        "get": with_params(op("A named token's record", true, None, &[("200", record), ("404", not_found.clone())]), id_param()),
        "patch": with_params(op("Renames, re-describes, revokes or reinstates a named token", true, Some(update), &[("204", no_content.clone()), ("404", not_found.clone())]), id_param()),
        "delete": with_params(op("Deletes a named token", true, None, &[("204", no_content), ("404", not_found)]), id_param()),
    });
    item
}

fn verify_op(summary: &str, with_type: bool) -> Value {
    let result = if with_type {
        schema_ref("VerifyInviteResult")
    } else {
        schema_ref("VerifyResult")
    };
    op(
        summary,
        false,
        Some(json_body(schema_ref("VerifyRequest"))),
        &[("200", described("Valid", Some(result)))],
    )
}

/// The document.
#[must_use]
pub fn document() -> Value {
    let oz = "/api/v3/onezone";
    let token = described("The token", Some(schema_ref("TokenText")));
    let mut paths = Map::new();
    paths.insert(
        format!("{oz}/user/tokens/temporary"),
        json!({
            "post": op("Mints a temporary token (a time caveat is required)", true,
                       Some(json_body(schema_ref("TemporaryRequest"))),
                       &[("201", token.clone())]),
            "get": op("The current generation of the user's temporary tokens", true, None,
                      &[("200", described("The generation", Some(schema_ref("Generation"))))]),
            "delete": op("Revokes every temporary token of the user", true, None,
                         &[("204", described("Done", None))]),
        }),
    );
    paths.insert(
        format!("{oz}/user/tokens/named"),
        json!({
            "post": op("Creates a named token", true, Some(json_body(schema_ref("NamedRequest"))),
                       &[("201", described("Created", Some(schema_ref("NamedCreated"))))]),
            "get": op("Lists the user's named tokens", true, None,
                      &[("200", described("Token ids", Some(schema_ref("TokenIds"))))]),
        }),
    );
    paths.insert(format!("{oz}/user/tokens/named/{{id}}"), named_paths());
    paths.insert(format!("{oz}/tokens/named/{{id}}"), named_paths());
    paths.insert(
        format!("{oz}/tokens/verify_access_token"),
        json!({"post": verify_op("Verifies an access token", false)}),
    );
    paths.insert(
        format!("{oz}/tokens/verify_identity_token"),
        json!({"post": verify_op("Verifies an identity token", false)}),
    );
    paths.insert(
        format!("{oz}/tokens/verify_invite_token"),
        json!({"post": verify_op("Verifies an invite token", true)}),
    );
    paths.insert(format!("{oz}/tokens/examine"), json!({
        "post": op("What a token says about itself, unverified", false,
                   Some(json_body(json!({"type": "object", "additionalProperties": false, "required": ["token"], "properties": {"token": {"type": "string"}}}))),
                   &[("200", described("The token's fields", Some(schema_ref("Examined"))))]),
    }));
    paths.insert("/token".into(), json!({
        "post": op("OAuth-style token endpoint: password, refresh_token and IBM apikey grants", false,
                   Some(form_body(schema_ref("TokenForm"))),
                   &[("200", described("A token pair", Some(schema_ref("TokenPair")))),
                     ("400", described("RFC 6749 error, or malformedData", Some(json!({"oneOf": [schema_ref("OAuthError"), schema_ref("Error")]}))))]),
    }));
    paths.insert("/introspect".into(), json!({
        "post": op("RFC 7662 introspection", true, Some(form_body(schema_ref("TokenParam"))),
                   &[("200", described("Introspection", Some(schema_ref("Introspection")))),
                     ("400", described("RFC 6749 error, or malformedData", Some(json!({"oneOf": [schema_ref("OAuthError"), schema_ref("Error")]}))))]),
    }));
    paths.insert("/revoke".into(), json!({
        "post": op("RFC 7009 revocation", false, Some(form_body(schema_ref("TokenParam"))),
                   &[("200", described("Revoked (or nothing to revoke)", None)),
                     ("400", described("unsupported_token_type, invalid_request, or malformedData", Some(json!({"oneOf": [schema_ref("OAuthError"), schema_ref("Error")]}))))]),
    }));
    let insight_401 = described("Credentials required", Some(schema_ref("InsightError")));
    paths.insert(
        "/api/createApiToken".into(),
        json!({
            "get": op("Creates an Insight API token", true, None,
                      &[("200", token), ("401", insight_401.clone())]),
        }),
    );
    paths.insert("/api/getApiTokens".into(), json!({
        "get": op("Lists the user's Insight API tokens", true, None,
                  &[("200", described("API tokens", Some(json!({"type": "array", "items": schema_ref("ApiToken")})))),
                    ("401", insight_401.clone())]),
    }));
    paths.insert("/api/revokeApiToken".into(), json!({
        "get": with_params(op("Revokes the Insight API token sent in X-Auth-Token", false, None,
                  &[("200", described("Always", Some(json!({"type": "object"})))), ("401", insight_401)]),
                  json!([{"name": "X-Auth-Token", "in": "header", "required": false, "schema": {"type": "string"}}])),
    }));
    paths.insert("/health".into(), json!({
        "get": {"summary": "Liveness and the node's lag behind the shared state", "responses": {
            "200": described("In sync", Some(schema_ref("Health"))),
            "503": described("Out of sync for longer than --max-staleness", Some(schema_ref("Health"))),
        }},
    }));
    paths.insert("/openapi.json".into(), json!({
        "get": {"summary": "This document", "responses": {"200": described("OpenAPI 3.0", Some(json!({"type": "object"})))}},
    }));
    json!({
        "openapi": "3.0.3",
        "info": {"title": "caveat-server", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Onezone, OAuth-style and Insight.io token APIs on caveat-token."},
        "paths": paths,
        "components": {"securitySchemes": security(), "schemas": schemas()},
    })
}

fn security() -> Value {
    json!({
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer"},
        "xAuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
    })
}

fn schemas() -> Value {
    let caveats = json!({"type": "array", "items": {"type": "object"}});
    json!({
        "Health": {"type": "object", "required": ["status", "lagSeconds", "maxStalenessSeconds", "lastChange"],
                   "properties": {"status": {"type": "string", "enum": ["ok", "stale"]},
                                  "lagSeconds": {"type": "number"}, "maxStalenessSeconds": {"type": "integer"},
                                  "lastChange": {"type": "integer"}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["id", "details", "description"],
            "properties": {"id": {"type": "string"}, "details": {"type": "object"},
                           "description": {"type": "string"}}}}},
        "OAuthError": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"}, "error_description": {"type": "string"}}},
        "InsightError": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string", "enum": ["Credentials required"]}}},
        "TokenText": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
        "Generation": {"type": "object", "required": ["generation"], "properties": {"generation": {"type": "integer", "minimum": 0}}},
        "TokenIds": {"type": "object", "required": ["tokens"], "properties": {"tokens": {"type": "array", "items": {"type": "string"}}}},
        "TemporaryRequest": {"type": "object", "additionalProperties": false, "required": ["caveats"], "properties": {
            "type": {"type": "object"}, "caveats": caveats.clone()}},
        "NamedRequest": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {
            "name": {"type": "string"}, "type": {"type": "object"}, "caveats": caveats.clone(),
            "customMetadata": {"type": "object"}}},
        "NamedUpdate": {"type": "object", "additionalProperties": false, "properties": {
            "name": {"type": "string"}, "customMetadata": {"type": "object"}, "revoked": {"type": "boolean"}}},
        "NamedCreated": {"type": "object", "required": ["tokenId", "token"], "properties": {
            "tokenId": {"type": "string"}, "token": {"type": "string"}}},
        "NamedRecord": {"type": "object",
            "required": ["id", "name", "subject", "type", "caveats", "metadata", "revoked", "lastUsed"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                "subject": schema_ref("Subject"), "type": {"type": "object"}, "caveats": caveats,
                "metadata": {"type": "object", "required": ["creationTime", "custom"], "properties": {
                    "creationTime": {"type": "integer"}, "custom": {"type": "object"}}},
                "revoked": {"type": "boolean"}, "lastUsed": {"type": "integer", "nullable": true}}},
        "Subject": {"type": "object", "required": ["type", "id"], "properties": {
            "type": {"type": "string", "enum": ["user", "oneprovider"]}, "id": {"type": "string"}}},
        "VerifyRequest": {"type": "object", "additionalProperties": false, "required": ["token"], "properties": {
            "token": {"type": "string"}, "peerIp": {"type": "string"}, "interface": {"type": "string"},
            "expectedInviteType": {"type": "string"}}},
        "VerifyResult": {"type": "object", "required": ["subject", "ttl"], "properties": {
            "subject": schema_ref("Subject"), "ttl": {"type": "integer", "nullable": true}}},
        "VerifyInviteResult": {"type": "object", "required": ["subject", "ttl", "type"], "properties": {
            "subject": schema_ref("Subject"), "ttl": {"type": "integer", "nullable": true},
            "type": {"type": "object"}}},
        "Examined": {"type": "object", "required": ["id", "subject", "type", "persistence", "caveats"]},
        "TokenForm": {"type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"type": "string", "enum": ["password", "refresh_token", "urn:ibm:params:oauth:grant-type:apikey"]}, "username": {"type": "string"}, "password": {"type": "string"},
            "refresh_token": {"type": "string"}, "apikey": {"type": "string"}}},
        "TokenPair": {"type": "object", "required": ["access_token", "token_type", "expires_in", "expiration"],
            "properties": {"access_token": {"type": "string"}, "refresh_token": {"type": "string"},
                "token_type": {"type": "string", "enum": ["Bearer"]}, "expires_in": {"type": "integer"},
                "expiration": {"type": "integer"}}},
        "TokenParam": {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"},
            "token_type_hint": {"type": "string"}}},
        "Introspection": {"type": "object", "required": ["active"], "properties": {
            "active": {"type": "boolean"}, "token_type": {"type": "string"}, "sub": {"type": "string"},
            "jti": {"type": "string"}, "iss": {"type": "string"}, "exp": {"type": "integer"}}},
        "ApiToken": {"type": "object", "required": ["uid", "tokenId", "created", "lastUsed"], "properties": {
            "uid": {"type": "string"}, "tokenId": {"type": "string"}, "created": {"type": "integer"},
            "lastUsed": {"type": "integer", "nullable": true}}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves_and_every_operation_documents_its_errors() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for part in text.split("#/components/schemas/").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
            assert!(schemas.contains_key(&name), "unresolved {name}");
        }
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(paths.len(), 16, "every route");
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("item") {
                let responses = operation["responses"].as_object().expect("responses");
                if path.starts_with("/health") || path.starts_with("/openapi") {
                    continue;
                }
                for code in ["400", "413", "429"] {
                    assert!(responses.contains_key(code), "{method} {path} lacks {code}");
                }
            }
        }
    }
}
