package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
)

// TestImportPreviewsOneAtATime: while one import file is being checked,
// another preview (or confirm) waits its turn for a bounded time and is then
// told the server is busy, 503 with Retry-After and a message, nothing
// written; the first goes on, and the second works once it is done. Not
// parallel: it holds the import slot through a test hook.
func TestImportPreviewsOneAtATime(t *testing.T) {
	app := newTestApp(t)
	app.createUser("ed@example.com", db.RoleEditor)
	app.createUser("eve@example.com", db.RoleEditor)
	ed, eve := app.signedIn("ed@example.com"), app.signedIn("eve@example.com")
	ed.csrf()
	eve.csrf()

	holding, release := make(chan struct{}), make(chan struct{})
	first := true
	restore := handlers.SetImportTestHooks(0, func() {
		if first { // only the first import holds the slot until released
			first = false
			close(holding)
			<-release
		}
	})
	defer restore()

	done := make(chan response)
	go func() { done <- ed.upload("/owners/import", "first.csv", []byte("name,email\nAda,ada@example.com\n")) }()
	<-holding
	before := app.wholeSnapshot()
	busy := eve.upload("/owners/import", "second.csv", []byte("name,email\nBen,ben@example.com\n"))
	if busy.status != http.StatusServiceUnavailable || busy.header.Get("Retry-After") == "" ||
		!strings.Contains(busy.body, "Another import is running") || !strings.Contains(busy.body, "Try again in a moment") {
		t.Errorf("a second preview while one runs: status %d, Retry-After %q; want 503 with Retry-After saying to try again",
			busy.status, busy.header.Get("Retry-After"))
	}
	if app.wholeSnapshot() != before {
		t.Error("the refused preview wrote something")
	}
	close(release)
	r := <-done
	if r.status != http.StatusOK {
		t.Fatalf("the first preview: status %d, want 200", r.status)
	}
	// Its confirm waits for nobody now, and works.
	if applied := ed.confirmImport(r); applied.status != http.StatusSeeOther {
		t.Errorf("confirm the first preview: status %d, want 303", applied.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners WHERE email = 'ada@example.com'"); n != 1 {
		t.Errorf("%d owners Ada after the import, want 1", n)
	}
	// The second upload, again, now that nothing runs.
	if r := eve.upload("/owners/import", "second.csv", []byte("name,email\nBen,ben@example.com\n")); r.status != http.StatusOK {
		t.Errorf("the second preview again: status %d, want 200", r.status)
	}

	// A confirm that finds the slot taken is refused the same way, and its
	// preview stays to be confirmed later.
	preview := eve.upload("/owners/import", "third.csv", []byte("name,email\nCy,cy@example.com\n"))
	holding, release = make(chan struct{}), make(chan struct{})
	first = true
	go func() { done <- ed.upload("/owners/import", "fourth.csv", []byte("name\nDee\n")) }()
	<-holding
	if r := eve.confirmImport(preview); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("confirm while another import runs: status %d; want 503 with Retry-After", r.status)
	}
	close(release)
	<-done
	if r := eve.confirmImport(preview); r.status != http.StatusSeeOther {
		t.Errorf("confirm after the other import: status %d, want 303 (the preview kept)", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners WHERE email = 'cy@example.com'"); n != 1 {
		t.Errorf("%d owners Cy, want 1", n)
	}
}
