//! libmacaroons' formats: known vectors (libmacaroons' README example as pymacaroons writes it,
//! a third-party caveat sealed with a zero nonce), strict decoding of V1, V2 and V2J, format
//! detection (V1 and Onedata both start with `MDA`), and predicate clearing.

mod detection;
mod known;
mod predicates;
mod strict;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use caveat_token::{
    Caveat, Context, Error, Format, Identifier, Limits, Persistence, RootKey, Subject, Token,
    TokenType, Verifier,
};

const README_KEY: &[u8] = b"this is the key";
const README_TAG: &str = "f54807f6dc6edf88bf0f7306b3822562a362533dbf7339ba61765da4bd259d87";
/// pymacaroons 0.13 output for libmacaroons' README example (V1 and V2 binary).
const README_V1: &str = "MDAyMWxvY2F0aW9uIGh0dHA6Ly9leGFtcGxlLm9yZy8KMDAxNWlkZW50aWZpZXIga2V5aWQKMDAxZGNpZCBhY2NvdW50ID0gMzczNTkyODU1OQowMDJmc2lnbmF0dXJlIPVIB_bcbt-Ivw9zBrOCJWKjYlM9v3M5umF2XaS9JZ2HCg";
const README_V2: &str = "AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAhRhY2NvdW50ID0gMzczNTkyODU1OQAABiD1SAf23G7fiL8PcwazgiVio2JTPb9zObphdl2kvSWdhw";
/// pymacaroons' V2J for the same macaroon (its own key order, no `v`).
const README_V2J_PY: &str = r#"{"i": "keyid", "s64": "9UgH9txu34i_D3MGs4IlYqNiUz2_czm6YXZdpL0lnYc", "l": "http://example.org/", "c": [{"i": "account = 3735928559"}]}"#;
/// What libmacaroons writes for it.
const README_V2J: &str = r#"{"v":2,"l":"http://example.org/","i":"keyid","c":[{"i":"account = 3735928559"}],"s64":"9UgH9txu34i_D3MGs4IlYqNiUz2_czm6YXZdpL0lnYc"}"#;

/// pymacaroons 0.13: the README macaroon plus a third-party caveat (location
/// `http://auth.mybank/`, caveat key `this is the caveat key`, cid
/// `this was how we remind auth of key/pred`) sealed with a nonce of 24 zero bytes, in V1 and
/// V2, and its discharge (caveat `time < 2115-01-01T00:00`) bound to it.
const TP_V1: &str = "MDAyMWxvY2F0aW9uIGh0dHA6Ly9leGFtcGxlLm9yZy8KMDAxNWlkZW50aWZpZXIga2V5aWQKMDAxZGNpZCBhY2NvdW50ID0gMzczNTkyODU1OQowMDMwY2lkIHRoaXMgd2FzIGhvdyB3ZSByZW1pbmQgYXV0aCBvZiBrZXkvcHJlZAowMDUxdmlkIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAHxKUujnI7zqFOzhAqaSlLw_M0UOUgJ1lWJLlwuPnSnqY89QBtZ7ooU_GQYfrBWDOgowMDFiY2wgaHR0cDovL2F1dGgubXliYW5rLwowMDJmc2lnbmF0dXJlILhCPuMmojfyIJy3B39O7RmwN7-cAj7cjTorUnW9hWXRCg";
const TP_V2: &str = "AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAhRhY2NvdW50ID0gMzczNTkyODU1OQABE2h0dHA6Ly9hdXRoLm15YmFuay8CJ3RoaXMgd2FzIGhvdyB3ZSByZW1pbmQgYXV0aCBvZiBrZXkvcHJlZARIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAfEpS6OcjvOoU7OECppKUvD8zRQ5SAnWVYkuXC4-dKepjz1AG1nuihT8ZBh-sFYM6AAAGILhCPuMmojfyIJy3B39O7RmwN7-cAj7cjTorUnW9hWXR";
const TP_TAG: &str = "b8423ee326a237f2209cb7077f4eed19b037bf9c023edc8d3a2b5275bd8565d1";
const TP_DISCHARGE_V1: &str = "MDAyMWxvY2F0aW9uIGh0dHA6Ly9hdXRoLm15YmFuay8KMDAzN2lkZW50aWZpZXIgdGhpcyB3YXMgaG93IHdlIHJlbWluZCBhdXRoIG9mIGtleS9wcmVkCjAwMjBjaWQgdGltZSA8IDIxMTUtMDEtMDFUMDA6MDAKMDAyZnNpZ25hdHVyZSCxmBxIpUmE0WBrqpAsi3w2lZLCtZVt7uda8XnyMYY8gQo";
const TP_DISCHARGE_V2: &str = "AgETaHR0cDovL2F1dGgubXliYW5rLwIndGhpcyB3YXMgaG93IHdlIHJlbWluZCBhdXRoIG9mIGtleS9wcmVkAAIXdGltZSA8IDIxMTUtMDEtMDFUMDA6MDAAAAYgsZgcSKVJhNFga6qQLIt8NpWSwrWVbe7nWvF58jGGPIE";
const TP_DISCHARGE_UNBOUND_TAG: &str =
    "1371797f6b240ffb4cebf39dad19f8a28e96d193a0775eb28c12a294d4075d84";
const TP_CID: &[u8] = b"this was how we remind auth of key/pred";
const TP_KEY: &[u8] = b"this is the caveat key";

fn limits() -> Limits {
    Limits::default()
}

fn readme_key() -> RootKey {
    RootKey::from_bytes(README_KEY).expect("key")
}

fn readme(format: Format) -> Token {
    Token::mint_macaroon(format, &readme_key(), "http://example.org/", b"keyid", &[])
        .expect("mint")
        .attenuate_raw(b"account = 3735928559")
        .expect("attenuate")
}

fn bank_verifier() -> Verifier {
    Verifier::new()
        .satisfy_exact("account = 3735928559")
        .satisfy_exact("time < 2115-01-01T00:00")
}

fn err_id<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    r.expect_err("must fail").id().to_owned()
}

fn reason<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    let e = r.expect_err("must fail");
    assert_eq!(e.id(), "badToken", "{e}");
    e.details()["reason"].as_str().expect("reason").to_owned()
}

fn serde_json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

fn ok_tag_free(text: &str) -> Token {
    Token::from_macaroon_text(text, &limits()).expect(text)
}
