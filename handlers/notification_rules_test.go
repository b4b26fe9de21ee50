package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// rulesForm is the rules form with every rule on but those in off.
func rulesForm(thresholds, cadence string, off ...string) url.Values {
	v := url.Values{"thresholds": {thresholds}, "cadence": {cadence}}
	for _, e := range db.NotificationEvents {
		if !slices.Contains(off, e) {
			v.Add("enabled", e)
		}
	}
	return v
}

// ruleSwitches are the events whose switch is on in a page's rules form.
func ruleSwitches(body string) []string {
	var on []string
	for _, e := range db.NotificationEvents {
		if strings.Contains(body, `id="rule-`+e+`" name="enabled" type="checkbox" role="switch" value="`+e+`" checked`) {
			on = append(on, e)
		}
	}
	return on
}

func TestAdminSavesTheNotificationRules(t *testing.T) {
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")

	page := admin.get("/admin/notifications")
	if got := ruleSwitches(page.body); !slices.Equal(got, db.NotificationEvents) {
		t.Fatalf("switches on by default: %v, want every rule", got)
	}
	if !strings.Contains(page.body, `value="60, 30, 7, 1"`) {
		t.Fatal("the page does not show the default thresholds 60, 30, 7, 1")
	}

	r := admin.post("/admin/notifications/rules", rulesForm("7, 30", "daily", "token.expired"))
	if r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("save: status %d, location %q; want 303 to /admin/notifications", r.status, r.location())
	}
	if got := app.text(`SELECT group_concat(event || '=' || enabled || ':' || setting, ' ') FROM
		(SELECT * FROM notification_rules WHERE event IN ('token.expiring', 'token.expired', 'digest') ORDER BY event)`); got != "digest=1:daily token.expired=0: token.expiring=1:30,7" {
		t.Fatalf("stored rules %q", got)
	}
	if n := app.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'settings.changed' AND summary = 'Changed the notification rules'
		AND changes LIKE '%"field":"token.expired","before":"on","after":"off"%' AND changes LIKE '%"before":"60,30,7,1","after":"30,7"%'`); n != 1 {
		t.Fatalf("%d audit events of the change, want 1", n)
	}
	page = admin.get("/admin/notifications")
	if got := ruleSwitches(page.body); slices.Contains(got, "token.expired") || len(got) != len(db.NotificationEvents)-1 {
		t.Fatalf("switches on after saving: %v, want all but token.expired", got)
	}
	if !strings.Contains(page.body, `value="30, 7"`) || !strings.Contains(page.body, `<option value="daily" selected`) {
		t.Fatal("the page does not show the saved thresholds and cadence")
	}
}

func TestBadRulesAreRefusedBesideTheirFieldWithNothingWritten(t *testing.T) {
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	events := app.count("SELECT COUNT(*) FROM audit_events")
	for _, c := range []struct{ thresholds, cadence, field string }{
		{"", "weekly", "thresholds"},
		{"0, 7", "weekly", "thresholds"},
		{"366", "weekly", "thresholds"},
		{"7, 7", "weekly", "thresholds"},
		{"7.5", "weekly", "thresholds"},
		{"thirty", "weekly", "thresholds"},
		{"1, 2, 3, 4, 5, 6, 7, 8, 9", "weekly", "thresholds"},
		{"30, 7", "hourly", "cadence"},
	} {
		r := admin.post("/admin/notifications/rules", rulesForm(c.thresholds, c.cadence, "digest"))
		if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{c.field}) {
			t.Errorf("%q, %q: status %d, errors %v; want 422 beside %s", c.thresholds, c.cadence, r.status, fieldErrors(r.body), c.field)
		}
		if !strings.Contains(r.body, `value="`+c.thresholds+`"`) || slices.Contains(ruleSwitches(r.body), "digest") {
			t.Errorf("%q: the refused form does not keep what was typed and switched", c.thresholds)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM notification_rules"); n != 0 || app.count("SELECT COUNT(*) FROM audit_events") != events {
		t.Fatalf("refused rules wrote %d rows or audit events", n)
	}
}

func TestRunNowSendsTheExpiryReminderDueOnce(t *testing.T) {
	ctx := context.Background()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	ana := app.createOwner("Ana Ruiz", "ana@example.com")
	acme := app.createAccount("Acme Ads", "Meta")
	expires := time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02")
	token, err := app.store.CreateToken(ctx, db.SystemActor("test"), db.TokenInput{Name: "CRM sync", Kind: "api_key",
		AccountID: strconv.FormatInt(acme, 10), ResponsibleOwnerID: strconv.FormatInt(ana, 10), ExpiresOn: expires})
	if err != nil {
		t.Fatal(err)
	}
	recv := newHookReceiver(t)
	admin.post("/admin/notifications/webhooks", webhookForm(recv.URL, "token.expiring"))

	if r := admin.post("/admin/notifications/run", nil); r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("run: status %d, location %q", r.status, r.location())
	}
	got := recv.requests()
	want := "Token “CRM sync” on Acme Ads (Meta) expires in 7 days, on " + expires + "."
	if len(got) != 1 || got[0].event != "token.expiring" || !got[0].signed || !strings.Contains(got[0].body, want) {
		t.Fatalf("the receiver got %+v; want one signed token.expiring reminder saying %q", got, want)
	}
	if got := app.text("SELECT threshold || ' ' || status FROM outbox"); got != "7d:"+expires+" sent" {
		t.Fatalf("outbox %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'notification.sent' AND record_kind = 'token' AND record_id = ?", token.ID); n != 1 {
		t.Fatalf("%d reminders on the token's timeline, want 1", n)
	}
	admin.post("/admin/notifications/run", nil)
	if n := len(recv.requests()); n != 1 || app.count("SELECT COUNT(*) FROM outbox") != 1 {
		t.Fatalf("a second run sent again: %d requests", n)
	}
	if page := admin.get("/admin/notifications").body; !strings.Contains(page, "Sent 0 messages: nothing new was due.") {
		t.Errorf("after a second run the page does not say that nothing new was due")
	}
}
