-- Access reviews at scale (issue #14): a review of 100,000 items keeps its
-- page fast. Its items page in ID order from an index on the review alone;
-- its progress per account is counted from the index without reading rows;
-- and the records changed since a review started are found by their
-- updated_at, so the holder-changed check reads only those.
CREATE INDEX review_items_review ON review_items(review_id);
DROP INDEX review_items_account;
CREATE INDEX review_items_account ON review_items(review_id, account_id, decision);
CREATE INDEX roles_updated ON roles(updated_at);
CREATE INDEX tokens_updated ON tokens(updated_at);
CREATE INDEX system_users_updated ON system_users(updated_at);
