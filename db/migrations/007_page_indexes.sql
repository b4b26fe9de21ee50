-- Indexes for pages that are rebuilt after every change (see docs/benchmarks.md).
--
-- The home page's "review overdue" finding counts active roles whose review
-- date has passed but were reviewed lately, from the index alone (it read
-- some 25,000 rows of the table for each home page after a change).
DROP INDEX roles_status_review;
CREATE INDEX roles_status_review ON roles(status, review_by, last_reviewed_on);
-- "Created by someone who left": a departed person's active tokens and when
-- each was last rotated, from the index alone.
DROP INDEX tokens_created_by;
CREATE INDEX tokens_created_by ON tokens(created_by_owner_id, status, last_rotated_on);
