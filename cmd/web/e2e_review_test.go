package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestE2EReview walks issue 14's "done means" in Chromium over the demo
// company, as a new user would: start a quarterly review of the Meta
// accounts through the form, issue a reviewer's link and answer it in a
// browser that never signed in (one remove, one keep; the reviewer's own
// access is not theirs to answer), close the review, find the removal on
// the account's timeline, print the report to a PDF and read it back, and
// find the next quarter's review.
func TestE2EReview(t *testing.T) {
	chromium := findChromium(t)
	pdftotext := findPoppler(t, "pdftotext")
	srv := startStewardWith(t, "-demo")
	b := startBrowser(t, chromium, srv)
	due := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")

	var st struct {
		reviewPath string
		reviewID   int64
		reviewer   reviewerLink
		removed    reviewAnswer
		kept       reviewAnswer
		account    string // the removed item's account page
	}
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"sign in", func(t *testing.T) { b.signIn(t) }},
		{"on a phone a refused start shows its first error in sight", func(t *testing.T) { b.refusedStartOnPhone(t, srv) }},
		{"start a quarterly review of the Meta accounts", func(t *testing.T) {
			st.reviewPath, st.reviewID = b.startMetaReview(t, srv, due)
		}},
		{"on a phone every item and its answer buttons are in sight", func(t *testing.T) {
			b.fitsPhone(t, st.reviewPath, `[data-testid=review-item]`)
		}},
		{"find a reviewer who holds access in the review, and their link", func(t *testing.T) {
			st.reviewer = b.reviewerWithOwnAccess(t, srv, st.reviewID)
		}},
		{"answer through the link without signing in", func(t *testing.T) {
			st.removed, st.kept = b.answerByLink(t, srv, st.reviewID, st.reviewer)
		}},
		{"the review page shows the answers and why the reviewer's own item went elsewhere", func(t *testing.T) {
			st.account = b.checkAnswersOnReview(t, st.reviewPath, st.reviewer, st.removed, st.kept)
		}},
		{"close the review, keeping the undecided", func(t *testing.T) { b.closeReview(t, srv, st.reviewPath, st.reviewID, st.removed) }},
		{"the account's timeline shows the removal naming the review", func(t *testing.T) {
			b.removalOnAccountTimeline(t, st.account, st.removed)
		}},
		{"print the report to PDF on A4", func(t *testing.T) {
			b.checkReviewPDF(t, pdftotext, st.reviewPath+"/report", st.removed, st.kept)
		}},
		{"on a phone the report's rows are in sight", func(t *testing.T) {
			b.fitsPhone(t, st.reviewPath+"/report", `[data-testid=report-row]`)
		}},
		{"the next quarter's review exists", func(t *testing.T) { b.nextReview(t, srv, st.reviewID, due) }},
	}
	for i, s := range steps {
		if !t.Run(s.name, s.fn) {
			b.screenshot(t, "review-failed-"+strings.ReplaceAll(s.name, " ", "-")+".png")
			if i < len(steps)-1 {
				t.Errorf("stopping: the steps after %q build on it", s.name)
			}
			break
		}
	}
	t.Run("no CSP violations in the console", b.checkConsole)
}

// reviewName is the name the test gives the review.
const reviewName = "Meta access review, Q1"

var reviewPage = regexp.MustCompile(`^/reviews/([0-9]+)$`)

// readDB opens the server's database read-only, beside the running server.
func readDB(t *testing.T, srv *steward) *sql.DB {
	t.Helper()
	conn, err := sql.Open("sqlite3", "file:"+srv.db+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// queryInt is one number from the database.
func queryInt(t *testing.T, conn *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// startMetaReview fills the form at /reviews/new: the Meta accounts,
// every kind of record, due on due, every quarter.
func (b *browser) startMetaReview(t *testing.T, srv *steward, due string) (string, int64) {
	t.Helper()
	b.open(t, "/reviews")
	b.load(t, "click Start a review", chromedp.Click(chromedp.CSS(`[data-testid=new-review]`)))
	if got := b.path(t); got != "/reviews/new" {
		t.Fatalf("Start a review led to %s", got)
	}
	for _, what := range []string{"roles", "tokens", "system_users"} {
		if !get(t, b, "read the "+what+" box", chromedp.Evaluate[bool](`document.querySelector('input[name=include][value=`+what+`]').checked`)) {
			t.Errorf("%s is not ticked on a new review", what)
		}
	}
	b.do(t, "fill the review form",
		chromedp.SendKeys(chromedp.CSS("#name"), reviewName),
		chromedp.Click(chromedp.CSS(`input[name=scope][value=platform]`)),
		chromedp.SetValue(chromedp.CSS("select#platform"), "Meta"),
		chromedp.SetValue(chromedp.CSS("#due_on"), due),
		chromedp.SetValue(chromedp.CSS("select#repeat"), "quarterly"))
	resp := b.load(t, "click Start the review", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start the review"]`)))
	m := reviewPage.FindStringSubmatch(b.path(t))
	if resp.Status != http.StatusOK || m == nil {
		t.Fatalf("after starting: status %d on %s", resp.Status, b.path(t))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if h1 := get(t, b, "read the title", chromedp.Text(chromedp.CSS(`[data-testid=review-title]`))); h1 != reviewName {
		t.Errorf("review title %q", h1)
	}
	main := get(t, b, "read the page", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Review started.", "Meta accounts", "roles, tokens, system users", due, "quarterly"} {
		if !strings.Contains(main, want) {
			t.Errorf("the review page does not say %q", want)
		}
	}
	// The snapshot: one item per active role, token and system user on the
	// Meta accounts, and nothing from another platform.
	conn := readDB(t, srv)
	items := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE review_id = ?", id)
	want := queryInt(t, conn, `SELECT
		(SELECT COUNT(*) FROM roles r JOIN accounts a ON a.id = r.account_id WHERE a.platform = 'Meta' AND r.status = 'active') +
		(SELECT COUNT(*) FROM tokens k JOIN accounts a ON a.id = k.account_id WHERE a.platform = 'Meta' AND k.status = 'active') +
		(SELECT COUNT(*) FROM system_users u JOIN accounts a ON a.id = u.account_id WHERE a.platform = 'Meta' AND u.status = 'active')`)
	if items == 0 || items != want {
		t.Errorf("the review holds %d items; the Meta accounts have %d active roles, tokens and system users", items, want)
	}
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_items i JOIN accounts a ON a.id = i.account_id WHERE i.review_id = ? AND a.platform <> 'Meta'", id); n != 0 {
		t.Errorf("%d items of other platforms", n)
	}
	var scope, platform, gotDue, repeat string
	if err := conn.QueryRow("SELECT scope, platform, due_on, repeat FROM reviews WHERE id = ?", id).Scan(&scope, &platform, &gotDue, &repeat); err != nil {
		t.Fatal(err)
	}
	if scope != "platform" || platform != "Meta" || gotDue != due || repeat != "quarterly" {
		t.Errorf("stored review: scope %q, platform %q, due %q, repeat %q", scope, platform, gotDue, repeat)
	}
	shown := b.count(t, `[data-testid=review-item]`)
	if int64(shown) != min(items, 50) {
		t.Errorf("the page shows %d items of %d", shown, items)
	}
	if n := b.count(t, `[data-testid=review-item][data-decision=pending]`); n != shown {
		t.Errorf("%d of %d items pending on a new review", n, shown)
	}
	return b.path(t), id
}

// reviewerLink is a reviewer, their link and the item of theirs that went
// to someone else.
type reviewerLink struct {
	ownerID int64
	name    string
	url     string
	ownItem string // the review-item element's id
}

// reviewerWithOwnAccess picks, from the reviewers' section, a reviewer who
// also holds access in the review, and issues their link.
func (b *browser) reviewerWithOwnAccess(t *testing.T, srv *steward, reviewID int64) reviewerLink {
	t.Helper()
	if n := b.count(t, `[data-testid=review-links] [data-testid=review-link]`); n < 2 {
		t.Fatalf("the reviewers' section lists %d reviewers; the Meta accounts have several owners", n)
	}
	// A reviewer whose name is also the holder of an item: that item says
	// it was routed elsewhere.
	var r reviewerLink
	found := get(t, b, "find a reviewer who holds an item", chromedp.Evaluate[[]string](`(() => {
		for (const li of document.querySelectorAll('[data-testid=review-links] [data-testid=review-link]')) {
			const name = li.querySelector('a').textContent.trim();
			for (const it of document.querySelectorAll('[data-testid=review-item]')) {
				if (it.querySelector('td').textContent.trim() === name && it.querySelector('[data-testid=routed-because]'))
					return [li.dataset.owner, name, it.id];
			}
		}
		return [];
	})()`))
	if len(found) != 3 {
		t.Fatal("no reviewer holds an item of the review: the demo's Meta owners hold roles on the accounts they answer for")
	}
	r.ownerID, _ = strconv.ParseInt(found[0], 10, 64)
	r.name, r.ownItem = found[1], found[2]
	li := fmt.Sprintf(`[data-testid=review-link][data-owner="%d"]`, r.ownerID)
	if b.count(t, li+`[data-linked=no]`) != 1 {
		t.Fatalf("%s already has a link on a new review", r.name)
	}
	resp := b.load(t, "issue "+r.name+"'s link", chromedp.Click(chromedp.CSS(li+` button[type=submit]`)))
	if resp.Status != http.StatusOK || !strings.HasPrefix(b.path(t), "/reviews/") {
		t.Fatalf("after issuing the link: status %d on %s", resp.Status, b.path(t))
	}
	if hash := get(t, b, "read the location", chromedp.Evaluate[string](`location.hash`)); hash != "#reviewers" {
		t.Errorf("issuing the link went back to %q, not the reviewers' section", hash)
	}
	r.url = get(t, b, "read the link", chromedp.Evaluate[string](`(e => e ? e.value : "")(document.querySelector('`+li+` input[readonly]'))`))
	if !strings.HasPrefix(r.url, b.base+"/r/") || len(r.url) < len(b.base)+30 {
		t.Fatalf("%s's link is %q", r.name, r.url)
	}
	// Only the secret's hash is stored.
	conn := readDB(t, srv)
	secret := strings.TrimPrefix(r.url, b.base+"/r/")
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_links WHERE review_id = ? AND reviewer_owner_id = ? AND revoked_at = ''", reviewID, r.ownerID); n != 1 {
		t.Errorf("%d working links stored for %s", n, r.name)
	}
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_links WHERE secret_hash = ? OR seed = ?", secret, secret); n != 0 {
		t.Error("the link's secret is stored as it is")
	}
	return r
}

// reviewAnswer is an answer given through the link.
type reviewAnswer struct {
	itemID   string // "item-N"
	holder   string
	decision string
	note     string
	reviewer string // who answered
}

// answerByLink opens the reviewer's link in a fresh browser context (no
// cookies, never signed in), checks it shows only their items and not
// their own access, and answers one item remove with a note and another
// keep.
func (b *browser) answerByLink(t *testing.T, srv *steward, reviewID int64, r reviewerLink) (removed, kept reviewAnswer) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	// The first action creates the tab; its life is bound to ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a fresh browser context: %v", err)
	}
	anon := &browser{ctx: ctx, base: b.base}
	path := strings.TrimPrefix(r.url, b.base)
	anon.open(t, path)
	if n := anon.count(t, `form[action="/logout"]`); n != 0 {
		t.Error("the reviewer's page offers a sign-out: the fresh browser is signed in")
	}
	if h1 := get(t, anon, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Access review: "+reviewName {
		t.Errorf("link page heading %q", h1)
	}
	if text := get(t, anon, "read the page", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "Hello "+r.name) {
		t.Errorf("the link page does not greet %s", r.name)
	}
	conn := readDB(t, srv)
	theirs := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE review_id = ? AND reviewer_owner_id = ?", reviewID, r.ownerID)
	if n := anon.count(t, `[data-testid=review-item]`); int64(n) != theirs || n < 2 {
		t.Fatalf("the link shows %d items; %s reviews %d", n, r.name, theirs)
	}
	// Nobody reviews their own access: none of the items shown is theirs,
	// and the one the review page names is not here.
	holders := get(t, anon, "read the holders", chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=review-item] h2')].map(e => e.textContent.trim())`))
	for _, h := range holders {
		if h == r.name {
			t.Errorf("%s is asked to review their own access", r.name)
		}
	}
	if n := anon.count(t, `#`+r.ownItem); n != 0 {
		t.Errorf("%s's own item %s is on their link", r.name, r.ownItem)
	}
	own := strings.TrimPrefix(r.ownItem, "item-")
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE id = ? AND reviewer_owner_id IS NOT ? AND routed_because <> ''", own, r.ownerID); n != 1 {
		t.Errorf("item %s, held by %s, is not stored as routed to someone else", own, r.name)
	}

	// A person's role is removed, another item kept.
	ids := get(t, anon, "pick the items", chromedp.Evaluate[[]string](`(() => {
		const items = [...document.querySelectorAll('[data-testid=review-item]')];
		const role = items.find(li => /access$/.test(li.querySelector('dd').textContent.trim()) && / /.test(li.querySelector('h2').textContent.trim()));
		const other = items.find(li => li !== role);
		return role && other ? [role.id, other.id] : [];
	})()`))
	if len(ids) != 2 {
		t.Fatal("the link shows no person's role to remove")
	}
	removed = reviewAnswer{itemID: ids[0], decision: "remove", note: "Left the agency in March", reviewer: r.name}
	kept = reviewAnswer{itemID: ids[1], decision: "keep", reviewer: r.name}
	for _, a := range []*reviewAnswer{&removed, &kept} {
		sel := "#" + a.itemID
		a.holder = get(t, anon, "read the holder", chromedp.Text(chromedp.CSS(sel+" h2")))
		if a.note != "" {
			anon.do(t, "type a note", chromedp.SendKeys(chromedp.CSS(sel+" input[name=note]"), a.note))
		}
		resp := anon.load(t, "click "+a.decision, chromedp.Click(chromedp.CSS(sel+` button[name=decision][value=`+a.decision+`]`)))
		if resp.Status != http.StatusOK || anon.path(t) != path+sel {
			t.Fatalf("after answering %s: status %d on %s", a.decision, resp.Status, anon.path(t))
		}
		if hash := get(t, anon, "read the location", chromedp.Evaluate[string](`location.hash`)); hash != sel {
			t.Errorf("the answer went back to %q, not the item", hash)
		}
		if d := get(t, anon, "read the answer", chromedp.Evaluate[string](`document.querySelector('`+sel+`').dataset.decision`)); d != a.decision {
			t.Errorf("%s shows %q after answering %s", a.itemID, d, a.decision)
		}
		if !get(t, anon, "is the item in view", chromedp.Evaluate[bool](`(r => r.top < innerHeight && r.bottom > 0)(document.querySelector('`+sel+`').getBoundingClientRect())`)) {
			t.Errorf("the answered item %s is not in view", a.itemID)
		}
		var decision, note, by string
		if err := conn.QueryRow("SELECT decision, note, decided_by FROM review_items WHERE id = ?", strings.TrimPrefix(a.itemID, "item-")).Scan(&decision, &note, &by); err != nil {
			t.Fatal(err)
		}
		if decision != a.decision || note != a.note || !strings.Contains(by, r.name) {
			t.Errorf("stored answer for %s: %q, note %q, by %q; want %q, %q, by %s", a.itemID, decision, note, by, a.decision, a.note, r.name)
		}
	}
	main := get(t, anon, "read the page", chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(main, "Saved: keep.") {
		t.Error("no confirmation of the answer")
	}
	// The link opens nothing else.
	resp := anon.load(t, "open the review's page", chromedp.Navigate(b.base+fmt.Sprintf("/reviews/%d", reviewID)))
	if got := anon.path(t); resp.Status != http.StatusOK || !strings.HasPrefix(got, "/login") {
		t.Errorf("the reviewer's browser opened the review's page: status %d on %s", resp.Status, got)
	}
	anon.screenshot(t, "review-link.png")
	return removed, kept
}

// checkAnswersOnReview finds the answers on the review's page, and the
// reviewer's own item saying why it went elsewhere; it returns the
// removed item's account page.
func (b *browser) checkAnswersOnReview(t *testing.T, reviewPath string, r reviewerLink, removed, kept reviewAnswer) string {
	t.Helper()
	b.open(t, reviewPath)
	for _, a := range []reviewAnswer{removed, kept} {
		sel := "#" + a.itemID
		if d := get(t, b, "read the answer", chromedp.Evaluate[string](`(e => e ? e.dataset.decision : "")(document.querySelector('`+sel+`'))`)); d != a.decision {
			t.Errorf("the review page shows %s as %q, want %q", a.itemID, d, a.decision)
		}
		if a.note != "" && !strings.Contains(get(t, b, "read the item", chromedp.Text(chromedp.CSS(sel))), a.note) {
			t.Errorf("the review page does not show the note %q", a.note)
		}
	}
	why := get(t, b, "read why", chromedp.Text(chromedp.CSS("#"+r.ownItem+" [data-testid=routed-because]")))
	if !strings.Contains(why, "nobody reviews their own access") || !strings.Contains(why, r.name) {
		t.Errorf("%s's own item says %q", r.name, why)
	}
	if n := b.count(t, `[data-testid=review-item]`); n != b.count(t, `[data-decision]`) {
		t.Errorf("%d items but %d elements with a decision: one element per item", n, b.count(t, `[data-decision]`))
	}
	b.screenshot(t, "review-answered.png")
	// The removed role's record page names its account.
	b.open(t, get(t, b, "read the record link", chromedp.Evaluate[string](`document.querySelector('#`+removed.itemID+` a').getAttribute("href")`)))
	href := get(t, b, "read the account link", chromedp.Evaluate[string](`(a => a ? a.getAttribute("href") : "")(document.querySelector('main a[href^="/accounts/"]'))`))
	if !accountPath.MatchString(href) {
		t.Fatalf("the role page links to account %q", href)
	}
	return href
}

// closeReview closes the review from its page, keeping the undecided items.
func (b *browser) closeReview(t *testing.T, srv *steward, reviewPath string, reviewID int64, removed reviewAnswer) {
	t.Helper()
	b.open(t, reviewPath)
	// Without the tick, nothing happens and the error is beside the box.
	resp := b.load(t, "close without the tick", chromedp.Click(chromedp.Search(`//button[normalize-space()="Close and carry out"]`)))
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("closing without the tick: status %d, want 422", resp.Status)
	}
	if n := b.count(t, `[data-testid=close-review] [data-testid=field-error][data-field=confirm]`); n != 1 {
		t.Errorf("%d errors beside the confirmation box", n)
	}
	if !get(t, b, "is the error in view", chromedp.Evaluate[bool](`(r => r.top >= 0 && r.bottom <= innerHeight)(document.querySelector('[data-testid=close-review] [data-testid=field-error]').getBoundingClientRect())`)) {
		t.Error("the close form's error is not in view")
	}
	conn := readDB(t, srv)
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM reviews WHERE id = ? AND status = 'open'", reviewID); n != 1 {
		t.Fatal("a refused close closed the review")
	}
	b.do(t, "keep the undecided and tick", chromedp.Click(chromedp.CSS(`[data-testid=close-review] input[name=undecided][value=keep]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=close-review] input[name=confirm]`)))
	resp = b.load(t, "click Close and carry out", chromedp.Click(chromedp.Search(`//button[normalize-space()="Close and carry out"]`)))
	if resp.Status != http.StatusOK || b.path(t) != reviewPath {
		t.Fatalf("after closing: status %d on %s", resp.Status, b.path(t))
	}
	main := get(t, b, "read the page", chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(main, "Review closed and its answers carried out. The next review has started.") {
		t.Error("no confirmation of the close naming the next review")
	}
	if n := b.count(t, `[data-testid=close-review]`); n != 0 {
		t.Error("a closed review still offers to close")
	}
	// Every item says what the close did; the undecided ones were kept.
	if n, out := b.count(t, `[data-testid=review-item]`), b.count(t, `[data-testid=review-item] [data-testid=outcome]`); n != out {
		t.Errorf("%d of %d items show an outcome", out, n)
	}
	if outs := get(t, b, "read the undecided outcomes", chromedp.Evaluate[[]string](
		`[...new Set([...document.querySelectorAll('[data-testid=review-item][data-decision=pending] [data-testid=outcome]')].map(e => e.textContent.trim()))]`)); len(outs) != 1 || outs[0] != "Kept; marked reviewed" {
		t.Errorf("the undecided items' outcomes: %q", outs)
	}
	if out := get(t, b, "read the outcome", chromedp.Text(chromedp.CSS("#"+removed.itemID+" [data-testid=outcome]"))); out != "Removed" {
		t.Errorf("the removed item's outcome reads %q", out)
	}
	// The database: the review closed, the role removed, every other item kept.
	var status, undecided string
	if err := conn.QueryRow("SELECT status, undecided FROM reviews WHERE id = ?", reviewID).Scan(&status, &undecided); err != nil {
		t.Fatal(err)
	}
	if status != "closed" || undecided != "keep" {
		t.Errorf("stored review: %s, undecided %q", status, undecided)
	}
	var kind, roleStatus string
	var recordID int64
	id := strings.TrimPrefix(removed.itemID, "item-")
	if err := conn.QueryRow("SELECT record_kind, record_id FROM review_items WHERE id = ?", id).Scan(&kind, &recordID); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow("SELECT status FROM roles WHERE id = ?", recordID).Scan(&roleStatus); err != nil || kind != "role" || roleStatus != "removed" {
		t.Errorf("the removed item's record: %s %d, status %q (%v)", kind, recordID, roleStatus, err)
	}
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE review_id = ? AND outcome = ''", reviewID); n != 0 {
		t.Errorf("%d items with no outcome after the close", n)
	}
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE review_id = ? AND outcome = 'Removed'", reviewID); n != 1 {
		t.Errorf("%d items removed; one was answered remove and the undecided were kept", n)
	}
}

// removalOnAccountTimeline finds the role's removal on its account's
// timeline, saying it was done for the review.
func (b *browser) removalOnAccountTimeline(t *testing.T, account string, removed reviewAnswer) {
	t.Helper()
	b.open(t, account)
	events := get(t, b, "read the removals", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#timeline [data-testid=timeline-event][data-action="role.removed"]')].map(e => e.textContent.replace(/\s+/g, " ").trim())`))
	found := false
	for _, e := range events {
		if strings.Contains(e, removed.holder) && strings.Contains(e, `access review "`+reviewName+`"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("the account's timeline has no removal of %s's role naming the review; role.removed events: %q", removed.holder, events)
	}
}

// checkReviewPDF prints the closed review's report on A4 and reads it back:
// the title, the answers with their note, what was removed, the sign-off
// lines; no table wider than the paper, no screen controls.
func (b *browser) checkReviewPDF(t *testing.T, pdftotext, path string, removed, kept reviewAnswer) {
	t.Helper()
	b.open(t, path)
	// On paper nothing scrolls: every box fits A4's printed width (210 mm
	// less the 15 mm margins, 680 CSS pixels).
	emulate := func(media string, width int64) {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
			t.Fatalf("emulate %q media: %v", media, err)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 1024)); err != nil {
			t.Fatalf("emulate a %d px viewport: %v", width, err)
		}
	}
	emulate("print", 680)
	wide := get(t, b, "find cut-off boxes", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('main *')].filter(e => e.clientWidth > 1 && !e.matches('input, select, textarea') && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').map(e => e.tagName + '.' + e.className)`))
	emulate("", 1280)
	if len(wide) > 0 {
		t.Errorf("on A4 these boxes are wider than the paper and would be cut off: %q", wide)
	}

	file, size := b.printPDF(t, "review-a4.pdf", 8.27, 11.69)
	// The layout keeps a line's columns together; the reading order keeps
	// a cell's wrapped lines together.
	var flat string
	for _, mode := range []string{"-layout", "-raw"} {
		out, err := exec.Command(pdftotext, mode, file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", mode, err)
		}
		flat += strings.Join(strings.Fields(string(out)), " ") + "\n"
	}
	for _, want := range []string{"Access review — " + reviewName, "Meta accounts", "Closed", "undecided items: keep",
		"Answers", "Removed at the close", removed.holder, "Note: " + removed.note, kept.holder, "Keep", "Remove",
		"Outcome", "Removed", "Kept; marked reviewed", "by " + removed.reviewer,
		"Sign-off", "Reviewed by", "Approved by", "Date", "Generated ", "by " + adminEmail, "Page 1 of"} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Sign out", "Print or save as PDF", "Export CSV", "Back to the review", "Search…"} {
		if strings.Contains(flat, unwanted) {
			t.Errorf("the PDF contains %q, which belongs on screen only", unwanted)
		}
	}
	t.Logf("A4 PDF: %d bytes", size)
}

// nextReview finds the next quarter's review on /reviews: open, due three
// months after this one, following it.
func (b *browser) nextReview(t *testing.T, srv *steward, reviewID int64, due string) {
	t.Helper()
	d, _ := time.Parse("2006-01-02", due)
	next := time.Date(d.Year(), d.Month()+3, 1, 0, 0, 0, 0, time.UTC)
	next = next.AddDate(0, 0, min(d.Day(), next.AddDate(0, 1, -1).Day())-1) // kept inside its month
	nextDue := next.Format("2006-01-02")
	b.open(t, "/reviews")
	rows := get(t, b, "read the reviews", chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-testid=review-row]')].map(e => e.textContent.replace(/\s+/g, " ").trim())`))
	open := 0
	for _, r := range rows {
		if strings.Contains(r, reviewName) && strings.Contains(r, nextDue) && strings.Contains(r, "open") {
			open++
		}
	}
	if len(rows) != 2 || open != 1 {
		t.Errorf("the reviews list %q; want this one closed and the next, due %s, open", rows, nextDue)
	}
	conn := readDB(t, srv)
	var nextID int64
	var nextName, gotDue, status, repeat string
	if err := conn.QueryRow("SELECT id, name, due_on, status, repeat FROM reviews WHERE previous_id = ?", reviewID).Scan(&nextID, &nextName, &gotDue, &status, &repeat); err != nil {
		t.Fatalf("no review follows review %d: %v", reviewID, err)
	}
	if gotDue != nextDue || status != "open" || repeat != "quarterly" || nextName != reviewName {
		t.Errorf("the next review: %q due %s, %s, repeats %s; want due %s, open, quarterly", nextName, gotDue, status, repeat, nextDue)
	}
	if n := queryInt(t, conn, "SELECT COUNT(*) FROM review_items WHERE review_id = ?", nextID); n == 0 {
		t.Error("the next review has no items")
	}
	b.open(t, fmt.Sprintf("/reviews/%d", nextID))
	if n := b.count(t, `[data-testid=review-item][data-decision=pending]`); n == 0 {
		t.Error("the next review's page shows no pending items")
	}
}

// fitsPhone opens path in a 390 px window and checks that every element
// matching selector, and everything in it (its answer buttons), is inside
// the window: no row that scrolls its controls out of sight.
func (b *browser) fitsPhone(t *testing.T, path, selector string) {
	t.Helper()
	b.do(t, "narrow the window to a phone's", chromedp.EmulateViewport(390, 844))
	defer b.do(t, "widen the window again", chromedp.EmulateViewport(1280, 1024))
	b.open(t, path)
	if n := b.count(t, selector); n == 0 {
		t.Fatalf("no %s on %s", selector, path)
	}
	out := get(t, b, "find what is out of sight", chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const out = [];
		for (const e of document.querySelectorAll(%q)) {
			for (const x of [e, ...e.querySelectorAll("*")]) {
				const r = x.getBoundingClientRect();
				if (r.width > 1 && (r.left < -1 || r.right > innerWidth + 1)) {
					out.push((e.id || e.dataset.testid) + ": " + x.tagName.toLowerCase() + " " + x.textContent.trim().slice(0, 30) + " at " + Math.round(r.left) + "–" + Math.round(r.right) + " px");
					break;
				}
			}
		}
		return out;
	})()`, selector)))
	if len(out) > 0 {
		t.Errorf("at 390 px, %d of %d %s on %s reach outside the window, first %q", len(out), b.count(t, selector), selector, path, out[0])
	}
	b.screenshot(t, "review-phone-"+strings.Trim(strings.ReplaceAll(path, "/", "-"), "-")+".png")
}

// refusedStartOnPhone submits the start form at 390 px with nothing to
// review: the page comes back (422, nothing written) with the error in
// sight and the focus in the refused field.
func (b *browser) refusedStartOnPhone(t *testing.T, srv *steward) {
	t.Helper()
	b.do(t, "narrow the window to a phone's", chromedp.EmulateViewport(390, 844))
	defer b.do(t, "widen the window again", chromedp.EmulateViewport(1280, 1024))
	b.open(t, "/reviews/new")
	b.do(t, "name it and untick everything", chromedp.SendKeys(chromedp.CSS("#name"), reviewName),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=include]').forEach(c => c.checked = false)`))
	resp := b.load(t, "click Start the review", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start the review"]`)))
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a review of nothing: status %d, want 422", resp.Status)
	}
	if n := b.count(t, `[data-testid=field-error][data-field=include]`); n != 1 {
		t.Fatalf("%d errors beside what is reviewed", n)
	}
	if !get(t, b, "is the error in view", chromedp.Evaluate[bool](`(r => r.top >= 0 && r.bottom <= innerHeight)(document.querySelector('[data-testid=field-error][data-field=include]').getBoundingClientRect())`)) {
		t.Error("the error beside what is reviewed is out of sight")
	}
	if name := get(t, b, "read the focus", chromedp.Evaluate[string](`document.activeElement.name || ""`)); name != "include" {
		t.Errorf("the focus is on %q, not on what is reviewed", name)
	}
	if v := get(t, b, "read the name", chromedp.Value(chromedp.CSS("#name"))); v != reviewName {
		t.Errorf("the refused form lost the name: %q", v)
	}
	if n := queryInt(t, readDB(t, srv), "SELECT COUNT(*) FROM reviews"); n != 0 {
		t.Errorf("a refused start wrote %d reviews", n)
	}
	b.screenshot(t, "review-refused-start-390.png")
}
