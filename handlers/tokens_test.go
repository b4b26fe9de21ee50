package handlers_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// resultCount reads a list's total from its pager: "3 results · page 1 of 1".
var resultCount = regexp.MustCompile(`([0-9]+) results? · page`)

// randomSecret is a token value no page or file could hold by chance.
func randomSecret(prefix string) string {
	return prefix + rand.Text() + rand.Text()
}

func fingerprintOf(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}

// utcToday is the date the server calls today.
func utcToday() string { return time.Now().UTC().Format("2006-01-02") }

// tokensSnapshot is every token row, for checking a refused request wrote nothing.
func (a *testApp) tokensSnapshot() string {
	a.t.Helper()
	return a.snapshot() + a.text(`SELECT json_group_array(json_array(id, name, kind, account_id, system_user_id, owner_id, integration_id,
		responsible_owner_id, created_by_owner_id, scopes, assets, issued_on, expires_on, last_rotated_on, last_reviewed_on, stored_in,
		fingerprint, last_four, status, notes, updated_at)) FROM tokens`)
}

// storeToken registers a token straight through the store.
func (a *testApp) storeToken(in db.TokenInput) int64 {
	a.t.Helper()
	saved, err := a.store.CreateToken(context.Background(), db.SystemActor("test"), in)
	if err != nil {
		a.t.Fatalf("CreateToken(%s): %v", in.Name, err)
	}
	return saved.ID
}

// tokenSystemUser adds a system user straight through the store.
func (a *testApp) tokenSystemUser(name string, accountID int64, admin bool) int64 {
	a.t.Helper()
	in := db.SystemUserInput{Name: name, AccountID: id(accountID)}
	if admin {
		in.Admin = "1"
	}
	sid, err := a.store.CreateSystemUser(context.Background(), db.SystemActor("test"), in)
	if err != nil {
		a.t.Fatalf("CreateSystemUser(%s): %v", name, err)
	}
	return sid
}

// tokenForm is a complete token form as the form page posts it.
func tokenForm(name, kind string, fields map[string]string) url.Values {
	v := url.Values{"name": {name}, "kind": {kind}, "status": {"active"}}
	for _, f := range []string{"account_id", "system_user_id", "owner_id", "integration_id", "responsible_owner_id",
		"created_by_owner_id", "scopes", "assets", "issued_on", "expires_on", "last_rotated_on", "last_reviewed_on", "stored_in", "notes", "secret"} {
		v.Set(f, fields[f])
	}
	return v
}

// tokenRows lists the token IDs of a page's token rows, in order.
func tokenRows(body string) []string {
	var out []string
	for _, attrs := range tagsWith(body, "token-row") {
		out = append(out, attrs["data-token-id"])
	}
	return out
}

func TestTokenCreateAndUpdate(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	bm := app.createAccount("Northwind BM", "Meta")
	su := app.tokenSystemUser("conversions-api", bm, false)

	if r := c.get("/tokens/new?system_user_id=" + id(su)); r.status != http.StatusOK || !strings.Contains(r.body, `name="_csrf"`) ||
		!strings.Contains(r.body, `value="`+id(su)+`" selected`) || !strings.Contains(r.body, `name="secret"`) {
		t.Fatalf("GET /tokens/new: status %d, or no CSRF field, preselected system user or secret field", r.status)
	}

	secret := randomSecret("EAAG")
	r := c.post("/tokens", tokenForm("CAPI token", "system_user_token", map[string]string{"account_id": id(bm),
		"system_user_id": id(su), "responsible_owner_id": id(ada), "created_by_owner_id": id(ada), "scopes": "ads_management",
		"issued_on": "2025-01-15", "stored_in": "1Password › Marketing", "secret": "  " + secret + "\n"}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d\n%s", r.status, r.body)
	}
	tok := idFromLocation(t, r, "/tokens/")
	if r.location() != path("/tokens/:id", tok) {
		t.Errorf("Location %q, want /tokens/%d", r.location(), tok)
	}
	want := "CAPI token|system_user_token|" + id(bm) + "|" + id(su) + "|" + id(ada) + "|ads_management|2025-01-15||" +
		utcToday() + "|1Password › Marketing|" + fingerprintOf(secret) + "|" + secret[len(secret)-4:] + "|active"
	if got := app.text(`SELECT name || '|' || kind || '|' || account_id || '|' || system_user_id || '|' || responsible_owner_id || '|' ||
		scopes || '|' || issued_on || '|' || expires_on || '|' || last_reviewed_on || '|' || stored_in || '|' || fingerprint || '|' ||
		last_four || '|' || status FROM tokens WHERE id = ?`, tok); got != want {
		t.Errorf("stored token\n %q\nwant\n %q", got, want)
	}
	if n := app.count(`SELECT COUNT(*) FROM tokens WHERE instr(name || scopes || assets || stored_in || notes || fingerprint || last_four, ?) > 0`,
		secret[:20]); n != 0 {
		t.Errorf("the secret is in %d token rows", n)
	}
	if n := app.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'token.created' AND record_id = ? AND user_id = ?`, tok, editorID); n != 1 {
		t.Errorf("token.created events by the editor = %d, want 1", n)
	}
	for _, rec := range [][2]any{{"system_user", su}, {"account", bm}, {"owner", ada}} {
		if n := app.count(`SELECT COUNT(*) FROM audit_links WHERE record_kind = ? AND record_id = ? AND event_id =
			(SELECT id FROM audit_events WHERE action = 'token.created')`, rec[0], rec[1]); n != 1 {
			t.Errorf("token.created is not on the %s's timeline", rec[0])
		}
	}
	page := c.get(path("/tokens/:id", tok))
	if page.status != http.StatusOK || !strings.Contains(page.body, "Token registered.") || !strings.Contains(page.body, "never expires") ||
		!strings.Contains(page.body, fingerprintOf(secret)) || !slices.Equal(timelineActions(page.body), []string{"token.created"}) {
		t.Errorf("token page: status %d, flash %v, never expires %v, fingerprint %v, timeline %q", page.status,
			strings.Contains(page.body, "Token registered."), strings.Contains(page.body, "never expires"),
			strings.Contains(page.body, fingerprintOf(secret)), timelineActions(page.body))
	}
	if strings.Contains(page.body, secret) {
		t.Error("the token page shows the secret")
	}
	if edit := c.get(path("/tokens/:id/edit", tok)); edit.status != http.StatusOK || !strings.Contains(edit.body, `value="CAPI token"`) ||
		strings.Contains(edit.body, secret) {
		t.Errorf("edit form: status %d, filled in %v, shows the secret %v", edit.status, strings.Contains(edit.body, `value="CAPI token"`),
			strings.Contains(edit.body, secret))
	}

	t.Run("invalid forms write nothing and never echo the secret", func(t *testing.T) {
		cases := []struct {
			name   string
			form   url.Values
			field  string
			kept   string // a value of the user's that the form must show again
			secret string
		}{
			{"no name", tokenForm("", "api_key", map[string]string{"stored_in": "Vault path kept/1"}), "name", `value="Vault path kept/1"`, ""},
			{"unknown kind", tokenForm("Odd kind", "password", nil), "kind", `value="Odd kind"`, ""},
			{"expires before issued", tokenForm("Backwards", "api_key", map[string]string{"issued_on": "2025-06-01", "expires_on": "2025-05-01"}),
				"expires_on", `value="2025-05-01"`, ""},
			{"system user and person", tokenForm("Both", "system_user_token", map[string]string{"system_user_id": id(su), "owner_id": id(ada),
				"scopes": "scopes kept"}), "owner_id", ">scopes kept</textarea>", ""},
			{"missing account", tokenForm("Ghost account", "api_key", map[string]string{"account_id": "99999"}), "account_id", `value="Ghost account"`, ""},
		}
		for i := range cases {
			cases[i].secret = randomSecret("sk_live_")
			cases[i].form.Set("secret", cases[i].secret)
		}
		for _, tc := range cases {
			before := app.tokensSnapshot()
			r := c.post("/tokens", tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", tc.name, r.status)
				continue
			}
			if !slices.Contains(fieldErrors(r.body), tc.field) {
				t.Errorf("%s: field errors %v, want one beside %s", tc.name, fieldErrors(r.body), tc.field)
			}
			if !strings.Contains(r.body, tc.kept) {
				t.Errorf("%s: the user's value %s is not kept", tc.name, tc.kept)
			}
			if strings.Contains(r.body, tc.secret) || strings.Contains(r.body, fingerprintOf(tc.secret)) {
				t.Errorf("%s: the 422 page echoes the secret or its fingerprint", tc.name)
			}
			if app.tokensSnapshot() != before {
				t.Errorf("%s: the database changed", tc.name)
			}
		}
	})

	t.Run("update keeps the fingerprint without a value and rotates with one", func(t *testing.T) {
		form := tokenForm("CAPI token (prod)", "system_user_token", map[string]string{"account_id": id(bm), "system_user_id": id(su),
			"responsible_owner_id": id(ada), "created_by_owner_id": id(ada), "scopes": "ads_management", "issued_on": "2025-01-15",
			"expires_on": "2030-01-01", "last_reviewed_on": utcToday(), "stored_in": "1Password › Marketing"})
		r := c.post(path("/tokens/:id", tok), form)
		if r.status != http.StatusSeeOther || r.location() != path("/tokens/:id", tok) {
			t.Fatalf("update: status %d location %q", r.status, r.location())
		}
		if got := app.text("SELECT name || '|' || expires_on || '|' || fingerprint || '|' || last_rotated_on FROM tokens WHERE id = ?", tok); got != "CAPI token (prod)|2030-01-01|"+fingerprintOf(secret)+"|" {
			t.Errorf("after an update without a value: %q", got)
		}
		ch := changesOf(t, app, "token.updated", tok)
		if c, ok := change(ch, "expires_on"); !ok || c.Before != "never" || c.After != "2030-01-01" {
			t.Errorf("token.updated expires_on change = %+v", c)
		}
		if _, ok := change(ch, "fingerprint"); ok {
			t.Error("an update without a value recorded a fingerprint change")
		}

		rotated := randomSecret("EAAG")
		form.Set("secret", rotated)
		if r := c.post(path("/tokens/:id", tok), form); r.status != http.StatusSeeOther {
			t.Fatalf("rotate: status %d", r.status)
		}
		if got := app.text("SELECT fingerprint || '|' || last_rotated_on FROM tokens WHERE id = ?", tok); got != fingerprintOf(rotated)+"|"+utcToday() {
			t.Errorf("after rotating: %q, want the new fingerprint and today", got)
		}
		if c, ok := change(changesOf(t, app, "token.updated", tok), "fingerprint"); !ok || !strings.HasPrefix(c.After, "sha256:"+fingerprintOf(rotated)[:12]) ||
			strings.Contains(c.Before+c.After, secret) || strings.Contains(c.Before+c.After, rotated) {
			t.Errorf("rotation's fingerprint change = %+v", c)
		}

		// The same value on a second token warns on its page.
		r = c.post("/tokens", tokenForm("Copy of CAPI", "api_key", map[string]string{"responsible_owner_id": id(ada), "secret": rotated}))
		if r.status != http.StatusSeeOther {
			t.Fatalf("second token: status %d", r.status)
		}
		copyPage := c.get(r.location())
		if !strings.Contains(copyPage.body, "already registered on token #"+id(tok)) {
			t.Error("registering a value already on another token does not warn")
		}
	})
}

func TestTokenListFilters(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format("2006-01-02") }
	never := app.storeToken(db.TokenInput{Name: "Forever token", Kind: "api_key", ResponsibleOwnerID: id(ada)})
	soon := app.storeToken(db.TokenInput{Name: "Soon token", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: day(5)})
	later := app.storeToken(db.TokenInput{Name: "Later token", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: day(300)})
	past := app.storeToken(db.TokenInput{Name: "Past token", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: day(-2)})
	bob := app.createOwner("Bob Byrne", "bob@example.com")
	bobs := app.storeToken(db.TokenInput{Name: "Bob's token", Kind: "api_key", ResponsibleOwnerID: id(bob)})

	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{bobs, never, later, past, soon}}, // sorted by name
		{"?expiry=never", []int64{bobs, never}},
		{"?expiry=soon", []int64{soon}},
		{"?expiry=expired", []int64{past}},
		{"?status=expired", []int64{past}},
		{"?status=active", []int64{bobs, never, later, soon}},
		{"?q=later", []int64{later}},
		{"?expiry=bogus", []int64{bobs, never, later, past, soon}},
		{"?responsible=ada", []int64{never, later, past, soon}},
		{"?responsible=BOB%40example", []int64{bobs}},
		{"?responsible_owner_id=" + id(bob), []int64{bobs}},
		{"?responsible=nobody", nil},
	} {
		r := c.get("/tokens" + tc.query)
		var want []string
		for _, n := range tc.want {
			want = append(want, id(n))
		}
		if r.status != http.StatusOK || !slices.Equal(tokenRows(r.body), want) {
			t.Errorf("GET /tokens%s: status %d, rows %v, want %v", tc.query, r.status, tokenRows(r.body), want)
		}
	}
	// A past-date token shows as expired in the list, though marked active.
	r := c.get("/tokens?expiry=expired")
	if !strings.Contains(r.body, "expired") {
		t.Error("a token past its date is not shown as expired")
	}
	if strings.Contains(c.get("/tokens?expiry=never").body, "Past token") {
		t.Error("the never filter lists a token with an expiry date")
	}

	// A person's tokens, linked from their page, name the person with a way back to every token.
	r = c.get("/tokens?expiry=never&responsible_owner_id=" + id(bob))
	if !strings.Contains(r.body, `data-testid="responsible-filter"`) || !strings.Contains(r.body, "Bob Byrne") ||
		!strings.Contains(r.body, `href="/tokens?expiry=never"`) {
		t.Error("the list filtered by a person does not name them with a link that clears the filter")
	}
	if strings.Contains(r.body, `id="responsible"`) {
		t.Error("the list filtered by a person also offers the text filter")
	}

	// The home page's finding links narrow the list to the finding's tokens;
	// an unknown finding is ignored.
	if err := app.store.Exec(context.Background(), "UPDATE owners SET status = 'departed' WHERE id = ?", bob); err != nil {
		t.Fatal(err)
	}
	r = c.get("/tokens?finding=owner-departed")
	if got := tokenRows(r.body); !slices.Equal(got, []string{id(bobs)}) || !strings.Contains(r.body, `data-testid="finding-filter"`) ||
		!strings.Contains(r.body, "Tokens whose responsible owner is leaving or gone") {
		t.Errorf("GET /tokens?finding=owner-departed: rows %v, want Bob's token under the finding's name", got)
	}
	if r = c.get("/tokens?finding=bogus"); len(tokenRows(r.body)) != 5 || strings.Contains(r.body, `data-testid="finding-filter"`) {
		t.Errorf("GET /tokens?finding=bogus: rows %v, want every token and no finding filter", tokenRows(r.body))
	}
	if home := c.get("/"); !strings.Contains(home.body, `href="/tokens?finding=owner-departed"`) {
		t.Error("the home page's finding does not link to its tokens")
	}

	// Sorting keeps the filters.
	sortLinks := regexp.MustCompile(`href="(/tokens\?[^"]*sort=[^"]*)"`).FindAllStringSubmatch(c.get("/tokens?expiry=never&responsible_owner_id="+id(ada)).body, -1)
	if len(sortLinks) == 0 {
		t.Error("the token list has no sort links")
	}
	for _, m := range sortLinks {
		if u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&")); err != nil || u.Query().Get("expiry") != "never" ||
			u.Query().Get("responsible_owner_id") != id(ada) {
			t.Errorf("sort link %s drops the filters", m[1])
		}
	}

	frag := c.get("/tokens?expiry=never", asHTMX("list"))
	if frag.status != http.StatusOK || strings.Contains(frag.body, "<html") || !strings.HasPrefix(strings.TrimSpace(frag.body), `<div id="list"`) ||
		!slices.Equal(tokenRows(frag.body), []string{id(bobs), id(never)}) {
		t.Errorf("htmx list: status %d, rows %v, fragment %.80q", frag.status, tokenRows(frag.body), frag.body)
	}
	if !slices.Contains(frag.header.Values("Vary"), "HX-Request") {
		t.Errorf("htmx list: Vary %q lacks HX-Request", frag.header.Values("Vary"))
	}
}

func TestTokenReviewRevokeAndAccess(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	app.createUser("viewer@example.com", db.RoleViewer)
	editor := app.signedIn("editor@example.com")
	viewer := app.signedIn("viewer@example.com")
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	tok := app.storeToken(db.TokenInput{Name: "Old token", Kind: "api_key", ResponsibleOwnerID: id(ada), LastReviewedOn: "2024-01-02"})

	// A viewer may look, not change.
	before := app.tokensSnapshot()
	for _, p := range []string{"/tokens", path("/tokens/:id/review", tok), path("/tokens/:id/revoke", tok), path("/tokens/:id", tok)} {
		if r := viewer.post(p, tokenForm("Hijacked", "api_key", nil)); r.status != http.StatusForbidden {
			t.Errorf("viewer POST %s: status %d, want 403", p, r.status)
		}
	}
	for _, p := range []string{"/tokens/new", path("/tokens/:id/edit", tok)} {
		if r := viewer.get(p); r.status != http.StatusForbidden {
			t.Errorf("viewer GET %s: status %d, want 403", p, r.status)
		}
	}
	if app.tokensSnapshot() != before {
		t.Error("a viewer's refused requests changed the database")
	}
	for _, p := range []string{"/tokens", path("/tokens/:id", tok), "/tokens/lookup", path("/tokens/:id/timeline", tok)} {
		if r := viewer.get(p); r.status != http.StatusOK {
			t.Errorf("viewer GET %s: status %d, want 200", p, r.status)
		}
	}
	if page := viewer.get(path("/tokens/:id", tok)); strings.Contains(page.body, "Mark reviewed") || strings.Contains(page.body, "Mark revoked") {
		t.Error("a viewer is offered the review or revoke buttons")
	}

	page := editor.get(path("/tokens/:id", tok))
	if !strings.Contains(page.body, path("/tokens/:id/review", tok)) || !strings.Contains(page.body, path("/tokens/:id/revoke", tok)) {
		t.Fatal("the token page offers an editor no review or revoke form")
	}
	r := editor.post(path("/tokens/:id/review", tok), nil)
	if r.status != http.StatusSeeOther || r.location() != path("/tokens/:id", tok) {
		t.Fatalf("review: status %d location %q", r.status, r.location())
	}
	if got := app.text("SELECT last_reviewed_on FROM tokens WHERE id = ?", tok); got != utcToday() {
		t.Errorf("last_reviewed_on after review = %q, want %s", got, utcToday())
	}
	if c, ok := change(changesOf(t, app, "token.reviewed", tok), "last_reviewed_on"); !ok || c.Before != "2024-01-02" || c.After != utcToday() {
		t.Errorf("token.reviewed change = %+v", c)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.reviewed' AND user_id = ?", editorID); n != 1 {
		t.Errorf("token.reviewed events by the editor = %d, want 1", n)
	}

	r = editor.post(path("/tokens/:id/revoke", tok), nil)
	if r.status != http.StatusSeeOther || r.location() != path("/tokens/:id", tok) {
		t.Fatalf("revoke: status %d location %q", r.status, r.location())
	}
	if got := app.text("SELECT status FROM tokens WHERE id = ?", tok); got != "revoked" {
		t.Errorf("status after revoke = %q", got)
	}
	page = editor.get(path("/tokens/:id", tok))
	if !slices.Equal(timelineActions(page.body), []string{"token.revoked", "token.reviewed", "token.created"}) {
		t.Errorf("timeline after review and revoke = %v", timelineActions(page.body))
	}
	if strings.Contains(page.body, "Mark revoked") {
		t.Error("a revoked token still offers Mark revoked")
	}
	if n := app.count("SELECT COUNT(*) FROM audit_links WHERE record_kind = 'owner' AND record_id = ? AND event_id = (SELECT MAX(id) FROM audit_events WHERE action = 'token.revoked')", ada); n != 1 {
		t.Error("token.revoked is not on the responsible owner's timeline")
	}

	if r := editor.post("/tokens/999999/review", nil); r.status != http.StatusNotFound {
		t.Errorf("review a missing token: status %d, want 404", r.status)
	}
}

func TestTokenLookup(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	secret := randomSecret("EAAG")
	tok := app.storeToken(db.TokenInput{Name: "Leaked CAPI token", Kind: "system_user_token", ResponsibleOwnerID: id(ada), Secret: secret})

	if r := c.get("/tokens/lookup"); r.status != http.StatusOK || !strings.Contains(r.body, `name="secret"`) ||
		len(tagsWith(r.body, "lookup-result")) != 0 {
		t.Fatalf("GET /tokens/lookup: status %d", r.status)
	}
	events := app.count("SELECT COUNT(*) FROM audit_events")
	before := app.tokensSnapshot()

	r := c.post("/tokens/lookup", url.Values{"secret": {"\n" + secret + "  "}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `data-match="found"`) || !slices.Equal(tokenRows(r.body), []string{id(tok)}) ||
		!strings.Contains(r.body, "Leaked CAPI token") || !strings.Contains(r.body, `href="/owners/`+id(ada)+`"`) {
		t.Errorf("lookup of a registered value: status %d, found %v, rows %v", r.status, strings.Contains(r.body, `data-match="found"`), tokenRows(r.body))
	}
	if strings.Contains(r.body, secret) {
		t.Error("the lookup page shows the pasted value")
	}

	unknown := randomSecret("EAAG")
	r = c.post("/tokens/lookup", url.Values{"secret": {unknown}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `data-match="none"`) || strings.Contains(r.body, `data-match="found"`) ||
		!strings.Contains(r.body, "No match") || len(tokenRows(r.body)) != 0 {
		t.Errorf("lookup of an unknown value: status %d, body lacks the no-match answer", r.status)
	}
	if strings.Contains(r.body, unknown) {
		t.Error("the lookup page shows the pasted unknown value")
	}

	for _, empty := range []string{"", "  \n "} {
		r = c.post("/tokens/lookup", url.Values{"secret": {empty}})
		if r.status != http.StatusUnprocessableEntity || len(tagsWith(r.body, "field-error")) != 1 || strings.Contains(r.body, "data-match") {
			t.Errorf("lookup of %q: status %d, want 422 with an error and no result", empty, r.status)
		}
	}
	if app.count("SELECT COUNT(*) FROM audit_events") != events || app.tokensSnapshot() != before {
		t.Error("a lookup wrote to the database")
	}
}

func TestHomeFindings(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	ctx := context.Background()
	sys := db.SystemActor("test")

	// A known setup: each line raises what its comment says.
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	leaver := app.createOwner("Lee Leaver", "lee@example.com")
	bm := app.createAccount("Northwind BM", "Meta") // one admin: single-admin
	if _, err := app.store.CreateRole(ctx, sys, db.RoleInput{AccountID: id(bm), OwnerID: id(ada), Role: "Admin", Admin: "1"}); err != nil {
		t.Fatal(err)
	}
	app.createAccount("Empty org", "GitHub")                                                                    // no-admin
	app.createRole(bm, leaver, "Advertiser")                                                                    // departed-with-access, once Lee leaves
	never := app.storeToken(db.TokenInput{Name: "Forever token", Kind: "api_key", ResponsibleOwnerID: id(ada)}) // never-expires
	app.storeToken(db.TokenInput{Name: "Orphan token", Kind: "api_key", ExpiresOn: "2999-01-01"})               // no-owner
	leaverTok := app.storeToken(db.TokenInput{Name: "Lee's token", Kind: "api_key", ResponsibleOwnerID: id(leaver),
		CreatedByOwnerID: id(leaver), ExpiresOn: "2999-01-01"}) // owner-departed, creator-departed
	app.storeToken(db.TokenInput{Name: "Soon token", Kind: "api_key", ResponsibleOwnerID: id(ada),
		ExpiresOn: time.Now().UTC().AddDate(0, 0, 3).Format("2006-01-02")}) // expiring-soon
	app.storeToken(db.TokenInput{Name: "Stale token", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: "2999-01-01",
		LastReviewedOn: "2020-01-01"}) // review-overdue
	app.storeToken(db.TokenInput{Name: "Past token", Kind: "api_key", ResponsibleOwnerID: id(ada), IssuedOn: "2020-01-01",
		ExpiresOn: "2020-06-01"}) // expired-active
	crm, err := app.store.CreateIntegration(ctx, sys, db.IntegrationInput{Name: "Old CRM", ResponsibleOwnerID: id(ada)})
	if err != nil {
		t.Fatal(err)
	}
	app.storeToken(db.TokenInput{Name: "CRM token", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: "2999-01-01",
		IntegrationID: id(crm)}) // retired-integration-active-token
	if err := app.store.RetireIntegration(ctx, sys, crm); err != nil {
		t.Fatal(err)
	}
	suAdmin := app.tokenSystemUser("capi-admin", bm, true) // admin-system-user
	if err := app.store.UpdateOwner(ctx, sys, leaver, db.OwnerInput{Name: "Lee Leaver", Email: "lee@example.com", Status: "departed",
		LeavingOn: "2025-01-01"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"never-expires": 1, "expiring-soon": 1, "expired-active": 1, "owner-departed": 1, "no-owner": 1,
		"creator-departed": 1, "review-overdue": 1, "departed-with-access": 1, "single-admin": 1, "no-admin": 1,
		"retired-integration-active-token": 1, "admin-system-user": 1}

	r := c.get("/")
	if r.status != http.StatusOK {
		t.Fatalf("GET /: status %d", r.status)
	}
	got := map[string]string{}
	for _, attrs := range tagsWith(r.body, "finding") {
		if _, dup := got[attrs["data-finding"]]; dup {
			t.Errorf("finding %s shown twice", attrs["data-finding"])
		}
		got[attrs["data-finding"]] = attrs["data-count"]
	}
	for _, kind := range db.FindingKinds() {
		if got[kind] != id(int64(want[kind])) {
			t.Errorf("home finding %s: data-count %q, want %d", kind, got[kind], want[kind])
		}
	}
	if len(got) != len(db.FindingKinds()) {
		t.Errorf("home shows findings %v, want exactly the %d kinds", got, len(db.FindingKinds()))
	}
	// Items link to their records.
	items := tagsWith(r.body, "finding-item")
	for _, rec := range []struct {
		kind string
		id   int64
	}{{"token", never}, {"token", leaverTok}, {"owner", leaver}, {"account", bm}, {"system_user", suAdmin}} {
		if !slices.ContainsFunc(items, func(a map[string]string) bool { return a["data-kind"] == rec.kind && a["data-id"] == id(rec.id) }) {
			t.Errorf("no finding item for %s #%d", rec.kind, rec.id)
		}
	}
	for _, link := range []string{`href="/tokens/` + id(never) + `"`, `href="/system-users/` + id(suAdmin) + `"`, `href="/accounts/` + id(bm) + `"`} {
		if !strings.Contains(r.body, link) {
			t.Errorf("home page lacks the link %s", link)
		}
	}

	// Each finding's links open lists that hold exactly its records: as
	// many as it counts, in all, and say they are narrowed to it.
	listed := map[string]int{}
	for _, link := range tagsWith(r.body, "finding-link") {
		href := html.UnescapeString(link["href"])
		list := c.get(href)
		if list.status != http.StatusOK || len(tagsWith(list.body, "finding-filter")) != 1 {
			t.Errorf("GET %s (from finding %s): status %d, or no chip naming the finding", href, link["data-finding"], list.status)
			continue
		}
		if m := resultCount.FindStringSubmatch(list.body); m != nil { // none: an empty list
			n, _ := strconv.Atoi(m[1])
			listed[link["data-finding"]] += n
		}
	}
	for _, kind := range db.FindingKinds() {
		if listed[kind] != want[kind] {
			t.Errorf("finding %s counts %d, its links list %d", kind, want[kind], listed[kind])
		}
	}

	// Fixing records empties their findings on the next visit.
	if err := app.store.RevokeToken(ctx, sys, leaverTok); err != nil {
		t.Fatal(err)
	}
	r = c.get("/")
	for _, attrs := range tagsWith(r.body, "finding") {
		switch attrs["data-finding"] {
		case "owner-departed", "creator-departed":
			if attrs["data-count"] != "0" {
				t.Errorf("after revoking Lee's token, %s count %s, want 0", attrs["data-finding"], attrs["data-count"])
			}
		}
	}

	// An empty database welcomes; a token registered before any owner or
	// account is a finding all the same.
	empty := newTestApp(t)
	empty.createUser("viewer@example.com", db.RoleViewer)
	ec := empty.signedIn("viewer@example.com")
	if r := ec.get("/"); !strings.Contains(r.body, "Welcome to Steward") {
		t.Error("an empty database does not show the welcome")
	}
	empty.storeToken(db.TokenInput{Name: "First token", Kind: "api_key"})
	shown := map[string]string{}
	for _, attrs := range tagsWith(ec.get("/").body, "finding") {
		shown[attrs["data-finding"]] = attrs["data-count"]
	}
	if len(shown) != len(db.FindingKinds()) || shown["never-expires"] != "1" || shown["no-owner"] != "1" || shown["no-admin"] != "0" {
		t.Errorf("home with only an unowned never-expiring token shows findings %v", shown)
	}
}

func TestSearchEverything(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	ctx := context.Background()
	sys := db.SystemActor("test")

	ada := app.createOwner("Ada Lovelace", "ada@northwind.example")
	bm := app.createAccount("Northwind BM", "Meta")
	app.createRole(bm, ada, "Northwind analyst")
	app.tokenSystemUser("northwind-capi", bm, false)
	if _, err := app.store.CreateIntegration(ctx, sys, db.IntegrationInput{Name: "Northwind CRM sync"}); err != nil {
		t.Fatal(err)
	}
	app.storeToken(db.TokenInput{Name: "Northwind token", Kind: "api_key", Scopes: "ads_read", StoredIn: "Vault zebra"})
	app.createOwner("Unrelated Person", "someone@example.com")

	app.storeToken(db.TokenInput{Name: "Lapsed zebra token", Kind: "api_key", ExpiresOn: "2020-01-01"})

	kinds := func(body string) []string {
		var out []string
		for _, attrs := range tagsWith(body, "search-group") {
			out = append(out, attrs["data-kind"])
		}
		return out
	}
	r := c.get("/search?q=northwind")
	if r.status != http.StatusOK || !strings.Contains(r.body, "<html") {
		t.Fatalf("GET /search: status %d", r.status)
	}
	if want := []string{"owner", "account", "role", "system_user", "integration", "token"}; !slices.Equal(kinds(r.body), want) {
		t.Errorf("search groups = %v, want %v", kinds(r.body), want)
	}
	if strings.Contains(r.body, "Unrelated Person") {
		t.Error("search lists an owner that does not match")
	}
	// A token past its date shows as expired in search too, with its kind's label.
	if r := c.get("/search?q=lapsed"); !regexp.MustCompile(`Lapsed zebra token</a>\s*<span[^>]*>API key · Expired — still marked active`).MatchString(r.body) {
		t.Errorf("search shows a past-date token as not expired: %s", regexp.MustCompile(`(?s)Lapsed zebra token.{0,120}`).FindString(r.body))
	}
	// Tokens are found by scope and by where they are stored.
	for _, q := range []string{"ads_read", "zebra"} {
		if got := kinds(c.get("/search?q=" + q).body); !slices.Equal(got, []string{"token"}) {
			t.Errorf("search %q groups = %v, want [token]", q, got)
		}
	}
	if r := c.get("/search?q=nothing-matches-this"); len(kinds(r.body)) != 0 || len(tagsWith(r.body, "search-empty")) != 1 {
		t.Error("a search with no match does not say so")
	}
	// A LIKE wildcard in the query is a plain character.
	if got := kinds(c.get("/search?q=" + url.QueryEscape("%")).body); len(got) != 0 {
		t.Errorf("search %% matched %v", got)
	}

	frag := c.get("/search?q=northwind", asHTMX("header-results"))
	if frag.status != http.StatusOK || strings.Contains(frag.body, "<html") || !slices.Equal(kinds(frag.body), kinds(r.body)) {
		t.Errorf("htmx search: status %d, groups %v, full page %v", frag.status, kinds(frag.body), strings.Contains(frag.body, "<html"))
	}
	if len(kinds(c.get("/search?q=northwind", asHTMX("header-results")).body)) != 6 {
		t.Error("htmx search does not group by kind")
	}
	if r := c.get("/search?q=", asHTMX("header-results")); r.status != http.StatusOK || strings.TrimSpace(r.body) != "" {
		t.Errorf("empty htmx search: status %d, body %.60q", r.status, r.body)
	}
	if r := c.get("/search?q="); r.status != http.StatusOK || len(kinds(r.body)) != 0 {
		t.Errorf("empty search page: status %d", r.status)
	}
}

func TestTokenHostileInputEscaped(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	const payload = `<script>alert(1)</script>`
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;`

	r := c.post("/tokens", tokenForm(payload, "api_key", map[string]string{"scopes": payload, "stored_in": payload, "notes": payload,
		"assets": payload}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d", r.status)
	}
	tok := idFromLocation(t, r, "/tokens/")
	if got := app.text("SELECT name || scopes || stored_in FROM tokens WHERE id = ?", tok); got != payload+payload+payload {
		t.Errorf("stored %q: the input was altered instead of escaped on output", got)
	}
	for _, p := range []string{"/tokens", path("/tokens/:id", tok), path("/tokens/:id/edit", tok), "/search?q=" + url.QueryEscape("alert"),
		"/search?q=" + url.QueryEscape(payload), "/"} {
		r := c.get(p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", p, r.status)
			continue
		}
		if strings.Contains(r.body, payload) {
			t.Errorf("GET %s renders the payload unescaped", p)
		}
		if !strings.Contains(r.body, escaped) {
			t.Errorf("GET %s does not show the escaped payload", p)
		}
	}
	// The 422 page re-renders the values escaped too.
	r = c.post("/tokens", tokenForm(payload, "bogus", map[string]string{"scopes": payload}))
	if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, payload) || !strings.Contains(r.body, escaped) {
		t.Errorf("422 page: status %d, payload raw %v", r.status, strings.Contains(r.body, payload))
	}
}

// An account with many tokens lists the first of them on its page with a
// count and a link to the token list narrowed to the account, which names it.
func TestRecordPageListsItsFirstTokensAndLinksToAll(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("val@example.com", db.RoleViewer)
	val := app.signedIn("val@example.com")
	account := app.createAccount("Datum", "Datadog")
	other := app.createAccount("Elsewhere", "GitHub")
	n := 25
	for i := range n {
		app.storeToken(db.TokenInput{Name: fmt.Sprintf("Key %03d", i), Kind: "api_key", AccountID: id(account)})
	}
	app.storeToken(db.TokenInput{Name: "Other key", Kind: "api_key", AccountID: id(other)})
	rows := regexp.MustCompile(`<tr[^>]*data-testid="token-row"`)
	page := val.get("/accounts/" + id(account))
	if got := len(rows.FindAllString(page.body, -1)); got != 20 {
		t.Errorf("the account page lists %d tokens, want the first 20", got)
	}
	link := regexp.MustCompile(`Showing 20 of 25 tokens\.\s*<a class="link" href="([^"]+)">Show all 25</a>`).FindStringSubmatch(page.body)
	if link == nil {
		t.Fatalf("the account page has no count and link to all its tokens")
	}
	all := val.get(html.UnescapeString(link[1]))
	if got := len(rows.FindAllString(all.body, -1)); got != n || strings.Contains(all.body, "Other key") || !regexp.MustCompile(`data-testid="related-filter">\s*Datum`).MatchString(all.body) {
		t.Errorf("the linked list shows %d tokens (want the account's %d), another account's, or does not name the account", got, n)
	}
}
