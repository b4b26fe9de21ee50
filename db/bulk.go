package db

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// Bulk is a dataset for BulkLoad. Each record carries its own ID and the IDs
// of the records it points at (0 for none); only the stored fields are
// written, not the names and counts a read fills in. CreatedAt and UpdatedAt
// are as FormatTime writes them. A nil sequence writes nothing. BulkLoad may
// range over a sequence again when SQLite makes it retry its transaction.
type Bulk struct {
	Owners       iter.Seq[Owner]
	Accounts     iter.Seq[Account]
	Integrations iter.Seq[Integration]
	SystemUsers  iter.Seq[SystemUser]
	Roles        iter.Seq[Role]
	Tokens       iter.Seq[Token]
	// Events are appended to the audit chain in order, each linked to its
	// Subject and Related records as the store links the events it writes.
	// An event is used up before the next one is asked for, so the
	// sequence may reuse its slices.
	Events iter.Seq[BulkEvent]
}

// BulkEvent is an audit event for BulkLoad: when it happened, who did it
// and what.
type BulkEvent struct {
	At    time.Time
	Actor Actor
	Event
}

// BulkStats counts what BulkLoad wrote, and names the audit chain's head.
type BulkStats struct {
	Owners, Accounts, Integrations, SystemUsers, Roles, Tokens int
	Events, Links                                              int
	HeadID                                                     int64
	HeadHash                                                   string
}

// FormatTime is a moment as the database stores it (created_at, updated_at,
// an audit event's at): UTC, to the millisecond.
func FormatTime(t time.Time) string { return formatTime(t) }

// CreatedChanges is the change list of a record's creation event, as the
// store writes it: from pairs of field name and value, the fields that have
// a value.
func CreatedChanges(pairs ...string) []Change { return diff(nil, fields(pairs...)) }

// FingerprintLabel shows a token's fingerprint as the audit log does: enough
// to compare, never the value.
func FingerprintLabel(fingerprint, lastFour string) string {
	return fingerprintLabel(fingerprint, lastFour)
}

// BulkLoad fills an empty database with b in one transaction, in seconds
// where the per-record Create methods would take hours: rows go in batches
// of many per statement, made on a second goroutine while SQLite writes the
// previous batch; secondary indexes are built once at the end; and the
// events are hash-chained with the audit key and the seal moved on to the
// last of them, exactly as the store's own writer does, so the chain
// verifies. Foreign keys are not checked while it writes: b's references
// must hold. It refuses a database that already holds records.
func (s *Store) BulkLoad(ctx context.Context, b Bulk) (BulkStats, error) {
	var stats BulkStats
	if _, err := s.write.ExecContext(ctx, "PRAGMA cache_size = -1048576; PRAGMA foreign_keys = OFF"); err != nil {
		return stats, err
	}
	defer s.write.ExecContext(ctx, "PRAGMA cache_size = -16000; PRAGMA foreign_keys = ON")
	// Filled in one transaction, a fresh file needs no write-ahead log: its
	// pages are written once, straight into the file, instead of into the
	// log and then copied. This fails harmlessly (and the log is used) when
	// another connection has the file open.
	var mode string
	if err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err == nil && mode == "delete" {
		defer s.write.ExecContext(ctx, "PRAGMA journal_mode = WAL")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var records int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM owners) + (SELECT COUNT(*) FROM accounts)
			+ (SELECT COUNT(*) FROM integrations) + (SELECT COUNT(*) FROM tokens)`).Scan(&records); err != nil {
			return fmt.Errorf("db: bulk load: count records: %w", err)
		}
		if records > 0 {
			return errors.New("db: bulk load: the database already holds records; load into an empty one")
		}
		prevID, prevHash := int64(0), genesisHash
		err := tx.QueryRowContext(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&prevID, &prevHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: bulk load: read audit chain head: %w", err)
		}
		// The audit log's indexes on time, action and record kind grow at
		// a few ends as events are appended in order: they stay. So does
		// the owners' name index, which each new owner's display name
		// looks up for namesakes (migration 011).
		err = withoutIndexes(ctx, tx, []string{"owners", "roles", "tokens", "audit_events"},
			[]string{"audit_events_at", "audit_events_action", "audit_events_kind", "owners_name"}, func() error {
				var err error
				stats, err = s.bulkWrite(ctx, tx, b, prevID, prevHash)
				return err
			})
		if err != nil {
			return err
		}
		return s.moveSealHead(ctx, tx, prevID, prevHash, stats.HeadID, stats.HeadHash)
	})
	return stats, err
}

// withoutIndexes drops the secondary indexes of tables inside tx, except
// those named in keep, runs fn, and creates them again from their stored
// definitions: building an index once over a million rows is far faster than
// inserting into the middle of it row by row.
func withoutIndexes(ctx context.Context, tx *sql.Tx, tables, keep []string, fn func() error) error {
	var defs [][2]string
	for _, table := range tables {
		rows, err := tx.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", table)
		if err != nil {
			return fmt.Errorf("db: bulk load: list indexes: %w", err)
		}
		for rows.Next() {
			var d [2]string
			if err := rows.Scan(&d[0], &d[1]); err != nil {
				rows.Close()
				return fmt.Errorf("db: bulk load: list indexes: %w", err)
			}
			if !slices.Contains(keep, d[0]) {
				defs = append(defs, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: bulk load: list indexes: %w", err)
		}
	}
	for _, d := range defs {
		// The name comes from sqlite_master, not from input; quote it anyway.
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(d[0], `"`, `""`)+`"`); err != nil {
			return fmt.Errorf("db: bulk load: drop index %s: %w", d[0], err)
		}
	}
	if err := fn(); err != nil {
		return err
	}
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, d[1]); err != nil {
			return fmt.Errorf("db: bulk load: create index %s: %w", d[0], err)
		}
	}
	return nil
}

// bulkWrite inserts b's records, then its events after the chain's head.
func (s *Store) bulkWrite(ctx context.Context, tx *sql.Tx, b Bulk, headID int64, headHash string) (BulkStats, error) {
	var st BulkStats
	var err error
	if st.Owners, err = bulkInsert(ctx, tx, "owner", `INSERT INTO owners (id, name, email, title, department, manager_id,
		status, leaving_on, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Owners,
		func(o Owner, args []any) ([]any, error) {
			return append(args, o.ID, o.Name, o.Email, o.Title, o.Department, nullID(o.ManagerID), o.Status, o.LeavingOn,
				o.Notes, o.CreatedAt, o.UpdatedAt), nil
		}); err != nil {
		return st, err
	}
	if st.Accounts, err = bulkInsert(ctx, tx, "account", `INSERT INTO accounts (id, name, platform, kind, external_id, url,
		parent_id, owner_id, criticality, status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.Accounts, func(a Account, args []any) ([]any, error) {
			return append(args, a.ID, a.Name, a.Platform, a.Kind, a.ExternalID, a.URL, nullID(a.ParentID), nullID(a.OwnerID),
				a.Criticality, a.Status, a.Notes, a.CreatedAt, a.UpdatedAt), nil
		}); err != nil {
		return st, err
	}
	if st.Integrations, err = bulkInsert(ctx, tx, "integration", `INSERT INTO integrations (id, name, description, runs_on,
		owner_id, status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Integrations,
		func(in Integration, args []any) ([]any, error) {
			return append(args, in.ID, in.Name, in.Description, in.RunsOn, nullID(in.ResponsibleOwnerID), in.Status, in.Notes,
				in.CreatedAt, in.UpdatedAt), nil
		}); err != nil {
		return st, err
	}
	if st.SystemUsers, err = bulkInsert(ctx, tx, "system user", `INSERT INTO system_users (id, name, account_id, external_id,
		admin, owner_id, integration_id, status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.SystemUsers, func(su SystemUser, args []any) ([]any, error) {
			return append(args, su.ID, su.Name, nullID(su.AccountID), su.ExternalID, su.Admin, nullID(su.ResponsibleOwnerID),
				nullID(su.IntegrationID), su.Status, su.Notes, su.CreatedAt, su.UpdatedAt), nil
		}); err != nil {
		return st, err
	}
	if st.Roles, err = bulkInsert(ctx, tx, "role", `INSERT INTO roles (id, account_id, owner_id, system_user_id, role, admin,
		granted_on, granted_by, review_by, last_reviewed_on, status, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Roles, func(r Role, args []any) ([]any, error) {
		return append(args, r.ID, nullID(r.AccountID), nullID(r.OwnerID), nullID(r.SystemUserID), r.Role, r.Admin, r.GrantedOn,
			r.GrantedBy, r.ReviewBy, r.LastReviewedOn, r.Status, r.Notes, r.CreatedAt, r.UpdatedAt), nil
	}); err != nil {
		return st, err
	}
	if st.Tokens, err = bulkInsert(ctx, tx, "token", `INSERT INTO tokens (id, name, kind, account_id, system_user_id, owner_id,
		integration_id, responsible_owner_id, created_by_owner_id, scopes, assets, issued_on, expires_on, last_rotated_on,
		last_reviewed_on, stored_in, fingerprint, last_four, status, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Tokens, func(t Token, args []any) ([]any, error) {
		return append(args, t.ID, t.Name, t.Kind, nullID(t.AccountID), nullID(t.SystemUserID), nullID(t.OwnerID),
			nullID(t.IntegrationID), nullID(t.ResponsibleOwnerID), nullID(t.CreatedByOwnerID), t.Scopes, t.Assets, t.IssuedOn,
			t.ExpiresOn, t.LastRotatedOn, t.LastReviewedOn, t.StoredIn, t.Fingerprint, t.LastFour, t.Status, t.Notes,
			t.CreatedAt, t.UpdatedAt), nil
	}); err != nil {
		return st, err
	}
	err = s.bulkEvents(ctx, tx, b.Events, &st, headID, headHash)
	return st, err
}

// bulkLink is one row of audit_links. Its key holds the index of the kind's
// name among the sorted names in the top byte and the record's ID below, so
// that sorting by key and event sorts links in the table's primary key order.
type bulkLink struct{ key, event int64 }

// bulkLinkKindShift places the kind's index in a bulkLink's key.
const bulkLinkKindShift = 56

// bulkEvents appends events to the chain after headID, then their links in
// primary key order (appending to the index is far faster than inserting
// into the middle of it), and counts them in st.
func (s *Store) bulkEvents(ctx context.Context, tx *sql.Tx, events iter.Seq[BulkEvent], st *BulkStats, headID int64, headHash string) error {
	st.HeadID, st.HeadHash = headID, headHash
	var (
		h     = newChainHasher(s.auditKey)
		kinds = slices.Sorted(slices.Values(kindNames()))
		links []bulkLink
	)
	link := func(event int64, r Ref) error {
		if r.Kind == "" || r.ID == 0 {
			return nil
		}
		k := slices.Index(kinds, r.Kind)
		if k < 0 || r.ID < 0 || r.ID >= 1<<bulkLinkKindShift {
			return fmt.Errorf("event %d links to %s %d, which cannot exist", event, r.Kind, r.ID)
		}
		links = append(links, bulkLink{key: int64(k)<<bulkLinkKindShift | r.ID, event: event})
		return nil
	}
	var err error
	st.Events, err = bulkInsert(ctx, tx, "audit event", `INSERT INTO audit_events
		(id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, events, func(e BulkEvent, args []any) ([]any, error) {
		changes := "[]"
		if len(e.Changes) > 0 {
			b, err := json.Marshal(e.Changes)
			if err != nil {
				return nil, err
			}
			changes = string(b)
		}
		id, at := st.HeadID+1, formatTime(e.At)
		hash := string(h.hexDigest(true, st.HeadHash, id, at, e.Actor.UserID, e.Actor.Email, e.Actor.IP, e.Action,
			e.Subject.Kind, e.Subject.ID, e.Summary, changes))
		args = append(args, id, at, nullID(e.Actor.UserID), e.Actor.Email, e.Actor.IP, e.Action, e.Subject.Kind,
			nullID(e.Subject.ID), e.Summary, changes, st.HeadHash, hash)
		if err := link(id, e.Subject); err != nil {
			return nil, err
		}
		for _, r := range e.Related {
			if err := link(id, r); err != nil {
				return nil, err
			}
		}
		st.HeadID, st.HeadHash = id, hash
		return args, nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(links, func(a, b bulkLink) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.event, b.event)
	})
	links = slices.Compact(links)
	st.Links, err = bulkInsert(ctx, tx, "audit link", "INSERT INTO audit_links (record_kind, record_id, event_id) VALUES (?, ?, ?)",
		slices.Values(links), func(l bulkLink, args []any) ([]any, error) {
			return append(args, kinds[l.key>>bulkLinkKindShift], l.key&(1<<bulkLinkKindShift-1), l.event), nil
		})
	return err
}

// bulkInsert inserts the rows of seq with query, an INSERT whose VALUES
// clause holds one row of placeholders; row appends one row's values to
// args. Rows go in batches of many per statement, and are made on a second
// goroutine while SQLite writes the previous batch, so both cores work. row
// is called in order, on that goroutine alone. It returns how many rows it
// wrote.
func bulkInsert[T any](ctx context.Context, tx *sql.Tx, what, query string, seq iter.Seq[T], row func(T, []any) ([]any, error)) (int, error) {
	if seq == nil {
		return 0, nil
	}
	tuple := query[strings.LastIndex(query, "VALUES")+len("VALUES"):]
	cols := strings.Count(tuple, "?")
	per := max(1, 1000/cols)
	full, err := tx.PrepareContext(ctx, query+strings.Repeat(","+tuple, per-1))
	if err != nil {
		return 0, fmt.Errorf("db: bulk load %s: %w", what, err)
	}
	defer full.Close()

	batches, free := make(chan []any, 4), make(chan []any, 6)
	done := make(chan struct{})
	// The producer's count and error, read once it has closed batches.
	var (
		n      int
		rowErr error
	)
	go func() {
		defer close(batches)
		args := make([]any, 0, per*cols)
		send := func() bool {
			select {
			case batches <- args:
			case <-done:
				return false
			}
			select {
			case args = <-free:
			default:
				args = make([]any, 0, per*cols)
			}
			return true
		}
		for r := range seq {
			if args, rowErr = row(r, args); rowErr != nil {
				return
			}
			n++
			if len(args) == per*cols && !send() {
				return
			}
		}
		if len(args) > 0 {
			send()
		}
	}()
	fail := func(err error) (int, error) {
		close(done)
		for range batches { // let the producer finish before returning
		}
		return 0, fmt.Errorf("db: bulk load %s: %w", what, err)
	}
	for args := range batches {
		stmt := full
		if rows := len(args) / cols; rows != per {
			if stmt, err = tx.PrepareContext(ctx, query+strings.Repeat(","+tuple, rows-1)); err != nil {
				return fail(err)
			}
			defer stmt.Close()
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fail(err)
		}
		clear(args)
		select {
		case free <- args[:0]:
		default:
		}
	}
	if rowErr != nil {
		return 0, fmt.Errorf("db: bulk load %s: %w", what, rowErr)
	}
	return n, nil
}
