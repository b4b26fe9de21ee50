-- One-time set-password links an admin issues for a login instead of
-- choosing its password. Only the token's SHA-256 is kept; issuing a new
-- link for a login deletes its earlier one; used_at is '' until the link is
-- used, and a used or expired link no longer works.
CREATE TABLE password_links (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX password_links_user ON password_links(user_id);
