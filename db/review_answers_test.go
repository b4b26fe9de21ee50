package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"steward/db"
)

// insertReview adds an open review due on due with one item, a role
// reviewed by reviewer, straight into the tables of migration 017 (starting
// a review is not under test here); it returns the review and the item.
func insertReview(t *testing.T, s *db.Store, name, due string, role, reviewer int64) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	if err := s.Exec(ctx, `INSERT INTO reviews (name, scope, include, due_on, created_at, updated_at)
		VALUES (?, 'all', '["roles"]', ?, 'x', 'x')`, name, due); err != nil {
		t.Fatal(err)
	}
	review := count(t, s, "SELECT MAX(id) FROM reviews")
	if err := s.Exec(ctx, `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, detail, reviewer_owner_id)
		SELECT ?, 'role', r.id, r.account_id, 'Holder', r.role, ? FROM roles r WHERE r.id = ?`, review, reviewer, role); err != nil {
		t.Fatal(err)
	}
	return review, count(t, s, "SELECT MAX(id) FROM review_items")
}

func TestAnOpenReviewPastItsDueDateIsAFinding(t *testing.T) {
	s := openStore(t)
	s.SetClock(func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) })
	owner := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	account := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	role := mustRole(t, s, db.RoleInput{AccountID: id(account), OwnerID: id(owner), Role: "Admin"})
	review, _ := insertReview(t, s, "Q1 Meta", "2026-03-01", role, owner)
	if n := findingCount(t, s, "review-campaign-overdue"); n != 0 {
		t.Fatalf("review-campaign-overdue = %d on the due date, want 0", n)
	}
	s.SetClock(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) })
	fs, err := s.Findings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind != "review-campaign-overdue" {
			continue
		}
		if f.Count != 1 || len(f.Items) != 1 || f.Items[0] != (db.FindingItem{Kind: "review", ID: review, Name: "Q1 Meta",
			Detail: "was due 2026-03-01; 1 item(s) undecided"}) {
			t.Errorf("the day after the due date: %+v, want the review", f)
		}
	}
	if err := s.Exec(context.Background(), "UPDATE reviews SET status = 'closed' WHERE id = ?", review); err != nil {
		t.Fatal(err)
	}
	if n := findingCount(t, s, "review-campaign-overdue"); n != 0 {
		t.Errorf("review-campaign-overdue = %d once closed, want 0", n)
	}
}

func TestAnswersNeedAnOpenReviewAndKeepOrRemove(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	owner := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	account := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	role := mustRole(t, s, db.RoleInput{AccountID: id(account), OwnerID: id(owner), Role: "Admin"})
	review, item := insertReview(t, s, "Q1 Meta", "2099-03-01", role, owner)
	before := events(t, s)
	var verr db.ValidationError
	if err := s.AnswerReviewItem(ctx, actor, review, item, "Keep", ""); !errors.As(err, &verr) || verr["decision"] == "" {
		t.Errorf("decision Keep: %v, want a field error on decision", err)
	}
	if err := s.AnswerReviewItem(ctx, actor, review+1, item, "keep", ""); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("item of another review: %v, want ErrNotFound", err)
	}
	if err := s.Exec(ctx, "UPDATE reviews SET status = 'closed' WHERE id = ?", review); err != nil {
		t.Fatal(err)
	}
	if err := s.AnswerReviewItem(ctx, actor, review, item, "keep", ""); !errors.Is(err, db.ErrReviewClosed) {
		t.Errorf("answer to a closed review: %v, want ErrReviewClosed", err)
	}
	if _, _, err := s.ReviewLinkFor(ctx, actor, review, owner); !errors.Is(err, db.ErrReviewClosed) {
		t.Errorf("link for a closed review: %v, want ErrReviewClosed", err)
	}
	if got := str(t, s, "SELECT decision FROM review_items WHERE id = ?", item); got != "pending" || events(t, s) != before {
		t.Errorf("refused answers wrote: decision %q, %d events", got, events(t, s)-before)
	}
}
