package handlers_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// reviewsWorld adds to the offboarding world (Ada's role on the unowned
// "Acme BM", a token Ada answers for) a second Meta account, "BM", whose
// accountable owner Jake holds a role there himself; his manager is Mina.
type reviewsWorld struct {
	*clWorld
	mina, jake, bm, bobRole, jakeRole int64
}

func newReviewsWorld(t *testing.T) *reviewsWorld {
	t.Helper()
	w := &reviewsWorld{clWorld: newClWorld(t)}
	ctx, s, test := context.Background(), w.app.store, db.SystemActor("test")
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	w.mina = must(s.CreateOwner(ctx, test, db.OwnerInput{Name: "Mina Lee"}))
	w.jake = must(s.CreateOwner(ctx, test, db.OwnerInput{Name: "Jake Morrison", ManagerID: id(w.mina)}))
	w.bm = must(s.CreateAccount(ctx, test, db.AccountInput{Name: "BM", Platform: "Meta", OwnerID: id(w.jake)}))
	w.bobRole = w.app.createRole(w.bm, w.bob, "Advertiser")
	w.jakeRole = w.app.createRole(w.bm, w.jake, "Admin")
	return w
}

// reviewForm is the start form as the page posts it.
func reviewForm(name, scope, platform, due string, include ...string) url.Values {
	return url.Values{"name": {name}, "scope": {scope}, "platform": {platform}, "due_on": {due}, "repeat": {"quarterly"}, "include": include}
}

func TestStartingAReviewThroughThePages(t *testing.T) {
	w := newReviewsWorld(t)
	app := w.app
	due := time.Now().AddDate(0, 1, 0).Format("2006-01-02")

	if r := w.viewer().post("/reviews", reviewForm("Q1", "all", "", due, "roles")); r.status != http.StatusForbidden {
		t.Errorf("a viewer starting a review: %d, want 403", r.status)
	}
	editor := w.editor()
	before := app.snapshot() + app.text("SELECT COUNT(*) FROM reviews")
	r := editor.post("/reviews", reviewForm("Q1", "platform", "", "2020-01-01"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad input: %d, want 422", r.status)
	}
	if got := strings.Join(fieldErrors(r.body), ","); got != "platform,include,due_on" {
		t.Errorf("field errors %q, want platform, include and due_on", got)
	}
	if !strings.Contains(r.body, `value="Q1"`) {
		t.Error("the refused form lost the name typed")
	}
	if after := app.snapshot() + app.text("SELECT COUNT(*) FROM reviews"); after != before {
		t.Error("a refused start wrote something")
	}

	r = w.editor().post("/reviews", reviewForm("Meta Q1", "platform", "Meta", due, "roles", "tokens"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("start: %d, want 303", r.status)
	}
	rid := idFromLocation(t, r, "/reviews/")
	if n := app.count("SELECT COUNT(*) FROM review_items WHERE review_id = ?", rid); n != 4 {
		t.Errorf("items = %d, want Ada's, Bob's and Jake's roles and the token on Acme BM", n)
	}
	for _, c := range []struct {
		record   int64
		kind     string
		reviewer int64
	}{{w.bobRole, "role", w.jake}, {w.jakeRole, "role", w.mina}, {w.role, "role", 0}, {w.token, "token", w.ada}} {
		if got := app.count("SELECT COALESCE(reviewer_owner_id, 0) FROM review_items WHERE review_id = ? AND record_kind = ? AND record_id = ?", rid, c.kind, c.record); got != c.reviewer {
			t.Errorf("%s %d reviewed by %d, want %d", c.kind, c.record, got, c.reviewer)
		}
	}

	page := w.viewer().get("/reviews/" + id(rid))
	if page.status != http.StatusOK {
		t.Fatalf("review page: %d", page.status)
	}
	items := tagsWith(page.body, "review-item")
	if len(items) != 4 || items[0]["data-decision"] != "pending" {
		t.Errorf("review page rows = %v, want 4 pending", items)
	}
	if !strings.Contains(html.UnescapeString(page.body), "Routed to Mina Lee, Jake Morrison's manager: nobody reviews their own access.") {
		t.Error("the page does not say why Jake's role went to Mina")
	}
	if strings.Contains(page.body, "/items/") {
		t.Error("a viewer sees the forms to answer")
	}
	if editor := w.editor().get("/reviews/" + id(rid)); !strings.Contains(editor.body, `action="/reviews/`+id(rid)+`/items/`) {
		t.Error("an editor has no form to answer an item")
	}
	if list := w.viewer().get("/reviews"); len(tagsWith(list.body, "review-row")) != 1 {
		t.Error("the list does not show the review")
	}
}

// decideItem stores an answer as the answering pages would (that is
// another part's code); closing reads only the stored answer.
func decideItem(t *testing.T, w *reviewsWorld, rid int64, kind string, record int64, decision, note string) {
	t.Helper()
	if err := w.app.store.Exec(context.Background(), "UPDATE review_items SET decision = ?, note = ?, decided_by = 'jake@example.com', decided_at = '2026-01-05T10:00:00Z' WHERE review_id = ? AND record_kind = ? AND record_id = ?",
		decision, note, rid, kind, record); err != nil {
		t.Fatal(err)
	}
}

func TestClosingAReviewCarriesOutItsAnswers(t *testing.T) {
	w := newReviewsWorld(t)
	app := w.app
	due := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	rid := idFromLocation(t, w.editor().post("/reviews", reviewForm("Meta Q1", "platform", "Meta", due, "roles", "tokens")), "/reviews/")
	decideItem(t, w, rid, "role", w.bobRole, "remove", "=HYPERLINK(\"http://evil\")")
	decideItem(t, w, rid, "token", w.token, "remove", "left in May")
	decideItem(t, w, rid, "role", w.jakeRole, "keep", "still runs the ads")
	decideItem(t, w, rid, "role", w.role, "remove", "")
	if err := app.store.RemoveRole(context.Background(), db.SystemActor("someone"), w.role); err != nil {
		t.Fatal(err)
	}

	before := app.snapshot()
	r := w.editor().post("/reviews/"+id(rid)+"/close", url.Values{"undecided": {"keep"}})
	if r.status != http.StatusUnprocessableEntity || strings.Join(fieldErrors(r.body), ",") != "confirm" {
		t.Errorf("close without the tick: %d %v, want 422 on confirm", r.status, fieldErrors(r.body))
	}
	// The close form is at the page's end: the box to tick takes the focus,
	// which brings it and its error into view.
	if !regexp.MustCompile(`<input id="confirm" name="confirm" type="checkbox"[^>]* autofocus`).MatchString(r.body) {
		t.Error("the refused close does not focus the box to tick")
	}
	if app.snapshot() != before {
		t.Error("a refused close wrote something")
	}
	if r := w.viewer().post("/reviews/"+id(rid)+"/close", url.Values{"undecided": {"keep"}, "confirm": {"1"}}); r.status != http.StatusForbidden {
		t.Errorf("a viewer closing: %d, want 403", r.status)
	}

	r = w.editor().post("/reviews/"+id(rid)+"/close", url.Values{"undecided": {"keep"}, "confirm": {"1"}})
	if r.status != http.StatusSeeOther || r.location() != "/reviews/"+id(rid) {
		t.Fatalf("close: %d %s, want 303 to the review", r.status, r.location())
	}
	if st := app.text("SELECT status FROM roles WHERE id = ?", w.bobRole); st != "removed" {
		t.Errorf("Bob's role is %s, want removed", st)
	}
	if st := app.text("SELECT status FROM tokens WHERE id = ?", w.token); st != "revoked" {
		t.Errorf("the token is %s, want revoked", st)
	}
	if d := app.text("SELECT last_reviewed_on FROM roles WHERE id = ?", w.jakeRole); d != app.store.Today() {
		t.Errorf("Jake's kept role last reviewed %q, want today", d)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'role.removed' AND record_id = ?", w.role); n != 1 {
		t.Errorf("Ada's role removed %d times, want once, by someone else", n)
	}
	if got := app.text("SELECT outcome FROM review_items WHERE review_id = ? AND record_kind = 'role' AND record_id = ?", rid, w.role); got != db.ReviewOutcomeGone {
		t.Errorf("Ada's role outcome %q", got)
	}
	// The closed review's reviewers no longer have working links, and the
	// page says so rather than offering "No link yet".
	if page := w.editor().get("/reviews/" + id(rid)); !strings.Contains(html.UnescapeString(page.body), "The review is closed: its reviewers' links no longer work.") ||
		strings.Contains(page.body, "No link yet") || strings.Contains(page.body, "it works until the review closes") {
		t.Error("the closed review's reviewers' section reads as if links could still be issued")
	}
	timeline := w.viewer().get("/roles/" + id(w.bobRole) + "/timeline")
	if acts := timelineActions(timeline.body); len(acts) == 0 || acts[0] != "review.closed" || !strings.Contains(strings.Join(acts, ","), "role.removed") {
		t.Errorf("Bob's role's timeline = %v, want the removal and the close", acts)
	}
	if !strings.Contains(html.UnescapeString(timeline.body), `access review "Meta Q1"`) {
		t.Error("the removal on the role's timeline does not name the review")
	}
	next := app.count("SELECT id FROM reviews WHERE previous_id = ?", rid)
	if next == 0 || app.text("SELECT status FROM reviews WHERE id = ?", next) != "open" {
		t.Fatal("no next quarter's review")
	}
	if n := app.count("SELECT COUNT(*) FROM review_items WHERE review_id = ?", next); n != 1 {
		t.Errorf("the next review has %d items, want Jake's role, the one still active", n)
	}

	report := w.viewer().get("/reviews/" + id(rid) + "/report")
	body := html.UnescapeString(report.body)
	for _, want := range []string{"Access review — Meta Q1", "Removed at the close", "Sign-off", "still runs the ads", db.ReviewOutcomeGone, "Bob Stayer"} {
		if !strings.Contains(body, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if rows := tagsWith(report.body, "report-row"); len(rows) != 4+2 {
		t.Errorf("report rows = %d, want the 4 answers and the 2 removals", len(rows))
	}
	csv := w.viewer().get("/reviews/" + id(rid) + "/export.csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", csv.status, csv.header.Get("Content-Type"))
	}
	if !strings.Contains(csv.body, "item_id,account,record_kind") || !strings.Contains(csv.body, `"'=HYPERLINK(""http://evil"")"`) ||
		!strings.Contains(csv.body, "left in May") || strings.Count(csv.body, "\r\n") != 5 {
		t.Errorf("export:\n%s", csv.body)
	}

	before = app.snapshot() + app.text("SELECT COUNT(*) FROM reviews")
	r = w.editor().post("/reviews/"+id(rid)+"/close", url.Values{"undecided": {"remove"}, "confirm": {"1"}})
	if r.status != http.StatusUnprocessableEntity || strings.Join(fieldErrors(r.body), ",") != "undecided" {
		t.Errorf("closing twice: %d %v, want 422", r.status, fieldErrors(r.body))
	}
	if app.snapshot()+app.text("SELECT COUNT(*) FROM reviews") != before {
		t.Error("closing twice wrote something")
	}
}

// TestALargeReviewsReportPrintsInParts: a review of many items prints its
// report ReviewReportPart items at a time, each part linking to the next,
// so the page stays small however large the inventory.
func TestALargeReviewsReportPrintsInParts(t *testing.T) {
	w := newReviewsWorld(t)
	app := w.app
	due := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	r := w.editor().post("/reviews", reviewForm("Big", "all", "", due, "roles"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("start: %d", r.status)
	}
	rid := app.count("SELECT MAX(id) FROM reviews")
	// Items for records that need not exist: the report reads the items.
	if err := app.store.Exec(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
		INSERT INTO review_items (review_id, record_kind, record_id, holder) SELECT ?, 'role', 100000 + i, 'Holder ' || i FROM n`, rid); err != nil {
		t.Fatal(err)
	}
	total := app.count("SELECT COUNT(*) FROM review_items WHERE review_id = ?", rid)
	first := w.viewer().get("/reviews/" + id(rid) + "/report")
	if first.status != http.StatusOK || strings.Count(first.body, "<tr") < 500 ||
		!strings.Contains(first.body, "This part holds 500 items of "+id(total)) {
		t.Fatalf("first part: status %d, %d rows; want 500 items of %d", first.status, strings.Count(first.body, "<tr"), total)
	}
	next := regexp.MustCompile(`href="(/reviews/\d+/report\?after=\d+)">Next part`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatal("the first part has no link to the next")
	}
	second := w.viewer().get(html.UnescapeString(next[1]))
	if second.status != http.StatusOK || !strings.Contains(second.body, "Holder 600") || strings.Contains(second.body, "Next part") {
		t.Fatalf("second part: status %d; want the last items and no further part", second.status)
	}
}
