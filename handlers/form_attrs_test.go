package handlers_test

// What a person notices on the forms before typing anything: where the
// cursor is, what the browser and the password manager offer, and the
// sign-in page of a fresh install.

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

// fieldTags lists a page's input, select and textarea tags, in order.
func fieldTags(body string) []html.Token {
	var out []html.Token
	z := html.NewTokenizer(strings.NewReader(body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tok := z.Token(); (tt == html.StartTagToken || tt == html.SelfClosingTagToken) &&
			(tok.Data == "input" || tok.Data == "select" || tok.Data == "textarea") {
			out = append(out, tok)
		}
	}
	return out
}

// fieldByID is the page's field with the id, failing the test without one.
func fieldByID(t *testing.T, page, body, id string) html.Token {
	t.Helper()
	for _, tok := range fieldTags(body) {
		if attr(tok, "id") == id {
			return tok
		}
	}
	t.Fatalf("%s has no field #%s", page, id)
	return html.Token{}
}

// autofocused lists the ids of a page's fields that take the focus.
func autofocused(body string) []string {
	var out []string
	for _, tok := range fieldTags(body) {
		if hasAttr(tok, "autofocus") {
			out = append(out, attr(tok, "id"))
		}
	}
	return out
}

// TestSignInOnAFreshInstallSaysHowToSetUp: with no login yet, the sign-in
// page says how to create the first admin (the setup link in the log, or
// the environment variables) instead of asking for a password nobody has.
func TestSignInOnAFreshInstallSaysHowToSetUp(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.newClient()
	r := c.get("/login")
	if r.status != http.StatusOK {
		t.Fatalf("GET /login: status %d", r.status)
	}
	for _, want := range []string{`data-testid="setup-help"`, "/setup?code=", "STEWARD_ADMIN_EMAIL", "STEWARD_ADMIN_PASSWORD"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the sign-in page of a fresh install lacks %q", want)
		}
	}
	if strings.Contains(r.body, `name="password"`) {
		t.Error("the sign-in page of a fresh install asks for a password no login has")
	}
	// A sign-in tried anyway is refused, and the page still says how.
	if r := c.signIn("root@example.com", testPassword); r.status != http.StatusUnauthorized || !strings.Contains(r.body, `data-testid="setup-help"`) {
		t.Errorf("sign-in with no login: status %d, want 401 with the setup help", r.status)
	}

	app.createUser("admin@example.com", db.RoleAdmin)
	r = c.get("/login")
	if strings.Contains(r.body, `data-testid="setup-help"`) || !strings.Contains(r.body, `name="password"`) {
		t.Error("once a login exists, the sign-in page still shows the setup help instead of the form")
	}
}

// TestPasswordFieldsTellTheBrowserWhatTheyAre: sign-in fields ask for the
// saved login (username, current-password); every field that sets a
// password asks for a new one (new-password), so password managers fill in
// or offer to generate as they should.
func TestPasswordFieldsTellTheBrowserWhatTheyAre(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fresh := newTestApp(t)
	code, err := fresh.store.NewSetupCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	viewer := app.createUser("viewer@example.com", db.RoleViewer)
	link, _, err := app.store.IssuePasswordLink(ctx, db.SystemActor("test"), viewer)
	if err != nil {
		t.Fatal(err)
	}
	admin := app.signedIn("admin@example.com")

	for _, tc := range []struct {
		page   string
		c      *client
		fields map[string]string // id → autocomplete
	}{
		{"/login", app.newClient(), map[string]string{"email": "username", "password": "current-password"}},
		{"/setup?code=" + url.QueryEscape(code), fresh.newClient(), map[string]string{"email": "username", "password": "new-password"}},
		{"/me", admin, map[string]string{"current_password": "current-password", "new_password": "new-password"}},
		{"/password/set?token=" + url.QueryEscape(link), app.newClient(), map[string]string{"password": "new-password"}},
		{"/admin/users", admin, map[string]string{"password": "new-password"}},
	} {
		r := tc.c.get(tc.page)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", tc.page, r.status)
			continue
		}
		for id, want := range tc.fields {
			if got := attr(fieldByID(t, tc.page, r.body, id), "autocomplete"); got != want {
				t.Errorf("%s #%s: autocomplete %q, want %q", tc.page, id, got, want)
			}
		}
	}
}

// TestTokenValueFieldsKeepOutPasswordManagers: the fields a token's value
// is pasted into are masked, and marked so that neither the browser nor the
// common password managers fill them or offer to save the value.
func TestTokenValueFieldsKeepOutPasswordManagers(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	records := oneRecordOfEachKind(t, app)
	pages := map[string]response{}
	for _, page := range []string{"/tokens/new", path("/tokens/:id/edit", records["token"]), "/tokens/lookup"} {
		pages["GET "+page] = c.get(page)
	}
	pages["POST /tokens/lookup (empty)"] = c.post("/tokens/lookup", url.Values{"secret": {""}})
	pages["POST /tokens (invalid)"] = c.post("/tokens", url.Values{"name": {""}, "secret": {"EAAB-not-kept-0000"}})
	for page, r := range pages {
		if r.status != http.StatusOK && r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", page, r.status)
			continue
		}
		f := fieldByID(t, page, r.body, "secret")
		if f.Data != "input" || attr(f, "type") != "password" {
			t.Errorf("%s: the token value is a <%s type=%q>, want a masked <input type=password>", page, f.Data, attr(f, "type"))
		}
		if attr(f, "value") != "" {
			t.Errorf("%s: the token value field is filled in", page)
		}
		want := map[string]string{"autocomplete": "off", "data-lpignore": "true", "data-form-type": "other", "data-1p-ignore": "", "data-bwignore": ""}
		for key, value := range want {
			if !hasAttr(f, key) || attr(f, key) != value {
				t.Errorf("%s: the token value field lacks %s=%q (has %q)", page, key, value, attr(f, key))
			}
		}
	}
}

// TestFormsOpenAtTheirFirstField: a new or edit form, the sign-in, setup
// and lookup forms open with the focus in their first field; a refused form
// opens at its first field with an error; lists and record pages take no
// focus (their filters are not what a visitor came to type into).
func TestFormsOpenAtTheirFirstField(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	records := oneRecordOfEachKind(t, app)

	want := map[string][]string{}
	for _, k := range db.Kinds {
		first := []string{k.Fields[0].Name}
		want["/"+k.Path+"/new"] = first
		want[path("/"+k.Path+"/:id/edit", records[k.Name])] = first
		want["/"+k.Path] = nil
		want[path("/"+k.Path+"/:id", records[k.Name])] = nil
	}
	want["/tokens/lookup"] = []string{"secret"}
	want["/audit"] = nil
	want["/"] = nil
	for page, ids := range want {
		r := c.get(page)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", page, r.status)
			continue
		}
		if got := autofocused(r.body); !slices.Equal(got, ids) {
			t.Errorf("GET %s: autofocus on %v, want %v", page, got, ids)
		}
	}

	// An owner offboarding without a leaving date: the error is on the
	// leaving date, and so is the focus.
	r := c.post("/owners", ownerForm("Ada Lovelace", "", "offboarding", "", ""))
	if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{"leaving_on"}) {
		t.Fatalf("POST /owners offboarding without a date: status %d, errors %v; want 422 on leaving_on", r.status, fieldErrors(r.body))
	}
	if got := autofocused(r.body); !slices.Equal(got, []string{"leaving_on"}) {
		t.Errorf("the refused owner form focuses %v, want [leaving_on]", got)
	}
	if n := app.count("SELECT COUNT(*) FROM owners WHERE name = 'Ada Lovelace'"); n != 0 {
		t.Errorf("the refused owner was saved (%d rows)", n)
	}

	// Sign-in: the email first; after a refusal, which keeps the email, the password.
	anon := app.newClient()
	if got := autofocused(anon.get("/login").body); !slices.Equal(got, []string{"email"}) {
		t.Errorf("the sign-in page focuses %v, want [email]", got)
	}
	r = anon.signIn("editor@example.com", "not the password")
	if got := autofocused(r.body); r.status != http.StatusUnauthorized || !slices.Equal(got, []string{"password"}) {
		t.Errorf("a refused sign-in: status %d, focus on %v; want 401 and [password]", r.status, got)
	}
}

// TestEveryPageHasAMetaDescription: every page, signed in or not, errors
// included, describes Steward for search results and link previews.
func TestEveryPageHasAMetaDescription(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	records := oneRecordOfEachKind(t, app)
	pages := map[string]response{"/login (signed out)": app.newClient().get("/login")}
	for _, page := range []string{"/", "/owners", path("/owners/:id", records["owner"]), "/tokens/new", "/audit", "/me", "/search?q=acme", "/owners/999999"} {
		pages[page] = c.get(page)
	}
	for page, r := range pages {
		var descriptions []string
		z := html.NewTokenizer(strings.NewReader(r.body))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			if tok := z.Token(); tok.Data == "meta" && attr(tok, "name") == "description" {
				descriptions = append(descriptions, attr(tok, "content"))
			}
		}
		if len(descriptions) != 1 || len(descriptions[0]) < 50 {
			t.Errorf("%s (status %d): meta descriptions %q, want one that says what Steward is", page, r.status, descriptions)
		}
	}
}
