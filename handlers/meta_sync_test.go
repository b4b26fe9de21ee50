package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
)

const metaSyncToken = "EAAsyncTokenValue0123456789"

// syncWorld is Steward's router with a Meta business recorded by hand
// (the business, one ad account, a system user on it) and the fake Graph
// API holding what Meta really has: the ad account renamed, a Page and a
// second system user nobody recorded, a person.
func syncWorld(t *testing.T) (*testApp, *client, *metatest.Server) {
	t.Helper()
	fake := metatest.New(t)
	fake.AddToken(metaSyncToken, metatest.Token{Valid: true, Type: "SYSTEM_USER", Scopes: []string{"business_management"}})
	fake.SetBusiness(db.MetaSnapshot{
		BusinessID:  "9001",
		SystemUsers: []db.MetaSystemUser{{ID: "61", Name: "capi", Role: "EMPLOYEE"}, {ID: "63", Name: "reporting", Role: "EMPLOYEE"}},
		People:      []db.MetaPerson{{ID: "p1", Name: "Ana", Email: "ana@example.com", Role: "ADMIN"}},
		AdAccounts:  []db.MetaAsset{{ID: "111", Name: "Prospecting 2027"}},
		Pages:       []db.MetaAsset{{ID: "222", Name: "Trail Journal"}},
		Assignments: []db.MetaAssignment{
			{SystemUserID: "61", AssetID: "111", AssetKind: "ad_account", Tasks: []string{"ADVERTISE"}},
			{SystemUserID: "63", AssetID: "222", AssetKind: "page", Tasks: []string{"ANALYZE"}},
		},
	})
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, Meta: &meta.Client{BaseURL: fake.URL}})
	app.createUser("admin@example.com", db.RoleAdmin)
	ctx := t.Context()
	bm, err := app.store.CreateAccount(ctx, db.SystemActor("test"), db.AccountInput{Name: "Northwind BM", Platform: "Meta", ExternalID: "9001"})
	if err != nil {
		t.Fatal(err)
	}
	ads, err := app.store.CreateAccount(ctx, db.SystemActor("test"), db.AccountInput{Name: "Prospecting", Platform: "Meta", ExternalID: "111", ParentID: id(bm)})
	if err != nil {
		t.Fatal(err)
	}
	capi, err := app.store.CreateSystemUser(ctx, db.SystemActor("test"), db.SystemUserInput{Name: "capi", AccountID: id(bm), ExternalID: "61"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.store.CreateRole(ctx, db.SystemActor("test"), db.RoleInput{AccountID: id(ads), SystemUserID: id(capi), Role: "Advertiser"}); err != nil {
		t.Fatal(err)
	}
	return app, app.signedIn("admin@example.com"), fake
}

func TestMetaSyncPreviewApplyAndDrift(t *testing.T) {
	app, admin, _ := syncWorld(t)
	before := app.count("SELECT COUNT(*) FROM audit_events")

	r := admin.post("/admin/connectors/meta/sync", url.Values{"business_id": {"9001"}, "access_token": {metaSyncToken}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/admin/connectors/meta/syncs/") {
		t.Fatalf("sync: status %d, location %q: %s", r.status, r.location(), r.body)
	}
	page := admin.get(r.location())
	preview := tagsWith(page.body, "meta-sync-preview")
	// Create: the Page, reporting, Ana, Ana's role, reporting's role on the
	// Page; update: the ad account's name.
	if len(preview) != 1 || preview[0]["data-create"] != "5" || preview[0]["data-update"] != "1" || preview[0]["data-gone"] != "0" {
		t.Fatalf("preview counts %v, want 5 to create, 1 to update", preview)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events"); n != before {
		t.Errorf("reading the business wrote %d audit events", n-before)
	}
	if n := app.count("SELECT COUNT(*) FROM meta_syncs WHERE snapshot LIKE ?", "%"+metaSyncToken+"%"); n != 0 {
		t.Error("the pasted token was kept with the sync")
	}
	home := admin.get("/")
	if n := findingCount(t, home.body, db.FindingUnrecordedOnPlatform); n != "2" {
		t.Errorf("unrecorded-on-platform shows %s, want reporting and its Page", n)
	}

	syncID := idFromLocation(t, r, "/admin/connectors/meta/syncs/")
	r = admin.post("/admin/connectors/meta/sync/apply", url.Values{"sync": {id(syncID)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("apply: status %d: %s", r.status, r.body)
	}
	if n := app.count("SELECT COUNT(*) FROM system_users WHERE external_id = '63'"); n != 1 {
		t.Error("reporting was not recorded")
	}
	if n := app.count("SELECT COUNT(*) FROM accounts WHERE external_id = '111' AND name = 'Prospecting 2027' AND last_seen_on_meta > ''"); n != 1 {
		t.Error("the ad account was not renamed and stamped seen")
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE summary LIKE '%from the Meta sync of%'"); n != 6 {
		t.Errorf("%d events name the sync, want 6", n)
	}
	adsID := app.count("SELECT id FROM accounts WHERE external_id = '111'")
	if seen := tagsWith(admin.get("/accounts/"+id(adsID)).body, "seen-on-meta"); len(seen) != 1 {
		t.Error("the ad account's page does not say when it was seen on Meta")
	}
	home = admin.get("/")
	if n := findingCount(t, home.body, db.FindingUnrecordedOnPlatform); n != "0" {
		t.Errorf("after apply, unrecorded-on-platform shows %s", n)
	}
	if r := admin.post("/admin/connectors/meta/sync/apply", url.Values{"sync": {id(syncID)}}); r.status != http.StatusSeeOther ||
		app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'meta_sync.applied'") != 1 {
		t.Errorf("a second apply: status %d", r.status)
	}
}

// Meta no longer lists the ad account nor capi: both show as gone from
// Meta, untouched, until dismissed one by one.
func TestMetaSyncGoneFromMetaAndDismiss(t *testing.T) {
	app, admin, fake := syncWorld(t)
	fake.SetBusiness(db.MetaSnapshot{BusinessID: "9001"})
	r := admin.post("/admin/connectors/meta/sync", url.Values{"business_id": {"9001"}, "access_token": {metaSyncToken}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sync: status %d: %s", r.status, r.body)
	}
	page := admin.get(r.location())
	if p := tagsWith(page.body, "meta-sync-preview"); len(p) != 1 || p[0]["data-gone"] != "3" {
		t.Fatalf("preview %v, want the ad account, capi and its role gone", p)
	}
	if !strings.Contains(page.body, "/checklist") {
		t.Error("the gone records offer no checklist")
	}
	home := admin.get("/")
	if n := findingCount(t, home.body, db.FindingGoneFromPlatform); n != "3" {
		t.Fatalf("gone-from-platform shows %s, want 3", n)
	}
	dismiss := app.count("SELECT MIN(id) FROM meta_drift")
	if r := admin.post("/findings/drift/"+id(dismiss)+"/dismiss", nil); r.status != http.StatusSeeOther {
		t.Fatalf("dismiss: status %d", r.status)
	}
	if n := findingCount(t, admin.get("/").body, db.FindingGoneFromPlatform); n != "2" {
		t.Errorf("after dismissing one, gone-from-platform shows %s", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'meta_drift.dismissed'"); n != 1 {
		t.Error("the dismissal is not audited")
	}
	if n := app.count("SELECT COUNT(*) FROM system_users WHERE status = 'active'"); n != 1 {
		t.Error("a sync removed a system user")
	}
}

// Graph errors are named in words; nothing is kept or applied.
func TestMetaSyncGraphErrors(t *testing.T) {
	app, admin, fake := syncWorld(t)
	cases := []struct {
		name   string
		fault  metatest.Fault
		status int
		says   string
	}{
		{"rate limited", metatest.Fault{Code: 613}, http.StatusServiceUnavailable, "rate limited"},
		{"invalid token", metatest.Fault{Code: 190}, http.StatusUnprocessableEntity, "invalid or has expired"},
		{"missing permission", metatest.Fault{Code: 200}, http.StatusUnprocessableEntity, "lacks a permission"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Fail("assigned_pages", tc.fault)
			defer fake.Fail("assigned_pages", metatest.Fault{})
			before := app.snapshot()
			r := admin.post("/admin/connectors/meta/sync", url.Values{"business_id": {"9001"}, "access_token": {metaSyncToken}})
			if r.status != tc.status || !strings.Contains(r.body, tc.says) {
				t.Errorf("status %d, want %d saying %q", r.status, tc.status, tc.says)
			}
			if strings.Contains(r.body, metaSyncToken) {
				t.Error("the page shows the token back")
			}
			if after := app.snapshot(); after != before || app.count("SELECT COUNT(*) FROM meta_syncs") != 0 {
				t.Error("a failed read changed the database")
			}
		})
	}
	r := admin.post("/admin/connectors/meta/sync", url.Values{"business_id": {"90x"}})
	if r.status != http.StatusUnprocessableEntity || len(fieldErrors(r.body)) != 2 {
		t.Errorf("a bad form: status %d, errors %v", r.status, fieldErrors(r.body))
	}
}
