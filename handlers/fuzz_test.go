package handlers_test

// Fuzz targets for the form path: what a browser can post, decoded by Go
// and echo, validated by the store, saved and shown again. They run through
// the real router over a real SQLite file, in process (no sockets), so a
// worker makes hundreds of requests a second. `go test` runs their seeds
// and the committed corpora in testdata/fuzz; `make fuzz` explores.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"steward/db"
	"steward/handlers"
)

// fuzzApp is Steward's router over a temporary database, with an admin's
// session and CSRF cookies and one record of each kind a form refers to.
type fuzzApp struct {
	e       *echo.Echo
	store   *db.Store
	cookies []*http.Cookie
	csrf    string
	refs    map[string]string   // form field → the ID of a real record
	inputs  map[string][]string // a kind's path → the fields its new-record form shows
}

// newFuzzApp sets the app up once per fuzzing process.
func newFuzzApp(f *testing.F) *fuzzApp {
	f.Helper()
	ctx, sys := context.Background(), db.SystemActor("fuzz")
	store, err := db.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	e, _ := handlers.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{SessionKey: testSessionKey})
	a := &fuzzApp{e: e, store: store}
	if _, err := store.CreateUser(ctx, sys, db.UserInput{Email: "admin@example.com", Password: testPassword, Role: db.RoleAdmin}); err != nil {
		f.Fatal(err)
	}
	owner, err := store.CreateOwner(ctx, sys, db.OwnerInput{Name: "Olga Owner"})
	if err != nil {
		f.Fatal(err)
	}
	account, err := store.CreateAccount(ctx, sys, db.AccountInput{Name: "Acme", Platform: "Meta"})
	if err != nil {
		f.Fatal(err)
	}
	a.refs = map[string]string{"owner_id": id(owner), "account_id": id(account)}

	a.serve(httptest.NewRequest(http.MethodGet, "/login", nil))
	form := url.Values{"email": {"admin@example.com"}, "password": {testPassword}}
	if r := a.post("/login", form.Encode()); r.Code != http.StatusSeeOther {
		f.Fatalf("sign in: status %d", r.Code)
	}
	a.inputs = map[string][]string{}
	for _, k := range fuzzKinds {
		r := a.serve(httptest.NewRequest(http.MethodGet, k.path+"/new", nil))
		if r.Code != http.StatusOK {
			f.Fatalf("GET %s/new: status %d", k.path, r.Code)
		}
		a.inputs[k.path] = formFieldNames(r.Body.String())
	}
	return a
}

// serve runs one request with the cookies so far and keeps the new ones.
func (a *fuzzApp) serve(req *http.Request) *httptest.ResponseRecorder {
	for _, c := range a.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		a.cookies = slicesDeleteCookie(a.cookies, c.Name)
		if c.MaxAge >= 0 {
			a.cookies = append(a.cookies, c)
		}
		if c.Name == csrfCookie {
			a.csrf = c.Value
		}
	}
	return rec
}

func slicesDeleteCookie(cs []*http.Cookie, name string) []*http.Cookie {
	out := cs[:0]
	for _, c := range cs {
		if c.Name != name {
			out = append(out, c)
		}
	}
	return out
}

// post sends body as a same-origin form post with the CSRF header.
func (a *fuzzApp) post(path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", a.csrf)
	return a.serve(req)
}

func (a *fuzzApp) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	n, err := a.store.QueryInt(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// fuzzKind is one kind's create form: its text fields in the order the
// fuzzer's strings fill them, and the fields every post carries.
type fuzzKind struct {
	path, table string
	fields      []string // filled from the fuzzer's strings
	fixed       url.Values
	refs        []string // fields set to a real record's ID
}

var fuzzKinds = []fuzzKind{
	{"/owners", "owners", []string{"name", "email", "title", "department", "notes"}, url.Values{"status": {"active"}}, nil},
	{"/accounts", "accounts", []string{"name", "platform", "kind", "external_id", "url"}, url.Values{"status": {"active"}}, []string{"owner_id"}},
	{"/roles", "roles", []string{"role", "granted_by", "notes", "granted_on", "review_by"}, url.Values{"status": {"active"}},
		[]string{"account_id", "owner_id"}},
	{"/system-users", "system_users", []string{"name", "external_id", "notes", "admin", "status"}, nil, []string{"account_id"}},
	{"/integrations", "integrations", []string{"name", "description", "runs_on", "notes", "status"}, nil, nil},
	{"/tokens", "tokens", []string{"name", "scopes", "assets", "stored_in", "notes"}, url.Values{"kind": {"api_key"}, "status": {"active"}},
		[]string{"responsible_owner_id"}},
}

// checkFormAnswer holds for any create post: the answer is 303 to the new
// record, whose text fields hold exactly what was posted (trimmed) and
// whose page renders it inert; or 422 with each error beside a field of the
// form and nothing written; or 413 for a body over 1 MiB. Never a 5xx.
func checkFormAnswer(t *testing.T, a *fuzzApp, k fuzzKind, body string) {
	t.Helper()
	form, _ := url.ParseQuery(body) // what the server decodes: the same function, the same pairs
	rows := a.count(t, "SELECT COUNT(*) FROM "+k.table)
	events := a.count(t, "SELECT COUNT(*) FROM audit_events")
	r := a.post(k.path, body)
	switch r.Code {
	case http.StatusSeeOther:
		loc := r.Header().Get("Location")
		rid, err := strconv.ParseInt(strings.TrimPrefix(loc, k.path+"/"), 10, 64)
		if loc == "/roles" && k.path == "/roles" {
			rid, err = a.count(t, "SELECT MAX(id) FROM roles"), nil
		}
		if err != nil {
			t.Fatalf("303 to %q, not to the new record", loc)
		}
		for _, field := range k.fields {
			if field == "admin" || field == "status" || strings.HasSuffix(field, "_on") || field == "review_by" {
				continue // normalised, not text
			}
			got, err := a.store.QueryString(context.Background(), "SELECT "+field+" FROM "+k.table+" WHERE id = ?", rid)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(form.Get(field)); got != want {
				t.Fatalf("%s %s stored as %q, posted %q", k.table, field, got, want)
			}
		}
		if a.count(t, "SELECT COUNT(*) FROM audit_events") <= events {
			t.Fatal("saved without an audit event")
		}
		page := a.serve(httptest.NewRequest(http.MethodGet, k.path+"/"+strconv.FormatInt(rid, 10), nil))
		if page.Code != http.StatusOK {
			t.Fatalf("the new record's page: status %d", page.Code)
		}
		if problems, _ := inertProblems(page.Body.String()); len(problems) > 0 {
			t.Fatalf("the new record's page: %v", problems)
		}
	case http.StatusUnprocessableEntity:
		if a.count(t, "SELECT COUNT(*) FROM "+k.table) != rows || a.count(t, "SELECT COUNT(*) FROM audit_events") != events {
			t.Fatal("a refused form wrote something")
		}
		errs := fieldErrors(r.Body.String())
		if len(errs) == 0 {
			t.Fatal("422 without an error beside a field")
		}
		for _, f := range errs {
			if !slices.Contains(a.inputs[k.path], f) {
				t.Fatalf("an error beside %q, which the form does not show (it has %v)", f, a.inputs[k.path])
			}
		}
		if problems, _ := inertProblems(r.Body.String()); len(problems) > 0 {
			t.Fatalf("the 422 page: %v", problems)
		}
	case http.StatusRequestEntityTooLarge:
		if len(body) <= 1<<20 {
			t.Fatalf("413 for a body of %d bytes", len(body))
		}
	default:
		t.Fatalf("status %d for %s %q", r.Code, k.path, body)
	}
}

// formFieldNames lists the names of a page's inputs, selects and text areas.
func formFieldNames(body string) []string {
	var names []string
	z := html.NewTokenizer(strings.NewReader(body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if name := attr(tok, "name"); name != "" && (tok.Data == "input" || tok.Data == "select" || tok.Data == "textarea") {
			names = append(names, name)
		}
	}
	return names
}

// FuzzRecordForm fills every text field of a kind's create form with the
// fuzzer's strings, encoded as a browser would, and checks the answer with
// checkFormAnswer.
func FuzzRecordForm(f *testing.F) {
	f.Add(uint8(0), "Ann Lee", "ann@example.com", "Head of Ops", "Ops", "notes\nwith lines")
	f.Add(uint8(0), " <script>alert(1)</script> ", "a'b@example.com", "\x1b[31m", "caf\xe9", "\u0085")
	f.Add(uint8(1), "Acme BM", "Meta", "business_manager", "123", "https://business.facebook.com/")
	f.Add(uint8(1), "x", "y", "z", "w", "javascript:alert(1)")
	f.Add(uint8(2), "Admin", "me", "", "2024-01-01", "2023-01-01")
	f.Add(uint8(3), "bot", "ext-1", "", "1", "removed")
	f.Add(uint8(4), "CRM sync", "nightly", "cron", "", "retired")
	f.Add(uint8(5), "Ads token", "ads_management", "act_1", "vault", `"><img src=x onerror=alert(1)>`)
	a := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, kind uint8, s1, s2, s3, s4, s5 string) {
		k := fuzzKinds[int(kind)%len(fuzzKinds)]
		form := url.Values{}
		for key, vs := range k.fixed {
			form[key] = vs
		}
		for _, ref := range k.refs {
			form.Set(ref, a.refs[strings.TrimPrefix(strings.TrimPrefix(ref, "responsible_"), "created_by_")])
		}
		for i, v := range []string{s1, s2, s3, s4, s5} {
			form.Set(k.fields[i], v)
		}
		checkFormAnswer(t, a, k, form.Encode())
	})
}

// FuzzFormBody posts raw bytes as an owner's or a token's form: Go's and
// echo's form decoding meet malformed escapes, semicolons, repeated keys
// and stray bytes before validation does; checkFormAnswer must still hold.
func FuzzFormBody(f *testing.F) {
	f.Add(true, "name=Ann+Lee&email=ann%40example.com&status=active&notes=hi")
	f.Add(true, "name=%zz&status=active")
	f.Add(true, "name=A;name=B&status=active")
	f.Add(true, "name=First&name=Second&status=active&status=departed")
	f.Add(true, "name=%00&status=active")
	f.Add(true, "=&&==&name=%E2%80%AE&status=active")
	f.Add(true, "name=caf%E9&status=active")
	f.Add(false, "name=Ads&kind=api_key&status=active&scopes=%3Cscript%3E&secret=EAAB")
	f.Add(false, "name=Ads&kind=api_key&status=active&expires_on=2020-02-30&issued_on=2021-01-01")
	a := newFuzzApp(f)
	f.Fuzz(func(t *testing.T, owner bool, body string) {
		k := fuzzKinds[5]
		if owner {
			k = fuzzKinds[0]
		}
		checkFormAnswer(t, a, k, body)
	})
}
