-- Personal calendar feeds (issue #13, item 8). Each login may have one
-- feed address, /calendar/{secret}.ics. The secret itself is not stored:
-- it is an HMAC of seed under the key kept outside the database (see
-- db/calendar.go), so /me can show the address again, while a copy of the
-- file holds neither the secret nor what makes it. secret_hash (SHA-256 of
-- the secret) finds the login of a request; regenerating replaces both.
CREATE TABLE calendar_feeds (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    seed         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);

-- The feed's leaving dates: people leaving within its window, by index.
CREATE INDEX owners_leaving_on ON owners(leaving_on) WHERE leaving_on <> '';
