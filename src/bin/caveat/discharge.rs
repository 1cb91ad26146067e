//! `caveat discharge`: a discharge for a third-party caveat (libmacaroons formats).

use std::fmt;

use caveat_token::{Format, Limits, RootKey, Token};
use clap::{ArgGroup, Args};
use serde_json::{json, Value};

use crate::args::{caveat_key, macaroon_format_parser, parse_caveats, PredicateArgs};
use crate::Failure;

/// `caveat discharge`'s arguments.
#[derive(Args)]
#[command(group(ArgGroup::new("caveat_key_given").args(["caveat_key_hex", "caveat_key"]).required(true).multiple(false)))]
pub struct DischargeArgs {
    /// The caveat root key, as hex (given by whoever added the third-party caveat).
    #[arg(long, value_name = "HEX")]
    caveat_key_hex: Option<String>,
    /// The caveat root key as text (its UTF-8 bytes).
    #[arg(long, value_name = "TEXT")]
    caveat_key: Option<String>,
    /// The caveat id of the caveat discharged: the discharge's identifier.
    #[arg(long, value_name = "ID")]
    cid: String,
    /// The discharge's location (not covered by its tag).
    #[arg(long, value_name = "LOCATION", default_value = "")]
    location: String,
    /// The discharge's format (a macaroon format: its identifier is the opaque cid).
    #[arg(long, value_name = "FORMAT", value_parser = macaroon_format_parser(), default_value = "macaroon-v2")]
    format: Format,
    /// A caveat in JSON form, e.g. '{"type":"time","validUntil":1700000000}'; repeatable.
    #[arg(long = "caveat", value_name = "JSON")]
    caveats: Vec<String>,
    #[command(flatten)]
    predicates: PredicateArgs,
    /// Bind the discharge to TOKEN, the token it will be sent with (a top-level token, also for
    /// nested discharges); without it the discharge is printed unbound.
    #[arg(long, value_name = "TOKEN")]
    bind: Option<String>,
}

/// Key material never prints.
impl fmt::Debug for DischargeArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DischargeArgs")
            .field("cid", &self.cid)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// `caveat discharge`: `{"token":"…"}`.
pub fn discharge(mut args: DischargeArgs) -> Result<Value, Failure> {
    let secret = caveat_key(&mut args.caveat_key_hex, &mut args.caveat_key)?;
    let key = RootKey::from_bytes(&secret).map_err(Failure::BadValue)?;
    drop(secret);
    let caveats = parse_caveats(&args.caveats)?;
    let token = Token::mint_macaroon(
        args.format,
        &key,
        &args.location,
        args.cid.as_bytes(),
        &caveats,
    )
    .map_err(Failure::BadValue)?;
    let mut token = args.predicates.apply(token)?;
    if let Some(root) = &args.bind {
        let limits = Limits::default();
        let root = Token::from_text(root.trim(), &limits).map_err(Failure::Rejected)?;
        token = token.bind_to(&root);
    }
    Ok(json!({ "token": token.to_text() }))
}
