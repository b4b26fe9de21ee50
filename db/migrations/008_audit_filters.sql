-- The audit log filtered at scale (see docs/benchmarks.md).
--
-- Two filters together (a person's events on tokens, a person's sign-ins,
-- an action within a kind) read their newest page straight from an index,
-- as each filter alone already does; a date range on top is a range of IDs
-- within the same index (see auditIDs). All three filters read the person's
-- and action's index, whose record_kind is checked without reading the row.
CREATE INDEX audit_events_actor_kind ON audit_events(actor, record_kind, id);
CREATE INDEX audit_events_actor_action ON audit_events(actor, action, id, record_kind);
CREATE INDEX audit_events_kind_action ON audit_events(record_kind, action, id);

-- Events stamped earlier than the event before them: the clock was set
-- back. While there are none, times only grow with IDs, so the events of a
-- date range are the IDs between its first and last event, found with two
-- seeks of audit_events_at. Kept by a trigger, so every way of appending
-- events (the store, bulk loads) keeps it true.
CREATE TABLE audit_time_steps (
    event_id  INTEGER PRIMARY KEY
);
INSERT INTO audit_time_steps (event_id)
    SELECT id FROM (SELECT id, at, LAG(at) OVER (ORDER BY id) AS prev FROM audit_events) WHERE at < prev;
CREATE TRIGGER audit_events_time_steps AFTER INSERT ON audit_events
WHEN NEW.at < (SELECT at FROM audit_events WHERE id < NEW.id ORDER BY id DESC LIMIT 1)
  OR NEW.at > (SELECT at FROM audit_events WHERE id > NEW.id ORDER BY id LIMIT 1)
BEGIN INSERT OR IGNORE INTO audit_time_steps (event_id) VALUES (NEW.id); END;
