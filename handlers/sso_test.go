package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"steward/db"
	"steward/handlers"
	"steward/internal/sso"
)

// ssoApp is Steward with single sign-on through a real OpenID provider
// (mockoidc) running in the test, and an admin who signs in by password.
type ssoApp struct {
	*testApp
	provider *mockoidc.MockOIDC
}

// newSSOApp starts the provider and Steward; cfg's SSO is filled in.
func newSSOApp(t *testing.T, cfg handlers.Config) *ssoApp {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start the OpenID provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.SSO, err = sso.Discover(context.Background(), sso.Settings{Issuer: m.Issuer(), ClientID: m.ClientID,
		ClientSecret: m.ClientSecret, AllowedDomains: "example.com, Example.org", Name: "Example ID"}, "http://"+ln.Addr().String())
	if err != nil {
		t.Fatalf("discover the provider: %v", err)
	}
	cfg.SessionKey = testSessionKey
	return &ssoApp{testApp: newTestAppOn(t, ln, db.Options{}, cfg), provider: m}
}

// newSSOAppWithAdmin is newSSOApp with admin@example.com, an admin who has
// a password.
func newSSOAppWithAdmin(t *testing.T, cfg handlers.Config) *ssoApp {
	t.Helper()
	a := newSSOApp(t, cfg)
	a.createUser("admin@example.com", db.RoleAdmin)
	return a
}

// person is who the provider signs in next.
func (a *ssoApp) person(email string, verified bool) {
	a.provider.QueueUser(&mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: verified})
}

// startSSO has c follow "Sign in with …" to the provider and the provider
// back, and returns the callback address the provider sent it to (path and
// query), not yet visited.
func (a *ssoApp) startSSO(c *client) string {
	a.t.Helper()
	return a.startSSOAt(c, "/auth/oidc/login")
}

// startSSOAt is startSSO from start, the sign-in page's link.
func (a *ssoApp) startSSOAt(c *client, start string) string {
	a.t.Helper()
	r := c.get(start)
	auth, err := url.Parse(r.location())
	if r.status != http.StatusFound || err != nil || !strings.HasPrefix(r.location(), a.provider.AuthorizationEndpoint()) {
		a.t.Fatalf("GET /auth/oidc/login: status %d, location %q; want a redirect to the provider", r.status, r.location())
	}
	q := auth.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		a.t.Fatalf("the provider is asked without PKCE S256, nonce or state: %s", auth.RawQuery)
	}
	res, err := c.hc.Get(auth.String())
	if err != nil {
		a.t.Fatalf("the provider's authorize endpoint: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || back.Path != sso.CallbackPath {
		a.t.Fatalf("the provider answered %d, location %q; want a redirect to the callback", res.StatusCode, res.Header.Get("Location"))
	}
	return back.RequestURI()
}

// signInSSO signs c in through the provider as the queued person.
func (a *ssoApp) signInSSO(c *client) response {
	a.t.Helper()
	return c.get(a.startSSO(c))
}

// signedInAs is the email c is signed in as, or "" (after a redirect to the
// sign-in page).
func signedInAs(c *client) string {
	r := c.get("/me")
	if r.status != http.StatusOK {
		return ""
	}
	return r.body
}

// TestSSOSignIn: a first sign-in through the provider makes a login with
// the default role and no password, audited as made by single sign-on; the
// next sign-in uses that login. Both sign-ins are audited.
func TestSSOSignIn(t *testing.T) {
	t.Parallel()
	a := newSSOAppWithAdmin(t, handlers.Config{})
	if body := a.newClient().get("/login").body; !strings.Contains(body, `href="/auth/oidc/login"`) || !strings.Contains(body, "Sign in with Example ID") ||
		!strings.Contains(body, `name="password"`) {
		t.Fatalf("the sign-in page offers no “Sign in with Example ID” beside the password form:\n%s", body)
	}

	a.person("Ana@Example.com", true)
	c := a.newClient()
	if r := a.signInSSO(c); r.status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("callback: status %d, location %q, want 303 to /: %s", r.status, r.location(), r.body)
	}
	if me := signedInAs(c); !strings.Contains(me, "ana@example.com") || !strings.Contains(me, `data-testid="me-sso"`) || strings.Contains(me, "current_password") {
		t.Fatalf("after single sign-on, /me does not show ana@example.com signing in through the provider, without a password change:\n%s", me)
	}
	if me := a.signedIn("admin@example.com").get("/me").body; strings.Contains(me, `data-testid="me-sso"`) || !strings.Contains(me, "current_password") {
		t.Fatalf("/me of a login with a password does not offer a password change:\n%s", me)
	}
	if got := a.text(`SELECT role || ' ' || disabled || ' [' || password_hash || ']' FROM users WHERE email = 'ana@example.com'`); got != "viewer 0 []" {
		t.Fatalf("the new login is %q, want a viewer without a password", got)
	}
	id := a.count(`SELECT id FROM users WHERE email = 'ana@example.com'`)
	if n := a.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'user.created' AND record_id = ? AND summary LIKE '%single sign-on through Example ID'`, id); n != 1 {
		t.Fatalf("%d user.created events saying single sign-on, want 1", n)
	}

	// The sign-in page's link keeps where the visitor was going, on this site only.
	if body := a.newClient().get("/login?next=%2Ftokens%3Fq%3Dx").body; !strings.Contains(body, `href="/auth/oidc/login?next=%2Ftokens%3Fq%3Dx"`) {
		t.Fatalf("the sign-in page's single sign-on link loses next:\n%s", body)
	}
	a.person("ana@example.com", true)
	c2 := a.newClient()
	if r := c2.get(a.startSSOAt(c2, "/auth/oidc/login?next=%2Ftokens%3Fq%3Dx")); r.status != http.StatusSeeOther || r.location() != "/tokens?q=x" {
		t.Fatalf("second sign-in: status %d, location %q, want 303 to /tokens?q=x: %s", r.status, r.location(), r.body)
	}
	a.person("ana@example.com", true)
	c3 := a.newClient()
	if r := c3.get(a.startSSOAt(c3, "/auth/oidc/login?next=%2F%2Fevil.example")); r.status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("sign-in with an off-site next: status %d, location %q, want 303 to /", r.status, r.location())
	}
	if n := a.count(`SELECT COUNT(*) FROM users`); n != 2 {
		t.Fatalf("%d logins after a second sign-in, want 2 (admin, ana)", n)
	}
	if n := a.count(`SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_in' AND record_id = ? AND summary LIKE '%single sign-on'`, id); n != 3 {
		t.Fatalf("%d sign-in events by single sign-on, want 3", n)
	}
	// The password form cannot sign in a login that has no password.
	if r := a.newClient().signIn("ana@example.com", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("password sign-in with an empty password: status %d, want 401", r.status)
	}
}

// TestSSORefusals: each way a sign-in through the provider can go wrong
// shows the sign-in page with a message, signs nobody in, and writes
// nothing but, once the provider has named someone, the refusal's audit
// event.
func TestSSORefusals(t *testing.T) {
	t.Parallel()
	a := newSSOAppWithAdmin(t, handlers.Config{})
	bob := a.createUser("bob@example.com", db.RoleEditor)
	if err := a.store.SetUserDisabled(context.Background(), db.SystemActor("test"), bob, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// callback readies c's sign-in and returns the callback address
		// to visit (path and query).
		callback func(c *client) string
		other    bool // the callback is visited by another browser
		status   int
		say      string
		audit    string // the refusal event's summary, "" for none
	}{
		{"wrong state", func(c *client) string {
			return strings.Replace(a.startSSO(c), "state=", "state=x", 1)
		}, false, http.StatusBadRequest, "not started in this browser", ""},
		{"another browser", a.startSSO, true, http.StatusBadRequest, "not started in this browser", ""},
		{"replayed code", func(c *client) string {
			// Someone signs in, which spends their code...
			other := a.newClient()
			a.person("ana@example.com", true)
			first, err := url.Parse(a.startSSO(other))
			if err != nil {
				t.Fatal(err)
			}
			if r := other.get(first.RequestURI()); r.status != http.StatusSeeOther {
				t.Fatalf("a sign-in: status %d", r.status)
			}
			// ... and c comes back from its own start with that code.
			back, err := url.Parse(a.startSSO(c))
			if err != nil {
				t.Fatal(err)
			}
			q := back.Query()
			q.Set("code", first.Query().Get("code"))
			return sso.CallbackPath + "?" + q.Encode()
		}, false, http.StatusUnauthorized, "its code was used already", ""},
		{"provider error", func(c *client) string {
			back, err := url.Parse(a.startSSO(c))
			if err != nil {
				t.Fatal(err)
			}
			return sso.CallbackPath + "?error=access_denied&error_description=internal+detail&state=" + back.Query().Get("state")
		}, false, http.StatusUnauthorized, "Example ID did not sign you in", ""},
		{"unverified email", func(c *client) string {
			a.person("cleo@example.com", false)
			return a.startSSO(c)
		}, false, http.StatusForbidden, "has not verified the email address cleo@example.com", "Failed sign-in for an unknown email — single sign-on: the email is not verified"},
		{"foreign domain", func(c *client) string {
			a.person("dan@evil.example", true)
			return a.startSSO(c)
		}, false, http.StatusForbidden, "dan@evil.example is not in a domain allowed", "Failed sign-in for an unknown email — single sign-on: the email's domain is not allowed"},
		{"disabled login", func(c *client) string {
			a.person("bob@example.com", true)
			return a.startSSO(c)
		}, false, http.StatusForbidden, "The login bob@example.com is disabled", "Failed sign-in as bob@example.com — single sign-on: the login is disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.newClient()
			back := tc.callback(c)
			if tc.other {
				c = a.newClient()
			}
			users := a.text(`SELECT json_group_array(json_array(id, email, role, disabled, password_hash, last_login_at)) FROM users`)
			before := a.snapshot()
			events := a.count(`SELECT COUNT(*) FROM audit_events`)
			r := c.get(back)
			if r.status != tc.status || !strings.Contains(r.body, tc.say) {
				t.Fatalf("status %d, want %d with %q:\n%s", r.status, tc.status, tc.say, r.body)
			}
			if !strings.Contains(r.body, `data-testid="sso-sign-in"`) {
				t.Error("the refusal does not offer to sign in again")
			}
			if strings.Contains(r.body, "invalid_grant") || strings.Contains(r.body, "internal detail") {
				t.Error("the refusal shows the provider's internals")
			}
			if signedInAs(c) != "" {
				t.Error("a refused browser is signed in")
			}
			if after := a.text(`SELECT json_group_array(json_array(id, email, role, disabled, password_hash, last_login_at)) FROM users`); after != users {
				t.Errorf("the refusal changed the logins:\nbefore %s\nafter  %s", users, after)
			}
			if tc.audit == "" {
				if after := a.snapshot(); after != before {
					t.Errorf("the refusal wrote:\nbefore %s\nafter  %s", before, after)
				}
				return
			}
			if got := a.count(`SELECT COUNT(*) FROM audit_events`) - events; got != 1 {
				t.Errorf("%d audit events written, want the refusal's alone", got)
			}
			if got := a.text(`SELECT summary FROM audit_events WHERE action = 'user.sign_in_failed' ORDER BY id DESC LIMIT 1`); got != tc.audit {
				t.Errorf("refusal audited as %q, want %q", got, tc.audit)
			}
		})
	}
}

// TestPasswordLoginOff: with password sign-in off the sign-in page offers
// single sign-on alone, and the password form's post, the setup page and
// set-password links refuse without signing in or writing anything. An
// existing login signs in through the provider.
func TestPasswordLoginOff(t *testing.T) {
	t.Parallel()
	a := newSSOAppWithAdmin(t, handlers.Config{NoPasswordLogin: true})
	ctx := context.Background()
	c := a.newClient()
	if r := c.get("/login"); r.status != http.StatusOK || strings.Contains(r.body, `name="password"`) || !strings.Contains(r.body, `data-testid="sso-sign-in"`) {
		t.Fatalf("GET /login: status %d; want the single sign-on link and no password form:\n%s", r.status, r.body)
	}
	adminID := a.count(`SELECT id FROM users WHERE email = 'admin@example.com'`)
	link, _, err := a.store.IssuePasswordLink(ctx, db.SystemActor("test"), adminID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := a.store.NewSetupCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := a.snapshot()
	if r := c.signIn("admin@example.com", testPassword); r.status != http.StatusForbidden || !strings.Contains(r.body, "Password sign-in is turned off") {
		t.Fatalf("POST /login with the right password: status %d, want 403 saying password sign-in is off:\n%s", r.status, r.body)
	}
	for _, r := range []response{
		c.get("/setup?code=" + code),
		c.post("/setup", url.Values{"code": {code}, "email": {"eve@example.com"}, "password": {"Quartz-Harbor-Lantern-88"}}),
		c.get("/password/set?token=" + link),
		c.post("/password/set", url.Values{"token": {link}, "password": {"Quartz-Harbor-Lantern-88"}}),
	} {
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "Password sign-in is off") {
			t.Errorf("status %d, want 404 saying password sign-in is off:\n%s", r.status, r.body)
		}
	}
	if signedInAs(c) != "" {
		t.Fatal("signed in by password with password sign-in off")
	}
	if after := a.snapshot(); after != before {
		t.Fatalf("refused password requests wrote:\nbefore %s\nafter  %s", before, after)
	}
	a.person("admin@example.com", true)
	if r := a.signInSSO(c); r.status != http.StatusSeeOther || !strings.Contains(signedInAs(c), `data-testid="me-sso"`) {
		t.Fatalf("single sign-on as the admin: status %d: %s", r.status, r.body)
	}

	// The admin's Users page offers no password: a login is added without
	// one, and no set-password link is issued.
	a.createUser("vera@example.com", db.RoleViewer)
	if r := c.get("/admin/users"); r.status != http.StatusOK || strings.Contains(r.body, `name="password"`) || strings.Contains(r.body, "Reset password") {
		t.Fatalf("GET /admin/users: status %d; want no password field and no Reset password:\n%s", r.status, r.body)
	}
	if r := c.post("/admin/users", url.Values{"email": {"sam@example.com"}, "role": {"editor"}}); r.status != http.StatusSeeOther {
		t.Fatalf("POST /admin/users without a password: status %d, want 303:\n%s", r.status, r.body)
	}
	if n := a.count(`SELECT COUNT(*) FROM users WHERE email = 'sam@example.com' AND password_hash = '' AND role = 'editor'`); n != 1 {
		t.Fatalf("%d logins for sam@example.com without a password, want 1", n)
	}
	vera := a.count(`SELECT id FROM users WHERE email = 'vera@example.com'`)
	before = a.snapshot()
	if r := c.post(fmt.Sprintf("/admin/users/%d/reset-password", vera), nil); r.status != http.StatusNotFound || strings.Contains(r.body, "/password/set?token=") {
		t.Fatalf("POST reset-password: status %d, want 404 and no link:\n%s", r.status, r.body)
	}
	if after := a.snapshot(); after != before {
		t.Fatalf("a refused set-password link wrote:\nbefore %s\nafter  %s", before, after)
	}
}

// TestSSONeverMakesTheFirstLogin: on a fresh install single sign-on makes
// no login, which would be no admin's, and would spend the setup link.
func TestSSONeverMakesTheFirstLogin(t *testing.T) {
	t.Parallel()
	a := newSSOApp(t, handlers.Config{})
	a.person("ana@example.com", true)
	c := a.newClient()
	if r := a.signInSSO(c); r.status != http.StatusForbidden || !strings.Contains(r.body, "no admin yet") {
		t.Fatalf("single sign-on with no login: status %d, want 403 saying there is no admin yet:\n%s", r.status, r.body)
	}
	if n := a.count(`SELECT COUNT(*) FROM users`); n != 0 {
		t.Fatalf("%d logins made", n)
	}
}
