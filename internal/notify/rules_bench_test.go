package notify_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"steward/db"
	"steward/internal/seed"
)

// BenchmarkDueRulesAt100kTokens: the scheduled rules over the benchmark's
// inventory (10,000 owners, 100,000 tokens; no audit history, which the
// rules do not read), with mail set up so that every rule has an audience.
//
//	go test ./internal/notify -run '^$' -bench DueRulesAt100kTokens -benchtime 5x
//
// "find" is the four due queries with nothing queued yet, the most they
// ever return; "first-run" queues all of it in batches, once; "wake" is
// what every later wake costs, when nothing new is due.
func BenchmarkDueRulesAt100kTokens(b *testing.B) {
	ctx := context.Background()
	s, err := db.OpenWith(ctx, filepath.Join(b.TempDir(), "bench.db"), db.Options{Mail: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := seed.Scale(ctx, s, seed.Size{Owners: 10_000, Tokens: 100_000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, admin, db.UserInput{Email: "boss@example.com", Password: "correct horse battery staple", Role: db.RoleAdmin}); err != nil {
		b.Fatal(err)
	}
	find := func() int {
		n := 0
		for _, due := range []func() ([]db.Alert, error){
			func() ([]db.Alert, error) { return s.DueExpiryReminders(ctx) },
			func() ([]db.Alert, error) { return s.DueExpiredAlerts(ctx, time.Time{}) },
			func() ([]db.Alert, error) { return s.DueReviewReminders(ctx, time.Time{}) },
			func() ([]db.Alert, error) { return s.DueOffboardingReminders(ctx) },
		} {
			alerts, err := due()
			if err != nil {
				b.Fatal(err)
			}
			n += len(alerts)
		}
		return n
	}
	n := quiet(s)
	b.Run("find", func(b *testing.B) {
		var found int
		for b.Loop() {
			found = find()
		}
		b.ReportMetric(float64(found), "alerts")
	})
	b.Run("first-run", func(b *testing.B) {
		for b.Loop() {
			start := time.Now()
			if _, err := n.RunDue(ctx); err != nil {
				b.Fatal(err)
			}
			queued, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM outbox")
			b.Logf("first run queued %d messages in %s", queued, time.Since(start).Round(time.Millisecond))
		}
	})
	b.Run("wake", func(b *testing.B) {
		for b.Loop() {
			if _, err := n.RunDue(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if left := find(); left != 0 {
			b.Fatalf("%d alerts still due after the first run", left)
		}
	})
}
