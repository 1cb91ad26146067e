//! PostgreSQL for the tests: the server `CAVEAT_TEST_POSTGRES` names (CI starts one with
//! `server/pg/cluster.sh`), a fresh database per test, and clusters of a test's own (for tests
//! that stop PostgreSQL) made by the same script.

use std::path::PathBuf;
use std::process::Command;

/// The script that makes clusters.
pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pg/cluster.sh")
}

/// `CAVEAT_TEST_POSTGRES`; `None` locally without it (printing that `test` is skipped), a
/// failure when `CI=true`.
pub fn base_url(test: &str) -> Option<String> {
    match std::env::var("CAVEAT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CAVEAT_TEST_POSTGRES is not set: CI must run the PostgreSQL tests"
            );
            eprintln!(
                "skipping {test}: CAVEAT_TEST_POSTGRES is not set (server/pg/cluster.sh start)"
            );
            None
        }
    }
}

/// Creates a database with a random name on the server of `base`; returns its URL.
pub fn fresh_database(base: &str) -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random");
    let name = format!("caveat_t_{}", hex::encode(bytes));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(base, tokio_postgres::NoTls)
            .await
            .expect("connect to PostgreSQL");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        drop(client);
        let _ = driver.await;
    });
    let (prefix, _) = base.rsplit_once('/').expect("a database in the URL");
    format!("{prefix}/{name}")
}

/// A PostgreSQL cluster of the test's own, which it may stop and start again; deleted on drop.
pub struct Cluster {
    pub url: String,
    dir: String,
    /// With TLS: the CA that signed the server's certificate, and one that signed nothing.
    pub ca: Option<(String, String)>,
}

impl Cluster {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A cluster that accepts TLS connections only.
    pub fn start_tls() -> Self {
        Self::start_with(&["--tls"])
    }

    fn start_with(options: &[&str]) -> Self {
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .args(options)
            .output()
            .expect("cluster.sh");
        assert!(
            out.status.success(),
            "cluster.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in {text}"))
                .to_owned()
        };
        let ca = text.contains("CAVEAT_TEST_PG_CA=").then(|| {
            (
                value("CAVEAT_TEST_PG_CA="),
                value("CAVEAT_TEST_PG_OTHER_CA="),
            )
        });
        Self {
            url: value("CAVEAT_TEST_POSTGRES="),
            dir: value("CAVEAT_TEST_PG_DIR="),
            ca,
        }
    }

    /// Creates one more database (over the cluster's unix socket); its URL.
    pub fn createdb(&self, name: &str) -> String {
        let out = Command::new("bash")
            .arg(script())
            .args(["createdb", &self.dir, name])
            .output()
            .expect("cluster.sh");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn run(&self, command: &str) {
        let status = Command::new("bash")
            .arg(script())
            .args([command, &self.dir])
            .status()
            .expect("cluster.sh");
        assert!(status.success(), "cluster.sh {command} failed");
    }

    /// Stops PostgreSQL (fast shutdown: connections are cut).
    pub fn pause(&self) {
        self.run("pause");
    }

    /// Starts it again on the same port, with the same data.
    pub fn resume(&self) {
        self.run("resume");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", &self.dir])
            .status();
    }
}
