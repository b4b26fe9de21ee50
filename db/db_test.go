package db_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"steward/db"
)

// actor signs test changes.
var actor = db.Actor{UserID: 0, Email: "tester@example.com", IP: "192.0.2.10", Role: db.RoleAdmin}

// openStore opens a fresh database file in a temporary directory.
func openStore(t *testing.T) *db.Store {
	t.Helper()
	s, _ := openStoreAt(t, filepath.Join(t.TempDir(), "t.db"))
	return s
}

func openStoreAt(t *testing.T, path string) (*db.Store, string) {
	t.Helper()
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// count runs a COUNT query and fails the test on error.
func count(t *testing.T, s *db.Store, query string, args ...any) int64 {
	t.Helper()
	n, err := s.QueryInt(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func str(t *testing.T, s *db.Store, query string, args ...any) string {
	t.Helper()
	v, err := s.QueryString(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func events(t *testing.T, s *db.Store) int64 {
	t.Helper()
	return count(t, s, "SELECT COUNT(*) FROM audit_events")
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func mustOwner(t *testing.T, s *db.Store, in db.OwnerInput) int64 {
	t.Helper()
	oid, err := s.CreateOwner(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateOwner(%+v): %v", in, err)
	}
	return oid
}

func mustAccount(t *testing.T, s *db.Store, in db.AccountInput) int64 {
	t.Helper()
	aid, err := s.CreateAccount(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateAccount(%+v): %v", in, err)
	}
	return aid
}

func mustRole(t *testing.T, s *db.Store, in db.RoleInput) int64 {
	t.Helper()
	rid, err := s.CreateRole(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateRole(%+v): %v", in, err)
	}
	return rid
}

// validationError asserts that err is a ValidationError naming field.
func validationError(t *testing.T, err error, field string) {
	t.Helper()
	var ve db.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError on %q", err, field)
	}
	if _, ok := ve[field]; !ok {
		t.Fatalf("ValidationError %v does not name %q", ve, field)
	}
}

// latestMigration is the highest numeric prefix in migrations/.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var latest int64
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		n, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			t.Fatalf("migration %s has no numeric prefix", e.Name())
		}
		latest = max(latest, n)
	}
	return latest
}

func TestOpenTwiceKeepsSchemaAndData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := latestMigration(t)
	if v := count(t, s, "PRAGMA user_version"); v != want {
		t.Fatalf("user_version = %d, want %d", v, want)
	}
	mustOwner(t, s, db.OwnerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	schema := str(t, s, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema ORDER BY name)")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, _ := openStoreAt(t, path)
	if v := count(t, s2, "PRAGMA user_version"); v != want {
		t.Fatalf("after reopening, user_version = %d, want %d", v, want)
	}
	if got := str(t, s2, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema ORDER BY name)"); got != schema {
		t.Fatalf("reopening changed the schema:\n%s\nwant\n%s", got, schema)
	}
	if n := count(t, s2, "SELECT COUNT(*) FROM owners WHERE email = 'ada@example.com'"); n != 1 {
		t.Fatalf("owners after reopening = %d, want 1", n)
	}
	if n := events(t, s2); n != 1 {
		t.Fatalf("audit events after reopening = %d, want 1", n)
	}
}

func TestPragmasOnReadersAndWriter(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)

	// Readers: QueryString and QueryInt go through the read pool.
	if mode := str(t, s, "PRAGMA journal_mode"); mode != "wal" {
		t.Errorf("reader journal_mode = %q, want wal", mode)
	}
	if fk := count(t, s, "PRAGMA foreign_keys"); fk != 1 {
		t.Errorf("reader foreign_keys = %d, want 1", fk)
	}
	if ms := count(t, s, "PRAGMA busy_timeout"); ms != 10000 {
		t.Errorf("reader busy_timeout = %d, want 10000", ms)
	}
	if _, err := s.QueryString(ctx, "INSERT INTO settings (key, value) VALUES ('x', 'y') RETURNING key"); err == nil {
		t.Error("a reader connection accepted a write; readers must be query-only")
	}

	// The writer: Exec is the only way in, so copy its pragmas into a table
	// through the pragma table-valued functions, then read them back.
	err := s.Exec(ctx, `INSERT INTO settings (key, value)
		SELECT 'journal_mode', journal_mode FROM pragma_journal_mode
		UNION ALL SELECT 'foreign_keys', foreign_keys FROM pragma_foreign_keys
		UNION ALL SELECT 'synchronous', synchronous FROM pragma_synchronous
		UNION ALL SELECT 'query_only', query_only FROM pragma_query_only`)
	if err != nil {
		t.Fatalf("copy writer pragmas: %v", err)
	}
	for key, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "query_only": "0"} {
		if got := str(t, s, "SELECT value FROM settings WHERE key = ?", key); got != want {
			t.Errorf("writer %s = %q, want %q", key, got, want)
		}
	}
	// And foreign keys are enforced on the writer, not only reported.
	err = s.Exec(ctx, "INSERT INTO owners (name, manager_id, created_at, updated_at) VALUES ('x', 999, '', '')")
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("insert with a dangling manager_id: err = %v, want a FOREIGN KEY error", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
