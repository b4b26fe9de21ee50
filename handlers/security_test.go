package handlers_test

// The security suite's route matrices: every route of the router's own
// table is filled with a real record, checked for who may use it, and every
// state-changing one is refused without a valid CSRF token or from another
// site, with the database unchanged. See protect_test.go for TestCSRF's
// per-variant detail on one route and TestAccessByRole.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
)

// reviewedAccess is the level every route must have, read from
// testdata/route_access.txt: a list kept apart from the route table and
// reviewed like code, so that a route whose level is lowered in the table
// (an editor let into user management, say) fails the tests instead of
// being trusted by them. Keys are "METHOD /path".
func reviewedAccess(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "route_access.txt"))
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !slices.Contains([]string{"public", "viewer", "editor", "admin"}, f[2]) {
			t.Fatalf("testdata/route_access.txt line %d: %q, want METHOD PATH LEVEL", i+1, line)
		}
		levels[f[0]+" "+f[1]] = f[2]
	}
	return levels
}

// routeWorld is one real record of every kind a route can name, and a
// signed-in client for each role, so that every route of the table can be
// requested with IDs that exist.
type routeWorld struct {
	app     *testApp
	ids     map[string]int64   // a route's path up to a parameter → the record it names
	params  map[string]string  // the same for parameters that are not IDs
	clients map[string]*client // "viewer", "editor", "admin", each signed in
	emails  map[string]string  // the clients' logins
	// keys are the API keys each role's script uses on /api/v1 (a read key
	// for a viewer, a write key for an editor or an admin; none for
	// anonymous), and actors the audit log's names of them.
	keys, actors map[string]string
}

// newRouteWorld creates the records and the signed-in users.
func newRouteWorld(t *testing.T) *routeWorld {
	t.Helper()
	app := newTestApp(t)
	ctx, sys := context.Background(), db.SystemActor("test")
	w := &routeWorld{app: app, clients: map[string]*client{}, emails: map[string]string{}}
	for _, role := range []string{db.RoleViewer, db.RoleEditor, db.RoleAdmin} {
		w.emails[role] = role + "@example.com"
		app.createUser(w.emails[role], role)
	}
	target := app.createUser("target@example.com", db.RoleViewer) // the login the admin routes change

	owner := app.createOwner("Olga Owner", "olga@example.com")
	account := app.createAccount("Acme Business Manager", "Meta")
	role := app.createRole(account, owner, "Admin")
	integration := app.createIntegrationFor("CRM sync", owner)
	systemUser := app.createSystemUserIn("Conversions bot", account)
	token := app.storeToken(db.TokenInput{Name: "CRM token", Kind: "api_key", AccountID: id(account),
		SystemUserID: id(systemUser), IntegrationID: id(integration), ResponsibleOwnerID: id(owner)})
	if err := app.store.AddStandingItem(ctx, sys, "owner", "Remove from the password manager"); err != nil {
		t.Fatal(err)
	}
	standing := app.count("SELECT MAX(id) FROM standing_items")
	checklist, err := app.store.StartChecklist(ctx, sys, "owner", owner, "")
	if err != nil {
		t.Fatal(err)
	}
	item := app.count("SELECT MIN(id) FROM checklist_items WHERE checklist_id = ?", checklist)
	if item == 0 {
		t.Fatal("the owner's checklist has no items")
	}
	// The viewer's calendar feed, whose address is {secret}.ics.
	feedLogin := db.Actor{UserID: app.count("SELECT id FROM users WHERE email = ?", w.emails[db.RoleViewer]), Email: w.emails[db.RoleViewer]}
	if _, err := app.store.RenewCalendarFeed(ctx, feedLogin); err != nil {
		t.Fatal(err)
	}
	secret, err := app.store.CalendarSecret(ctx, feedLogin.UserID)
	if err != nil {
		t.Fatal(err)
	}
	// An access review of everything, with Olga reviewing an item, and her link.
	review, err := app.store.StartReview(ctx, sys, db.ReviewInput{Name: "Q1 access review", Scope: "all",
		Include: db.ReviewIncludes, DueOn: app.store.Today(), Repeat: "none"})
	if err != nil {
		t.Fatal(err)
	}
	reviewItem := app.count("SELECT MIN(id) FROM review_items WHERE review_id = ? AND reviewer_owner_id = ?", review, owner)
	if reviewItem == 0 {
		t.Fatal("Olga reviews nothing in the route world's review")
	}
	reviewLink, _, err := app.store.ReviewLinkFor(ctx, sys, review, owner)
	if err != nil {
		t.Fatal(err)
	}
	w.params = map[string]string{"/calendar/:feed": secret + ".ics", "/r/:secret": strings.TrimPrefix(reviewLink, db.ReviewLinkPrefix)}
	webhook, delivery := app.queueWebhookTest()
	// A Meta sync that found a system user nobody recorded: a drift item.
	metaSync, _, err := app.store.RecordMetaSync(ctx, sys, db.MetaSnapshot{BusinessID: "424242", ReadAt: app.store.Now(),
		SystemUsers: []db.MetaSystemUser{{ID: "77", Name: "unrecorded bot", Role: "EMPLOYEE"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.ids = map[string]int64{
		"/owners/:id": owner, "/accounts/:id": account, "/roles/:id": role, "/system-users/:id": systemUser,
		"/integrations/:id": integration, "/tokens/:id": token,
		"/checklists/:id": checklist, "/checklists/:id/items/:iid": item,
		"/admin/checklists/:id": standing, "/admin/users/:id": target,
		"/admin/notifications/webhooks/:id": webhook, "/admin/notifications/deliveries/:id": delivery,
		"/reviews/:id": review, "/reviews/:id/items/:item_id": reviewItem, "/r/:secret/items/:item_id": reviewItem,
		"/reviews/:id/links/:owner_id":     owner,
		"/admin/connectors/meta/syncs/:id": metaSync, "/findings/drift/:id": app.count("SELECT MIN(id) FROM meta_drift"),
	}
	for _, k := range db.Kinds {
		w.ids["/api/v1/"+k.Path+"/:id"] = w.ids["/"+k.Path+"/:id"]
	}
	w.keys, w.actors = map[string]string{}, map[string]string{}
	for role, scope := range map[string]string{db.RoleViewer: "read", db.RoleEditor: "write", db.RoleAdmin: "write"} {
		w.keys[role] = app.apiKey(role+" script", scope)
		w.actors[role] = "API key “" + role + " script”"
	}
	w.ids["/admin/api-keys/:id"] = app.count("SELECT MAX(id) FROM api_keys")
	for role, email := range w.emails {
		w.clients[role] = app.signedIn(email)
	}
	return w
}

// isAPIRoute reports whether route is the JSON API's, which takes a key
// instead of a session and a CSRF token.
func isAPIRoute(route string) bool { return strings.HasPrefix(route, "/api/v1/") }

// sendAPI sends an API route as who's script would, with who's key and an
// empty JSON object as the body of a write.
func (w *routeWorld) sendAPI(who, method, p string) response {
	body := ""
	if method != http.MethodGet {
		body = "{}"
	}
	return w.app.api(method, p, w.keys[who], body)
}

// fill puts real record IDs in a route's parameters. A parameter the world
// has no record for fails the test: a new route must be given one here, or
// the matrices would only ever see its 404.
func (w *routeWorld) fill(t *testing.T, route string) string {
	t.Helper()
	segs := strings.Split(route, "/")
	out := append([]string(nil), segs...)
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") && !strings.HasPrefix(s, "*") {
			continue
		}
		key := strings.Join(segs[:i+1], "/")
		if p, ok := w.params[key]; ok {
			out[i] = p
			continue
		}
		n, ok := w.ids[key]
		if !ok {
			t.Fatalf("route %s: no record for %s; add one to newRouteWorld", route, key)
		}
		out[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(out, "/")
}

// attackForm is a form that would change something on the route at p if it
// were let through: every field any form reads, filled with valid values.
func (w *routeWorld) attackForm(p string) url.Values {
	v := url.Values{"name": {"Injected"}, "email": {"injected@example.com"}, "platform": {"Meta"},
		"account_id": {id(w.ids["/accounts/:id"])}, "owner_id": {id(w.ids["/owners/:id"])}, "role": {db.RoleAdmin},
		"status": {"active"}, "password": {testPassword}, "context": {"owner"}, "context_id": {id(w.ids["/owners/:id"])},
		"kind": {"api_key"}, "text": {"Injected standing item"}, "done": {"1"}, "note": {"Injected"}, "reason": {"Injected"},
		"secret": {"EAAGinjected0123456789"}, "code": {"injected"},
		"url": {"https://injected.example/hook"}, "format": {"json"}, "events": {"digest"}}
	if strings.HasPrefix(p, "/admin/checklists") {
		v.Set("kind", "owner")
	}
	return v
}

// wholeSnapshot is every row of every table, as quoted SQL values, except
// the request.denied audit events a refusal itself writes and the sessions'
// and API keys' last-seen times that every request may touch, and any table
// named in skip. Unlike the narrower snapshots of other tests it needs no
// update when a table is added. It reads the schema, then every table in
// one query.
func (a *testApp) wholeSnapshot(skip ...string) string {
	a.t.Helper()
	var tables [][2]string // name, comma-separated columns
	schema := a.text(`SELECT json_group_array(json_array(m.name, (SELECT group_concat(p.name, ',') FROM pragma_table_info(m.name) p)))
		FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name) m`)
	if err := json.Unmarshal([]byte(schema), &tables); err != nil {
		a.t.Fatalf("schema %s: %v", schema, err)
	}
	parts := make([]string, 0, len(tables))
	for _, tc := range tables {
		table, quoted := tc[0], []string{}
		if slices.Contains(skip, table) {
			continue
		}
		for _, c := range strings.Split(tc[1], ",") {
			if table == "sessions" && c == "last_seen_at" || table == "api_keys" && c == "last_used_at" {
				continue
			}
			quoted = append(quoted, `quote("`+c+`")`)
		}
		where := ""
		switch table {
		case "audit_events":
			where = " WHERE action <> 'request.denied'"
		case "settings":
			where = " WHERE key <> 'audit_seal'" // follows the log's head, which refusals move
		}
		parts = append(parts, `'`+table+`', (SELECT json_group_array(j) FROM (SELECT json_array(`+strings.Join(quoted, ", ")+
			`) AS j FROM "`+table+`"`+where+` ORDER BY j))`)
	}
	return a.text("SELECT json_object(" + strings.Join(parts, ", ") + ")")
}

// lastDenial is the summary of the newest request.denied event.
// auditedRefusalsPerUser is how many refused requests of one signed-in user
// are audited within 15 minutes; the rest go to the server log only.
const auditedRefusalsPerUser = 10

// auditedRefusalsDue is how many request.denied events the log should hold
// after one more refusal of the login email, given it held denied before:
// one more while the login has fewer than auditedRefusalsPerUser.
func (a *testApp) auditedRefusalsDue(email string, denied int64) int64 {
	a.t.Helper()
	if a.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied' AND actor = ?", email) < auditedRefusalsPerUser {
		return denied + 1
	}
	return denied
}

func (a *testApp) lastDenial() string {
	a.t.Helper()
	return a.text("SELECT COALESCE((SELECT summary FROM audit_events WHERE action = 'request.denied' ORDER BY id DESC LIMIT 1), '')")
}

// TestRouteTableRules checks the route table itself: every route has the
// level the reviewed list gives it and the list names no route the table
// lacks (so a route's level changes only where a reviewer sees it, and a
// route someone forgot to give a rule fails instead of quietly opening up:
// Route.Access's zero value is public), echo serves exactly the table's
// routes (so none escapes the matrices), and every parameter can be filled
// with a real record.
func TestRouteTableRules(t *testing.T) {
	t.Parallel()
	w := newRouteWorld(t)
	reviewed := reviewedAccess(t)
	e, routes := handlers.New(w.app.store, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{SessionKey: testSessionKey})
	inTable := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if inTable[key] {
			t.Errorf("%s is in the table twice", key)
		}
		inTable[key] = true
		switch want, ok := reviewed[key]; {
		case !ok:
			t.Errorf("%s (%s) is not in testdata/route_access.txt; add it there with the level it must have", key, rt.AccessName())
		case want != rt.AccessName():
			t.Errorf("%s is %s in the route table but %s in testdata/route_access.txt", key, rt.AccessName(), want)
		}
		w.fill(t, rt.Path)
	}
	for key := range reviewed {
		if !inTable[key] {
			t.Errorf("testdata/route_access.txt lists %s, which is not in the route table", key)
		}
	}
	for _, r := range e.Routes() {
		if r.Path == "/static/*" {
			continue
		}
		if !inTable[r.Method+" "+r.Path] {
			t.Errorf("echo serves %s %s, which is not in the route table the matrices walk", r.Method, r.Path)
		}
	}
}

// TestEveryStateChangingRouteNeedsCSRF sends every non-GET route of the
// table, as an admin (so the role is never why it is refused) and as an
// anonymous visitor, a form that would change something, without a token,
// with a wrong one, and with a valid one from another site. Each must be
// refused with 403 before any handler runs, audited as such, and leave every
// table as it was.
func TestEveryStateChangingRouteNeedsCSRF(t *testing.T) {
	t.Parallel()
	w := newRouteWorld(t)
	app := w.app
	anon := app.newClient()
	anon.csrf()
	variants := []struct {
		name   string
		token  func(c *client) string // the _csrf form field; "" sends none
		opts   func(c *client) []reqOpt
		reason string // what the request.denied event must say
	}{
		{"no token", func(*client) string { return "" }, nil, "CSRF"},
		{"wrong token", func(*client) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, nil, "CSRF"},
		{"wrong header token", func(*client) string { return "" },
			func(*client) []reqOpt { return []reqOpt{withHeader("X-CSRF-Token", "forged")} }, "CSRF"},
		{"cross-site fetch with a valid token", func(c *client) string { return c.csrf() },
			func(*client) []reqOpt { return []reqOpt{withHeader("Sec-Fetch-Site", "cross-site")} }, "cross-site"},
		{"foreign Origin with a valid token", func(c *client) string { return c.csrf() },
			func(*client) []reqOpt { return []reqOpt{withHeader("Origin", "https://evil.example")} }, "cross-site"},
		{"cross-site htmx with the header token", func(*client) string { return "" }, func(c *client) []reqOpt {
			return []reqOpt{asHTMX(""), withHeader("X-CSRF-Token", c.csrf()), withHeader("Sec-Fetch-Site", "cross-site"),
				withHeader("Origin", "https://evil.example")}
		}, "cross-site"},
	}
	reviewed := reviewedAccess(t)
	checked, routes := 0, 0
	for _, rt := range app.routes {
		if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
			continue
		}
		routes++
		p := w.fill(t, rt.Path)
		who := map[string]*client{"admin": w.clients[db.RoleAdmin]}
		if reviewed[rt.Method+" "+rt.Path] == "public" {
			who["anonymous"] = anon
		}
		for name, c := range who {
			form := w.attackForm(rt.Path)
			if rt.Path == "/login" {
				form.Set("email", w.emails[db.RoleViewer]) // right credentials: only the token stands in the way
			}
			for _, v := range variants {
				before := app.wholeSnapshot()
				denied := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'")
				f := withToken(cloneValues(form), v.token(c))
				var opts []reqOpt
				if v.opts != nil {
					opts = v.opts(c)
				}
				var r response
				if rt.Method == http.MethodPost {
					r = c.post(p, f, opts...)
				} else {
					r = c.do(rt.Method, p, strings.NewReader(f.Encode()), "application/x-www-form-urlencoded", opts...)
				}
				if isAPIRoute(rt.Path) {
					// The API reads no cookie: the browser's session, CSRF
					// token or not, is no key.
					problemOf(t, name+" "+rt.Method+" "+p+", "+v.name, r, http.StatusUnauthorized)
					if app.wholeSnapshot() != before {
						t.Errorf("%s %s %s, %s: a refused request changed the database", name, rt.Method, p, v.name)
					}
					checked++
					continue
				}
				if r.status != http.StatusForbidden {
					t.Errorf("%s %s %s, %s: status %d, want 403", name, rt.Method, p, v.name, r.status)
				}
				if !strings.Contains(r.body, `data-status="403"`) {
					t.Errorf("%s %s %s, %s: not the friendly 403 page", name, rt.Method, p, v.name)
				}
				if app.wholeSnapshot() != before {
					t.Errorf("%s %s %s, %s: a refused request changed the database", name, rt.Method, p, v.name)
				}
				n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'")
				if name == "anonymous" && n == denied {
					// Past the first few from one address, anonymous
					// refusals are not audited (TestAnonymousRefusalsAuditedUpToALimit).
				} else if name == "admin" && n == denied && app.auditedRefusalsDue(w.emails[db.RoleAdmin], denied) == denied {
					// The same for a signed-in user past their first few
					// (TestSignedInRefusalsAuditedUpToALimit).
				} else if d := app.lastDenial(); n != denied+1 || !strings.Contains(d, v.reason) || !strings.Contains(d, p) {
					t.Errorf("%s %s %s, %s: newest request.denied event %q, want it to name %q and the path", name, rt.Method, p, v.name, d, v.reason)
				}
				checked++
			}
		}
	}
	if routes < 40 {
		t.Fatalf("only %d state-changing routes found: the route table is not being walked", routes)
	}
	t.Logf("%d refusals on %d state-changing routes", checked, routes)
	// The admin is still signed in: no refused /logout ended the session.
	if r := w.clients[db.RoleAdmin].get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("admin after the refusals: status %d, want 200", r.status)
	}
}

// leaks are what an error page must never show: Go error text, SQL, file
// paths, stack traces, echo's own error format.
var leaks = []string{"goroutine", ".go:", "runtime error", "panic", "sqlite", "SQLITE", "SQL", "SELECT ", "INSERT ", "no such table",
	"RAISE", "db:", "code=", "message=", "internal detail", "/tmp/", "/srv/", "constraint", "echo.", "%!"}

// randomTokens and randomCookies are the CSRF tokens in a page and the
// cookies' values in headers: random letters that may spell "SQL" by chance.
var (
	randomTokens  = regexp.MustCompile(`((?:name="csrf-token" content|name="_csrf" value)=")[^"]*`)
	randomCookies = regexp.MustCompile(`((?:^|\n)Set-Cookie: [^=]+=)[^;\n]*`)
)

// TestErrorPagesLeakNothing causes each error a user can meet — 401, 403,
// 404, 405, 413, 422, 429 and real 500s from SQLite errors on a write and a
// read — and checks each answers with Steward's own page and no internals,
// in the body or the headers.
func TestErrorPagesLeakNothing(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	app.createUser("viewer@example.com", db.RoleViewer)
	editor, viewer, anon := app.signedIn("editor@example.com"), app.signedIn("viewer@example.com"), app.newClient()
	owner := app.createOwner("Olga Owner", "olga@example.com")
	integration := app.createIntegrationFor("CRM sync", owner)

	check := func(what string, r response, status int) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: status %d, want %d", what, r.status, status)
		}
		// A form answers 422 and a throttled sign-in 429 with their own
		// page and a message; every other error with the error page.
		formPage := status == http.StatusUnprocessableEntity || status == http.StatusTooManyRequests
		if !formPage && !strings.Contains(r.body, `data-status="`+strconv.Itoa(status)+`"`) {
			t.Errorf("%s: not Steward's error page for %d: %.200q", what, status, r.body)
		}
		var headers strings.Builder
		for k, vs := range r.header {
			headers.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
		}
		body := randomTokens.ReplaceAllString(r.body, "${1}TOKEN")
		for _, leak := range append(leaks, t.TempDir()) {
			if strings.Contains(body, leak) {
				t.Errorf("%s: the page shows %q", what, leak)
			}
			if strings.Contains(randomCookies.ReplaceAllString(headers.String(), "${1}TOKEN"), leak) {
				t.Errorf("%s: a header shows %q", what, leak)
			}
		}
	}
	check("unknown path", viewer.get("/no/such/page"), http.StatusNotFound)
	check("unknown record", viewer.get("/tokens/999999"), http.StatusNotFound)
	check("record ID that is not a number", viewer.get("/owners/1%20OR%201=1"), http.StatusNotFound)
	check("huge record ID", viewer.get("/owners/99999999999999999999999"), http.StatusNotFound)
	check("checklist of an unknown record", viewer.get("/integrations/999999/checklist"), http.StatusNotFound)
	check("wrong method", viewer.get("/logout"), http.StatusMethodNotAllowed)
	check("viewer writes", viewer.post("/owners", ownerForm("No", "", "active", "", "")), http.StatusForbidden)
	check("CSRF", editor.post("/owners", withToken(ownerForm("No", "", "active", "", ""), "")), http.StatusForbidden)
	check("anonymous htmx write", anon.post("/owners", ownerForm("No", "", "active", "", ""), asHTMX("list")), http.StatusUnauthorized)
	check("body over 1 MiB", editor.post("/owners", ownerForm("Big", "", "active", "", strings.Repeat("x", 1<<20))), http.StatusRequestEntityTooLarge)
	check("invalid form", editor.post("/owners", ownerForm("", "not an email", "bogus", "31/12/2030", "")), http.StatusUnprocessableEntity)
	check("invalid audit filter", viewer.get("/audit?from=yesterday&to=%27%3B--"), http.StatusUnprocessableEntity)
	check("malformed form encoding", editor.do(http.MethodPost, "/owners", strings.NewReader("_csrf="+editor.csrf()+"&name=%zz&status=active"),
		"application/x-www-form-urlencoded"), http.StatusUnprocessableEntity)
	for i := range 5 {
		anon.signIn("nobody@example.com", "wrong password "+strconv.Itoa(i))
	}
	check("sign-in throttled", anon.signIn("nobody@example.com", "wrong password"), http.StatusTooManyRequests)

	// Real failures inside SQLite whose messages carry internals: a write a
	// trigger aborts, and reads of a table that is gone.
	ctx := context.Background()
	if err := app.store.Exec(ctx, `CREATE TRIGGER leak_on_insert BEFORE INSERT ON owners BEGIN
		SELECT RAISE(ABORT, 'internal detail: /srv/steward/db/owners.go:42 SELECT password_hash FROM users'); END`); err != nil {
		t.Fatal(err)
	}
	before := app.wholeSnapshot()
	check("write that fails in SQLite", editor.post("/owners", ownerForm("Boom", "", "active", "", "")), http.StatusInternalServerError)
	check("htmx write that fails in SQLite", editor.post("/owners", ownerForm("Boom", "", "active", "", ""), asHTMX("")), http.StatusInternalServerError)
	if app.wholeSnapshot() != before {
		t.Error("a failed write changed the database")
	}
	if err := app.store.Exec(ctx, "ALTER TABLE integrations RENAME TO integrations_moved"); err != nil {
		t.Fatal(err)
	}
	check("list of a table that is gone", viewer.get("/integrations"), http.StatusInternalServerError)
	check("fragment of a table that is gone", viewer.get("/integrations?q=crm", asHTMX("list")), http.StatusInternalServerError)
	check("record of a table that is gone", viewer.get(path("/integrations/:id", integration)), http.StatusInternalServerError)
	check("search of a table that is gone", viewer.get("/search?q=crm", asHTMX("header-results")), http.StatusInternalServerError)
}

// Refusals of nobody signed in are audited, but only the first few from one
// address within the window: anyone can send them, and audit events stay
// for good. Every one is still refused.
func TestAnonymousRefusalsAuditedUpToALimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.newClient()
	for i := range 15 {
		r := c.post("/login", withToken(url.Values{"email": {"x@example.com"}, "password": {"wrong"}}, "forged"))
		if r.status != http.StatusForbidden {
			t.Fatalf("anonymous POST /login with a forged token #%d: status %d, want 403", i+1, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != 10 {
		t.Errorf("%d request.denied events for 15 anonymous refusals from one address, want the first 10", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied' AND actor LIKE '%@%'"); n != 0 {
		t.Errorf("%d anonymous refusals audited under a user", n)
	}
}

// TestSignedInRefusalsAuditedUpToALimit: a signed-in user's refused
// requests are audited up to a limit per user, like anonymous ones per
// address, so a scan cannot grow the permanent log without end; the limit
// is per user, so another user's refusals are still audited.
func TestSignedInRefusalsAuditedUpToALimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	app.createUser("other@example.com", db.RoleViewer)
	viewer, other := app.signedIn("viewer@example.com"), app.signedIn("other@example.com")
	for i := range 50 {
		if r := viewer.post("/owners", url.Values{"name": {"Scan " + strconv.Itoa(i)}}); r.status != http.StatusForbidden {
			t.Fatalf("viewer POST /owners #%d: status %d, want 403", i+1, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied' AND actor = 'viewer@example.com'"); n != auditedRefusalsPerUser {
		t.Errorf("%d request.denied events for 50 refusals of one viewer, want the first %d", n, auditedRefusalsPerUser)
	}
	if r := other.get("/admin"); r.status != http.StatusForbidden {
		t.Fatalf("other viewer GET /admin: status %d, want 403", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied' AND actor = 'other@example.com'"); n != 1 {
		t.Errorf("%d request.denied events for another viewer's refusal, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 0 {
		t.Errorf("%d owners after refused posts, want 0", n)
	}
}

// TestLongSearchTermsRefused: a search term or filter over 200 characters
// gets 400 with a message saying so, on every place that searches, never a
// 500; 200 characters still search.
func TestLongSearchTermsRefused(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	long := url.QueryEscape(strings.Repeat("%_ä", 67)) // 201 characters, LIKE wildcards included
	fits := url.QueryEscape(strings.Repeat("%_ä", 66) + "ab")
	var paths []string
	for _, kind := range []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"} {
		paths = append(paths, "/"+kind+"?q=", "/"+kind+"/export.csv?q=")
	}
	paths = append(paths, "/search?q=", "/tokens?responsible=", "/options/owners?field=owner_id&q=", "/options/accounts?field=account_id&q=",
		"/options/system-users?field=system_user_id&q=", "/options/integrations?field=integration_id&q=", "/audit?actor=", "/audit?action=")
	for _, p := range paths {
		r := c.get(p + long)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "at most 200 characters") {
			t.Errorf("GET %s<201 characters>: status %d, want 400 with a message", p, r.status)
		}
		if r := c.get(p + fits); r.status != http.StatusOK {
			t.Errorf("GET %s<200 characters>: status %d, want 200", p, r.status)
		}
	}
	// Past SQLite's LIKE pattern limit: what used to be a 500.
	if r := c.get("/owners?q=" + url.QueryEscape(strings.Repeat("a%", 30000))); r.status != http.StatusBadRequest {
		t.Errorf("GET /owners with a 60,000-character term: status %d, want 400", r.status)
	}
	htmx := c.get("/search?q="+long, asHTMX("header-results"))
	if htmx.status != http.StatusBadRequest {
		t.Errorf("header search with 201 characters: status %d, want 400", htmx.status)
	}
}
