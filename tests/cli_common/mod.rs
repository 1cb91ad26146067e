//! Driving the `caveat` binary as a script would: run it, check the exit code is 0, 1 or 2 and
//! never a signal, and read the one JSON document on stdout. Shared by the CLI suites
//! (`tests/cli/`).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_caveat");

/// What one run of the binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The single JSON document on stdout (which must be newline-terminated).
    pub fn json(&self) -> Value {
        assert!(
            self.stdout.ends_with('\n'),
            "stdout not newline-terminated: {:?}",
            self.stdout
        );
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// Asserts success and returns the JSON.
    pub fn ok(&self) -> Value {
        assert_eq!(
            self.code, 0,
            "stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        self.json()
    }

    /// Asserts exit `code` with an error JSON on stdout and returns the error id.
    pub fn error_id(&self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        let v = self.json();
        let err = &v["error"];
        assert!(err["details"].is_object(), "no details in {v}");
        assert!(err["description"].is_string(), "no description in {v}");
        err["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no error id in {v}"))
            .to_owned()
    }

    /// Asserts a clap usage error: exit 2, nothing on stdout, a message on stderr.
    pub fn clap_usage_error(&self) {
        assert_eq!(
            self.code, 2,
            "stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
        assert!(!self.stderr.is_empty());
    }
}

fn finish(out: Output) -> Run {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), None, "killed by a signal");
    }
    let code = out.status.code().expect("exited normally");
    assert!(
        code == 0 || code == 1 || code == 2,
        "unexpected exit code {code}"
    );
    Run {
        code,
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn caveat<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run caveat");
    finish(out)
}

pub fn caveat_stdin<S: AsRef<OsStr>>(args: &[S], input: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn caveat");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may stop reading early (oversized input); a broken pipe is fine.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait caveat");
    writer.join().expect("writer thread");
    finish(out)
}

/// The token of a `{"token":"…"}` output (exactly that one key).
pub fn token_of(run: &Run) -> String {
    let v = run.ok();
    assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
    v["token"].as_str().expect("token string").to_owned()
}
