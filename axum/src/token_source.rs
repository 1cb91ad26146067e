//! Where a request carries its token: `X-Auth-Token` (Onedata), `Authorization: Bearer`
//! (RFC 6750), and optionally a named cookie. Surrounding whitespace is trimmed; an empty value
//! counts as no token. The same token in several places is one token; two different ones are
//! refused (`multipleTokens`, 400), as RFC 6750 §2 asks.

use http::header::{HeaderMap, AUTHORIZATION, COOKIE};

/// The `X-Auth-Token` header name.
pub(crate) const X_AUTH_TOKEN: &str = "x-auth-token";

/// Most token candidates looked at in one request (header lines and cookies together).
const MAX_CANDIDATES: usize = 16;

/// Which places a token is read from.
#[derive(Debug, Clone)]
pub(crate) struct Sources {
    pub(crate) x_auth_token: bool,
    pub(crate) bearer: bool,
    pub(crate) cookie: Option<String>,
}

impl Default for Sources {
    fn default() -> Self {
        Self {
            x_auth_token: true,
            bearer: true,
            cookie: None,
        }
    }
}

/// What the request carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'a> {
    /// No token anywhere.
    None,
    /// One token (perhaps repeated identically).
    One(&'a str),
    /// Two different tokens, or more candidates than looked at.
    Several,
    /// A token header whose bytes are not visible ASCII.
    Unreadable,
}

fn trim(text: &str) -> &str {
    text.trim_matches(|c| c == ' ' || c == '\t')
}

/// The token of an `Authorization` value if its scheme is Bearer (case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let value = trim(value);
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| trim(rest))
}

/// The value of a `name=value` cookie pair if its name is `name`.
fn cookie_value<'v>(pair: &'v str, name: &str) -> Option<&'v str> {
    let (n, v) = pair.split_once('=')?;
    if trim(n) != name {
        return None;
    }
    let v = trim(v);
    Some(
        v.strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(v),
    )
}

impl Sources {
    /// The token the request carries.
    pub(crate) fn find<'a>(&self, headers: &'a HeaderMap) -> Found<'a> {
        let mut candidates: Vec<&'a str> = Vec::new();
        let mut unreadable = false;
        fn push<'a>(candidates: &mut Vec<&'a str>, text: &'a str) {
            if !text.is_empty() {
                candidates.push(text);
            }
        }
        if self.x_auth_token {
            for value in headers.get_all(X_AUTH_TOKEN) {
                match value.to_str() {
                    Ok(text) => push(&mut candidates, trim(text)),
                    Err(_) => unreadable = true,
                }
            }
        }
        if self.bearer {
            for value in headers.get_all(AUTHORIZATION) {
                match value.to_str() {
                    Ok(text) => {
                        if let Some(token) = bearer(text) {
                            push(&mut candidates, token);
                        }
                    }
                    // Another scheme's credentials may be anything; only Bearer is ours.
                    Err(_) => {
                        unreadable |= value
                            .as_bytes()
                            .get(..7)
                            .is_some_and(|p| p.eq_ignore_ascii_case(b"bearer "));
                    }
                }
            }
        }
        if let Some(name) = &self.cookie {
            for value in headers.get_all(COOKIE) {
                if let Ok(text) = value.to_str() {
                    for token in text.split(';').filter_map(|p| cookie_value(p, name)) {
                        push(&mut candidates, token);
                    }
                }
            }
        }
        if candidates.len() > MAX_CANDIDATES {
            return Found::Several;
        }
        match candidates.split_first() {
            _ if unreadable => Found::Unreadable,
            None => Found::None,
            Some((first, rest)) if rest.iter().all(|t| t == first) => Found::One(first),
            Some(_) => Found::Several,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn map(lines: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in lines {
            h.append(*name, HeaderValue::from_bytes(value).expect("value"));
        }
        h
    }

    fn with_cookie() -> Sources {
        Sources {
            cookie: Some("tok".into()),
            ..Sources::default()
        }
    }

    #[test]
    fn each_place_and_trimming() {
        let s = with_cookie();
        let h = map(&[("x-auth-token", b" \tabc \t")]);
        assert_eq!(s.find(&h), Found::One("abc"));
        let h = map(&[("authorization", b"Bearer   abc ")]);
        assert_eq!(s.find(&h), Found::One("abc"));
        let h = map(&[("authorization", b"bEaReR\tabc")]);
        assert_eq!(s.find(&h), Found::One("abc"));
        let h = map(&[("cookie", b"a=1; tok=\"abc\"; b=2")]);
        assert_eq!(s.find(&h), Found::One("abc"));
        let h = map(&[("cookie", b"a=1; tok=abc")]);
        assert_eq!(Sources::default().find(&h), Found::None);
    }

    #[test]
    fn absent_empty_and_other_schemes() {
        let s = Sources::default();
        assert_eq!(s.find(&HeaderMap::new()), Found::None);
        assert_eq!(s.find(&map(&[("x-auth-token", b"  ")])), Found::None);
        assert_eq!(s.find(&map(&[("authorization", b"Bearer")])), Found::None);
        assert_eq!(
            s.find(&map(&[("authorization", b"Basic YTpi")])),
            Found::None
        );
        assert_eq!(
            s.find(&map(&[("authorization", b"Bearerabc")])),
            Found::None
        );
        assert_eq!(
            s.find(&map(&[("authorization", b"Basic \xff")])),
            Found::None
        );
    }

    #[test]
    fn duplicates_and_conflicts() {
        let s = with_cookie();
        let same = map(&[("x-auth-token", b"abc"), ("authorization", b"Bearer abc")]);
        assert_eq!(s.find(&same), Found::One("abc"));
        let two = map(&[("x-auth-token", b"abc"), ("authorization", b"Bearer abd")]);
        assert_eq!(s.find(&two), Found::Several);
        let lines = map(&[("x-auth-token", b"abc"), ("x-auth-token", b"xyz")]);
        assert_eq!(s.find(&lines), Found::Several);
        let cookie = map(&[("x-auth-token", b"abc"), ("cookie", b"tok=xyz")]);
        assert_eq!(s.find(&cookie), Found::Several);
        // Only the enabled places count.
        let only_bearer = Sources {
            x_auth_token: false,
            ..Sources::default()
        };
        assert_eq!(only_bearer.find(&two), Found::One("abd"));
    }

    #[test]
    fn unreadable_token_header() {
        let s = Sources::default();
        assert_eq!(
            s.find(&map(&[("x-auth-token", b"ab\xffc")])),
            Found::Unreadable
        );
        assert_eq!(
            s.find(&map(&[("authorization", b"Bearer ab\xffc")])),
            Found::Unreadable
        );
    }
}
