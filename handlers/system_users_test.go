package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

// snapshotWithSystemUsers is snapshot plus the system users and
// integrations, so a refused change to either is seen too.
func (a *testApp) snapshotWithSystemUsers() string {
	a.t.Helper()
	return a.snapshot() +
		a.text(`SELECT json_group_array(json_array(id, name, account_id, external_id, admin, owner_id, integration_id, status, notes, updated_at)) FROM system_users`) + "\n" +
		a.text(`SELECT json_group_array(json_array(id, name, description, runs_on, owner_id, status, notes, updated_at)) FROM integrations`)
}

// createIntegrationFor adds an integration straight through the store.
func (a *testApp) createIntegrationFor(name string, ownerID int64) int64 {
	a.t.Helper()
	in := db.IntegrationInput{Name: name}
	if ownerID != 0 {
		in.ResponsibleOwnerID = id(ownerID)
	}
	iid, err := a.store.CreateIntegration(context.Background(), db.SystemActor("test"), in)
	if err != nil {
		a.t.Fatalf("CreateIntegration(%s): %v", name, err)
	}
	return iid
}

// createSystemUserIn adds a system user in an account straight through the store.
func (a *testApp) createSystemUserIn(name string, accountID int64) int64 {
	a.t.Helper()
	sid, err := a.store.CreateSystemUser(context.Background(), db.SystemActor("test"), db.SystemUserInput{Name: name, AccountID: id(accountID)})
	if err != nil {
		a.t.Fatalf("CreateSystemUser(%s): %v", name, err)
	}
	return sid
}

// systemUserForm is a complete system user form as the edit page posts it.
func systemUserForm(name string, accountID int64, externalID, admin, ownerID, integrationID, status string) url.Values {
	return url.Values{"name": {name}, "account_id": {id(accountID)}, "external_id": {externalID}, "admin": {admin},
		"responsible_owner_id": {ownerID}, "integration_id": {integrationID}, "status": {status}, "notes": {""}}
}

// linkedTo counts the links of the newest event with action to a record.
func (a *testApp) linkedTo(action, kind string, recordID int64) int64 {
	a.t.Helper()
	return a.count(`SELECT COUNT(*) FROM audit_links l WHERE l.record_kind = ? AND l.record_id = ?
		AND l.event_id = (SELECT MAX(id) FROM audit_events WHERE action = ?)`, kind, recordID, action)
}

func TestSystemUserCreateAndUpdate(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	kenji := app.createOwner("Kenji Watanabe", "kenji@example.com")
	bm := app.createAccount("Northwind BM", "Meta")
	capi := app.createIntegrationFor("Conversions API", kenji)

	if r := c.get("/system-users/new?account_id=" + id(bm)); r.status != http.StatusOK || !strings.Contains(r.body, `name="_csrf"`) ||
		!strings.Contains(r.body, `value="`+id(bm)+`" selected`) {
		t.Fatalf("GET /system-users/new: status %d, or the account is not preselected", r.status)
	}

	r := c.post("/system-users", systemUserForm("conversions-api-admin", bm, "61550293847561", "1", id(kenji), id(capi), "active"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /system-users: status %d", r.status)
	}
	su := idFromLocation(t, r, "/system-users/")
	if got := app.text(`SELECT name || '|' || account_id || '|' || external_id || '|' || admin || '|' || owner_id || '|' || integration_id || '|' || status
		FROM system_users WHERE id = ?`, su); got != "conversions-api-admin|"+id(bm)+"|61550293847561|1|"+id(kenji)+"|"+id(capi)+"|active" {
		t.Errorf("stored system user = %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'system_user.created' AND record_kind = 'system_user' AND record_id = ? AND user_id = ?", su, editorID); n != 1 {
		t.Fatalf("system_user.created events by the editor = %d, want 1", n)
	}
	for kind, rid := range map[string]int64{"system_user": su, "account": bm, "owner": kenji, "integration": capi} {
		if n := app.linkedTo("system_user.created", kind, rid); n != 1 {
			t.Errorf("system_user.created linked to %s %d: %d, want 1", kind, rid, n)
		}
	}
	if ch, ok := change(changesOf(t, app, "system_user.created", su), "integration"); !ok || ch.After != "Conversions API (#"+id(capi)+")" {
		t.Errorf("created integration change = %+v", ch)
	}

	page := c.get(path("/system-users/:id", su))
	if page.status != http.StatusOK || !strings.Contains(page.body, "System user added.") || strings.Count(page.body, `data-testid="timeline-event"`) != 1 {
		t.Fatalf("system user page: status %d, %d timeline events", page.status, strings.Count(page.body, `data-testid="timeline-event"`))
	}
	for _, want := range []string{`href="/accounts/` + id(bm) + `"`, `href="/owners/` + id(kenji) + `"`, `href="/integrations/` + id(capi) + `"`,
		`data-testid="admin-system-user"`, "can create other system users and assign assets", "one system user per kind of access", `id="roles-panel"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("system user page lacks %q", want)
		}
	}
	// Links back: the owner, the account and the integration name it.
	for _, p := range []string{path("/owners/:id", kenji), path("/accounts/:id", bm), path("/integrations/:id", capi)} {
		if back := c.get(p); back.status != http.StatusOK || !strings.Contains(back.body, `href="/system-users/`+id(su)+`"`) {
			t.Errorf("GET %s: status %d, links to the system user %v", p, back.status, strings.Contains(back.body, `href="/system-users/`+id(su)+`"`))
		}
		if tl := c.get(p); strings.Count(tl.body, `data-action="system_user.created"`) != 1 {
			t.Errorf("GET %s: the timeline does not show system_user.created", p)
		}
	}

	t.Run("invalid forms write nothing", func(t *testing.T) {
		cases := []struct {
			name  string
			form  url.Values
			field string
			kept  string
		}{
			{"empty name", systemUserForm("", bm, "kept-external-id", "", "", "", "active"), "name", "kept-external-id"},
			{"no account", url.Values{"name": {"No Account"}}, "account_id", "No Account"},
			{"missing account", systemUserForm("Lost", 999999, "", "", "", "", "active"), "account_id", "Lost"},
			{"missing owner", systemUserForm("Orphan", bm, "", "", "999999", "", "active"), "responsible_owner_id", "Orphan"},
			{"missing integration", systemUserForm("Unused", bm, "", "", "", "999999", "active"), "integration_id", "Unused"},
			{"unknown status", systemUserForm("Odd", bm, "", "", "", "", "retired"), "status", "Odd"},
			{"duplicate external ID", systemUserForm("Twin", bm, "61550293847561", "", "", "", "active"), "external_id", "Twin"},
		}
		for _, tc := range cases {
			before := app.snapshotWithSystemUsers()
			events := app.count("SELECT COUNT(*) FROM audit_events")
			r := c.post("/system-users", tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", tc.name, r.status)
				continue
			}
			if !strings.Contains(r.body, `data-testid="field-error" data-field="`+tc.field+`"`) {
				t.Errorf("%s: no field error beside %s", tc.name, tc.field)
			}
			if !strings.Contains(r.body, `value="`+tc.kept+`"`) {
				t.Errorf("%s: the user's value %q is not kept", tc.name, tc.kept)
			}
			if app.snapshotWithSystemUsers() != before || app.count("SELECT COUNT(*) FROM audit_events") != events {
				t.Errorf("%s: the database changed", tc.name)
			}
		}
		if n := app.count("SELECT COUNT(*) FROM system_users"); n != 1 {
			t.Errorf("system users = %d, want 1", n)
		}
	})

	t.Run("update, then remove", func(t *testing.T) {
		if edit := c.get(path("/system-users/:id/edit", su)); edit.status != http.StatusOK || !strings.Contains(edit.body, `value="conversions-api-admin"`) ||
			!strings.Contains(edit.body, `name="admin" type="checkbox" value="1" checked`) {
			t.Fatalf("edit form: status %d, not filled in", edit.status)
		}
		// Unticking admin sends no admin field at all, as a browser does.
		form := systemUserForm("conversions-api", bm, "61550293847561", "", id(kenji), id(capi), "active")
		form.Del("admin")
		r := c.post(path("/system-users/:id", su), form)
		if r.status != http.StatusSeeOther || r.location() != path("/system-users/:id", su) {
			t.Fatalf("update: status %d location %q", r.status, r.location())
		}
		if got := app.text("SELECT name || '|' || admin FROM system_users WHERE id = ?", su); got != "conversions-api|0" {
			t.Errorf("stored = %q, want the new name and admin off", got)
		}
		changes := changesOf(t, app, "system_user.updated", su)
		if ch, ok := change(changes, "admin"); !ok || ch.Before != "yes" || ch.After != "no" || len(changes) != 2 {
			t.Errorf("update changes = %+v, want name and admin yes → no", changes)
		}
		events := app.count("SELECT COUNT(*) FROM audit_events")
		if r := c.post(path("/system-users/:id", su), form); r.status != http.StatusSeeOther {
			t.Errorf("unchanged save: status %d", r.status)
		}
		if app.count("SELECT COUNT(*) FROM audit_events") != events {
			t.Error("an unchanged save wrote an event")
		}
		before := app.snapshotWithSystemUsers()
		if r := c.post(path("/system-users/:id", su), systemUserForm("", bm, "", "", "", "", "active")); r.status != http.StatusUnprocessableEntity {
			t.Errorf("invalid update: status %d", r.status)
		}
		if app.snapshotWithSystemUsers() != before {
			t.Error("an invalid update changed the database")
		}
		if r := c.post("/system-users/999999", form); r.status != http.StatusNotFound {
			t.Errorf("update of a missing system user: status %d, want 404", r.status)
		}

		r = c.post(path("/system-users/:id/remove", su), nil)
		if r.status != http.StatusSeeOther || r.location() != path("/system-users/:id", su) {
			t.Fatalf("remove: status %d location %q", r.status, r.location())
		}
		if got := app.text("SELECT status FROM system_users WHERE id = ?", su); got != "removed" {
			t.Errorf("status = %q, want removed", got)
		}
		if n := app.linkedTo("system_user.removed", "integration", capi); n != 1 {
			t.Errorf("system_user.removed not on the integration's timeline")
		}
		if page := c.get(path("/system-users/:id/timeline", su)); page.status != http.StatusOK || strings.Count(page.body, `data-testid="timeline-event"`) != 3 {
			t.Errorf("timeline page: status %d, %d events, want 3", page.status, strings.Count(page.body, `data-testid="timeline-event"`))
		}
	})
}

func TestIntegrationCreateAndRetire(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	ravi := app.createOwner("Ravi Patel", "ravi@example.com")

	form := url.Values{"name": {"Looker Studio reporting"}, "description": {"Weekly ROAS dashboards"}, "runs_on": {"Looker Studio"},
		"responsible_owner_id": {id(ravi)}, "status": {"active"}, "notes": {""}}
	r := c.post("/integrations", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /integrations: status %d", r.status)
	}
	looker := idFromLocation(t, r, "/integrations/")
	if got := app.text("SELECT name || '|' || description || '|' || runs_on || '|' || owner_id || '|' || status FROM integrations WHERE id = ?", looker); got != "Looker Studio reporting|Weekly ROAS dashboards|Looker Studio|"+id(ravi)+"|active" {
		t.Errorf("stored integration = %q", got)
	}
	if n := app.linkedTo("integration.created", "owner", ravi); n != 1 {
		t.Error("integration.created is not on the responsible owner's timeline")
	}
	if owner := c.get(path("/owners/:id", ravi)); !strings.Contains(owner.body, `href="/integrations/`+id(looker)+`"`) || !strings.Contains(owner.body, "Integrations they answer for") {
		t.Error("the owner's page does not link to the integration they answer for")
	}

	for name, bad := range map[string]url.Values{
		"no name":        {"name": {""}, "runs_on": {"kept place"}},
		"missing owner":  {"name": {"kept place"}, "responsible_owner_id": {"999999"}},
		"unknown status": {"name": {"kept place"}, "status": {"removed"}},
	} {
		before := app.snapshotWithSystemUsers()
		r := c.post("/integrations", bad)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-testid="field-error"`) || !strings.Contains(r.body, `value="kept place"`) {
			t.Errorf("%s: status %d, want 422 with the error and the value kept", name, r.status)
		}
		if app.snapshotWithSystemUsers() != before {
			t.Errorf("%s: the database changed", name)
		}
	}

	// A retired integration whose system user is still active says so.
	bm := app.createAccount("BM", "Meta")
	su := app.createSystemUserIn("looker-reporting", bm)
	if r := c.post(path("/system-users/:id", su), systemUserForm("looker-reporting", bm, "", "", "", id(looker), "active")); r.status != http.StatusSeeOther {
		t.Fatalf("link the system user: status %d", r.status)
	}
	r = c.post(path("/integrations/:id/retire", looker), nil)
	if r.status != http.StatusSeeOther || r.location() != path("/integrations/:id", looker) {
		t.Fatalf("retire: status %d location %q", r.status, r.location())
	}
	if got := app.text("SELECT status FROM integrations WHERE id = ?", looker); got != "retired" {
		t.Errorf("status = %q, want retired", got)
	}
	if ch, ok := change(changesOf(t, app, "integration.retired", looker), "status"); !ok || ch.Before != "active" || ch.After != "retired" {
		t.Errorf("integration.retired change = %+v", ch)
	}
	page := c.get(path("/integrations/:id", looker))
	if page.status != http.StatusOK || !strings.Contains(page.body, `href="/system-users/`+id(su)+`"`) || !strings.Contains(page.body, "1 system user still active") {
		t.Errorf("retired integration page: status %d; lists its system user and warns: %v", page.status, strings.Contains(page.body, "1 system user still active"))
	}
	if sp := c.get(path("/system-users/:id", su)); !strings.Contains(sp.body, "Looker Studio reporting, is retired") {
		t.Error("the system user's page does not warn that its integration is retired")
	}
	if tl := c.get(path("/integrations/:id/timeline", looker)); tl.status != http.StatusOK || strings.Count(tl.body, `data-testid="timeline-event"`) != 3 {
		t.Errorf("integration timeline: status %d, %d events, want created, the system user's update, retired", tl.status, strings.Count(tl.body, `data-testid="timeline-event"`))
	}
}

func TestSystemUserInlineRoles(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	bm := app.createAccount("Northwind BM", "Meta")
	ads := app.createAccount("Northwind Ads", "Meta")
	su := app.createSystemUserIn("catalog-sync", bm)
	suPage := path("/system-users/:id", su)
	grant := func(role string) url.Values {
		return url.Values{"context": {"system_user"}, "context_id": {id(su)}, "system_user_id": {id(su)}, "account_id": {id(ads)}, "role": {role}}
	}

	page := c.get(suPage)
	if !strings.Contains(page.body, `name="system_user_id" value="`+id(su)+`"`) || strings.Contains(page.body, `name="owner_id"`) {
		t.Fatal("the system user's grant form does not fix the holder as the system user")
	}

	r := c.post("/roles", grant("Advertiser"), asHTMX("roles-panel"))
	if r.status != http.StatusOK {
		t.Fatalf("inline grant: status %d", r.status)
	}
	if !strings.Contains(r.body, `id="roles-panel"`) || !strings.Contains(r.body, `data-hx-swap-oob="true"`) || strings.Contains(r.body, "<html") {
		t.Errorf("inline grant answer is not the panel plus the system user's timeline: %.300q", r.body)
	}
	roleID := app.count("SELECT id FROM roles WHERE system_user_id = ? AND owner_id IS NULL AND account_id = ? AND role = 'Advertiser' AND status = 'active'", su, ads)
	if roleID == 0 {
		t.Fatal("no role row with the system user as holder")
	}
	if !strings.Contains(r.body, `data-role-id="`+id(roleID)+`"`) || !strings.Contains(r.body, `data-action="role.created"`) {
		t.Error("the returned panel or timeline lacks the new role")
	}
	for kind, rid := range map[string]int64{"system_user": su, "account": ads, "role": roleID} {
		if n := app.count(`SELECT COUNT(*) FROM audit_links l JOIN audit_events e ON e.id = l.event_id
			WHERE e.action = 'role.created' AND e.user_id = ? AND l.record_kind = ? AND l.record_id = ?`, editorID, kind, rid); n != 1 {
			t.Errorf("role.created linked to %s %d: %d, want 1", kind, rid, n)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_links WHERE record_kind = 'owner'"); n != 0 {
		t.Errorf("%d events linked to an owner; the holder is a system user", n)
	}

	// A plain form post goes back to the system user's page.
	if r := c.post("/roles", grant("Analyst")); r.status != http.StatusSeeOther || r.location() != suPage {
		t.Errorf("plain inline grant: status %d location %q, want 303 to %s", r.status, r.location(), suPage)
	}
	// Invalid: the panel with its error, nothing written.
	before := app.snapshotWithSystemUsers()
	noAccount := grant("Editor")
	noAccount.Del("account_id")
	if r := c.post("/roles", noAccount, asHTMX("roles-panel")); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, `data-field="account_id"`) || !strings.Contains(r.body, `id="roles-panel"`) {
		t.Errorf("invalid inline grant: status %d", r.status)
	}
	if app.snapshotWithSystemUsers() != before {
		t.Error("an invalid inline grant changed the database")
	}

	// Removing from the system user's panel answers with its panel.
	r = c.post(path("/roles/:id/remove", roleID), url.Values{"context": {"system_user"}, "context_id": {id(su)}}, asHTMX("roles-panel"))
	if r.status != http.StatusOK || !strings.Contains(r.body, `data-action="role.removed"`) {
		t.Fatalf("inline remove: status %d", r.status)
	}
	if got := app.text("SELECT status FROM roles WHERE id = ?", roleID); got != "removed" {
		t.Errorf("role status = %q, want removed", got)
	}
	// The account's holders name the system user and link to it.
	if acct := c.get(path("/accounts/:id", ads)); !strings.Contains(acct.body, `href="/system-users/`+id(su)+`"`) || !strings.Contains(acct.body, "(system user)") {
		t.Error("the account's holders do not link to the system user")
	}
}

func TestSystemUserAndIntegrationLists(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")

	for _, p := range []string{"/system-users", "/integrations"} {
		if r := c.get(p); r.status != http.StatusOK || !strings.Contains(r.body, "yet.") || strings.Contains(r.body, p+"/new") {
			t.Errorf("GET %s empty as a viewer: status %d, or it offers to add", p, r.status)
		}
	}
	bm := app.createAccount("Northwind BM", "Meta")
	for _, name := range []string{"looker-reporting", "catalog-sync", "crm-audience-upload"} {
		app.createSystemUserIn(name, bm)
	}
	app.createIntegrationFor("Looker Studio reporting", 0)
	app.createIntegrationFor("Legacy CRM sync", 0)

	for _, tc := range []struct {
		path, row, want string
		rows            int
	}{
		{"/system-users", "system-user-row", "catalog-sync", 3},
		{"/system-users?q=crm", "system-user-row", "crm-audience-upload", 1},
		{"/system-users?q=northwind", "system-user-row", "looker-reporting", 3}, // by account name
		{"/system-users?status=removed", "system-user-row", "", 0},
		{"/integrations?q=LOOKER", "integration-row", "Looker Studio reporting", 1},
		{"/integrations?status=retired", "integration-row", "", 0},
	} {
		r := c.get(tc.path)
		if r.status != http.StatusOK || strings.Count(r.body, `data-testid="`+tc.row+`"`) != tc.rows || !strings.Contains(r.body, tc.want) {
			t.Errorf("GET %s: status %d, %d rows, want %d with %q", tc.path, r.status, strings.Count(r.body, `data-testid="`+tc.row+`"`), tc.rows, tc.want)
		}
	}
	// Active search: htmx asks for #list and gets only the list.
	for _, p := range []string{"/system-users?q=crm", "/integrations?q=crm"} {
		r := c.get(p, asHTMX("list"))
		if r.status != http.StatusOK || strings.Contains(r.body, "<html") || !strings.HasPrefix(strings.TrimSpace(r.body), `<div id="list"`) {
			t.Errorf("htmx %s: status %d, not just the list fragment: %.120q", p, r.status, r.body)
		}
		if !slices.Contains(r.header.Values("Vary"), "HX-Request") {
			t.Errorf("htmx %s: Vary = %q", p, r.header.Values("Vary"))
		}
	}
	// The navigation names both kinds and marks the current one.
	if r := c.get("/integrations"); !strings.Contains(r.body, `href="/system-users"`) || !strings.Contains(r.body, `href="/integrations" aria-current="page"`) {
		t.Error("the navigation does not link both kinds with the current one marked")
	}
	// A viewer may read but not change.
	su := app.count("SELECT MIN(id) FROM system_users")
	before := app.snapshotWithSystemUsers()
	for _, p := range []string{"/system-users/new", "/integrations/new", path("/system-users/:id/edit", su)} {
		if r := c.get(p); r.status != http.StatusForbidden {
			t.Errorf("viewer GET %s: status %d, want 403", p, r.status)
		}
	}
	if r := c.post(path("/system-users/:id/remove", su), nil); r.status != http.StatusForbidden {
		t.Errorf("viewer remove: status %d, want 403", r.status)
	}
	if app.snapshotWithSystemUsers() != before {
		t.Error("a viewer's refused request changed the database")
	}
	for _, p := range []string{path("/system-users/:id", su), path("/system-users/:id/timeline", su), "/system-users/999999"} {
		want := http.StatusOK
		if strings.HasSuffix(p, "999999") {
			want = http.StatusNotFound
		}
		if r := c.get(p); r.status != want {
			t.Errorf("viewer GET %s: status %d, want %d", p, r.status, want)
		}
	}
}
