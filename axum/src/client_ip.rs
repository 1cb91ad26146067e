//! The client's address: the socket peer, and only behind a trusted proxy what the proxies say.
//!
//! A peer inside a trusted network is a proxy: the chain it forwards (`X-Forwarded-For`, or
//! `Forwarded` from RFC 7239) is walked right to left, each hop appended by the proxy nearest to
//! us, skipping hops that are themselves trusted proxies; the first untrusted hop is the client.
//! Whatever lies left of it was written by the client and is never read, so a spoofed left-most
//! hop changes nothing. What the trusted proxies wrote must parse: a malformed element, an
//! obfuscated or `unknown` identifier, a header over the size limit or more hops than allowed
//! is refused (`badForwardedHeader`, 400) rather than guessed around.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use http::header::{HeaderMap, FORWARDED};
use ipnet::IpNet;

/// The `X-Forwarded-For` header name.
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// Default cap on the bytes of the forwarding header(s), all lines together.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 4096;
/// Default cap on the hops walked through.
pub const DEFAULT_MAX_HOPS: usize = 16;

/// Which forwarding header(s) the trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardedHeaders {
    /// Only `X-Forwarded-For`; a `Forwarded` header is ignored.
    XForwardedFor,
    /// Only `Forwarded` (RFC 7239); an `X-Forwarded-For` header is ignored.
    Forwarded,
    /// Whichever is present; both at once is refused (a proxy writes one, so the other came
    /// from the client or from a misconfiguration).
    #[default]
    Either,
}

/// The proxies whose forwarding headers are believed, and how they are read.
#[derive(Debug, Clone)]
pub(crate) struct Proxies {
    pub(crate) trusted: Vec<IpNet>,
    pub(crate) headers: ForwardedHeaders,
    pub(crate) max_header_bytes: usize,
    pub(crate) max_hops: usize,
}

impl Default for Proxies {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            headers: ForwardedHeaders::default(),
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_hops: DEFAULT_MAX_HOPS,
        }
    }
}

/// A forwarding header from a trusted proxy that cannot be used; the reason is shown to the
/// client (it says nothing about tokens or keys).
pub(crate) type Malformed = &'static str;

/// An address with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) read as IPv4.
#[must_use]
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl Proxies {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer` with `headers`. `Ok(None)` when the peer
    /// is unknown (the server was not run with connect info).
    pub(crate) fn resolve(
        &self,
        peer: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<Option<IpAddr>, Malformed> {
        let Some(peer) = peer.map(canonical) else {
            return Ok(None);
        };
        if !self.is_trusted(peer) {
            return Ok(Some(peer));
        }
        let xff = headers.contains_key(X_FORWARDED_FOR);
        let fwd = headers.contains_key(FORWARDED);
        let use_forwarded = match self.headers {
            ForwardedHeaders::XForwardedFor if xff => false,
            ForwardedHeaders::Forwarded if fwd => true,
            ForwardedHeaders::Either if xff && fwd => {
                return Err("both X-Forwarded-For and Forwarded are present")
            }
            ForwardedHeaders::Either if xff => false,
            ForwardedHeaders::Either if fwd => true,
            _ => return Ok(Some(peer)),
        };
        let name = if use_forwarded {
            FORWARDED.as_str()
        } else {
            X_FORWARDED_FOR
        };
        let joined = self.joined(headers, name)?;
        let elements = if use_forwarded {
            split_quoted(&joined)?
        } else {
            joined.split(',').collect()
        };
        let mut client = peer;
        for (walked, element) in elements.iter().rev().enumerate() {
            if walked >= self.max_hops {
                return Err("more forwarded hops than allowed");
            }
            let hop = if use_forwarded {
                forwarded_for(element)?
            } else {
                parse_node(element.trim_matches(is_ows)).ok_or("malformed X-Forwarded-For")?
            };
            client = canonical(hop);
            if !self.is_trusted(client) {
                return Ok(Some(client));
            }
        }
        // Every hop is a trusted proxy: the left-most one is the nearest to the client we know.
        Ok(Some(client))
    }

    /// All lines of header `name`, joined by commas in order, within the size limit.
    fn joined(&self, headers: &HeaderMap, name: &str) -> Result<String, Malformed> {
        let mut out = String::new();
        for value in headers.get_all(name) {
            let text = value
                .to_str()
                .map_err(|_| "forwarding header is not ASCII")?;
            if out.len() + text.len() + 1 > self.max_header_bytes {
                return Err("forwarding header too large");
            }
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(text);
        }
        Ok(out)
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits a `Forwarded` value at the commas outside quoted strings.
fn split_quoted(text: &str) -> Result<Vec<&str>, Malformed> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    if quoted || escaped {
        return Err("unterminated quoted string in Forwarded");
    }
    parts.push(&text[start..]);
    Ok(parts)
}

/// The `for=` node of one `Forwarded` element (`pair *(";" pair)`).
fn forwarded_for(element: &str) -> Result<IpAddr, Malformed> {
    let mut found = None;
    for pair in element.split(';') {
        let pair = pair.trim_matches(is_ows);
        let (name, value) = pair.split_once('=').ok_or("malformed Forwarded pair")?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err("malformed Forwarded pair");
        }
        let value = unquote(value)?;
        if name.eq_ignore_ascii_case("for") {
            if found.is_some() {
                return Err("two for= in one Forwarded element");
            }
            found = Some(value);
        }
    }
    let node = found.ok_or("Forwarded element without for=")?;
    if node.eq_ignore_ascii_case("unknown") || node.starts_with('_') {
        return Err("Forwarded for= identifier is obfuscated or unknown");
    }
    parse_node(&node).ok_or("malformed Forwarded for= address")
}

/// RFC 7230 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A `token` or `quoted-string` value, unquoted.
fn unquote(value: &str) -> Result<String, Malformed> {
    let Some(inner) = value.strip_prefix('"') else {
        if value.is_empty() || !value.bytes().all(is_tchar) {
            return Err("malformed Forwarded value");
        }
        return Ok(value.to_owned());
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or("malformed Forwarded quoted string")?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or("malformed Forwarded quoted string")?),
            '"' => return Err("malformed Forwarded quoted string"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A node: `a.b.c.d`, `a.b.c.d:port`, a bare IPv6 address, `[v6]` or `[v6]:port`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Some(rest) = text.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        if !(after.is_empty() || valid_port(after.strip_prefix(':')?)) {
            return None;
        }
        return v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let (v4, port) = text.split_once(':')?;
    if !valid_port(port) {
        return None;
    }
    v4.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A port: decimal digits within u16, or an RFC 7239 obfuscated port (`_` then token chars).
fn valid_port(port: &str) -> bool {
    if let Some(obf) = port.strip_prefix('_') {
        return !obf.is_empty()
            && obf
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    }
    !port.is_empty() && port.len() <= 5 && port.parse::<u16>().is_ok()
}

/// The peer address of a connection, canonical.
pub(crate) fn peer_ip(addr: &SocketAddr) -> IpAddr {
    canonical(addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn proxies(nets: &[&str], headers: ForwardedHeaders) -> Proxies {
        Proxies {
            trusted: nets.iter().map(|n| n.parse().expect("net")).collect(),
            headers,
            ..Proxies::default()
        }
    }

    fn map(lines: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in lines {
            h.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn resolve(
        p: &Proxies,
        peer: &str,
        lines: &[(&'static str, &str)],
    ) -> Result<IpAddr, Malformed> {
        p.resolve(Some(ip(peer)), &map(lines))
            .map(|o| o.expect("peer known"))
    }

    #[test]
    fn untrusted_peer_headers_ignored() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::Either);
        let got = resolve(&p, "192.0.2.7", &[("x-forwarded-for", "10.1.1.1")]);
        assert_eq!(got, Ok(ip("192.0.2.7")));
        // Even garbage is ignored from an untrusted peer.
        assert_eq!(
            resolve(&p, "192.0.2.7", &[("forwarded", "garbage\"")]),
            Ok(ip("192.0.2.7"))
        );
    }

    #[test]
    fn right_to_left_skipping_trusted_hops() {
        let p = proxies(&["10.0.0.0/8", "fd00::/8"], ForwardedHeaders::Either);
        let h = [("x-forwarded-for", "6.6.6.6, 198.51.100.4, 10.0.0.3")];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("198.51.100.4")));
        // Multiple lines are one list, in order.
        let h = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.4,fd00::1"),
        ];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("198.51.100.4")));
        // All hops trusted: the left-most.
        let h = [("x-forwarded-for", "10.9.9.9, 10.0.0.3")];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("10.9.9.9")));
        // No header: the proxy itself.
        assert_eq!(resolve(&p, "10.0.0.1", &[]), Ok(ip("10.0.0.1")));
    }

    #[test]
    fn left_of_the_client_is_never_parsed() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::XForwardedFor);
        let h = [("x-forwarded-for", "not-an-ip, 203.0.113.9")];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("203.0.113.9")));
    }

    #[test]
    fn malformed_from_trusted_proxy_fails_closed() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::Either);
        for bad in [
            "",
            "203.0.113.9,",
            "a.b.c.d",
            "1.2.3.4:99999",
            "[::1",
            "1.2.3.4 5",
        ] {
            assert!(
                resolve(&p, "10.0.0.1", &[("x-forwarded-for", bad)]).is_err(),
                "{bad:?}"
            );
        }
        let both = [("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=1.2.3.4")];
        assert!(resolve(&p, "10.0.0.1", &both).is_err());
    }

    #[test]
    fn limits_on_size_and_hops() {
        let p = Proxies {
            max_hops: 3,
            max_header_bytes: 64,
            ..proxies(&["10.0.0.0/8"], ForwardedHeaders::Either)
        };
        let h = [("x-forwarded-for", "10.0.0.4,10.0.0.3,10.0.0.2")];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("10.0.0.4")));
        let h = [("x-forwarded-for", "1.1.1.1,10.0.0.4,10.0.0.3,10.0.0.2")];
        assert_eq!(
            resolve(&p, "10.0.0.1", &h),
            Err("more forwarded hops than allowed")
        );
        let long = ["10.0.0.2"; 8].join(",");
        let h = [("x-forwarded-for", long.as_str())];
        assert_eq!(
            resolve(&p, "10.0.0.1", &h),
            Err("forwarding header too large")
        );
    }

    #[test]
    fn forwarded_rfc7239_forms() {
        let p = proxies(&["10.0.0.0/8", "::1/128"], ForwardedHeaders::Forwarded);
        let cases = [
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=\"[2001:db8::1]\", for=10.0.0.2", "2001:db8::1"),
            ("for=\"198.51.100.17:_hidden\"", "198.51.100.17"),
            ("for=\"[::ffff:192.0.2.1]:80\"", "192.0.2.1"),
            (
                "for=6.6.6.6, proto=https;for=\"[::1]:1\";host=\"a,b\"",
                "6.6.6.6",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(
                resolve(&p, "10.0.0.1", &[("forwarded", value)]),
                Ok(ip(want)),
                "{value}"
            );
        }
        // X-Forwarded-For is not what this proxy writes.
        let h = [("x-forwarded-for", "6.6.6.6")];
        assert_eq!(resolve(&p, "10.0.0.1", &h), Ok(ip("10.0.0.1")));
    }

    #[test]
    fn forwarded_unusable_fails_closed() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::Forwarded);
        for bad in [
            "for=_hidden",
            "for=unknown",
            "for=\"_x\"",
            "proto=http",
            "for=1.2.3.4;for=1.2.3.5",
            "for=\"[::1]",
            "for=[::1]",
            "for=\"1.2.3.4",
            "for=",
            "=1.2.3.4",
            "for=1.2.3.4,",
        ] {
            assert!(
                resolve(&p, "10.0.0.1", &[("forwarded", bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn mapped_addresses_are_ipv4() {
        let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::Either);
        assert_eq!(resolve(&p, "::ffff:192.0.2.1", &[]), Ok(ip("192.0.2.1")));
        // A mapped peer inside a trusted IPv4 network is trusted.
        let h = [("x-forwarded-for", "::ffff:198.51.100.2")];
        assert_eq!(resolve(&p, "::ffff:10.0.0.1", &h), Ok(ip("198.51.100.2")));
        assert_eq!(p.resolve(None, &HeaderMap::new()), Ok(None));
    }

    proptest::proptest! {
        /// Any header a trusted proxy may pass on: no panic; the answer is the peer or an address
        /// that occurs in the header, or a refusal; an untrusted peer's headers are never read.
        #[test]
        fn any_forwarding_header_is_total_and_never_invents_an_address(
            value in "[0-9a-f.:,;=\\[\\] \"_forFOR]{0,80}",
            forwarded in proptest::bool::ANY,
        ) {
            let name = if forwarded { "forwarded" } else { "x-forwarded-for" };
            let Ok(header) = HeaderValue::from_str(&value) else { return Ok(()) };
            let mut h = HeaderMap::new();
            h.append(name, header);
            let p = proxies(&["10.0.0.0/8"], ForwardedHeaders::Either);
            let untrusted = p.resolve(Some(ip("192.0.2.7")), &h);
            proptest::prop_assert_eq!(untrusted, Ok(Some(ip("192.0.2.7"))));
            if let Ok(Some(client)) = p.resolve(Some(ip("10.0.0.1")), &h) {
                // Every address written anywhere in the header, however it is delimited.
                let written: Vec<IpAddr> = value
                    .split([',', ';', '=', '"', ' '])
                    .filter_map(|t| parse_node(t).map(canonical))
                    .collect();
                proptest::prop_assert!(
                    client == ip("10.0.0.1") || written.contains(&client),
                    "{} from {:?}", client, value
                );
            }
        }
    }
}
