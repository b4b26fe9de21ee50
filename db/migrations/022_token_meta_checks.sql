-- What Meta's debug_token said of a token's value when it was registered
-- (issue #16), never the value itself; the newest row per token is what its
-- page shows. failure is why Meta could not be asked, in words ('' when it
-- answered). Times are RFC 3339 UTC, '' when Meta gave none.
CREATE TABLE token_meta_checks (
    id                      INTEGER PRIMARY KEY,
    token_id                INTEGER NOT NULL REFERENCES tokens(id),
    checked_at              TEXT NOT NULL,
    failure                 TEXT NOT NULL DEFAULT '',
    valid                   INTEGER NOT NULL DEFAULT 0 CHECK (valid IN (0, 1)),
    never_expires           INTEGER NOT NULL DEFAULT 0 CHECK (never_expires IN (0, 1)),
    expires_at              TEXT NOT NULL DEFAULT '',
    data_access_expires_at  TEXT NOT NULL DEFAULT '',
    issued_at               TEXT NOT NULL DEFAULT '',
    type                    TEXT NOT NULL DEFAULT '',
    app_id                  TEXT NOT NULL DEFAULT '',
    application             TEXT NOT NULL DEFAULT '',
    meta_user_id            TEXT NOT NULL DEFAULT '',
    system_user_id          INTEGER REFERENCES system_users(id),  -- the system user whose external ID is meta_user_id
    scopes                  TEXT NOT NULL DEFAULT '[]',           -- JSON array of scope names
    assets                  TEXT NOT NULL DEFAULT '[]',           -- JSON [{"id", "scopes", "account_id" (0: not in Steward)}]
    error                   TEXT NOT NULL DEFAULT ''              -- Meta's message for an invalid token
);
CREATE INDEX token_meta_checks_token ON token_meta_checks(token_id, id);
