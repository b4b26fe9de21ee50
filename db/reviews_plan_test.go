package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestReviewSnapshotReadsByIndex: a review of chosen accounts or one
// platform reads only their roles, tokens and system users through the
// account indexes, and the review page's reads walk the review's own items
// by index: nothing scans a whole table.
func TestReviewSnapshotReadsByIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	noScan := func(what, plan string, allowed ...string) {
		t.Helper()
	steps:
		for _, step := range strings.Split(plan, "\n") {
			if strings.Contains(step, "_status") {
				t.Errorf("%s:\n%s\nwant records read by account, not every active one", what, plan)
				return
			}
			if !strings.HasPrefix(step, "SCAN ") {
				continue
			}
			for _, ok := range allowed {
				if strings.HasPrefix(step, "SCAN "+ok) {
					continue steps
				}
			}
			t.Errorf("%s:\n%s\nwant no table scanned but %v", what, plan, allowed)
			return
		}
	}
	for _, scope := range []string{"platform", "accounts"} {
		for what := range reviewSnapshots {
			// EXPLAIN QUERY PLAN of an INSERT shows its SELECT's plan; only
			// the chosen accounts (json_each) are read in turn.
			plan := queryPlan(t, s, snapshotSQL(what, scope), snapshotArgs(1, reviewValues{platform: "Meta", accounts: "[1,2]"})...)
			noScan(what+" of a review by "+scope, plan, "json_each", "st", "scoped")
		}
	}
	for what, q := range map[string]string{
		"progress by reviewer": `SELECT COALESCE(i.reviewer_owner_id, 0), SUM(i.decision = 'pending') FROM review_items i WHERE i.review_id = 1 GROUP BY i.reviewer_owner_id`,
		"progress by account":  `SELECT COALESCE(i.account_id, 0), SUM(i.decision = 'pending') FROM review_items i WHERE i.review_id = 1 GROUP BY i.account_id`,
		"undecided items":      "SELECT " + reviewItemColumns + reviewItemFrom + ` WHERE i.review_id = 1 AND i.decision = 'pending' AND i.id > 0 ORDER BY i.id LIMIT 51`,
		"items":                "SELECT " + reviewItemColumns + reviewItemFrom + ` WHERE i.review_id = 1 AND i.id > 0 ORDER BY i.id LIMIT 51`,
	} {
		plan := queryPlan(t, s, q)
		noScan(what, plan)
		if strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") || (strings.Contains(what, "progress") && !strings.Contains(plan, "COVERING INDEX")) {
			t.Errorf("%s:\n%s\nwant the items read in order, progress counted from an index alone", what, plan)
		}
	}
	// Holder changes read only the records changed since the start.
	changed := queryPlan(t, s, reviewChangedSQL, sql.Named("review", 1), sql.Named("limit", 20))
	noScan("holder changes", changed)
	for _, idx := range []string{"roles_updated", "tokens_updated", "system_users_updated"} {
		if !strings.Contains(changed, idx) {
			t.Errorf("holder changes:\n%s\nwant %s used", changed, idx)
		}
	}
	// The list reads the reviews (a few a quarter) and counts each one's
	// items by index.
	noScan("list", queryPlan(t, s, "SELECT "+reviewColumns+reviewCounts+" FROM reviews r ORDER BY r.id DESC LIMIT 20"), "r")
}
