package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
)

// insertReview adds an open review due on due with one item per role,
// each to reviewer (0: the admins), straight into the tables of migration
// 017: starting a review is another part's work, not under test here.
func (a *testApp) insertReview(name, due string, reviewer int64, roles ...int64) (reviewID int64, items []int64) {
	a.t.Helper()
	ctx := context.Background()
	now := "2026-01-01T00:00:00.000Z"
	if err := a.store.Exec(ctx, `INSERT INTO reviews (name, scope, include, due_on, created_at, updated_at)
		VALUES (?, 'all', '["roles"]', ?, ?, ?)`, name, due, now, now); err != nil {
		a.t.Fatal(err)
	}
	reviewID = a.count("SELECT MAX(id) FROM reviews")
	var who any
	if reviewer != 0 {
		who = reviewer
	}
	for _, r := range roles {
		if err := a.store.Exec(ctx, `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, holder_owner_id,
				detail, since, last_seen, reviewer_owner_id)
			SELECT ?, 'role', r.id, r.account_id, COALESCE(o.display_name, ''), r.owner_id, r.role, r.granted_on, r.last_reviewed_on, ?
			FROM roles r LEFT JOIN owners o ON o.id = r.owner_id WHERE r.id = ?`, reviewID, who, r); err != nil {
			a.t.Fatal(err)
		}
		items = append(items, a.count("SELECT MAX(id) FROM review_items"))
	}
	return reviewID, items
}

// reviewWorld is a review of two roles on one account: Ada reviews Bo's
// role and Cy's; a third role, Dee's, goes to Eve.
type reviewWorld struct {
	app                 *testApp
	review              int64
	ada, eve            int64
	boRole, deeRole     int64
	boItem, cyItem      int64
	deeItem             int64
	adaLink, eveLinkURL string
}

func newReviewWorld(t *testing.T) *reviewWorld {
	t.Helper()
	app := newTestApp(t)
	w := &reviewWorld{app: app}
	w.ada, w.eve = app.createOwner("Ada Account-Owner", "ada@example.com"), app.createOwner("Eve Other", "eve@example.com")
	bo, cy, dee := app.createOwner("Bo Holder", ""), app.createOwner("Cy Holder", ""), app.createOwner("Dee Holder", "")
	acc := app.createAccount("Acme Ads", "Meta")
	w.boRole, w.deeRole = app.createRole(acc, bo, "Admin"), app.createRole(acc, dee, "Analyst")
	cyRole := app.createRole(acc, cy, "Advertiser")
	var items []int64
	w.review, items = app.insertReview("Q1 Meta", "2026-03-31", w.ada, w.boRole, cyRole)
	w.boItem, w.cyItem = items[0], items[1]
	if err := app.store.Exec(context.Background(), `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, detail, reviewer_owner_id)
		VALUES (?, 'role', ?, ?, 'Dee Holder', 'Analyst', ?)`, w.review, w.deeRole, acc, w.eve); err != nil {
		t.Fatal(err)
	}
	w.deeItem = app.count("SELECT MAX(id) FROM review_items")
	path, issued, err := app.store.ReviewLinkFor(context.Background(), db.SystemActor("test"), w.review, w.ada)
	if err != nil || !issued {
		t.Fatalf("ReviewLinkFor: %v, issued %v", err, issued)
	}
	w.adaLink = path
	return w
}

// answerEvents counts review.answered events on the review's timeline and
// on the record's.
func (w *reviewWorld) answerEvents(kind string, recordID int64) (onReview, onRecord int64) {
	q := `SELECT COUNT(*) FROM audit_links l JOIN audit_events e ON e.id = l.event_id
		WHERE e.action = 'review.answered' AND l.record_kind = ? AND l.record_id = ?`
	return w.app.count(q, "review", w.review), w.app.count(q, kind, recordID)
}

func TestReviewerAnswersThroughTheirLinkWithoutSigningIn(t *testing.T) {
	w := newReviewWorld(t)
	c := w.app.newClient() // nobody signed in
	page := c.get(w.adaLink)
	if page.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", w.adaLink, page.status)
	}
	for _, want := range []string{"Bo Holder", "Cy Holder", "Acme Ads (Meta)", "Q1 Meta", `data-decision="pending"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the reviewer's page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Dee Holder") {
		t.Error("the reviewer's page shows an item of another reviewer")
	}

	// CSRF works without a login: the page's own token passes …
	r := c.post(w.adaLink+"/items/"+id(w.boItem), url.Values{"decision": {"remove"}, "note": {"left the agency"}})
	if r.status != http.StatusSeeOther || r.location() != w.adaLink+"#item-"+id(w.boItem) {
		t.Fatalf("answer remove: status %d, location %q", r.status, r.location())
	}
	if got := w.app.text("SELECT decision || '|' || note || '|' || decided_by FROM review_items WHERE id = ?", w.boItem); got != "remove|left the agency|Ada Account-Owner" {
		t.Errorf("item after the answer = %q", got)
	}
	if onReview, onRecord := w.answerEvents("role", w.boRole); onReview != 1 || onRecord != 1 {
		t.Errorf("review.answered events on the review %d, on the role %d; want 1 and 1", onReview, onRecord)
	}
	if after := c.get(w.adaLink); !strings.Contains(after.body, "Saved: remove") || !strings.Contains(after.body, `data-decision="remove"`) {
		t.Error("the page after the answer does not confirm it")
	}

	// … and a post without it, or from another site, is refused, writing nothing.
	before := w.app.snapshot()
	if r := c.post(w.adaLink+"/items/"+id(w.cyItem), url.Values{"decision": {"keep"}, "_csrf": {""}}); r.status != http.StatusForbidden {
		t.Errorf("answer without a CSRF token: status %d, want 403", r.status)
	}
	if r := c.post(w.adaLink+"/items/"+id(w.cyItem), url.Values{"decision": {"keep"}}, withHeader("Sec-Fetch-Site", "cross-site")); r.status != http.StatusForbidden {
		t.Errorf("cross-site answer: status %d, want 403", r.status)
	}
	if w.app.text("SELECT decision FROM review_items WHERE id = ?", w.cyItem) != "pending" || w.app.snapshot() != before {
		t.Error("a refused answer changed something")
	}
}

func TestReviewerAnswerTwiceKeepsTheLatestAndBothInTheHistory(t *testing.T) {
	w := newReviewWorld(t)
	c := w.app.newClient()
	for _, d := range []string{"remove", "keep"} {
		if r := c.post(w.adaLink+"/items/"+id(w.boItem), url.Values{"decision": {d}}); r.status != http.StatusSeeOther {
			t.Fatalf("answer %s: status %d", d, r.status)
		}
	}
	if got := w.app.text("SELECT decision FROM review_items WHERE id = ?", w.boItem); got != "keep" {
		t.Errorf("decision = %q, want the latest, keep", got)
	}
	if onReview, onRecord := w.answerEvents("role", w.boRole); onReview != 2 || onRecord != 2 {
		t.Errorf("review.answered events on the review %d, on the role %d; want 2 and 2", onReview, onRecord)
	}
}

func TestReviewerBadDecisionIsRefusedBesideTheItem(t *testing.T) {
	w := newReviewWorld(t)
	c := w.app.newClient()
	before := w.app.snapshot()
	events := w.app.count("SELECT COUNT(*) FROM audit_events")
	r := c.post(w.adaLink+"/items/"+id(w.boItem), url.Values{"decision": {"maybe"}, "note": {"not sure"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("decision maybe: status %d, want 422", r.status)
	}
	if !strings.Contains(r.body, "Choose keep or remove.") || !strings.Contains(r.body, `value="not sure"`) {
		t.Error("the 422 page lacks the error or the note typed")
	}
	// The item's form posts to an address with its anchor, so the refusal
	// opens at the item, where the error is, not at the page's top.
	if action := `action="` + w.adaLink + "/items/" + id(w.boItem) + "#item-" + id(w.boItem) + `"`; !strings.Contains(r.body, action) {
		t.Errorf("the refused item's form lacks %s", action)
	}
	if w.app.text("SELECT decision FROM review_items WHERE id = ?", w.boItem) != "pending" || w.app.snapshot() != before ||
		w.app.count("SELECT COUNT(*) FROM audit_events") != events {
		t.Error("a refused answer wrote something")
	}
}

func TestReviewerCannotAnswerAnotherReviewersItem(t *testing.T) {
	w := newReviewWorld(t)
	c := w.app.newClient()
	for _, item := range []int64{w.deeItem, 999999} {
		if r := c.post(w.adaLink+"/items/"+id(item), url.Values{"decision": {"remove"}}); r.status != http.StatusNotFound {
			t.Errorf("answer item %d through Ada's link: status %d, want 404", item, r.status)
		}
	}
	if got := w.app.text("SELECT decision FROM review_items WHERE id = ?", w.deeItem); got != "pending" {
		t.Errorf("Eve's item = %q after Ada's attempt, want pending", got)
	}
}

func TestReviewerLinkNoLongerValid(t *testing.T) {
	w := newReviewWorld(t)
	ctx, sys := context.Background(), db.SystemActor("test")
	c := w.app.newClient()
	gone := func(what, path string) {
		t.Helper()
		r := c.get(path)
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "This link is no longer valid") {
			t.Errorf("%s: status %d, want 404 with the message", what, r.status)
		}
		if strings.Contains(r.body, "/login") || strings.Contains(r.body, "Q1 Meta") {
			t.Errorf("%s: the page offers a sign-in or names the review", what)
		}
		if r := c.post(path+"/items/"+id(w.boItem), url.Values{"decision": {"keep"}}); r.status != http.StatusNotFound {
			t.Errorf("%s: answer status %d, want 404", what, r.status)
		}
	}
	gone("unknown link", "/r/not-a-real-secret")

	// Revoked: the link stops; a new one works.
	if err := w.app.store.RevokeReviewLink(ctx, sys, w.review, w.ada); err != nil {
		t.Fatal(err)
	}
	gone("revoked link", w.adaLink)
	fresh, issued, err := w.app.store.ReviewLinkFor(ctx, sys, w.review, w.ada)
	if err != nil || !issued || fresh == w.adaLink {
		t.Fatalf("new link after revoking: %q, issued %v, %v", fresh, issued, err)
	}
	if r := c.get(fresh); r.status != http.StatusOK {
		t.Errorf("new link: status %d", r.status)
	}

	// Used up: the review closed.
	if err := w.app.store.Exec(ctx, "UPDATE reviews SET status = 'closed' WHERE id = ?", w.review); err != nil {
		t.Fatal(err)
	}
	gone("link of a closed review", fresh)
	if got := w.app.text("SELECT decision FROM review_items WHERE id = ?", w.boItem); got != "pending" {
		t.Errorf("item = %q after answers through dead links, want pending", got)
	}
}

func TestReviewLinkSecretIsNotInTheDatabaseFile(t *testing.T) {
	w := newReviewWorld(t)
	secret := strings.TrimPrefix(w.adaLink, db.ReviewLinkPrefix)
	if w.app.count("SELECT COUNT(*) FROM review_links WHERE secret_hash = ? OR seed = ?", secret, secret) != 0 {
		t.Error("the link's secret is stored")
	}
	if err := w.app.store.Exec(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	file := w.app.text("SELECT file FROM pragma_database_list WHERE name = 'main'")
	for _, f := range []string{file, file + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the link's secret", f)
		}
	}
}

func TestEditorAnswersFromTheReviewPage(t *testing.T) {
	w := newReviewWorld(t)
	w.app.createUser("ed@example.com", db.RoleEditor)
	w.app.createUser("vi@example.com", db.RoleViewer)
	ed := w.app.signedIn("ed@example.com")
	path := "/reviews/" + id(w.review) + "/items/" + id(w.deeItem)
	r := ed.post(path, url.Values{"decision": {"remove"}, "note": {"no longer on the team"}})
	if r.status != http.StatusSeeOther || r.location() != "/reviews/"+id(w.review)+"#item-"+id(w.deeItem) {
		t.Fatalf("editor's answer: status %d, location %q", r.status, r.location())
	}
	if got := w.app.text("SELECT decision || '|' || decided_by FROM review_items WHERE id = ?", w.deeItem); got != "remove|ed@example.com" {
		t.Errorf("item after the editor's answer = %q", got)
	}
	if onReview, onRecord := w.answerEvents("role", w.deeRole); onReview != 1 || onRecord != 1 {
		t.Errorf("review.answered events on the review %d, on the role %d; want 1 and 1", onReview, onRecord)
	}
	vi := w.app.signedIn("vi@example.com")
	before := w.app.snapshot()
	if r := ed.post(path, url.Values{"decision": {"delete"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Choose keep or remove.") {
		t.Errorf("editor's bad decision: status %d, want 422 with the error", r.status)
	}
	if r := vi.post(path, url.Values{"decision": {"keep"}}); r.status != http.StatusForbidden {
		t.Errorf("viewer's answer: status %d, want 403", r.status)
	}
	if w.app.snapshot() != before || w.app.text("SELECT decision FROM review_items WHERE id = ?", w.deeItem) != "remove" {
		t.Error("a refused answer changed something")
	}
}

func TestEditorIssuesAndRevokesReviewerLinks(t *testing.T) {
	w := newReviewWorld(t)
	w.app.createUser("ed@example.com", db.RoleEditor)
	ed := w.app.signedIn("ed@example.com")
	base := "/reviews/" + id(w.review) + "/links/" + id(w.eve)
	if r := ed.post(base, nil); r.status != http.StatusSeeOther || r.location() != "/reviews/"+id(w.review)+"#reviewers" {
		t.Fatalf("issue: status %d, location %q", r.status, r.location())
	}
	if n := w.app.count("SELECT COUNT(*) FROM review_links WHERE review_id = ? AND reviewer_owner_id = ? AND revoked_at = ''", w.review, w.eve); n != 1 {
		t.Fatalf("Eve's working links = %d, want 1", n)
	}
	ed.post(base, nil) // a second press hands out the same link
	if n := w.app.count("SELECT COUNT(*) FROM review_links WHERE review_id = ? AND reviewer_owner_id = ?", w.review, w.eve); n != 1 {
		t.Errorf("Eve's links after a second issue = %d, want 1", n)
	}
	page := ed.get("/reviews/" + id(w.review))
	if page.status != http.StatusOK || !strings.Contains(page.body, w.app.srv.URL+"/r/") || !strings.Contains(page.body, "Eve Other") {
		t.Fatalf("reviewers page: status %d, or no link shown", page.status)
	}
	if r := ed.post(base+"/revoke", nil); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", r.status)
	}
	if n := w.app.count("SELECT COUNT(*) FROM review_links WHERE review_id = ? AND reviewer_owner_id = ? AND revoked_at = ''", w.review, w.eve); n != 0 {
		t.Errorf("Eve's working links after revoking = %d, want 0", n)
	}
	for _, action := range []string{"review.link_issued", "review.link_revoked"} {
		if n := w.app.count(`SELECT COUNT(*) FROM audit_links l JOIN audit_events e ON e.id = l.event_id
			WHERE e.action = ? AND l.record_kind = 'review' AND l.record_id = ?`, action, w.review); n < 1 {
			t.Errorf("no %s event on the review", action)
		}
	}
}

// TestUnknownReviewerLinksAreThrottledPerAddress: after 20 unknown links
// from one address, the next look must wait (429 with Retry-After), even
// at a working link; once the wait has passed, links answer again.
func TestUnknownReviewerLinksAreThrottledPerAddress(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	app := newTestAppWith(t, handlers.WithTestHooks(handlers.Config{SessionKey: testSessionKey}, clock))
	owner := app.createOwner("Ada", "ada@example.com")
	role := app.createRole(app.createAccount("Acme Ads", "Meta"), app.createOwner("Bo", ""), "Admin")
	review, _ := app.insertReview("Q1", "2099-01-01", owner, role)
	link, _, err := app.store.ReviewLinkFor(context.Background(), db.SystemActor("test"), review, owner)
	if err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	for i := range 20 {
		if r := c.get("/r/guess-" + strconv.Itoa(i)); r.status != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i, r.status)
		}
	}
	r := c.get(link)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 20 unknown links: status %d, Retry-After %q; want 429 with it", r.status, r.header.Get("Retry-After"))
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if r := c.get(link); r.status != http.StatusOK {
		t.Errorf("after the wait: status %d, want 200", r.status)
	}
}

// TestAReviewersPageIsKeptAndCurrent: a reviewer's page is served from the
// page cache to visitors who have not signed in, each with a CSRF token of
// their own that works, and shows an answer given meanwhile by an editor;
// unknown links leave nothing in the cache.
func TestAReviewersPageIsKeptAndCurrent(t *testing.T) {
	w := newReviewWorld(t)
	first, second := w.app.newClient(), w.app.newClient()
	if p := first.get(w.adaLink); p.status != http.StatusOK || !strings.Contains(p.body, `data-decision="pending"`) {
		t.Fatalf("first visit: status %d", p.status)
	}
	kept := second.get(w.adaLink) // from the cache
	if kept.status != http.StatusOK || !strings.Contains(kept.body, "Bo Holder") {
		t.Fatalf("second visit: status %d", kept.status)
	}
	if r := second.post(w.adaLink+"/items/"+id(w.boItem), url.Values{"decision": {"keep"}}); r.status != http.StatusSeeOther {
		t.Fatalf("answering from the kept page: status %d, want 303 (its CSRF token is the visitor's own)", r.status)
	}
	w.app.createUser("ed@example.com", db.RoleEditor)
	editor := w.app.signedIn("ed@example.com")
	if r := editor.post("/reviews/"+id(w.review)+"/items/"+id(w.cyItem), url.Values{"decision": {"remove"}}); r.status != http.StatusSeeOther {
		t.Fatalf("editor's answer: status %d", r.status)
	}
	if p := first.get(w.adaLink); !strings.Contains(p.body, `data-decision="keep"`) || !strings.Contains(p.body, `data-decision="remove"`) {
		t.Error("the reviewer's page does not show the answers given since it was kept")
	}
}
