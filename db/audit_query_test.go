package db_test

import (
	"context"
	"slices"
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
