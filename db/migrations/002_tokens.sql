-- Tokens: the record of a credential, never the secret itself. Only a
-- SHA-256 fingerprint and the last four characters of a pasted value are
-- kept, so a value found in a log can be traced back to its record.

CREATE TABLE tokens (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('system_user_token', 'personal_access_token', 'api_key',
                              'oauth_client', 'service_account_key', 'webhook_secret', 'other')),
    account_id            INTEGER REFERENCES accounts(id),
    system_user_id        INTEGER REFERENCES system_users(id),
    owner_id              INTEGER REFERENCES owners(id),
    integration_id        INTEGER REFERENCES integrations(id),
    responsible_owner_id  INTEGER REFERENCES owners(id),
    created_by_owner_id   INTEGER REFERENCES owners(id),
    scopes                TEXT NOT NULL DEFAULT '',
    assets                TEXT NOT NULL DEFAULT '',
    issued_on             TEXT NOT NULL DEFAULT '',
    expires_on            TEXT NOT NULL DEFAULT '',  -- '' means it never expires
    last_rotated_on       TEXT NOT NULL DEFAULT '',
    last_reviewed_on      TEXT NOT NULL DEFAULT '',
    stored_in             TEXT NOT NULL DEFAULT '',
    fingerprint           TEXT NOT NULL DEFAULT '',  -- hex SHA-256 of the value, '' when none was given
    last_four             TEXT NOT NULL DEFAULT '',
    status                TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    notes                 TEXT NOT NULL DEFAULT '',
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    CHECK (system_user_id IS NULL OR owner_id IS NULL)
);
CREATE INDEX tokens_name ON tokens(name COLLATE NOCASE);
CREATE INDEX tokens_fingerprint ON tokens(fingerprint) WHERE fingerprint <> '';
CREATE INDEX tokens_status_expires ON tokens(status, expires_on);
CREATE INDEX tokens_status_reviewed ON tokens(status, last_reviewed_on);
CREATE INDEX tokens_account ON tokens(account_id, status);
CREATE INDEX tokens_system_user ON tokens(system_user_id, status);
CREATE INDEX tokens_owner ON tokens(owner_id, status);
CREATE INDEX tokens_integration ON tokens(integration_id, status);
CREATE INDEX tokens_responsible ON tokens(responsible_owner_id, status);
CREATE INDEX tokens_created_by ON tokens(created_by_owner_id, status);

-- Indexes the risk findings need on the earlier tables.
CREATE INDEX roles_status_review ON roles(status, review_by);
CREATE INDEX system_users_status_admin ON system_users(status, admin);
CREATE INDEX integrations_status ON integrations(status);
CREATE INDEX roles_status_reviewed ON roles(status, last_reviewed_on);

-- A role's review clock starts when it was recorded.
UPDATE roles SET last_reviewed_on = substr(created_at, 1, 10) WHERE last_reviewed_on = '';
