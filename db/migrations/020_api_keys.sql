-- API keys (issue #15, item 1): what a script presents to /api/v1 as
-- "Authorization: Bearer stw_…". The key itself is shown once and never
-- stored: hash is its SHA-256 (hex), which finds the key of a request;
-- prefix is its first 12 characters, which the admin page shows so a
-- person can tell keys apart. scope 'read' acts as a viewer, 'write' as
-- an editor. A revoked key stays listed (and in the audit log's events).
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    prefix        TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    expires_on    TEXT,
    last_used_at  TEXT,
    revoked_at    TEXT
);
