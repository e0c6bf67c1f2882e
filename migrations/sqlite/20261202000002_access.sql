-- Access: API tokens (only their SHA-256 digests are kept) and browser sessions of the owner.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL,          -- read | write
    digest        TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the secret
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);

CREATE TABLE sessions (
    digest      TEXT PRIMARY KEY,         -- hex SHA-256 of the cookie's value
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
