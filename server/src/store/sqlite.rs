//! The SQLite backend: one connection in WAL mode behind a mutex (SQLite has one writer at a
//! time anyway), a busy timeout for other processes (the CLI) writing the same file, and
//! `synchronous = FULL` so that a committed transaction survives a crash of the machine, not
//! only of the process.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::{
    Change, ChangeKind, KeyRow, NamedPatch, NamedRow, RefreshRow, RefreshUse, Snapshot, Store,
    StoreError, StoreResult, UserRow, MIGRATIONS, SCHEMA_VERSION,
};

/// How long a statement waits for another connection's write lock before failing. The CLI and
/// the server may write the same file; their transactions are short.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A SQLite database file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn backend(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, _) = &e {
        if code.code == rusqlite::ErrorCode::ConstraintViolation {
            return StoreError::Conflict;
        }
    }
    StoreError::Backend(e.to_string())
}

/// SQLite keeps i64; times and generations are u64 in the service. Values past i64::MAX are
/// never produced (times are seconds, generations grow by one), and are stored clamped.
fn to_db(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn from_db(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

const USER_COLUMNS: &str = "id, name, password_hash, generation, created";

fn user(row: &Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        name: row.get(1)?,
        password_hash: row.get(2)?,
        generation: from_db(row.get(3)?),
        created: from_db(row.get(4)?),
    })
}

const NAMED_COLUMNS: &str =
    "id, user_id, name, kind, token_type, caveats, custom_metadata, created, revoked, last_used";

fn named(row: &Row<'_>) -> rusqlite::Result<NamedRow> {
    Ok(NamedRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        name: row.get(2)?,
        kind: row.get(3)?,
        token_type: row.get(4)?,
        caveats: row.get(5)?,
        custom_metadata: row.get(6)?,
        created: from_db(row.get(7)?),
        revoked: row.get::<_, i64>(8)? != 0,
        last_used: row.get::<_, Option<i64>>(9)?.map(from_db),
    })
}

impl SqliteStore {
    /// Opens (creating it with its schema if needed) the database at `path`.
    ///
    /// # Errors
    /// `Backend` when the file cannot be opened or has a newer schema.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(backend)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        let store = Self {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .map_err(backend)?;
        let version: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "the database has schema version {version}; this build knows {SCHEMA_VERSION}"
            )));
        }
        for (number, sql) in MIGRATIONS.iter().filter(|(n, _)| *n > version) {
            tx.execute_batch(sql).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                params![number],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    /// Runs `f` in an immediate (write-locked) transaction and commits.
    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        let out = f(&tx)?;
        tx.commit().map_err(backend)?;
        Ok(out)
    }

    /// The connection. A panic while it was held cannot leave a transaction half done (an
    /// uncommitted transaction rolls back when dropped), so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    fn add_user(&self, user: &UserRow) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO users (id, name, password_hash, generation, created) \
                 VALUES ($1, $2, $3, $4, $5)",
                params![
                    user.id,
                    user.name,
                    user.password_hash,
                    to_db(user.generation),
                    to_db(user.created)
                ],
            )
            .map(drop)
            .map_err(backend)
    }

    fn user_by_name(&self, name: &str) -> StoreResult<Option<UserRow>> {
        self.lock()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1"),
                params![name],
                user,
            )
            .optional()
            .map_err(backend)
    }

    fn user_by_id(&self, id: &str) -> StoreResult<Option<UserRow>> {
        self.lock()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                params![id],
                user,
            )
            .optional()
            .map_err(backend)
    }

    fn users(&self) -> StoreResult<Vec<UserRow>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .map_err(backend)?;
        let rows = stmt.query_map([], user).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn bump_generation(&self, user_id: &str) -> StoreResult<Option<u64>> {
        self.write(|tx| {
            let generation = tx
                .query_row(
                    "UPDATE users SET generation = generation + 1 WHERE id = $1 \
                     RETURNING generation",
                    params![user_id],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map_err(backend)?
                .map(from_db);
            if let Some(generation) = generation {
                log(
                    tx,
                    &ChangeKind::Generation {
                        user_id: user_id.to_owned(),
                        generation,
                    },
                )?;
            }
            Ok(generation)
        })
    }

    fn add_key(&self, key: &KeyRow) -> StoreResult<()> {
        self.write(|tx| {
            let position = log_numbered(tx, &ChangeKind::KeyAdded(key.id.clone()))?;
            tx.execute(
                "INSERT INTO root_keys (id, created, retired, sealed, nonce, secret, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![
                    key.id,
                    to_db(key.created),
                    key.retired.map(to_db),
                    i64::from(key.sealed),
                    key.nonce,
                    key.secret,
                    position
                ],
            )
            .map(drop)
            .map_err(backend)
        })
    }

    fn keys(&self) -> StoreResult<Vec<KeyRow>> {
        query_all(
            &self.lock(),
            "SELECT id, created, retired, sealed, nonce, secret FROM root_keys \
             ORDER BY COALESCE(position, 0), created, id",
            key,
        )
    }

    fn retire_key(&self, id: &str, at: u64) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE root_keys SET retired = $1 WHERE id = $2 AND retired IS NULL",
                    params![to_db(at), id],
                )
                .map_err(backend)?;
            if n == 1 {
                log(tx, &ChangeKind::KeyRetired(id.to_owned()))?;
            }
            Ok(n == 1)
        })
    }

    fn add_named(&self, t: &NamedRow) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO named_tokens ({NAMED_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                params![
                    t.id,
                    t.user_id,
                    t.name,
                    t.kind,
                    t.token_type,
                    t.caveats,
                    t.custom_metadata,
                    to_db(t.created),
                    i64::from(t.revoked),
                    t.last_used.map(to_db)
                ],
            )
            .map_err(backend)?;
            log(tx, &ChangeKind::NamedIssued(t.id.clone()))?;
            if t.revoked {
                log(tx, &ChangeKind::NamedRevoked(t.id.clone()))?;
            }
            Ok(())
        })
    }

    fn named(&self, id: &str) -> StoreResult<Option<NamedRow>> {
        self.lock()
            .query_row(
                &format!("SELECT {NAMED_COLUMNS} FROM named_tokens WHERE id = $1"),
                params![id],
                named,
            )
            .optional()
            .map_err(backend)
    }

    fn named_of(&self, user_id: &str, kind: Option<&str>) -> StoreResult<Vec<NamedRow>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {NAMED_COLUMNS} FROM named_tokens \
                 WHERE user_id = $1 AND ($2 IS NULL OR kind = $2) ORDER BY created, id"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![user_id, kind], named)
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn named_status(&self) -> StoreResult<Vec<(String, bool)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT id, revoked FROM named_tokens")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn update_named(&self, user_id: &str, id: &str, patch: &NamedPatch) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE named_tokens SET name = COALESCE($1, name), \
                     custom_metadata = COALESCE($2, custom_metadata), \
                     revoked = COALESCE($3, revoked) WHERE user_id = $4 AND id = $5",
                    params![
                        patch.name,
                        patch.custom_metadata,
                        patch.revoked.map(i64::from),
                        user_id,
                        id
                    ],
                )
                .map_err(backend)?;
            match (n, patch.revoked) {
                (1, Some(true)) => log(tx, &ChangeKind::NamedRevoked(id.to_owned()))?,
                (1, Some(false)) => log(tx, &ChangeKind::NamedReinstated(id.to_owned()))?,
                _ => {}
            }
            Ok(n == 1)
        })
    }

    fn delete_named(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM named_tokens WHERE user_id = $1 AND id = $2",
                    params![user_id, id],
                )
                .map_err(backend)?;
            if n == 1 {
                log(tx, &ChangeKind::NamedDeleted(id.to_owned()))?;
            }
            Ok(n == 1)
        })
    }

    fn touch_named(&self, uses: &[(String, u64)]) -> StoreResult<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        {
            let mut stmt = tx
                .prepare(
                    "UPDATE named_tokens SET last_used = $1 \
                     WHERE id = $2 AND (last_used IS NULL OR last_used < $1)",
                )
                .map_err(backend)?;
            for (id, at) in uses {
                stmt.execute(params![to_db(*at), id]).map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)
    }

    fn add_refresh_family(&self, user_id: &str, first: &RefreshRow) -> StoreResult<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        tx.execute(
            "INSERT INTO refresh_families (id, user_id, created, revoked) VALUES ($1, $2, $3, 0)",
            params![first.family, user_id, to_db(first.created)],
        )
        .map_err(backend)?;
        insert_refresh(&tx, first)?;
        tx.commit().map_err(backend)
    }

    fn use_refresh(&self, hash: &str, now: u64, next: &RefreshRow) -> StoreResult<RefreshUse> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend)?;
        let found: Option<(String, i64, i64, String, i64)> = tx
            .query_row(
                "SELECT t.family, t.expires, t.used, f.user_id, f.revoked \
                 FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family \
                 WHERE t.hash = $1",
                params![hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(backend)?;
        let Some((family, expires, used, user_id, revoked)) = found else {
            return Ok(RefreshUse::Invalid);
        };
        if revoked != 0 {
            return Ok(RefreshUse::Invalid);
        }
        if used != 0 {
            tx.execute(
                "UPDATE refresh_families SET revoked = 1 WHERE id = $1",
                params![family],
            )
            .map_err(backend)?;
            log(&tx, &ChangeKind::FamilyRevoked(family.clone()))?;
            tx.commit().map_err(backend)?;
            return Ok(RefreshUse::Reused { family });
        }
        if from_db(expires) <= now || next.family != family {
            return Ok(RefreshUse::Invalid);
        }
        tx.execute(
            "UPDATE refresh_tokens SET used = 1 WHERE hash = $1",
            params![hash],
        )
        .map_err(backend)?;
        insert_refresh(&tx, next)?;
        tx.commit().map_err(backend)?;
        Ok(RefreshUse::Rotated { user_id })
    }

    fn refresh_family(&self, hash: &str) -> StoreResult<Option<(String, String)>> {
        self.lock()
            .query_row(
                "SELECT f.id, f.user_id FROM refresh_tokens t \
                 JOIN refresh_families f ON f.id = t.family WHERE t.hash = $1",
                params![hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)
    }

    fn revoke_family(&self, family: &str, user_id: Option<&str>) -> StoreResult<bool> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "UPDATE refresh_families SET revoked = 1 \
                     WHERE id = $1 AND ($2 IS NULL OR user_id = $2)",
                    params![family, user_id],
                )
                .map_err(backend)?;
            if n == 1 {
                log(tx, &ChangeKind::FamilyRevoked(family.to_owned()))?;
            }
            Ok(n == 1)
        })
    }

    fn revoked_families(&self) -> StoreResult<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT id FROM refresh_families WHERE revoked = 1")
            .map_err(backend)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }

    fn remove_user(&self, user_id: &str) -> StoreResult<bool> {
        self.write(|tx| {
            let named: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM named_tokens WHERE user_id = $1")
                    .map_err(backend)?;
                let rows = stmt
                    .query_map(params![user_id], |r| r.get(0))
                    .map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            let families: Vec<String> = {
                let mut stmt = tx
                    .prepare("SELECT id FROM refresh_families WHERE user_id = $1 AND revoked = 0")
                    .map_err(backend)?;
                let rows = stmt
                    .query_map(params![user_id], |r| r.get(0))
                    .map_err(backend)?;
                rows.collect::<Result<_, _>>().map_err(backend)?
            };
            for sql in [
                "DELETE FROM named_tokens WHERE user_id = $1",
                "DELETE FROM refresh_tokens WHERE family IN \
                 (SELECT id FROM refresh_families WHERE user_id = $1)",
                "DELETE FROM refresh_families WHERE user_id = $1",
            ] {
                tx.execute(sql, params![user_id]).map_err(backend)?;
            }
            let n = tx
                .execute("DELETE FROM users WHERE id = $1", params![user_id])
                .map_err(backend)?;
            if n == 0 {
                return Ok(false);
            }
            for id in named {
                log(tx, &ChangeKind::NamedDeleted(id))?;
            }
            for family in families {
                log(tx, &ChangeKind::FamilyRevoked(family))?;
            }
            log(tx, &ChangeKind::UserRemoved(user_id.to_owned()))?;
            Ok(true)
        })
    }

    fn prune_changes(&self, keep: u64) -> StoreResult<u64> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM change_log WHERE seq <= \
                 (SELECT seq FROM change_head WHERE id = 1) - $1",
                params![to_db(keep.max(1))],
            )
            .map(|n| n as u64)
            .map_err(backend)
        })
    }

    fn snapshot(&self) -> StoreResult<Snapshot> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(backend)?;
        let seq = tx
            .query_row("SELECT seq FROM change_head WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(backend)?;
        let named = query_all(&tx, "SELECT id, revoked FROM named_tokens", |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? != 0))
        })?;
        let generations = query_all(&tx, "SELECT id, generation FROM users", |r| {
            Ok((r.get(0)?, from_db(r.get(1)?)))
        })?;
        let revoked_families = query_all(
            &tx,
            "SELECT id FROM refresh_families WHERE revoked = 1",
            |r| r.get(0),
        )?;
        let keys = query_all(
            &tx,
            "SELECT id, created, retired, sealed, nonce, secret FROM root_keys \
             ORDER BY COALESCE(position, 0), created, id",
            key,
        )?;
        tx.commit().map_err(backend)?;
        Ok(Snapshot {
            seq: from_db(seq),
            named,
            generations,
            revoked_families,
            keys,
        })
    }

    fn changes_since(&self, after: u64, limit: u32) -> StoreResult<Vec<Change>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT seq, kind, subject, value FROM change_log WHERE seq > $1 \
                 ORDER BY seq LIMIT $2",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![to_db(after), i64::from(limit)], |r| {
                Ok(Change {
                    seq: from_db(r.get(0)?),
                    kind: ChangeKind::from_row(
                        &r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get::<_, Option<i64>>(3)?.map(from_db),
                    ),
                })
            })
            .map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)
    }
}

fn key(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        id: r.get(0)?,
        created: from_db(r.get(1)?),
        retired: r.get::<_, Option<i64>>(2)?.map(from_db),
        sealed: r.get::<_, i64>(3)? != 0,
        nonce: r.get(4)?,
        secret: r.get(5)?,
    })
}

fn query_all<T>(
    conn: &Connection,
    sql: &str,
    f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let rows = stmt.query_map([], f).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

/// Appends a change to the log, numbered by the counter row (locked until the transaction
/// commits).
fn log(tx: &rusqlite::Transaction<'_>, change: &ChangeKind) -> StoreResult<()> {
    log_numbered(tx, change).map(drop)
}

/// As [`log`], returning the change's number.
fn log_numbered(tx: &rusqlite::Transaction<'_>, change: &ChangeKind) -> StoreResult<i64> {
    let seq: i64 = tx
        .query_row(
            "UPDATE change_head SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    let (kind, subject, value) = change.to_row();
    tx.execute(
        "INSERT INTO change_log (seq, kind, subject, value) VALUES ($1, $2, $3, $4)",
        params![seq, kind, subject, value.map(to_db)],
    )
    .map_err(backend)?;
    Ok(seq)
}

fn insert_refresh(tx: &rusqlite::Transaction<'_>, row: &RefreshRow) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO refresh_tokens (hash, family, created, expires, used) \
         VALUES ($1, $2, $3, $4, 0)",
        params![row.hash, row.family, to_db(row.created), to_db(row.expires)],
    )
    .map(drop)
    .map_err(backend)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::suite;

    fn store() -> (tempfile::TempDir, Arc<SqliteStore>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db")).expect("open");
        (dir, Arc::new(store))
    }

    #[allow(clippy::unnecessary_wraps)]
    fn open(_test: &str) -> Option<(tempfile::TempDir, Arc<SqliteStore>)> {
        Some(store())
    }

    suite::store_suite!(open);

    #[test]
    fn state_survives_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        {
            let s = SqliteStore::open(&path).expect("open");
            s.add_user(&suite::alice()).expect("add");
            s.bump_generation("u1").expect("bump");
        }
        let s = SqliteStore::open(&path).expect("reopen");
        assert_eq!(
            s.user_by_name("alice")
                .expect("get")
                .expect("some")
                .generation,
            1
        );
    }
}
