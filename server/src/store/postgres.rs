//! The PostgreSQL backend: tokio-postgres connections in a deadpool pool, behind the same
//! synchronous [`Store`] trait as SQLite. The store owns a small runtime of its own (two
//! workers) that drives the connections; each call blocks its caller (a blocking thread of the
//! service, the CLI, a test) until its transaction committed. Keeping the trait synchronous
//! leaves the service, the SQLite backend and the store suite as they are, and costs what the
//! SQLite backend costs already: one blocking thread per call in flight.
//!
//! Read-modify-write transactions lock the rows they read (`SELECT … FOR UPDATE`, or an
//! `UPDATE … RETURNING`) and are retried on a serialization failure or a deadlock. Each change
//! that can turn an accept into a deny appends to the change log (numbered by the locked
//! counter row, so numbers commit in order) and calls `pg_notify` in the same transaction.
//!
//! A listener task keeps one more connection that `LISTEN`s on [`CHANNEL`] and wakes the
//! service's sync loop ([`Store::change_signal`]) on each notification and after each
//! reconnection.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::Notify;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{IsolationLevel, NoTls, Row, Socket, Transaction};

use super::{
    Change, ChangeKind, KeyRow, NamedPatch, NamedRow, RefreshRow, RefreshUse, Snapshot, Store,
    StoreError, StoreResult, UserRow, MIGRATIONS, SCHEMA_VERSION,
};

/// The notification channel of the change log.
pub const CHANNEL: &str = "caveat_changes";

/// Connections in the pool.
const POOL_SIZE: usize = 16;

/// How long a call waits for a connection (or to open one) before the database counts as
/// unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Attempts of a transaction that fails to serialize.
const ATTEMPTS: u32 = 8;

/// How long the listener waits before reconnecting.
const RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// A PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    signal: Arc<Notify>,
    listening: Arc<AtomicBool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The service may drop the store on an async thread, where a runtime cannot block.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The store's error for a driver error.
fn pg(e: &tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => StoreError::Conflict,
        Some(code) if code.code().starts_with("08") || code.code().starts_with("57P") => {
            StoreError::Unavailable(causes(e))
        }
        Some(_) => StoreError::Backend(causes(e)),
        // No SQLSTATE: the connection broke (closed, I/O, timeout).
        None => StoreError::Unavailable(causes(e)),
    }
}

/// An error with its causes (the pool's and the driver's own messages say little alone).
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// PostgreSQL keeps i64; values past i64::MAX are never produced and are stored clamped.
fn to_db(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_db(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

const USER_COLUMNS: &str = "id, name, password_hash, generation, created";

fn user(r: &Row) -> UserRow {
    UserRow {
        id: r.get(0),
        name: r.get(1),
        password_hash: r.get(2),
        generation: from_db(r.get(3)),
        created: from_db(r.get(4)),
    }
}

const NAMED_COLUMNS: &str =
    "id, user_id, name, kind, token_type, caveats, custom_metadata, created, revoked, last_used";

fn named(r: &Row) -> NamedRow {
    NamedRow {
        id: r.get(0),
        user_id: r.get(1),
        name: r.get(2),
        kind: r.get(3),
        token_type: r.get(4),
        caveats: r.get(5),
        custom_metadata: r.get(6),
        created: from_db(r.get(7)),
        revoked: r.get::<_, i64>(8) != 0,
        last_used: r.get::<_, Option<i64>>(9).map(from_db),
    }
}

const KEY_COLUMNS: &str = "id, created, retired, sealed, nonce, secret";

fn key(r: &Row) -> KeyRow {
    KeyRow {
        id: r.get(0),
        created: from_db(r.get(1)),
        retired: r.get::<_, Option<i64>>(2).map(from_db),
        sealed: r.get::<_, i64>(3) != 0,
        nonce: r.get(4),
        secret: r.get(5),
    }
}

/// Appends a change to the log and notifies, in the caller's transaction.
async fn log(tx: &Transaction<'_>, change: &ChangeKind) -> Result<(), tokio_postgres::Error> {
    log_numbered(tx, change).await.map(drop)
}

/// As [`log`], returning the change's number.
async fn log_numbered(
    tx: &Transaction<'_>,
    change: &ChangeKind,
) -> Result<i64, tokio_postgres::Error> {
    let seq: i64 = tx
        .query_one(
            "UPDATE change_head SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            &[],
        )
        .await?
        .get(0);
    let (kind, subject, value) = change.to_row();
    tx.execute(
        "INSERT INTO change_log (seq, kind, subject, value) VALUES ($1, $2, $3, $4)",
        &[&seq, &kind, &subject, &value.map(to_db)],
    )
    .await?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &seq.to_string()])
        .await?;
    Ok(seq)
}

async fn ids(
    tx: &Transaction<'_>,
    sql: &str,
    user_id: &str,
) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(tx
        .query(sql, &[&user_id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Runs `$body` (an expression of `Result<T, tokio_postgres::Error>` using the transaction
/// `$tx`) in a transaction, committing it, retrying on a serialization failure or deadlock.
macro_rules! in_tx {
    ($self:ident, |$tx:ident| $body:expr) => {
        $self.block(async {
            let mut attempt = 1;
            loop {
                let mut client = $self.client().await?;
                let $tx = client.transaction().await.map_err(|e| pg(&e))?;
                let outcome = async { $body }.await;
                let outcome = match outcome {
                    Ok(value) => $tx.commit().await.map(|()| value),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(value) => break Ok(value),
                    Err(e) if retryable(&e) && attempt < ATTEMPTS => attempt += 1,
                    Err(e) => break Err(pg(&e)),
                }
            }
        })
    };
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), applies the migrations, and starts
    /// listening for changes (waiting until the first `LISTEN` is in place, so that a snapshot
    /// taken after this returns misses no notification). With `sslrootcert=PATH` in the URL the
    /// connections use TLS, required and verified against that CA (see `pg_tls`).
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be reached; `Backend` for a newer schema or a bad
    /// URL.
    pub fn open(url: &str) -> StoreResult<Self> {
        let (url, ca) = super::pg_tls::split_url(url)?;
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::Backend(e.to_string()))?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .application_name("caveat-server");
        match ca {
            Some(ca) => {
                config.ssl_mode(SslMode::Require);
                let tls = super::pg_tls::client_config(&ca)?;
                Self::with_tls(config, tokio_postgres_rustls::MakeRustlsConnect::new(tls))
            }
            None if config.get_ssl_mode() == SslMode::Require => Err(StoreError::Backend(
                "sslmode=require needs sslrootcert=PATH (the CA that signed the server's \
                 certificate): TLS is never used unverified"
                    .into(),
            )),
            None => {
                config.ssl_mode(SslMode::Disable);
                Self::with_tls(config, NoTls)
            }
        }
    }

    fn with_tls<T>(config: tokio_postgres::Config, tls: T) -> StoreResult<Self>
    where
        T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
        T::Stream: Sync + Send,
        T::TlsConnect: Sync + Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("caveat-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let handle = runtime.handle().clone();
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let store = Self {
            pool,
            runtime: Some(runtime),
            handle,
            signal: Arc::new(Notify::new()),
            listening: Arc::new(AtomicBool::new(false)),
        };
        store.migrate()?;
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        store.handle.spawn(listen(
            config,
            tls,
            Arc::clone(&store.signal),
            Arc::clone(&store.listening),
            first_tx,
        ));
        match first_rx.recv_timeout(CONNECT_TIMEOUT * 2) {
            Ok(Ok(())) => Ok(store),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StoreError::Unavailable("LISTEN timed out".into())),
        }
    }

    fn block<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.handle.block_on(f)
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Unavailable(causes(&e)))
    }

    /// Whether the listener's connection is up (for `/health`).
    #[must_use]
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    fn migrate(&self) -> StoreResult<()> {
        in_tx!(self, |tx| {
            // Nodes starting together migrate one at a time.
            tx.execute("SELECT pg_advisory_xact_lock(7391)", &[])
                .await?;
            tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                .await?;
            let version: i64 = tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
                .await?
                .get(0);
            if version > SCHEMA_VERSION {
                return Ok(Err(StoreError::Backend(format!(
                    "the database has schema version {version}; this build knows \
                     {SCHEMA_VERSION}"
                ))));
            }
            for (number, sql) in MIGRATIONS.iter().filter(|(n, _)| *n > version) {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[number],
                )
                .await?;
            }
            Ok(Ok(()))
        })?
    }

    async fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        f: fn(&Row) -> T,
    ) -> StoreResult<Option<T>> {
        let client = self.client().await?;
        // Each connection keeps its prepared statements: one round trip a query.
        let statement = client.prepare_cached(sql).await.map_err(|e| pg(&e))?;
        let row = client
            .query_opt(&statement, params)
            .await
            .map_err(|e| pg(&e))?;
        Ok(row.as_ref().map(f))
    }

    async fn query_all<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        f: fn(&Row) -> T,
    ) -> StoreResult<Vec<T>> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(|e| pg(&e))?;
        let rows = client.query(&statement, params).await.map_err(|e| pg(&e))?;
        Ok(rows.iter().map(f).collect())
    }
}

/// Keeps a connection that `LISTEN`s on [`CHANNEL`]: wakes `signal` on every notification and
/// once after each (re)connection (the sync loop then catches up from its last number).
async fn listen<T>(
    config: tokio_postgres::Config,
    tls: T,
    signal: Arc<Notify>,
    listening: Arc<AtomicBool>,
    first: std::sync::mpsc::Sender<StoreResult<()>>,
) where
    T: MakeTlsConnect<Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    use futures_util::StreamExt as _;
    let mut first = Some(first);
    loop {
        let connected = config.connect(tls.clone()).await;
        let (client, mut connection) = match connected {
            Ok(pair) => pair,
            Err(e) => {
                if let Some(first) = first.take() {
                    let _ = first.send(Err(pg(&e)));
                    return;
                }
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        let mut messages =
            futures_util::stream::poll_fn(move |cx| connection.poll_message(cx)).boxed();
        let sql = format!("LISTEN {CHANNEL}");
        let listen = client.batch_execute(&sql);
        // The connection must be polled for the LISTEN to complete.
        let listened = tokio::select! {
            r = listen => r,
            _ = async { while messages.next().await.is_some_and(|m| m.is_ok()) {} } => {
                tokio::time::sleep(RECONNECT_DELAY).await;
                continue;
            }
        };
        if let Err(e) = listened {
            if let Some(first) = first.take() {
                let _ = first.send(Err(pg(&e)));
                return;
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
            continue;
        }
        listening.store(true, Ordering::Relaxed);
        if let Some(first) = first.take() {
            let _ = first.send(Ok(()));
        }
        signal.notify_one();
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(_) = message {
                signal.notify_one();
            }
        }
        listening.store(false, Ordering::Relaxed);
        drop(client);
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

impl Store for PgStore {
    fn add_user(&self, u: &UserRow) -> StoreResult<()> {
        in_tx!(self, |tx| {
            tx.execute(
                "INSERT INTO users (id, name, password_hash, generation, created) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &u.id,
                    &u.name,
                    &u.password_hash,
                    &to_db(u.generation),
                    &to_db(u.created),
                ],
            )
            .await
            .map(drop)
        })
    }

    fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1");
        self.block(self.query_opt(&sql, &[&name], user))
    }

    fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        self.block(self.query_opt(&sql, &[&id], user))
    }

    fn users(&self) -> StoreResult<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        self.block(self.query_all(&sql, &[], user))
    }

    fn bump_generation(&self, user_id: &str) -> StoreResult<Option<u64>> {
        in_tx!(self, |tx| {
            let row = tx
                .query_opt(
                    "UPDATE users SET generation = generation + 1 WHERE id = $1 \
                     RETURNING generation",
                    &[&user_id],
                )
                .await?;
            let generation = row.map(|r| from_db(r.get(0)));
            if let Some(generation) = generation {
                let change = ChangeKind::Generation {
                    user_id: user_id.to_owned(),
                    generation,
                };
                log(&tx, &change).await?;
            }
            Ok(generation)
        })
    }

    fn add_key(&self, k: &KeyRow) -> StoreResult<()> {
        in_tx!(self, |tx| {
            let position = log_numbered(&tx, &ChangeKind::KeyAdded(k.id.clone())).await?;
            tx.execute(
                "INSERT INTO root_keys (id, created, retired, sealed, nonce, secret, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &k.id,
                    &to_db(k.created),
                    &k.retired.map(to_db),
                    &i64::from(k.sealed),
                    &k.nonce,
                    &k.secret,
                    &position,
                ],
            )
            .await
            .map(drop)
        })
    }

    fn keys(&self) -> StoreResult<Vec<KeyRow>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM root_keys ORDER BY COALESCE(position, 0), created, id"
        );
        self.block(self.query_all(&sql, &[], key))
    }

    fn retire_key(&self, id: &str, at: u64) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let n = tx
                .execute(
                    "UPDATE root_keys SET retired = $1 WHERE id = $2 AND retired IS NULL",
                    &[&to_db(at), &id],
                )
                .await?;
            if n == 1 {
                log(&tx, &ChangeKind::KeyRetired(id.to_owned())).await?;
            }
            Ok(n == 1)
        })
    }

    fn add_named(&self, t: &NamedRow) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO named_tokens ({NAMED_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        in_tx!(self, |tx| {
            tx.execute(
                &sql,
                &[
                    &t.id,
                    &t.user_id,
                    &t.name,
                    &t.kind,
                    &t.token_type,
                    &t.caveats,
                    &t.custom_metadata,
                    &to_db(t.created),
                    &i64::from(t.revoked),
                    &t.last_used.map(to_db),
                ],
            )
            .await?;
            log(&tx, &ChangeKind::NamedIssued(t.id.clone())).await?;
            if t.revoked {
                log(&tx, &ChangeKind::NamedRevoked(t.id.clone())).await?;
            }
            Ok(())
        })
    }

    fn named(&self, id: &str) -> StoreResult<Option<NamedRow>> {
        let sql = format!("SELECT {NAMED_COLUMNS} FROM named_tokens WHERE id = $1");
        self.block(self.query_opt(&sql, &[&id], named))
    }

    fn named_of(&self, user_id: &str, kind: Option<&str>) -> StoreResult<Vec<NamedRow>> {
        let sql = format!(
            "SELECT {NAMED_COLUMNS} FROM named_tokens \
             WHERE user_id = $1 AND ($2::TEXT IS NULL OR kind = $2) ORDER BY created, id"
        );
        self.block(self.query_all(&sql, &[&user_id, &kind], named))
    }

    fn named_status(&self) -> StoreResult<Vec<(String, bool)>> {
        self.block(
            self.query_all("SELECT id, revoked FROM named_tokens", &[], |r| {
                (r.get(0), r.get::<_, i64>(1) != 0)
            }),
        )
    }

    fn update_named(&self, user_id: &str, id: &str, patch: &NamedPatch) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let n = tx
                .execute(
                    "UPDATE named_tokens SET name = COALESCE($1, name), \
                     custom_metadata = COALESCE($2, custom_metadata), \
                     revoked = COALESCE($3, revoked) WHERE user_id = $4 AND id = $5",
                    &[
                        &patch.name,
                        &patch.custom_metadata,
                        &patch.revoked.map(i64::from),
                        &user_id,
                        &id,
                    ],
                )
                .await?;
            match (n, patch.revoked) {
                (1, Some(true)) => log(&tx, &ChangeKind::NamedRevoked(id.to_owned())).await?,
                (1, Some(false)) => log(&tx, &ChangeKind::NamedReinstated(id.to_owned())).await?,
                _ => {}
            }
            Ok(n == 1)
        })
    }

    fn delete_named(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let n = tx
                .execute(
                    "DELETE FROM named_tokens WHERE user_id = $1 AND id = $2",
                    &[&user_id, &id],
                )
                .await?;
            if n == 1 {
                log(&tx, &ChangeKind::NamedDeleted(id.to_owned())).await?;
            }
            Ok(n == 1)
        })
    }

    fn touch_named(&self, uses: &[(String, u64)]) -> StoreResult<()> {
        // Rows in one order on every node: two nodes' batches never deadlock.
        let mut uses = uses.to_vec();
        uses.sort();
        in_tx!(self, |tx| {
            let stmt = tx
                .prepare(
                    "UPDATE named_tokens SET last_used = $1 \
                     WHERE id = $2 AND (last_used IS NULL OR last_used < $1)",
                )
                .await?;
            for (id, at) in &uses {
                tx.execute(&stmt, &[&to_db(*at), id]).await?;
            }
            Ok(())
        })
    }

    fn add_refresh_family(&self, user_id: &str, first: &RefreshRow) -> StoreResult<()> {
        in_tx!(self, |tx| {
            tx.execute(
                "INSERT INTO refresh_families (id, user_id, created, revoked) \
                 VALUES ($1, $2, $3, 0)",
                &[&first.family, &user_id, &to_db(first.created)],
            )
            .await?;
            insert_refresh(&tx, first).await
        })
    }

    fn use_refresh(&self, hash: &str, now: u64, next: &RefreshRow) -> StoreResult<RefreshUse> {
        in_tx!(self, |tx| {
            // Both rows stay locked until commit: of two uses, the second waits and then
            // sees the first one's `used`.
            let found = tx
                .query_opt(
                    "SELECT t.family, t.expires, t.used, f.user_id, f.revoked \
                     FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family \
                     WHERE t.hash = $1 FOR UPDATE",
                    &[&hash],
                )
                .await?;
            let Some(row) = found else {
                return Ok(RefreshUse::Invalid);
            };
            let family: String = row.get(0);
            let (expires, used): (i64, i64) = (row.get(1), row.get(2));
            let (user_id, revoked): (String, i64) = (row.get(3), row.get(4));
            if revoked != 0 {
                return Ok(RefreshUse::Invalid);
            }
            if used != 0 {
                tx.execute(
                    "UPDATE refresh_families SET revoked = 1 WHERE id = $1",
                    &[&family],
                )
                .await?;
                log(&tx, &ChangeKind::FamilyRevoked(family.clone())).await?;
                return Ok(RefreshUse::Reused { family });
            }
            if from_db(expires) <= now || next.family != family {
                return Ok(RefreshUse::Invalid);
            }
            tx.execute(
                "UPDATE refresh_tokens SET used = 1 WHERE hash = $1",
                &[&hash],
            )
            .await?;
            insert_refresh(&tx, next).await?;
            Ok(RefreshUse::Rotated { user_id })
        })
    }

    fn refresh_family(&self, hash: &str) -> StoreResult<Option<(String, String)>> {
        self.block(self.query_opt(
            "SELECT f.id, f.user_id FROM refresh_tokens t \
             JOIN refresh_families f ON f.id = t.family WHERE t.hash = $1",
            &[&hash],
            |r| (r.get(0), r.get(1)),
        ))
    }

    fn revoke_family(&self, family: &str, user_id: Option<&str>) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let n = tx
                .execute(
                    "UPDATE refresh_families SET revoked = 1 \
                     WHERE id = $1 AND ($2::TEXT IS NULL OR user_id = $2)",
                    &[&family, &user_id],
                )
                .await?;
            if n == 1 {
                log(&tx, &ChangeKind::FamilyRevoked(family.to_owned())).await?;
            }
            Ok(n == 1)
        })
    }

    fn revoked_families(&self) -> StoreResult<Vec<String>> {
        self.block(self.query_all(
            "SELECT id FROM refresh_families WHERE revoked = 1",
            &[],
            |r| r.get(0),
        ))
    }

    fn remove_user(&self, user_id: &str) -> StoreResult<bool> {
        in_tx!(self, |tx| {
            let found = tx
                .query_opt("SELECT id FROM users WHERE id = $1 FOR UPDATE", &[&user_id])
                .await?;
            if found.is_none() {
                return Ok(false);
            }
            let named = ids(
                &tx,
                "SELECT id FROM named_tokens WHERE user_id = $1",
                user_id,
            )
            .await?;
            let families = ids(
                &tx,
                "SELECT id FROM refresh_families WHERE user_id = $1 AND revoked = 0",
                user_id,
            )
            .await?;
            for sql in [
                "DELETE FROM named_tokens WHERE user_id = $1",
                "DELETE FROM refresh_tokens WHERE family IN \
                 (SELECT id FROM refresh_families WHERE user_id = $1)",
                "DELETE FROM refresh_families WHERE user_id = $1",
                "DELETE FROM users WHERE id = $1",
            ] {
                tx.execute(sql, &[&user_id]).await?;
            }
            for id in named {
                log(&tx, &ChangeKind::NamedDeleted(id)).await?;
            }
            for family in families {
                log(&tx, &ChangeKind::FamilyRevoked(family)).await?;
            }
            log(&tx, &ChangeKind::UserRemoved(user_id.to_owned())).await?;
            Ok(true)
        })
    }

    fn prune_changes(&self, keep: u64) -> StoreResult<u64> {
        in_tx!(self, |tx| {
            tx.execute(
                "DELETE FROM change_log WHERE seq <= \
                 (SELECT seq FROM change_head WHERE id = 1) - $1",
                &[&to_db(keep.max(1))],
            )
            .await
        })
    }

    fn snapshot(&self) -> StoreResult<Snapshot> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await
                .map_err(|e| pg(&e))?;
            let read = async {
                let seq: i64 = tx
                    .query_one("SELECT seq FROM change_head WHERE id = 1", &[])
                    .await?
                    .get(0);
                let rows = tx.query("SELECT id, revoked FROM named_tokens", &[]).await?;
                let named = rows
                    .iter()
                    .map(|r| (r.get(0), r.get::<_, i64>(1) != 0))
                    .collect();
                let rows = tx.query("SELECT id, generation FROM users", &[]).await?;
                let generations = rows.iter().map(|r| (r.get(0), from_db(r.get(1)))).collect();
                let rows = tx
                    .query("SELECT id FROM refresh_families WHERE revoked = 1", &[])
                    .await?;
                let revoked_families = rows.iter().map(|r| r.get(0)).collect();
                let sql = format!("SELECT {KEY_COLUMNS} FROM root_keys ORDER BY COALESCE(position, 0), created, id");
                let keys = tx.query(&sql, &[]).await?.iter().map(key).collect();
                Ok::<_, tokio_postgres::Error>(Snapshot {
                    seq: from_db(seq),
                    named,
                    generations,
                    revoked_families,
                    keys,
                })
            };
            let snapshot = read.await.map_err(|e| pg(&e))?;
            tx.commit().await.map_err(|e| pg(&e))?;
            Ok(snapshot)
        })
    }

    fn changes_since(&self, after: u64, limit: u32) -> StoreResult<Vec<Change>> {
        self.block(self.query_all(
            "SELECT seq, kind, subject, value FROM change_log WHERE seq > $1 \
             ORDER BY seq LIMIT $2",
            &[&to_db(after), &i64::from(limit)],
            |r| Change {
                seq: from_db(r.get(0)),
                kind: ChangeKind::from_row(
                    r.get(1),
                    r.get(2),
                    r.get::<_, Option<i64>>(3).map(from_db),
                ),
            },
        ))
    }

    fn change_signal(&self) -> Option<Arc<Notify>> {
        Some(Arc::clone(&self.signal))
    }
}

async fn insert_refresh(
    tx: &Transaction<'_>,
    row: &RefreshRow,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "INSERT INTO refresh_tokens (hash, family, created, expires, used) \
         VALUES ($1, $2, $3, $4, 0)",
        &[
            &row.hash,
            &row.family,
            &to_db(row.created),
            &to_db(row.expires),
        ],
    )
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::suite;

    fn open(test: &str) -> Option<((), Arc<PgStore>)> {
        let url = suite::postgres_url(test)?;
        Some(((), Arc::new(PgStore::open(&url).expect("open"))))
    }

    suite::store_suite!(open);

    #[test]
    fn two_stores_on_one_database_migrate_once_and_notify_each_other() {
        let Some(url) = suite::postgres_url("two_stores_notify") else {
            return;
        };
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| PgStore::open(&url).expect("a"));
            let b = scope.spawn(|| PgStore::open(&url).expect("b"));
            (a.join().expect("a"), b.join().expect("b"))
        });
        let signal = b.change_signal().expect("signal");
        let wait = |what: &str| {
            let woke = b.handle.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), signal.notified())
                    .await
                    .is_ok()
            });
            assert!(woke, "no {what}");
        };
        // The listener wakes the loop once when it is in place.
        wait("wake-up after LISTEN");
        a.add_user(&suite::alice()).expect("add");
        a.bump_generation("u1").expect("bump");
        // The notification reaches b's listener (bounded: the test fails after 10 s).
        wait("notification");
        assert_eq!(b.changes_since(0, 10).expect("changes").len(), 1);
        assert!(b.listening());
    }
}
