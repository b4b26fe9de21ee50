package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"steward/db"
)

// Admin pages are kept by the page cache for each admin on their own:
// Admin › Users offers to disable every login but the admin's own, so one
// admin must never be served another's page.
func TestCachedAdminPagesAreEachAdminsOwn(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ann := app.createUser("ann@example.com", db.RoleAdmin)
	ben := app.createUser("ben@example.com", db.RoleAdmin)
	// Both sign in first: signing in is a write, which would make any kept
	// page stale.
	clients := map[string]*client{"ann@example.com": app.signedIn("ann@example.com"), "ben@example.com": app.signedIn("ben@example.com")}
	disable := func(uid int64) string { return `action="/admin/users/` + id(uid) + `/disable"` }
	for _, c := range []struct {
		email       string
		self, other int64
	}{{"ann@example.com", ann, ben}, {"ben@example.com", ben, ann}, {"ann@example.com", ann, ben}} {
		r := clients[c.email].get("/admin/users")
		if r.status != http.StatusOK {
			t.Fatalf("GET /admin/users as %s: %d", c.email, r.status)
		}
		if strings.Contains(r.body, disable(c.self)) || !strings.Contains(r.body, disable(c.other)) {
			t.Errorf("GET /admin/users as %s: offers to disable their own login, or not the other admin's", c.email)
		}
	}
}
