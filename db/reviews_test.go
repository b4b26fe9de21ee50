package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// reviewWorld is a small inventory to review: Meta's "BM" is Jake's, who
// holds a role there himself (his manager Mina answers for it); Ada holds
// a role on her own "Ada Ads" and has no manager (the admins answer); a
// Google account has no owner, so its token goes to the token's
// responsible owner, Bob.
type reviewWorld struct {
	s                                  *db.Store
	mina, jake, ada, bob               int64
	bm, adaAds, google                 int64
	bobRole, jakeRole, adaRole         int64
	googleToken, bmToken, bmSystemUser int64
	today                              time.Time
}

func newReviewWorld(t *testing.T) reviewWorld {
	t.Helper()
	w := reviewWorld{s: openStore(t), today: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	w.s.SetClock(func() time.Time { return w.today })
	w.mina = mustOwner(t, w.s, db.OwnerInput{Name: "Mina Lee"})
	w.jake = mustOwner(t, w.s, db.OwnerInput{Name: "Jake Morrison", ManagerID: id(w.mina)})
	w.ada = mustOwner(t, w.s, db.OwnerInput{Name: "Ada Byron"})
	w.bob = mustOwner(t, w.s, db.OwnerInput{Name: "Bob Stone"})
	w.bm = mustAccount(t, w.s, db.AccountInput{Name: "BM", Platform: "Meta", OwnerID: id(w.jake)})
	w.adaAds = mustAccount(t, w.s, db.AccountInput{Name: "Ada Ads", Platform: "Meta", OwnerID: id(w.ada)})
	w.google = mustAccount(t, w.s, db.AccountInput{Name: "Google Ads", Platform: "Google"})
	w.bobRole = mustRole(t, w.s, db.RoleInput{AccountID: id(w.bm), OwnerID: id(w.bob), Role: "Advertiser", GrantedOn: "2025-01-05"})
	w.jakeRole = mustRole(t, w.s, db.RoleInput{AccountID: id(w.bm), OwnerID: id(w.jake), Role: "Admin", Admin: "1"})
	w.adaRole = mustRole(t, w.s, db.RoleInput{AccountID: id(w.adaAds), OwnerID: id(w.ada), Role: "Admin", Admin: "1"})
	w.googleToken = clToken(t, w.s, db.TokenInput{Name: "Reporting key", Kind: "api_key", AccountID: id(w.google), ResponsibleOwnerID: id(w.bob)})
	w.bmSystemUser = mustSystemUser(t, w.s, db.SystemUserInput{Name: "conversions-bot", AccountID: id(w.bm)})
	w.bmToken = clToken(t, w.s, db.TokenInput{Name: "CAPI token", Kind: "system_user_token", SystemUserID: id(w.bmSystemUser)})
	return w
}

func allIncluded() []string { return []string{"roles", "tokens", "system_users"} }

// reviewerOf is the reviewer (0: the admins) and routing note of a record's item.
func reviewerOf(t *testing.T, s *db.Store, review int64, kind string, record int64) (int64, string) {
	t.Helper()
	reviewer := count(t, s, "SELECT COALESCE(reviewer_owner_id, 0) FROM review_items WHERE review_id = ? AND record_kind = ? AND record_id = ?", review, kind, record)
	return reviewer, str(t, s, "SELECT routed_because FROM review_items WHERE review_id = ? AND record_kind = ? AND record_id = ?", review, kind, record)
}

func TestStartReviewSnapshotsAndRoutes(t *testing.T) {
	ctx := context.Background()
	w := newReviewWorld(t)
	s := w.s
	before := events(t, s)
	rid, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Q1 access review", Scope: "all", Include: allIncluded(), DueOn: "2026-03-31", Repeat: "quarterly"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM review_items WHERE review_id = ?", rid); n != 6 {
		t.Errorf("items = %d, want 6 (3 roles, 2 tokens, 1 system user)", n)
	}
	for _, c := range []struct {
		what     string
		kind     string
		record   int64
		reviewer int64
		because  string
	}{
		{"someone's role goes to the account's owner", "role", w.bobRole, w.jake, ""},
		{"the owner's own role goes to his manager", "role", w.jakeRole, w.mina,
			"Routed to Mina Lee, Jake Morrison's manager: nobody reviews their own access."},
		{"an own role without a manager goes to the admins", "role", w.adaRole, 0,
			"Routed to the admins: nobody reviews their own access, and Ada Byron has no manager recorded."},
		{"a token on an unowned account goes to its responsible owner", "token", w.googleToken, w.bob, ""},
		{"a system user's token goes to the account's owner", "token", w.bmToken, w.jake, ""},
		{"a system user goes to the account's owner", "system_user", w.bmSystemUser, w.jake, ""},
	} {
		reviewer, because := reviewerOf(t, s, rid, c.kind, c.record)
		if reviewer != c.reviewer || because != c.because {
			t.Errorf("%s: reviewer %d (%q), want %d (%q)", c.what, reviewer, because, c.reviewer, c.because)
		}
	}
	if h := str(t, s, "SELECT holder || '|' || detail || '|' || since FROM review_items WHERE review_id = ? AND record_kind = 'role' AND record_id = ?", rid, w.bobRole); h != "Bob Stone|Advertiser|2025-01-05" {
		t.Errorf("snapshot of Bob's role = %q", h)
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("starting wrote %d audit events, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'review.started' AND record_kind = 'review' AND record_id = ?", rid); n != 1 {
		t.Errorf("review.started events on the review = %d, want 1", n)
	}

	meta, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Meta roles", Scope: "platform", Platform: "Meta", Include: []string{"roles"}, DueOn: "2026-03-02", Repeat: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM review_items WHERE review_id = ?", meta); n != 3 {
		t.Errorf("Meta roles review has %d items, want the 3 roles on Meta accounts", n)
	}
	chosen, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Google", Scope: "accounts", AccountIDs: []string{id(w.google)}, Include: allIncluded(), DueOn: "2026-04-01", Repeat: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM review_items WHERE review_id = ? AND record_kind = 'token' AND record_id = ?", chosen, w.googleToken); n != 1 {
		t.Errorf("the chosen account's review lacks its token")
	}
}

func TestStartReviewRefusesBadInputAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	w := newReviewWorld(t)
	s := w.s
	good := db.ReviewInput{Name: "Q1", Scope: "all", Include: allIncluded(), DueOn: "2026-03-31", Repeat: "none"}
	before := events(t, s)
	for _, c := range []struct {
		field string
		edit  func(*db.ReviewInput)
	}{
		{"name", func(in *db.ReviewInput) { in.Name = " " }},
		{"scope", func(in *db.ReviewInput) { in.Scope = "" }},
		{"platform", func(in *db.ReviewInput) { in.Scope = "platform" }},
		{"account_id", func(in *db.ReviewInput) { in.Scope = "accounts" }},
		{"account_id", func(in *db.ReviewInput) { in.Scope, in.AccountIDs = "accounts", []string{"999"} }},
		{"include", func(in *db.ReviewInput) { in.Include = nil }},
		{"include", func(in *db.ReviewInput) { in.Include = []string{"roles", "owners"} }},
		{"due_on", func(in *db.ReviewInput) { in.DueOn = "2026-03-01" }},
		{"due_on", func(in *db.ReviewInput) { in.DueOn = "soon" }},
		{"repeat", func(in *db.ReviewInput) { in.Repeat = "weekly" }},
		{"scope", func(in *db.ReviewInput) { in.Scope, in.Platform = "platform", "TikTok" }},
	} {
		in := good
		c.edit(&in)
		_, err := s.StartReview(ctx, actor, in)
		validationError(t, err, c.field)
	}
	if n := count(t, s, "SELECT (SELECT COUNT(*) FROM reviews) + (SELECT COUNT(*) FROM review_items)"); n != 0 {
		t.Errorf("refused starts left %d rows", n)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused starts wrote %d audit events", n)
	}
}

// decide answers an item of a review directly: the answering code is
// another part's; closing only reads the stored answers.
func decide(t *testing.T, s *db.Store, review int64, kind string, record int64, decision string) {
	t.Helper()
	if err := s.Exec(context.Background(), "UPDATE review_items SET decision = ?, note = 'checked', decided_by = 'jake@example.com', decided_at = '2026-03-03T10:00:00Z' WHERE review_id = ? AND record_kind = ? AND record_id = ?",
		decision, review, kind, record); err != nil {
		t.Fatal(err)
	}
}

func TestCloseReviewCarriesOutTheAnswers(t *testing.T) {
	ctx := context.Background()
	w := newReviewWorld(t)
	s := w.s
	rid, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Q1 access review", Scope: "all", Include: allIncluded(), DueOn: "2026-03-31", Repeat: "quarterly"})
	if err != nil {
		t.Fatal(err)
	}
	decide(t, s, rid, "role", w.bobRole, "remove")
	decide(t, s, rid, "token", w.googleToken, "remove")
	decide(t, s, rid, "role", w.jakeRole, "keep")
	decide(t, s, rid, "token", w.bmToken, "keep")
	decide(t, s, rid, "role", w.adaRole, "remove")
	// Someone removes Ada's role before the close.
	if err := s.RemoveRole(ctx, actor, w.adaRole); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return w.today.AddDate(0, 0, 5) }) // closed on 2026-03-07
	next, err := s.CloseReview(ctx, actor, rid, "keep")
	if err != nil {
		t.Fatal(err)
	}

	if st := str(t, s, "SELECT status FROM roles WHERE id = ?", w.bobRole); st != "removed" {
		t.Errorf("Bob's role is %s, want removed", st)
	}
	if st := str(t, s, "SELECT status FROM tokens WHERE id = ?", w.googleToken); st != "revoked" {
		t.Errorf("the Google token is %s, want revoked", st)
	}
	for _, c := range []struct {
		table  string
		record int64
	}{{"roles", w.jakeRole}, {"tokens", w.bmToken}} {
		if d := str(t, s, "SELECT last_reviewed_on FROM "+c.table+" WHERE id = ?", c.record); d != "2026-03-07" {
			t.Errorf("kept %s %d last reviewed %q, want the close's day", c.table, c.record, d)
		}
	}
	// One event marks every kept record, on each one's timeline.
	if n := count(t, s, `SELECT COUNT(*) FROM audit_events e JOIN audit_links l ON l.event_id = e.id
		WHERE e.action = 'review.kept' AND l.record_kind = 'role' AND l.record_id = ?`, w.jakeRole); n != 1 {
		t.Errorf("review.kept events on Jake's role's timeline = %d, want 1", n)
	}
	if st := str(t, s, "SELECT status FROM system_users WHERE id = ?", w.bmSystemUser); st != "active" {
		t.Errorf("the undecided system user is %s; undecided items were to be kept", st)
	}
	removedEvent := str(t, s, "SELECT summary FROM audit_events WHERE action = 'role.removed' AND record_kind = 'role' AND record_id = ?", w.bobRole)
	if !strings.Contains(removedEvent, `access review "Q1 access review"`) {
		t.Errorf("the removal's event %q does not name the review", removedEvent)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'token.revoked' AND record_id = ?", w.googleToken); n != 1 {
		t.Errorf("token.revoked events = %d, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'role.removed' AND record_id = ?", w.adaRole); n != 1 {
		t.Errorf("Ada's role was removed %d times, want once (by someone else)", n)
	}
	for record, want := range map[int64]string{w.bobRole: db.ReviewOutcomeRemoved, w.adaRole: db.ReviewOutcomeGone, w.jakeRole: db.ReviewOutcomeKept} {
		if got := str(t, s, "SELECT outcome FROM review_items WHERE review_id = ? AND record_kind = 'role' AND record_id = ?", rid, record); got != want {
			t.Errorf("role %d outcome %q, want %q", record, got, want)
		}
	}
	if got := str(t, s, "SELECT status || ' ' || undecided || ' ' || closed_by FROM reviews WHERE id = ?", rid); got != "closed keep tester@example.com" {
		t.Errorf("review after closing: %q", got)
	}
	// The close is on the review's timeline and on each item's record.
	if n := count(t, s, `SELECT COUNT(*) FROM audit_events e JOIN audit_links l ON l.event_id = e.id
		WHERE e.action = 'review.closed' AND l.record_kind = 'system_user' AND l.record_id = ?`, w.bmSystemUser); n != 1 {
		t.Errorf("the close is not on the system user's timeline")
	}

	if next == 0 {
		t.Fatal("no next review for a quarterly one")
	}
	if got := str(t, s, "SELECT name || ' ' || due_on || ' ' || repeat || ' ' || status || ' ' || previous_id FROM reviews WHERE id = ?", next); got != "Q1 access review 2026-06-30 quarterly open "+id(rid) {
		t.Errorf("next review: %q", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM review_items WHERE review_id = ?", next); n != 3 {
		t.Errorf("next review has %d items, want the 3 records still active", n)
	}

	before := events(t, s)
	_, err = s.CloseReview(ctx, actor, rid, "remove")
	validationError(t, err, "undecided")
	if n := events(t, s) - before; n != 0 || count(t, s, "SELECT COUNT(*) FROM reviews") != 2 {
		t.Errorf("closing twice wrote %d events", n)
	}
	_, err = s.CloseReview(ctx, actor, next, "maybe")
	validationError(t, err, "undecided")
}

func TestCloseReviewRemovesUndecidedWhenAsked(t *testing.T) {
	ctx := context.Background()
	w := newReviewWorld(t)
	s := w.s
	rid, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Once", Scope: "accounts", AccountIDs: []string{id(w.bm)}, Include: []string{"system_users"}, DueOn: "2026-03-31", Repeat: "none"})
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.CloseReview(ctx, actor, rid, "remove")
	if err != nil || next != 0 {
		t.Fatalf("CloseReview = %d, %v; want no next review", next, err)
	}
	if st := str(t, s, "SELECT status FROM system_users WHERE id = ?", w.bmSystemUser); st != "removed" {
		t.Errorf("the undecided system user is %s, want removed", st)
	}
}

func TestReviewPagesReads(t *testing.T) {
	ctx := context.Background()
	w := newReviewWorld(t)
	s := w.s
	rid, err := s.StartReview(ctx, actor, db.ReviewInput{Name: "Q1", Scope: "all", Include: allIncluded(), DueOn: "2026-03-31", Repeat: "none"})
	if err != nil {
		t.Fatal(err)
	}
	decide(t, s, rid, "role", w.bobRole, "keep")
	byReviewer, err := s.ReviewProgressByReviewer(ctx, rid, 20)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int{}
	for _, p := range byReviewer {
		got[p.Name] = [3]int{p.Pending, p.Keep, p.Remove}
	}
	if got["Jake Morrison"] != [3]int{2, 1, 0} || got["Mina Lee"] != [3]int{1, 0, 0} || got[""] != [3]int{1, 0, 0} {
		t.Errorf("progress by reviewer = %v", got)
	}
	pending, err := s.ReviewItems(ctx, rid, "pending", 0, 50)
	if err != nil || len(pending) != 5 {
		t.Fatalf("undecided items = %d, %v; want 5", len(pending), err)
	}
	if changed, _ := s.ReviewHolderChanged(ctx, rid, 20); len(changed) != 0 {
		t.Errorf("holder changed before any change: %+v", changed)
	}
	if err := s.RevokeToken(ctx, actor, w.googleToken); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRole(ctx, actor, w.bobRole, db.RoleInput{AccountID: id(w.bm), OwnerID: id(w.ada), Role: "Advertiser"}); err != nil {
		t.Fatal(err)
	}
	changed, err := s.ReviewHolderChanged(ctx, rid, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 || changed[0].LiveHolder != "Ada Byron" || changed[1].LiveHolder != "revoked" {
		t.Errorf("holder changed = %+v, want Bob's role now Ada's and the revoked token", changed)
	}
}
