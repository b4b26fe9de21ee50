package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"steward/db"
)

func mustSystemUser(t *testing.T, s *db.Store, in db.SystemUserInput) int64 {
	t.Helper()
	sid, err := s.CreateSystemUser(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateSystemUser(%+v): %v", in, err)
	}
	return sid
}

func systemUserID(u db.SystemUser) int64 { return u.ID }

// idsOf lists the records' IDs in order, to compare a list with the one expected.
func idsOf[T any](items []T, id func(T) int64) []int64 {
	var out []int64
	for _, item := range items {
		out = append(out, id(item))
	}
	return out
}

func TestSystemUserValidation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	other := mustAccount(t, s, db.AccountInput{Name: "Other BM", Platform: "Meta"})
	first := mustSystemUser(t, s, db.SystemUserInput{Name: "capi", AccountID: id(bm), ExternalID: "6155"})
	before := events(t, s)

	cases := []struct {
		name  string
		in    db.SystemUserInput
		field string
	}{
		{"no name", db.SystemUserInput{AccountID: id(bm)}, "name"},
		{"no account", db.SystemUserInput{Name: "sync"}, "account_id"},
		{"missing account", db.SystemUserInput{Name: "sync", AccountID: "999"}, "account_id"},
		{"missing owner", db.SystemUserInput{Name: "sync", AccountID: id(bm), ResponsibleOwnerID: "999"}, "responsible_owner_id"},
		{"missing integration", db.SystemUserInput{Name: "sync", AccountID: id(bm), IntegrationID: "999"}, "integration_id"},
		{"integration not a number", db.SystemUserInput{Name: "sync", AccountID: id(bm), IntegrationID: "-1"}, "integration_id"},
		{"unknown status", db.SystemUserInput{Name: "sync", AccountID: id(bm), Status: "retired"}, "status"},
		{"same external ID in the same account", db.SystemUserInput{Name: "capi again", AccountID: id(bm), ExternalID: " 6155 "}, "external_id"},
	}
	for _, tc := range cases {
		_, err := s.CreateSystemUser(ctx, actor, tc.in)
		validationError(t, err, tc.field)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM system_users"); n != 1 {
		t.Errorf("system users = %d after refused creates, want 1", n)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused changes wrote %d events", n)
	}

	// The same platform ID in another account is another identity; the admin
	// checkbox stores 1, and an edit may keep its own external ID.
	second := mustSystemUser(t, s, db.SystemUserInput{Name: "capi", AccountID: id(other), ExternalID: "6155", Admin: "1"})
	if got := count(t, s, "SELECT admin FROM system_users WHERE id = ?", second); got != 1 {
		t.Errorf("admin = %d, want 1", got)
	}
	if err := s.UpdateSystemUser(ctx, actor, first, db.SystemUserInput{Name: "capi", AccountID: id(bm), ExternalID: "6155", Notes: "kept"}); err != nil {
		t.Errorf("updating a system user with its own external ID: %v", err)
	}
	validationError(t, s.UpdateSystemUser(ctx, actor, second, db.SystemUserInput{Name: "capi", AccountID: id(bm), ExternalID: "6155"}), "external_id")
	if got := count(t, s, "SELECT account_id FROM system_users WHERE id = ?", second); got != other {
		t.Errorf("a refused move changed the account to %d", got)
	}
	if err := s.UpdateSystemUser(ctx, actor, 999, db.SystemUserInput{Name: "x", AccountID: id(bm)}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("UpdateSystemUser(999) = %v, want ErrNotFound", err)
	}
}

func TestSystemUserEventsShowOnRelatedTimelines(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	kenji := mustOwner(t, s, db.OwnerInput{Name: "Kenji"})
	bm := mustAccount(t, s, db.AccountInput{Name: "Northwind BM", Platform: "Meta"})
	capi := mustIntegration(t, s, db.IntegrationInput{Name: "Conversions API"})
	crm := mustIntegration(t, s, db.IntegrationInput{Name: "CRM sync"})
	su := mustSystemUser(t, s, db.SystemUserInput{Name: "capi-admin", AccountID: id(bm), ExternalID: "6155", Admin: "1",
		ResponsibleOwnerID: id(kenji), IntegrationID: id(capi)})

	ev := latestEvent(t, s)
	if ev.Action != "system_user.created" || ev.RecordKind != "system_user" || ev.RecordID != su {
		t.Fatalf("event = %s on %s #%d", ev.Action, ev.RecordKind, ev.RecordID)
	}
	for field, want := range map[string]string{"name": "capi-admin", "account": "Northwind BM (#" + id(bm) + ")", "admin": "yes",
		"responsible_owner": "Kenji (#" + id(kenji) + ")", "integration": "Conversions API (#" + id(capi) + ")", "status": "active"} {
		if c, ok := change(ev, field); !ok || c.Before != "" || c.After != want {
			t.Errorf("created %s = %+v, %v; want '' → %q", field, c, ok, want)
		}
	}
	timelineStarts := func(action string, refs ...db.Ref) {
		t.Helper()
		for _, ref := range refs {
			page, err := s.Timeline(ctx, ref, 0, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Events) == 0 || page.Events[0].Action != action || page.Events[0].RecordID != su {
				t.Errorf("%s #%d timeline does not start with %s of system user %d: %+v", ref.Kind, ref.ID, action, su, page.Events)
			}
		}
	}
	timelineStarts("system_user.created", db.Ref{Kind: "system_user", ID: su}, db.Ref{Kind: "account", ID: bm},
		db.Ref{Kind: "owner", ID: kenji}, db.Ref{Kind: "integration", ID: capi})

	// Moving it to another integration, without an owner, shows on both
	// integrations' timelines and the old owner's.
	if err := s.UpdateSystemUser(ctx, actor, su, db.SystemUserInput{Name: "capi-admin", AccountID: id(bm), ExternalID: "6155",
		Admin: "1", IntegrationID: id(crm)}); err != nil {
		t.Fatal(err)
	}
	ev = latestEvent(t, s)
	if ev.Action != "system_user.updated" || len(ev.Changes) != 2 {
		t.Errorf("update event = %s %+v, want two changes", ev.Action, ev.Changes)
	}
	if c, ok := change(ev, "integration"); !ok || c.Before != "Conversions API (#"+id(capi)+")" || c.After != "CRM sync (#"+id(crm)+")" {
		t.Errorf("integration change = %+v, %v", c, ok)
	}
	if c, ok := change(ev, "responsible_owner"); !ok || c.Before != "Kenji (#"+id(kenji)+")" || c.After != "" {
		t.Errorf("responsible_owner change = %+v, %v", c, ok)
	}
	timelineStarts("system_user.updated", db.Ref{Kind: "integration", ID: capi}, db.Ref{Kind: "integration", ID: crm},
		db.Ref{Kind: "owner", ID: kenji}, db.Ref{Kind: "account", ID: bm})

	// Removing keeps the row as removed, once.
	before := events(t, s)
	for range 2 {
		if err := s.RemoveSystemUser(ctx, actor, su); err != nil {
			t.Fatal(err)
		}
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("removing twice wrote %d events, want 1", n)
	}
	ev = latestEvent(t, s)
	if c, ok := change(ev, "status"); ev.Action != "system_user.removed" || !ok || c.Before != "active" || c.After != "removed" || len(ev.Changes) != 1 {
		t.Errorf("remove event = %s %+v", ev.Action, ev.Changes)
	}
	timelineStarts("system_user.removed", db.Ref{Kind: "system_user", ID: su}, db.Ref{Kind: "integration", ID: crm})
	u, err := s.SystemUserByID(ctx, su)
	if err != nil || u.Status != db.SystemUserRemoved || !u.Admin || u.IntegrationName != "CRM sync" || u.AccountName != "Northwind BM" {
		t.Errorf("removed system user = %+v, %v", u, err)
	}
	if err := s.RemoveSystemUser(ctx, actor, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RemoveSystemUser(999) = %v, want ErrNotFound", err)
	}
}

func TestSystemUsersHoldRoles(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	ads := mustAccount(t, s, db.AccountInput{Name: "Ads", Platform: "Meta", ParentID: id(bm)})
	su := mustSystemUser(t, s, db.SystemUserInput{Name: "reporting", AccountID: id(bm)})
	role := mustRole(t, s, db.RoleInput{AccountID: id(ads), SystemUserID: id(su), Role: "Analyst"})

	page, err := s.ListRoles(ctx, db.ListParams{}, db.RoleFilter{SystemUserID: su})
	if err != nil || page.Total != 1 || page.Items[0].ID != role || page.Items[0].HolderKind() != "system_user" || page.Items[0].HolderName != "reporting" {
		t.Errorf("the system user's roles = %+v, %v", page.Items, err)
	}
	if u, err := s.SystemUserByID(ctx, su); err != nil || u.ActiveRoles != 1 {
		t.Errorf("ActiveRoles = %d, %v; want 1", u.ActiveRoles, err)
	}
	tl, err := s.Timeline(ctx, db.Ref{Kind: "system_user", ID: su}, 0, 20)
	if err != nil || tl.Events[0].Action != "role.created" || tl.Events[0].RecordID != role {
		t.Errorf("system user timeline = %+v, %v; want role.created first", tl.Events, err)
	}
	if c, ok := change(tl.Events[0], "holder"); !ok || c.After != "system user reporting (#"+id(su)+")" {
		t.Errorf("role holder change = %+v, %v", c, ok)
	}
	if err := s.RemoveRole(ctx, actor, role); err != nil {
		t.Fatal(err)
	}
	if u, err := s.SystemUserByID(ctx, su); err != nil || u.ActiveRoles != 0 {
		t.Errorf("ActiveRoles after removal = %d, %v; want 0", u.ActiveRoles, err)
	}
}

func TestSystemUserLists(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	bm := mustAccount(t, s, db.AccountInput{Name: "Northwind BM", Platform: "Meta"})
	gh := mustAccount(t, s, db.AccountInput{Name: "northwind-org", Platform: "GitHub"})
	looker := mustIntegration(t, s, db.IntegrationInput{Name: "Looker Studio reporting"})
	reporting := mustSystemUser(t, s, db.SystemUserInput{Name: "looker-reporting", AccountID: id(bm), ExternalID: "61550001",
		ResponsibleOwnerID: id(ada), IntegrationID: id(looker)})
	capi := mustSystemUser(t, s, db.SystemUserInput{Name: "capi-admin", AccountID: id(bm), ExternalID: "61550002", Admin: "1"})
	bot := mustSystemUser(t, s, db.SystemUserInput{Name: "deploy-bot", AccountID: id(gh), ResponsibleOwnerID: id(ada), Status: "removed"})

	for _, tc := range []struct {
		p    db.ListParams
		want []int64
	}{
		{db.ListParams{}, []int64{capi, bot, reporting}},
		{db.ListParams{Q: "61550002"}, []int64{capi}},     // external ID
		{db.ListParams{Q: "northwind-ORG"}, []int64{bot}}, // account name
		{db.ListParams{Q: "studio"}, []int64{reporting}},  // integration name
		{db.ListParams{Status: "removed"}, []int64{bot}},  // status filter
		{db.ListParams{Sort: "admin", Desc: true}, []int64{capi, bot, reporting}},
		{db.ListParams{Sort: "account"}, []int64{reporting, capi, bot}}, // then by ID
		{db.ListParams{Q: "_"}, nil},                                    // a LIKE wildcard matches itself only
		{db.ListParams{PerPage: 2, Page: 2}, []int64{reporting}},
	} {
		page, err := s.ListSystemUsers(ctx, tc.p, db.SystemUserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(page.Items, systemUserID); !slices.Equal(got, tc.want) {
			t.Errorf("ListSystemUsers(%+v) = %v, want %v", tc.p, got, tc.want)
		}
	}

	// The related lists on account, integration and owner pages, active first.
	related := map[string]db.SystemUserFilter{
		"of the BM":          {AccountID: bm},
		"of Looker":          {IntegrationID: looker},
		"Ada answers for":    {OwnerID: ada},
		"nobody answers for": {OwnerID: 999},
	}
	want := map[string][]int64{"of the BM": {reporting, capi}, "of Looker": {reporting}, "Ada answers for": {reporting, bot}, "nobody answers for": nil}
	for name, f := range related {
		users, err := s.ListSystemUsers(ctx, db.ListParams{Sort: "status"}, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(users.Items, systemUserID); !slices.Equal(got, want[name]) || users.Total != len(want[name]) {
			t.Errorf("system users %s = %v, want %v", name, got, want[name])
		}
	}

	opts, err := s.SystemUserOptions(ctx, "", 10)
	if err != nil || len(opts) != 3 || opts[0].Label != "capi-admin — Northwind BM" || opts[2].Label != "deploy-bot — northwind-org (removed)" {
		t.Errorf("SystemUserOptions = %+v, %v; want labels with the account, the removed one last", opts, err)
	}
}
