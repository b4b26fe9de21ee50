-- Access reviews (issue #14): a review asks, for each role, token or system
-- user in its scope, whether it should stay. Starting a review takes a
-- snapshot (one item per record, with who held it then); each item goes to
-- a reviewer (an owner, or the admins); owners answer through a personal
-- link. Closing carries out every "remove" and marks every "keep" reviewed.

CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('all', 'platform', 'accounts')),
    platform     TEXT NOT NULL DEFAULT '',      -- scope 'platform'
    account_ids  TEXT NOT NULL DEFAULT '[]',    -- scope 'accounts': a JSON array of account IDs
    include      TEXT NOT NULL DEFAULT '[]',    -- a JSON array of 'roles', 'tokens', 'system_users'
    due_on       TEXT NOT NULL,                 -- YYYY-MM-DD
    repeat       TEXT NOT NULL DEFAULT 'none' CHECK (repeat IN ('none', 'quarterly', 'half-yearly', 'yearly')),
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    previous_id  INTEGER REFERENCES reviews(id), -- the review this one repeats
    undecided    TEXT NOT NULL DEFAULT '' CHECK (undecided IN ('', 'keep', 'remove')), -- what the close did with undecided items
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    closed_by    TEXT NOT NULL DEFAULT '',
    closed_at    TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE INDEX reviews_status_due ON reviews(status, due_on);

-- One item per record in scope, as it was when the review started.
CREATE TABLE review_items (
    id                 INTEGER PRIMARY KEY,
    review_id          INTEGER NOT NULL REFERENCES reviews(id),
    record_kind        TEXT NOT NULL CHECK (record_kind IN ('role', 'token', 'system_user')),
    record_id          INTEGER NOT NULL,
    account_id         INTEGER REFERENCES accounts(id),
    -- The snapshot: who held it, what it is, since when, its last use or review.
    holder             TEXT NOT NULL DEFAULT '',
    holder_owner_id    INTEGER REFERENCES owners(id),
    detail             TEXT NOT NULL DEFAULT '',   -- the role's name, the token's kind …
    since              TEXT NOT NULL DEFAULT '',
    last_seen          TEXT NOT NULL DEFAULT '',   -- last use or last review, when known
    -- Who answers: an owner, or the admins (NULL); why, when not the usual reviewer.
    reviewer_owner_id  INTEGER REFERENCES owners(id),
    routed_because     TEXT NOT NULL DEFAULT '',
    -- The latest answer (every answer is also in the audit log).
    decision           TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'keep', 'remove')),
    note               TEXT NOT NULL DEFAULT '',
    decided_by         TEXT NOT NULL DEFAULT '',
    decided_at         TEXT NOT NULL DEFAULT '',
    -- What the close did: 'removed', 'kept', 'already gone' …
    outcome            TEXT NOT NULL DEFAULT '',
    UNIQUE (review_id, record_kind, record_id)
);
CREATE INDEX review_items_reviewer ON review_items(review_id, reviewer_owner_id, decision);
CREATE INDEX review_items_decision ON review_items(review_id, decision);
CREATE INDEX review_items_account ON review_items(review_id, account_id);
CREATE INDEX review_items_record ON review_items(record_kind, record_id);

-- A reviewer's personal link: only its secret's SHA-256 is kept, with a
-- random seed from which the secret is derived under the audit key (as the
-- calendar feed does), so the review page can show the link again while the
-- file alone holds no secret.
CREATE TABLE review_links (
    id                 INTEGER PRIMARY KEY,
    review_id          INTEGER NOT NULL REFERENCES reviews(id),
    reviewer_owner_id  INTEGER NOT NULL REFERENCES owners(id),
    seed               TEXT NOT NULL,
    secret_hash        TEXT NOT NULL UNIQUE,
    created_at         TEXT NOT NULL,
    revoked_at         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX review_links_reviewer ON review_links(review_id, reviewer_owner_id);
