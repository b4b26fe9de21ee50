package handlers_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"steward/db"
)

// showsFirstAndLinksToAll checks that the record page at page lists the first
// 20 of want related rows (matched by rows), says so and links to their list,
// and that the linked list shows exactly want rows and names the record in
// its filter chip. It returns the linked list's URL.
func showsFirstAndLinksToAll(t *testing.T, c *client, page string, rows *regexp.Regexp, want int, noun, recordName string) string {
	t.Helper()
	r := c.get(page)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", page, r.status)
	}
	if got := len(rows.FindAllString(r.body, -1)); got != 20 {
		t.Errorf("GET %s lists %d %s, want the first 20", page, got, noun)
	}
	link := regexp.MustCompile(fmt.Sprintf(`Showing 20 of %d %s\.\s*<a class="link" href="([^"]+)">Show all %d</a>`, want, noun, want)).FindStringSubmatch(r.body)
	if link == nil {
		t.Fatalf("GET %s: no count and link to all %d %s", page, want, noun)
	}
	all := html.UnescapeString(link[1])
	l := c.get(all)
	if l.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", all, l.status)
	}
	if got := len(rows.FindAllString(l.body, -1)); got != want {
		t.Errorf("GET %s lists %d %s, want %d", all, got, noun, want)
	}
	if !regexp.MustCompile(`data-testid="related-filter">\s*` + regexp.QuoteMeta(html.EscapeString(recordName)) + `\s*<a class="link" href="[^"]*"[^>]*>Clear</a>`).MatchString(l.body) {
		t.Errorf("GET %s does not name %s in a filter chip with a Clear link", all, recordName)
	}
	return all
}

// A busy account lists its first 20 holders with a count and a link to the
// role list narrowed to it; a person's page does the same for their roles.
// The inline grant form still answers with the panel.
func TestRecordPagesListTheirFirstRolesAndLinkToAll(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("ed@example.com", db.RoleEditor)
	ed := app.signedIn("ed@example.com")
	busy := app.createAccount("Busy BM", "Meta")
	other := app.createAccount("Quiet BM", "Meta")
	first := app.createOwner("Ann Busy", "ann@example.com")
	for i := range 25 {
		o := first
		if i > 0 {
			o = app.createOwner(fmt.Sprintf("Holder %02d", i), fmt.Sprintf("h%02d@example.com", i))
		}
		app.createRole(busy, o, "Employee")
	}
	for i := range 22 {
		app.createRole(other, first, fmt.Sprintf("Role %02d", i))
	}
	rows := regexp.MustCompile(`<tr[^>]*data-testid="role-row"`)

	all := showsFirstAndLinksToAll(t, ed, "/accounts/"+id(busy), rows, 25, "roles", "Busy BM")
	if n := app.count("SELECT COUNT(*) FROM roles WHERE account_id = ?", busy); n != 25 {
		t.Errorf("the database holds %d roles on the account, want 25", n)
	}
	if l := ed.get(all); strings.Contains(l.body, "Quiet BM") {
		t.Errorf("GET %s lists roles on another account", all)
	}
	all = showsFirstAndLinksToAll(t, ed, "/owners/"+id(first), rows, 23, "roles", "Ann Busy")
	if l := ed.get(all); strings.Contains(l.body, "Holder 01") {
		t.Errorf("GET %s lists another person's roles", all)
	}

	// A mangled ID is ignored as on the token list: the whole list.
	if l := ed.get("/roles?account_id=x"); l.status != http.StatusOK || len(rows.FindAllString(l.body, -1)) != 47 {
		t.Errorf("GET /roles?account_id=x: status %d, %d rows; want 200 and all 47", l.status, len(rows.FindAllString(l.body, -1)))
	}

	// Granting inline still answers with the panel, now counting one more.
	newcomer := app.createOwner("Newcomer", "new@example.com")
	r := ed.post("/roles", url.Values{"context": {"account"}, "context_id": {id(busy)}, "account_id": {id(busy)},
		"owner_id": {id(newcomer)}, "role": {"Analyst"}}, asHTMX("roles-panel"))
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="roles-panel"`) || !strings.Contains(r.body, "Showing 20 of 26 roles.") {
		t.Errorf("inline grant: status %d, panel with 26 roles %v", r.status, strings.Contains(r.body, "Showing 20 of 26 roles."))
	}
	if n := app.count("SELECT COUNT(*) FROM roles WHERE account_id = ? AND owner_id = ?", busy, newcomer); n != 1 {
		t.Errorf("the database holds %d roles for the newcomer, want 1", n)
	}
}
