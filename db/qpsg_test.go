package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// queryPlan is SQLite's plan for query on a reader, one step per line.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n")
}

// With the planner's stability guarantee on, SQLite uses a partial index
// only when the query repeats the index's condition: the fingerprint
// lookups (run on every token saved) must not scan the table.
func TestFingerprintLookupsUseTheirIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{sameFingerprintSQL, "SELECT t.id FROM tokens t" + tokensByFingerprintWhere} {
		plan := queryPlan(t, s, q, "ab12", 1)
		if !strings.Contains(plan, "tokens_fingerprint") {
			t.Errorf("%s\nplan:\n%s\nwant the tokens_fingerprint index", q, plan)
		}
	}
	if plan := queryPlan(t, s, "SELECT "+tokenColumns+tokenFrom+formerValuesWhere, "ab12"); !strings.HasPrefix(plan, "SEARCH h USING INDEX token_former_values_fingerprint") {
		t.Errorf("a former value is looked up by\n%s\nwant the token_former_values_fingerprint index first", plan)
	}
	// The guarantee is on: without the repeated condition the index is not
	// used, which is why the queries above repeat it.
	if plan := queryPlan(t, s, "SELECT id FROM tokens WHERE fingerprint = ?", "ab12"); strings.Contains(plan, "tokens_fingerprint") {
		t.Errorf("a bare fingerprint = ? uses the partial index (%s): is the stability guarantee off?", plan)
	}
}

// A token list's page IDs come from the kind's own table, by index, when
// the filter and the sort allow it: page 500 must not join 25,000 rows.
func TestTokenListPagesByIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := ListParams{Status: "active"}
	where, args := s.tokenWhere(p, TokenFilter{Expiry: ExpiryNever})
	order := p.orderBy(tokenList.sorts, tokenList.idCol)
	from := tokenList.idFrom(where, order)
	if from != tokenList.base {
		t.Fatalf("idFrom = %q, want the tokens table alone", from)
	}
	plan := queryPlan(t, s, "SELECT t.id"+from+where+order+" LIMIT 50 OFFSET 24950", args...)
	if !strings.Contains(plan, "COVERING INDEX tokens_status_expires_name") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan:\n%s\nwant a covering index in list order, no sort", plan)
	}
	// Sorting by a joined table's column needs that join, and only that one.
	p.Sort = "account"
	where, _ = s.tokenWhere(p, TokenFilter{})
	if from := tokenList.idFrom(where, p.orderBy(tokenList.sorts, tokenList.idCol)); from != " FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id" {
		t.Errorf("sorted by account: idFrom = %q, want the tokens with their accounts alone", from)
	}
}
