package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// seedMetaBusiness records a business as someone typed it in: the Business
// Manager, one ad account and one Page (gone from Meta since), a system user
// with a role on the ad account, another gone from Meta, and a person.
func seedMetaBusiness(t *testing.T, s *db.Store) (bm, ads, oldPage, capi, gone int64) {
	t.Helper()
	bm = mustAccount(t, s, db.AccountInput{Name: "Northwind BM", Platform: "Meta", Kind: "Business Manager", ExternalID: "9001"})
	ads = mustAccount(t, s, db.AccountInput{Name: "Prospecting", Platform: "Meta", Kind: "Ad account", ExternalID: "111", ParentID: id(bm)})
	oldPage = mustAccount(t, s, db.AccountInput{Name: "Old Page", Platform: "Meta", Kind: "Page", ExternalID: "333", ParentID: id(bm)})
	capi = mustSystemUser(t, s, db.SystemUserInput{Name: "capi", AccountID: id(bm), ExternalID: "61"})
	gone = mustSystemUser(t, s, db.SystemUserInput{Name: "old-sync", AccountID: id(bm), ExternalID: "62"})
	mustRole(t, s, db.RoleInput{AccountID: id(ads), SystemUserID: id(capi), Role: "Advertiser"})
	ana := mustOwner(t, s, db.OwnerInput{Name: "Ana", Email: "ana@example.com"})
	mustRole(t, s, db.RoleInput{AccountID: id(bm), OwnerID: id(ana), Role: "Employee"})
	return
}

// metaSnapshot is what Meta holds of that business: the ad account renamed,
// a new Page, capi now an admin with MANAGE on the ad account and a new
// system user on the Page, Ana promoted and Ben new.
func metaSnapshot() db.MetaSnapshot {
	return db.MetaSnapshot{
		BusinessID: "9001", ReadAt: time.Date(2026, 12, 3, 10, 40, 0, 0, time.UTC),
		SystemUsers: []db.MetaSystemUser{{ID: "61", Name: "capi", Role: "ADMIN"}, {ID: "63", Name: "reporting", Role: "EMPLOYEE"}},
		People:      []db.MetaPerson{{ID: "p1", Name: "Ana", Email: "ANA@example.com", Role: "ADMIN"}, {ID: "p2", Name: "Ben", Email: "ben@example.com", Role: "EMPLOYEE"}},
		AdAccounts:  []db.MetaAsset{{ID: "111", Name: "Prospecting 2027"}},
		Pages:       []db.MetaAsset{{ID: "222", Name: "Trail Journal"}},
		Assignments: []db.MetaAssignment{
			{SystemUserID: "61", AssetID: "111", AssetKind: "ad_account", Tasks: []string{"MANAGE", "ADVERTISE"}},
			{SystemUserID: "63", AssetID: "222", AssetKind: "page", Tasks: []string{"ANALYZE"}},
		},
	}
}

func kindsOf(items []db.MetaSyncItem) map[string]int {
	out := map[string]int{}
	for _, it := range items {
		out[it.Kind]++
	}
	return out
}

func TestMetaSyncPreviewAndApply(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm, ads, oldPage, capi, gone := seedMetaBusiness(t, s)
	before := events(t, s)

	plan, err := s.PreviewMetaSync(ctx, metaSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	// Create: the Page, reporting, Ben, Ben's role, reporting's role.
	if got := kindsOf(plan.Create); got["account"] != 1 || got["system_user"] != 1 || got["owner"] != 1 || got["role"] != 2 || len(plan.Create) != 5 {
		t.Errorf("create = %v, want 1 account, 1 system user, 1 owner, 2 roles", got)
	}
	// Update: the ad account's name, capi's admin, capi's role, Ana's role.
	if got := kindsOf(plan.Update); got["account"] != 1 || got["system_user"] != 1 || got["role"] != 2 || len(plan.Update) != 4 {
		t.Errorf("update = %v, want 1 account, 1 system user, 2 roles", got)
	}
	if got := kindsOf(plan.Gone); got["account"] != 1 || got["system_user"] != 1 || len(plan.Gone) != 2 {
		t.Errorf("gone = %v, want the old Page and old-sync", got)
	}
	if n := events(t, s); n != before {
		t.Errorf("a preview wrote %d events", n-before)
	}

	if _, err := s.CreateWebhook(ctx, actor, db.WebhookInput{URL: "https://hooks.example.com/steward", Format: "json",
		Secret: "a-long-shared-secret-1234", Events: []string{db.EventMetaDrift}}); err != nil {
		t.Fatal(err)
	}
	older, _, err := s.RecordMetaSync(ctx, actor, metaSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	syncID, _, err := s.RecordMetaSync(ctx, actor, metaSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	// The first sync's drift alerts the admins; the second finds nothing new.
	if n := count(t, s, "SELECT COUNT(*) FROM outbox WHERE event = ?", db.EventMetaDrift); n != 1 {
		t.Errorf("%d meta.drift_found messages queued, want 1", n)
	}
	if _, err := s.ApplyMetaSync(ctx, actor, older); err != db.ErrMetaSyncStale {
		t.Errorf("applying a sync read before the latest: %v", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM meta_drift WHERE finding = 'unrecorded-on-platform'"); n != 2 {
		t.Errorf("unrecorded drift = %d, want reporting and its Page role", n)
	}
	if _, err := s.ApplyMetaSync(ctx, actor, syncID); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT name FROM accounts WHERE id = ?", ads); got != "Prospecting 2027" {
		t.Errorf("ad account name = %q", got)
	}
	if n := count(t, s, "SELECT admin FROM system_users WHERE id = ?", capi); n != 1 {
		t.Error("capi is not an admin after the sync")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE system_user_id = ? AND role = 'Admin' AND admin = 1", capi); n != 1 {
		t.Error("capi's role was not renamed after its tasks")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE external_id = '222' AND parent_id = ?", bm); n != 1 {
		t.Error("the new Page is not recorded under the business")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles r JOIN owners o ON o.id = r.owner_id WHERE o.email = 'ben@example.com' AND r.account_id = ?", bm); n != 1 {
		t.Error("Ben has no role on the business")
	}
	// Gone records stay as they were, and stay listed as drift.
	if st := str(t, s, "SELECT status FROM accounts WHERE id = ?", oldPage) + str(t, s, "SELECT status FROM system_users WHERE id = ?", gone); st != "activeactive" {
		t.Errorf("records gone from Meta were changed: %s", st)
	}
	// One event per change, naming the sync, plus the sync's own.
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE id > ? AND summary LIKE '%from the Meta sync of 3 Dec 2026 10:40'", before); n != 9 {
		t.Errorf("%d events name the sync, want 9", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'meta_sync.applied'"); n != 1 {
		t.Error("no meta_sync.applied event")
	}
	if got := str(t, s, "SELECT last_seen_on_meta FROM system_users WHERE id = ?", capi); !strings.HasPrefix(got, "2026-12-03T10:40") {
		t.Errorf("capi last seen on Meta = %q", got)
	}
	if got := str(t, s, "SELECT last_seen_on_meta FROM system_users WHERE id = ?", gone); got != "" {
		t.Errorf("old-sync last seen on Meta = %q, want never", got)
	}
	// What is left: only what is gone from Meta.
	f := findingsByKind(t, s)
	if f[db.FindingUnrecordedOnPlatform].Count != 0 || f[db.FindingGoneFromPlatform].Count != 2 {
		t.Errorf("after apply: unrecorded %d, gone %d; want 0 and 2", f[db.FindingUnrecordedOnPlatform].Count, f[db.FindingGoneFromPlatform].Count)
	}
	if again, err := s.PreviewMetaSync(ctx, metaSnapshot()); err != nil || !again.Empty() {
		t.Errorf("a second preview still plans %d creates and %d updates (%v)", len(again.Create), len(again.Update), err)
	}
	if _, err := s.ApplyMetaSync(ctx, actor, syncID); err != db.ErrMetaSyncApplied {
		t.Errorf("applying twice: %v", err)
	}

	// Dismissing one gone item hides it, with an event.
	item := f[db.FindingGoneFromPlatform].Items[0]
	if err := s.DismissDrift(ctx, actor, item.DismissID); err != nil {
		t.Fatal(err)
	}
	if f := findingsByKind(t, s); f[db.FindingGoneFromPlatform].Count != 1 {
		t.Errorf("after dismissing: gone %d, want 1", f[db.FindingGoneFromPlatform].Count)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'meta_drift.dismissed'"); n != 1 {
		t.Error("no meta_drift.dismissed event")
	}
}

// A record Meta gives that Steward cannot hold (a name past 200
// characters) refuses the whole apply: nothing is written.
func TestMetaSyncApplyIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	seedMetaBusiness(t, s)
	snap := metaSnapshot()
	snap.People = append(snap.People, db.MetaPerson{ID: "p3", Name: strings.Repeat("x", 300), Email: "long@example.com", Role: "EMPLOYEE"})
	syncID, _, err := s.RecordMetaSync(ctx, actor, snap)
	if err != nil {
		t.Fatal(err)
	}
	before := events(t, s)
	var refused *db.MetaSyncRefusedError
	if _, err := s.ApplyMetaSync(ctx, actor, syncID); !errors.As(err, &refused) || refused.Kind != "owner" {
		t.Fatalf("apply: %v, want the long name's owner refused", err)
	}
	if n := events(t, s); n != before {
		t.Errorf("a failed apply wrote %d events", n-before)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE external_id = '222'") + count(t, s, "SELECT COUNT(*) FROM accounts WHERE name = 'Prospecting 2027'"); n != 0 {
		t.Error("a failed apply kept some changes")
	}
	if st := str(t, s, "SELECT status FROM meta_syncs WHERE id = ?", syncID); st != "pending" {
		t.Errorf("sync status = %q", st)
	}
}

// A sync reads ad accounts and Pages only: the business's Instagram
// account, pixel or catalog, and a system user's role on one, are never
// "gone from Meta" because Meta's answer does not list them.
func TestMetaSyncGoneOnlyOfKindsItReads(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm, _, _, capi, _ := seedMetaBusiness(t, s)
	insta := mustAccount(t, s, db.AccountInput{Name: "Northwind IG", Platform: "Meta", Kind: "Instagram account", ExternalID: "1784", ParentID: id(bm)})
	mustAccount(t, s, db.AccountInput{Name: "Shop pixel", Platform: "Meta", Kind: "Pixel", ExternalID: "2749", ParentID: id(bm)})
	mustRole(t, s, db.RoleInput{AccountID: id(insta), SystemUserID: id(capi), Role: "Content"})
	plan, err := s.PreviewMetaSync(ctx, metaSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range plan.Gone {
		if strings.Contains(it.Name, "Northwind IG") || strings.Contains(it.Name, "Shop pixel") || it.Name == "Content" {
			t.Errorf("gone from Meta: %s %q (%s), a kind no sync reads", it.Kind, it.Name, it.Detail)
		}
	}
	if got := kindsOf(plan.Gone); got["account"] != 1 || got["system_user"] != 1 || len(plan.Gone) != 2 {
		t.Errorf("gone = %v, want the old Page and old-sync only", got)
	}
}

// A sync names the business as Meta does: a new business account takes
// Meta's name rather than "Meta business <id>", and a recorded one with
// another name is renamed, like its ad accounts and Pages.
func TestMetaSyncNamesTheBusiness(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	snap := metaSnapshot()
	snap.BusinessName = "Northwind Outfitters"
	plan, err := s.PreviewMetaSync(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Create) == 0 || plan.Create[0].Kind != "account" || plan.Create[0].Name != "Northwind Outfitters" {
		t.Errorf("the new business account is %+v, want Meta's name", plan.Create[0])
	}
	bm, _, _, _, _ := seedMetaBusiness(t, s)
	if plan, err = s.PreviewMetaSync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, it := range plan.Update {
		renamed = renamed || it.ID == bm && len(it.Changes) == 1 && it.Changes[0] == db.Change{Field: "name", Before: "Northwind BM", After: "Northwind Outfitters"}
	}
	if !renamed {
		t.Errorf("updates %+v do not rename the business to Meta's name", plan.Update)
	}
}
