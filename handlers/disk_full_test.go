package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"steward/db"
)

// A full disk answers 507 with a page that says so, writes nothing, and
// the next write works once there is room, without a restart. SQLite's
// max_page_count gives the writer a real SQLITE_FULL without mounting a
// small disk (cmd/web's fault test does that with the real binary, as root).
func TestFullDiskAnswers507(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	editor := app.signedIn("editor@example.com")
	ctx := context.Background()
	pages := app.count("PRAGMA page_count")
	if err := app.store.Exec(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10)); err != nil {
		t.Fatal(err)
	}
	// Big notes need pages the file may no longer grow to hold.
	big := strings.Repeat("Notes that need new pages. ", 350)
	before := app.wholeSnapshot()
	for _, htmx := range []bool{false, true} {
		var opts []reqOpt
		if htmx {
			opts = append(opts, asHTMX(""))
		}
		r := editor.post("/owners", ownerForm("While full", "", "active", "", big), opts...)
		if r.status != http.StatusInsufficientStorage {
			t.Fatalf("POST /owners on a full disk (htmx %v): status %d, want 507", htmx, r.status)
		}
		if !strings.Contains(r.body, `data-status="507"`) || !strings.Contains(r.body, "The disk is full") ||
			!strings.Contains(r.body, "Nothing of this change was saved") {
			t.Errorf("the 507 page (htmx %v) does not say the disk is full: %.300q", htmx, r.body)
		}
		for _, leak := range leaks {
			if strings.Contains(r.body, leak) {
				t.Errorf("the 507 page shows %q", leak)
			}
		}
	}
	if app.wholeSnapshot() != before {
		t.Error("a write refused for a full disk changed the database")
	}

	if err := app.store.Exec(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	r := editor.post("/owners", ownerForm("After full", "", "active", "", big))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /owners with room again: status %d, want 303", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners WHERE name = 'After full'"); n != 1 {
		t.Errorf("%d owners saved after the disk had room again, want 1", n)
	}
}
