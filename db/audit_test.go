package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"steward/db"
)

// change finds one field's change in an event.
func change(ev db.AuditEvent, field string) (db.Change, bool) {
	for _, c := range ev.Changes {
		if c.Field == field {
			return c, true
		}
	}
	return db.Change{}, false
}

func latestEvent(t *testing.T, s *db.Store) db.AuditEvent {
	t.Helper()
	evs, err := s.RecentEvents(context.Background(), 1, true)
	if err != nil || len(evs) != 1 {
		t.Fatalf("RecentEvents: %v, %d events", err, len(evs))
	}
	return evs[0]
}

func TestEveryChangeWritesExactlyOneEvent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	var ownerID, accountID, roleID int64
	steps := []struct {
		name   string
		do     func() error
		action string
	}{
		{"create owner", func() (err error) {
			ownerID, err = s.CreateOwner(ctx, actor, db.OwnerInput{Name: "Ada", Email: "ada@example.com"})
			return err
		}, "owner.created"},
		{"update owner", func() error {
			return s.UpdateOwner(ctx, actor, ownerID, db.OwnerInput{Name: "Ada", Email: "ada@example.com", Title: "CTO"})
		}, "owner.updated"},
		{"create account", func() (err error) {
			accountID, err = s.CreateAccount(ctx, actor, db.AccountInput{Name: "Org", Platform: "GitHub", OwnerID: id(ownerID)})
			return err
		}, "account.created"},
		{"update account", func() error {
			return s.UpdateAccount(ctx, actor, accountID, db.AccountInput{Name: "Org", Platform: "GitHub", Criticality: "high"})
		}, "account.updated"},
		{"create role", func() (err error) {
			roleID, err = s.CreateRole(ctx, actor, db.RoleInput{AccountID: id(accountID), OwnerID: id(ownerID), Role: "Owner", Admin: "1"})
			return err
		}, "role.created"},
		{"update role", func() error {
			return s.UpdateRole(ctx, actor, roleID, db.RoleInput{AccountID: id(accountID), OwnerID: id(ownerID), Role: "Owner", Admin: "1", ReviewBy: "2030-01-01"})
		}, "role.updated"},
		{"remove role", func() error { return s.RemoveRole(ctx, actor, roleID) }, "role.removed"},
	}
	for _, step := range steps {
		before := events(t, s)
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n := events(t, s) - before; n != 1 {
			t.Fatalf("%s wrote %d audit events, want 1", step.name, n)
		}
		ev := latestEvent(t, s)
		if ev.Action != step.action || ev.Actor != actor.Email || ev.IP != actor.IP {
			t.Errorf("%s: event = %s by %q from %q, want %s by %q from %q", step.name, ev.Action, ev.Actor, ev.IP,
				step.action, actor.Email, actor.IP)
		}
	}

	// Saving without a change, or removing a removed role, writes nothing.
	before := events(t, s)
	if err := s.UpdateOwner(ctx, actor, ownerID, db.OwnerInput{Name: "Ada", Email: "ada@example.com", Title: "CTO"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveRole(ctx, actor, roleID); err != nil {
		t.Fatal(err)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("unchanged saves wrote %d events, want 0", n)
	}
}

func TestFailedChangeWritesNoRowAndNoEvent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ownerID := mustOwner(t, s, db.OwnerInput{Name: "Ada", Email: "ada@example.com"})
	before := events(t, s)

	_, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "  ", Email: "grace@example.com"})
	validationError(t, err, "name")
	err = s.UpdateOwner(ctx, actor, ownerID, db.OwnerInput{Name: "Ada", Email: "not an email"})
	validationError(t, err, "email")
	_, err = s.CreateAccount(ctx, actor, db.AccountInput{Name: "No platform"})
	validationError(t, err, "platform")

	if n := count(t, s, "SELECT COUNT(*) FROM owners"); n != 1 {
		t.Errorf("owners = %d, want 1", n)
	}
	if e := str(t, s, "SELECT email FROM owners WHERE id = ?", ownerID); e != "ada@example.com" {
		t.Errorf("email after refused update = %q", e)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts"); n != 0 {
		t.Errorf("accounts = %d, want 0", n)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused changes wrote %d events, want 0", n)
	}
}

func TestChangeAndItsEventShareOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	// Make the audit insert fail: the owner row must not survive without it.
	if err := s.Exec(ctx, `CREATE TRIGGER test_audit_fails BEFORE INSERT ON audit_events
		BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "Ada"}); err == nil {
		t.Fatal("CreateOwner succeeded although its audit event could not be written")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners"); n != 0 {
		t.Fatalf("owners = %d after the audit write failed, want 0", n)
	}
}

func TestUpdateEventHoldsBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	boss := mustOwner(t, s, db.OwnerInput{Name: "Maria Alvarez"})
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada", Title: "Engineer", Department: "R&D"})
	if err := s.UpdateOwner(ctx, actor, ada, db.OwnerInput{Name: "Ada", Title: "CTO", Department: "R&D", ManagerID: id(boss)}); err != nil {
		t.Fatal(err)
	}
	ev := latestEvent(t, s)
	if ev.Action != "owner.updated" || ev.RecordKind != "owner" || ev.RecordID != ada {
		t.Fatalf("event = %s on %s #%d", ev.Action, ev.RecordKind, ev.RecordID)
	}
	if c, ok := change(ev, "title"); !ok || c.Before != "Engineer" || c.After != "CTO" {
		t.Errorf("title change = %+v, %v; want Engineer → CTO", c, ok)
	}
	if c, ok := change(ev, "manager"); !ok || c.Before != "" || c.After != "Maria Alvarez (#"+id(boss)+")" {
		t.Errorf("manager change = %+v, %v; want '' → the manager's name and ID", c, ok)
	}
	if len(ev.Changes) != 2 {
		t.Errorf("changes = %+v, want only title and manager", ev.Changes)
	}

	// A created record's event lists its values as after, with empty befores.
	created, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: ada}, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	first := created.Events[len(created.Events)-1]
	if c, ok := change(first, "department"); first.Action != "owner.created" || !ok || c.Before != "" || c.After != "R&D" {
		t.Errorf("created event %s department change = %+v, %v", first.Action, c, ok)
	}
}

func TestRoleEventsShowOnOwnerAndAccountTimelines(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	org := mustAccount(t, s, db.AccountInput{Name: "Org", Platform: "GitHub"})
	role := mustRole(t, s, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Owner", Admin: "1"})

	for _, ref := range []db.Ref{{Kind: "owner", ID: ada}, {Kind: "account", ID: org}, {Kind: "role", ID: role}} {
		page, err := s.Timeline(ctx, ref, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 || page.Events[0].Action != "role.created" || page.Events[0].RecordID != role {
			t.Errorf("%s #%d timeline = %+v, want role.created for role %d first", ref.Kind, ref.ID, page.Events, role)
		}
	}
	// The owner's timeline does not show another owner's events.
	other := mustOwner(t, s, db.OwnerInput{Name: "Grace"})
	page, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: other}, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Action != "owner.created" {
		t.Errorf("unrelated owner's timeline = %+v, want only its creation", page.Events)
	}
}

func TestTimelinePagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	mustOwner(t, s, db.OwnerInput{Name: "Unrelated"}) // interleaved events of another record
	for i := range 24 {
		if err := s.UpdateOwner(ctx, actor, ada, db.OwnerInput{Name: "Ada", Notes: "note " + id(int64(i))}); err != nil {
			t.Fatal(err)
		}
	}
	ref := db.Ref{Kind: "owner", ID: ada}
	var seen []int64
	var sizes []int
	before := int64(0)
	for range 10 {
		page, err := s.Timeline(ctx, ref, before, 10)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Events))
		for _, e := range page.Events {
			if e.RecordKind != "owner" || e.RecordID != ada {
				t.Fatalf("event %d is about %s #%d", e.ID, e.RecordKind, e.RecordID)
			}
			seen = append(seen, e.ID)
		}
		if page.NextBefore == 0 {
			break
		}
		if page.NextBefore != page.Events[len(page.Events)-1].ID {
			t.Fatalf("NextBefore = %d, want the page's oldest event %d", page.NextBefore, page.Events[len(page.Events)-1].ID)
		}
		before = page.NextBefore
	}
	if len(sizes) != 3 || sizes[0] != 10 || sizes[1] != 10 || sizes[2] != 5 {
		t.Fatalf("page sizes = %v, want [10 10 5]", sizes)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("events not strictly newest first: %v", seen)
		}
	}
	if latest := latestEvent(t, s); seen[0] != latest.ID {
		t.Errorf("first event = %d, want the newest %d", seen[0], latest.ID)
	}

	// A non-positive limit falls back to a default page instead of failing.
	page0, err := s.Timeline(ctx, ref, 0, 0)
	if err != nil || len(page0.Events) != 25 {
		t.Errorf("limit 0 gave %d events, %v; want the default page of all 25", len(page0.Events), err)
	}

	// Exactly one full page: no next page.
	page, err := s.Timeline(ctx, ref, 0, 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 25 || page.NextBefore != 0 {
		t.Errorf("limit 25 gave %d events, NextBefore %d; want 25 and 0", len(page.Events), page.NextBefore)
	}
}

// auditFixture writes a few events and returns the store.
func auditFixture(t *testing.T) *db.Store {
	t.Helper()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada", Email: "ada@example.com"})
	org := mustAccount(t, s, db.AccountInput{Name: "Org", Platform: "GitHub", OwnerID: id(ada)})
	mustRole(t, s, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Owner", Admin: "1"})
	mustOwner(t, s, db.OwnerInput{Name: "Grace <grace@example.com>"})
	if err := s.Audit(context.Background(), db.Actor{UserID: 7, Email: "x@example.com", IP: "::1"},
		db.Event{Action: "user.signed_in", Subject: db.Ref{Kind: "user", ID: 7}, Summary: "Signed in"}); err != nil {
		t.Fatal(err)
	}
	if n := events(t, s); n != 5 {
		t.Fatalf("fixture has %d events, want 5", n)
	}
	return s
}

func TestVerifyAuditPassesOnFreshChain(t *testing.T) {
	s := auditFixture(t)
	res, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.BrokenID != 0 || res.Checked != 5 {
		t.Fatalf("VerifyAudit = %+v, want 5 checked and none broken", res)
	}
	// An empty log verifies too.
	res, err = openStore(t).VerifyAudit(context.Background())
	if err != nil || res.BrokenID != 0 || res.Checked != 0 {
		t.Fatalf("empty log: VerifyAudit = %+v, %v", res, err)
	}
}

func TestAuditTablesRefuseUpdateAndDelete(t *testing.T) {
	ctx := context.Background()
	s := auditFixture(t)
	for _, q := range []string{
		"UPDATE audit_events SET summary = 'nothing happened' WHERE id = 2",
		"DELETE FROM audit_events WHERE id = 2",
		"UPDATE audit_links SET record_id = 99 WHERE event_id = 2",
		"DELETE FROM audit_links WHERE event_id = 2",
	} {
		err := s.Exec(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	if got := str(t, s, "SELECT summary FROM audit_events WHERE id = 2"); got != "Created account Org" {
		t.Errorf("summary of event 2 = %q after refused update", got)
	}
	if n := events(t, s); n != 5 {
		t.Errorf("events = %d after refused delete, want 5", n)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 {
		t.Errorf("VerifyAudit = %+v, %v; want intact", res, err)
	}
}

func TestVerifyAuditNamesFirstBrokenEvent(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		tamper   []string
		brokenID int64
	}{
		{"edited summary", []string{"DROP TRIGGER audit_events_no_update",
			"UPDATE audit_events SET summary = 'Granted role \"Member\"' WHERE id = 3"}, 3},
		{"edited changes", []string{"DROP TRIGGER audit_events_no_update",
			`UPDATE audit_events SET changes = '[]' WHERE id = 2`}, 2},
		{"edited actor of the first event", []string{"DROP TRIGGER audit_events_no_update",
			"UPDATE audit_events SET actor = 'someone-else' WHERE id = 1"}, 1},
		{"deleted event", []string{"DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_links_no_delete",
			"DELETE FROM audit_links WHERE event_id = 3", "DELETE FROM audit_events WHERE id = 3"}, 4},
		{"rehashed event", []string{"DROP TRIGGER audit_events_no_update",
			// A forger who recomputes one hash still breaks the next link.
			"UPDATE audit_events SET summary = 'x', hash = '" + strings.Repeat("ab", 32) + "' WHERE id = 2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := auditFixture(t)
			for _, q := range tt.tamper {
				if err := s.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			res, err := s.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.BrokenID != tt.brokenID || res.Problem == "" {
				t.Fatalf("VerifyAudit = %+v, want broken at %d with a problem", res, tt.brokenID)
			}
		})
	}
}

func TestAuditEventWithoutSubjectLinksNothing(t *testing.T) {
	// Failed sign-ins are about no record.
	s := openStore(t)
	err := s.Audit(context.Background(), db.Actor{IP: "203.0.113.9"}, db.Event{Action: "user.sign_in_failed", Summary: "Failed sign-in"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_links"); n != 0 {
		t.Errorf("an event without a subject made %d links, want 0", n)
	}
}

// testAuditKey is a fixed audit key: bytes 0x00 to 0x1f.
var testAuditKey = []byte{
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
}

// openStoreWithKey opens a fresh database keyed with key.
func openStoreWithKey(t *testing.T, key []byte) *db.Store {
	t.Helper()
	s, err := db.OpenWith(context.Background(), filepath.Join(t.TempDir(), "t.db"), db.Options{AuditKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// editFile runs statements on the database file with a connection of its
// own, as anyone holding the file could.
func editFile(t *testing.T, path string, statements ...string) {
	t.Helper()
	conn, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range statements {
		if _, err := conn.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestAuditHashKnownAnswer pins the chain's format: a fixed event under a
// fixed key has this HMAC-SHA-256, worked out apart from Steward over the
// pre-image below (Python: hmac.new(bytes(range(32)), pre, sha256)).
func TestAuditHashKnownAnswer(t *testing.T) {
	ctx := context.Background()
	s := openStoreWithKey(t, testAuditKey)
	s.SetClock(func() time.Time { return time.Date(2026, 11, 25, 9, 30, 0, 123_000_000, time.UTC) })
	err := s.Audit(ctx, db.Actor{UserID: 7, Email: "ada@example.com", IP: "192.0.2.1"}, db.Event{
		Action: "owner.updated", Subject: db.Ref{Kind: "owner", ID: 3}, Summary: "Updated owner Ada",
		Changes: []db.Change{{Field: "title", Before: "Engineer", After: "CTO"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The pre-image: each field as its length in bytes, a colon, the value
	// and a newline, in this order: previous hash, id, at, user id, actor,
	// ip, action, record kind, record id, summary, changes.
	//
	//	64:0000000000000000000000000000000000000000000000000000000000000000
	//	1:1
	//	24:2026-11-25T09:30:00.123Z
	//	1:7
	//	15:ada@example.com
	//	9:192.0.2.1
	//	13:owner.updated
	//	5:owner
	//	1:3
	//	17:Updated owner Ada
	//	53:[{"field":"title","before":"Engineer","after":"CTO"}]
	const want = "83bacb3358bdcd01c1d89f5d8ede912e01b9e02f0c23090daf83899f36c7a168"
	if got := str(t, s, "SELECT hash FROM audit_events WHERE id = 1"); got != want {
		t.Fatalf("hash of the known event = %s, want %s", got, want)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 || res.HeadHash != want {
		t.Errorf("VerifyAudit = %+v, %v; want intact with head %s", res, err, want)
	}
}

// legacyDB makes a database as Steward left it before audit keys: two
// events with plain SHA-256 hashes (worked out apart from Steward, as in
// TestAuditHashKnownAnswer), no seal and no key file. A brokenHash
// replaces event 2's hash.
func legacyDB(t *testing.T, brokenHash string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	hash2 := "a0a94baa6f7a28a2f891c6388d3c44ea669239270c61f0b9587b17c440271d2f"
	if brokenHash != "" {
		hash2 = brokenHash
	}
	editFile(t, path, "DELETE FROM settings",
		`INSERT INTO audit_events (id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (1, '2026-11-25T09:30:00.123Z', 7, 'ada@example.com', '192.0.2.1', 'owner.updated', 'owner', 3, 'Updated owner Ada',
		'[{"field":"title","before":"Engineer","after":"CTO"}]', '`+strings.Repeat("0", 64)+`',
		'7db9ac1cae45690841d0e3b8125e650ed632c5992cec2c00655eb0fd44759ef6')`,
		`INSERT INTO audit_events (id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (2, '2026-11-25T09:31:00.000Z', NULL, '', '203.0.113.9', 'user.sign_in_failed', '', NULL, 'Failed sign-in', '[]',
		'7db9ac1cae45690841d0e3b8125e650ed632c5992cec2c00655eb0fd44759ef6', '`+hash2+`')`)
	if err := os.Remove(db.AuditKeyFile(path)); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenSealsALogFromBeforeKeys(t *testing.T) {
	ctx := context.Background()
	path := legacyDB(t, "")
	var log bytes.Buffer
	s, err := db.OpenWith(ctx, path, db.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(db.AuditKeyFile(path)); err != nil {
		t.Fatalf("the upgrade made no key file: %v", err)
	}
	sealed := latestEvent(t, s)
	if sealed.ID != 3 || sealed.Action != "audit.sealed" || !strings.Contains(sealed.Summary, "events 1 to 2") ||
		!strings.Contains(sealed.Summary, "found intact") {
		t.Fatalf("newest event = %d %s %q, want 3 audit.sealed saying events 1 to 2 were found intact", sealed.ID, sealed.Action, sealed.Summary)
	}
	// The old events keep their plain hashes; the seal is keyed.
	if h := str(t, s, "SELECT hash FROM audit_events WHERE id = 2"); h != "a0a94baa6f7a28a2f891c6388d3c44ea669239270c61f0b9587b17c440271d2f" {
		t.Errorf("event 2's hash changed to %s", h)
	}
	mustOwner(t, s, db.OwnerInput{Name: "After the upgrade"})
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 || res.Checked != 4 {
		t.Fatalf("VerifyAudit after the upgrade = %+v, %v; want 4 intact", res, err)
	}
	// The old log was checked once at the upgrade; the check was recorded and logged.
	v, found, err := s.LastAuditVerification(ctx)
	if err != nil || !found || !v.Intact() || v.HeadID != 2 {
		t.Errorf("recorded verification = %+v, %v, %v; want the upgrade's check, intact up to event 2", v, found, err)
	}
	if !strings.Contains(log.String(), "audit log sealed") || !strings.Contains(log.String(), "head_id=2") {
		t.Errorf("log lacks the seal and the checked head:\n%s", log.String())
	}

	// After the seal, a plain SHA-256 hash no longer passes: an event
	// appended with one (the triggers allow appends) breaks the chain.
	head := latestEvent(t, s)
	at := "2026-11-25T10:00:00.000Z"
	plain := plainEventHash(head.Hash, head.ID+1, at, 0, "", "", "owner.created", "owner", 9, "Created owner Mallory", "[]")
	if err := s.Exec(ctx, `INSERT INTO audit_events (id, at, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (?, ?, '', '', 'owner.created', 'owner', 9, 'Created owner Mallory', '[]', ?, ?)`, head.ID+1, at, head.Hash, plain); err != nil {
		t.Fatal(err)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != head.ID+1 || !strings.Contains(res.Problem, "keyed") {
		t.Errorf("VerifyAudit = %+v, %v; want broken at the plain-hashed event %d", res, err, head.ID+1)
	}
}

func TestOpenSaysSoWhenTheLogFromBeforeKeysIsBroken(t *testing.T) {
	ctx := context.Background()
	path := legacyDB(t, strings.Repeat("ab", 32))
	var log bytes.Buffer
	s, err := db.OpenWith(ctx, path, db.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "broken_id=2") {
		t.Errorf("the upgrade did not log the broken old log loudly:\n%s", log.String())
	}
	if sealed := latestEvent(t, s); sealed.Action != "audit.sealed" || !strings.Contains(sealed.Summary, "already broken at event 2") {
		t.Errorf("seal event = %s %q, want it to say the old log was broken at event 2", sealed.Action, sealed.Summary)
	}
	v, found, err := s.LastAuditVerification(ctx)
	if err != nil || !found || v.BrokenID != 2 {
		t.Errorf("recorded verification = %+v, %v, %v; want broken at 2", v, found, err)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 2 {
		t.Errorf("VerifyAudit = %+v, %v; want still broken at 2 after the seal", res, err)
	}
}

// plainEventHash is the unkeyed SHA-256 an attacker without the key can
// compute, over the pre-image TestAuditHashKnownAnswer shows.
func plainEventHash(prevHash string, id int64, at string, userID int64, actor, ip, action, kind string, recordID int64, summary, changes string) string {
	var b []byte
	for _, p := range []string{prevHash, strconv.FormatInt(id, 10), at, strconv.FormatInt(userID, 10), actor, ip, action, kind,
		strconv.FormatInt(recordID, 10), summary, changes} {
		b = fmt.Appendf(b, "%d:%s\n", len(p), p)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestOpenRefusesAKeyThatDoesNotMatchTheSeal(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	s.Close()
	// Another key, or a copy of the database without its key file.
	other := filepath.Join(t.TempDir(), "other.audit-key")
	_, err = db.OpenWith(ctx, path, db.Options{AuditKeyFile: other})
	if err == nil || !strings.Contains(err.Error(), "seal does not match") || !strings.Contains(err.Error(), "cannot be verified") {
		t.Fatalf("Open with another key: %v; want a refusal saying the seal does not match", err)
	}
	if _, err := os.Stat(other); !os.IsNotExist(err) {
		t.Errorf("the refused start left the key file it made (%v)", err)
	}
	if n := count(t, openAt(t, path), "SELECT COUNT(*) FROM audit_events"); n != 1 {
		t.Errorf("events = %d after the refused start, want 1 (nothing written with the wrong key)", n)
	}
}

// openAt opens the database at path with its own key file.
func openAt(t *testing.T, path string) *db.Store {
	t.Helper()
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenRefusesALogWithoutSealWhenItsKeyExisted(t *testing.T) {
	// Whoever strips the seal to make the log pass for one from before
	// keys (and rewrites it with plain hashes) does not get it sealed anew.
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s := openAt(t, path)
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	s.Close()
	editFile(t, path, "DELETE FROM settings WHERE key = 'audit_seal'")
	_, err := db.Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "no seal") {
		t.Fatalf("Open without the seal: %v; want a refusal", err)
	}
}

func TestVerifyAuditCatchesATamperedSeal(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, edit, want string }{
		{"seal removed", "DELETE FROM settings WHERE key = 'audit_seal'", "missing"},
		{"seal rewritten with a plain SHA-256", "UPDATE settings SET value = '1 3 " + strings.Repeat("cd", 32) + " " +
			strings.Repeat("ef", 32) + "' WHERE key = 'audit_seal'", "does not match the audit key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := auditFixture(t)
			if err := s.Exec(ctx, tt.edit); err != nil {
				t.Fatal(err)
			}
			res, err := s.VerifyAudit(ctx)
			if err != nil || res.BrokenID == 0 || !strings.Contains(res.Problem, tt.want) {
				t.Fatalf("VerifyAudit = %+v, %v; want broken, %q", res, err, tt.want)
			}
		})
	}
}

// TestVerifyAuditCatchesCutTailWithoutAnyCheck: nobody ever checked the
// chain, and the newest events are deleted; the seal's head catches it,
// and a change made afterwards does not cover it up.
func TestVerifyAuditCatchesCutTailWithoutAnyCheck(t *testing.T) {
	ctx := context.Background()
	s := auditFixture(t)
	for _, q := range []string{"DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_links_no_delete",
		"DELETE FROM audit_links WHERE event_id >= 4", "DELETE FROM audit_events WHERE id >= 4"} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 4 || !strings.Contains(res.Problem, "cut off") {
		t.Fatalf("VerifyAudit = %+v, %v; want broken at 4, cut off", res, err)
	}
	mustOwner(t, s, db.OwnerInput{Name: "Written after the cut"})
	mustOwner(t, s, db.OwnerInput{Name: "And another"})
	res, err = s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 5 || !strings.Contains(res.Problem, "differs from the one the seal records") {
		t.Fatalf("after more changes VerifyAudit = %+v, %v; want still broken, at 5", res, err)
	}
}

func TestOpenRestoresMissingTriggersAndVerifyFailsUntilAccepted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s := openAt(t, path)
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	s.Close()
	// One dropped, one replaced by a look-alike that does nothing.
	editFile(t, path, "DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_links_no_update",
		"CREATE TRIGGER audit_links_no_update BEFORE UPDATE ON audit_links BEGIN SELECT 1; END")

	var log bytes.Buffer
	s, err := db.OpenWith(ctx, path, db.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "audit_events_no_delete, audit_links_no_update") {
		t.Errorf("log does not warn about the two triggers:\n%s", log.String())
	}
	for _, q := range []string{"DELETE FROM audit_events WHERE id = 1", "UPDATE audit_links SET record_id = 99"} {
		if err := s.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s after the restart: %v; want the append-only refusal", q, err)
		}
	}
	restored := latestEvent(t, s)
	if restored.Action != "audit.triggers_restored" || !strings.Contains(restored.Summary, "audit_events_no_delete, audit_links_no_update") {
		t.Fatalf("newest event = %s %q, want audit.triggers_restored naming both", restored.Action, restored.Summary)
	}
	v, err := s.VerifyAndRecordAudit(ctx)
	if err != nil || v.BrokenID != restored.ID || !strings.Contains(v.Problem, "triggers were missing") ||
		!strings.Contains(v.Problem, "-accept-restored-triggers") {
		t.Fatalf("VerifyAndRecordAudit = %+v, %v; want broken at event %d, saying the triggers were missing and how to accept it", v, err, restored.ID)
	}
	if again, err := s.VerifyAndRecordAudit(ctx); err != nil || again.Intact() {
		t.Fatalf("second check = %+v, %v; want still broken until accepted", again, err)
	}
	ok, err := s.AcceptRestoredTriggers(ctx, db.SystemActor("command line"))
	if err != nil || !ok {
		t.Fatalf("AcceptRestoredTriggers = %v, %v", ok, err)
	}
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || !v.Intact() {
		t.Fatalf("after accepting: %+v, %v; want intact", v, err)
	}
	if ok, err := s.AcceptRestoredTriggers(ctx, db.SystemActor("command line")); err != nil || ok {
		t.Errorf("a second accept = %v, %v; want nothing to accept", ok, err)
	}
	// A later start with the triggers whole writes nothing.
	before := events(t, s)
	s.Close()
	if n := count(t, openAt(t, path), "SELECT COUNT(*) FROM audit_events"); n != before {
		t.Errorf("a clean restart wrote %d events", n-before)
	}
}

func TestVerifyAndRecordAuditLogsTheVerifiedHead(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	s, err := db.OpenWith(ctx, filepath.Join(t.TempDir(), "t.db"), db.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	v, err := s.VerifyAndRecordAudit(ctx)
	if err != nil || !v.Intact() {
		t.Fatal(v, err)
	}
	if want := fmt.Sprintf("head_id=1 head_hash=%s", v.HeadHash); !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log.String())
	}
}

// TestFilesArePrivate: the database, its -wal and -shm, its key file and
// backups are readable by their owner alone, whatever the umask.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "steward.db")
	s := openAt(t, path)
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm", db.AuditKeyFile(path), backup} {
		info, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), info.Mode().Perm())
		}
	}
}

// TestStrippingTheSealOfAnUpgradedLogIsCaught: after an upgrade, neither
// rewriting the plain part, nor removing the audit.sealed event, nor that
// and the seal record together passes.
func TestStrippingTheSealOfAnUpgradedLogIsCaught(t *testing.T) {
	ctx := context.Background()
	upgraded := func(t *testing.T) string {
		path := legacyDB(t, "")
		s, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		return path
	}
	t.Run("plain part rewritten", func(t *testing.T) {
		path := upgraded(t)
		h1 := plainEventHash(strings.Repeat("0", 64), 1, "2026-11-25T09:30:00.123Z", 7, "ada@example.com", "192.0.2.1",
			"owner.updated", "owner", 3, "Updated owner Grace", `[{"field":"title","before":"Engineer","after":"CTO"}]`)
		h2 := plainEventHash(h1, 2, "2026-11-25T09:31:00.000Z", 0, "", "203.0.113.9", "user.sign_in_failed", "", 0, "Failed sign-in", "[]")
		editFile(t, path, "DROP TRIGGER audit_events_no_update",
			"UPDATE audit_events SET summary = 'Updated owner Grace', hash = '"+h1+"' WHERE id = 1",
			"UPDATE audit_events SET prev_hash = '"+h1+"', hash = '"+h2+"' WHERE id = 2")
		res, err := openAt(t, path).VerifyAudit(ctx)
		if err != nil || res.BrokenID != 3 {
			t.Fatalf("VerifyAudit = %+v, %v; want broken at the seal event, 3, whose link pins the old log", res, err)
		}
	})
	t.Run("seal event removed", func(t *testing.T) {
		path := upgraded(t)
		editFile(t, path, "DROP TRIGGER audit_events_no_delete", "DELETE FROM audit_events WHERE action = 'audit.sealed'",
			"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\nBEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
		res, err := openAt(t, path).VerifyAudit(ctx)
		if err != nil || res.BrokenID != 3 {
			t.Fatalf("VerifyAudit = %+v, %v; want broken at the missing seal event, 3", res, err)
		}
	})
	t.Run("seal event and seal record removed", func(t *testing.T) {
		path := upgraded(t)
		editFile(t, path, "DROP TRIGGER audit_events_no_delete", "DELETE FROM audit_events WHERE action = 'audit.sealed'",
			"DELETE FROM settings WHERE key IN ('audit_seal', 'audit_verified')")
		if _, err := db.Open(ctx, path); err == nil || !strings.Contains(err.Error(), "no seal") {
			t.Fatalf("Open of the stripped log: %v; want a refusal", err)
		}
	})
}

// The audit log filtered by dates pages through exactly the events of those
// days, newest first, however they are spread, page after page.
func TestAuditDateRangePagesThroughItsDays(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var inRange []string
	for day := range 6 {
		setDay(s, day)
		for i := range 3 {
			name := fmt.Sprintf("Owner %d-%d", day, i)
			mustOwner(t, s, db.OwnerInput{Name: name})
			if day >= 2 && day <= 4 {
				inRange = append([]string{name}, inRange...)
			}
		}
	}
	from, to := day(2), day(4)
	var got []string
	before := int64(0)
	for range 10 {
		page, err := s.QueryAudit(ctx, db.AuditFilter{From: from, To: to, RecordKind: "owner", ForAdmin: true}, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, strings.TrimPrefix(e.Summary, "Created owner "))
		}
		if before = page.NextBefore; before == 0 {
			break
		}
	}
	if !slices.Equal(got, inRange) {
		t.Errorf("pages of %s to %s hold\n%q\nwant\n%q", from, to, got, inRange)
	}
}
