package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"steward/db"
)

// verifyStatus is the admin page's audit check result and the event it
// names.
func verifyStatus(t *testing.T, body string) (string, string) {
	t.Helper()
	tags := tagsWith(body, "verify-status")
	if len(tags) != 1 {
		t.Fatalf("admin page shows %d verification statuses, want 1", len(tags))
	}
	return tags[0]["data-result"], tags[0]["data-broken-id"]
}

func TestAdminVerifyAudit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	app.createOwner("Ada", "ada@example.com")
	app.createOwner("Grace", "grace@example.com")
	c := app.signedIn("admin@example.com")

	r := c.get("/admin")
	if r.status != http.StatusOK {
		t.Fatalf("GET /admin: status %d", r.status)
	}
	if result, _ := verifyStatus(t, r.body); result != "never" {
		t.Errorf("before any check the page says %q, want never", result)
	}

	r = c.post("/admin/audit/verify", nil)
	if r.status != http.StatusSeeOther || r.location() != "/admin" {
		t.Fatalf("POST /admin/audit/verify: status %d, location %q", r.status, r.location())
	}
	events := app.count("SELECT COUNT(*) FROM audit_events")
	var v struct {
		At       string `json:"at"`
		Checked  int64  `json:"checked"`
		BrokenID int64  `json:"broken_id"`
		Problem  string `json:"problem"`
	}
	if err := json.Unmarshal([]byte(app.text("SELECT value FROM settings WHERE key = 'audit_verified'")), &v); err != nil {
		t.Fatal(err)
	}
	if v.Checked != events || v.BrokenID != 0 || v.Problem != "" || v.At == "" {
		t.Errorf("recorded verification = %+v, want %d events checked, intact", v, events)
	}
	r = c.get("/admin")
	if result, _ := verifyStatus(t, r.body); result != "intact" {
		t.Errorf("after a good check the page says %q, want intact", result)
	}
	if !strings.Contains(r.body, "The audit chain is intact") {
		t.Error("no flash message after the check")
	}

	// Someone edits an event behind Steward's back.
	ctx := context.Background()
	for _, q := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET summary = 'Nothing happened' WHERE id = 2"} {
		if err := app.store.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.post("/admin/audit/verify", nil)
	r = c.get("/admin")
	if result, broken := verifyStatus(t, r.body); result != "broken" || broken != "2" {
		t.Errorf("after tampering the page says %q at event %q, want broken at 2", result, broken)
	}
	if !strings.Contains(r.body, "does not match its hash") {
		t.Error("the page does not say what is wrong with the event")
	}
	if got := app.text("SELECT json_extract(value, '$.broken_id') FROM settings WHERE key = 'audit_verified'"); got != "2" {
		t.Errorf("recorded broken_id = %s, want 2", got)
	}
}

// TestAdminBackupDownload downloads a backup and opens it as Steward would.
// It changes TMPDIR to see that the temporary copy is deleted, so it does
// not run in parallel.
func TestAdminBackupDownload(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	ada := app.createOwner("Ada", "ada@example.com")
	acct := app.createAccount("Acme BM", "Meta")
	app.createRole(acct, ada, "Admin")
	c := app.signedIn("admin@example.com")
	owners := app.count("SELECT COUNT(*) FROM owners")
	events := app.count("SELECT COUNT(*) FROM audit_events")

	// A GET has no side effects: it is not allowed, writes no file and no
	// audit event.
	if r := c.get("/admin/backup"); r.status != http.StatusMethodNotAllowed || r.header.Get("Content-Disposition") != "" {
		t.Errorf("GET /admin/backup: status %d, Content-Disposition %q; want 405 and no download", r.status, r.header.Get("Content-Disposition"))
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'backup.downloaded'"); n != 0 {
		t.Errorf("%d backup.downloaded events after a GET, want 0", n)
	}
	// The admin page's button posts the form with its token.
	if page := c.get("/admin").body; !regexp.MustCompile(`(?s)<form method="post" action="/admin/backup"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+"`).MatchString(page) {
		t.Error("the admin page has no backup form posting /admin/backup with _csrf")
	}
	r := c.post("/admin/backup", nil)
	expectAttachment(t, r, "application/vnd.sqlite3", "steward-backup-"+app.store.Today()+".db")
	if !strings.HasPrefix(r.body, "SQLite format 3\x00") {
		t.Fatalf("the download is not an SQLite file: %q", r.body[:min(len(r.body), 16)])
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
	}
	left, err := filepath.Glob(filepath.Join(tmp, "steward-backup-*"))
	if err != nil || len(left) != 0 {
		t.Errorf("temporary backup files left behind: %v %v", left, err)
	}

	path := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(path, []byte(r.body), 0o600); err != nil {
		t.Fatal(err)
	}
	// Restored with the audit key of the database it came from.
	ctx := context.Background()
	from := app.text("SELECT file FROM pragma_database_list WHERE name = 'main'")
	b, err := db.OpenWith(ctx, path, db.Options{AuditKeyFile: db.AuditKeyFile(from)})
	if err != nil {
		t.Fatalf("open the downloaded backup: %v", err)
	}
	defer b.Close()
	if got, _ := b.QueryString(ctx, "PRAGMA integrity_check"); got != "ok" {
		t.Errorf("integrity_check = %q", got)
	}
	if n, _ := b.QueryInt(ctx, "SELECT COUNT(*) FROM owners"); n != owners {
		t.Errorf("backup has %d owners, want %d", n, owners)
	}
	if name, _ := b.QueryString(ctx, "SELECT name FROM owners WHERE id = ?", ada); name != "Ada" {
		t.Errorf("backup owner %d = %q", ada, name)
	}
	res, err := b.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 || res.Checked < events {
		t.Errorf("backup audit chain = %+v, %v; want intact with at least %d events", res, err, events)
	}
	// The download is itself on the record.
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'backup.downloaded' AND actor = 'admin@example.com'"); n != 1 {
		t.Errorf("backup.downloaded events = %d, want 1", n)
	}
}
