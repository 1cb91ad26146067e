//! A protected service: `GET /whoami` answers who the token speaks for, `GET /health` answers
//! without a token.
//!
//! ```text
//! cargo run -p caveat-token-axum --example protected -- \
//!     --listen 127.0.0.1:8080 --key-hex HEX [--trust-proxy CIDR]...
//! ```
//!
//! The key can come from the `CAVEAT_KEY` environment variable (hex) instead of `--key-hex`,
//! so that it need not appear on the command line. The address actually bound is printed as
//! `listening on ADDR` (useful with port 0).

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use caveat_token::caveat::Interface;
use caveat_token::RootKey;
use caveat_token_axum::{Authenticator, ClientIp, Verified};
use ipnet::IpNet;
use serde_json::{json, Value};

/// The command line.
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The root key.
    pub key: RootKey,
    /// Networks whose forwarding headers are believed.
    pub trusted: Vec<IpNet>,
}

impl Config {
    /// Parses the arguments (after the program name); the key from `--key-hex`, else from
    /// `env_key` (the value of `CAVEAT_KEY`).
    pub fn parse(
        mut args: impl Iterator<Item = String>,
        env_key: Option<String>,
    ) -> Result<Self, String> {
        let mut listen = None;
        let mut key_hex = None;
        let mut trusted = Vec::new();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--listen" => {
                    let text = value("--listen")?;
                    listen = Some(text.parse().map_err(|_| format!("bad address {text:?}"))?);
                }
                "--key-hex" => key_hex = Some(value("--key-hex")?),
                "--trust-proxy" => {
                    let text = value("--trust-proxy")?;
                    trusted.push(text.parse().map_err(|_| format!("bad network {text:?}"))?);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let hex = key_hex
            .or(env_key)
            .ok_or("a key is needed: --key-hex HEX or CAVEAT_KEY")?;
        let key = RootKey::from_hex(hex.trim()).map_err(|e| e.to_string())?;
        Ok(Self {
            listen: listen.ok_or("--listen ADDR is needed")?,
            key,
            trusted,
        })
    }
}

async fn whoami(token: Verified, ClientIp(ip): ClientIp) -> Json<Value> {
    Json(json!({
        "subject": token.subject(),
        "tokenId": token.token_id(),
        "clientIp": ip.to_string(),
    }))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The service's routes behind the authenticator.
pub fn app(config: Config) -> Router {
    let auth = Authenticator::builder(config.key)
        .trust_proxies(config.trusted)
        .context(|_, ctx| ctx.with_interface(Interface::Rest))
        .build();
    Router::new()
        .route("/whoami", get(whoami))
        .route("/health", get(health))
        .layer(auth.layer())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let config = Config::parse(std::env::args().skip(1), std::env::var("CAVEAT_KEY").ok())?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("bind {}: {e}", config.listen))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on {bound}");
    axum::serve(
        listener,
        app(config).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(|e| e.to_string())
}
