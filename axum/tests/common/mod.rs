//! Helpers for the loopback tests: fixed keys and tokens minted with the core library, a server
//! spawned in-process on a real TCP listener, and a minimal HTTP/1.1 client over a TCP stream.
#![allow(dead_code)]

use std::borrow::Cow;
use std::net::SocketAddr;

use axum::Router;
use caveat_token::{Caveat, Identifier, Persistence, RootKey, Subject, Token, TokenType};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The fixed root key most tests mint with.
pub const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// A fixed "now" (unix seconds).
pub const NOW: u64 = 1_700_000_000;

/// The main test key.
pub fn key() -> RootKey {
    RootKey::from_hex(KEY_HEX).expect("fixed key")
}

/// An access token identifier for `usr-alice`.
pub fn identifier(token_id: &'static str) -> Identifier<'static> {
    Identifier {
        location: Cow::Borrowed("auth.example.com"),
        key_id: None,
        token_id: Cow::Borrowed(token_id),
        subject: Subject::User(Cow::Borrowed("alice")),
        token_type: TokenType::Access { session: None },
        persistence: Persistence::Named,
    }
}

/// A caveat from its JSON text.
pub fn caveat(json: &str) -> Caveat {
    Caveat::from_json_str(json).unwrap_or_else(|e| panic!("caveat {json}: {e}"))
}

/// The text of a token `tok-0001` for `usr-alice` with `caveats`, under `key()`.
pub fn token(caveats: &[&str]) -> String {
    token_for(identifier("tok-0001"), caveats)
}

/// The text of a token with `identifier` and `caveats`, under `key()`.
pub fn token_for(identifier: Identifier<'_>, caveats: &[&str]) -> String {
    let caveats: Vec<Caveat> = caveats.iter().map(|c| caveat(c)).collect();
    Token::mint(&key(), &identifier, &caveats)
        .expect("mint")
        .to_text()
}

/// A time caveat `NOW + seconds`.
pub fn valid_for(seconds: u64) -> String {
    format!(r#"{{"type":"time","validUntil":{}}}"#, NOW + seconds)
}

/// Serves `app` with connect info on `listener`, in the background; returns its address.
pub async fn serve_on(listener: TcpListener, app: Router) -> SocketAddr {
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}

/// Serves `app` on 127.0.0.1, an ephemeral port.
pub async fn serve(app: Router) -> SocketAddr {
    serve_on(TcpListener::bind("127.0.0.1:0").await.expect("bind"), app).await
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header lines, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// The only value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self.headers.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(values.next().is_none(), "header {name} appears twice");
        first
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("body {:?}: {e}", self.body))
    }

    /// The error id of a JSON error body.
    pub fn error_id(&self) -> String {
        let json = self.json();
        json["error"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no error id in {json}"))
            .to_owned()
    }

    /// The `details.authError.id` of a JSON error body.
    pub fn auth_error_id(&self) -> String {
        let json = self.json();
        json["error"]["details"]["authError"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no authError id in {json}"))
            .to_owned()
    }
}

/// Sends `GET path` with `headers` (raw `Name: value` lines, given as they go on the wire) to
/// `addr` over a fresh connection, and reads the whole response.
pub async fn fetch<H: AsRef<str>>(addr: SocketAddr, path: &str, headers: &[H]) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    fetch_on(stream, addr, path, headers).await
}

/// Headers for a request that sends none.
pub const NONE: &[&str] = &[];

/// As [`fetch`], on a stream already connected (e.g. from a chosen local address).
pub async fn fetch_on<H: AsRef<str>>(
    mut stream: TcpStream,
    addr: SocketAddr,
    path: &str,
    headers: &[H],
) -> Reply {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for line in headers {
        request.push_str(line.as_ref());
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read response");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let text = String::from_utf8(raw.to_vec()).expect("response is UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("end of head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line");
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    assert!(!chunked, "bodies here are sent with a length");
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}
