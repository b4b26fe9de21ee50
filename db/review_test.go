package db_test

import (
	"context"
	"testing"
	"time"

	"steward/db"
)

func TestReviewRoleClearsTheOverdueFinding(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	start := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return start })
	owner := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	account := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	role := mustRole(t, s, db.RoleInput{AccountID: id(account), OwnerID: id(owner), Role: "Admin", Admin: "1", ReviewBy: "2026-02-01"})

	later := start.AddDate(0, 0, 100)
	s.SetClock(func() time.Time { return later })
	if n := findingCount(t, s, "review-overdue"); n != 1 {
		t.Fatalf("review-overdue = %d before the review, want 1", n)
	}
	if err := s.ReviewRole(ctx, db.SystemActor("test"), role); err != nil {
		t.Fatal(err)
	}
	if n := findingCount(t, s, "review-overdue"); n != 0 {
		t.Fatalf("review-overdue = %d after the review, want 0", n)
	}
	if got := str(t, s, "SELECT last_reviewed_on FROM roles WHERE id = ?", role); got != "2026-04-20" {
		t.Errorf("last_reviewed_on = %q, want 2026-04-20", got)
	}
	if got := str(t, s, "SELECT review_by FROM roles WHERE id = ?", role); got != "2026-07-19" {
		t.Errorf("review_by = %q, want it moved 90 days on to 2026-07-19", got)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM audit_links l JOIN audit_events e ON e.id = l.event_id
		WHERE e.action = 'role.reviewed' AND l.record_kind = 'owner' AND l.record_id = ?`, owner); n != 1 {
		t.Errorf("role.reviewed events on the owner's timeline = %d, want 1", n)
	}
}

func TestDepartedWithoutLeavingDateIsDatedToday(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	s.SetClock(func() time.Time { return time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC) })
	owner := mustOwner(t, s, db.OwnerInput{Name: "Bo"})
	o, err := s.OwnerByID(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	in := o.Input()
	in.Status = db.OwnerDeparted
	if err := s.UpdateOwner(ctx, db.SystemActor("test"), owner, in); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT leaving_on FROM owners WHERE id = ?", owner); got != "2026-03-04" {
		t.Errorf("leaving_on = %q, want today 2026-03-04", got)
	}
}

func findingCount(t *testing.T, s *db.Store, kind string) int {
	t.Helper()
	fs, err := s.Findings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind == kind {
			return f.Count
		}
	}
	t.Fatalf("no finding %q", kind)
	return 0
}
