package db

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

// Actor is who made a change: the signed-in user (zero ID for the system or
// an anonymous visitor) and the client address.
type Actor struct {
	UserID int64
	Email  string
	IP     string
	// Role is the signed-in user's role (RoleAdmin, RoleEditor, RoleViewer),
	// or RoleSteward for Steward itself. The store reads it where an
	// effect is an admin's alone, such as disabling a login.
	Role string
	// Cause names what a change is made for when that is not the actor's
	// own edit, such as an access review closing; the summary of each event
	// written with it ends with it.
	Cause string
}

// RoleSteward is the Role of changes Steward makes on its own.
const RoleSteward = "steward"

// SystemActor is the actor for changes Steward makes on its own (demo data,
// command-line tools).
func SystemActor(name string) Actor { return Actor{Email: name, Role: RoleSteward} }

// managesLogins reports whether the actor may disable or change logins:
// an admin, or Steward itself.
func (a Actor) managesLogins() bool { return a.Role == RoleAdmin || a.Role == RoleSteward }

// Change is one field's value before and after an edit.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Ref names a record: its kind (owner, account, role, ...) and ID.
type Ref struct {
	Kind string
	ID   int64
}

// Event is an audit event to append.
type Event struct {
	Action  string // e.g. owner.created, role.removed, user.signed_in
	Subject Ref    // the record the event is about (zero for none)
	Summary string // a short human sentence
	Changes []Change
	Related []Ref // other records whose timelines should show this event
}

// AuditEvent is a stored audit event.
type AuditEvent struct {
	ID         int64
	At         time.Time
	UserID     int64
	Actor      string
	IP         string
	Action     string
	RecordKind string
	RecordID   int64
	Summary    string
	Changes    []Change
	PrevHash   string
	Hash       string
}

// genesisHash is the previous hash of the first event.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// appendEvent writes ev inside tx and brings the open checklists of the
// records it touched up to date, so access that appears after a checklist
// started joins it in the same transaction.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, actor Actor, ev Event) error {
	if err := s.insertEvent(ctx, tx, actor, ev); err != nil {
		return err
	}
	return s.syncChecklists(ctx, tx, actor, append([]Ref{ev.Subject}, ev.Related...))
}

// insertEvent writes ev inside tx, chained to the latest event, and moves
// the seal's head on to it. The writer is a single connection with BEGIN
// IMMEDIATE, so no other event can slip in between reading the latest hash
// and inserting.
func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, actor Actor, ev Event) error {
	prevID, prevHash := int64(0), genesisHash
	err := tx.QueryRowContext(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&prevID, &prevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read audit chain head: %w", err)
	}
	changes := ev.Changes
	if changes == nil {
		changes = []Change{}
	}
	changesJSON, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("db: encode audit changes: %w", err)
	}
	if actor.Cause != "" {
		ev.Summary += " — " + actor.Cause
	}
	e := AuditEvent{
		ID: prevID + 1, At: s.now().Truncate(time.Millisecond), UserID: actor.UserID, Actor: actor.Email, IP: actor.IP,
		Action: ev.Action, RecordKind: ev.Subject.Kind, RecordID: ev.Subject.ID, Summary: ev.Summary, PrevHash: prevHash,
	}
	e.Hash = newChainHasher(s.auditKey).eventHash(e, string(changesJSON))
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events
		(id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, formatTime(e.At), nullID(e.UserID), e.Actor, e.IP, e.Action, e.RecordKind, nullID(e.RecordID),
		e.Summary, string(changesJSON), e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("db: append audit event: %w", err)
	}
	links := append([]Ref{ev.Subject}, ev.Related...)
	for _, l := range links {
		if l.Kind == "" || l.ID == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO audit_links (record_kind, record_id, event_id) VALUES (?, ?, ?)", l.Kind, l.ID, e.ID); err != nil {
			return fmt.Errorf("db: link audit event: %w", err)
		}
	}
	return s.moveSealHead(ctx, tx, prevID, prevHash, e.ID, e.Hash)
}

// chainHasher computes event hashes: HMAC-SHA-256 under the audit key over
// the previous hash and the event's canonical content (fixed field order,
// one field per line, lengths prefixed so no value can run into the next).
// Events from before the chain was sealed carry plain SHA-256 over the same
// pre-image. It reuses one buffer and one HMAC, so that verifying a million
// events does not allocate a million pre-images; it is not safe for
// concurrent use.
type chainHasher struct {
	buf []byte
	mac hash.Hash
	sum []byte
	hex [sha256.Size * 2]byte
}

// newChainHasher returns a hasher keyed with key.
func newChainHasher(key []byte) *chainHasher {
	return &chainHasher{mac: hmac.New(sha256.New, key)}
}

// eventHash is the keyed hash, in hex, of an event about to be written.
func (h *chainHasher) eventHash(e AuditEvent, changesJSON string) string {
	sum := h.digest(true, e.PrevHash, e.ID, formatTime(e.At), e.UserID, e.Actor, e.IP, e.Action, e.RecordKind, e.RecordID, e.Summary, changesJSON)
	return hex.EncodeToString(sum)
}

// digest is an event's hash over the stored text of its fields (at exactly
// as stored, formatTime's output): keyed, or plain SHA-256 for an event
// from before the seal. The result is valid until the next call.
func (h *chainHasher) digest(keyed bool, prevHash string, id int64, at string, userID int64, actor, ip, action, kind string,
	recordID int64, summary, changes string) []byte {
	var num [20]byte
	b := h.buf[:0]
	b = appendPart(b, prevHash)
	b = appendPart(b, strconv.AppendInt(num[:0], id, 10))
	b = appendPart(b, at)
	b = appendPart(b, strconv.AppendInt(num[:0], userID, 10))
	b = appendPart(b, actor)
	b = appendPart(b, ip)
	b = appendPart(b, action)
	b = appendPart(b, kind)
	b = appendPart(b, strconv.AppendInt(num[:0], recordID, 10))
	b = appendPart(b, summary)
	b = appendPart(b, changes)
	h.buf = b
	if !keyed {
		plain := sha256.Sum256(b)
		h.sum = append(h.sum[:0], plain[:]...)
		return h.sum
	}
	h.mac.Reset()
	h.mac.Write(b)
	h.sum = h.mac.Sum(h.sum[:0])
	return h.sum
}

// hexDigest is digest in hex, valid until the next call.
func (h *chainHasher) hexDigest(keyed bool, prevHash string, id int64, at string, userID int64, actor, ip, action, kind string,
	recordID int64, summary, changes string) []byte {
	hex.Encode(h.hex[:], h.digest(keyed, prevHash, id, at, userID, actor, ip, action, kind, recordID, summary, changes))
	return h.hex[:]
}

// appendPart appends one field of the pre-image: its length in bytes, a
// colon, the value and a newline.
func appendPart[T string | []byte](b []byte, part T) []byte {
	b = strconv.AppendInt(b, int64(len(part)), 10)
	b = append(b, ':')
	b = append(b, part...)
	return append(b, '\n')
}

// Audit appends one event on its own, for things that change no record
// (sign-ins, failed sign-ins, denied requests).
func (s *Store) Audit(ctx context.Context, actor Actor, ev Event) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.appendEvent(ctx, tx, actor, ev) })
}

// VerifyResult says how much of the audit chain was checked and where it broke.
type VerifyResult struct {
	Checked  int64
	BrokenID int64  // the first event that does not match; 0 when the chain holds
	Problem  string // what is wrong with it
	// HeadID and HeadHash are the last event that matched: the chain's head
	// when it holds.
	HeadID   int64
	HeadHash string
}

// VerifyAudit checks the whole audit chain in one pass: every event's hash
// (plain before the seal, keyed from it on) and link, then that the chain
// ends at the head the seal recorded, and that no restored append-only
// triggers wait for an admin. It hashes each event's stored text as read,
// so a million events take seconds: one pass, one reused buffer, no
// parsing. The seal and the events are read in one snapshot.
func (s *Store) VerifyAudit(ctx context.Context) (VerifyResult, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return VerifyResult{}, fmt.Errorf("db: read audit events: %w", err)
	}
	defer tx.Rollback()
	var value string
	err = tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", auditSealSetting).Scan(&value)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return VerifyResult{}, fmt.Errorf("db: read the audit seal: %w", err)
	}
	sealMissing := errors.Is(err, sql.ErrNoRows)
	seal, sealOK := decodeSeal(value, s.auditKey)
	var triggers triggerEvents
	res, err := s.walkChain(ctx, tx, &triggers)
	if err != nil || res.BrokenID != 0 {
		return res, err
	}
	head := max(res.HeadID, 1)
	switch {
	case sealMissing:
		res.BrokenID, res.Problem = head, "the audit log's seal, which records its head, is missing: it was removed outside Steward"
	case !sealOK || seal.KeyedFrom != s.keyedFrom:
		res.BrokenID, res.Problem = head, "the audit log's seal, which records its head, does not match the audit key: it was altered outside Steward"
	case res.HeadID < seal.HeadID:
		res.BrokenID = res.HeadID + 1
		res.Problem = fmt.Sprintf("the log ends at event %d but its seal records event %d as the newest: the newest events were cut off", res.HeadID, seal.HeadID)
	case res.HeadID > seal.HeadID:
		// Steward moves the seal with every event it appends, but not past
		// a head that does not match: the log was cut or rebuilt, and
		// written on.
		var hash string
		err := tx.QueryRowContext(ctx, "SELECT hash FROM audit_events WHERE id = ?", seal.HeadID).Scan(&hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return res, fmt.Errorf("db: read audit event %d: %w", seal.HeadID, err)
		}
		res.BrokenID = seal.HeadID + 1
		res.Problem = fmt.Sprintf("the seal records event %d as the newest, and no event after it was written by Steward with its seal: they were added outside Steward", seal.HeadID)
		if hash != seal.HeadHash {
			res.BrokenID = max(seal.HeadID, 1)
			res.Problem = sealedHeadDiffers
		}
	case res.HeadID > 0 && res.HeadHash != seal.HeadHash:
		res.BrokenID, res.Problem = res.HeadID, sealedHeadDiffers
	case triggers.restored > triggers.accepted:
		res.BrokenID = triggers.restored
		res.Problem = "the audit log's append-only triggers were missing or altered when Steward started, and were restored: " +
			"someone changed the database file outside Steward. The chain itself holds. Find out who; then run " +
			"`steward audit verify -accept-restored-triggers` on the server to record that you have, and checks pass again"
	}
	if res.BrokenID != 0 {
		res.HeadID, res.HeadHash = 0, "" // no head to trust
	}
	return res, nil
}

// sealedHeadDiffers is the problem of a chain whose event at the sealed
// head is another one than the seal saw.
const sealedHeadDiffers = "its hash differs from the one the seal records for the log's newest event: the log was rewritten, " +
	"or cut off or rebuilt and then written on"

// triggerEvents are the newest audit.triggers_restored and
// audit.triggers_accepted events a walk saw.
type triggerEvents struct{ restored, accepted int64 }

// walkChain recomputes every hash in ID order: plain SHA-256 before the
// store's keyedFrom, keyed from it on. It notes the trigger events in
// triggers when that is not nil.
func (s *Store) walkChain(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, triggers *triggerEvents) (VerifyResult, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, COALESCE(user_id, 0), actor, ip, action, record_kind,
		COALESCE(record_id, 0), summary, changes, prev_hash, hash FROM audit_events ORDER BY id`)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("db: read audit events: %w", err)
	}
	defer rows.Close()
	var (
		res                                                     VerifyResult
		h                                                       = newChainHasher(s.auditKey)
		id, userID, recordID                                    int64
		at, actor, ip, action, kind, summary, changes, prevHash string
		hash                                                    []byte
	)
	res.HeadHash = genesisHash
	for rows.Next() {
		if err := rows.Scan(&id, &at, &userID, &actor, &ip, &action, &kind, &recordID, &summary, &changes, &prevHash, &hash); err != nil {
			return res, fmt.Errorf("db: scan audit event: %w", err)
		}
		res.Checked++
		keyed := id >= s.keyedFrom
		switch {
		case id != res.HeadID+1:
			res.BrokenID, res.Problem = id, fmt.Sprintf("event %d follows event %d: events are missing or were inserted", id, res.HeadID)
		case prevHash != res.HeadHash:
			res.BrokenID, res.Problem = id, "its previous-hash does not match the event before it"
		case !bytes.Equal(h.hexDigest(keyed, prevHash, id, at, userID, actor, ip, action, kind, recordID, summary, changes), hash):
			res.BrokenID, res.Problem = id, "its content does not match its hash"
			if keyed {
				res.Problem = "its content does not match its hash, which is keyed with the audit key"
			}
		}
		if res.BrokenID != 0 {
			return res, nil
		}
		res.HeadID, res.HeadHash = id, string(hash)
		if triggers != nil {
			switch action {
			case actionTriggersRestored:
				triggers.restored = id
			case actionTriggersAccepted:
				triggers.accepted = id
			}
		}
	}
	if res.HeadID == 0 {
		res.HeadHash = ""
	}
	return res, rows.Err()
}

// TimelinePage is one page of a record's timeline, newest first.
type TimelinePage struct {
	Events []AuditEvent
	// NextBefore is the event ID to pass for the next (older) page; 0 at the end.
	NextBefore int64
}

// Timeline lists the events linked to a record, newest first, older than
// before (0 for the newest), limit at a time.
func (s *Store) Timeline(ctx context.Context, ref Ref, before int64, limit int) (TimelinePage, error) {
	if before <= 0 {
		before = 1<<62 - 1
	}
	if limit <= 0 {
		limit = 50 // a zero limit would index events[-1] below
	}
	rows, err := s.read.QueryContext(ctx, `SELECT e.id, e.at, COALESCE(e.user_id, 0), e.actor, e.ip, e.action,
		e.record_kind, COALESCE(e.record_id, 0), e.summary, e.changes, e.prev_hash, e.hash
		FROM audit_links l JOIN audit_events e ON e.id = l.event_id
		WHERE l.record_kind = ? AND l.record_id = ? AND l.event_id < ?
		ORDER BY l.event_id DESC LIMIT ?`, ref.Kind, ref.ID, before, limit+1)
	if err != nil {
		return TimelinePage{}, fmt.Errorf("db: read timeline: %w", err)
	}
	return pageOfEvents(rows, limit)
}

// RecentEvents lists the newest events across all records; the events
// only admins see are left out unless forAdmin.
func (s *Store) RecentEvents(ctx context.Context, limit int, forAdmin bool) ([]AuditEvent, error) {
	from, args := AuditFilter{ForAdmin: forAdmin}.from(allIDs)
	rows, err := s.read.QueryContext(ctx, "SELECT "+auditColumns+from+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("db: read recent events: %w", err)
	}
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]AuditEvent, error) {
	defer rows.Close()
	var events []AuditEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// scanEvent reads one event selected with the columns of auditColumns.
func scanEvent(row scanner) (AuditEvent, error) {
	var e AuditEvent
	var at, changes string
	if err := row.Scan(&e.ID, &at, &e.UserID, &e.Actor, &e.IP, &e.Action, &e.RecordKind, &e.RecordID,
		&e.Summary, &changes, &e.PrevHash, &e.Hash); err != nil {
		return e, fmt.Errorf("db: scan audit event: %w", err)
	}
	e.At, _ = time.Parse(time.RFC3339Nano, at)
	if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
		e.Changes = nil // a damaged row still shows; verify reports it
	}
	return e, nil
}

// diff lists the fields whose value differs between before and after, in
// the order of after.
func diff(before, after []Change) []Change {
	old := make(map[string]string, len(before))
	for _, f := range before {
		old[f.Field] = f.After
	}
	var out []Change
	for _, f := range after {
		if old[f.Field] != f.After {
			out = append(out, Change{Field: f.Field, Before: old[f.Field], After: f.After})
		}
	}
	return out
}

// fields builds the after-only Change list that diff compares: pairs of
// field name and value.
func fields(pairs ...string) []Change {
	out := make([]Change, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Change{Field: pairs[i], After: pairs[i+1]})
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// likePattern escapes a user's search text for LIKE ... ESCAPE '\'.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}

// auditFielder is a record's values, able to list themselves for the audit log.
type auditFielder interface {
	auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error)
}

// changesBetween lists the fields whose values differ from old to new.
func changesBetween(ctx context.Context, tx *sql.Tx, old, new auditFielder) ([]Change, error) {
	before, err := old.auditFields(ctx, tx)
	if err != nil {
		return nil, err
	}
	after, err := new.auditFields(ctx, tx)
	if err != nil {
		return nil, err
	}
	return diff(before, after), nil
}

// pageOfEvents reads up to limit events from rows queried with LIMIT
// limit+1; the extra row only says there is an older page.
func pageOfEvents(rows *sql.Rows, limit int) (TimelinePage, error) {
	events, err := scanEvents(rows)
	if err != nil {
		return TimelinePage{}, err
	}
	page := TimelinePage{Events: events}
	if len(events) > limit {
		page.Events = events[:limit]
		page.NextBefore = events[limit-1].ID
	}
	return page, nil
}
