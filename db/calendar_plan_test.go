package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCalendarQueriesUseIndexes: each of the feed's queries reads its rows
// from an index in date order, so at 100,000 tokens a feed reads at most
// MaxCalendarDates rows per query instead of walking the table and sorting.
func TestCalendarQueriesUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range calendarQueries {
		plan := queryPlan(t, s, q.query, "2026-01-01", "2027-01-01", "2025-10-01", "2026-10-01", MaxCalendarDates)
		for _, step := range strings.Split(plan, "\n") {
			if strings.HasPrefix(step, "SCAN ") || strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("the %s %s query:\n%s\nwant every table searched by index, in date order", q.kind, q.what, plan)
				break
			}
		}
	}
}
