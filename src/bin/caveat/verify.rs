//! `caveat verify`: verify a token and clear its caveats against a request.

use caveat_token::ValueError;
use std::ffi::OsString;
use std::net::IpAddr;
use std::sync::Arc;

use caveat_token::caveat::{Interface, Service, WILDCARD};
use caveat_token::{
    Context, Error, Expect, FixedGeneration, InviteType, Limits, RevokedList, Subject, Token,
    Verified, VerifiedMacaroon, Verifier,
};
use clap::Args;
use serde_json::{json, Value};

use crate::args::{self, now_or_clock, token_text, KeyArgs, Lib};
use crate::render::{bytes_json, deferred_json};
use crate::Failure;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token's text form, or - to read it from stdin.
    #[arg(value_name = "TOKEN")]
    token: OsString,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    request: RequestArgs,
    #[command(flatten)]
    state: VerifierArgs,
    #[command(flatten)]
    macaroons: MacaroonVerifyArgs,
}

/// What the request brings (the verification context). A caveat that needs a value not given
/// here fails closed. Bad values exit 2 with the error JSON.
#[derive(Debug, Args)]
#[command(next_help_heading = "Request")]
struct RequestArgs {
    /// The time to verify at, in unix seconds [default: the system clock].
    #[arg(long, value_name = "UNIX")]
    now: Option<u64>,
    /// The client's IP address (IPv4 or IPv6).
    #[arg(long, value_name = "ADDR")]
    ip: Option<IpAddr>,
    /// The invite type the request asks to use, e.g. userJoinCluster [default: the one of
    /// --expect invite:TYPE].
    #[arg(long, value_name = "T", value_parser = args::lib::<InviteType>())]
    invite_type: Option<Lib<InviteType>>,
    /// The kind of token expected: access, identity, invite or invite:INVITE_TYPE. Another kind
    /// is rejected (notAnAccessToken, notAnIdentityToken, notAnInviteToken) [default: any].
    #[arg(long, value_name = "KIND", value_parser = args::lib::<Expect>())]
    expect: Option<Lib<Expect>>,
    /// The interface the request came through: rest, oneclient or graphsync.
    #[arg(long, value_name = "I", value_parser = args::lib::<Interface>())]
    interface: Option<Lib<Interface>>,
    /// The service the token is used in, e.g. ozw-onezone or opw-PROVIDER_ID (no wildcard).
    #[arg(long, value_name = "S", value_parser = args::lib::<Service>())]
    service: Option<Lib<Service>>,
    /// Who consumes the token: usr-ID or prv-ID. Group entries (grp-ID) of consumer caveats
    /// admit nobody here: the command knows no group memberships.
    #[arg(long, value_name = "C", value_parser = args::lib::<Subject<'static>>())]
    consumer: Option<Lib<Subject<'static>>>,
}

/// How the verifier is set up, and what it knows of revocation.
#[derive(Debug, Args)]
#[command(next_help_heading = "Verifier")]
struct VerifierArgs {
    /// Seconds of clock skew allowed on time caveats.
    #[arg(long, value_name = "S", default_value_t = 0)]
    leeway: u64,
    /// Let data-access caveats (data.readonly, data.path, data.objectid) hold; the caller must
    /// then enforce them on each data operation (they are listed in "deferredCaveats").
    /// Without it, a token carrying one is rejected.
    #[arg(long)]
    allow_data_access_caveats: bool,
    /// The current generation of temporary tokens of the token's subject: an older token is
    /// tokenRevoked, a newer one tokenInvalid [default: temporary tokens are not checked].
    #[arg(long, value_name = "N")]
    current_generation: Option<u64>,
    /// The id of a revoked named token (tokenRevoked); repeatable. Named tokens not listed are
    /// active.
    #[arg(long = "revoked", value_name = "ID")]
    revoked: Vec<String>,
}

/// `verify`'s discharges and exact predicates.
#[derive(Debug, Args)]
#[command(next_help_heading = "Third-party caveats and predicates")]
struct MacaroonVerifyArgs {
    /// A discharge for a third-party caveat, bound to the token (any format); repeatable.
    #[arg(long = "discharge", value_name = "TOKEN")]
    discharges: Vec<String>,
    /// A predicate that holds in this request (libmacaroons' satisfy_exact); repeatable.
    #[arg(long = "exact", value_name = "PREDICATE")]
    exact: Vec<String>,
}

/// `caveat verify`: `{"ok":true,"subject":…,"type":…,"expires":…,"format":…,"tokenId":…,
/// "persistence":…,"deferredCaveats":[…]}`.
pub fn verify(mut args: VerifyArgs) -> Result<Value, Failure> {
    if args.key.reads_stdin() && args.token == "-" {
        return Err(Failure::Usage(
            "stdin can hold the token or the key (--key-file -), not both".into(),
        ));
    }
    let key = args.key.root_key()?;
    let ctx = args.request.context()?;
    let verifier = args.macaroons.satisfy(args.state.verifier());
    let text = token_text(args.token, verifier.limits())?;
    let token = Token::from_text(&text, verifier.limits()).map_err(Failure::Rejected)?;
    let discharges = args.macaroons.discharges(verifier.limits())?;
    let verified = if discharges.is_empty() && !token.format().is_macaroon() {
        verifier.verify(token, &key, &ctx)
    } else {
        match verifier.verify_any(token, &discharges, &key, &ctx) {
            Ok(Verified::Token(verified)) => Ok(verified),
            Ok(Verified::Macaroon(verified)) => return Ok(verified_macaroon_json(&verified)),
            Err(e) => Err(e),
        }
    }
    .map_err(Failure::Rejected)?;
    let identifier = verified.identifier();
    let deferred = deferred_json(verified.restrictions());
    Ok(json!({
        "ok": true,
        "subject": identifier.subject.to_string(),
        "type": identifier.token_type.to_json(),
        "expires": verified.expires(),
        "format": verified.token().format().name(),
        "tokenId": identifier.token_id,
        "persistence": identifier.to_json()["persistence"],
        "deferredCaveats": deferred,
    }))
}

/// `caveat verify`'s output for a macaroon-format token.
fn verified_macaroon_json(verified: &VerifiedMacaroon) -> Value {
    let (identifier, identifier_hex) = bytes_json(verified.identifier());
    json!({
        "ok": true,
        "format": verified.token().format().name(),
        "identifier": identifier,
        "identifierHex": identifier_hex,
        "expires": verified.expires(),
        "deferredCaveats": deferred_json(verified.restrictions()),
    })
}

impl RequestArgs {
    /// The verification context; values the library refuses are usage errors.
    fn context(&mut self) -> Result<Context, Failure> {
        let invite_type = self.invite_type.take().map(Lib::get).transpose()?;
        let expect = self.expect.take().map(Lib::get).transpose()?;
        let interface = self
            .interface
            .take()
            .map(|v| v.0)
            .transpose()
            .map_err(for_flag("interface"))?;
        let service = self
            .service
            .take()
            .map(|v| v.0.and_then(request_service))
            .transpose()
            .map_err(for_flag("service"))?;
        let consumer = self
            .consumer
            .take()
            .map(|v| v.0)
            .transpose()
            .map_err(for_flag("consumer"))?;
        let mut ctx = Context::at(now_or_clock(self.now)?).with_ip_opt(self.ip);
        if let Some(invite_type) = invite_type {
            ctx = ctx.with_invite_type(invite_type);
        }
        if let Some(expect) = expect {
            ctx = ctx.expecting(expect);
        }
        if let Some(interface) = interface {
            ctx = ctx.with_interface(interface);
        }
        if let Some(service) = service {
            ctx = ctx.with_service(service);
        }
        if let Some(consumer) = consumer {
            ctx = ctx.with_consumer(consumer);
        }
        Ok(ctx)
    }
}

impl VerifierArgs {
    /// The verifier: leeway, data-access permission, and the revocation sources given.
    fn verifier(&self) -> Verifier {
        let mut verifier = Verifier::new()
            .with_leeway(self.leeway)
            .with_data_access_caveats(self.allow_data_access_caveats);
        if !self.revoked.is_empty() {
            let revoked: RevokedList = self.revoked.iter().map(String::as_str).collect();
            verifier = verifier.with_revocation_source(Arc::new(revoked));
        }
        if let Some(generation) = self.current_generation {
            verifier = verifier.with_generation_source(Arc::new(FixedGeneration(generation)));
        }
        verifier
    }
}

impl MacaroonVerifyArgs {
    /// The verifier with the exact predicates declared.
    fn satisfy(&self, verifier: Verifier) -> Verifier {
        self.exact
            .iter()
            .fold(verifier, |v, p| v.satisfy_exact(p.as_str()))
    }

    /// The discharges, decoded; one that does not decode rejects the token, naming it.
    fn discharges(&self, limits: &Limits) -> Result<Vec<Token>, Failure> {
        self.discharges
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Token::from_text(text.trim(), limits).map_err(|e| {
                    Failure::Rejected(Error::InDischarge {
                        discharge: i,
                        error: Box::new(e),
                    })
                })
            })
            .collect()
    }
}

/// The service a request is made in: `<code>-<id>`, where a whitelist's `*` names no service.
fn request_service(service: Service) -> Result<Service, Error> {
    if service.id() == WILDCARD {
        return Err(Error::Value(ValueError::Caveat {
            key: "service".into(),
            reason: "a request is made in one service, not a wildcard",
        }));
    }
    Ok(service)
}

/// A usage error for a library-refused flag value, naming the flag as the error's key (the
/// library names the field it parses, e.g. a caveat's `whitelist`).
fn for_flag(flag: &'static str) -> impl Fn(Error) -> Failure {
    move |e| {
        Failure::BadValue(match e {
            Error::Value(ValueError::Caveat { reason, .. }) => Error::Value(ValueError::Caveat {
                key: flag.into(),
                reason,
            }),
            Error::Value(ValueError::Identifier { reason, .. }) => {
                Error::Value(ValueError::Identifier { key: flag, reason })
            }
            other => other,
        })
    }
}
