package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// bulkSample is a small dataset for BulkLoad: two people, a Business Manager
// with an ad account, an integration and its system user, two roles, a token
// and four events, one of which names the same owner three times.
func bulkSample() db.Bulk {
	at := func(day int) string { return db.FormatTime(time.Date(2026, 1, day, 9, 0, 0, 0, time.UTC)) }
	it := db.Actor{Email: "it@example.com", IP: "10.20.0.10"}
	return db.Bulk{
		Owners: slices.Values([]db.Owner{
			{ID: 1, Name: "Ada Admin", Email: "ada@example.com", Status: db.OwnerActive, CreatedAt: at(1), UpdatedAt: at(1)},
			{ID: 2, Name: "Ben Gone", ManagerID: 1, Status: db.OwnerDeparted, LeavingOn: "2026-01-05", Notes: "Left.",
				CreatedAt: at(1), UpdatedAt: at(5)},
		}),
		Accounts: slices.Values([]db.Account{
			{ID: 1, Name: "Acme", Platform: "Meta", Kind: "Business Manager", OwnerID: 1, Criticality: "critical",
				Status: "active", CreatedAt: at(2), UpdatedAt: at(2)},
			{ID: 2, Name: "Acme – Ads", Platform: "Meta", Kind: "Ad account", ParentID: 1, OwnerID: 1, Criticality: "high",
				Status: "active", CreatedAt: at(2), UpdatedAt: at(2)},
		}),
		Integrations: slices.Values([]db.Integration{
			{ID: 1, Name: "Catalog sync", RunsOn: "GitHub Actions", ResponsibleOwnerID: 1, Status: "active",
				CreatedAt: at(3), UpdatedAt: at(3)},
		}),
		SystemUsers: slices.Values([]db.SystemUser{
			{ID: 1, Name: "catalog-bot", AccountID: 1, Admin: true, ResponsibleOwnerID: 1, IntegrationID: 1, Status: "active",
				CreatedAt: at(3), UpdatedAt: at(3)},
		}),
		Roles: slices.Values([]db.Role{
			{ID: 1, AccountID: 2, OwnerID: 2, Role: "Admin", Admin: true, GrantedOn: "2026-01-02", GrantedBy: "Ada Admin",
				LastReviewedOn: "2026-01-02", Status: "active", CreatedAt: at(2), UpdatedAt: at(2)},
			{ID: 2, AccountID: 2, SystemUserID: 1, Role: "Advertiser", GrantedOn: "2026-01-03", LastReviewedOn: "2026-01-03",
				Status: "active", CreatedAt: at(3), UpdatedAt: at(3)},
		}),
		Tokens: slices.Values([]db.Token{
			{ID: 1, Name: "Catalog token", Kind: "system_user_token", AccountID: 1, SystemUserID: 1, IntegrationID: 1,
				ResponsibleOwnerID: 1, CreatedByOwnerID: 1, IssuedOn: "2026-01-03", LastReviewedOn: "2026-01-03",
				Status: "active", CreatedAt: at(3), UpdatedAt: at(3)},
		}),
		Events: slices.Values([]db.BulkEvent{
			{At: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), Actor: it, Event: db.Event{Action: "owner.created",
				Subject: db.Ref{Kind: "owner", ID: 1}, Summary: "Created owner Ada Admin",
				Changes: db.CreatedChanges("name", "Ada Admin", "email", "ada@example.com", "title", "")}},
			{At: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC), Actor: it, Event: db.Event{Action: "role.created",
				Subject: db.Ref{Kind: "role", ID: 1}, Summary: `Granted role "Admin"`,
				Related: []db.Ref{{Kind: "account", ID: 2}, {Kind: "owner", ID: 2}}}},
			{At: time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC), Actor: it, Event: db.Event{Action: "token.created",
				Subject: db.Ref{Kind: "token", ID: 1}, Summary: "Registered token Catalog token",
				Related: []db.Ref{{Kind: "account", ID: 1}, {Kind: "system_user", ID: 1}, {Kind: "integration", ID: 1},
					{Kind: "owner", ID: 1}, {Kind: "owner", ID: 1}, {Kind: "owner", ID: 0}}}},
			{At: time.Date(2026, 1, 4, 9, 0, 0, 0, time.UTC), Actor: db.Actor{Email: "ada@example.com", IP: "10.30.1.2"},
				Event: db.Event{Action: "user.signed_in", Summary: "Signed in"}},
		}),
	}
}

// indexNames lists the database's indexes.
func indexNames(t *testing.T, s *db.Store) string {
	t.Helper()
	return str(t, s, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name)")
}

func TestBulkLoadWritesRowsAndContinuesTheChain(t *testing.T) {
	ctx := context.Background()
	s := openStoreWithKey(t, testAuditKey)
	indexes := indexNames(t, s)
	// An event from before the load: the loaded events chain on from it.
	if err := s.Audit(ctx, actor, db.Event{Action: "user.signed_in", Summary: "Signed in"}); err != nil {
		t.Fatal(err)
	}

	st, err := s.BulkLoad(ctx, bulkSample())
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	// Links: owner 1; role 1, account 2, owner 2; token 1, account 1,
	// system user 1, integration 1, owner 1 (once, though named twice).
	want := db.BulkStats{Owners: 2, Accounts: 2, Integrations: 1, SystemUsers: 1, Roles: 2, Tokens: 1, Events: 4, Links: 9,
		HeadID: 5, HeadHash: st.HeadHash}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	for table, n := range map[string]int64{"owners": 2, "accounts": 2, "integrations": 1, "system_users": 1, "roles": 2,
		"tokens": 1, "audit_events": 5, "audit_links": 9} {
		if got := count(t, s, "SELECT COUNT(*) FROM "+table); got != n {
			t.Errorf("%s holds %d rows, want %d", table, got, n)
		}
	}

	// The store reads the rows back as they were given.
	ben, err := s.OwnerByID(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if ben.Name != "Ben Gone" || ben.ManagerName != "Ada Admin" || ben.Status != db.OwnerDeparted || ben.LeavingOn != "2026-01-05" ||
		ben.Notes != "Left." || ben.UpdatedAt != "2026-01-05T09:00:00.000Z" {
		t.Errorf("owner 2 = %+v", ben)
	}
	tok, err := s.TokenByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tok.SystemUserName != "catalog-bot" || tok.IntegrationName != "Catalog sync" || tok.ResponsibleName != "Ada Admin" ||
		tok.OwnerID != 0 || tok.ExpiresOn != "" {
		t.Errorf("token 1 = %+v", tok)
	}
	// Each event shows on the timelines of the records it names.
	page, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: 1}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Events {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "token.created owner.created" {
		t.Errorf("owner 1's timeline = %s, want token.created owner.created", got)
	}
	if got := str(t, s, "SELECT changes FROM audit_events WHERE action = 'owner.created'"); got !=
		`[{"field":"name","before":"","after":"Ada Admin"},{"field":"email","before":"","after":"ada@example.com"}]` {
		t.Errorf("owner.created changes = %s", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_in' AND record_id IS NULL AND user_id IS NULL"); n != 2 {
		t.Errorf("sign-ins without a record or user = %d, want 2", n)
	}

	// Foreign keys were off while it wrote; every reference holds, and the
	// indexes it dropped are back.
	if n := count(t, s, "SELECT COUNT(*) FROM pragma_foreign_key_check()"); n != 0 {
		t.Errorf("foreign key check: %d broken references", n)
	}
	if got := indexNames(t, s); got != indexes {
		t.Errorf("indexes after the load:\n%s\nwant\n%s", got, indexes)
	}

	// The chain verifies up to the head the load reported, and the store's
	// own writer continues it.
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 || res.Checked != 5 || res.HeadID != st.HeadID || res.HeadHash != st.HeadHash {
		t.Fatalf("VerifyAudit = %+v, %v; want 5 intact ending at %d %s", res, err, st.HeadID, st.HeadHash)
	}
	if _, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "After Load"}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 || res.Checked != 6 {
		t.Fatalf("after a change: VerifyAudit = %+v, %v", res, err)
	}

	// A second load is refused and writes nothing.
	if _, err := s.BulkLoad(ctx, bulkSample()); err == nil || !strings.Contains(err.Error(), "already holds records") {
		t.Errorf("second BulkLoad: %v, want a refusal", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners"); n != 3 {
		t.Errorf("owners = %d after a refused load, want 3", n)
	}
}

func TestBulkLoadRollsBackOnABadEvent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	indexes, evs := indexNames(t, s), events(t, s)
	b := bulkSample()
	b.Events = slices.Values([]db.BulkEvent{{At: time.Now(), Event: db.Event{Action: "owner.created",
		Subject: db.Ref{Kind: "person", ID: 1}, Summary: "Created owner"}}})
	if _, err := s.BulkLoad(ctx, b); err == nil || !strings.Contains(err.Error(), "person 1") {
		t.Fatalf("BulkLoad with a link to an unknown kind: %v, want an error naming it", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners"); n != 0 || events(t, s) != evs {
		t.Errorf("a failed load left %d owners and %d events", n, events(t, s)-evs)
	}
	if got := indexNames(t, s); got != indexes {
		t.Errorf("indexes after a failed load:\n%s\nwant\n%s", got, indexes)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 {
		t.Errorf("VerifyAudit after a failed load = %+v, %v", res, err)
	}
}
