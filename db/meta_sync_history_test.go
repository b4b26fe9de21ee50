package db_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"steward/db"
)

// The connector page's history: each sync with the counts kept when it
// was read and, once applied, what applying changed; a failed read kept in
// words, which neither blocks applying the sync before it nor has a page.
func TestMetaSyncHistory(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm, _, _, _, _ := seedMetaBusiness(t, s)
	syncID, _, err := s.RecordMetaSync(ctx, actor, metaSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	job := db.SystemActor("scheduled Meta sync")
	if err := s.RecordMetaSyncFailure(ctx, job, "9001", metaSnapshot().ReadAt, "Meta is limiting requests from this app (rate limited)."); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordMetaSyncFailure(ctx, db.Actor{Email: "viewer@example.com", Role: db.RoleViewer}, "9001", metaSnapshot().ReadAt, "x"); err == nil {
		t.Error("a viewer kept a failed sync")
	}
	rows, err := s.MetaSyncHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Status != "failed" || rows[0].ReadBy != "" || rows[0].Problem == "" ||
		rows[1].ID != syncID || rows[1].Status != "pending" || rows[1].ReadBy != actor.Email ||
		rows[1].Create != 5 || rows[1].Update != 4 || rows[1].Gone != 2 {
		t.Fatalf("history = %+v, want the failed scheduled read, then the pending sync with 5 to create, 4 to update, 2 gone", rows)
	}
	failedID := rows[0].ID
	if _, err := s.MetaSyncByID(ctx, failedID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a failed sync's page: %v, want not found", err)
	}
	// Someone records the new Page by hand before the sync is applied.
	mustAccount(t, s, db.AccountInput{Name: "Trail Journal", Platform: "Meta", Kind: "Page", ExternalID: "222", ParentID: id(bm)})
	if _, err := s.ApplyMetaSync(ctx, actor, syncID); err != nil {
		t.Fatalf("applying the sync read before a failed read: %v", err)
	}
	rows, err = s.MetaSyncHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a := rows[1]; a.Status != "applied" || a.AppliedAt.IsZero() || a.Create != 4 || a.Update != 4 || a.Gone != 2 {
		t.Errorf("after apply: %+v, want what applying did: 4 created (the Page was recorded by hand), 4 updated", a)
	}
	for i := range 25 {
		if err := s.RecordMetaSyncFailure(ctx, job, "9001", metaSnapshot().ReadAt, "failure "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if rows, err = s.MetaSyncHistory(ctx); err != nil || len(rows) != 20 || rows[0].Problem != "failure 24" {
		t.Errorf("after 27 syncs the history lists %d, newest %q (%v); want the latest 20, newest first", len(rows), rows[0].Problem, err)
	}
}
