-- The digest (issue #13 item 5): one row per digest made, holding the
-- count of each home-page finding it reported, so the next digest says
-- what is new or resolved since; the period (an ISO week such as
-- '2026-W49', or a day) makes it one digest per period, also across
-- restarts.
CREATE TABLE digests (
    period   TEXT PRIMARY KEY,
    counts   TEXT NOT NULL,  -- JSON object: finding kind → count
    made_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX digests_made_at ON digests(made_at);
