package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// where builds the filter's WHERE clause; every condition but the one
// leaving out admin-only events has an index.
func (f AuditFilter) where() (string, []any) {
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
	if f.From != "" {
		conds = append(conds, "at >= ?")
		args = append(args, f.From)
	}
	if f.To != "" {
		if t, err := time.Parse("2006-01-02", f.To); err == nil {
			conds = append(conds, "at < ?")
			args = append(args, t.AddDate(0, 0, 1).Format("2006-01-02"))
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const auditColumns = `id, at, COALESCE(user_id, 0), actor, ip, action, record_kind, COALESCE(record_id, 0), summary, changes, prev_hash, hash`

// QueryAudit lists the events matching f, newest first, older than before
// (0 for the newest): keyset paging stays fast at any depth.
func (s *Store) QueryAudit(ctx context.Context, f AuditFilter, before int64, limit int) (TimelinePage, error) {
	where, args := f.where()
	if f.From != "" || f.To != "" {
		return s.queryAuditByDate(ctx, where, args, before, limit)
	}
	if before > 0 {
		if where == "" {
			where = " WHERE id < ?"
		} else {
			where += " AND id < ?"
		}
		args = append(args, before)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_events"+where+" ORDER BY id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return TimelinePage{}, fmt.Errorf("db: query audit: %w", err)
	}
	return pageOfEvents(rows, limit)
}

// queryAuditByDate is QueryAudit for a date range. It walks the index on
// time, newest first, rather than every event by ID (a range months back
// skipped hundreds of thousands of newer events, or sorted the range's
// tens of thousands): events come in order of time, then ID, which is the
// log's order unless the clock was set back, and a page goes on from the
// time and ID of the event before it.
func (s *Store) queryAuditByDate(ctx context.Context, where string, args []any, before int64, limit int) (TimelinePage, error) {
	if before > 0 {
		var at string
		err := s.read.QueryRowContext(ctx, "SELECT at FROM audit_events WHERE id = ?", before).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return TimelinePage{}, nil
		}
		if err != nil {
			return TimelinePage{}, fmt.Errorf("db: query audit: %w", err)
		}
		// at <= ? bounds the index walk; the row value keeps ties in order.
		where += " AND at <= ? AND (at, id) < (?, ?)"
		args = append(args, at, at, before)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_events INDEXED BY audit_events_at"+where+
		" ORDER BY at DESC, id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return TimelinePage{}, fmt.Errorf("db: query audit: %w", err)
	}
	return pageOfEvents(rows, limit)
}

// EachAuditEvent calls fn for every event matching f, newest first,
// streaming so an export of a million events holds one at a time.
func (s *Store) EachAuditEvent(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	where, args := f.where()
	rows, err := s.read.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_events"+where+" ORDER BY id DESC", args...)
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
