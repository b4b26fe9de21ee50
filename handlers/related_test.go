package handlers_test

import (
	"context"
	"encoding/csv"
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
// 20 of want related records (matched by items), says so and links to their
// list, and that the linked list shows exactly want rows (matched by rows)
// and names the record in its filter chip. It returns the linked list's URL.
func showsFirstAndLinksToAll(t *testing.T, c *client, page string, items, rows *regexp.Regexp, want int, noun, recordName string) string {
	t.Helper()
	r := c.get(page)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", page, r.status)
	}
	if got := len(items.FindAllString(r.body, -1)); got != 20 {
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

	all := showsFirstAndLinksToAll(t, ed, "/accounts/"+id(busy), rows, rows, 25, "roles", "Busy BM")
	if n := app.count("SELECT COUNT(*) FROM roles WHERE account_id = ?", busy); n != 25 {
		t.Errorf("the database holds %d roles on the account, want 25", n)
	}
	if l := ed.get(all); strings.Contains(l.body, "Quiet BM") {
		t.Errorf("GET %s lists roles on another account", all)
	}
	all = showsFirstAndLinksToAll(t, ed, "/owners/"+id(first), rows, rows, 23, "roles", "Ann Busy")
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

	// The narrowed list's export links carry the narrowing, and the export
	// holds just the account's roles.
	l := ed.get(all)
	link := regexp.MustCompile(`href="([^"]*/roles/export\.csv[^"]*)"`).FindStringSubmatch(l.body)
	if link == nil || !strings.Contains(html.UnescapeString(link[1]), "owner_id="+id(first)) {
		t.Fatalf("the narrowed role list's export link does not keep the narrowing: %v", link)
	}
	export := ed.get(html.UnescapeString(link[1]))
	records, err := csv.NewReader(strings.NewReader(export.body)).ReadAll()
	if want := app.count("SELECT COUNT(*) FROM roles WHERE owner_id = ?", first); export.status != http.StatusOK || err != nil || int64(len(records)-1) != want {
		t.Errorf("export of %s: status %d, %d rows (%v); want %d", link[1], export.status, len(records)-1, err, want)
	}
}

// A busy account, integration and person list their first 20 system users,
// child assets, accounts and integrations, each with a count and a link to
// the matching list narrowed to them, which shows exactly those.
func TestRecordPagesListTheirFirstRelatedRecordsAndLinkToAll(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("val@example.com", db.RoleViewer)
	val := app.signedIn("val@example.com")
	ctx, actor := context.Background(), db.SystemActor("test")
	boss := app.createOwner("Bea Boss", "bea@example.com")
	quiet := app.createOwner("Quinn Quiet", "quinn@example.com")
	bm := app.createAccount("Big BM", "Meta")
	elsewhere := app.createAccount("Elsewhere", "Meta")
	sync := app.createIntegrationFor("Nightly sync", boss)
	app.createIntegrationFor("Quiet tool", quiet)
	for i := range 24 {
		app.createIntegrationFor(fmt.Sprintf("Tool %02d", i), boss)
	}
	for i := range 23 {
		in := db.SystemUserInput{Name: fmt.Sprintf("Bot %02d", i), AccountID: id(bm), IntegrationID: id(sync), ResponsibleOwnerID: id(boss)}
		if _, err := app.store.CreateSystemUser(ctx, actor, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.store.CreateSystemUser(ctx, actor, db.SystemUserInput{Name: "Stray bot", AccountID: id(elsewhere)}); err != nil {
		t.Fatal(err)
	}
	for i := range 21 {
		in := db.AccountInput{Name: fmt.Sprintf("Ad account %02d", i), Platform: "Meta", ParentID: id(bm), OwnerID: id(boss)}
		if _, err := app.store.CreateAccount(ctx, actor, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		page, noun, name, list, param string
		rows                          *regexp.Regexp
		want                          int64
	}{
		{"/accounts/" + id(bm), "system users", "Big BM", "/system-users", "account_id", suRows, app.count("SELECT COUNT(*) FROM system_users WHERE account_id = ?", bm)},
		{"/accounts/" + id(bm), "assets", "Big BM", "/accounts", "parent_id", accountRows, app.count("SELECT COUNT(*) FROM accounts WHERE parent_id = ?", bm)},
		{"/integrations/" + id(sync), "system users", "Nightly sync", "/system-users", "integration_id", suRows, app.count("SELECT COUNT(*) FROM system_users WHERE integration_id = ?", sync)},
		{"/owners/" + id(boss), "system users", "Bea Boss", "/system-users", "responsible_owner_id", suRows, app.count("SELECT COUNT(*) FROM system_users WHERE owner_id = ?", boss)},
		{"/owners/" + id(boss), "accounts", "Bea Boss", "/accounts", "owner_id", accountRows, app.count("SELECT COUNT(*) FROM accounts WHERE owner_id = ?", boss)},
		{"/owners/" + id(boss), "integrations", "Bea Boss", "/integrations", "responsible_owner_id", integrationRows, app.count("SELECT COUNT(*) FROM integrations WHERE owner_id = ?", boss)},
	} {
		if c.want <= 20 {
			t.Fatalf("%s %s: only %d in the database", c.page, c.noun, c.want)
		}
		itemRows := map[string]*regexp.Regexp{"system users": suItems, "assets": childItems, "accounts": ownedAccountItems, "integrations": integrationItems}[c.noun]
		all := showsFirstAndLinksToAll(t, val, c.page, itemRows, c.rows, int(c.want), c.noun, c.name)
		if want := c.list + "?" + c.param + "="; !strings.HasPrefix(all, want) {
			t.Errorf("%s links its %s to %s, want %s…", c.page, c.noun, all, want)
		}
	}
	// Nothing of the other records in the narrowed lists.
	for _, u := range []string{"/system-users?account_id=" + id(bm), "/integrations?responsible_owner_id=" + id(boss), "/accounts?owner_id=" + id(boss)} {
		if l := val.get(u); strings.Contains(l.body, "Stray bot") || strings.Contains(l.body, "Quiet tool") || strings.Contains(l.body, ">Elsewhere<") {
			t.Errorf("GET %s lists another record's", u)
		}
	}
}

var (
	suRows            = regexp.MustCompile(`<tr[^>]*data-testid="system-user-row"`)
	accountRows       = regexp.MustCompile(`<tr[^>]*data-testid="account-row"`)
	integrationRows   = regexp.MustCompile(`<tr[^>]*data-testid="integration-row"`)
	suItems           = regexp.MustCompile(`data-testid="system-user-item"`)
	childItems        = regexp.MustCompile(`data-testid="child-account-item"`)
	ownedAccountItems = regexp.MustCompile(`data-testid="owned-account-item"`)
	integrationItems  = regexp.MustCompile(`data-testid="integration-item"`)
)
