package main

// The subcommands' flags, run in-process through run() on real files:
// `steward user add` and `steward seed`.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"steward/db"
)

// cliRun runs `steward args...` with stdin and no environment, returning
// what it printed and its error.
func cliRun(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"steward"}, args...), func(string) string { return "" },
		strings.NewReader(stdin), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// cliCount opens the database at path and runs a single-number query.
func cliCount(t *testing.T, path, query string, args ...any) int64 {
	t.Helper()
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := store.QueryInt(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "steward.db")
	const password = "Tulip-Orbit-Quartz-9142"

	out, err := cliRun(t, password+"\n", "user", "add", "-db", path, "-email", "Ed@Example.com", "-role", "editor")
	if err != nil || !strings.Contains(out, "added Ed@Example.com (editor)") {
		t.Fatalf("user add: %v, output %q", err, out)
	}
	if n := cliCount(t, path, "SELECT COUNT(*) FROM users WHERE email = 'ed@example.com' COLLATE NOCASE AND role = 'editor' AND disabled = 0"); n != 1 {
		t.Fatalf("%d enabled editor logins for ed@example.com, want 1", n)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.Authenticate(context.Background(), "ed@example.com", password)
	store.Close()
	if err != nil || u.Role != db.RoleEditor {
		t.Fatalf("signing in with the password from standard input: %+v, %v", u, err)
	}
	if n := cliCount(t, path, "SELECT COUNT(*) FROM audit_events WHERE action = 'user.created' AND actor = 'command line'"); n != 1 {
		t.Errorf("%d user.created events by the command line, want 1", n)
	}
	// Without -role the login is a viewer; a password without a newline is read whole.
	if out, err := cliRun(t, password, "user", "add", "-db", path, "-email", "vi@example.com"); err != nil {
		t.Fatalf("user add without -role: %v, output %q", err, out)
	}
	if role := cliCount(t, path, "SELECT COUNT(*) FROM users WHERE email = 'vi@example.com' AND role = 'viewer'"); role != 1 {
		t.Error("a login added without -role is not a viewer")
	}

	// Bad input: a clear error naming what is wrong, and no login added.
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"no subcommand", password, []string{"user"}, "usage: steward user add"},
		{"unknown subcommand", password, []string{"user", "remove", "-email", "x@example.com"}, "usage: steward user add"},
		{"no email", password, []string{"user", "add", "-role", "admin"}, "email"},
		{"bad email", password, []string{"user", "add", "-email", "not-an-email"}, "email"},
		{"unknown role", password, []string{"user", "add", "-email", "r@example.com", "-role", "owner"}, "role"},
		{"short password", "short\n", []string{"user", "add", "-email", "s@example.com"}, "password"},
		{"empty password", "", []string{"user", "add", "-email", "e@example.com"}, "password"},
		{"email taken", password, []string{"user", "add", "-email", "ED@example.com"}, "already exists"},
		{"unknown flag", password, []string{"user", "add", "-email", "f@example.com", "-admin"}, "flag provided but not defined"},
	} {
		args := append([]string(nil), tc.args...)
		if len(args) > 1 {
			args = append(args[:2], append([]string{"-db", path}, args[2:]...)...)
		}
		before := cliCount(t, path, "SELECT COUNT(*) FROM users")
		out, err := cliRun(t, tc.stdin, args...)
		if err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("%s: error %v, output %q; want an error naming %q", tc.name, err, out, tc.want)
		}
		if after := cliCount(t, path, "SELECT COUNT(*) FROM users"); after != before {
			t.Errorf("%s: %d logins added", tc.name, after-before)
		}
	}
}

func TestSeedFlags(t *testing.T) {
	t.Parallel()
	counts := func(path string) [3]int64 {
		return [3]int64{cliCount(t, path, "SELECT COUNT(*) FROM owners"), cliCount(t, path, "SELECT COUNT(*) FROM tokens"),
			cliCount(t, path, "SELECT COUNT(*) FROM audit_events")}
	}
	dir := t.TempDir()

	// No size flag: the demo company.
	demo := filepath.Join(dir, "demo.db")
	if out, err := cliRun(t, "", "seed", "-db", demo); err != nil || !strings.Contains(out, "demo company") {
		t.Fatalf("seed: %v, output %q", err, out)
	}
	if c := counts(demo); c[0] == 0 || c[1] == 0 {
		t.Errorf("the demo seed holds %d owners and %d tokens", c[0], c[1])
	}

	// Each size flag given alone fills in the others from it.
	for _, tc := range []struct {
		args []string
		want [3]int64 // owners, tokens, at least this many events
	}{
		{[]string{"-owners", "30", "-tokens", "90", "-events", "400"}, [3]int64{30, 90, 400}},
		{[]string{"-owners", "25"}, [3]int64{25, 250, 2500}},  // tokens = owners×10, events = tokens×10
		{[]string{"-tokens", "150"}, [3]int64{20, 150, 1500}}, // owners = max(20, tokens/10)
		{[]string{"-tokens", "400"}, [3]int64{40, 400, 4000}},
	} {
		path := filepath.Join(dir, strings.Join(tc.args, "")+".db")
		out, err := cliRun(t, "", append([]string{"seed", "-db", path}, tc.args...)...)
		if err != nil || !strings.Contains(out, "seeded") {
			t.Fatalf("seed %v: %v, output %q", tc.args, err, out)
		}
		got := counts(path)
		if got[0] != tc.want[0] || got[1] != tc.want[1] || got[2] < tc.want[2] {
			t.Errorf("seed %v: %d owners, %d tokens, %d events; want %d, %d and at least %d", tc.args,
				got[0], got[1], got[2], tc.want[0], tc.want[1], tc.want[2])
		}
		if out, err := cliRun(t, "", "audit", "verify", "-db", path); err != nil {
			t.Errorf("seed %v: the seeded audit chain does not verify: %v %s", tc.args, err, out)
		}
	}

	// -seed picks the data: the same seed gives the same people, another seed others.
	seeded := 0
	names := func(seed string) string {
		seeded++
		path := filepath.Join(dir, fmt.Sprintf("seed%s-%d.db", seed, seeded))
		if out, err := cliRun(t, "", "seed", "-db", path, "-owners", "20", "-tokens", "20", "-events", "20", "-seed", seed); err != nil {
			t.Fatalf("seed -seed %s: %v, output %q", seed, err, out)
		}
		store, err := db.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		owners, err := store.ListOwners(context.Background(), db.ListParams{PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, o := range owners.Items {
			b.WriteString(o.Name + "|" + o.Email + "\n")
		}
		return b.String()
	}
	if a, b := names("7"), names("7"); a != b {
		t.Error("the same -seed gave different owners")
	}
	if names("7") == names("8") {
		t.Error("-seed 7 and -seed 8 gave the same owners")
	}

	// Bad input: refused with a message, nothing written.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-owners", "-5"}, "need at least one owner"},
		{[]string{"-owners", "10", "-tokens", "-1"}, "negative"},
		{[]string{"-owners", "ten"}, "invalid value"},
	} {
		path := filepath.Join(dir, "bad.db")
		out, err := cliRun(t, "", append([]string{"seed", "-db", path}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error()+out, tc.want) {
			t.Errorf("seed %v: error %v, output %q; want one naming %q", tc.args, err, out, tc.want)
		}
	}
	if c := counts(filepath.Join(dir, "bad.db")); c[0] != 0 || c[1] != 0 {
		t.Errorf("refused seeds wrote %d owners and %d tokens", c[0], c[1])
	}
	// A database that holds records is not seeded again.
	before := counts(demo)
	if out, err := cliRun(t, "", "seed", "-db", demo, "-owners", "20"); err == nil {
		t.Errorf("seeding a database that holds records passed: %q", out)
	}
	if counts(demo) != before {
		t.Error("a refused seed changed the demo database")
	}
}

// TestHelpListsEachFlagOnce: -h of the server and of every subcommand
// describes each of its flags exactly once (the usage text once described
// the server's flags a second time beside the flag set's own list), and
// exits cleanly.
func TestHelpListsEachFlagOnce(t *testing.T) {
	t.Parallel()
	store := []string{"db", "audit-key-file", "secret-key-file"}
	for _, tc := range []struct {
		args  []string
		flags []string
	}{
		{nil, append([]string{"addr", "base-url", "demo", "trust-proxy", "smtp-url", "mail-from", "metrics-token", "version",
			"oidc-issuer", "oidc-client-id", "oidc-client-secret", "oidc-allowed-domains", "oidc-default-role", "oidc-name", "password-login", "api-key-rate", "meta-graph-url"}, store...)},
		{[]string{"serve"}, append([]string{"addr", "base-url", "demo", "trust-proxy", "smtp-url", "mail-from", "metrics-token", "version",
			"oidc-issuer", "oidc-client-id", "oidc-client-secret", "oidc-allowed-domains", "oidc-default-role", "oidc-name", "password-login", "api-key-rate", "meta-graph-url"}, store...)},
		{[]string{"user", "add"}, append([]string{"email", "role"}, store...)},
		{[]string{"audit", "verify"}, append([]string{"accept-restored-triggers"}, store...)},
		{[]string{"backup"}, store},
		{[]string{"seed"}, append([]string{"owners", "tokens", "events", "seed"}, store...)},
	} {
		out, err := cliRun(t, "", append(tc.args, "-h")...)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("steward %v -h: error %v, want flag.ErrHelp (exit 0)", tc.args, err)
		}
		// A flag is described on a line of its own starting with it: "-addr string".
		described := map[string]int{}
		for _, line := range strings.Split(out, "\n") {
			if name, ok := strings.CutPrefix(strings.TrimSpace(line), "-"); ok {
				name, _, _ = strings.Cut(name, " ")
				described[name]++
			}
		}
		for _, name := range tc.flags {
			if described[name] != 1 {
				t.Errorf("steward %v -h describes -%s %d times, want once:\n%s", tc.args, name, described[name], out)
			}
			delete(described, name)
		}
		if len(described) > 0 {
			t.Errorf("steward %v -h describes flags it does not have: %v", tc.args, described)
		}
	}
}

// TestVersion: `steward version` and -version print the version and the Go
// it was built with, and open no database.
func TestVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, args := range [][]string{{"version"}, {"-version"}, {"serve", "-version", "-db", filepath.Join(dir, "s.db")}} {
		out, err := cliRun(t, "", args...)
		if err != nil || !strings.HasPrefix(out, "steward ") || !strings.Contains(out, "built with go") {
			t.Errorf("steward %v: %v, output %q", args, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-version opened the database: %v", err)
	}
}
