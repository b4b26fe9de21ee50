package seed_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"steward/db"
	"steward/internal/seed"
)

// seedSmall is the size the tests seed: small enough for -race, large
// enough to plant every kind of risk.
var seedSmall = seed.Size{Owners: 200, Tokens: 2000, Events: 20000, Seed: 7}

// seedAt opens a fresh database with the clock at now and seeds it.
func seedAt(t testing.TB, now time.Time, size seed.Size) (*db.Store, db.BulkStats) {
	t.Helper()
	s := open(t, now)
	st, err := seed.Scale(context.Background(), s, size)
	if err != nil {
		t.Fatalf("Scale: %v", err)
	}
	return s, st
}

func TestScaleIsReproducibleAndChained(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	a, statsA := seedAt(t, now, seedSmall)
	b, statsB := seedAt(t, now, seedSmall)
	if statsA != statsB {
		t.Fatalf("two seeds differ:\n%+v\n%+v", statsA, statsB)
	}
	if statsA.Owners != 200 || statsA.Tokens != 2000 || statsA.Events != 20000 {
		t.Fatalf("stats = %+v, want 200 owners, 2000 tokens, 20000 events", statsA)
	}
	if statsA.Accounts < 10 || statsA.Roles < statsA.Owners || statsA.SystemUsers == 0 || statsA.Integrations == 0 {
		t.Errorf("stats = %+v: too few accounts, roles, system users or integrations", statsA)
	}

	// The tables hold what the stats say, the same in both databases.
	for _, q := range []string{"SELECT COUNT(*) FROM owners", "SELECT COUNT(*) FROM tokens", "SELECT COUNT(*) FROM audit_events",
		"SELECT COUNT(*) FROM audit_links", "SELECT COUNT(*) FROM roles WHERE status = 'active'",
		"SELECT COUNT(*) FROM tokens WHERE expires_on = ''", "SELECT COUNT(*) FROM tokens WHERE fingerprint <> ''"} {
		na, err := a.QueryInt(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		nb, _ := b.QueryInt(ctx, q)
		if na != nb || na == 0 {
			t.Errorf("%s: %d and %d, want equal and non-zero", q, na, nb)
		}
	}
	// The seed writes with foreign keys off for speed; every reference holds.
	if n, err := a.QueryInt(ctx, "SELECT COUNT(*) FROM pragma_foreign_key_check()"); err != nil || n != 0 {
		t.Errorf("foreign key check: %d broken references, %v", n, err)
	}
	// Seeded records pass their own forms' checks, so editing one works.
	if n, err := a.QueryInt(ctx, "SELECT COUNT(*) FROM roles WHERE review_by != '' AND review_by < granted_on"); err != nil || n != 0 {
		t.Errorf("%d roles are due for review before they were granted, %v", n, err)
	}
	if n, _ := a.QueryInt(ctx, "SELECT COUNT(*) FROM audit_links"); n != int64(statsA.Links) {
		t.Errorf("audit_links holds %d rows, stats say %d", n, statsA.Links)
	}

	// The chain verifies, and ends where the seed says it does.
	res, err := a.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.BrokenID != 0 || res.Checked != 20000 {
		t.Fatalf("VerifyAudit = %+v, want 20000 intact", res)
	}
	if res.HeadID != statsA.HeadID || res.HeadHash != statsA.HeadHash {
		t.Errorf("chain head %d %s, seed reported %d %s", res.HeadID, res.HeadHash, statsA.HeadID, statsA.HeadHash)
	}

	// A change through the dashboard's own writer continues the chain.
	if _, err := a.CreateOwner(ctx, db.SystemActor("test"), db.OwnerInput{Name: "After Seed", Email: "after.seed@example.com"}); err != nil {
		t.Fatal(err)
	}
	if res, err := a.VerifyAudit(ctx); err != nil || res.BrokenID != 0 || res.Checked != 20001 {
		t.Fatalf("after a change: VerifyAudit = %+v, %v", res, err)
	}
}

func TestScalePlantsRisks(t *testing.T) {
	ctx := context.Background()
	s, _ := seedAt(t, time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), seedSmall)
	findings, err := s.Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range findings {
		counts[f.Kind] = f.Count
		if f.Count > 0 && len(f.Items) == 0 {
			t.Errorf("finding %s counts %d but lists nothing", f.Kind, f.Count)
		}
	}
	for _, kind := range []string{"never-expires", "expiring-soon", "expired-active", "owner-departed", "no-owner",
		"creator-departed", "review-overdue", "departed-with-access", "retired-integration-active-token", "admin-system-user"} {
		if counts[kind] == 0 {
			t.Errorf("finding %s is empty; the seed should plant it (all: %v)", kind, counts)
		}
	}
	// A token's timeline shows its creation, and the people it names see it too.
	page, err := s.Timeline(ctx, db.Ref{Kind: "token", ID: 1}, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range page.Events {
		found = found || e.Action == "token.created"
	}
	if !found {
		t.Errorf("token 1's timeline has no token.created among %d events", len(page.Events))
	}
	// A second seed into the same database is refused, not mixed in.
	if _, err := seed.Scale(ctx, s, seedSmall); err == nil {
		t.Error("Scale into a seeded database: want an error")
	}
}

// BenchmarkScale1M times the dataset `make bench` uses:
//
//	go test ./internal/seed -run '^$' -bench Scale1M -benchtime 1x
func BenchmarkScale1M(b *testing.B) {
	for b.Loop() {
		start := time.Now()
		_, st := seedAt(b, time.Now(), seed.Size{Owners: 10_000, Tokens: 100_000, Events: 1_000_000, Seed: 1})
		b.Logf("seeded %+v in %s", st, time.Since(start).Round(time.Millisecond))
	}
}

// The seed keeps a Meta sync whose preview creates, updates, finds gone and
// sees records, and leaves both kinds of drift finding: the same each time.
func TestScaleKeepsAMetaSync(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	a, _ := seedAt(t, now, seedSmall)
	b, _ := seedAt(t, now, seedSmall)
	var syncs [2]db.MetaSync
	for i, s := range []*db.Store{a, b} {
		id, err := s.QueryInt(ctx, "SELECT MAX(id) FROM meta_syncs")
		if err != nil || id == 0 {
			t.Fatalf("no meta sync kept: %v", err)
		}
		if syncs[i], err = s.MetaSyncByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(syncs[0].Snapshot, syncs[1].Snapshot) {
		t.Error("two seeds kept different Meta snapshots")
	}
	snap := syncs[0].Snapshot
	if len(snap.SystemUsers) < 20 || len(snap.Assignments) < 40 || len(snap.People) < 20 || len(snap.AdAccounts) == 0 || len(snap.Pages) == 0 {
		t.Errorf("snapshot too small: %d system users, %d assignments, %d people, %d ad accounts, %d Pages",
			len(snap.SystemUsers), len(snap.Assignments), len(snap.People), len(snap.AdAccounts), len(snap.Pages))
	}
	plan, err := a.PreviewMetaSync(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"owner", "system_user", "role"} {
		if !slices.ContainsFunc(plan.Create, func(it db.MetaSyncItem) bool { return it.Kind == k }) {
			t.Errorf("the preview creates no %s", k)
		}
	}
	for _, k := range []string{"account", "system_user", "role"} {
		if !slices.ContainsFunc(plan.Update, func(it db.MetaSyncItem) bool { return it.Kind == k }) {
			t.Errorf("the preview updates no %s", k)
		}
		if !slices.ContainsFunc(plan.Gone, func(it db.MetaSyncItem) bool { return it.Kind == k }) {
			t.Errorf("the preview finds no %s gone", k)
		}
	}
	if plan.Seen < 20 {
		t.Errorf("the preview sees %d recorded records", plan.Seen)
	}
	for _, f := range []string{db.FindingUnrecordedOnPlatform, db.FindingGoneFromPlatform} {
		if n, err := a.QueryInt(ctx, "SELECT COUNT(*) FROM meta_drift WHERE finding = ?", f); err != nil || n == 0 {
			t.Errorf("no %s drift kept (%v)", f, err)
		}
	}
}
