-- The values a token had before it was rotated, by fingerprint only (never
-- the value): "Whose token is this?" still finds the token for a value
-- found in an old log, and a rotation cannot bring an old value back.
CREATE TABLE token_former_values (
    id           INTEGER PRIMARY KEY,
    token_id     INTEGER NOT NULL REFERENCES tokens(id),
    fingerprint  TEXT NOT NULL CHECK (fingerprint <> ''),  -- hex SHA-256 of the old value
    last_four    TEXT NOT NULL DEFAULT '',
    replaced_on  TEXT NOT NULL                             -- YYYY-MM-DD
);
CREATE INDEX token_former_values_fingerprint ON token_former_values(fingerprint);
CREATE INDEX token_former_values_token ON token_former_values(token_id);
