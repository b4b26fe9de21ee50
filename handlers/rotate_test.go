package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

// formerValues is the token table's fingerprints and the kept former ones.
func (a *testApp) formerValues() string {
	a.t.Helper()
	return a.text(`SELECT json_group_array(json_array(token_id, fingerprint, last_four, replaced_on)) FROM token_former_values`)
}

// TestRotateTokenPage: an editor pastes the new value once on the token's
// rotate page; the fingerprint and last four are replaced, the old
// fingerprint is kept, and "Whose token is this?" answers the old value as
// a former one.
func TestRotateTokenPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	old := randomSecret("EAAG")
	tok := app.storeToken(db.TokenInput{Name: "CAPI token", Kind: "system_user_token", ResponsibleOwnerID: id(ada), Secret: old})
	rotate := path("/tokens/:id/rotate", tok)

	page := c.get(path("/tokens/:id", tok))
	if !strings.Contains(page.body, `href="`+rotate+`"`) {
		t.Error("the token page has no link to rotate it")
	}
	form := c.get(rotate)
	input := regexp.MustCompile(`<input[^>]*name="secret"[^>]*>`).FindString(form.body)
	if form.status != http.StatusOK || !strings.Contains(form.body, `action="`+rotate+`"`) || !strings.Contains(form.body, old[len(old)-4:]) {
		t.Fatalf("GET %s: status %d, no form or no current value's last four", rotate, form.status)
	}
	for _, attr := range []string{`type="password"`, `autocomplete="off"`, `data-1p-ignore`, `data-lpignore="true"`} {
		if !strings.Contains(input, attr) {
			t.Errorf("the value field %s lacks %s", input, attr)
		}
	}

	before := app.tokensSnapshot() + app.formerValues()
	for name, value := range map[string]string{"empty": "  ", "current": old} {
		r := c.post(rotate, url.Values{"secret": {value}})
		if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{"secret"}) {
			t.Errorf("%s value: status %d, field errors %v; want 422 beside the value", name, r.status, fieldErrors(r.body))
		}
		if strings.Contains(r.body, old) {
			t.Errorf("%s value: the 422 page shows the value", name)
		}
		if app.tokensSnapshot()+app.formerValues() != before {
			t.Errorf("%s value: the refused rotation wrote to the database", name)
		}
	}

	fresh := randomSecret("EAAG")
	r := c.post(rotate, url.Values{"secret": {fresh + "\n"}})
	if r.status != http.StatusSeeOther || r.location() != path("/tokens/:id", tok) {
		t.Fatalf("POST %s: status %d, location %q", rotate, r.status, r.location())
	}
	if got, want := app.text("SELECT fingerprint || '|' || last_four || '|' || last_rotated_on FROM tokens WHERE id = ?", tok),
		fingerprintOf(fresh)+"|"+fresh[len(fresh)-4:]+"|"+utcToday(); got != want {
		t.Errorf("rotated token %q, want %q", got, want)
	}
	if got, want := app.formerValues(), `[[`+id(tok)+`,"`+fingerprintOf(old)+`","`+old[len(old)-4:]+`","`+utcToday()+`"]]`; got != want {
		t.Errorf("former values %s, want %s", got, want)
	}
	page = c.get(path("/tokens/:id", tok))
	if !strings.Contains(page.body, "Token rotated; new value ends …"+fresh[len(fresh)-4:]) ||
		!strings.Contains(page.body, "Rotated: fingerprint …"+old[len(old)-4:]+" → …"+fresh[len(fresh)-4:]) {
		t.Error("the token page does not say what the rotation did")
	}
	if acts := timelineActions(page.body); len(acts) == 0 || acts[0] != "token.rotated" {
		t.Errorf("timeline %v does not start with token.rotated", acts)
	}
	if strings.Contains(page.body, fresh) || strings.Contains(page.body, old) {
		t.Error("the token page shows a value")
	}

	// The old value is a former value of the token; the new one is its value.
	lookup := c.post("/tokens/lookup", url.Values{"secret": {old}})
	if lookup.status != http.StatusOK || !strings.Contains(lookup.body, `data-match="former"`) || strings.Contains(lookup.body, `data-match="none"`) ||
		!regexp.MustCompile(`a former value of <a[^>]*href="/tokens/`+id(tok)+`"[^>]*>CAPI token</a>, replaced on `+utcToday()).MatchString(lookup.body) {
		t.Errorf("lookup of the old value: status %d, no former-value answer", lookup.status)
	}
	if lookup = c.post("/tokens/lookup", url.Values{"secret": {fresh}}); !slices.Equal(tokenRows(lookup.body), []string{id(tok)}) ||
		strings.Contains(lookup.body, `data-match="former"`) {
		t.Errorf("lookup of the new value: rows %v", tokenRows(lookup.body))
	}

	// A former value is refused as a new one.
	before = app.tokensSnapshot() + app.formerValues()
	if r := c.post(rotate, url.Values{"secret": {old}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "former value") {
		t.Errorf("rotating back to the old value: status %d", r.status)
	}
	if app.tokensSnapshot()+app.formerValues() != before {
		t.Error("a refused rotation wrote to the database")
	}
}
