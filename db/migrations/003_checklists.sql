-- Checklists: what must happen when a record goes away (a person leaves, a
-- tool is retired, a token is revoked), saved when started so each item keeps
-- its state, who ticked it and when.

-- The team's own items, added to every new checklist of a kind.
CREATE TABLE standing_items (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('owner', 'account', 'role', 'system_user', 'integration', 'token')),
    text        TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE INDEX standing_items_kind ON standing_items(kind, position);

CREATE TABLE checklists (
    id            INTEGER PRIMARY KEY,
    subject_kind  TEXT NOT NULL,
    subject_id    INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed')),
    due_on        TEXT NOT NULL DEFAULT '',
    started_by    TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    completed_by  TEXT NOT NULL DEFAULT '',
    completed_at  TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checklists_subject ON checklists(subject_kind, subject_id, status);
CREATE INDEX checklists_open_due ON checklists(status, due_on);

-- An item names what to do and, where Steward can do it, the record it acts
-- on (action + target). added_later marks access that appeared after the
-- checklist started.
CREATE TABLE checklist_items (
    id            INTEGER PRIMARY KEY,
    checklist_id  INTEGER NOT NULL REFERENCES checklists(id),
    position      INTEGER NOT NULL,
    action        TEXT NOT NULL,
    target_kind   TEXT NOT NULL DEFAULT '',
    target_id     INTEGER,
    title         TEXT NOT NULL,
    steps         TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL DEFAULT '',
    added_later   INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    done_by       TEXT NOT NULL DEFAULT '',
    done_at       TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checklist_items_checklist ON checklist_items(checklist_id, position);
CREATE INDEX checklist_items_target ON checklist_items(target_kind, target_id);
