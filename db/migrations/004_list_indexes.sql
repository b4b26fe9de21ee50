-- Indexes for a large inventory (see docs/benchmarks.md).
--
-- The token list's default order (name) within a status and an expiry, so a
-- filtered list such as "active, never expires" reads its pages straight
-- from the index, page 500 as cheaply as page 1. It serves every query the
-- old (status, expires_on) index served.
DROP INDEX tokens_status_expires;
CREATE INDEX tokens_status_expires_name ON tokens(status, expires_on, name COLLATE NOCASE);
-- The "never expires" finding lists the oldest such tokens first.
CREATE INDEX tokens_status_expires_issued ON tokens(status, expires_on, issued_on);
