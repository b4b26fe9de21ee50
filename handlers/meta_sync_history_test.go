package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/db"
)

// syncRows are the connector page's history rows, newest first.
func syncRows(t *testing.T, admin *client) []map[string]string {
	t.Helper()
	r := admin.get("/admin/connectors")
	if r.status != http.StatusOK {
		t.Fatalf("GET /admin/connectors: %d", r.status)
	}
	if strings.Contains(r.body, metaSyncToken) {
		t.Fatal("the connector page shows the token")
	}
	return tagsWith(r.body, "meta-sync-row")
}

// The connector page's Syncs: empty at first (saying how a sync runs),
// then each sync with who read it, its status and its counts, kept when it
// was read and updated when applied; a failed scheduled read says why in
// words and still lets the sync before it be applied.
func TestConnectorPageSyncHistory(t *testing.T) {
	app, admin, _ := syncWorld(t)
	if r := admin.get("/admin/connectors"); len(tagsWith(r.body, "no-meta-syncs")) != 1 || !strings.Contains(r.body, "once a day") {
		t.Fatal("with no sync, the page does not say none has run and how one runs")
	}

	r := admin.post("/admin/connectors/meta/sync", url.Values{"business_id": {"9001"}, "access_token": {metaSyncToken}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sync: status %d: %s", r.status, r.body)
	}
	syncID := idFromLocation(t, r, "/admin/connectors/meta/syncs/")
	if n := app.count("SELECT COUNT(*) FROM meta_syncs WHERE id = ? AND status = 'pending' AND to_create = 5 AND to_update = 1 AND gone = 0", syncID); n != 1 {
		t.Error("the sync's counts were not kept with it")
	}
	rows := syncRows(t, admin)
	if len(rows) != 1 || rows[0]["data-status"] != "pending" || rows[0]["data-create"] != "5" || rows[0]["data-update"] != "1" || rows[0]["data-gone"] != "0" {
		t.Fatalf("history after a sync: %v, want one pending sync, 5 to create and 1 to update", rows)
	}
	page := admin.get("/admin/connectors").body
	if !strings.Contains(page, `href="/admin/connectors/meta/syncs/`+id(syncID)+`"`) || !strings.Contains(page, "admin@example.com") || !strings.Contains(page, "pending preview") {
		t.Error("the sync's row does not link to its page, name its reader or say it is pending")
	}

	// The scheduled job's read failed after this preview.
	if err := app.store.RecordMetaSyncFailure(t.Context(), db.SystemActor("scheduled Meta sync"), "9001", app.store.Now(),
		"Meta refused the token: it is invalid or has expired."); err != nil {
		t.Fatal(err)
	}
	if r := admin.post("/admin/connectors/meta/sync/apply", url.Values{"sync": {id(syncID)}}); r.status != http.StatusSeeOther ||
		app.count("SELECT COUNT(*) FROM meta_syncs WHERE id = ? AND status = 'applied' AND to_create = 5 AND to_update = 1", syncID) != 1 {
		t.Fatalf("applying the preview read before a failed read: status %d", r.status)
	}
	rows = syncRows(t, admin)
	if len(rows) != 2 || rows[0]["data-status"] != "failed" || rows[1]["data-status"] != "applied" || rows[1]["data-create"] != "5" {
		t.Fatalf("history: %v, want the failed read, then the applied sync", rows)
	}
	page = admin.get("/admin/connectors").body
	if !strings.Contains(page, "scheduled") || !strings.Contains(page, "invalid or has expired") || !strings.Contains(page, ">on "+app.store.Now().UTC().Format("2006-01-02")+"<") {
		t.Error("the history does not show the scheduled read's failure in words, or when the sync was applied")
	}
	failedID := app.count("SELECT MAX(id) FROM meta_syncs")
	if strings.Contains(page, `href="/admin/connectors/meta/syncs/`+id(failedID)+`"`) {
		t.Error("a failed read links to a page")
	}
	if r := admin.get("/admin/connectors/meta/syncs/" + id(failedID)); r.status != http.StatusNotFound {
		t.Errorf("a failed read's page: %d, want 404 (nothing to preview)", r.status)
	}
}

// "Discover from Meta" is always offered (it needs no app: the form asks
// for the business and a token); once an app is connected it is the page's
// one primary action and connecting again is secondary.
func TestConnectorPageDiscoverFromMeta(t *testing.T) {
	app, admin, _ := syncWorld(t)
	if d := tagsWith(admin.get("/admin/connectors").body, "discover-meta"); len(d) != 1 || d[0]["class"] != "btn-secondary" {
		t.Errorf("with no app connected, Discover from Meta is %v, want one secondary link", d)
	}
	uid := app.count("SELECT id FROM users WHERE email = 'admin@example.com'")
	if err := app.store.ConnectMeta(t.Context(), db.Actor{UserID: uid, Email: "admin@example.com", Role: db.RoleAdmin}, db.MetaConnectInput{
		AppID: "1001", AppSecret: "fake-app-secret", BusinessID: "9001"}); err != nil {
		t.Fatal(err)
	}
	r := admin.get("/admin/connectors")
	discover := tagsWith(r.body, "discover-meta")
	if len(discover) != 1 || discover[0]["href"] != "/admin/connectors/meta/sync" || discover[0]["class"] != "btn" {
		t.Fatalf("Discover from Meta: %v, want one primary link to the sync form", discover)
	}
	if n := strings.Count(r.body, `class="btn"`); n != 1 {
		t.Errorf("%d primary buttons, want only Discover from Meta", n)
	}
}
