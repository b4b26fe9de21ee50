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

// TestAuditActionsSeekTheIndex: the audit log's action filter lists the
// distinct actions with one seek of audit_events_action per action, never
// a pass over the events (a million of them at scale).
func TestAuditActionsSeekTheIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, admin := range []bool{true, false} {
		plan := queryPlan(t, s, auditActionsQuery, admin)
		if strings.Contains(plan, "SCAN audit_events") || !strings.Contains(plan, "COVERING INDEX audit_events_action (action>?)") {
			t.Errorf("admin %v: the actions are not read by seeking audit_events_action:\n%s", admin, plan)
		}
	}
	// And they are the log's actions, sorted, the admins' own left out for others.
	for _, ev := range []Event{{Action: "user.sign_in_failed"}, {Action: "owner.created"}, {Action: "owner.created"}, {Action: "audit.x"}} {
		if err := s.Audit(ctx, SystemActor("test"), ev); err != nil {
			t.Fatal(err)
		}
	}
	for admin, where := range map[bool]string{true: "", false: " WHERE action <> 'user.sign_in_failed'"} {
		var want string // what reading every event finds
		if err := s.read.QueryRowContext(ctx, "SELECT group_concat(action, ' ') FROM (SELECT DISTINCT action FROM audit_events"+where+" ORDER BY action)").Scan(&want); err != nil {
			t.Fatal(err)
		}
		got, err := s.AuditActions(ctx, admin)
		if err != nil || strings.Join(got, " ") != want || !strings.Contains(want, "owner.created") {
			t.Errorf("AuditActions(admin %v) = %v, %v; want %v", admin, got, err, want)
		}
	}
}
