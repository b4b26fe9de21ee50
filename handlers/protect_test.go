package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/db"
	"steward/static"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	r := app.newClient().get("/healthz")
	if r.status != http.StatusOK || r.body != "ok" {
		t.Fatalf("GET /healthz: status %d body %q, want 200 ok", r.status, r.body)
	}
}

// TestReadyz: ready while the database answers with the schema Steward
// migrated it to; a file rolled back underneath it is not, and the answer
// says no more than that.
func TestReadyz(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	if r := app.newClient().get("/readyz"); r.status != http.StatusOK || r.body != "ready" {
		t.Fatalf("GET /readyz: status %d body %q, want 200 ready", r.status, r.body)
	}
	if err := app.store.Exec(context.Background(), "PRAGMA user_version = 3"); err != nil {
		t.Fatal(err)
	}
	if r := app.newClient().get("/readyz"); r.status != http.StatusServiceUnavailable || r.body != "not ready" {
		t.Fatalf("GET /readyz on a rolled-back schema: status %d body %q, want 503 not ready", r.status, r.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	viewer := app.signedIn("viewer@example.com")
	anon := app.newClient()

	cases := []struct {
		name      string
		c         *client
		path      string
		status    int
		immutable bool // a static file: cached forever instead of no-store
	}{
		{"sign-in page", anon, "/login", http.StatusOK, false},
		{"home page", viewer, "/", http.StatusOK, false},
		{"owners list", viewer, "/owners", http.StatusOK, false},
		{"unknown path", viewer, "/no/such/page", http.StatusNotFound, false},
		{"unknown record", viewer, "/owners/999999", http.StatusNotFound, false},
		{"forbidden page", viewer, "/owners/new", http.StatusForbidden, false},
		{"healthz", anon, "/healthz", http.StatusOK, false},
		{"stylesheet", anon, static.URL("css/app.css"), http.StatusOK, true},
		{"script", anon, static.URL("js/htmx.min.js"), http.StatusOK, true},
	}
	for _, tc := range cases {
		r := tc.c.get(tc.path)
		if r.status != tc.status {
			t.Errorf("%s: GET %s status %d, want %d", tc.name, tc.path, r.status, tc.status)
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, directive := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
			"base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, directive) {
				t.Errorf("%s: CSP %q lacks %q", tc.name, csp, directive)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline code", tc.name, csp)
		}
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", tc.name, got)
		}
		if r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: no Referrer-Policy", tc.name)
		}
		cache := r.header.Get("Cache-Control")
		if tc.immutable {
			if !strings.Contains(cache, "immutable") || strings.Contains(cache, "no-store") {
				t.Errorf("%s: Cache-Control %q, want immutable", tc.name, cache)
			}
		} else if cache != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tc.name, cache)
		}
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	form := func(name string) url.Values { return ownerForm(name, "", "active", "", "") }
	self := app.srv.URL

	cases := []struct {
		name   string
		form   url.Values
		opts   []reqOpt
		status int
	}{
		{"no token", withToken(form("No token"), ""), nil, http.StatusForbidden},
		{"wrong token", withToken(form("Wrong token"), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), nil, http.StatusForbidden},
		{"wrong header token", withToken(form("Wrong header"), ""), []reqOpt{withHeader("X-CSRF-Token", "forged")}, http.StatusForbidden},
		{"cross-site fetch with a valid token", form("Cross site"), []reqOpt{withHeader("Sec-Fetch-Site", "cross-site")}, http.StatusForbidden},
		{"same-site fetch with a valid token", form("Same site"), []reqOpt{withHeader("Sec-Fetch-Site", "same-site")}, http.StatusForbidden},
		{"foreign Origin with a valid token", form("Evil origin"), []reqOpt{withHeader("Origin", "https://evil.example")}, http.StatusForbidden},
		{"null Origin with a valid token", form("Null origin"), []reqOpt{withHeader("Origin", "null")}, http.StatusForbidden},
		{"same-origin form", form("Same origin"), []reqOpt{withHeader("Sec-Fetch-Site", "same-origin"), withHeader("Origin", self)}, http.StatusSeeOther},
		{"htmx with the header token", withToken(form("Via header"), ""), []reqOpt{asHTMX(""), withHeader("X-CSRF-Token", c.csrf())}, http.StatusSeeOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := app.snapshot()
			denied := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'")
			r := c.post("/owners", tc.form, tc.opts...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			name := tc.form.Get("name")
			created := app.count("SELECT COUNT(*) FROM owners WHERE name = ?", name)
			if tc.status == http.StatusForbidden {
				if created != 0 || app.snapshot() != before {
					t.Error("a refused request changed the database")
				}
				if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != denied+1 {
					t.Errorf("request.denied events went from %d to %d, want one more", denied, n)
				}
				if who := app.text("SELECT actor FROM audit_events WHERE action = 'request.denied' ORDER BY id DESC LIMIT 1"); !strings.Contains(who, "editor@example.com") {
					t.Errorf("the refusal is audited under %q, not the signed-in editor", who)
				}
				if !strings.Contains(r.body, `data-status="403"`) {
					t.Error("403 is not the friendly error page")
				}
			} else if created != 1 {
				t.Errorf("owner %q rows = %d, want 1", name, created)
			}
		})
	}
}

// withToken sets the form's _csrf field ("" sends none).
func withToken(v url.Values, token string) url.Values {
	v.Set("_csrf", token)
	return v
}

// TestAccessByRole walks the whole route table with a real record behind
// every ID, as an anonymous visitor, a viewer, an editor and an admin:
// anonymous visitors are sent to sign in (GET) or refused with 401, viewers
// are refused every editor and admin route, editors every admin route, each
// refusal is audited and writes nothing; and every route a role may use lets
// it through.
func TestAccessByRole(t *testing.T) {
	t.Parallel()
	w := newRouteWorld(t)
	app := w.app
	anon := app.newClient()
	anon.csrf()
	// Each route's expected level comes from the reviewed list, not from
	// the table under test.
	reviewed := reviewedAccess(t)
	level := map[string]int{"anonymous": 0, "public": 0, "viewer": 1, "editor": 2, "admin": 3}
	clientOf := func(who string) *client {
		if who == "anonymous" {
			return anon
		}
		return w.clients[who]
	}
	send := func(c *client, method, p string, form url.Values) response {
		if method == http.MethodGet {
			return c.get(p)
		}
		return c.post(p, form)
	}

	// Refusals: nothing is written; a signed-in user's refusal is audited.
	checked := 0
	for _, who := range []string{"anonymous", "viewer", "editor"} {
		c := clientOf(who)
		for _, rt := range app.routes {
			if level[reviewed[rt.Method+" "+rt.Path]] <= level[who] {
				continue
			}
			p := w.fill(t, rt.Path)
			before := app.wholeSnapshot()
			denied := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'")
			want := app.auditedRefusalsDue(w.emails[who], denied)
			if isAPIRoute(rt.Path) {
				want = app.auditedRefusalsDue(w.actors[who], denied)
			}
			var r response
			if isAPIRoute(rt.Path) {
				r = w.sendAPI(who, rt.Method, p)
			} else {
				r = send(c, rt.Method, p, w.attackForm(rt.Path))
			}
			switch {
			case isAPIRoute(rt.Path) && who == "anonymous":
				problemOf(t, "anonymous "+rt.Method+" "+p, r, http.StatusUnauthorized)
			case isAPIRoute(rt.Path):
				problemOf(t, who+" "+rt.Method+" "+p, r, http.StatusForbidden)
				if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != want ||
					(want > denied && !strings.Contains(app.lastDenial(), "a read key may not")) {
					t.Errorf("%s %s %s: %d new request.denied events, want %d (newest %q)", who, rt.Method, p, n-denied, want-denied, app.lastDenial())
				}
			case who == "anonymous" && rt.Method == http.MethodGet:
				if want := "/login?next=" + url.QueryEscape(p); r.status != http.StatusSeeOther || r.location() != want {
					t.Errorf("anonymous GET %s: status %d location %q, want 303 to %s", p, r.status, r.location(), want)
				}
			case who == "anonymous":
				if r.status != http.StatusUnauthorized {
					t.Errorf("anonymous %s %s: status %d, want 401", rt.Method, p, r.status)
				}
			default:
				if r.status != http.StatusForbidden {
					t.Errorf("%s %s %s: status %d, want 403", who, rt.Method, p, r.status)
				}
				if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != want ||
					(want > denied && !strings.Contains(app.lastDenial(), "role "+who+" may not")) {
					t.Errorf("%s %s %s: %d new request.denied events, want %d (newest %q)", who, rt.Method, p, n-denied, want-denied, app.lastDenial())
				}
			}
			if app.wholeSnapshot() != before {
				t.Errorf("%s %s %s changed the database", who, rt.Method, p)
			}
			checked++
		}
	}
	if checked < 150 {
		t.Fatalf("only %d refusals checked: the route table is not being walked", checked)
	}
	// An htmx request of an anonymous visitor is told where to sign in.
	if r := anon.get("/owners", asHTMX("list")); r.status != http.StatusUnauthorized || r.header.Get("HX-Redirect") != "/login" {
		t.Errorf("anonymous htmx GET /owners: status %d HX-Redirect %q, want 401 and /login", r.status, r.header.Get("HX-Redirect"))
	}

	// Every GET a role may use answers it; signed-in users get every page.
	// A GET changes nothing but the audit log: a cross-site link sends the
	// session cookie (SameSite=Lax) with a GET, and no CSRF check guards it.
	for _, who := range []string{"anonymous", "viewer", "editor", "admin"} {
		for _, rt := range app.routes {
			if rt.Method != http.MethodGet || level[reviewed[rt.Method+" "+rt.Path]] > level[who] {
				continue
			}
			p := w.fill(t, rt.Path)
			before := app.wholeSnapshot("audit_events", "audit_links", "api_keys")
			r := clientOf(who).get(p)
			if isAPIRoute(rt.Path) {
				r = w.sendAPI(who, rt.Method, p)
			}
			if app.wholeSnapshot("audit_events", "audit_links", "api_keys") != before {
				t.Errorf("%s GET %s changed the database", who, p)
			}
			switch {
			case rt.Path == "/setup":
				if r.status != http.StatusNotFound { // no setup code: users exist
					t.Errorf("%s GET %s: status %d, want 404", who, p, r.status)
				}
			case rt.Path == "/password/set":
				if r.status != http.StatusGone { // no set-password link given
					t.Errorf("%s GET %s: status %d, want 410", who, p, r.status)
				}
			case rt.Path == "/login" && who != "anonymous":
				if r.status != http.StatusOK && r.status != http.StatusSeeOther {
					t.Errorf("%s GET %s: status %d", who, p, r.status)
				}
			case r.status != http.StatusOK:
				t.Errorf("%s GET %s: status %d, want 200", who, p, r.status)
			}
		}
	}

	// Every other route a role may use lets it through: whatever the handler
	// then says of the form, it is not a refusal, not an error, and not
	// audited as denied. Signing out comes last.
	for _, who := range []string{"anonymous", "viewer", "editor", "admin"} {
		c := clientOf(who)
		var logout []string
		for _, rt := range app.routes {
			if rt.Method == http.MethodGet || level[reviewed[rt.Method+" "+rt.Path]] > level[who] {
				continue
			}
			p := w.fill(t, rt.Path)
			if p == "/logout" {
				logout = append(logout, p)
				continue
			}
			form := w.attackForm(rt.Path)
			if p == "/login" {
				if who == "anonymous" {
					continue // signing in is TestSignIn's
				}
				form.Set("email", w.emails[who])
			}
			denied := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'")
			var r response
			if isAPIRoute(rt.Path) {
				r = w.sendAPI(who, rt.Method, p)
			} else {
				r = c.post(p, form)
			}
			if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status >= 500 {
				t.Errorf("%s %s %s: status %d, want it let through", who, rt.Method, p, r.status)
			}
			if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != denied {
				t.Errorf("%s %s %s: audited as denied: %q", who, rt.Method, p, app.lastDenial())
			}
		}
		for _, p := range logout {
			if r := c.post(p, nil); r.status != http.StatusSeeOther {
				t.Errorf("%s POST %s: status %d, want 303", who, p, r.status)
			}
		}
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	form := ownerForm("Big Notes", "", "active", "", strings.Repeat("x", 1<<20+1))
	r := c.post("/owners", form, withHeader("X-CSRF-Token", c.csrf()))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", r.status)
	}
	if !strings.Contains(r.body, "That was too large") {
		t.Error("413 is not the friendly error page")
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 0 {
		t.Errorf("owners = %d, want 0", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'owner.created'"); n != 0 {
		t.Errorf("owner.created events = %d, want 0", n)
	}
	// A body sent without Content-Length (chunked) is cut off while being
	// read, and still answers 413 rather than arriving as an empty form.
	for name, opts := range map[string][]reqOpt{
		"token in the header": {withHeader("X-CSRF-Token", c.csrf())},
		"token in the form":   nil,
	} {
		body := "_csrf=" + c.csrf() + "&name=Chunked&notes=" + strings.Repeat("x", 1<<20+1)
		r := c.do(http.MethodPost, "/owners", io.MultiReader(strings.NewReader(body)), "application/x-www-form-urlencoded", opts...)
		if r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked, %s: status %d, want 413", name, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 0 {
		t.Errorf("owners = %d, want 0", n)
	}
	// Just under the limit is accepted by the limit and refused by validation
	// (notes hold at most 10,000 characters), so nothing is written either.
	form = ownerForm("Long Notes", "", "active", "", strings.Repeat("x", 20000))
	if r := c.post("/owners", form); r.status != http.StatusUnprocessableEntity {
		t.Errorf("20 kB notes: status %d, want 422", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 0 {
		t.Errorf("owners = %d, want 0", n)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	for _, p := range []string{"/owners/999999", "/owners/abc", "/owners/-1", "/owners/0", "/accounts/999999",
		"/roles/999999", "/owners/999999/timeline", "/accounts/abc/timeline", "/nothing-here"} {
		r := c.get(p)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.status)
			continue
		}
		if !strings.Contains(r.body, "Page not found") || !strings.Contains(r.body, "<html") {
			t.Errorf("GET %s: not the friendly 404 page", p)
		}
		for _, leak := range []string{"db:", "sql", "strconv", "not found\"", "goroutine", "Internal Server Error"} {
			if strings.Contains(r.body, leak) {
				t.Errorf("GET %s: body shows %q", p, leak)
			}
		}
	}
	// The friendly page of a missing record still knows who is signed in.
	if r := c.get("/owners/999999"); !strings.Contains(r.body, "viewer@example.com") {
		t.Error("404 page does not show the signed-in user")
	}
	// A known path with the wrong method is 405, and GET never signs out.
	for _, tc := range []struct{ method, path string }{{http.MethodGet, "/logout"}, {http.MethodPost, "/healthz"}} {
		var r response
		if tc.method == http.MethodGet {
			r = c.get(tc.path)
		} else {
			r = c.post(tc.path, nil)
		}
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405", tc.method, tc.path, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM sessions"); n != 1 {
		t.Errorf("sessions = %d after GET /logout, want 1", n)
	}
	if r := c.get("/"); r.status != http.StatusOK {
		t.Errorf("GET / after GET /logout: status %d, want 200", r.status)
	}
}
