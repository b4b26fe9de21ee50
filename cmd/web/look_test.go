package main

// The look holds on every screen. Every main page of the demo company (the
// pages come from the route table) is opened in real Chromium at a phone's
// 390×844 and a laptop's 1366×900: no page scrolls sideways, each table
// shows its key columns (the first, which names the row, and Status where
// there is one; at 1366 px every column), no date wraps, and there is at
// most one primary action. The home page
// leads with its most severe finding, above the fold on the phone, and each
// finding's "→" links open lists holding exactly its count of records. The
// Nu HTML Checker (vnu-jar from npm, run with Java) finds no error in the
// HTML the server sent for the same pages.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"steward/db"
	"steward/handlers"
)

// lookBudget bounds the look test's browser session: some fifty pages at
// two sizes, and the home page's finding links.
const lookBudget = 5 * time.Minute

// screen is a window size the pages must fit.
type screen struct {
	name          string
	width, height int64
	// wide screens show every column of every table; narrow ones at least
	// the key columns, the rest scrolling inside the table's box.
	wide bool
}

var screens = []screen{{"phone 390×844", 390, 844, false}, {"laptop 1366×900", 1366, 900, true}}

// vnuPath is the Nu HTML Checker, installed by npm ci (vnu-jar).
const vnuPath = "../../node_modules/vnu-jar/build/dist/vnu.jar"

func TestLook(t *testing.T) {
	chromium := findChromium(t)
	srv := startStewardWith(t, "-demo")
	b := startBrowserFor(t, chromium, srv, lookBudget)
	html := t.TempDir() // each page's HTML as served, for the Nu HTML Checker

	pages := []string{"/login"}
	for _, sc := range screens {
		t.Run(sc.name+" /login", func(t *testing.T) {
			b.setScreen(t, sc)
			b.open(t, "/login")
			b.checkFits(t, sc)
		})
	}
	b.saveHTML(t, html, "/login")
	b.setScreen(t, screens[1])
	b.signIn(t)
	records := b.lookRecords(t)
	var reviewerPage string
	records["reviews"], reviewerPage = addLookReview(t, srv.db)
	var checkedToken string
	records["syncs"], checkedToken = addLookMeta(t, srv.db)
	main := mainPages(t, records)
	// A reviewer's page opens without signing in; it is checked the same,
	// and so is a token Meta checked (the first token's page has no check).
	main = append(main, reviewerPage, checkedToken)
	pages = append(pages, main...)
	for _, p := range main {
		for _, sc := range screens {
			t.Run(sc.name+" "+p, func(t *testing.T) {
				b.setScreen(t, sc)
				b.open(t, p)
				b.checkFits(t, sc)
			})
		}
		b.saveHTML(t, html, p)
	}
	t.Run("home leads with the most severe finding, above the fold", func(t *testing.T) {
		b.setScreen(t, screens[0])
		b.open(t, "/")
		b.checkHomeFindings(t, screens[0])
	})
	t.Run("each finding's links open exactly its records", func(t *testing.T) {
		b.setScreen(t, screens[1])
		b.checkFindingLinks(t)
	})
	t.Run("Nu HTML Checker", func(t *testing.T) { checkHTML(t, html, len(pages)) })
	t.Run("no CSP violations in the console", b.checkConsole)
}

// setScreen sizes the page's viewport.
func (b *browser) setScreen(t *testing.T, sc screen) {
	t.Helper()
	b.do(t, "size the window to "+sc.name, chromedp.EmulateViewport(sc.width, sc.height))
}

// lookRecords finds the records whose pages the test opens, by the URL
// segment before :id: the first of each kind's list (for people, Jake
// Morrison, departed with access left over, whose page and checklist are
// the fullest), Jake's checklist, started here if the demo has not, and a
// webhook added here.
func (b *browser) lookRecords(t *testing.T) map[string]string {
	t.Helper()
	records := map[string]string{}
	for _, k := range db.Kinds {
		records[k.Path] = b.firstRecord(t, k.Path)
	}
	records["owners"] = b.findOwner(t, "Jake Morrison")
	b.open(t, records["owners"]+"/checklist")
	if b.count(t, `[data-testid=checklist-item] form`) == 0 {
		b.load(t, "start Jake's checklist", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start checklist"]`)))
	}
	action := get(t, b, "read a checklist item's form", chromedp.Evaluate[string](
		`(f => f ? f.getAttribute("action") : "")(document.querySelector("[data-testid=checklist-item] form[action^='/checklists/']"))`))
	m := regexp.MustCompile(`^/checklists/[0-9]+`).FindString(action)
	if m == "" {
		t.Fatalf("the started checklist's items post to %q, not /checklists/{id}/…", action)
	}
	records["checklists"] = m
	// A webhook, added as an admin does, for its edit page.
	b.open(t, "/admin/notifications")
	b.do(t, "fill in a webhook", chromedp.SendKeys(chromedp.CSS("#url"), "https://hooks.example.com/steward"),
		chromedp.SendKeys(chromedp.CSS("#secret"), "a-long-shared-secret-1234"), chromedp.Click(chromedp.CSS("#event-digest")))
	b.load(t, "add the webhook", chromedp.Click(chromedp.Search(`//button[normalize-space()="Add webhook"]`)))
	edit := get(t, b, "read the webhook's edit link", chromedp.Evaluate[string](
		`(a => a ? a.getAttribute("href") : "")(document.querySelector("a[href^='/admin/notifications/webhooks/']"))`))
	records["webhooks"] = strings.TrimPrefix(edit, "/admin/notifications")
	if edit == "" {
		t.Fatal("adding a webhook left no link to edit it")
	}
	// An access review of everything, started as an editor does, for its
	// page, report and timeline.
	b.open(t, "/reviews/new")
	b.do(t, "name the review", chromedp.SendKeys(chromedp.CSS("#name"), "Quarterly access review"))
	b.load(t, "start the review", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start the review"]`)))
	records["reviews"] = get(t, b, "read the review's address", chromedp.Evaluate[string](`location.pathname`))
	if !regexp.MustCompile(`^/reviews/[0-9]+$`).MatchString(records["reviews"]) {
		t.Fatalf("starting a review led to %q, not /reviews/{id}", records["reviews"])
	}
	return records
}

// addLookMeta connects a Meta app with a kept token, straight into the
// database file of the running server (connecting asks Meta, which this
// test does not reach), so the connector page shows the connected app and
// a history of every kind of sync: one applied two days ago, a scheduled
// read that failed yesterday and today's pending sync, which finds
// something in every section (a new system user, a renamed ad account, a
// Page gone). It also registers a token that Meta checked. It answers the
// pending sync's segment ("/syncs/{id}") and the checked token's page.
func addLookMeta(t *testing.T, file string) (syncPage, tokenPage string) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const bmID = "184726351902847"
	uid, err := store.QueryInt(ctx, "SELECT id FROM users WHERE email = ?", adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	admin := db.Actor{UserID: uid, Email: adminEmail, Role: db.RoleAdmin}
	now := store.Now()
	check := db.MetaTokenCheck{CheckedAt: now, Valid: true, NeverExpires: true, IssuedAt: now.AddDate(0, -2, 0), Type: "SYSTEM_USER",
		AppID: "1029384756", Application: "Steward inventory", UserID: "61550293847563",
		Scopes: []string{"business_management", "ads_read", "pages_read_engagement", "read_insights"},
		Assets: []db.MetaGrantedAsset{{ID: "1029384756102938", Scopes: []string{"ads_read"}}, {ID: "998877665544332211", Scopes: []string{"pages_read_engagement", "read_insights"}}}}
	if err := store.ConnectMeta(ctx, admin, db.MetaConnectInput{AppID: "1029384756", AppSecret: "look-test-app-secret", BusinessID: bmID,
		Token: "EAAlookTestKeptConnectorToken0123456789", KeepToken: true, Check: check}); err != nil {
		t.Fatal(err)
	}
	applied, _, err := store.RecordMetaSync(ctx, admin, db.MetaSnapshot{BusinessID: bmID, ReadAt: now.AddDate(0, 0, -2),
		Pages: []db.MetaAsset{{ID: "5550001", Name: "Northwind Outlet"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyMetaSync(ctx, admin, applied); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordMetaSyncFailure(ctx, db.SystemActor("scheduled Meta sync"), bmID, now.AddDate(0, 0, -1),
		"Meta refused the token: it is invalid or has expired. Use a current system user token."); err != nil {
		t.Fatal(err)
	}
	pending, _, err := store.RecordMetaSync(ctx, db.SystemActor("scheduled Meta sync"), db.MetaSnapshot{BusinessID: bmID, ReadAt: now,
		SystemUsers: []db.MetaSystemUser{{ID: "61550293847566", Name: "shopify-product-feed-with-a-long-name", Role: "EMPLOYEE"}},
		AdAccounts:  []db.MetaAsset{{ID: "1029384756102938", Name: "Northwind – Prospecting (United States and Canada)"}},
		Assignments: []db.MetaAssignment{{SystemUserID: "61550293847566", AssetID: "1029384756102938", AssetKind: "ad_account",
			Tasks: []string{"MANAGE", "ADVERTISE", "ANALYZE", "DRAFT"}}}})
	if err != nil {
		t.Fatal(err)
	}
	account, err := store.QueryInt(ctx, "SELECT id FROM accounts WHERE external_id = ?", bmID)
	if err != nil {
		t.Fatal(err)
	}
	token, err := store.CreateToken(ctx, admin, db.TokenInput{Name: "Looker Studio reporting token", Kind: "system_user_token",
		AccountID: strconv.FormatInt(account, 10), Secret: "EAAlookTestCheckedToken9876543210", MetaCheck: &db.MetaCheckOutcome{Check: check}})
	if err != nil {
		t.Fatal(err)
	}
	// mainPages puts the sync's segment in place of the route's "/syncs/:id".
	return "/syncs/" + strconv.FormatInt(pending, 10), "/tokens/" + strconv.FormatInt(token.ID, 10)
}

// addLookReview adds an open access review of a few demo roles, reviewed
// by a demo owner, straight into the database file of the running server
// (starting reviews is not what this test looks at), and issues the
// reviewer's link. It returns the review's path and the link's.
func addLookReview(t *testing.T, file string) (review, link string) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reviewer, err := store.QueryInt(ctx, "SELECT id FROM owners WHERE email <> '' AND status = 'active' ORDER BY id LIMIT 1")
	if err != nil || reviewer == 0 {
		t.Fatalf("no demo owner to review: %v", err)
	}
	must := func(q string, args ...any) {
		t.Helper()
		if err := store.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	must(`INSERT INTO reviews (name, scope, include, due_on, created_at, updated_at)
		VALUES ('Look review', 'all', '["roles"]', '2099-03-31', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`)
	id, err := store.QueryInt(ctx, "SELECT MAX(id) FROM reviews")
	if err != nil {
		t.Fatal(err)
	}
	must(`INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, holder_owner_id, detail, since, last_seen, reviewer_owner_id)
		SELECT ?, 'role', r.id, r.account_id, COALESCE(o.display_name, su.name, ''), r.owner_id, r.role, r.granted_on, r.last_reviewed_on, ?
		FROM roles r LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
		WHERE r.status = 'active' ORDER BY r.id LIMIT 4`, id, reviewer)
	must(`UPDATE review_items SET decision = 'remove', note = 'Left the agency in March', decided_by = 'look', decided_at = 'x'
		WHERE id = (SELECT MIN(id) FROM review_items WHERE review_id = ?)`, id)
	link, _, err = store.ReviewLinkFor(ctx, db.SystemActor("look test"), id, reviewer)
	if err != nil {
		t.Fatal(err)
	}
	return "/reviews/" + strconv.FormatInt(id, 10), link
}

// mainPages are the pages to check, from the route table: every GET route
// a signed-in admin opens as a page, that is all but the public ones (the
// sign-in page is checked before signing in), downloads (a path with a file
// extension: exports, templates), form pickers' fragments under /options/
// and the JSON API. Each :id is filled with the record of records at the segment
// before it; a route this cannot fill fails the test, so a new page is
// checked without anyone naming it here.
func mainPages(t *testing.T, records map[string]string) []string {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "routes.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, routes := handlers.New(store, slog.New(slog.DiscardHandler), handlers.Config{SessionKey: []byte("look-test-session-key-32-bytes!!")})
	var out []string
	for _, r := range routes {
		if r.Method != http.MethodGet || r.AccessName() == "public" || path.Ext(r.Path) != "" || strings.HasPrefix(r.Path, "/options/") ||
			strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		p := r.Path
		for seg, rec := range records {
			p = strings.Replace(p, "/"+seg+"/:id", rec, 1)
		}
		if strings.Contains(p, ":") {
			t.Fatalf("no record to fill %s with: add one to lookRecords", r.Path)
		}
		out = append(out, p)
	}
	if len(out) < 40 {
		t.Fatalf("only %d pages from the route table: %v", len(out), out)
	}
	return out
}

// fit is what checkFits measures on a page.
type fit struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Problems    []string `json:"problems"`
}

// measureFit finds what does not fit: each table's key columns (the first
// cell of its first row, and its Status column) hidden outside its box or
// the window, on a wide screen any column clipped by its box, any date
// that wraps onto a second line, and more than one primary action.
const measureFit = `((wide) => {
	const problems = [];
	const shown = e => e.getClientRects().length > 0;
	const where = e => (e.closest("[id]") ? "#" + e.closest("[id]").id + " " : "") + e.tagName.toLowerCase();
	for (const table of document.querySelectorAll("main table")) {
		if (!shown(table) || !table.rows.length) continue;
		let box = table.parentElement;
		while (box !== document.body && !/(auto|scroll|hidden)/.test(getComputedStyle(box).overflowX)) box = box.parentElement;
		const b = box.getBoundingClientRect();
		const left = Math.max(b.left, 0) - 1, right = Math.min(b.right, innerWidth) + 1;
		const head = [...table.rows[0].cells];
		const status = head.find(c => c.textContent.trim() === "Status");
		for (const [what, cell] of [["name (first)", head[0]], ["Status", status]]) {
			if (!cell) continue;
			const r = cell.getBoundingClientRect();
			if (r.left < left || r.right > right) {
				problems.push("table in " + where(table) + ": its " + what + " column (" + Math.round(r.left) + "–" + Math.round(r.right) +
					" px) is outside what its box shows (" + Math.round(left) + "–" + Math.round(right) + " px)");
			}
		}
		if (wide && box.scrollWidth > box.clientWidth + 1) {
			problems.push("table in " + where(table) + ": " + box.scrollWidth + " px wide in a box of " + box.clientWidth + " px: columns are clipped");
		}
	}
	const date = /\d{4}-\d{2}-\d{2}(?:[ T\u00a0]\d{2}:\d{2}(?::\d{2})?(?:[ \u00a0]UTC)?)?/g;
	const wrapped = [];
	const walk = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		if (!n.parentElement || !shown(n.parentElement)) continue;
		for (const m of n.data.matchAll(date)) {
			const range = document.createRange();
			range.setStart(n, m.index);
			range.setEnd(n, m.index + m[0].length);
			const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
			if (tops.size > 1) wrapped.push(JSON.stringify(m[0]) + " in " + where(n.parentElement));
		}
	}
	if (wrapped.length) problems.push(wrapped.length + " dates wrap: " + wrapped.slice(0, 3).join(", ") + (wrapped.length > 3 ? ", …" : ""));
	const primaries = [...document.querySelectorAll("main .btn")].filter(shown).map(e => e.textContent.trim());
	if (primaries.length > 1) problems.push(primaries.length + " primary actions (.btn), want at most one: " + JSON.stringify(primaries));
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth, problems};
})`

// checkFits fails the test when the page scrolls sideways or something in
// it does not fit the screen.
func (b *browser) checkFits(t *testing.T, sc screen) {
	t.Helper()
	f := get(t, b, "measure the page", chromedp.Evaluate[fit](measureFit+"("+strconv.FormatBool(sc.wide)+")"))
	if f.ScrollWidth > f.InnerWidth {
		t.Errorf("%s at %s scrolls sideways: %d px wide in a window of %d px", b.path(t), sc.name, f.ScrollWidth, f.InnerWidth)
	}
	for _, p := range f.Problems {
		t.Errorf("%s at %s: %s", b.path(t), sc.name, p)
	}
}

// shownFinding is a finding card on the home page.
type shownFinding struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Top      int    `json:"top"`
	Bottom   int    `json:"bottom"` // of its title and severity
}

// checkHomeFindings checks that the home page's findings come most severe
// first, each with its severity in words, and that the first one's title
// and severity are above the fold.
func (b *browser) checkHomeFindings(t *testing.T, sc screen) {
	t.Helper()
	found := get(t, b, "read the findings", chromedp.Evaluate[[]shownFinding](`[...document.querySelectorAll("article[data-testid=finding]")].map(a => {
		const sev = a.querySelector("[data-testid=severity]");
		const r = a.getBoundingClientRect(), s = sev ? sev.getBoundingClientRect() : r;
		return {kind: a.dataset.finding, severity: sev ? sev.textContent.trim() : "", top: Math.round(r.top), bottom: Math.round(s.bottom)};
	})`))
	if len(found) == 0 {
		t.Fatal("the demo's home page shows no finding")
	}
	rank := map[string]int{"Critical": 1, "High": 2, "Medium": 3, "Low": 4}
	for i, f := range found {
		if rank[f.Severity] == 0 {
			t.Errorf("finding %s shows severity %q, want Critical, High, Medium or Low", f.Kind, f.Severity)
		}
		if i > 0 && rank[f.Severity] < rank[found[i-1].Severity] {
			t.Errorf("finding %s (%s) comes after %s (%s)", f.Kind, f.Severity, found[i-1].Kind, found[i-1].Severity)
		}
	}
	if first := found[0]; first.Severity != "Critical" || int64(first.Bottom) > sc.height {
		t.Errorf("the first finding is %s (%s), its severity ending %d px down a %d px screen: want a critical one above the fold",
			first.Kind, first.Severity, first.Bottom, sc.height)
	}
}

// findingLink is one "→" link of a home page finding.
type findingLink struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Href  string `json:"href"`
}

var resultCount = regexp.MustCompile(`^([0-9]+) results?\b`)

// checkFindingLinks follows every finding's links: the lists they open hold
// as many records as the finding counts, together.
func (b *browser) checkFindingLinks(t *testing.T) {
	t.Helper()
	b.open(t, "/")
	links := get(t, b, "read the finding links", chromedp.Evaluate[[]findingLink](`[...document.querySelectorAll("article[data-testid=finding] [data-testid=finding-link]")].map(a => {
		const f = a.closest("[data-testid=finding]");
		return {kind: f.dataset.finding, count: +f.dataset.count, href: a.getAttribute("href")};
	})`))
	listed, counted := map[string]int{}, map[string]int{}
	for _, l := range links {
		counted[l.Kind] = l.Count
		b.open(t, l.Href)
		if n := b.count(t, "[data-testid=finding-filter]"); n != 1 {
			t.Errorf("%s (%s) does not say it is narrowed to the finding", l.Href, l.Kind)
		}
		text := get(t, b, "read the result count", chromedp.Evaluate[string](
			`(n => n ? n.textContent.trim() : "0 results")(document.querySelector("main nav[aria-label=Pages] span"))`))
		m := resultCount.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("%s: no result count in %q", l.Href, text)
		}
		n, _ := strconv.Atoi(m[1])
		listed[l.Kind] += n
	}
	if len(counted) < 5 {
		t.Fatalf("only %d findings with links on the demo's home page: %v", len(counted), links)
	}
	for kind, n := range counted {
		if listed[kind] != n {
			t.Errorf("finding %s counts %d records, its links list %d", kind, n, listed[kind])
		}
	}
}

// saveHTML writes the current page's HTML, as the server sends it (not as
// the browser parsed it), to dir for the Nu HTML Checker.
func (b *browser) saveHTML(t *testing.T, dir, page string) {
	t.Helper()
	b.open(t, page)
	src := get(t, b, "fetch the page's HTML", chromedp.Evaluate[string](
		`fetch(location.href, {credentials: "same-origin"}).then(r => r.text())`, chromedp.EvalAwaitPromise))
	name := fmt.Sprintf("%03d%s.html", savedPages(t, dir), strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(page))
	if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

// savedPages counts the pages saved in dir.
func savedPages(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// vnuMessage is one message of the Nu HTML Checker's JSON output.
type vnuMessage struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	LastLine int    `json:"lastLine"`
	Message  string `json:"message"`
	Extract  string `json:"extract"`
}

// checkHTML runs the Nu HTML Checker on the pages saved in dir and fails on
// any error. It skips (fails with STEWARD_E2E=1) without Java or vnu-jar.
func checkHTML(t *testing.T, dir string, pages int) {
	java, err := exec.LookPath("java")
	if err == nil {
		_, err = os.Stat(vnuPath)
	}
	if err != nil {
		msg := fmt.Sprintf("the Nu HTML Checker needs Java (apt-get install default-jre-headless) and vnu-jar (npm ci): %v", err)
		if os.Getenv("STEWARD_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if n := savedPages(t, dir); n != pages {
		t.Fatalf("%d pages saved for the checker, want %d", n, pages)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, java, "-jar", vnuPath, "--errors-only", "--format", "json", "--stdout", dir).Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) { // it exits 1 when it finds errors
		t.Fatalf("run the Nu HTML Checker: %v", err)
	}
	var report struct{ Messages []vnuMessage }
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("read the Nu HTML Checker's report: %v\n%s", err, out)
	}
	for _, m := range report.Messages {
		t.Errorf("%s line %d: %s [%s] %q", filepath.Base(m.URL), m.LastLine, m.Message, m.Type, m.Extract)
	}
	if err != nil && !t.Failed() {
		t.Errorf("the Nu HTML Checker failed with no message: %v", err)
	}
	if slices.ContainsFunc(report.Messages, func(m vnuMessage) bool { return m.Type == "non-document-error" }) {
		t.Error("the checker could not read every page")
	}
	t.Logf("the Nu HTML Checker read %d pages", pages)
}
