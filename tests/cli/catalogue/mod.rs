//! The adversarial catalogue through the `caveat` binary: every hostile input given to
//! `caveat inspect` and `caveat verify` must end the process normally (never a signal), and the
//! answer must be the library's own, computed here through the public API:
//!
//! - an input the library rejects at decoding (`Token::from_text`, and for `inspect` the
//!   untrusted identifier): exit 1 and exactly the library's error JSON on stdout;
//! - an input that decodes: `verify` exits 0 or 1 as `Verifier` decides under the same key and
//!   context, `inspect` exits 0 and shows the token's format and tag;
//! - every token vector of `spec/vectors/{valid,chain,encoding,clearing}.json` whose verifier
//!   settings the command line can express: `verify` gives the vector's expected outcome (id and
//!   details), valid ones `{"ok":true,…}` with the vector's subject and expiry.

mod clearing;
mod hostile;
mod vectors;

use std::ffi::OsString;
use std::fs;
use std::net::IpAddr;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use caveat_token::hazmat as chain;
use caveat_token::{
    Caveat, Context, Expect, InviteType, Limits, RootKey, Token, Verified, Verifier,
};
use serde_json::{json, Value};

use crate::cli_common::Run;
use crate::common::{array, bstr, cat, envelope, envelope_version, parts, uint, KEY_HEX, NOW};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The root key, in the form the command line is given it.
#[derive(Clone, Debug)]
enum Key {
    /// `--key-hex`.
    Hex(String),
    /// `--key` (the text's UTF-8 bytes).
    Text(String),
}

impl Key {
    fn root_key(&self) -> RootKey {
        match self {
            Self::Hex(h) => RootKey::from_hex(h),
            Self::Text(t) => RootKey::from_bytes(t.as_bytes()),
        }
        .expect("fixed key")
    }

    fn flags(&self) -> [&str; 2] {
        match self {
            Self::Hex(h) => ["--key-hex", h],
            Self::Text(t) => ["--key", t],
        }
    }
}

/// The verifier settings and request context `caveat verify` can express.
#[derive(Clone, Debug)]
struct Settings {
    key: Key,
    now: u64,
    ip: Option<IpAddr>,
    invite_type: Option<String>,
    /// `--expect` (access, identity, invite, invite:T).
    expect: Option<String>,
    leeway: u64,
    /// `--exact` predicates (libmacaroons' satisfy_exact).
    exact: Vec<String>,
    /// `--discharge` tokens (texts that decode).
    discharges: Vec<String>,
}

impl Settings {
    fn new(key: Key, now: u64) -> Self {
        Self {
            key,
            now,
            ip: None,
            invite_type: None,
            expect: None,
            leeway: 0,
            exact: Vec::new(),
            discharges: Vec::new(),
        }
    }

    /// The test key and the fixed `NOW`.
    fn base() -> Self {
        Self::new(Key::Hex(KEY_HEX.to_owned()), NOW)
    }

    fn with_ip(mut self, ip: &str) -> Self {
        self.ip = Some(ip.parse().expect("ip"));
        self
    }

    /// `verify`'s flags after the token.
    fn flags(&self) -> Vec<String> {
        let mut f: Vec<String> = self.key.flags().iter().map(|s| (*s).to_owned()).collect();
        f.extend(["--now".to_owned(), self.now.to_string()]);
        f.extend(["--leeway".to_owned(), self.leeway.to_string()]);
        if let Some(ip) = self.ip {
            f.extend(["--ip".to_owned(), ip.to_string()]);
        }
        if let Some(t) = &self.invite_type {
            f.extend(["--invite-type".to_owned(), t.clone()]);
        }
        if let Some(e) = &self.expect {
            f.extend(["--expect".to_owned(), e.clone()]);
        }
        for p in &self.exact {
            f.extend(["--exact".to_owned(), p.clone()]);
        }
        for d in &self.discharges {
            f.extend(["--discharge".to_owned(), d.clone()]);
        }
        f
    }

    /// The library verifier these flags stand for.
    fn verifier(&self) -> Verifier {
        self.exact
            .iter()
            .fold(Verifier::new().with_leeway(self.leeway), |v, p| {
                v.satisfy_exact(p.as_str())
            })
    }

    /// The library context these flags stand for.
    fn context(&self) -> Context {
        let ctx = Context::at(self.now)
            .with_ip_opt(self.ip)
            .with_invite_type_opt(
                self.invite_type
                    .as_deref()
                    .map(|t| InviteType::parse(t).expect("invite type")),
            );
        match self.expect.as_deref() {
            Some(e) => ctx.expecting(Expect::parse(e).expect("expectation")),
            None => ctx,
        }
    }
}

/// How the input reaches the binary.
enum Feed {
    /// As the `TOKEN` argument.
    Arg(OsString),
    /// On stdin, with `-` as the argument.
    Stdin(Vec<u8>),
}

/// One hostile input.
struct Case {
    name: String,
    feed: Feed,
    /// The text the library is asked about: the argument, or stdin trimmed (as the command
    /// documents). An input that is not UTF-8 cannot be given to any `&str` API: `Err` holds the
    /// id the command must answer with instead.
    library_text: Result<String, &'static str>,
}

impl Case {
    /// The input as the `TOKEN` argument.
    fn arg(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            name: name.into(),
            feed: Feed::Arg(OsString::from(&text)),
            library_text: Ok(text),
        }
    }

    /// The input on stdin; the command trims surrounding whitespace.
    fn stdin(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        // Not UTF-8 (and not too large to read): not text, so not a token.
        let library_text = std::str::from_utf8(&bytes)
            .map(|t| t.trim().to_owned())
            .map_err(|_| "badToken");
        Self {
            name: name.into(),
            feed: Feed::Stdin(bytes),
            library_text,
        }
    }

    /// What the library is asked about.
    fn text(&self) -> Result<&str, &'static str> {
        self.library_text.as_deref().map_err(|e| *e)
    }

    /// An input on stdin far longer than any token: the command stops reading it (so never
    /// trims it); the library is asked about the raw text. Bytes that are not UTF-8 are refused
    /// for their size before anything looks at them.
    fn stdin_huge(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        let library_text = String::from_utf8(bytes.clone()).map_err(|_| "tokenTooLarge");
        Self {
            name: name.into(),
            feed: Feed::Stdin(bytes),
            library_text,
        }
    }
}

/// What the command must answer.
#[derive(Debug)]
enum Expected {
    /// Exit 0; stdout has (at least) these fields with these values.
    Ok(Value),
    /// Exit 1; stdout is exactly this error JSON.
    Rejected(Value),
    /// Exit 1; an error JSON with this id (the library has no `&str` to be asked about).
    RejectedId(&'static str),
}

impl Expected {
    fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    fn error_id(&self) -> Option<&str> {
        match self {
            Self::Ok(_) => None,
            Self::Rejected(e) => e["error"]["id"].as_str(),
            Self::RejectedId(id) => Some(id),
        }
    }
}

/// The library's answer for `caveat inspect`: decoding with the default limits, then (but for
/// libmacaroons' opaque identifiers) the untrusted identifier.
fn inspect_expected(text: Result<&str, &'static str>) -> Expected {
    let text = match text {
        Ok(t) => t,
        Err(id) => return Expected::RejectedId(id),
    };
    match Token::from_text(text, &Limits::default()) {
        Err(e) => Expected::Rejected(e.to_json()),
        Ok(t) => {
            if !t.format().is_macaroon() {
                if let Err(e) = t.untrusted_identifier() {
                    return Expected::Rejected(e.to_json());
                }
            }
            Expected::Ok(json!({
                "unverified": true,
                "format": t.format().name(),
                "tag": t.tag().to_hex(),
            }))
        }
    }
}

/// The library's answer for `caveat verify` with these settings.
fn verify_expected(text: Result<&str, &'static str>, settings: &Settings) -> Expected {
    let text = match text {
        Ok(t) => t,
        Err(id) => return Expected::RejectedId(id),
    };
    let verifier = settings.verifier();
    let token = match Token::from_text(text, verifier.limits()) {
        Ok(t) => t,
        Err(e) => return Expected::Rejected(e.to_json()),
    };
    let key = settings.key.root_key();
    let ctx = settings.context();
    let discharges: Vec<Token> = settings
        .discharges
        .iter()
        .map(|d| Token::from_text(d, verifier.limits()).expect("discharge decodes"))
        .collect();
    if token.format().is_macaroon() || !discharges.is_empty() {
        match verifier.verify_any(token, &discharges, &key, &ctx) {
            Ok(Verified::Macaroon(v)) => Expected::Ok(json!({
                "ok": true,
                "format": v.token().format().name(),
                "expires": v.expires(),
            })),
            Ok(Verified::Token(v)) => Expected::Ok(json!({
                "ok": true,
                "subject": v.identifier().subject.to_string(),
                "expires": v.expires(),
            })),
            Err(e) => Expected::Rejected(e.to_json()),
        }
    } else {
        match verifier.verify(token, &key, &ctx) {
            Ok(v) => Expected::Ok(json!({
                "ok": true,
                "subject": v.identifier().subject.to_string(),
                "expires": v.expires(),
                "format": v.token().format().name(),
                "tokenId": v.identifier().token_id,
            })),
            Err(e) => Expected::Rejected(e.to_json()),
        }
    }
}

/// The one JSON document on stdout, or why there is none.
fn stdout_json(run: &Run) -> Result<Value, String> {
    if !run.stdout.ends_with('\n') || run.stdout.trim_end().contains('\n') {
        return Err(format!("stdout is not one JSON line: {:?}", run.stdout));
    }
    serde_json::from_str(&run.stdout)
        .map_err(|e| format!("stdout is not JSON ({e}): {:?}", run.stdout))
}

/// Checks a run against what the library answers.
fn compare(run: &Run, expected: &Expected) -> Result<Value, String> {
    let want_code = if expected.is_ok() { 0 } else { 1 };
    if run.code != want_code {
        return Err(format!(
            "exit {} (expected {want_code}, {expected:?}); stdout {} stderr {}",
            run.code, run.stdout, run.stderr
        ));
    }
    let got = stdout_json(run)?;
    match expected {
        Expected::Ok(fields) => {
            for (k, v) in fields.as_object().expect("object") {
                if got.get(k) != Some(v) {
                    return Err(format!("{k}: got {:?}, expected {v}", got.get(k)));
                }
            }
        }
        Expected::Rejected(want) => {
            if &got != want {
                return Err(format!("got {got}, the library says {want}"));
            }
        }
        Expected::RejectedId(id) => {
            let err = &got["error"];
            if err["id"] != *id || !err["details"].is_object() || !err["description"].is_string() {
                return Err(format!("got {got}, expected an error JSON with id {id}"));
            }
        }
    }
    Ok(got)
}

/// Runs the binary, turning a panic of the helper (a signal, an exit code other than 0/1/2,
/// non-UTF-8 stdout) into a failure message.
fn spawn(args: &[OsString], feed: &Feed) -> Result<Run, String> {
    panic::catch_unwind(AssertUnwindSafe(|| match feed {
        Feed::Arg(_) => crate::cli_common::caveat(args),
        Feed::Stdin(bytes) => crate::cli_common::caveat_stdin(args, bytes),
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the run panicked".to_owned())
    })
}

/// Runs cases through the binary and collects every mismatch, so that one run reports all.
#[derive(Default)]
struct Harness {
    failures: Vec<String>,
    spawns: usize,
    /// Runs where the command rejected the input at decoding (the library's `from_text` or,
    /// for `inspect`, its identifier).
    rejected_at_decoding: usize,
}

impl Harness {
    fn token_arg(feed: &Feed) -> OsString {
        match feed {
            Feed::Arg(t) => t.clone(),
            Feed::Stdin(_) => OsString::from("-"),
        }
    }

    fn record(&mut self, what: &str, case: &Case, result: Result<Value, String>) -> Option<Value> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.failures.push(format!("{what} [{}]: {e}", case.name));
                None
            }
        }
    }

    /// `caveat inspect` of the case; returns the output JSON when it matched the library.
    fn inspect(&mut self, case: &Case) -> Option<Value> {
        let args = vec![OsString::from("inspect"), Self::token_arg(&case.feed)];
        let expected = inspect_expected(case.text());
        self.spawns += 1;
        if !expected.is_ok() {
            self.rejected_at_decoding += 1;
        }
        let result = spawn(&args, &case.feed).and_then(|run| compare(&run, &expected));
        self.record("inspect", case, result)
    }

    /// `caveat verify` of the case; returns the output JSON when it matched the library.
    fn verify(&mut self, case: &Case, settings: &Settings) -> Option<Value> {
        let mut args = vec![OsString::from("verify"), Self::token_arg(&case.feed)];
        args.extend(settings.flags().into_iter().map(OsString::from));
        let expected = verify_expected(case.text(), settings);
        let decodes = case
            .text()
            .is_ok_and(|t| Token::from_text(t, settings.verifier().limits()).is_ok());
        if !decodes {
            self.rejected_at_decoding += 1;
        }
        self.spawns += 1;
        let result = spawn(&args, &case.feed).and_then(|run| compare(&run, &expected));
        self.record("verify", case, result)
    }

    /// Both commands.
    fn both(&mut self, case: &Case, settings: &Settings) {
        self.inspect(case);
        self.verify(case, settings);
    }

    fn finish(self, what: &str) {
        println!(
            "{what}: {} runs of the binary, {} rejected at decoding",
            self.spawns, self.rejected_at_decoding
        );
        assert!(
            self.failures.is_empty(),
            "{what}: {} mismatches between the CLI and the library:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(self.spawns > 0);
    }
}

fn spec_file(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec/vectors")
        .join(path);
    let text = fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn vectors_of(file: &str) -> Vec<Value> {
    spec_file(file)["vectors"]
        .as_array()
        .expect("vectors")
        .clone()
}

/// The vector named `name` in `file`.
fn vector(file: &str, name: &str) -> Value {
    vectors_of(file)
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name} in {file}"))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The native text of these envelope bytes.
fn native_text(bytes: &[u8]) -> String {
    format!("cvt1_{}", b64(bytes))
}
