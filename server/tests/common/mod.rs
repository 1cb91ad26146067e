//! The test kit: the real `caveat-server` binary as a child process on a free loopback port,
//! over a real SQLite file in a temporary directory, and a small HTTP/1.1 client over TCP.

#![allow(dead_code)] // each test file uses part of the kit

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_caveat-server");

/// Now, unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A database: a SQLite file in its own temporary directory, or a fresh PostgreSQL database.
pub struct Db {
    pub dir: tempfile::TempDir,
    postgres: Option<String>,
}

impl Db {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: None,
        }
    }

    /// A fresh database on the PostgreSQL server `CAVEAT_TEST_POSTGRES` names; `None` (the
    /// test skips, saying so) when it is unset, except in CI, where that fails.
    pub fn postgres(test: &str) -> Option<Self> {
        let base = pg::base_url(test)?;
        Some(Self::on_postgres(&base))
    }

    /// A fresh database on the PostgreSQL server of `base` (a `postgres://…/db` URL).
    pub fn on_postgres(base: &str) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: Some(pg::fresh_database(base)),
        }
    }

    /// A database at this URL (made by the caller).
    pub fn at_url(url: String) -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: Some(url),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("caveat.db")
    }

    pub fn url(&self) -> String {
        match &self.postgres {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.path().display()),
        }
    }

    /// Runs a CLI command on this database with `stdin`; returns (success, stdout, stderr).
    pub fn cli(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (bool, String, String) {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .arg("--database")
            .arg(self.url())
            .env_remove("CAVEAT_MASTER_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn cli");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("cli output");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Adds a user; returns its id.
    pub fn add_user(&self, name: &str, password: &str) -> String {
        let (ok, out, err) = self.cli(&["user", "add", name], &format!("{password}\n"), &[]);
        assert!(ok, "user add failed: {err}");
        out.trim()
            .split('\t')
            .nth(1)
            .expect("user id printed")
            .to_owned()
    }
}

pub mod pg;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `caveat-server serve` on a free port with these extra arguments and environment.
    pub fn start(db: &Db, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(db.url())
            .args(extra)
            .env_remove("CAVEAT_MASTER_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        // The rest of standard output is drained, so that the server never blocks on it.
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        reader.read_line(&mut line).expect("ready line");
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let addr = line
            .trim()
            .strip_prefix("caveat-server ready on http://")
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"))
            .parse()
            .expect("address");
        Self { addr, child }
    }

    /// Sends SIGTERM and waits; returns whether it exited successfully.
    pub fn stop(self) -> bool {
        self.signal("-TERM")
    }

    /// Sends a signal (`-TERM`, `-INT`) and waits; returns whether it exited successfully.
    pub fn signal(mut self, signal: &str) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        self.child.wait().expect("wait").success()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// kill -9.
    pub fn kill(mut self) {
        self.child.kill().expect("kill -9");
        let _ = self.child.wait();
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        request(self.addr, "GET", path, headers, b"")
    }

    pub fn post_json(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Resp {
        let mut h = headers.to_vec();
        h.push(("content-type", "application/json"));
        request(self.addr, "POST", path, &h, body.to_string().as_bytes())
    }

    pub fn post_form(&self, path: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).expect("form");
        let mut h = headers.to_vec();
        h.push(("content-type", "application/x-www-form-urlencoded"));
        request(self.addr, "POST", path, &h, body.as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {:?}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The error id of a `{"error":{"id":…}}` body.
    pub fn error_id(&self) -> String {
        self.json()["error"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no error id: {} {}", self.status, self.body))
            .to_owned()
    }
}

/// One request on its own connection (`Connection: close`), read to the end.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    try_request(addr, method, path, headers, body).expect("request")
}

/// As [`request`], failing instead of panicking when the connection breaks.
pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Resp> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end: {text:?}")))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")),
        "the kit reads only content-length bodies"
    );
    Ok(Resp {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// An `Authorization: Basic` value.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// A time caveat `ttl` seconds from now.
pub fn time_caveat(ttl: u64) -> Value {
    serde_json::json!({"type": "time", "validUntil": now() + ttl})
}

/// Polls `check` every 100 ms until it holds or `limit` passes; returns whether it held.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether a path exists (for tests that look at the database file).
pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// The Onezone routes the tests call most.
pub const TEMP: &str = "/api/v3/onezone/user/tokens/temporary";
/// The named-token collection.
pub const NAMED: &str = "/api/v3/onezone/user/tokens/named";
/// Access-token verification (unauthenticated).
pub const VERIFY: &str = "/api/v3/onezone/tokens/verify_access_token";

/// No rate limit (the many-node tests send many unauthenticated verifications from one address).
pub const UNLIMITED: [&str; 4] = ["--rate-limit", "100000000", "--rate-burst", "100000000"];

/// Prints a measurement past the test harness's capture (straight to standard error), so that
/// CI's log shows it for passing tests too.
pub fn report(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// What `verify_access_token` on `server` says of `token`: `"ok"` or the error id.
pub fn verify_id(server: &Server, token: &str) -> String {
    let r = server.post_json(VERIFY, &[], &serde_json::json!({ "token": token }));
    match r.status {
        200 => "ok".into(),
        _ => r.error_id(),
    }
}

/// The token a successful creation or exchange returned (`token`, or OAuth's `access_token`).
pub fn token_of(r: &Resp) -> String {
    assert!(
        r.status == 201 || r.status == 200,
        "{} {}",
        r.status,
        r.body
    );
    let v = r.json();
    v["token"]
        .as_str()
        .or_else(|| v["access_token"].as_str())
        .expect("token")
        .to_owned()
}
