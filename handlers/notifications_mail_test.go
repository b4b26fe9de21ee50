package handlers_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
	"steward/internal/notify"
)

// "Send a test email" with mail set up: 303 back with a flash, a test
// message queued by email to the admin's own address, and its audit event.
// The page shows the settings, never the password.
func TestAdminSendsATestEmail(t *testing.T) {
	mail, err := notify.ParseMailURL("smtps://mailer:Quartz-s3cret@smtp.example.com", "Steward <steward@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	app := newTestAppOpened(t, db.Options{Mail: true}, handlers.Config{SessionKey: testSessionKey, Mail: mail.MailSettings})
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")

	page := admin.get("/admin/notifications")
	if page.status != http.StatusOK {
		t.Fatalf("status %d", page.status)
	}
	body := html.UnescapeString(page.body)
	for _, want := range []string{`data-mail="on"`, "smtp.example.com", "465", notify.TLSImplicit, "mailer", "hidden",
		`"Steward" <steward@example.com>`, "Send a test email"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Quartz-s3cret") {
		t.Fatal("the page shows the SMTP password")
	}

	r := admin.post("/admin/notifications/test-email", nil)
	if r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("test email: status %d, location %q; want 303 to /admin/notifications", r.status, r.location())
	}
	if got := app.text("SELECT group_concat(channel || ' ' || recipient || ' ' || event || ' ' || status, ',') FROM outbox"); got != "email admin@example.com test pending" {
		t.Fatalf("outbox %q, want one pending test email to admin@example.com", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'mail.test_queued' AND actor = 'admin@example.com'"); n != 1 {
		t.Fatalf("%d mail.test_queued events by the admin, want 1", n)
	}
	if next := admin.get("/admin/notifications").body; !strings.Contains(next, "Test email queued to admin@example.com") {
		t.Error("no flash saying the test email was queued")
	}
	// Each test is a message of its own.
	admin.post("/admin/notifications/test-email", nil)
	if n := app.count("SELECT COUNT(*) FROM outbox WHERE event = 'test'"); n != 2 {
		t.Fatalf("%d test emails after two tests, want 2", n)
	}
}

// Without mail, the page says which two variables to set, and a test
// email is refused with that message and queues nothing.
func TestTestEmailIsRefusedWithoutMail(t *testing.T) {
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	page := admin.get("/admin/notifications")
	if !strings.Contains(page.body, `data-mail="off"`) || !strings.Contains(page.body, "STEWARD_SMTP_URL") ||
		!strings.Contains(page.body, "STEWARD_MAIL_FROM") || strings.Contains(page.body, "Send a test email") {
		t.Fatal("without mail the page should say it is off, name both variables and offer no test email")
	}
	r := admin.post("/admin/notifications/test-email", nil)
	if r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("status %d, location %q; want 303 back", r.status, r.location())
	}
	if !strings.Contains(admin.get("/admin/notifications").body, "Mail is not set up: set STEWARD_SMTP_URL and STEWARD_MAIL_FROM") {
		t.Error("no flash saying mail is not set up")
	}
	if n := app.count("SELECT COUNT(*) FROM outbox") + app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'mail.test_queued'"); n != 0 {
		t.Fatalf("a refused test wrote %d rows", n)
	}
}
