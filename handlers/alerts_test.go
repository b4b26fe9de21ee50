package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/db"
)

// subscribeToAlerts adds a webhook subscribed to every event, so that each
// alert queues a row in the outbox; it returns the webhook's recipient.
func (a *testApp) subscribeToAlerts() string {
	a.t.Helper()
	id, err := a.store.CreateWebhook(context.Background(), db.SystemActor("test"), db.WebhookInput{URL: "https://hooks.example/steward",
		Format: db.WebhookJSON, Secret: webhookSecret, Events: db.NotificationEvents})
	if err != nil {
		a.t.Fatal(err)
	}
	return db.WebhookRecipient(id)
}

// queueWebhookTest adds a webhook and queues its test message, as "Send a
// test" does; it returns the webhook and the delivery in the outbox.
func (a *testApp) queueWebhookTest() (webhook, delivery int64) {
	a.t.Helper()
	ctx, sys := context.Background(), db.SystemActor("test")
	webhook, err := a.store.CreateWebhook(ctx, sys, db.WebhookInput{URL: "https://hooks.example.com/steward", Format: db.WebhookJSON,
		Secret: "a-long-shared-secret-1234", Events: []string{"digest"}})
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.store.QueueWebhookTest(ctx, sys, webhook); err != nil {
		a.t.Fatal(err)
	}
	return webhook, a.count("SELECT MAX(id) FROM outbox")
}

// newAlertsApp is a test app with a webhook subscribed to every event and
// a signed-in admin.
func newAlertsApp(t *testing.T) (*testApp, *client) {
	t.Helper()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	app.subscribeToAlerts()
	return app, app.signedIn("admin@example.com")
}

// alerts lists the queued messages of event: "record|threshold|summary".
func (a *testApp) alerts(event string) []string {
	a.t.Helper()
	rows := a.text(`SELECT COALESCE(group_concat(r, char(10)), '') FROM (SELECT record_kind || ' ' || record_id || '|' || threshold
		|| '|' || summary AS r FROM outbox WHERE event = ? ORDER BY id)`, event)
	if rows == "" {
		return nil
	}
	return strings.Split(rows, "\n")
}

func TestEveryWayAnOwnerDepartsHoldingAccessQueuesTheAlert(t *testing.T) {
	t.Parallel()
	app, c := newAlertsApp(t)
	acme := app.createAccount("Acme Ads", "Meta")
	kim := app.createOwner("Kim Leaver", "kim@example.com")
	app.createRole(acme, kim, "Admin")
	lee := app.createOwner("Lee Empty", "lee@example.com")
	max := app.createOwner("Max Imported", "max@example.com")
	app.createRole(acme, max, "Analyst")

	// Refused (bad email): nothing written, nothing queued.
	r := c.post(path("/owners/:id", kim), ownerForm("Kim Leaver", "not an email", "departed", "2026-11-30", ""))
	if r.status != http.StatusUnprocessableEntity || app.text("SELECT status FROM owners WHERE id = ?", kim) != "active" {
		t.Fatalf("refused edit: status %d", r.status)
	}
	// Someone who holds nothing departs: no alert.
	if r := c.post(path("/owners/:id", lee), ownerForm("Lee Empty", "lee@example.com", "departed", "2026-11-30", "")); r.status != http.StatusSeeOther {
		t.Fatalf("Lee departed: status %d", r.status)
	}
	if got := app.alerts(db.EventDepartedWithAccess); got != nil {
		t.Fatalf("queued %q; want nothing yet", got)
	}

	// The owner form.
	if r := c.post(path("/owners/:id", kim), ownerForm("Kim Leaver", "kim@example.com", "departed", "2026-11-30", "")); r.status != http.StatusSeeOther {
		t.Fatalf("Kim departed: status %d", r.status)
	}
	want := []string{"owner " + id(kim) + "|2026-11-30|Kim Leaver left on 2026-11-30 and still holds 1 role."}
	if got := app.alerts(db.EventDepartedWithAccess); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after the form: queued %q, want %q", got, want)
	}

	// A CSV import: its preview (rolled back) queues nothing, applying it does.
	file := csvFile("name,email,status,leaving_on", "Max Imported,max@example.com,departed,2026-12-01")
	preview := c.upload("/owners/import", "leavers.csv", file)
	if got := app.alerts(db.EventDepartedWithAccess); len(got) != 1 {
		t.Fatalf("the preview queued: %q", got)
	}
	if r := c.confirmImport(preview); r.status != http.StatusSeeOther {
		t.Fatalf("import: status %d", r.status)
	}
	want = append(want, "owner "+id(max)+"|2026-12-01|Max Imported left on 2026-12-01 and still holds 1 role.")
	if got := app.alerts(db.EventDepartedWithAccess); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after the import: queued %q, want %q", got, want)
	}
}

func TestCompletingAnOffboardingChecklistWithAccessLeftQueuesTheAlert(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	w.app.subscribeToAlerts()
	w.setOffboarding(t, "2026-11-30")
	cid := w.start(t)
	if r := w.editor().post(completePath(cid), url.Values{"reason": {"Handled by IT on paper"}}); r.status != http.StatusSeeOther {
		t.Fatalf("complete: status %d", r.status)
	}
	want := "owner " + id(w.ada) + "|2026-11-30|Ada Leaver left on 2026-11-30 and still holds 1 role and 1 token."
	if got := w.app.alerts(db.EventDepartedWithAccess); len(got) != 1 || got[0] != want {
		t.Fatalf("queued %q, want [%q]", got, want)
	}
}

func TestRegisteringATokenThatNeverExpiresQueuesTheAlert(t *testing.T) {
	t.Parallel()
	app, c := newAlertsApp(t)

	// Refused (no name): nothing queued.
	if r := c.post("/tokens", tokenForm("", "api_key", nil)); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("refused: status %d", r.status)
	}
	dated := idFromLocation(t, c.post("/tokens", tokenForm("Dated", "api_key", map[string]string{"expires_on": "2027-01-01"})), "/tokens/")
	forever := idFromLocation(t, c.post("/tokens", tokenForm("Forever", "api_key", nil)), "/tokens/")
	got := app.alerts(db.EventNeverExpires)
	if len(got) != 1 || !strings.HasPrefix(got[0], "token "+id(forever)+"||On ") || !strings.Contains(got[0], "token “Forever” was recorded as active with no expiry date") {
		t.Fatalf("after the form: queued %q", got)
	}
	// Its expiry removed by an edit.
	if r := c.post(path("/tokens/:id", dated), tokenForm("Dated", "api_key", nil)); r.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d", r.status)
	}
	if got := app.alerts(db.EventNeverExpires); len(got) != 2 || !strings.HasPrefix(got[1], "token "+id(dated)+"|") {
		t.Fatalf("after the edit: queued %q", got)
	}
	// A CSV import: only its never-expiring row, and only once applied.
	preview := c.upload("/tokens/import", "keys.csv", csvFile("name,kind,expires_on", "Imported forever,api_key,", "Imported dated,api_key,2027-03-01"))
	if got := app.alerts(db.EventNeverExpires); len(got) != 2 {
		t.Fatalf("the preview queued: %q", got)
	}
	if r := c.confirmImport(preview); r.status != http.StatusSeeOther {
		t.Fatalf("import: status %d", r.status)
	}
	imported := app.count("SELECT id FROM tokens WHERE name = 'Imported forever'")
	if got := app.alerts(db.EventNeverExpires); len(got) != 3 || !strings.HasPrefix(got[2], "token "+id(imported)+"|") {
		t.Fatalf("after the import: queued %q", got)
	}
}

func TestAFailedVerifyNowQueuesTheAlert(t *testing.T) {
	t.Parallel()
	app, c := newAlertsApp(t)
	if r := c.post("/admin/audit/verify", nil); r.status != http.StatusSeeOther || app.alerts(db.EventAuditVerifyFailed) != nil {
		t.Fatalf("intact chain: status %d, alerts %q", r.status, app.alerts(db.EventAuditVerifyFailed))
	}
	ctx := context.Background()
	for _, q := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET summary = 'nothing to see' WHERE id = 1"} {
		if err := app.store.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if r := c.post("/admin/audit/verify", nil); r.status != http.StatusSeeOther {
		t.Fatalf("broken chain: status %d", r.status)
	}
	got := app.alerts(db.EventAuditVerifyFailed)
	if len(got) != 1 || !strings.Contains(got[0], "Steward's audit log failed its check on ") || !strings.HasSuffix(got[0], "it is broken at event 1.") {
		t.Fatalf("queued %q", got)
	}
}
