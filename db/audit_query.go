package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// AuditFilter narrows the audit log. Empty fields match everything; From and
// To are dates (YYYY-MM-DD), both inclusive.
type AuditFilter struct {
	Actor      string
	RecordKind string
	Action     string
	From       string
	To         string
	// ForAdmin includes the events only admins may read (adminOnlyActions).
	ForAdmin bool
}

// adminOnlyActions are the events only admins see: a failed sign-in tells
// who was tried, from where and when, which is for whoever guards logins.
const adminOnlyActions = `('user.sign_in_failed')`

// AuditKinds are the kinds of thing audit events are about: the record
// kinds, checklists, logins and standing checklist items.
var AuditKinds = append(kindNames(), "checklist", "user", "standing_item")

// Validate checks the filter's dates.
func (f AuditFilter) Validate() error {
	v := newValidator()
	v.date("from", f.From, false)
	v.date("to", f.To, false)
	if f.From != "" && f.To != "" && f.To < f.From {
		v.fail("to", "The end date is before the start date.")
	}
	return v.err()
}

// end is the day after To, where the range ends (exclusive); "" for none.
func (f AuditFilter) end() string {
	t, err := time.Parse("2006-01-02", f.To)
	if f.To == "" || err != nil {
		return ""
	}
	return t.AddDate(0, 0, 1).Format("2006-01-02")
}

// idRange bounds a query by event ID, both ends inclusive.
type idRange struct {
	first, last int64
	// dated says the bounds select the filter's dates on their own.
	dated bool
}

// allIDs is every event.
var allIDs = idRange{first: 0, last: math.MaxInt64}

// below narrows r to the events older than before (0 for no bound).
func (r idRange) below(before int64) idRange {
	if before > 0 && before-1 < r.last {
		r.last = before - 1
	}
	return r
}

// index names the index a page of f is read from, newest first: each
// filter and pair of filters has one ending in id (migrations 001 and
// 008), whose range ids narrow. All three filters take actor and action's,
// which holds the kind to check without reading the row. Named, because
// SQLite's planner, without statistics, prefers one filter's index with a
// range of IDs to the pair's.
func (f AuditFilter) index() string {
	var by []string
	if f.Actor != "" {
		by = append(by, "actor")
	}
	if f.RecordKind != "" && (f.Actor == "" || f.Action == "") {
		by = append(by, "kind")
	}
	if f.Action != "" {
		by = append(by, "action")
	}
	if len(by) == 0 {
		return ""
	}
	return " INDEXED BY audit_events_" + strings.Join(by, "_")
}

// from is the FROM and WHERE clauses selecting the events matching f
// within ids.
func (f AuditFilter) from(ids idRange) (string, []any) {
	where, args := f.where(ids)
	return " FROM audit_events" + f.index() + where, args
}

// where builds the filter's WHERE clause over the events in ids.
func (f AuditFilter) where(ids idRange) (string, []any) {
	var conds []string
	var args []any
	if !f.ForAdmin {
		conds = append(conds, "action NOT IN "+adminOnlyActions)
	}
	if f.Actor != "" {
		conds = append(conds, "actor = ?")
		args = append(args, strings.TrimSpace(f.Actor))
	}
	if f.RecordKind != "" {
		conds = append(conds, "record_kind = ?")
		args = append(args, f.RecordKind)
	}
	if f.Action != "" {
		conds = append(conds, "action = ?")
		args = append(args, strings.TrimSpace(f.Action))
	}
	if f.From != "" && !ids.dated {
		conds = append(conds, "at >= ?")
		args = append(args, f.From)
	}
	if end := f.end(); end != "" && !ids.dated {
		conds = append(conds, "at < ?")
		args = append(args, end)
	}
	if ids.first > allIDs.first {
		conds = append(conds, "id >= ?")
		args = append(args, ids.first)
	}
	if ids.last < allIDs.last {
		conds = append(conds, "id <= ?")
		args = append(args, ids.last)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// auditIDs turns f's dates into the IDs of the first and last event within
// them, each one seek of audit_events_at. That holds while times grow with
// IDs; once the clock was set back (an event in audit_time_steps, see
// migration 008) the query compares the times themselves instead.
func (s *Store) auditIDs(ctx context.Context, f AuditFilter) (idRange, error) {
	end := f.end()
	if f.From == "" && end == "" {
		return allIDs, nil
	}
	var steps bool
	if err := s.read.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM audit_time_steps)").Scan(&steps); err != nil {
		return allIDs, fmt.Errorf("db: audit dates: %w", err)
	}
	if steps {
		return allIDs, nil
	}
	ids := allIDs
	ids.dated = true
	for _, seek := range []struct {
		bound, query string
		id           *int64
	}{
		{f.From, "SELECT id FROM audit_events WHERE at >= ? ORDER BY at, id LIMIT 1", &ids.first},
		{end, "SELECT id FROM audit_events WHERE at < ? ORDER BY at DESC, id DESC LIMIT 1", &ids.last},
	} {
		if seek.bound == "" {
			continue
		}
		err := s.read.QueryRowContext(ctx, seek.query, seek.bound).Scan(seek.id)
		if errors.Is(err, sql.ErrNoRows) {
			return idRange{first: 1, last: 0, dated: true}, nil // no event within the dates
		}
		if err != nil {
			return allIDs, fmt.Errorf("db: audit dates: %w", err)
		}
	}
	return ids, nil
}

const auditColumns = `id, at, COALESCE(user_id, 0), actor, ip, action, record_kind, COALESCE(record_id, 0), summary, changes, prev_hash, hash`

// QueryAudit lists the events matching f, newest first, older than before
// (0 for the newest): keyset paging stays fast at any depth, and with any
// filter the page is read from an index, dates as a range of IDs.
func (s *Store) QueryAudit(ctx context.Context, f AuditFilter, before int64, limit int) (TimelinePage, error) {
	ids, err := s.auditIDs(ctx, f)
	if err != nil {
		return TimelinePage{}, err
	}
	query, args := auditPageQuery(f, ids.below(before), limit)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return TimelinePage{}, fmt.Errorf("db: query audit: %w", err)
	}
	return pageOfEvents(rows, limit)
}

// auditPageQuery selects a page of the events matching f within ids,
// newest first, with one more event to tell whether an older page follows.
func auditPageQuery(f AuditFilter, ids idRange, limit int) (string, []any) {
	from, args := f.from(ids)
	return "SELECT " + auditColumns + from + " ORDER BY id DESC LIMIT ?", append(args, limit+1)
}

// EachAuditEvent calls fn for every event matching f, newest first,
// streaming so an export of a million events holds one at a time.
func (s *Store) EachAuditEvent(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	ids, err := s.auditIDs(ctx, f)
	if err != nil {
		return err
	}
	from, args := f.from(ids)
	rows, err := s.read.QueryContext(ctx, "SELECT "+auditColumns+from+" ORDER BY id DESC", args...)
	if err != nil {
		return fmt.Errorf("db: export audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditActors lists the people and processes that appear as actors, for the
// filter's suggestions: the logins plus Steward's own actors.
func (s *Store) AuditActors(ctx context.Context) ([]string, error) {
	users, err := s.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{"demo", "environment", "command line"}
	for _, u := range users {
		out = append(out, u.Email)
	}
	return out, nil
}

// auditActionsQuery lists the distinct actions in the log, sorted: a loose
// index scan, one seek of audit_events_action for each action (there are a
// few dozen), instead of reading a million events to find them. The
// parameter is 1 to include adminOnlyActions.
const auditActionsQuery = `WITH RECURSIVE actions(action) AS (
		SELECT MIN(action) FROM audit_events
		UNION ALL
		SELECT (SELECT MIN(action) FROM audit_events WHERE action > actions.action) FROM actions WHERE action IS NOT NULL)
	SELECT action FROM actions WHERE action IS NOT NULL AND (? OR action NOT IN ` + adminOnlyActions + `)`

// AuditActions lists the actions the log holds, sorted, for the audit
// log's action filter; forAdmin includes the events only admins see.
func (s *Store) AuditActions(ctx context.Context, forAdmin bool) ([]string, error) {
	return all(ctx, s.read, func(row scanner) (string, error) {
		var action string
		return action, row.Scan(&action)
	}, "audit actions", auditActionsQuery, forAdmin)
}

// AuditEventCount is how many events the log holds. Events are numbered
// 1, 2, 3… by appendEvent (each follows the one before it in the chain)
// and can never be deleted, so the newest ID is the count: read from the
// primary key's end instead of counting a million rows.
func (s *Store) AuditEventCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM audit_events").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("db: count audit events: %w", err)
	}
	return n, nil
}

// timeStepsTrigger is migration 008's trigger that keeps audit_time_steps,
// as SQLite stores it; keepAuditTimeSteps makes it again from this text.
const timeStepsTrigger = `CREATE TRIGGER audit_events_time_steps AFTER INSERT ON audit_events
WHEN NEW.at < (SELECT at FROM audit_events WHERE id < NEW.id ORDER BY id DESC LIMIT 1)
  OR NEW.at > (SELECT at FROM audit_events WHERE id > NEW.id ORDER BY id LIMIT 1)
BEGIN INSERT OR IGNORE INTO audit_time_steps (event_id) VALUES (NEW.id); END`

// keepAuditTimeSteps checks at Open that the trigger keeping
// audit_time_steps is there as migration 008 made it. Without it a clock set
// back would go unnoticed and auditIDs would page dates by IDs that no
// longer follow the times, so a missing or altered trigger is made again
// and the table rebuilt from the events (one scan, only then).
func (s *Store) keepAuditTimeSteps(ctx context.Context) error {
	stored, err := s.QueryString(ctx, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_events_time_steps'")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("db: read the audit time steps trigger: %w", err)
	}
	if strings.Join(strings.Fields(stored), " ") == strings.Join(strings.Fields(timeStepsTrigger), " ") {
		return nil
	}
	s.log.Warn("audit log: the trigger that notices a clock set back was missing or altered; made it again and rebuilt audit_time_steps. " +
		"Someone changed the database file outside Steward")
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			"DROP TRIGGER IF EXISTS audit_events_time_steps",
			timeStepsTrigger,
			"DELETE FROM audit_time_steps",
			`INSERT INTO audit_time_steps (event_id) SELECT id FROM
				(SELECT id, at, LAG(at) OVER (ORDER BY id) AS prev FROM audit_events) WHERE at < prev`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("db: restore the audit time steps trigger: %w", err)
	}
	return nil
}

// auditAfterQuery reads the events after an ID, oldest first.
const auditAfterQuery = "SELECT " + auditColumns + " FROM audit_events WHERE id > ? ORDER BY id LIMIT ?"

// AuditEventsAfter returns up to limit events with an ID above afterID,
// oldest first, for log shippers that read the log in order and check its
// chain: one read by the primary key, however long the log.
func (s *Store) AuditEventsAfter(ctx context.Context, afterID int64, limit int) ([]AuditEvent, error) {
	rows, err := s.read.QueryContext(ctx, auditAfterQuery, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("db: audit events after %d: %w", afterID, err)
	}
	return scanEvents(rows)
}
