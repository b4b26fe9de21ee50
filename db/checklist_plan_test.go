package db_test

import (
	"context"
	"errors"
	"testing"

	"steward/db"
)

// itemsOn lists the actions of the items acting on one record.
func itemsOn(items []db.ChecklistItem, kind string, rid int64) []string {
	var out []string
	for _, it := range items {
		if it.TargetKind == kind && it.TargetID == rid {
			out = append(out, it.Action)
		}
	}
	return out
}

// TestOwnerChecklistListsEachTokenOnce: a token the person created and
// answers for is one item with a choice (revoke, or rotate and hand over);
// one issued to them is revoked, not also rotated.
func TestOwnerChecklistListsEachTokenOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	both := clToken(t, s, db.TokenInput{Name: "Ads script key", Kind: "api_key", ResponsibleOwnerID: id(w.ada),
		CreatedByOwnerID: id(w.ada), IssuedOn: clDay(0), Secret: "sk_live_adsscriptkey000111222333AAAA"})
	other := clToken(t, s, db.TokenInput{Name: "Report key", Kind: "api_key", ResponsibleOwnerID: id(w.ada),
		CreatedByOwnerID: id(w.ada), IssuedOn: clDay(0)})
	hers := clToken(t, s, db.TokenInput{Name: "Her own PAT", Kind: "personal_access_token", OwnerID: id(w.ada),
		ResponsibleOwnerID: id(w.ada), CreatedByOwnerID: id(w.ada), IssuedOn: clDay(0)})

	items := plan(t, s, "owner", w.ada)
	for _, c := range []struct {
		tok  int64
		want string
	}{{both, db.ActRotateReassignToken}, {other, db.ActRotateReassignToken}, {hers, db.ActRevokeToken},
		{w.capiTok, db.ActReassignToken}, {w.createdTok, db.ActRotateToken}, {w.patTok, db.ActRevokeToken}} {
		if got := itemsOn(items, "token", c.tok); len(got) != 1 || got[0] != c.want {
			t.Errorf("token %d has items %v, want just %s", c.tok, got, c.want)
		}
	}
	if choice := find(t, items, db.ActRotateReassignToken, "token", both); choice.Steps == "" {
		t.Error("the rotate-or-revoke item says nothing about how to rotate")
	}

	c := start(t, s, "owner", w.ada, "")
	iid := find(t, c.Items, db.ActRotateReassignToken, "token", both).ID
	state := checklistState(t, s) + tokenState(t, s, both)

	t.Run("rotating and handing over needs the new value and someone who stays", func(t *testing.T) {
		for _, in := range []db.TickInput{
			{Done: true, CarryOut: true, OwnerID: id(w.bob)},
			{Done: true, CarryOut: true, OwnerID: id(w.bob), Secret: "sk_live_adsscriptkey000111222333AAAA"},
			{Done: true, CarryOut: true, Secret: "sk_live_adsscriptkey999888777666BBBB"},
			{Done: true, CarryOut: true, OwnerID: id(w.ada), Secret: "sk_live_adsscriptkey999888777666BBBB"},
		} {
			err := s.TickItem(ctx, actor, c.ID, iid, in)
			var ve db.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("TickItem(%+v) = %v, want a validation error", in, err)
			}
			if checklistState(t, s)+tokenState(t, s, both) != state {
				t.Errorf("TickItem(%+v) was refused but wrote to the database", in)
			}
		}
	})

	t.Run("rotate and hand over", func(t *testing.T) {
		clSetDay(s, 4)
		before := events(t, s)
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.bob), Secret: "sk_live_adsscriptkey999888777666BBBB"})
		want := db.Fingerprint("sk_live_adsscriptkey999888777666BBBB") + "|BBBB|" + clDay(4) + "|" + id(w.bob) + "|active\n" +
			db.Fingerprint("sk_live_adsscriptkey000111222333AAAA") + "|AAAA|" + clDay(4)
		if got := tokenState(t, s, both); got != want {
			t.Errorf("after the tick:\n %s\nwant\n %s", got, want)
		}
		if n := events(t, s) - before; n != 2 {
			t.Errorf("the tick wrote %d events, want 2 (the rotation and the tick)", n)
		}
		ev := lastEventOf(t, s, "token.rotated")
		if ch, ok := change(ev, "responsible_owner"); !ok || ch.After != "Bob Stayer (#"+id(w.bob)+")" {
			t.Errorf("token.rotated changes %+v do not hand it to Bob", ev.Changes)
		}
		if got := str(t, s, "SELECT outcome FROM checklist_items WHERE id = ?", iid); got != "Token rotated; new value ends …BBBB; reassigned to Bob Stayer" {
			t.Errorf("the item's outcome is %q", got)
		}
		if !itemDone(t, s, iid) {
			t.Error("the item is not done")
		}
	})

	t.Run("or revoke it", func(t *testing.T) {
		tick(t, s, c.ID, find(t, c.Items, db.ActRotateReassignToken, "token", other).ID, db.TickInput{Done: true, CarryOut: true, Revoke: true})
		if st := str(t, s, "SELECT status FROM tokens WHERE id = ?", other); st != "revoked" {
			t.Errorf("token status %q, want revoked", st)
		}
	})
}

// TestReassignRefusesThePersonLeaving: while she is still active, the person
// leaving cannot take over her own records.
func TestReassignRefusesThePersonLeaving(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	c := start(t, s, "owner", w.ada, "")
	before := checklistState(t, s)
	for _, it := range []struct {
		action, kind string
		rid          int64
	}{{db.ActReassignToken, "token", w.capiTok}, {db.ActReassignSystemUser, "system_user", w.capi},
		{db.ActReassignIntegration, "integration", w.crm}, {db.ActReassignAccount, "account", w.github}} {
		err := s.TickItem(ctx, actor, c.ID, find(t, c.Items, it.action, it.kind, it.rid).ID, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.ada)})
		validationError(t, err, "owner_id")
	}
	if checklistState(t, s) != before {
		t.Error("a refused hand-over wrote to the database")
	}
	// Revoking instead needs nobody.
	tick(t, s, c.ID, find(t, c.Items, db.ActReassignToken, "token", w.capiTok).ID, db.TickInput{Done: true, CarryOut: true, Revoke: true, OwnerID: id(w.ada)})
}

// TestChecklistWithNothingToDoIsNotStarted: a person who holds nothing gets
// no empty checklist.
func TestChecklistWithNothingToDoIsNotStarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	o := mustOwner(t, s, db.OwnerInput{Name: "Nobody Special"})
	if items := plan(t, s, "owner", o); len(items) != 0 {
		t.Fatalf("planned %d items, want none", len(items))
	}
	n := events(t, s)
	if _, err := s.StartChecklist(ctx, actor, "owner", o, ""); !errors.Is(err, db.ErrNothingToDo) {
		t.Errorf("StartChecklist = %v, want ErrNothingToDo", err)
	}
	if count(t, s, "SELECT COUNT(*) FROM checklists") != 0 || events(t, s) != n {
		t.Error("an empty checklist was started")
	}
	// A standing item is something to do.
	if err := s.AddStandingItem(ctx, actor, "owner", "Collect the laptop"); err != nil {
		t.Fatal(err)
	}
	start(t, s, "owner", o, "")
}

// TestChecklistDriftKnowsRecordsUnderAnotherAction: an open checklist planned
// before a token's items were merged (reassign and rotate) gains no third
// item for it.
func TestChecklistDriftKnowsRecordsUnderAnotherAction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	both := clToken(t, s, db.TokenInput{Name: "Ads script key", Kind: "api_key", ResponsibleOwnerID: id(w.ada),
		CreatedByOwnerID: id(w.ada), IssuedOn: clDay(0)})
	c := start(t, s, "owner", w.ada, "")
	it := find(t, c.Items, db.ActRotateReassignToken, "token", both)
	if err := s.Exec(ctx, "UPDATE checklist_items SET action = ? WHERE id = ?", db.ActReassignToken, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, `INSERT INTO checklist_items (checklist_id, position, action, target_kind, target_id, title)
		VALUES (?, 99, ?, 'token', ?, 'Rotate Ads script key')`, c.ID, db.ActRotateToken, both); err != nil {
		t.Fatal(err)
	}
	clEditToken(t, s, both, func(in *db.TokenInput) { in.Notes = "edited" })
	if got := itemsOn(checklist(t, s, c.ID).Items, "token", both); len(got) != 2 {
		t.Errorf("items on the token after an edit: %v, want the two it had", got)
	}
}
