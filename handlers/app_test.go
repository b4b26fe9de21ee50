package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
)

// testPassword is every test user's password unless a test says otherwise.
const testPassword = "correct horse battery staple"

// Cookie names from the interface contract.
const (
	sessionCookie = "steward_session"
	csrfCookie    = "steward_csrf"
)

// testApp is Steward's real router over a real SQLite file in a temp dir,
// served by an httptest server.
type testApp struct {
	t      *testing.T
	store  *db.Store
	srv    *httptest.Server
	routes []handlers.Route
}

// testSessionKey signs the test servers' cookies.
var testSessionKey = []byte("0123456789abcdef0123456789abcdef-test-key")

// newTestApp opens a fresh database and serves the real handler over it.
func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return newTestAppWith(t, handlers.Config{SessionKey: testSessionKey})
}

// newTestAppWith is newTestApp with a deployment's configuration.
func newTestAppWith(t *testing.T, cfg handlers.Config) *testApp {
	t.Helper()
	return newTestAppOpened(t, db.Options{}, cfg)
}

// newTestAppOpened is newTestAppWith over a store opened with opts.
func newTestAppOpened(t *testing.T, opts db.Options, cfg handlers.Config) *testApp {
	t.Helper()
	return newTestAppOn(t, nil, opts, cfg)
}

// newTestAppOn is newTestAppOpened serving on ln (nil: a new loopback
// port), for a configuration that must know the address first.
func newTestAppOn(t *testing.T, ln net.Listener, opts db.Options, cfg handlers.Config) *testApp {
	t.Helper()
	store, err := db.OpenWith(context.Background(), filepath.Join(t.TempDir(), "steward.db"), opts)
	if err != nil {
		t.Fatalf("db.Open: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	e, routes := handlers.New(store, log, cfg)
	srv := httptest.NewUnstartedServer(e)
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close) // runs before store.Close: cleanups are last in, first out
	return &testApp{t: t, store: store, srv: srv, routes: routes}
}

// testLogWriter shows server errors (500s) in the failing test's output.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// createUser adds a login with testPassword, straight through the store.
func (a *testApp) createUser(email, role string) int64 {
	a.t.Helper()
	return a.createUserWith(db.UserInput{Email: email, Password: testPassword, Role: role})
}

func (a *testApp) createUserWith(in db.UserInput) int64 {
	a.t.Helper()
	id, err := a.store.CreateUser(context.Background(), db.SystemActor("test"), in)
	if err != nil {
		a.t.Fatalf("CreateUser(%s): %v", in.Email, err)
	}
	return id
}

// createOwner adds an owner straight through the store.
func (a *testApp) createOwner(name, email string) int64 {
	a.t.Helper()
	id, err := a.store.CreateOwner(context.Background(), db.SystemActor("test"), db.OwnerInput{Name: name, Email: email})
	if err != nil {
		a.t.Fatalf("CreateOwner(%s): %v", name, err)
	}
	return id
}

// createAccount adds an account straight through the store.
func (a *testApp) createAccount(name, platform string) int64 {
	a.t.Helper()
	id, err := a.store.CreateAccount(context.Background(), db.SystemActor("test"), db.AccountInput{Name: name, Platform: platform})
	if err != nil {
		a.t.Fatalf("CreateAccount(%s): %v", name, err)
	}
	return id
}

// createRole grants an owner a role straight through the store.
func (a *testApp) createRole(accountID, ownerID int64, role string) int64 {
	a.t.Helper()
	id, err := a.store.CreateRole(context.Background(), db.SystemActor("test"), db.RoleInput{
		AccountID: strconv.FormatInt(accountID, 10), OwnerID: strconv.FormatInt(ownerID, 10), Role: role})
	if err != nil {
		a.t.Fatalf("CreateRole(%s): %v", role, err)
	}
	return id
}

// count runs a single-integer query and fails the test on error.
func (a *testApp) count(query string, args ...any) int64 {
	a.t.Helper()
	n, err := a.store.QueryInt(context.Background(), query, args...)
	if err != nil {
		a.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// text runs a single-text query and fails the test on error.
func (a *testApp) text(query string, args ...any) string {
	a.t.Helper()
	s, err := a.store.QueryString(context.Background(), query, args...)
	if err != nil {
		a.t.Fatalf("%s: %v", query, err)
	}
	return s
}

// snapshot is everything a request could change in the records and logins,
// plus the audit events other than refused requests. Two equal snapshots
// mean nothing was written (a refusal's own request.denied event aside).
func (a *testApp) snapshot() string {
	a.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT json_group_array(json_array(id, name, email, title, department, manager_id, status, leaving_on, notes, updated_at)) FROM owners`,
		`SELECT json_group_array(json_array(id, name, platform, kind, external_id, url, parent_id, owner_id, criticality, status, notes, updated_at)) FROM accounts`,
		`SELECT json_group_array(json_array(id, account_id, owner_id, system_user_id, role, admin, status, notes, updated_at)) FROM roles`,
		`SELECT json_group_array(json_array(id, email, role, disabled, owner_id, password_hash, updated_at)) FROM users`,
		`SELECT json_group_array(json_array(id, action, record_kind, record_id)) FROM audit_events WHERE action <> 'request.denied'`,
	} {
		b.WriteString(a.text(q))
		b.WriteByte('\n')
	}
	return b.String()
}

// client is one browser: a cookie jar, redirects not followed.
type client struct {
	app *testApp
	hc  *http.Client
	jar http.CookieJar
}

func (a *testApp) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{app: a, jar: jar, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn returns a new client signed in as email with testPassword.
func (a *testApp) signedIn(email string) *client {
	a.t.Helper()
	c := a.newClient()
	if r := c.signIn(email, testPassword); r.status != http.StatusSeeOther || r.location() != "/" {
		a.t.Fatalf("sign in as %s: status %d, location %q", email, r.status, r.location())
	}
	return c
}

// cookie is the value of the jar's cookie name, or "". With an https base
// URL the name carries the __Host- prefix, which this adds.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.app.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name || ck.Name == "__Host-"+name {
			return ck.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the jar, as a browser that had it would send it.
func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.app.srv.URL)
	c.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// csrf returns the CSRF token the browser holds, fetching the sign-in page
// first when it has none yet.
func (c *client) csrf() string {
	c.app.t.Helper()
	if tok := c.cookie(csrfCookie); tok != "" {
		return tok
	}
	c.get("/login")
	tok := c.cookie(csrfCookie)
	if tok == "" {
		c.app.t.Fatal("no CSRF cookie after GET /login")
	}
	return tok
}

// signIn posts the sign-in form.
func (c *client) signIn(email, password string) response {
	c.app.t.Helper()
	return c.post("/login", url.Values{"email": {email}, "password": {password}})
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) location() string { return r.header.Get("Location") }

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

// withHeader sets a request header.
func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// asHTMX marks the request as sent by htmx swapping the element target.
func asHTMX(target string) reqOpt {
	return func(r *http.Request) {
		r.Header.Set("HX-Request", "true")
		if target != "" {
			r.Header.Set("HX-Target", target)
		}
	}
}

func (c *client) do(method, path string, body io.Reader, contentType string, opts ...reqOpt) response {
	c.app.t.Helper()
	req, err := http.NewRequest(method, c.app.srv.URL+path, body)
	if err != nil {
		c.app.t.Fatalf("%s %s: %v", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, o := range opts {
		o(req)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.app.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.app.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string, opts ...reqOpt) response {
	c.app.t.Helper()
	return c.do(http.MethodGet, path, nil, "", opts...)
}

// post sends form as a browser form post. The browser's CSRF token goes in
// _csrf unless form already has that field (set it to test a wrong or
// missing token: an empty value sends none).
func (c *client) post(path string, form url.Values, opts ...reqOpt) response {
	c.app.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["_csrf"]; !set {
		form = cloneValues(form)
		form.Set("_csrf", c.csrf())
	} else if form.Get("_csrf") == "" {
		form = cloneValues(form)
		form.Del("_csrf")
	}
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", opts...)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// idFromLocation reads the record ID at the end of a redirect such as /owners/12.
func idFromLocation(t *testing.T, r response, prefix string) int64 {
	t.Helper()
	loc := r.location()
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("Location %q does not start with %q (status %d)", loc, prefix, r.status)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, prefix), 10, 64)
	if err != nil {
		t.Fatalf("Location %q: no record ID after %q", loc, prefix)
	}
	return id
}

// path fills a route's :id with id.
func path(route string, id int64) string {
	return strings.Replace(route, ":id", strconv.FormatInt(id, 10), 1)
}

var ownerRowName = regexp.MustCompile(`(?s)<tr[^>]*data-testid="owner-row"[^>]*>.*?<a[^>]*>([^<]*)</a>`)

// ownerNames lists the owner names of a list page's rows, in order.
func ownerNames(body string) []string {
	var names []string
	for _, m := range ownerRowName.FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	return names
}

// ownerForm is a complete owner form as the edit page posts it.
func ownerForm(name, email, status, leavingOn, notes string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "title": {""}, "department": {""}, "manager_id": {""},
		"status": {status}, "leaving_on": {leavingOn}, "notes": {notes}}
}

func id(n int64) string { return fmt.Sprint(n) }

var (
	tagPattern  = regexp.MustCompile(`<[a-z]+\s[^>]*>`)
	attrPattern = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

// tagsWith returns the attributes of every start tag carrying testid as its
// data-testid, in document order, whatever the attributes' order.
func tagsWith(body, testid string) []map[string]string {
	var out []map[string]string
	for _, tag := range tagPattern.FindAllString(body, -1) {
		attrs := map[string]string{}
		for _, m := range attrPattern.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = m[2]
		}
		if attrs["data-testid"] == testid {
			out = append(out, attrs)
		}
	}
	return out
}

// timelineActions lists the actions of a page's timeline events, in order.
func timelineActions(body string) []string {
	var out []string
	for _, attrs := range tagsWith(body, "timeline-event") {
		out = append(out, attrs["data-action"])
	}
	return out
}

// fieldErrors lists the fields a page shows an error beside.
func fieldErrors(body string) []string {
	var out []string
	for _, attrs := range tagsWith(body, "field-error") {
		out = append(out, attrs["data-field"])
	}
	return out
}
