-- The notification rules' settings (issue #13): admins switch each rule off
-- and change its thresholds. A rule with no row here is on, with its
-- defaults (db/notify_rules.go).
CREATE TABLE notification_rules (
    event    TEXT PRIMARY KEY,                              -- the rule's event type
    enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    setting  TEXT NOT NULL DEFAULT ''                       -- its thresholds or cadence; '' for the default
) WITHOUT ROWID;
