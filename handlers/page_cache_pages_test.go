package handlers_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"steward/db"
)

// Pages served from the page cache must still be each viewer's own: their
// CSRF token in every form, their email in the header and on the printout,
// the buttons their role allows, their messages, and the data as it is
// after the latest change.
func TestCachedPagesAreEachViewersOwnAndCurrent(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("ann@example.com", db.RoleEditor)
	app.createUser("ben@example.com", db.RoleEditor)
	app.createUser("val@example.com", db.RoleViewer)
	ann, ben, val := app.signedIn("ann@example.com"), app.signedIn("ben@example.com"), app.signedIn("val@example.com")
	owner := app.createOwner("Ada Lovelace", "ada@example.com")
	token := app.storeToken(db.TokenInput{Name: "Reporting key", Kind: "api_key", ResponsibleOwnerID: id(owner)})

	csrfFields := regexp.MustCompile(`name="_csrf" value="([^"]*)"`)
	for _, page := range []string{"/tokens/" + id(token), "/owners/" + id(owner) + "/checklist", "/", "/owners/" + id(owner), "/tokens"} {
		for _, c := range []struct {
			client *client
			email  string
		}{{ann, "ann@example.com"}, {ben, "ben@example.com"}, {ann, "ann@example.com"}} {
			r := c.client.get(page)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s as %s: status %d", page, c.email, r.status)
			}
			fields := csrfFields.FindAllStringSubmatch(r.body, -1)
			if !strings.Contains(r.body, ">"+c.email+"</span>") { // the header's link to /me
				t.Errorf("GET %s as %s: the header does not name them", page, c.email)
			}
			if len(fields) < 1 || strings.HasPrefix(page, "/tokens/") && len(fields) < 2 { // the sign-out form and the page's own
				t.Fatalf("GET %s as %s: %d CSRF fields, want the page's forms too", page, c.email, len(fields))
			}
			for _, f := range fields {
				if f[1] != c.client.csrf() {
					t.Errorf("GET %s as %s: a form carries CSRF token %q, not theirs", page, c.email, f[1])
				}
			}
			if strings.Contains(page, "checklist") && !strings.Contains(r.body, "by "+c.email) {
				t.Errorf("GET %s as %s: the printout does not name them", page, c.email)
			}
			if strings.Contains(r.body, "steward") && regexp.MustCompile(`steward[A-Z2-7]{26}-`).MatchString(r.body) {
				t.Errorf("GET %s as %s: a marker was left in the page", page, c.email)
			}
		}
		if body := val.get(page).body; strings.Contains(body, `name="_csrf" value="`+ann.csrf()) ||
			strings.Contains(body, "Mark revoked") || strings.Contains(body, "Start checklist") {
			t.Errorf("GET %s as a viewer after editors: shows an editor's page", page)
		}
	}

	// A change shows at once, on every cached page that shows it.
	form := tokenForm("Renamed key", "api_key", map[string]string{"responsible_owner_id": id(owner)})
	if r := ann.post("/tokens/"+id(token), form); r.status != http.StatusSeeOther {
		t.Fatalf("edit token: status %d", r.status)
	}
	if app.text("SELECT name FROM tokens WHERE id = ?", token) != "Renamed key" {
		t.Fatal("the edit was not saved")
	}
	// Ben reads the page first; Ann, sent there, still sees her message.
	ben.get("/tokens/" + id(token))
	if body := ann.get("/tokens/" + id(token)).body; !strings.Contains(body, "Token saved.") {
		t.Error("the page after the edit does not show the editor's message")
	}
	if body := ben.get("/tokens/" + id(token)).body; !strings.Contains(body, "<title>Renamed key · Steward</title>") {
		t.Error("the token page after the edit still has the old title")
	}
	// (The token's timeline keeps the old name in its history.)
	for _, page := range []string{"/owners/" + id(owner) + "/checklist", "/tokens"} {
		if body := ben.get(page).body; !strings.Contains(body, "Renamed key") || strings.Contains(body, "Reporting key") {
			t.Errorf("GET %s after the edit still shows the old name", page)
		}
	}
}
