package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A sync's preview is shown on every view of its page: its people and roles
// are read through indexes, never by reading every owner or active role.
func TestMetaSyncWalkSeeks(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, c := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"people", metaPeopleQuery, []any{`["ada@example.com"]`}, []string{"SEARCH o USING INDEX owners_email"}},
		{"roles", metaRolesQuery, []any{int64(1)}, []string{"SEARCH roles USING INDEX roles_account (account_id=?",
			"SEARCH s USING COVERING INDEX system_users_account (account_id=?)", "SEARCH r USING INTEGER PRIMARY KEY"}},
	} {
		plan := queryPlan(t, s, c.query, c.args...)
		for _, want := range c.want {
			if !strings.Contains(plan, want) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, want, plan)
			}
		}
		for _, line := range strings.Split(plan, "\n") {
			if strings.Contains(line, "SCAN") && !strings.Contains(line, "VIRTUAL TABLE") {
				t.Errorf("%s scans a table: %s\n%s", c.name, line, plan)
			}
		}
	}
}
