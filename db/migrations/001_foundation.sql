-- Steward's foundation: dashboard users and their sessions, the first record
-- kinds (owners, accounts, roles, and the system users and integrations that
-- roles and tokens will point at), and the append-only audit log.
-- Times are RFC 3339 UTC text; calendar dates are YYYY-MM-DD text, '' when unset.

CREATE TABLE owners (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    department  TEXT NOT NULL DEFAULT '',
    manager_id  INTEGER REFERENCES owners(id),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'offboarding', 'departed')),
    leaving_on  TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX owners_email ON owners(email COLLATE NOCASE) WHERE email <> '';
CREATE INDEX owners_name ON owners(name COLLATE NOCASE);
CREATE INDEX owners_status ON owners(status, name COLLATE NOCASE);
CREATE INDEX owners_manager ON owners(manager_id);

CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    platform     TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',
    external_id  TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    parent_id    INTEGER REFERENCES accounts(id),
    owner_id     INTEGER REFERENCES owners(id),
    criticality  TEXT NOT NULL DEFAULT 'medium' CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    notes        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX accounts_name ON accounts(name COLLATE NOCASE);
CREATE INDEX accounts_platform ON accounts(platform, external_id);
CREATE INDEX accounts_owner ON accounts(owner_id);
CREATE INDEX accounts_parent ON accounts(parent_id);

CREATE TABLE integrations (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    runs_on      TEXT NOT NULL DEFAULT '',
    owner_id     INTEGER REFERENCES owners(id),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    notes        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX integrations_name ON integrations(name COLLATE NOCASE);
CREATE INDEX integrations_owner ON integrations(owner_id);

CREATE TABLE system_users (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    external_id     TEXT NOT NULL DEFAULT '',
    admin           INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    owner_id        INTEGER REFERENCES owners(id),
    integration_id  INTEGER REFERENCES integrations(id),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    notes           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX system_users_name ON system_users(name COLLATE NOCASE);
CREATE INDEX system_users_account ON system_users(account_id);
CREATE INDEX system_users_owner ON system_users(owner_id);
CREATE INDEX system_users_integration ON system_users(integration_id);

-- A role is a grant: exactly one holder (a person or a system user) holds a
-- named role on an account. Removing a role keeps the row as 'removed'.
CREATE TABLE roles (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    owner_id        INTEGER REFERENCES owners(id),
    system_user_id  INTEGER REFERENCES system_users(id),
    role            TEXT NOT NULL,
    admin           INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    granted_on      TEXT NOT NULL DEFAULT '',
    granted_by      TEXT NOT NULL DEFAULT '',
    review_by       TEXT NOT NULL DEFAULT '',
    last_reviewed_on TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    notes           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((owner_id IS NULL) <> (system_user_id IS NULL))
);
CREATE INDEX roles_account ON roles(account_id, status);
CREATE INDEX roles_owner ON roles(owner_id, status);
CREATE INDEX roles_system_user ON roles(system_user_id, status);
CREATE INDEX roles_status_admin ON roles(status, admin, account_id);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    owner_id       INTEGER REFERENCES owners(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    last_login_at  TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX users_email ON users(email COLLATE NOCASE);
CREATE INDEX users_owner ON users(owner_id);

-- Server-side sessions: the cookie carries only a signed random ID; the
-- table keeps its SHA-256, so a copy of the database cannot be replayed.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
    data          BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);

-- One-time setup codes for the first admin.
CREATE TABLE setup_codes (
    code_hash   TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The audit log. Each event's hash covers the previous event's hash and the
-- event's canonical content, so any edit, deletion or insertion breaks the
-- chain. Triggers make both tables append-only.
CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      INTEGER,
    actor        TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    record_kind  TEXT NOT NULL DEFAULT '',
    record_id    INTEGER,
    summary      TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_actor ON audit_events(actor, id);
CREATE INDEX audit_events_action ON audit_events(action, id);
CREATE INDEX audit_events_kind ON audit_events(record_kind, id);

-- Every record an event touched, so a role's change shows on its owner's and
-- its account's timelines too. The event's own record is linked as well.
CREATE TABLE audit_links (
    record_kind  TEXT NOT NULL,
    record_id    INTEGER NOT NULL,
    event_id     INTEGER NOT NULL REFERENCES audit_events(id),
    PRIMARY KEY (record_kind, record_id, event_id)
) WITHOUT ROWID;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_links_no_update BEFORE UPDATE ON audit_links
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_links_no_delete BEFORE DELETE ON audit_links
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
