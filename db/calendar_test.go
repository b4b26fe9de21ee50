package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"steward/db"
)

// TestCalendarSecretIsNotStored: the feed's secret is in neither the
// database file nor its WAL; the table keeps its SHA-256, by which the feed
// is found, and a new address makes the old secret unknown.
func TestCalendarSecretIsNotStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openStoreAt(t, filepath.Join(t.TempDir(), "feed.db"))
	uid, err := s.CreateUser(ctx, actor, db.UserInput{Email: "ana@example.com", Password: "correct horse battery staple", Role: db.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	ana := db.Actor{UserID: uid, Email: "ana@example.com", Role: db.RoleViewer}
	if _, err := s.CalendarSecret(ctx, uid); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("CalendarSecret before any = %v, want ErrNotFound", err)
	}
	if renewed, err := s.RenewCalendarFeed(ctx, ana); err != nil || renewed {
		t.Fatalf("RenewCalendarFeed = %v, %v; want a first address", renewed, err)
	}
	first, err := s.CalendarSecret(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.CalendarSecret(ctx, uid); again != first {
		t.Fatal("the secret changed without a new address")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM calendar_feeds WHERE secret_hash = ?", sha256Hex(first)); n != 1 {
		t.Errorf("%d feeds keep the secret's SHA-256, want 1", n)
	}
	if _, err := s.CalendarFeed(ctx, first); err != nil {
		t.Fatalf("CalendarFeed(first) = %v", err)
	}
	if renewed, err := s.RenewCalendarFeed(ctx, ana); err != nil || !renewed {
		t.Fatalf("RenewCalendarFeed again = %v, %v; want a renewal", renewed, err)
	}
	second, _ := s.CalendarSecret(ctx, uid)
	if _, err := s.CalendarFeed(ctx, first); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("CalendarFeed(old secret) = %v, want ErrNotFound", err)
	}
	if _, err := s.CalendarFeed(ctx, second); err != nil {
		t.Errorf("CalendarFeed(new secret) = %v", err)
	}
	closeWithoutSecrets(t, s, path, first, second)
}

// TestCalendarFeedIsBounded: however many dates fall in the window, the
// feed holds MaxCalendarDates, the soonest.
func TestCalendarFeedIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	uid, err := s.CreateUser(ctx, actor, db.UserInput{Email: "ana@example.com", Password: "correct horse battery staple", Role: db.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	// Tokens expiring over the next days, several a day, each due for review
	// in ten days, written in one statement: far more dates than a feed may
	// hold, of two kinds, so that each query alone stays under the bound.
	n := db.MaxCalendarDates + 500
	if err := s.Exec(ctx, `WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
		INSERT INTO tokens (name, kind, expires_on, last_reviewed_on, created_at, updated_at)
		SELECT 'token ' || n, 'api_key', date('now', '+' || (n / 5) || ' days'), date('now', '-80 days'),
			'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM i`, n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewCalendarFeed(ctx, db.Actor{UserID: uid, Email: "ana@example.com"}); err != nil {
		t.Fatal(err)
	}
	secret, _ := s.CalendarSecret(ctx, uid)
	dates, err := s.CalendarFeed(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(dates) != db.MaxCalendarDates {
		t.Fatalf("the feed holds %d dates, want %d", len(dates), db.MaxCalendarDates)
	}
	latest := str(t, s, `SELECT MAX(d) FROM (SELECT d FROM (SELECT expires_on AS d FROM tokens
		UNION ALL SELECT date(last_reviewed_on, '+90 days') FROM tokens) ORDER BY d LIMIT ?)`, db.MaxCalendarDates)
	if last := dates[len(dates)-1].On; last != latest {
		t.Errorf("the feed's last date is %s, want %s: the soonest dates first", last, latest)
	}
}
