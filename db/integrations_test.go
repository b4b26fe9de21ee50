package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"steward/db"
)

func mustIntegration(t *testing.T, s *db.Store, in db.IntegrationInput) int64 {
	t.Helper()
	iid, err := s.CreateIntegration(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateIntegration(%+v): %v", in, err)
	}
	return iid
}

func TestIntegrationValidation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	before := events(t, s)

	cases := []struct {
		name  string
		in    db.IntegrationInput
		field string
	}{
		{"no name", db.IntegrationInput{Name: "  ", RunsOn: "Zapier"}, "name"},
		{"name on two lines", db.IntegrationInput{Name: "CRM\nsync"}, "name"},
		{"unknown status", db.IntegrationInput{Name: "CRM sync", Status: "removed"}, "status"},
		{"missing owner", db.IntegrationInput{Name: "CRM sync", ResponsibleOwnerID: "999"}, "responsible_owner_id"},
		{"owner not a number", db.IntegrationInput{Name: "CRM sync", ResponsibleOwnerID: "ada"}, "responsible_owner_id"},
		{"runs_on on two lines", db.IntegrationInput{Name: "CRM sync", RunsOn: "a\nb"}, "runs_on"},
		{"control characters", db.IntegrationInput{Name: "CRM sync", Description: "bell\a"}, "description"},
	}
	for _, tc := range cases {
		_, err := s.CreateIntegration(ctx, actor, tc.in)
		validationError(t, err, tc.field)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM integrations"); n != 0 {
		t.Errorf("integrations = %d after refused creates, want 0", n)
	}

	// A valid one, then a refused update that leaves it as it was.
	crm := mustIntegration(t, s, db.IntegrationInput{Name: "CRM sync", ResponsibleOwnerID: id(ada)})
	validationError(t, s.UpdateIntegration(ctx, actor, crm, db.IntegrationInput{Name: "", ResponsibleOwnerID: id(ada)}), "name")
	if got := str(t, s, "SELECT name || '|' || status || '|' || owner_id FROM integrations WHERE id = ?", crm); got != "CRM sync|active|"+id(ada) {
		t.Errorf("stored integration = %q, want the defaults and its owner", got)
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("events = %d, want only integration.created", n)
	}
	if err := s.UpdateIntegration(ctx, actor, 999, db.IntegrationInput{Name: "x"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("UpdateIntegration(999) = %v, want ErrNotFound", err)
	}
}

func TestIntegrationEventsShowOnOwnersTimelines(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	grace := mustOwner(t, s, db.OwnerInput{Name: "Grace"})
	crm := mustIntegration(t, s, db.IntegrationInput{Name: "CRM sync", RunsOn: "crm01", ResponsibleOwnerID: id(ada)})

	ev := latestEvent(t, s)
	if ev.Action != "integration.created" || ev.RecordKind != "integration" || ev.RecordID != crm {
		t.Fatalf("event = %s on %s #%d", ev.Action, ev.RecordKind, ev.RecordID)
	}
	if c, ok := change(ev, "responsible_owner"); !ok || c.After != "Ada (#"+id(ada)+")" {
		t.Errorf("created responsible_owner = %+v, %v; want the owner's name and ID", c, ok)
	}

	// Handing it to Grace shows on both people's timelines, before → after.
	if err := s.UpdateIntegration(ctx, actor, crm, db.IntegrationInput{Name: "CRM sync", RunsOn: "crm01", ResponsibleOwnerID: id(grace)}); err != nil {
		t.Fatal(err)
	}
	ev = latestEvent(t, s)
	c, ok := change(ev, "responsible_owner")
	if ev.Action != "integration.updated" || !ok || c.Before != "Ada (#"+id(ada)+")" || c.After != "Grace (#"+id(grace)+")" || len(ev.Changes) != 1 {
		t.Errorf("update event = %s %+v, want only responsible_owner Ada → Grace", ev.Action, ev.Changes)
	}
	for _, ref := range []db.Ref{{Kind: "integration", ID: crm}, {Kind: "owner", ID: ada}, {Kind: "owner", ID: grace}} {
		page, err := s.Timeline(ctx, ref, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) == 0 || page.Events[0].Action != "integration.updated" {
			t.Errorf("%s #%d timeline does not start with integration.updated: %+v", ref.Kind, ref.ID, page.Events)
		}
	}

	// Retiring is a status change that keeps the row; doing it twice writes once.
	before := events(t, s)
	for range 2 {
		if err := s.RetireIntegration(ctx, actor, crm); err != nil {
			t.Fatal(err)
		}
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("retiring twice wrote %d events, want 1", n)
	}
	ev = latestEvent(t, s)
	if c, ok := change(ev, "status"); ev.Action != "integration.retired" || !ok || c.Before != "active" || c.After != "retired" || len(ev.Changes) != 1 {
		t.Errorf("retire event = %s %+v, want integration.retired active → retired", ev.Action, ev.Changes)
	}
	in, err := s.IntegrationByID(ctx, crm)
	if err != nil || in.Status != db.IntegrationRetired || in.ResponsibleOwnerName != "Grace" || in.RunsOn != "crm01" {
		t.Errorf("retired integration = %+v, %v", in, err)
	}
	page, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: grace}, 0, 20)
	if err != nil || page.Events[0].Action != "integration.retired" {
		t.Errorf("responsible owner's timeline does not show the retirement: %+v, %v", page.Events, err)
	}
	if err := s.RetireIntegration(ctx, actor, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RetireIntegration(999) = %v, want ErrNotFound", err)
	}
	// Saving the same values again writes nothing.
	before = events(t, s)
	if err := s.UpdateIntegration(ctx, actor, crm, in.Input()); err != nil {
		t.Fatal(err)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("an unchanged save wrote %d events", n)
	}
}

func TestIntegrationLists(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	bm := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	looker := mustIntegration(t, s, db.IntegrationInput{Name: "Looker Studio reporting", RunsOn: "Looker Studio", ResponsibleOwnerID: id(ada)})
	zap := mustIntegration(t, s, db.IntegrationInput{Name: "Lead alerts", Description: "A Zapier flow posting new leads to Slack", RunsOn: "Zapier"})
	old := mustIntegration(t, s, db.IntegrationInput{Name: "Legacy CRM sync", Status: "retired", ResponsibleOwnerID: id(ada)})
	mustSystemUser(t, s, db.SystemUserInput{Name: "reporting", AccountID: id(bm), IntegrationID: id(looker)})
	mustSystemUser(t, s, db.SystemUserInput{Name: "old reporting", AccountID: id(bm), IntegrationID: id(looker), Status: "removed"})

	for _, tc := range []struct {
		p    db.ListParams
		want []int64
	}{
		{db.ListParams{}, []int64{zap, old, looker}},
		{db.ListParams{Q: "slack"}, []int64{zap}},  // description
		{db.ListParams{Q: "ZAPIER"}, []int64{zap}}, // where it runs
		{db.ListParams{Q: "sync"}, []int64{old}},
		{db.ListParams{Status: "retired"}, []int64{old}},
		{db.ListParams{Sort: "owner", Desc: true}, []int64{old, looker, zap}},
		{db.ListParams{Q: "%"}, nil},
	} {
		page, err := s.ListIntegrations(ctx, tc.p, db.IntegrationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(page.Items, func(in db.Integration) int64 { return in.ID }); !slices.Equal(got, tc.want) || page.Total != len(tc.want) {
			t.Errorf("ListIntegrations(%+v) = %v (total %d), want %v", tc.p, got, page.Total, tc.want)
		}
	}
	in, err := s.IntegrationByID(ctx, looker)
	if err != nil || in.ActiveSystemUsers != 1 {
		t.Errorf("Looker active system users = %d, %v; want 1 (the removed one not counted)", in.ActiveSystemUsers, err)
	}
	owned, err := s.ListIntegrations(ctx, db.ListParams{Sort: "status"}, db.IntegrationFilter{OwnerID: ada})
	if err != nil || owned.Total != 2 || len(owned.Items) != 2 || owned.Items[0].ID != looker || owned.Items[1].ID != old {
		t.Errorf("IntegrationsOwnedBy = %+v, %v; want Looker then the retired one", owned, err)
	}
	opts, err := s.IntegrationOptions(ctx, "", 10)
	if err != nil || len(opts) != 3 || opts[2].Label != "Legacy CRM sync (retired)" {
		t.Errorf("IntegrationOptions = %+v, %v; want the retired one last and marked", opts, err)
	}
}
