-- The Meta connector (issue #16): the one Meta app Steward checks tokens
-- with and reads a Business Manager through. Its app secret and a kept
-- token are sealed under the secret key, which is not in the database
-- (db/secret_key.go); token_id is the kept token's own token record, so
-- Steward's access is inventoried like everyone else's.
CREATE TABLE meta_connector (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    app_id             TEXT NOT NULL,
    app_secret_sealed  TEXT NOT NULL,
    business_id        TEXT NOT NULL,
    account_id         INTEGER REFERENCES accounts(id),
    token_sealed       TEXT NOT NULL DEFAULT '',
    token_id           INTEGER REFERENCES tokens(id),
    connected_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    connected_at       TEXT NOT NULL
);
