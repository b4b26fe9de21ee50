package seed_test

import (
	"context"
	"testing"
	"time"

	"steward/db"
	"steward/internal/seed"
)

// demo returns a store filled with the demo company on a fixed clock.
func demo(t *testing.T) *db.Store {
	t.Helper()
	s := open(t, time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC))
	if err := seed.Demo(context.Background(), s); err != nil {
		t.Fatalf("Demo: %v", err)
	}
	return s
}

func TestDemoFillsAnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	s := demo(t)
	today := s.Now().Format("2006-01-02")

	if n := count(t, s, "SELECT COUNT(*) FROM owners"); n < 18 || n > 25 {
		t.Errorf("owners = %d, want about 20", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners WHERE manager_id IS NOT NULL"); n < 10 {
		t.Errorf("owners with a manager = %d, want most of them", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners WHERE email NOT LIKE '%_@%_.example'"); n != 0 {
		t.Errorf("%d owners have an email outside a reserved .example domain", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners WHERE status = 'departed' AND leaving_on <> '' AND leaving_on < ?", today); n != 1 {
		t.Errorf("departed owners with a past leaving date = %d, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM owners WHERE status = 'offboarding' AND leaving_on > ? AND leaving_on <= date(?, '+31 days')", today, today); n != 1 {
		t.Errorf("owners offboarding in the coming weeks = %d, want 1", n)
	}

	// The risk the home page must find: a departed person still an admin on the Business Manager.
	q := `SELECT COUNT(*) FROM roles r JOIN owners o ON o.id = r.owner_id JOIN accounts a ON a.id = r.account_id
		WHERE o.status = 'departed' AND r.status = 'active' AND r.admin = 1 AND a.kind = 'Business Manager'`
	if n := count(t, s, q); n != 1 {
		t.Errorf("active BM admin roles held by departed owners = %d, want 1", n)
	}
	// ...whose other access was removed, leaving the row for the history.
	if n := count(t, s, `SELECT COUNT(*) FROM roles r JOIN owners o ON o.id = r.owner_id
		WHERE o.status = 'departed' AND r.status = 'removed'`); n < 1 {
		t.Error("the departed owner has no removed role")
	}

	bm := count(t, s, "SELECT id FROM accounts WHERE platform = 'Meta' AND kind = 'Business Manager'")
	if got := str(t, s, "SELECT url FROM accounts WHERE id = ?", bm); got != "https://business.facebook.com/settings/?business_id="+
		str(t, s, "SELECT external_id FROM accounts WHERE id = ?", bm) {
		t.Errorf("BM url = %q, want the business settings URL with its ID", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE account_id = ? AND status = 'active' AND admin = 1", bm); n != 2 {
		t.Errorf("BM admins = %d, want 2", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE parent_id = ? AND kind = 'Ad account'", bm); n < 2 || n > 3 {
		t.Errorf("ad accounts under the BM = %d, want 2 or 3", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE parent_id = ? AND kind = 'Page'", bm); n != 2 {
		t.Errorf("Pages under the BM = %d, want 2", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM accounts a WHERE kind = 'Ad account' AND
		(SELECT COUNT(*) FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1) = 1`); n < 1 {
		t.Error("no ad account has exactly one admin")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM accounts a WHERE status = 'active' AND NOT EXISTS
		(SELECT 1 FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1)`); n != 1 {
		t.Errorf("accounts with no admin-level holder = %d, want 1", n)
	}
	for _, platform := range []string{"GitHub", "AWS", "Google Workspace", "Stripe"} {
		if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE platform = ? AND owner_id IS NOT NULL", platform); n != 1 {
			t.Errorf("%s accounts with an accountable owner = %d, want 1", platform, n)
		}
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE platform = 'AWS' AND length(external_id) = 12 AND external_id NOT GLOB '*[^0-9]*'"); n != 1 {
		t.Error("the AWS account has no 12-digit account ID")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE owner_id IS NULL OR url = ''"); n != 0 {
		t.Errorf("%d accounts lack an accountable owner or a URL", n)
	}
	if n := count(t, s, "SELECT COUNT(DISTINCT criticality) FROM accounts"); n < 3 {
		t.Errorf("criticalities used = %d, want a spread", n)
	}

	active := count(t, s, "SELECT COUNT(*) FROM roles WHERE status = 'active' AND owner_id IS NOT NULL")
	if active < 25 || active > 40 {
		t.Errorf("active roles held by people = %d, want 25 to 40", active)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE review_by <> ''"); n < 5 {
		t.Errorf("roles with a review-by date = %d, want several", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE review_by <> '' AND review_by < ?", today); n < 1 {
		t.Error("no role is past its review date")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE granted_on = ''"); n != 0 {
		t.Errorf("%d roles have no grant date", n)
	}

	// Meta system users in the Business Manager, each with a responsible
	// owner and the integration it serves, holding roles on the ad accounts
	// and Pages under it.
	if n := count(t, s, "SELECT COUNT(*) FROM system_users WHERE account_id = ? AND status = 'active'", bm); n < 2 || n > 6 {
		t.Errorf("active system users in the BM = %d, want a few", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM system_users WHERE status = 'active' AND admin = 1"); n != 1 {
		t.Errorf("active admin system users = %d, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM system_users WHERE owner_id IS NULL OR integration_id IS NULL"); n != 0 {
		t.Errorf("%d system users lack a responsible owner or an integration", n)
	}
	if n := count(t, s, `SELECT COUNT(DISTINCT a.kind) FROM roles r JOIN accounts a ON a.id = r.account_id
		WHERE r.system_user_id IS NOT NULL AND r.status = 'active' AND a.parent_id = ?`, bm); n != 2 {
		t.Errorf("kinds of BM assets system users hold roles on = %d, want ad accounts and Pages", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM system_users su WHERE su.status = 'active' AND su.admin = 0
		AND EXISTS (SELECT 1 FROM roles r WHERE r.system_user_id = su.id AND r.status = 'active')`); n < 1 {
		t.Error("no regular system user holds an active role")
	}
	// Integrations: the three the issue names, one of them retired yet still
	// used by an active system user; a removed system user stays in the history.
	for name, status := range map[string]string{"Legacy CRM sync": "retired", "Looker Studio reporting": "active", "Shopify ↔ Meta catalog sync": "active"} {
		if got := str(t, s, "SELECT COALESCE((SELECT status FROM integrations WHERE name = ?), 'missing')", name); got != status {
			t.Errorf("integration %q status = %q, want %q", name, got, status)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM system_users su JOIN integrations i ON i.id = su.integration_id
		WHERE i.status = 'retired' AND su.status = 'active'`); n != 1 {
		t.Errorf("active system users of retired integrations = %d, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM integrations WHERE owner_id IS NULL"); n != 0 {
		t.Errorf("%d integrations have no responsible owner", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM system_users su WHERE su.status = 'removed' AND NOT EXISTS
		(SELECT 1 FROM roles r WHERE r.system_user_id = su.id AND r.status = 'active')`); n != 1 {
		t.Errorf("removed system users without active roles = %d, want 1", n)
	}
	for _, action := range []string{"integration.retired", "system_user.removed"} {
		if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = ?", action); n != 1 {
			t.Errorf("%s events = %d, want 1", action, n)
		}
	}

	// Every record came in through the Store, so each has its creation event, signed "demo".
	for _, kind := range []string{"owner", "account", "role", "system_user", "integration"} {
		records := count(t, s, "SELECT COUNT(*) FROM "+kind+"s")
		created := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = ? AND record_kind = ?", kind+".created", kind)
		if records != created {
			t.Errorf("%d %ss but %d %s.created events", records, kind, created, kind)
		}
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE actor <> 'demo'"); n != 0 {
		t.Errorf("%d events not signed by the demo actor", n)
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 || res.Checked != events(t, s) {
		t.Errorf("VerifyAudit = %+v, %v; want every event checked and none broken", res, err)
	}
}

func TestDemoIsANoOpOnceOwnersExist(t *testing.T) {
	ctx := context.Background()
	s := demo(t)
	owners, roles, evs := count(t, s, "SELECT COUNT(*) FROM owners"), count(t, s, "SELECT COUNT(*) FROM roles"), events(t, s)
	if err := seed.Demo(ctx, s); err != nil {
		t.Fatalf("second Demo: %v", err)
	}
	if count(t, s, "SELECT COUNT(*) FROM owners") != owners || count(t, s, "SELECT COUNT(*) FROM roles") != roles || events(t, s) != evs {
		t.Error("the second Demo changed the database")
	}

	// A database in use, even with a single owner, is left alone.
	s2 := open(t, time.Now())
	if _, err := s2.CreateOwner(ctx, db.SystemActor("test"), db.OwnerInput{Name: "Real Person"}); err != nil {
		t.Fatal(err)
	}
	if err := seed.Demo(ctx, s2); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s2, "SELECT COUNT(*) FROM owners"); n != 1 {
		t.Errorf("owners = %d after Demo on a database in use, want 1", n)
	}
	if n := count(t, s2, "SELECT COUNT(*) FROM accounts"); n != 0 {
		t.Errorf("accounts = %d after Demo on a database in use, want 0", n)
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	// Same clock, same data, same events: the chains end in the same hash.
	a, b := demo(t), demo(t)
	ha := str(t, a, "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
	hb := str(t, b, "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
	if ha != hb {
		t.Errorf("two seeds on the same clock differ: %s vs %s", ha, hb)
	}
}
