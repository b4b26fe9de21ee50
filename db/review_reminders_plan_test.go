package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewDueQueriesUseIndexes: the access review rules' queries find
// the open reviews by (status, due date), their undecided items by
// (review, reviewer, decision), and probe the outbox by its key, so a run
// reads what is due, not the tables.
func TestReviewDueQueriesUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, mail := range []bool{false, true} {
		for rule, q := range map[string]struct {
			query string
			args  []any
		}{
			EventReviewReminder: {reviewReminderQuery(mail), []any{"2026-03-01", "2026-03-02", "2026-03-08"}},
			EventReviewOverdue:  {reviewOverdueQuery(mail), []any{"2026-03-01"}},
		} {
			plan := queryPlan(t, s, q.query, q.args...)
			for _, step := range strings.Split(plan, "\n") {
				// g is the grouped reviewers of the reviews due; u, w and e
				// the logins, webhooks and a webhook's events (a handful).
				small := step == "SCAN g" || step == "SCAN u" || step == "SCAN w" || step == "SCAN w EXISTS" || strings.HasPrefix(step, "SCAN e ")
				if strings.HasPrefix(step, "SCAN ") && !small {
					t.Errorf("the %s query (mail %v):\n%s\nwant every table searched by index", rule, mail, plan)
					break
				}
			}
			if !strings.Contains(plan, "reviews_status_due") || !strings.Contains(plan, "sqlite_autoindex_outbox") {
				t.Errorf("the %s query (mail %v):\n%s\nwant the reviews by status and due date, the outbox by its key", rule, mail, plan)
			}
		}
	}
}
