-- Accounts and credentials. Times are milliseconds since the epoch.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,      -- lower-cased, for case-insensitive uniqueness
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,      -- lower-cased
    password_hash TEXT NOT NULL,             -- Argon2id PHC string
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,        -- SHA-256 hex of the opaque token
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,              -- first characters, shown in listings
    key_hash     TEXT NOT NULL UNIQUE,       -- SHA-256 hex of the whole key
    scopes       TEXT NOT NULL,              -- space-separated
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE mfa_totp (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_enc  BYTEA NOT NULL,               -- ChaCha20-Poly1305 under the server key
    enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    last_step   BIGINT,                     -- last accepted time step (replay guard)
    created_at  BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes(user_id);
