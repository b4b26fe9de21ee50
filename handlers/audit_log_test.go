package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"steward/db"
)

// hasAttr reports whether tok carries the attribute key, with or without a value.
func hasAttr(tok html.Token, key string) bool {
	return slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool { return a.Key == key })
}

// selectOptions lists the values of the options of the page's select with
// the id, but for the empty "any" choice, and the value selected.
func selectOptions(body, id string) (values []string, selected string, found bool) {
	in := false
	z := html.NewTokenizer(strings.NewReader(body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch {
		case tok.Data == "select" && tt == html.StartTagToken:
			in = attr(tok, "id") == id
			found = found || in
		case tok.Data == "select" && tt == html.EndTagToken:
			in = false
		case in && tok.Data == "option" && tt == html.StartTagToken:
			if v := attr(tok, "value"); v != "" {
				values = append(values, v)
			}
			if hasAttr(tok, "selected") {
				selected = attr(tok, "value")
			}
		}
	}
	return values, selected, found
}

// TestAuditActionFilterListsTheLoggedActions: the audit log's action filter
// is a list of the actions the log holds (the ones only admins may read
// left out for everyone else), and a chosen one stays chosen.
func TestAuditActionFilterListsTheLoggedActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	app.createUser("viewer@example.com", db.RoleViewer)
	account := app.createAccount("Acme Ads", "Meta")
	role := app.createRole(account, app.createOwner("Ada Lovelace", ""), "Advertiser")
	if err := app.store.RemoveRole(ctx, db.SystemActor("test"), role); err != nil {
		t.Fatal(err)
	}
	if r := app.newClient().signIn("admin@example.com", "wrong password"); r.status != http.StatusUnauthorized {
		t.Fatalf("failed sign-in: status %d", r.status)
	}
	admin, viewer := app.signedIn("admin@example.com"), app.signedIn("viewer@example.com")

	logged := func(query string) []string {
		return strings.Fields(app.text("SELECT group_concat(action, ' ') FROM (SELECT DISTINCT action FROM audit_events " + query + " ORDER BY action)"))
	}
	for name, tc := range map[string]struct {
		c    *client
		want []string
	}{
		"admin":  {admin, logged("")},
		"viewer": {viewer, logged("WHERE action <> 'user.sign_in_failed'")},
	} {
		r := tc.c.get("/audit")
		got, selected, found := selectOptions(r.body, "action")
		if r.status != http.StatusOK || !found {
			t.Fatalf("%s GET /audit: status %d, action select found %v", name, r.status, found)
		}
		if !slices.Equal(got, tc.want) || selected != "" {
			t.Errorf("%s: the action filter offers %v (selected %q), want the logged actions %v, none selected", name, got, selected, tc.want)
		}
	}
	if !slices.Contains(logged(""), "user.sign_in_failed") || !slices.Contains(logged(""), "role.removed") {
		t.Fatalf("the log lacks the actions this test made: %v", logged(""))
	}

	r := viewer.get("/audit?" + url.Values{"action": {"role.removed"}}.Encode())
	if _, selected, _ := selectOptions(r.body, "action"); selected != "role.removed" {
		t.Errorf("filtered by role.removed, the list shows %q chosen", selected)
	}
	if got := timelineActions(r.body); !slices.Equal(got, []string{"role.removed"}) {
		t.Errorf("filtered by role.removed, the log shows %v", got)
	}
}

// TestRoleEventsSayWhoAndWhere: an event about a role names the role, its
// holder and its account, on the audit log and on the timelines, for
// people and system users alike.
func TestRoleEventsSayWhoAndWhere(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	jake := app.createOwner("Jake Morrison", "jake@example.com")
	account := app.createAccount("Northwind – Retargeting", "Meta")
	bot, err := app.store.CreateSystemUser(ctx, db.SystemActor("test"), db.SystemUserInput{Name: "CRM bot", AccountID: id(account)})
	if err != nil {
		t.Fatal(err)
	}

	r := c.post("/roles", url.Values{"account_id": {id(account)}, "owner_id": {id(jake)}, "role": {"Advertiser"}, "status": {"active"}})
	role := idFromLocation(t, r, "/roles/")
	if r := c.post(path("/roles/:id/remove", role), nil); r.status != http.StatusSeeOther && r.status != http.StatusOK {
		t.Fatalf("remove the role: status %d", r.status)
	}
	botRole, err := app.store.CreateRole(ctx, db.SystemActor("test"), db.RoleInput{AccountID: id(account), SystemUserID: id(bot), Role: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"granted":     "Granted role Advertiser to Jake Morrison on Northwind – Retargeting",
		"removed":     "Removed role Advertiser from Jake Morrison on Northwind – Retargeting",
		"system user": "Granted role Admin to system user CRM bot on Northwind – Retargeting",
	}
	for what, q := range map[string]struct {
		action string
		id     int64
	}{"granted": {"role.created", role}, "removed": {"role.removed", role}, "system user": {"role.created", botRole}} {
		if got := app.text("SELECT summary FROM audit_events WHERE action = ? AND record_kind = 'role' AND record_id = ?", q.action, q.id); got != want[what] {
			t.Errorf("%s: the event says %q, want %q", what, got, want[what])
		}
	}
	for _, page := range []string{"/audit", path("/owners/:id", jake), path("/accounts/:id/timeline", account), path("/roles/:id", role)} {
		r := c.get(page)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", page, r.status)
			continue
		}
		for _, what := range []string{"granted", "removed"} {
			if !strings.Contains(r.body, want[what]) {
				t.Errorf("%s does not say %q", page, want[what])
			}
		}
	}
}
