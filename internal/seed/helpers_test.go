package seed_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"steward/db"
)

// open opens a fresh database with its clock at now and one audit key for
// every test, so that equal seeds give equal chains.
func open(t testing.TB, now time.Time) *db.Store {
	t.Helper()
	s, err := db.OpenWith(context.Background(), filepath.Join(t.TempDir(), "seed.db"), db.Options{AuditKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetClock(func() time.Time { return now })
	return s
}

// count runs a COUNT query and fails the test on error.
func count(t testing.TB, s *db.Store, query string, args ...any) int64 {
	t.Helper()
	n, err := s.QueryInt(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func str(t testing.TB, s *db.Store, query string, args ...any) string {
	t.Helper()
	v, err := s.QueryString(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func events(t testing.TB, s *db.Store) int64 {
	t.Helper()
	return count(t, s, "SELECT COUNT(*) FROM audit_events")
}
