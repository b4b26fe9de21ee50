package main

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"steward/db"
	"steward/handlers"
)

// The pages the benchmark loads come from the route table: every GET route a
// signed-in user may use, admin pages included (the benchmark signs in as
// the first admin), except those skipRules say are not pages. A route added
// later is loaded without anyone naming it here; a route whose :id this file
// cannot fill fails planPages (and TestPlanCoversEveryPage).

// skipRule says which routes are not pages, and why.
type skipRule struct {
	why  string
	skip func(handlers.Route) bool
}

// skipRules are the routes not benchmarked as pages, by rule, first match wins.
var skipRules = []skipRule{
	{"not a GET (forms post, sign-out)", func(r handlers.Route) bool { return r.Method != http.MethodGet }},
	{"a download, not a page (the path ends in a file extension: CSV and JSON exports, the import template, the API's description)",
		func(r handlers.Route) bool { return path.Ext(r.Path) != "" }},
	{"not behind sign-in (sign-in pages, the health checks, metrics, calendar feeds; a reviewer's link is loaded on its own)",
		func(r handlers.Route) bool { return r.AccessName() == "public" }},
	{"an editor's form to fill in (new, edit, import, rotate, a new review), not a page of records",
		func(r handlers.Route) bool { return r.AccessName() == "editor" }},
	{"a form picker's fragment under /options/, not a page",
		func(r handlers.Route) bool { return strings.HasPrefix(r.Path, "/options/") }},
}

// page is one URL to load: a route with its :id filled by a chosen record,
// and a variant's query.
type page struct {
	name  string // the route and the variant, as the table shows it
	route string // the route's path: "/tokens/:id"
	rank  int    // which record fills :id: 0 the busiest, 1 the next
	query string // the variant's query, without "?"
	// fromPlain, when set, reads the variant's query off the route's plain
	// page once the server answers: its sort links, its page count.
	fromPlain func(body []byte) (string, error)
	url       string // path and query to load, set by resolve
}

// variantValues are the values variants put in their queries, found in the
// seeded data.
type variantValues struct {
	q     string // a common search term
	audit auditValues
}

// auditValues filter and page the audit log.
type auditValues struct {
	from, to             string // a month in the middle of the history
	actor, kind, action  string // the most frequent of each
	before, rangedBefore int64  // event IDs near the oldest end: overall, and within from–to
	newest               int64  // the newest event's ID
}

// plan is the benchmark's pages and the routes left out, by rule.
type plan struct {
	pages   []page
	skipped map[string][]string // skip rule → route paths
}

// planPages derives the pages from the route table. tables are the
// database's tables: :id after /{segment}/ is a record of the kind at that
// URL segment, or a row of the table of that name (a checklist, a webhook),
// or of the table the two segments before name (/meta/syncs/:id: meta_syncs).
func planPages(routes []handlers.Route, tables []string, v variantValues) (plan, error) {
	p := plan{skipped: map[string][]string{}}
	var unfillable []string
routes:
	for _, r := range routes {
		for _, rule := range skipRules {
			if rule.skip(r) {
				p.skipped[rule.why] = append(p.skipped[rule.why], r.Path)
				continue routes
			}
		}
		if _, err := idTables(r.Path, tables); err != nil {
			unfillable = append(unfillable, r.Path)
			continue
		}
		p.pages = append(p.pages, variants(r.Path, v)...)
	}
	if len(unfillable) > 0 {
		return p, fmt.Errorf("no record to fill the parameters of %s: a parameter must follow a kind's URL segment or a table's name (or its two parts: /meta/syncs for meta_syncs)",
			strings.Join(unfillable, ", "))
	}
	return p, nil
}

// variants are the pages one route is loaded as: plainly, and
//   - each kind's list (db.Kinds) also searched, sorted and on its last page;
//   - each kind's checklist for the busiest record (whose checklist the
//     benchmark starts) and for the next, not started;
//   - the audit log filtered by dates, by actor, kind and action, and paged
//     near the oldest end, overall and within the dates;
//   - search with a query.
func variants(route string, v variantValues) []page {
	plain := page{name: route, route: route}
	with := func(what, query string) page {
		p := plain
		p.name, p.query = route+" "+what, query
		return p
	}
	out := []page{plain}
	q := "q=" + url.QueryEscape(v.q)
	for _, k := range db.Kinds {
		switch route {
		case "/" + k.Path:
			sorted, deep := with("sorted", ""), with("last page", "")
			sorted.fromPlain, deep.fromPlain = sortQuery, lastPageQuery
			return append(out, with("searched "+q, q), sorted, deep)
		case "/api/v1/" + k.Path:
			return append(out, with("searched "+q, q), with("200 a page", "limit=200"))
		case "/" + k.Path + "/:id/checklist":
			out[0].name += " started"
			notStarted := with("not started", "")
			notStarted.rank = 1
			return append(out, notStarted)
		}
	}
	a := v.audit
	dates := "from=" + a.from + "&to=" + a.to
	switch route {
	case "/audit":
		return append(out,
			with("dates", dates),
			with("actor", "actor="+url.QueryEscape(a.actor)),
			with("kind", "kind="+url.QueryEscape(a.kind)),
			with("action", "action="+url.QueryEscape(a.action)),
			with("near the end", "before="+strconv.FormatInt(a.before, 10)),
			with("dates, near their end", dates+"&before="+strconv.FormatInt(a.rangedBefore, 10)))
	case "/search":
		return append(out, with("searched "+q, q))
	case "/api/v1/audit/events":
		return append(out, with("200 a page", "limit=200"),
			with("near the newest", "after_id="+strconv.FormatInt(a.newest-100, 10)))
	}
	return out
}

// idTables are the tables whose records fill the route's parameters, in
// order.
func idTables(route string, tables []string) ([]string, error) {
	var out []string
	segs := strings.Split(strings.Trim(route, "/"), "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		// The table named by the segment before, or by the two before
		// (/meta/syncs/:id is a row of meta_syncs).
		prefixed := ""
		if i > 1 {
			prefixed = segs[i-2] + "_" + prev
		}
		if k, ok := db.KindAtPath(prev); ok {
			out = append(out, k.Table)
		} else if slices.Contains(tables, prev) {
			out = append(out, prev)
		} else if slices.Contains(tables, prefixed) {
			out = append(out, prefixed)
		} else {
			return nil, fmt.Errorf("%s: nothing to fill %s with", route, s)
		}
	}
	return out, nil
}

// fillIDs puts the IDs in place of the route's parameters, in order.
func fillIDs(route string, ids []int64) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") && len(ids) > 0 {
			segs[i], ids = strconv.FormatInt(ids[0], 10), ids[1:]
		}
	}
	return strings.Join(segs, "/")
}

// sortHeader finds a list's sortable column headers and their links.
var sortHeader = regexp.MustCompile(`aria-sort="[a-z]+">\s*<a [^>]*href="([^"]+)"`)

// sortQuery is the query of a list sorted as a click on its second column
// header sorts it: the first column is the list's default order. A list
// with one sortable column is sorted by it, descending.
func sortQuery(body []byte) (string, error) {
	m := sortHeader.FindAllSubmatch(body, 2)
	if m == nil {
		return "", errors.New("the list has no column to sort by")
	}
	u, err := url.Parse(html.UnescapeString(string(m[len(m)-1][1])))
	if err != nil {
		return "", err
	}
	q := u.Query()
	if len(m) == 1 {
		q.Set("desc", "1")
	}
	return q.Encode(), nil
}

// pagerTotal finds a list's page count in its pager.
var pagerTotal = regexp.MustCompile(`· page \d+ of (\d+)`)

// lastPageQuery is the query of a list's last page.
func lastPageQuery(body []byte) (string, error) {
	m := pagerTotal.FindSubmatch(body)
	if m == nil {
		return "", errors.New("the list has no pager")
	}
	return "page=" + string(m[1]), nil
}
