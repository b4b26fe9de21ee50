package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditPagesSeekWhateverTheFilter checks the plan of a page of the
// audit log for every combination of its filters, dates and depth: each
// reads its page straight from an index holding its filters, newest first,
// never sorting the matches (the dates once sorted a month of events per
// page) nor leaving a pair of filters to be checked row by row.
func TestAuditPagesSeekWhateverTheFilter(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for mask := range 32 {
		for _, admin := range []bool{true, false} {
			f, ids := AuditFilter{ForAdmin: admin}, allIDs
			var equal []string
			if mask&1 != 0 {
				f.Actor, equal = "ada@example.com", append(equal, "actor=?")
			}
			if mask&2 != 0 {
				f.RecordKind, equal = "token", append(equal, "record_kind=?")
			}
			if mask&4 != 0 {
				f.Action, equal = "token.created", append(equal, "action=?")
			}
			if mask&8 != 0 {
				// What auditIDs makes of the dates while times grow with IDs.
				f.From, f.To, ids = "2026-01-01", "2026-01-31", idRange{first: 10, last: 20, dated: true}
			}
			if mask&16 != 0 {
				ids = ids.below(15)
			}
			name := fmt.Sprintf("%+v %+v", f, ids)
			query, args := auditPageQuery(f, ids, 50)
			plan := queryPlan(t, s, query, args...)
			if strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s sorts its matches:\n%s", name, plan)
			}
			held := 0
			for _, e := range equal {
				if strings.Contains(plan, e) {
					held++
				}
			}
			if held < min(len(equal), 2) {
				t.Errorf("%s reads an index holding %d of its filters %v:\n%s", name, held, equal, plan)
			}
			if ids.last < allIDs.last && !strings.Contains(plan, "id<?") {
				t.Errorf("%s does not seek to its newest ID:\n%s", name, plan)
			}
		}
	}
}
