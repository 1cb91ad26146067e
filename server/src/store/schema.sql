-- The schema of caveat-server, created on first start. Written in the subset of SQL that both
-- SQLite and PostgreSQL accept: TEXT and BIGINT only (no BLOB/BYTEA: binary values are hex, and
-- flags are 0/1), no AUTOINCREMENT, no SQLite-only functions. Each statement is idempotent.
CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);

CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- The current generation of the user's temporary tokens (revoke-all bumps it).
    generation BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS root_keys (
    id TEXT PRIMARY KEY,
    created BIGINT NOT NULL,
    -- When the key stopped verifying (NULL: in use).
    retired BIGINT,
    -- 1 when secret is sealed under the master key (XSalsa20-Poly1305, nonce beside it).
    sealed BIGINT NOT NULL,
    nonce TEXT,
    secret TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS named_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- Which API created it: 'onezone' or 'insight'.
    kind TEXT NOT NULL,
    token_type TEXT NOT NULL,
    caveats TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,
    created BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    last_used BIGINT,
    UNIQUE (user_id, name)
);

CREATE TABLE IF NOT EXISTS refresh_families (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
    -- SHA-256 of the refresh token, hex: the token itself is never stored.
    hash TEXT PRIMARY KEY,
    family TEXT NOT NULL REFERENCES refresh_families (id),
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family);
