-- Discovering a Meta Business Manager (issue #16, items 3 and 4).
-- last_seen_on_meta is when a sync last found the record on Meta ('' never).
ALTER TABLE owners ADD COLUMN last_seen_on_meta TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN last_seen_on_meta TEXT NOT NULL DEFAULT '';
ALTER TABLE system_users ADD COLUMN last_seen_on_meta TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN last_seen_on_meta TEXT NOT NULL DEFAULT '';

-- What each sync read from Meta (db.MetaSnapshot as JSON: names, IDs, roles
-- and tasks; never a token), kept between its preview and its apply and as
-- the source of the drift findings. status: pending (previewed), applied,
-- failed (Meta could not be read: snapshot '' and problem says why, in
-- words that never hold a token). The counts are the plan's when the sync
-- was kept, then what applying it changed, so the connector page's history
-- lists them without reading each snapshot again. scheduled: read by
-- Steward's daily job rather than by read_by.
CREATE TABLE meta_syncs (
    id           INTEGER PRIMARY KEY,
    business_id  TEXT NOT NULL,
    read_at      TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'failed')),
    read_by      TEXT NOT NULL DEFAULT '',
    scheduled    INTEGER NOT NULL DEFAULT 0,
    applied_at   TEXT NOT NULL DEFAULT '',
    to_create    INTEGER NOT NULL DEFAULT 0,
    to_update    INTEGER NOT NULL DEFAULT 0,
    gone         INTEGER NOT NULL DEFAULT 0,
    problem      TEXT NOT NULL DEFAULT ''
);

-- Drift the latest sync found: what Meta holds that Steward does not record
-- (unrecorded-on-platform, record_id NULL) and active records Meta no longer
-- lists (gone-from-platform). key names the item across syncs, so a
-- dismissed item stays dismissed when the next sync finds it again.
CREATE TABLE meta_drift (
    id            INTEGER PRIMARY KEY,
    finding       TEXT NOT NULL CHECK (finding IN ('unrecorded-on-platform', 'gone-from-platform')),
    key           TEXT NOT NULL,
    sync_id       INTEGER NOT NULL REFERENCES meta_syncs(id),
    record_kind   TEXT NOT NULL,
    record_id     INTEGER,
    name          TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    dismissed_at  TEXT NOT NULL DEFAULT '',
    dismissed_by  TEXT NOT NULL DEFAULT '',
    UNIQUE (finding, key)
);
CREATE INDEX meta_drift_open ON meta_drift(finding, dismissed_at, id);
