package db_test

import (
	"context"
	"strings"
	"testing"

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
