package db_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"steward/db"
)

func TestVerifyAndRecordAudit(t *testing.T) {
	ctx := context.Background()
	s := auditFixture(t)
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })

	if _, found, err := s.LastAuditVerification(ctx); err != nil || found {
		t.Fatalf("a fresh database reports a verification (found %v, err %v)", found, err)
	}
	v, err := s.VerifyAndRecordAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Intact() || v.Checked != 5 || v.HeadID != 5 || len(v.HeadHash) != 64 || !v.At.Equal(now) {
		t.Fatalf("VerifyAndRecordAudit = %+v, want intact, 5 checked, head 5 at %s", v, now)
	}
	got, found, err := s.LastAuditVerification(ctx)
	if err != nil || !found || got != v {
		t.Fatalf("LastAuditVerification = %+v, %v, %v; want what was recorded, %+v", got, found, err, v)
	}
	raw := str(t, s, "SELECT value FROM settings WHERE key = 'audit_verified'")
	for _, key := range []string{`"at":"2026-11-25T09:30:00Z"`, `"checked":5`, `"broken_id":0`, `"problem":""`} {
		if !strings.Contains(raw, key) {
			t.Errorf("settings audit_verified = %s, lacks %s", raw, key)
		}
	}

	// New events since the last check are fine: the old head is still there.
	mustOwner(t, s, db.OwnerInput{Name: "Hedy"})
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || !v.Intact() || v.HeadID != 6 {
		t.Fatalf("after one more event: %+v, %v; want intact with head 6", v, err)
	}
}

// TestVerifyAndRecordAuditCatchesRebuiltChain: someone with the file deletes
// the whole log and has Steward write a new, self-consistent one (even with
// the key, as the store itself holds it). The chain links up, but the head
// the seal and the last check saw is gone.
func TestVerifyAndRecordAuditCatchesRebuiltChain(t *testing.T) {
	ctx := context.Background()
	s := auditFixture(t)
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || !v.Intact() {
		t.Fatalf("first check: %+v, %v", v, err)
	}
	for _, q := range []string{"DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_links_no_delete",
		"DELETE FROM audit_links", "DELETE FROM audit_events"} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for range 6 { // a longer, innocent-looking history
		if err := s.Audit(ctx, db.SystemActor("forger"), db.Event{Action: "user.signed_in", Summary: "Signed in"}); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 5 || !strings.Contains(res.Problem, "rebuilt") {
		t.Fatalf("VerifyAudit = %+v, %v; want broken at the sealed head, 5, as rebuilt", res, err)
	}
	v, err := s.VerifyAndRecordAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Intact() || v.BrokenID != 5 || !strings.Contains(v.Problem, "rebuilt") {
		t.Fatalf("VerifyAndRecordAudit = %+v, want broken at the old head, 5, as rebuilt", v)
	}
	// The failed check keeps the old head, so checking again still fails.
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || v.BrokenID != 5 {
		t.Fatalf("second check: %+v, %v; want still broken at 5", v, err)
	}
}

// The admin page's event count reads the newest ID; it must agree with
// counting every row.
func TestAuditEventCountMatchesTheRows(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	for i := range 3 {
		mustOwner(t, s, db.OwnerInput{Name: fmt.Sprintf("Person %d", i)})
	}
	got, err := s.AuditEventCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := count(t, s, "SELECT COUNT(*) FROM audit_events"); got != want || got < 3 {
		t.Errorf("AuditEventCount = %d, counting the rows gives %d", got, want)
	}
}
