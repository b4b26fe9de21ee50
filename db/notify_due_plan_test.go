package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestDueQueriesUseIndexes: each scheduled rule's due query reads its rows
// from an index range and checks the outbox by its key's index, so that at
// 100,000 tokens a run reads what is due, not the tables.
func TestDueQueriesUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type dueQuery struct {
		rule, query string
		args        []any
	}
	var queries []dueQuery
	for _, mail := range []bool{false, true} {
		queries = append(queries,
			dueQuery{"token.expiring", expiringQuery([]int{1, 7, 30, 60}, mail), []any{"2026-03-01", "2026-04-30", "2026-03-02", "2026-03-08", "2026-03-31", "2026-04-30"}},
			dueQuery{"token.expired", expiredQuery(mail), []any{"2026-02-01", "2026-03-01"}},
			dueQuery{"review.due", reviewDueQuery(mail), []any{"2026-02-01", "2026-03-01", "2025-11-03", "2025-12-01"}},
			dueQuery{"offboarding.overdue", offboardingQuery(mail), []any{"2026-03-01"}})
	}
	for _, q := range queries {
		plan := queryPlan(t, s, q.query, q.args...)
		for _, step := range strings.Split(plan, "\n") {
			// SCAN (subquery-N) reads a checklist's open items found by
			// index; u and w are the logins and the webhooks, a handful of
			// rows each, read to find who has not had a message yet; e is a
			// webhook's list of events.
			scansSmall := strings.HasPrefix(step, "SCAN (subquery") || step == "SCAN u" || step == "SCAN w" || step == "SCAN w EXISTS" ||
				strings.HasPrefix(step, "SCAN e ")
			if (strings.HasPrefix(step, "SCAN ") && !scansSmall) || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("the %s query:\n%s\nwant every table searched by index", q.rule, plan)
				break
			}
		}
		if !strings.Contains(plan, "outbox") || !strings.Contains(plan, "sqlite_autoindex_outbox") {
			t.Errorf("the %s query:\n%s\nwant the outbox searched by its key", q.rule, plan)
		}
	}
}
