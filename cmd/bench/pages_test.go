package main

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/db"
	"steward/handlers"
	"steward/internal/seed"
)

// realRoutes are the route table handlers.New builds and the tables of a
// freshly migrated database.
func realRoutes(t *testing.T) ([]handlers.Route, []string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	routes, err := routeTable(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := openRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	tables, err := recs.tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return routes, tables
}

// uncovered plans the pages and names each route that no page loads and no
// skip rule leaves out.
func uncovered(routes []handlers.Route, tables []string) ([]string, error) {
	pl, err := planPages(routes, tables, variantValues{q: "a"})
	var out []string
	for _, r := range routes {
		skipped := slices.ContainsFunc(skipRules, func(rule skipRule) bool { return rule.skip(r) })
		loaded := slices.ContainsFunc(pl.pages, func(p page) bool { return p.route == r.Path })
		if !skipped && !loaded {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out, err
}

func TestPlanCoversEveryPage(t *testing.T) {
	routes, tables := realRoutes(t)
	missing, err := uncovered(routes, tables)
	if err != nil || len(missing) > 0 {
		t.Fatalf("pages not benchmarked: %v (%v)", missing, err)
	}

	// Every GET route of a viewer or an admin is loaded, unless a download.
	pl, _ := planPages(routes, tables, variantValues{q: "a"})
	for _, r := range routes {
		if r.Method == "GET" && (r.AccessName() == "viewer" || r.AccessName() == "admin") && path.Ext(r.Path) == "" &&
			!strings.HasPrefix(r.Path, "/options/") && !slices.ContainsFunc(pl.pages, func(p page) bool { return p.route == r.Path }) {
			t.Errorf("%s (%s) is not loaded", r.Path, r.AccessName())
		}
	}

	// Each kind's list is also searched, sorted and paged; its checklist
	// started and not; the audit log filtered and paged; search searched.
	var names []string
	for _, p := range pl.pages {
		names = append(names, p.name)
	}
	for _, k := range db.Kinds {
		for _, want := range []string{"/" + k.Path + " searched q=a", "/" + k.Path + " sorted", "/" + k.Path + " last page",
			"/" + k.Path + "/:id", "/" + k.Path + "/:id/timeline", "/" + k.Path + "/:id/checklist not started"} {
			if !slices.Contains(names, want) {
				t.Errorf("no page %q in %v", want, names)
			}
		}
	}
	for _, want := range []string{"/", "/audit", "/audit dates", "/audit near the end", "/search searched q=a", "/checklists/:id/timeline",
		"/admin", "/admin/users", "/admin/connectors", "/admin/connectors/meta/sync", "/admin/connectors/meta/syncs/:id",
		"/admin/notifications/webhooks/:id"} {
		if !slices.Contains(names, want) {
			t.Errorf("no page %q", want)
		}
	}
	for _, p := range pl.pages {
		if strings.Contains(p.route, "export") || strings.HasPrefix(p.route, "/options/") || strings.HasSuffix(p.route, "/edit") ||
			p.route == "/login" || p.route == "/healthz" {
			t.Errorf("%s is not a page", p.route)
		}
	}
}

// A viewer or admin page added later is benchmarked without anyone naming it, and a
// page whose record the benchmark cannot choose fails the plan.
func TestPlanTakesNewRoutes(t *testing.T) {
	routes, tables := realRoutes(t)
	home := routes[slices.IndexFunc(routes, func(r handlers.Route) bool { return r.Method == "GET" && r.Path == "/" })]
	added := home
	added.Path = "/reviews"
	adminPage := routes[slices.IndexFunc(routes, func(r handlers.Route) bool { return r.Method == "GET" && r.AccessName() == "admin" })]
	adminPage.Path = "/admin/widgets"
	pl, err := planPages(append(routes, added, adminPage), tables, variantValues{})
	for _, want := range []string{"/reviews", "/admin/widgets"} {
		if err != nil || !slices.ContainsFunc(pl.pages, func(p page) bool { return p.route == want }) {
			t.Errorf("a new page %s is not benchmarked (%v)", want, err)
		}
	}

	unknown := home
	unknown.Path = "/widgets/:id"
	missing, err := uncovered(append(routes, unknown), tables)
	if err == nil || !strings.Contains(err.Error(), "/widgets/:id") || !slices.Equal(missing, []string{"GET /widgets/:id"}) {
		t.Errorf("a page whose :id has no records passed: missing %v, error %v", missing, err)
	}
}

// The busiest records are those with the most rows pointing at them.
func TestBusiestRecords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Scale(ctx, store, seed.Size{Owners: 200, Tokens: 1000, Events: 3000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	related := func(q string, id int64) int64 {
		n, err := store.QueryInt(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	accountRows := `SELECT (SELECT COUNT(*) FROM roles WHERE account_id = ?1) + (SELECT COUNT(*) FROM tokens WHERE account_id = ?1)
		+ (SELECT COUNT(*) FROM system_users WHERE account_id = ?1) + (SELECT COUNT(*) FROM accounts WHERE parent_id = ?1)`
	most, err := store.QueryInt(ctx, `SELECT MAX((`+strings.ReplaceAll(accountRows, "?1", "a.id")+`)) FROM accounts a`)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	recs, err := openRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	defer recs.Close()
	for _, k := range db.Kinds {
		ids, err := recs.busiest(ctx, k.Table)
		if err != nil || len(ids) < 2 {
			t.Fatalf("%s: %v, %v", k.Table, ids, err)
		}
		if k.Table == "accounts" {
			if got := related(accountRows, ids[0]); got != most || got < related(accountRows, ids[1]) {
				t.Errorf("busiest account %d has %d related rows, the most is %d", ids[0], got, most)
			}
		}
	}
	if _, err := recs.busiest(ctx, "checklists"); err == nil {
		t.Error("busiest checklist found in a database without checklists")
	}
	if _, err := recs.auditValues(ctx); err != nil {
		t.Error(err)
	}
}

func TestPostForms(t *testing.T) {
	page := `<html><body>
	<form method="get" action="/search"><input name="q" value="x"></form>
	<form method="post" action="/owners/5">
		<input type="hidden" name="_csrf" value="tok">
		<input name="name" value="Ivan">
		<input type="search" name="q" form="">
		<select name="manager_id"><option value="">No manager</option><option value="7" selected>Ana</option></select>
		<select name="status"><option>active</option><option>departed</option></select>
		<input type="checkbox" name="carry_out" value="1" checked>
		<input type="checkbox" name="revoke" value="1">
		<textarea name="notes">old notes</textarea>
		<button type="submit" name="go">Save</button>
	</form></body></html>`
	forms, err := postForms([]byte(page))
	if err != nil || len(forms) != 1 {
		t.Fatalf("forms %v, %v", forms, err)
	}
	f := forms[0]
	want := url.Values{"_csrf": {"tok"}, "name": {"Ivan"}, "manager_id": {"7"}, "status": {"active"}, "carry_out": {"1"}, "notes": {"old notes"}}
	if f.action != "/owners/5" || f.values.Encode() != want.Encode() || fmt.Sprint(f.checkboxes) != "[carry_out]" {
		t.Errorf("got %s %s %v, want %s", f.action, f.values.Encode(), f.checkboxes, want.Encode())
	}
}

// Sorted and last-page variants read their query off the list as served.
func TestQueriesFromTheList(t *testing.T) {
	list := []byte(`<table><tr><th scope="col" aria-sort="none"><a class="hover:underline" href="/tokens?sort=name" hx-get="/tokens?sort=name">Name</a></th>
		<th scope="col" aria-sort="none"><a class="hover:underline" href="/tokens?status=active&amp;sort=kind">Kind</a></th></tr></table>
		<nav><span>25000 results · page 1 of 500</span></nav>`)
	if q, err := sortQuery(list); q != "sort=kind&status=active" || err != nil {
		t.Errorf("sorted: %q, %v", q, err)
	}
	if q, err := lastPageQuery(list); q != "page=500" || err != nil {
		t.Errorf("last page: %q, %v", q, err)
	}
	if _, err := sortQuery([]byte("<p>no list</p>")); err == nil {
		t.Error("a page without sort links gave a sorted query")
	}
}
