package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"steward/db"
	"steward/handlers"
)

var metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// pageToken is the CSRF token a page's meta tag gives the browser.
func (c *client) pageToken(path string) string {
	c.app.t.Helper()
	m := metaCSRF.FindStringSubmatch(c.get(path).body)
	if m == nil {
		c.app.t.Fatalf("GET %s: no csrf-token meta tag", path)
	}
	return m[1]
}

// TestCSRFTokenIsBoundToTheSession: the token a page hands out works with
// that browser's session (form field and htmx header alike) and with no
// other: a token lifted from one session, or from another browser before
// sign-in, is refused with this browser's cookies, and signing in replaces
// the token from before.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("ed@example.com", db.RoleEditor)
	app.createUser("eve@example.com", db.RoleEditor)
	ed, eve := app.signedIn("ed@example.com"), app.signedIn("eve@example.com")
	edToken, eveToken := ed.pageToken("/owners/new"), eve.pageToken("/owners/new")
	if edToken != ed.csrf() {
		t.Errorf("the page's token %q differs from the CSRF cookie %q", edToken, ed.csrf())
	}
	owners := func() int64 { return app.count("SELECT COUNT(*) FROM owners") }

	if r := ed.post("/owners", withToken(ownerForm("Field token", "", "active", "", ""), edToken)); r.status != http.StatusSeeOther {
		t.Errorf("own token in _csrf: status %d, want 303", r.status)
	}
	if r := ed.post("/owners", ownerForm("Header token", "", "active", "", ""), asHTMX(""), withHeader("X-CSRF-Token", edToken)); r.status != http.StatusSeeOther {
		t.Errorf("own token in X-CSRF-Token: status %d, want 303", r.status)
	}
	before := owners()
	// Eve's token with Ed's session cookie, and her CSRF cookie planted too:
	// the token must match Ed's session, not merely a cookie.
	ed.setCookie(csrfCookie, eveToken)
	if r := ed.post("/owners", withToken(ownerForm("Eve's token", "", "active", "", ""), eveToken)); r.status != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", r.status)
	}
	if r := ed.post("/owners", ownerForm("Eve's header", "", "active", "", ""), asHTMX(""), withHeader("X-CSRF-Token", eveToken)); r.status != http.StatusForbidden {
		t.Errorf("another session's token in the header: status %d, want 403", r.status)
	}
	if n := owners(); n != before {
		t.Errorf("%d owners after refused posts, want %d", n, before)
	}

	// Before sign-in: one browser's token is refused with another's cookie.
	a, b := app.newClient(), app.newClient()
	aToken, bToken := a.pageToken("/login"), b.pageToken("/login")
	if aToken == bToken {
		t.Fatal("two browsers got the same sign-in token")
	}
	if r := a.post("/login", withToken(url.Values{"email": {"ed@example.com"}, "password": {testPassword}}, bToken)); r.status != http.StatusForbidden {
		t.Errorf("sign in with another browser's token: status %d, want 403", r.status)
	}
	if r := a.post("/login", withToken(url.Values{"email": {"ed@example.com"}, "password": {testPassword}}, aToken)); r.status != http.StatusSeeOther {
		t.Fatalf("sign in with own token: status %d, want 303", r.status)
	}
	// Sign-in rotated it: the pre-sign-in token no longer works.
	if r := a.post("/owners", withToken(ownerForm("Old token", "", "active", "", ""), aToken)); r.status != http.StatusForbidden {
		t.Errorf("the token from before sign-in after it: status %d, want 403", r.status)
	}
	if r := a.post("/owners", ownerForm("New token", "", "active", "", "")); r.status != http.StatusSeeOther {
		t.Errorf("the token after sign-in: status %d, want 303", r.status)
	}
}

// TestOriginMustMatchSchemeAndHost: an Origin header with this host but
// another scheme is refused, against the base URL when one is set.
func TestOriginMustMatchSchemeAndHost(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("ed@example.com", db.RoleEditor)
	ed := app.signedIn("ed@example.com")
	u, _ := url.Parse(app.srv.URL)
	for origin, want := range map[string]int{
		"http://" + u.Host:    http.StatusSeeOther,
		"https://" + u.Host:   http.StatusForbidden,
		"http://evil.example": http.StatusForbidden,
	} {
		if r := ed.post("/owners", ownerForm("From "+origin, "", "active", "", ""), withHeader("Origin", origin)); r.status != want {
			t.Errorf("Origin %s: status %d, want %d", origin, r.status, want)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 1 {
		t.Errorf("%d owners, want only the same-origin one", n)
	}

	behind := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, BaseURL: "https://steward.example"})
	behind.createUser("ed@example.com", db.RoleEditor)
	c := behind.signedIn("ed@example.com")
	for origin, want := range map[string]int{
		"https://steward.example": http.StatusSeeOther,
		"http://steward.example":  http.StatusForbidden,
		"http://" + u.Host:        http.StatusForbidden,
	} {
		if r := c.post("/owners", ownerForm("From "+origin, "", "active", "", ""), withHeader("Origin", origin)); r.status != want {
			t.Errorf("base URL https://steward.example, Origin %s: status %d, want %d", origin, r.status, want)
		}
	}
}
