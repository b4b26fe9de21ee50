package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

// changesOf decodes the changes of the newest event with action on a record.
func changesOf(t *testing.T, app *testApp, action string, recordID int64) []db.Change {
	t.Helper()
	raw := app.text("SELECT changes FROM audit_events WHERE action = ? AND record_id = ? ORDER BY id DESC LIMIT 1", action, recordID)
	var changes []db.Change
	if err := json.Unmarshal([]byte(raw), &changes); err != nil {
		t.Fatalf("changes %q: %v", raw, err)
	}
	return changes
}

func change(changes []db.Change, field string) (db.Change, bool) {
	for _, c := range changes {
		if c.Field == field {
			return c, true
		}
	}
	return db.Change{}, false
}

func TestOwnerCreateAndUpdate(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	app.createOwner("Existing Person", "taken@example.com")

	if r := c.get("/owners/new"); r.status != http.StatusOK || !strings.Contains(r.body, `name="_csrf"`) {
		t.Fatalf("GET /owners/new: status %d", r.status)
	}

	r := c.post("/owners", url.Values{"name": {"Hanna Holder"}, "email": {"hanna@example.com"}, "title": {"Ops lead"},
		"department": {"Operations"}, "status": {"active"}, "notes": {"Runs the ad accounts"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /owners: status %d", r.status)
	}
	hanna := idFromLocation(t, r, "/owners/")
	if got := app.text("SELECT name || '|' || email || '|' || title || '|' || status FROM owners WHERE id = ?", hanna); got != "Hanna Holder|hanna@example.com|Ops lead|active" {
		t.Errorf("stored owner = %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'owner.created' AND record_kind = 'owner' AND record_id = ? AND user_id = ? AND ip = '127.0.0.1' AND at LIKE '____-__-__T__:__:__%Z'", hanna, editorID); n != 1 {
		t.Fatalf("owner.created events by the editor with an address = %d, want 1", n)
	}
	if ch, ok := change(changesOf(t, app, "owner.created", hanna), "name"); !ok || ch.Before != "" || ch.After != "Hanna Holder" {
		t.Errorf("owner.created changes: name = %+v", ch)
	}
	page := c.get(path("/owners/:id", hanna))
	if page.status != http.StatusOK || !strings.Contains(page.body, "Owner added.") || !slices.Equal(timelineActions(page.body), []string{"owner.created"}) {
		t.Errorf("owner page: status %d, flash shown %v, timeline %q", page.status,
			strings.Contains(page.body, "Owner added."), timelineActions(page.body))
	}

	t.Run("invalid forms write nothing", func(t *testing.T) {
		cases := []struct {
			name  string
			form  url.Values
			field string // the field whose error must show
			kept  string // a value of the user's that must be re-rendered
		}{
			{"empty name", ownerForm("", "nameless@example.com", "active", "", "keep these notes"), "name", "nameless@example.com"},
			{"bad email", ownerForm("Bad Email", "not-an-email", "active", "", ""), "email", "not-an-email"},
			{"duplicate email", ownerForm("Second Taken", "TAKEN@example.com", "active", "", ""), "email", "Second Taken"},
			{"offboarding without leaving date", ownerForm("Leaving Soon", "", "offboarding", "", ""), "leaving_on", "Leaving Soon"},
			{"bad leaving date", ownerForm("Bad Date", "", "offboarding", "31/01/2030", ""), "leaving_on", "31/01/2030"},
			{"unknown status", ownerForm("Odd Status", "", "retired", "", ""), "status", "Odd Status"},
			{"missing manager", url.Values{"name": {"No Manager"}, "manager_id": {"999999"}}, "manager_id", "No Manager"},
		}
		for _, tc := range cases {
			before := app.snapshot()
			events := app.count("SELECT COUNT(*) FROM audit_events")
			r := c.post("/owners", tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", tc.name, r.status)
				continue
			}
			if !slices.Contains(fieldErrors(r.body), tc.field) {
				t.Errorf("%s: no field error beside %s", tc.name, tc.field)
			}
			if !strings.Contains(r.body, `value="`+tc.kept+`"`) {
				t.Errorf("%s: the user's value %q is not kept in the form", tc.name, tc.kept)
			}
			if app.snapshot() != before || app.count("SELECT COUNT(*) FROM audit_events") != events {
				t.Errorf("%s: the database changed", tc.name)
			}
		}
		if n := app.count("SELECT COUNT(*) FROM owners"); n != 2 {
			t.Errorf("owners = %d, want 2", n)
		}
	})

	t.Run("update records each changed field", func(t *testing.T) {
		edit := c.get(path("/owners/:id/edit", hanna))
		if edit.status != http.StatusOK || !strings.Contains(edit.body, `value="Hanna Holder"`) {
			t.Fatalf("edit form: status %d, filled in %v", edit.status, strings.Contains(edit.body, `value="Hanna Holder"`))
		}
		form := ownerForm("Hanna Keeper", "hanna@example.com", "offboarding", "2030-06-30", "Runs the ad accounts")
		form.Set("title", "Ops lead")
		form.Set("department", "Operations")
		r := c.post(path("/owners/:id", hanna), form)
		if r.status != http.StatusSeeOther || r.location() != path("/owners/:id", hanna) {
			t.Fatalf("update: status %d location %q", r.status, r.location())
		}
		if got := app.text("SELECT name || '|' || status || '|' || leaving_on FROM owners WHERE id = ?", hanna); got != "Hanna Keeper|offboarding|2030-06-30" {
			t.Errorf("stored owner = %q", got)
		}
		changes := changesOf(t, app, "owner.updated", hanna)
		want := map[string][2]string{"name": {"Hanna Holder", "Hanna Keeper"}, "status": {"active", "offboarding"}, "leaving_on": {"", "2030-06-30"}}
		if len(changes) != len(want) {
			t.Errorf("changes = %+v, want exactly %v", changes, want)
		}
		for field, ba := range want {
			if ch, ok := change(changes, field); !ok || ch.Before != ba[0] || ch.After != ba[1] {
				t.Errorf("change of %s = %+v, want %q → %q", field, ch, ba[0], ba[1])
			}
		}
		// The change shows on the owner's timeline, newest first.
		page := c.get(path("/owners/:id", hanna))
		if got := timelineActions(page.body); !slices.Equal(got, []string{"owner.updated", "owner.created"}) {
			t.Errorf("timeline = %q, want the update above the creation", got)
		}

		// An invalid update keeps the stored owner as it was.
		before := app.snapshot()
		bad := ownerForm("", "hanna@example.com", "active", "", "")
		if r := c.post(path("/owners/:id", hanna), bad); r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), "name") {
			t.Errorf("invalid update: status %d", r.status)
		}
		if app.snapshot() != before {
			t.Error("an invalid update changed the database")
		}
		// Saving unchanged values writes no event.
		events := app.count("SELECT COUNT(*) FROM audit_events")
		if r := c.post(path("/owners/:id", hanna), form); r.status != http.StatusSeeOther {
			t.Errorf("unchanged save: status %d", r.status)
		}
		if app.count("SELECT COUNT(*) FROM audit_events") != events {
			t.Error("an unchanged save wrote an audit event")
		}
		if r := c.post("/owners/999999", form); r.status != http.StatusNotFound {
			t.Errorf("update of a missing owner: status %d, want 404", r.status)
		}
	})
}

func TestOwnerList(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")

	if r := c.get("/owners"); r.status != http.StatusOK || !strings.Contains(r.body, "No owners yet.") {
		t.Errorf("empty list: status %d, empty state shown %v", r.status, strings.Contains(r.body, "No owners yet."))
	}
	for i := 1; i <= 55; i++ {
		app.createOwner(fmt.Sprintf("Person %03d", i), fmt.Sprintf("person%03d@example.com", i))
	}
	app.createOwner("Zelda Quux", "zelda@quux.example")

	cases := []struct {
		name        string
		query       string
		rows        int
		first, last string
	}{
		{"first page", "", 50, "Person 001", "Person 050"},
		{"second page", "?page=2", 6, "Person 051", "Zelda Quux"},
		{"sorted by name, descending", "?sort=name&desc=1", 50, "Zelda Quux", "Person 007"},
		{"sorted by email, second page", "?sort=email&page=2", 6, "Person 051", "Zelda Quux"},
		{"search by name", "?q=zelda", 1, "Zelda Quux", "Zelda Quux"},
		{"search by email, any case", "?q=QUUX.EXAMPLE", 1, "Zelda Quux", "Zelda Quux"},
		{"search across pages", "?q=person%2005", 6, "Person 050", "Person 055"},
		{"search with a LIKE wildcard", "?q=%25", 0, "", ""},
		{"status filter", "?status=departed", 0, "", ""},
		{"page past the end", "?page=9", 0, "", ""},
		{"unknown sort falls back to name", "?sort=password_hash", 50, "Person 001", "Person 050"},
	}
	for _, tc := range cases {
		r := c.get("/owners" + tc.query)
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d", tc.name, r.status)
			continue
		}
		names := ownerNames(r.body)
		if len(names) != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.name, len(names), tc.rows)
			continue
		}
		if tc.rows > 0 && (names[0] != tc.first || names[len(names)-1] != tc.last) {
			t.Errorf("%s: rows %q … %q, want %q … %q", tc.name, names[0], names[len(names)-1], tc.first, tc.last)
		}
	}
	if r := c.get("/owners"); !strings.Contains(r.body, "page=2") {
		t.Error("first page has no link to page 2")
	}

	// Active search: htmx asks for #list and gets only the list.
	r := c.get("/owners?q=zelda", asHTMX("list"))
	if r.status != http.StatusOK {
		t.Fatalf("htmx list: status %d", r.status)
	}
	if strings.Contains(r.body, "<html") || strings.Contains(r.body, "site-header") || !strings.HasPrefix(strings.TrimSpace(r.body), `<div id="list"`) {
		t.Errorf("htmx list answer is not just the list fragment: %.200q", r.body)
	}
	if names := ownerNames(r.body); len(names) != 1 || names[0] != "Zelda Quux" {
		t.Errorf("htmx list rows = %q", names)
	}
	for _, rr := range []response{r, c.get("/owners?q=zelda")} {
		if vary := rr.header.Values("Vary"); !slices.Contains(vary, "HX-Request") {
			t.Errorf("Vary = %q, want HX-Request among them", vary)
		}
	}
	if full := c.get("/owners?q=zelda"); !strings.Contains(full.body, "<html") {
		t.Error("a plain request did not get the full page")
	}
}

func TestAccountsList(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	r := c.post("/accounts", url.Values{"name": {"Acme BM"}, "platform": {"Meta"}, "kind": {"Business Manager"},
		"external_id": {"1234567890"}, "url": {"https://business.facebook.com/"}, "criticality": {"high"}, "status": {"active"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /accounts: status %d", r.status)
	}
	acme := idFromLocation(t, r, "/accounts/")
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'account.created' AND record_id = ?", acme); n != 1 {
		t.Errorf("account.created events = %d", n)
	}
	before := app.snapshot()
	r = c.post("/accounts", url.Values{"name": {"No Platform"}, "url": {"javascript:alert(1)"}})
	if errs := fieldErrors(r.body); r.status != http.StatusUnprocessableEntity || !slices.Contains(errs, "platform") || !slices.Contains(errs, "url") {
		t.Errorf("invalid account: status %d", r.status)
	}
	if app.snapshot() != before {
		t.Error("an invalid account changed the database")
	}
	app.createAccount("Other Org", "GitHub")
	if r := c.get("/accounts?q=acme"); r.status != http.StatusOK || !strings.Contains(r.body, "Acme BM") || strings.Contains(r.body, "Other Org") {
		t.Errorf("accounts search: status %d", r.status)
	}
	if r := c.get("/accounts?q=acme", asHTMX("list")); strings.Contains(r.body, "<html") || !strings.Contains(r.body, "Acme BM") {
		t.Error("htmx accounts search did not answer with the list fragment")
	}
}

func TestInlineRoles(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	ivan := app.createOwner("Ivan Holder", "ivan@example.com")
	acct := app.createAccount("Acme Ads", "Meta")
	ownerPage, accountPage := path("/owners/:id", ivan), path("/accounts/:id", acct)
	grant := func(role string) url.Values {
		return url.Values{"context": {"owner"}, "context_id": {id(ivan)}, "owner_id": {id(ivan)}, "account_id": {id(acct)},
			"role": {role}, "admin": {"1"}}
	}

	// htmx: the panel and an out-of-band timeline, no page.
	r := c.post("/roles", grant("Admin"), asHTMX("roles-panel"))
	if r.status != http.StatusOK {
		t.Fatalf("inline grant: status %d", r.status)
	}
	if !strings.Contains(r.body, `id="roles-panel"`) || !strings.Contains(r.body, `id="timeline"`) || !strings.Contains(r.body, `data-hx-swap-oob="true"`) || strings.Contains(r.body, "<html") {
		t.Errorf("inline grant answer is not the panel plus an out-of-band timeline: %.300q", r.body)
	}
	roleID := app.count("SELECT id FROM roles WHERE owner_id = ? AND account_id = ? AND role = 'Admin' AND admin = 1 AND status = 'active'", ivan, acct)
	if roleID == 0 {
		t.Fatal("granted role not stored")
	}
	if app.text("SELECT granted_on FROM roles WHERE id = ?", roleID) == "" {
		t.Error("inline grant did not default granted_on to today")
	}
	if !strings.Contains(r.body, `data-role-id="`+id(roleID)+`"`) {
		t.Error("the new role is not in the returned panel")
	}
	if !slices.Contains(timelineActions(r.body), "role.created") {
		t.Error("the returned timeline lacks the role.created event")
	}
	for _, link := range []string{"owner", "account", "role"} {
		want := map[string]int64{"owner": ivan, "account": acct, "role": roleID}[link]
		if n := app.count(`SELECT COUNT(*) FROM audit_links l JOIN audit_events e ON e.id = l.event_id
			WHERE e.action = 'role.created' AND e.user_id = ? AND l.record_kind = ? AND l.record_id = ?`, editorID, link, want); n != 1 {
			t.Errorf("role.created linked to %s %d: %d times, want 1", link, want, n)
		}
	}

	// A plain form post goes back to the owner's page.
	r = c.post("/roles", grant("Analyst"))
	if r.status != http.StatusSeeOther || r.location() != ownerPage {
		t.Errorf("plain inline grant: status %d location %q, want 303 to %s", r.status, r.location(), ownerPage)
	}
	if n := app.count("SELECT COUNT(*) FROM roles WHERE owner_id = ? AND role = 'Analyst'", ivan); n != 1 {
		t.Errorf("Analyst roles = %d, want 1", n)
	}

	// Invalid inline grants: the panel with the error, nothing written.
	for name, form := range map[string]url.Values{
		"no account": {"context": {"owner"}, "context_id": {id(ivan)}, "owner_id": {id(ivan)}, "role": {"Editor"}},
		"duplicate":  grant("admin"),
	} {
		before := app.snapshot()
		r = c.post("/roles", form, asHTMX("roles-panel"))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-testid="field-error"`) || !strings.Contains(r.body, `id="roles-panel"`) {
			t.Errorf("%s: status %d, want 422 with the panel and a field error", name, r.status)
		}
		if app.snapshot() != before {
			t.Errorf("%s: the database changed", name)
		}
	}

	// Editing a role records each changed field, on the role's, the owner's
	// and the account's timelines.
	grantedOn := app.text("SELECT granted_on FROM roles WHERE id = ?", roleID)
	r = c.post(path("/roles/:id", roleID), url.Values{"account_id": {id(acct)}, "owner_id": {id(ivan)}, "role": {"Super Admin"},
		"granted_on": {grantedOn}, "review_by": {"2099-01-01"}, "status": {"active"}})
	if r.status != http.StatusSeeOther || r.location() != path("/roles/:id", roleID) {
		t.Fatalf("role update: status %d location %q", r.status, r.location())
	}
	changes := changesOf(t, app, "role.updated", roleID)
	for field, ba := range map[string][2]string{"role": {"Admin", "Super Admin"}, "admin": {"yes", "no"}, "review_by": {"", "2099-01-01"}} {
		if ch, ok := change(changes, field); !ok || ch.Before != ba[0] || ch.After != ba[1] {
			t.Errorf("role.updated change of %s = %+v, want %q → %q", field, ch, ba[0], ba[1])
		}
	}
	if len(changes) != 3 {
		t.Errorf("role.updated changes = %+v, want 3", changes)
	}
	for _, p := range []string{ownerPage, accountPage} {
		if got := timelineActions(c.get(p).body); len(got) == 0 || got[0] != "role.updated" {
			t.Errorf("GET %s: timeline starts %q, want role.updated first", p, got)
		}
	}
	if r := c.post("/roles/999999/remove", nil); r.status != http.StatusNotFound {
		t.Errorf("removing a missing role: status %d, want 404", r.status)
	}

	// Removing keeps the row as removed and shows on both timelines.
	r = c.post(path("/roles/:id/remove", roleID), url.Values{"context": {"owner"}, "context_id": {id(ivan)}}, asHTMX("roles-panel"))
	if r.status != http.StatusOK || !slices.Contains(timelineActions(r.body), "role.removed") {
		t.Fatalf("inline remove: status %d", r.status)
	}
	if got := app.text("SELECT status FROM roles WHERE id = ?", roleID); got != "removed" {
		t.Errorf("role status = %q, want removed", got)
	}
	if ch, ok := change(changesOf(t, app, "role.removed", roleID), "status"); !ok || ch.Before != "active" || ch.After != "removed" {
		t.Errorf("role.removed change = %+v", ch)
	}
	for _, p := range []string{ownerPage, accountPage, path("/roles/:id", roleID)} {
		page := c.get(p)
		if page.status != http.StatusOK {
			t.Errorf("GET %s: status %d", p, page.status)
			continue
		}
		if !slices.Contains(timelineActions(page.body), "role.removed") {
			t.Errorf("GET %s: no role.removed timeline event", p)
		}
	}
	for _, p := range []string{ownerPage, accountPage, "/roles"} {
		if page := c.get(p); !strings.Contains(page.body, `/roles/`+id(roleID)+`"`) {
			t.Errorf("GET %s: the removed role is no longer listed", p)
		}
	}
	// Links both ways: the owner's page to the account, the account's to the holder.
	if !strings.Contains(c.get(ownerPage).body, `href="`+accountPage+`"`) || !strings.Contains(c.get(accountPage).body, `href="`+ownerPage+`"`) {
		t.Error("owner and account pages do not link to each other through the role")
	}
	// Removing again changes nothing; a plain remove goes to the role's page.
	events := app.count("SELECT COUNT(*) FROM audit_events")
	if r := c.post(path("/roles/:id/remove", roleID), nil); r.status != http.StatusSeeOther || r.location() != path("/roles/:id", roleID) {
		t.Errorf("second remove: status %d location %q", r.status, r.location())
	}
	if app.count("SELECT COUNT(*) FROM audit_events") != events {
		t.Error("removing a removed role wrote an event")
	}
	if n := app.count("SELECT COUNT(*) FROM roles"); n != 2 {
		t.Errorf("roles = %d, want 2 (nothing deleted)", n)
	}

	// From the account's page, the same grant works with the holder chosen.
	other := app.createOwner("Jo Other", "")
	r = c.post("/roles", url.Values{"context": {"account"}, "context_id": {id(acct)}, "account_id": {id(acct)},
		"owner_id": {id(other)}, "role": {"Advertiser"}}, asHTMX("roles-panel"))
	if r.status != http.StatusOK || !strings.Contains(r.body, "Jo Other") {
		t.Errorf("grant from the account page: status %d", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM roles WHERE owner_id = ? AND account_id = ? AND role = 'Advertiser'", other, acct); n != 1 {
		t.Errorf("Advertiser roles = %d, want 1", n)
	}
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	const name = `<script>alert(1)</script>`
	const notes = `"><img src=x onerror=alert(1)>`
	r := c.post("/owners", ownerForm(name, "", "active", "", notes))
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: status %d", r.status)
	}
	owner := idFromLocation(t, r, "/owners/")
	if got := app.text("SELECT name FROM owners WHERE id = ?", owner); got != name {
		t.Fatalf("stored name %q, want it as typed", got)
	}
	acct := app.createAccount(`<b>bold</b> account`, "Meta")
	if r := c.post("/roles", url.Values{"context": {"owner"}, "context_id": {id(owner)}, "owner_id": {id(owner)},
		"account_id": {id(acct)}, "role": {`<svg onload=alert(1)>`}}); r.status != http.StatusSeeOther {
		t.Fatalf("grant: status %d", r.status)
	}
	// A failed sign-in with markup in the email is not echoed raw, and not
	// kept: the email is no login's.
	if r := app.newClient().signIn(`<script>alert(1)</script>@example.com`, "whatever-password"); r.status != http.StatusUnauthorized ||
		strings.Contains(r.body, "<script>alert(1)") {
		t.Errorf("failed sign-in with markup: status %d, raw markup echoed %v", r.status, strings.Contains(r.body, "<script>alert(1)"))
	}

	pages := map[string]response{
		"owner page":    c.get(path("/owners/:id", owner)),
		"edit form":     c.get(path("/owners/:id/edit", owner)),
		"owners list":   c.get("/owners"),
		"htmx list":     c.get("/owners?q=script", asHTMX("list")),
		"search box":    c.get("/owners?q=" + url.QueryEscape(name)),
		"timeline page": c.get(path("/owners/:id/timeline", owner)),
		"account page":  c.get(path("/accounts/:id", acct)),
		"roles list":    c.get("/roles"),
		"home page":     c.get("/"),
		"invalid form":  c.post("/owners", ownerForm(name, "bad email "+notes, "active", "", notes)),
	}
	for where, r := range pages {
		if r.status != http.StatusOK && r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", where, r.status)
			continue
		}
		for _, raw := range []string{"<script>alert(1)", "<img src=x", "<svg onload", "<b>bold</b>"} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s: raw %q in the page", where, raw)
			}
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(r.body, "&lt;svg onload=alert(1)&gt;") {
			t.Errorf("%s: the escaped text is not shown", where)
		}
	}
	if !strings.Contains(pages["owner page"].body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("owner page: escaped notes not shown")
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE summary LIKE '%alert(1)</script>@example.com%'"); n != 0 {
		t.Errorf("the typed email of a failed sign-in is in %d audit events", n)
	}
}

var loadMore = regexp.MustCompile(`href="(/owners/\d+/timeline\?before=(\d+))"`)

func TestTimelineLoadMore(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	owner := app.createOwner("Many Changes", "")
	for i := 1; i <= 25; i++ {
		err := app.store.UpdateOwner(context.Background(), db.SystemActor("test"), owner,
			db.OwnerInput{Name: "Many Changes", Notes: fmt.Sprintf("revision %02d", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	// 26 events: owner.created and 25 updates. The page shows the newest 20.
	page := c.get(path("/owners/:id", owner))
	if n := len(timelineActions(page.body)); n != 20 {
		t.Fatalf("owner page shows %d events, want 20", n)
	}
	if !strings.Contains(page.body, "revision 25") || strings.Contains(page.body, "revision 04") {
		t.Error("owner page does not show the newest events")
	}
	m := loadMore.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, "Load more") {
		t.Fatal("no Load more link on the owner page")
	}
	more := c.get(m[1], asHTMX("timeline-more"))
	if more.status != http.StatusOK || strings.Contains(more.body, "<html") {
		t.Fatalf("load more: status %d, fragment %v", more.status, !strings.Contains(more.body, "<html"))
	}
	if n := len(timelineActions(more.body)); n != 6 {
		t.Errorf("load more gave %d events, want 6", n)
	}
	if !slices.Contains(timelineActions(more.body), "owner.created") || !strings.Contains(more.body, "revision 01") {
		t.Error("load more lacks the oldest events")
	}
	if strings.Contains(more.body, "revision 25") || strings.Contains(more.body, "Load more") {
		t.Error("load more repeats events or offers more at the end")
	}
	if vary := more.header.Values("Vary"); !slices.Contains(vary, "HX-Request") {
		t.Errorf("timeline Vary = %q, want HX-Request among them", vary)
	}
	// Without htmx the same URL is a full page.
	full := c.get(m[1])
	if full.status != http.StatusOK || !strings.Contains(full.body, "<html") || len(timelineActions(full.body)) != 6 {
		t.Errorf("timeline page: status %d, %d events", full.status, len(timelineActions(full.body)))
	}
	if first := c.get(path("/owners/:id/timeline", owner)); len(timelineActions(first.body)) != 20 {
		t.Errorf("timeline first page: %d events, want 20", len(timelineActions(first.body)))
	}
}
