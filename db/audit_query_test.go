package db_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// TestAuditDatesPageAsTheirTimesSay pages the audit log within dates, with
// and without another filter, and checks each page against the events whose
// times fall on those days: same events, same order, a page ending exactly
// at the range's edge says there is no older page. Then the clock is set
// back, so the newest event is stamped within the range, and it must show.
func TestAuditDatesPageAsTheirTimesSay(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	// Tomorrow onwards, so the events of opening the store come before.
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	clock := day0
	s.SetClock(func() time.Time { return clock })
	for d := range 10 {
		for h := range 3 {
			clock = day0.AddDate(0, 0, d).Add(time.Duration(h*8)*time.Hour + 59*time.Minute)
			mustOwner(t, s, db.OwnerInput{Name: "Owner " + id(int64(d*3+h))})
		}
	}
	date := func(d int) string { return day0.AddDate(0, 0, d).Format(time.DateOnly) }
	check := func(name string, f db.AuditFilter) {
		t.Helper()
		f.ForAdmin = true
		var want []int64
		err := s.EachAuditEvent(ctx, db.AuditFilter{ForAdmin: true}, func(e db.AuditEvent) error {
			on := e.At.Format(time.DateOnly)
			if (f.From == "" || on >= f.From) && (f.To == "" || on <= f.To) && (f.Actor == "" || e.Actor == f.Actor) {
				want = append(want, e.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got, exported []int64
		before := int64(0)
		for range 100 {
			page, err := s.QueryAudit(ctx, f, before, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				got = append(got, e.ID)
			}
			if page.NextBefore == 0 {
				break
			}
			if page.NextBefore != got[len(got)-1] {
				t.Fatalf("%s: NextBefore = %d, want the page's oldest event %d", name, page.NextBefore, got[len(got)-1])
			}
			before = page.NextBefore
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: pages hold events %v, want %v", name, got, want)
		}
		if err := s.EachAuditEvent(ctx, f, func(e db.AuditEvent) error { exported = append(exported, e.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(exported, want) {
			t.Errorf("%s: export holds events %v, want %v", name, exported, want)
		}
	}
	for _, set := range []string{"times growing", "clock set back"} {
		check(set+", four days (three pages exactly)", db.AuditFilter{From: date(2), To: date(5)})
		check(set+", one day", db.AuditFilter{From: date(3), To: date(3)})
		check(set+", from a day", db.AuditFilter{From: date(7)})
		check(set+", to a day", db.AuditFilter{To: date(1)})
		check(set+", by a person", db.AuditFilter{Actor: actor.Email, From: date(4), To: date(8)})
		check(set+", no events", db.AuditFilter{From: date(20), To: date(21)})
		clock = day0.AddDate(0, 0, 3)
		mustOwner(t, s, db.OwnerInput{Name: "Stamped back"})
	}
}

// TestOpenRestoresTheTimeStepsTrigger: someone with the file drops the
// trigger that notices a clock set back and empties its table. Steward's
// next start makes both again, so an event stamped back still shows within
// its dates.
func TestOpenRestoresTheTimeStepsTrigger(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1)
	s.SetClock(func() time.Time { return day0.AddDate(0, 0, 5) })
	mustOwner(t, s, db.OwnerInput{Name: "Late"})
	s.SetClock(func() time.Time { return day0 })
	mustOwner(t, s, db.OwnerInput{Name: "Stamped back"})
	for _, q := range []string{"DROP TRIGGER audit_events_time_steps", "DELETE FROM audit_time_steps"} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	s = openAt(t, path)
	s.SetClock(func() time.Time { return day0.AddDate(0, 0, 1) })
	mustOwner(t, s, db.OwnerInput{Name: "Back again"})
	day := func(d int) string { return day0.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, tc := range []struct {
		from, to, want string
	}{
		{day(0), day(0), "Stamped back"},
		{day(1), day(1), "Back again"},
		{day(0), day(5), "Late"}, // stamped before "Stamped back", so IDs alone find nothing
	} {
		page, err := s.QueryAudit(ctx, db.AuditFilter{ForAdmin: true, From: tc.from, To: tc.to, RecordKind: "owner"}, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var summaries []string
		for _, e := range page.Events {
			summaries = append(summaries, e.Summary)
		}
		if !slices.ContainsFunc(summaries, func(s string) bool { return strings.Contains(s, tc.want) }) {
			t.Errorf("events of %s: %q, want one about %q", tc.from, summaries, tc.want)
		}
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_events_time_steps'"); n != 1 {
		t.Errorf("time steps trigger: %d, want it made again", n)
	}
}
