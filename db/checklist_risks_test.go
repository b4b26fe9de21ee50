package db_test

import (
	"context"
	"testing"

	"steward/db"
)

// risksOf is what ChecklistRisks says about the subject's items.
func risksOf(t *testing.T, s *db.Store, subject db.Ref, items []db.ChecklistItem) map[db.Ref][]db.AdminRisk {
	t.Helper()
	risks, err := s.ChecklistRisks(context.Background(), subject, items)
	if err != nil {
		t.Fatalf("ChecklistRisks(%v): %v", subject, err)
	}
	return risks
}

// An item that would leave an account with one admin or none says so before
// it is done: Ada and Bob are the Business Manager's two admins.
func TestChecklistRisks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	ada := db.Ref{Kind: "owner", ID: w.ada}
	adaRole := db.Ref{Kind: "role", ID: w.adaMetaRole}

	risks := risksOf(t, s, ada, plan(t, s, "owner", w.ada))
	if got := risks[adaRole]; len(got) != 1 || got[0].AccountID != w.metaBM || got[0].AccountName != "Acme BM" || got[0].AdminsLeft != 1 {
		t.Errorf("removing Ada's admin role: risks %+v, want Acme BM left with one admin", got)
	}
	if len(risks) != 1 {
		t.Errorf("risks on %d items, want only the admin role's: %+v", len(risks), risks)
	}

	// With Bob gone too, the Business Manager would have no admin left.
	if err := s.RemoveRole(ctx, actor, w.bobRole); err != nil {
		t.Fatal(err)
	}
	if got := risksOf(t, s, ada, plan(t, s, "owner", w.ada))[adaRole]; len(got) != 1 || got[0].AdminsLeft != 0 {
		t.Errorf("removing the only admin: risks %+v, want no admin left", got)
	}

	// Two more admins: removing Ada's role leaves two, no risk.
	for _, name := range []string{"Carl Third", "Dana Fourth"} {
		o := mustOwner(t, s, db.OwnerInput{Name: name})
		mustRole(t, s, db.RoleInput{AccountID: id(w.metaBM), OwnerID: id(o), Role: "Admin", Admin: "1"})
	}
	if got := risksOf(t, s, ada, plan(t, s, "owner", w.ada)); len(got) != 0 {
		t.Errorf("two admins stay, yet risks %+v", got)
	}

	// Removing a system user takes its admin roles with it: capi is the ad
	// account's only admin.
	mustRole(t, s, db.RoleInput{AccountID: id(w.adAccount), SystemUserID: id(w.capi), Role: "Admin", Admin: "1"})
	capi := db.Ref{Kind: "system_user", ID: w.capi}
	if got := risksOf(t, s, capi, plan(t, s, "system_user", w.capi))[capi]; len(got) != 1 || got[0].AccountID != w.adAccount || got[0].AdminsLeft != 0 {
		t.Errorf("removing capi: risks %+v, want Acme Ads left with no admin", got)
	}

	// Retiring an account removes every role on it: no warning about itself.
	if got := risksOf(t, s, db.Ref{Kind: "account", ID: w.adAccount}, plan(t, s, "account", w.adAccount)); len(got) != 0 {
		t.Errorf("retiring the ad account warns %+v", got)
	}

	// A done item is no longer a risk to warn about.
	items := plan(t, s, "system_user", w.capi)
	for i := range items {
		items[i].Done = true
	}
	if got := risksOf(t, s, capi, items); len(got) != 0 {
		t.Errorf("done items warn %+v", got)
	}
}
