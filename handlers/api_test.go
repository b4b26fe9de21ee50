package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
)

// apiKey makes an API key of scope named name, as an admin would, and
// returns the key itself.
func (a *testApp) apiKey(name, scope string) string {
	a.t.Helper()
	_, key, err := a.store.CreateAPIKey(context.Background(), db.SystemActor("test"), db.APIKeyInput{Name: name, Scope: scope})
	if err != nil {
		a.t.Fatalf("CreateAPIKey(%s): %v", name, err)
	}
	return key
}

// api sends an API request as a script does: the key (if any) as a bearer
// token, body (if any) as JSON, and no cookies.
func (a *testApp) api(method, path, key, body string, opts ...reqOpt) response {
	a.t.Helper()
	if key != "" {
		opts = append(opts, withHeader("Authorization", "Bearer "+key))
	}
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return a.newClient().do(method, path, strings.NewReader(body), contentType, opts...)
}

// problemOf decodes an API error answer, failing unless it is
// application/problem+json with the status it was sent with.
func problemOf(t *testing.T, what string, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, r.body)
	}
	if p["status"] != float64(status) || p["title"] != http.StatusText(status) {
		t.Errorf("%s: problem %v, want status %d", what, p, status)
	}
	return p
}

// problemFields are the fields a problem names.
func problemFields(p map[string]any) []string {
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

// decode reads a JSON answer into v.
func decode(t *testing.T, r response, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, r.body)
	}
}

// databaseHolds reports whether the database's files hold s anywhere.
func (a *testApp) databaseHolds(s string) bool {
	a.t.Helper()
	if err := a.store.Exec(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		a.t.Fatal(err)
	}
	file := a.text("SELECT file FROM pragma_database_list WHERE name = 'main'")
	for _, f := range []string{file, file + "-wal", file + "-journal"} {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

var shownKey = regexp.MustCompile(`data-testid="api-key">(stw_[A-Za-z0-9_-]+)<`)

// TestAPIKeyShownOnceAndStoredHashed: an admin creates a key on the admin
// page; the answer shows it once; the database holds its hash and prefix,
// never the key; the list shows the prefix; bad input is 422 beside the
// field with the values kept and nothing written.
func TestAPIKeyShownOnceAndStoredHashed(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")

	r := admin.post("/admin/api-keys", url.Values{"name": {"Deploy pipeline"}, "scope": {"write"}, "expires_on": {""}})
	m := shownKey.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("POST /admin/api-keys: status %d, no key shown", r.status)
	}
	key := m[1]
	if len(key) < 40 {
		t.Errorf("key %q is short", key)
	}
	if app.databaseHolds(key) || app.databaseHolds(key[12:]) {
		t.Error("the database holds the key")
	}
	if n := app.count("SELECT COUNT(*) FROM api_keys WHERE name = 'Deploy pipeline' AND scope = 'write' AND prefix = ? AND hash = ?",
		key[:12], db.Fingerprint(key)); n != 1 {
		t.Errorf("%d keys stored with the key's hash and prefix, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'api_key.created' AND actor = 'admin@example.com'"); n != 1 {
		t.Errorf("%d api_key.created events, want 1", n)
	}
	list := admin.get("/admin/api-keys")
	if list.status != http.StatusOK || strings.Contains(list.body, key) || !strings.Contains(list.body, key[:12]) {
		t.Errorf("GET /admin/api-keys: status %d; it must show the prefix, never the key", list.status)
	}
	if r := app.api(http.MethodGet, "/api/v1/owners", key, ""); r.status != http.StatusOK {
		t.Errorf("the new key: status %d, want 200", r.status)
	}

	before := app.wholeSnapshot()
	bad := admin.post("/admin/api-keys", url.Values{"name": {""}, "scope": {"root"}, "expires_on": {"2001-01-01"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Errorf("bad key form: status %d, want 422", bad.status)
	}
	if got := fieldErrors(bad.body); !slices.Equal(got, []string{"name", "scope", "expires_on"}) {
		t.Errorf("bad key form: errors beside %v, want name, scope, expires_on", got)
	}
	if !strings.Contains(bad.body, `value="2001-01-01"`) || shownKey.MatchString(bad.body) {
		t.Error("bad key form: the values are not kept, or a key is shown")
	}
	if app.wholeSnapshot() != before {
		t.Error("a refused key form changed the database")
	}
}

// TestAPIKeyRefusals: no key, an unknown, revoked or expired key are 401; a
// read key that writes is 403; a key in the query string is 400 even when
// valid; a signed-in browser's cookies are not a key. None writes anything.
func TestAPIKeyRefusals(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	read, write := app.apiKey("Report", "read"), app.apiKey("Deploy", "write")
	revoked := app.apiKey("Old script", "write")
	revokedID := app.count("SELECT id FROM api_keys WHERE name = 'Old script'")
	if r := admin.post(path("/admin/api-keys/:id/revoke", revokedID), nil); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: status %d, want 303", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'api_key.revoked' AND record_id = ?", revokedID); n != 1 {
		t.Errorf("%d api_key.revoked events, want 1", n)
	}
	_, expiring, err := app.store.CreateAPIKey(context.Background(), db.SystemActor("test"),
		db.APIKeyInput{Name: "Short-lived", Scope: "write", ExpiresOn: app.store.Today()})
	if err != nil {
		t.Fatal(err)
	}
	if r := app.api(http.MethodGet, "/api/v1/owners", expiring, ""); r.status != http.StatusOK {
		t.Fatalf("a key on its last day: status %d, want 200", r.status)
	}
	app.store.SetClock(func() time.Time { return time.Now().Add(24 * time.Hour) })

	body := `{"name": "Mallory", "status": "active"}`
	before := app.wholeSnapshot("api_keys")
	for _, c := range []struct {
		what, key, path string
		status          int
	}{
		{"no key", "", "/api/v1/owners", http.StatusUnauthorized},
		{"unknown key", "stw_" + strings.Repeat("A", 43), "/api/v1/owners", http.StatusUnauthorized},
		{"not a key", "hunter2", "/api/v1/owners", http.StatusUnauthorized},
		{"revoked key", revoked, "/api/v1/owners", http.StatusUnauthorized},
		{"expired key", expiring, "/api/v1/owners", http.StatusUnauthorized},
		{"read key writes", read, "/api/v1/owners", http.StatusForbidden},
		{"key in the query", "", "/api/v1/owners?api_key=" + write, http.StatusBadRequest},
		{"key in the query besides the header", write, "/api/v1/owners?x=" + write, http.StatusBadRequest},
		{"access_token in the query", write, "/api/v1/owners?access_token=abc", http.StatusBadRequest},
	} {
		r := app.api(http.MethodPost, c.path, c.key, body)
		problemOf(t, c.what, r, c.status)
		if c.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q, want Bearer", c.what, r.header.Get("WWW-Authenticate"))
		}
	}
	// A signed-in admin's browser, with its CSRF token: cookies are no key.
	r := admin.do(http.MethodPost, "/api/v1/owners", strings.NewReader(body), "application/json", withHeader("X-CSRF-Token", admin.csrf()))
	problemOf(t, "admin's cookies", r, http.StatusUnauthorized)
	if app.wholeSnapshot("api_keys") != before {
		t.Error("a refused API request changed the database")
	}
	if r := app.api(http.MethodGet, "/api/v1/owners", read, ""); r.status != http.StatusOK {
		t.Errorf("read key reads: status %d, want 200", r.status)
	}
}

// TestAPIRegistersTokenUnderTheKeysName: a write key registers a token by
// JSON with its value: 201 and its address, the record without the value,
// the database holding its fingerprint and never the value, and the audit
// event under the key's name.
func TestAPIRegistersTokenUnderTheKeysName(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	key := app.apiKey("Deploy pipeline", "write")
	account := app.createAccount("Acme Ads", "Meta")
	secret := "EAAGm0PX4ZCpsBAPIsecretValue9876"
	r := app.api(http.MethodPost, "/api/v1/tokens", key, fmt.Sprintf(
		`{"name": "CI deploy token", "kind": "api_key", "account_id": %d, "expires_on": "2031-01-31", "secret": %q}`, account, secret))
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/v1/tokens: status %d: %s", r.status, r.body)
	}
	id := app.count("SELECT MAX(id) FROM tokens")
	if loc := r.location(); loc != path("/api/v1/tokens/:id", id) {
		t.Errorf("Location %q, want /api/v1/tokens/%d", loc, id)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var tok map[string]any
	decode(t, r, &tok)
	if tok["id"] != float64(id) || tok["name"] != "CI deploy token" || tok["account_id"] != float64(account) ||
		tok["fingerprint"] != db.Fingerprint(secret) || tok["owner_id"] != nil || tok["effective_status"] != "active" {
		t.Errorf("the answer's record: %v", tok)
	}
	if strings.Contains(r.body, secret) || strings.Contains(r.body, `"secret"`) {
		t.Error("the answer echoes the secret")
	}
	if app.text("SELECT fingerprint FROM tokens WHERE id = ?", id) != db.Fingerprint(secret) || app.databaseHolds(secret) {
		t.Error("the database does not hold the fingerprint, or holds the secret")
	}
	if got := app.text("SELECT actor FROM audit_events WHERE action = 'token.created' AND record_id = ?", id); got != "API key “Deploy pipeline”" {
		t.Errorf("token.created actor %q, want the key's name", got)
	}
	if g := app.api(http.MethodGet, r.location(), key, ""); g.status != http.StatusOK || g.body != r.body {
		t.Errorf("GET %s: status %d, body differs from the create's answer", r.location(), g.status)
	}

	// The status actions of the table the pages use.
	rv := app.api(http.MethodPost, path("/api/v1/tokens/:id", id)+"/revoke", key, "")
	decode(t, rv, &tok)
	if rv.status != http.StatusOK || tok["status"] != "revoked" || app.text("SELECT status FROM tokens WHERE id = ?", id) != "revoked" {
		t.Errorf("revoke: status %d, record %v", rv.status, tok)
	}
	// The lookup finds it by its value, which goes nowhere.
	var found struct {
		Data   []map[string]any `json:"data"`
		Former []any            `json:"former"`
	}
	lr := app.api(http.MethodPost, "/api/v1/tokens/lookup", key, fmt.Sprintf(`{"secret": %q}`, secret))
	decode(t, lr, &found)
	if lr.status != http.StatusOK || len(found.Data) != 1 || found.Data[0]["id"] != float64(id) || found.Former == nil {
		t.Errorf("lookup: status %d: %s", lr.status, lr.body)
	}
	problemOf(t, "lookup without a secret", app.api(http.MethodPost, "/api/v1/tokens/lookup", key, `{"secret": " "}`), http.StatusUnprocessableEntity)
	problemOf(t, "lookup with another field", app.api(http.MethodPost, "/api/v1/tokens/lookup", key, `{"value": "x"}`), http.StatusBadRequest)
}

// TestAPIMergePatch: PATCH sets the fields named, empties those sent as
// null and leaves the rest; read-only, unknown and mistyped fields are 400,
// invalid values 422, and neither writes anything.
func TestAPIMergePatch(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	key := app.apiKey("HR sync", "write")
	owner := app.createOwner("Olga Owner", "olga@example.com")
	p := path("/api/v1/owners/:id", owner)
	if err := app.store.Exec(context.Background(), "UPDATE owners SET department = 'Sales', title = 'Lead' WHERE id = ?", owner); err != nil {
		t.Fatal(err)
	}
	r := app.api(http.MethodPatch, p, key, `{"department": "Marketing", "title": null}`, withHeader("Content-Type", "application/merge-patch+json"))
	var o map[string]any
	decode(t, r, &o)
	if r.status != http.StatusOK || o["department"] != "Marketing" || o["title"] != "" || o["name"] != "Olga Owner" || o["email"] != "olga@example.com" {
		t.Errorf("PATCH: status %d, record %v", r.status, o)
	}
	if got := app.text("SELECT department || '|' || title || '|' || name FROM owners WHERE id = ?", owner); got != "Marketing||Olga Owner" {
		t.Errorf("stored %q", got)
	}
	before := app.wholeSnapshot()
	for _, c := range []struct {
		body   string
		status int
		fields []string
	}{
		{`{"id": 5}`, http.StatusBadRequest, []string{"id"}},
		{`{"active_roles": 3, "name": "X"}`, http.StatusBadRequest, []string{"active_roles"}},
		{`{"nickname": "Ollie"}`, http.StatusBadRequest, []string{"nickname"}},
		{`{"manager_id": "7"}`, http.StatusBadRequest, []string{"manager_id"}},
		{`{"name": 7}`, http.StatusBadRequest, []string{"name"}},
		{`{"email": "not an email", "status": "gone"}`, http.StatusUnprocessableEntity, []string{"email", "status"}},
		{`{"manager_id": 999999}`, http.StatusUnprocessableEntity, []string{"manager_id"}},
	} {
		pr := problemOf(t, "PATCH "+c.body, app.api(http.MethodPatch, p, key, c.body), c.status)
		if got := problemFields(pr); !slices.Equal(got, c.fields) {
			t.Errorf("PATCH %s: fields %v, want %v", c.body, got, c.fields)
		}
	}
	problemOf(t, "PATCH of no record", app.api(http.MethodPatch, "/api/v1/owners/999999", key, `{"name": "X"}`), http.StatusNotFound)
	if app.wholeSnapshot() != before {
		t.Error("a refused patch changed the database")
	}
}

// TestAPIBadInput: the bad input — malformed JSON, a body that is
// not an object, unknown fields, wrong types, an oversized body, a body
// that is not JSON, bad cursors and limits, unknown addresses and methods —
// each gets its problem+json status and writes nothing; a 500 says nothing
// of its cause.
func TestAPIBadInput(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	key := app.apiKey("Script", "write")
	app.createOwner("Olga Owner", "olga@example.com")
	before := app.wholeSnapshot("api_keys")
	post := func(body string, opts ...reqOpt) response {
		return app.api(http.MethodPost, "/api/v1/owners", key, body, opts...)
	}
	problemOf(t, "malformed JSON", post(`{"name": "A",`), http.StatusBadRequest)
	problemOf(t, "an array", post(`[{"name": "A"}]`), http.StatusBadRequest)
	problemOf(t, "a string", post(`"A"`), http.StatusBadRequest)
	problemOf(t, "null", post(`null`), http.StatusBadRequest)
	problemOf(t, "two objects", post(`{"name": "A"} {"name": "B"}`), http.StatusBadRequest)
	problemOf(t, "unknown field", post(`{"name": "A", "salary": "1"}`), http.StatusBadRequest)
	problemOf(t, "wrong type", post(`{"name": ["A"]}`), http.StatusBadRequest)
	problemOf(t, "over 1 MiB", post(`{"name": "A", "notes": "`+strings.Repeat("x", 1<<20)+`"}`), http.StatusRequestEntityTooLarge)
	problemOf(t, "form encoded", app.newClient().do(http.MethodPost, "/api/v1/owners", strings.NewReader("name=A"),
		"application/x-www-form-urlencoded", withHeader("Authorization", "Bearer "+key)), http.StatusUnsupportedMediaType)
	invalid := problemOf(t, "invalid values", post(`{"name": "", "email": "nope"}`), http.StatusUnprocessableEntity)
	if got := problemFields(invalid); !slices.Equal(got, []string{"name", "email"}) {
		t.Errorf("invalid values: fields %v, want name, email in the form's order", got)
	}
	if errs := invalid["errors"].([]any); errs[0].(map[string]any)["pointer"] != "#/name" || errs[0].(map[string]any)["detail"] != "Required." {
		t.Errorf("invalid values: first error %v", errs[0])
	}
	for _, q := range []string{"cursor=zzz", "cursor=" + url.QueryEscape("after:1"), "limit=0", "limit=201", "limit=ten", "manager_id=abc"} {
		problemOf(t, "GET ?"+q, app.api(http.MethodGet, "/api/v1/owners?"+q, key, ""), http.StatusBadRequest)
	}
	problemOf(t, "audit after_id", app.api(http.MethodGet, "/api/v1/audit/events?after_id=-1", key, ""), http.StatusBadRequest)
	long := problemOf(t, "search over 200 characters", app.api(http.MethodGet, "/api/v1/owners?q="+strings.Repeat("a", 201), key, ""), http.StatusBadRequest)
	if !strings.Contains(long["detail"].(string), "at most 200 characters") {
		t.Errorf("search over 200 characters: %v", long)
	}
	problemOf(t, "unknown path", app.api(http.MethodGet, "/api/v1/nothing", key, ""), http.StatusNotFound)
	problemOf(t, "unknown record", app.api(http.MethodGet, "/api/v1/owners/999999", key, ""), http.StatusNotFound)
	problemOf(t, "record ID that is not one", app.api(http.MethodGet, "/api/v1/owners/abc", key, ""), http.StatusNotFound)
	problemOf(t, "wrong method", app.api(http.MethodDelete, "/api/v1/owners", key, ""), http.StatusMethodNotAllowed)
	if app.wholeSnapshot("api_keys") != before {
		t.Error("bad input changed the database")
	}
	if err := app.store.Exec(context.Background(), "ALTER TABLE owners RENAME TO owners_moved"); err != nil {
		t.Fatal(err)
	}
	r := app.api(http.MethodGet, "/api/v1/owners", key, "")
	problemOf(t, "a table that is gone", r, http.StatusInternalServerError)
	for _, leak := range leaks {
		if strings.Contains(r.body, leak) {
			t.Errorf("the 500 shows %q: %s", leak, r.body)
		}
	}
}

// TestAPICursorPaging: following next_cursor walks every record the
// filters match exactly once, in ID order, and the last page says null.
func TestAPICursorPaging(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	key := app.apiKey("Report", "read")
	var want []int64
	for i := range 11 {
		id := app.createOwner("Owner "+strconv.Itoa(i), fmt.Sprintf("o%d@example.com", i))
		if i%4 != 3 {
			want = append(want, id)
		} else if err := app.store.Exec(context.Background(), "UPDATE owners SET status = 'departed' WHERE id = ?", id); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	next, pages := "", 0
	for {
		r := app.api(http.MethodGet, "/api/v1/owners?status=active&limit=3&cursor="+url.QueryEscape(next), key, "")
		var page struct {
			Data []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		decode(t, r, &page)
		if r.status != http.StatusOK || len(page.Data) > 3 {
			t.Fatalf("page %d: status %d, %d records", pages, r.status, len(page.Data))
		}
		for _, o := range page.Data {
			got = append(got, o.ID)
		}
		if pages++; page.NextCursor == nil || pages > 10 {
			break
		}
		next = *page.NextCursor
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("walked %v in %d pages, want %v in 3", got, pages, want)
	}
}

// TestAPIAuditEvents: a log shipper reads the log oldest first, page by
// page from after_id, each event with its hash and its predecessor's.
func TestAPIAuditEvents(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	key := app.apiKey("Log shipper", "read")
	for i := range 5 {
		app.createOwner("Owner "+strconv.Itoa(i), "")
	}
	total := app.count("SELECT COUNT(*) FROM audit_events")
	var events []map[string]any
	after := "0"
	for {
		r := app.api(http.MethodGet, "/api/v1/audit/events?limit=2&after_id="+after, key, "")
		var page struct {
			Data        []map[string]any `json:"data"`
			NextAfterID *int64           `json:"next_after_id"`
		}
		decode(t, r, &page)
		events = append(events, page.Data...)
		if page.NextAfterID == nil || len(events) > 100 {
			break
		}
		after = strconv.FormatInt(*page.NextAfterID, 10)
	}
	if int64(len(events)) != total {
		t.Fatalf("%d events read, want %d", len(events), total)
	}
	for i, e := range events {
		if e["id"] != float64(i+1) || e["hash"] == "" {
			t.Errorf("event %d: %v", i, e)
		}
		if i > 0 && e["prev_hash"] != events[i-1]["hash"] {
			t.Errorf("event %v does not chain to the one before", e["id"])
		}
	}
}

// TestAPIRateLimit: a key past its burst is told 429 with Retry-After; other
// keys are not.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, APIKeyRate: 0.001, APIKeyBurst: 3})
	busy, other := app.apiKey("Busy", "read"), app.apiKey("Other", "read")
	for i := range 3 {
		if r := app.api(http.MethodGet, "/api/v1/findings", busy, ""); r.status != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i+1, r.status)
		}
	}
	r := app.api(http.MethodGet, "/api/v1/findings", busy, "")
	problemOf(t, "past the burst", r, http.StatusTooManyRequests)
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want whole seconds", r.header.Get("Retry-After"))
	}
	if r := app.api(http.MethodGet, "/api/v1/findings", other, ""); r.status != http.StatusOK {
		t.Errorf("another key: status %d, want 200", r.status)
	}
}

// TestAPIKeysAndSecretsStayOutOfTheLog: neither a key (in its header or
// refused in a query) nor a looked-up token value reaches the request log.
func TestAPIKeysAndSecretsStayOutOfTheLog(t *testing.T) {
	ctx := context.Background()
	store, srv, logged := loggedServer(t)
	_, key, err := store.CreateAPIKey(ctx, db.SystemActor("test"), db.APIKeyInput{Name: "Script", Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(http.MethodGet, "/api/v1/owners", "")
	send(http.MethodGet, "/api/v1/owners?api_key="+key, "")
	send(http.MethodPost, "/api/v1/owners", `{"name": "X"}`)
	send(http.MethodPost, "/api/v1/tokens/lookup", `{"secret": "Zq9lookupSecretValue"}`)
	out := logged.String()
	if strings.Contains(out, key) || strings.Contains(out, key[12:]) || strings.Contains(out, "Zq9lookup") {
		t.Errorf("the log holds a key or a secret:\n%s", out)
	}
	if !strings.Contains(out, "path=/api/v1/owners") {
		t.Errorf("the requests are not logged:\n%s", out)
	}
}
