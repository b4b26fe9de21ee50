package db_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// clWorld is a small company built through the Store's public methods: a
// person who leaves (Ada) touching every kind of record, a person who stays
// (Bob), and records that must not show up on Ada's checklist.
type clWorld struct {
	s                                   *db.Store
	ada, bob                            int64 // owners
	metaBM, adAccount, github           int64 // accounts: Meta Business Manager, Meta ad account, GitHub org
	adaMetaRole, adaGitHubRole, bobRole int64 // roles
	capiRole                            int64 // the system user capi's role on the ad account
	capi                                int64 // system user on the Business Manager, Ada answers for it, used by crm
	crm                                 int64 // integration Ada answers for
	patTok, capiTok, createdTok         int64 // tokens: issued to Ada; Ada answers for; Ada created
	adaLogin                            int64 // Ada's enabled Steward login
}

// clDay0 is the date the checklist tests start on.
var clDay0 = time.Date(2025, time.June, 2, 10, 0, 0, 0, time.UTC)

// clDay is the date n days after clDay0 as YYYY-MM-DD.
func clDay(n int) string { return clDay0.AddDate(0, 0, n).Format("2006-01-02") }

// clSetDay moves the store's clock to n days after clDay0.
func clSetDay(s *db.Store, n int) {
	now := clDay0.AddDate(0, 0, n)
	s.SetClock(func() time.Time { return now })
}

func clToken(t *testing.T, s *db.Store, in db.TokenInput) int64 {
	t.Helper()
	saved, err := s.CreateToken(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("CreateToken(%+v): %v", in, err)
	}
	return saved.ID
}

// clSafeToken is an API key someone answers for that expires in a year.
func clSafeToken(name string, responsible int64) db.TokenInput {
	return db.TokenInput{Name: name, Kind: "api_key", ResponsibleOwnerID: id(responsible), IssuedOn: clDay(0), ExpiresOn: clDay(365)}
}

// clEditOwner saves an owner's current fields with change applied.
func clEditOwner(t *testing.T, s *db.Store, ownerID int64, change func(*db.OwnerInput)) {
	t.Helper()
	o, err := s.OwnerByID(context.Background(), ownerID)
	if err != nil {
		t.Fatal(err)
	}
	in := o.Input()
	change(&in)
	if err := s.UpdateOwner(context.Background(), actor, ownerID, in); err != nil {
		t.Fatalf("UpdateOwner(%d): %v", ownerID, err)
	}
}

// clEditToken saves a token's current fields with change applied.
func clEditToken(t *testing.T, s *db.Store, tokenID int64, change func(*db.TokenInput)) {
	t.Helper()
	tok, err := s.TokenByID(context.Background(), tokenID)
	if err != nil {
		t.Fatal(err)
	}
	in := tok.Input()
	change(&in)
	if _, err := s.UpdateToken(context.Background(), actor, tokenID, in); err != nil {
		t.Fatalf("UpdateToken(%d): %v", tokenID, err)
	}
}

// clFindings computes the findings by kind.
func clFindings(t *testing.T, s *db.Store) map[string]db.Finding {
	t.Helper()
	fs, err := s.Findings(context.Background())
	if err != nil {
		t.Fatalf("Findings: %v", err)
	}
	out := map[string]db.Finding{}
	for _, f := range fs {
		out[f.Kind] = f
	}
	return out
}

func clHasItem(f db.Finding, kind string, rid int64, name string) bool {
	return slices.ContainsFunc(f.Items, func(it db.FindingItem) bool { return it.Kind == kind && it.ID == rid && it.Name == name })
}

const (
	metaURL   = "https://business.facebook.com/settings/?business_id=1001"
	githubURL = "https://github.com/orgs/acme"
)

func clFixture(t *testing.T) *clWorld {
	t.Helper()
	ctx := context.Background()
	s := openStore(t)
	clSetDay(s, 0)
	w := &clWorld{s: s}
	w.ada = mustOwner(t, s, db.OwnerInput{Name: "Ada Leaver", Email: "ada@example.com"})
	w.bob = mustOwner(t, s, db.OwnerInput{Name: "Bob Stayer", Email: "bob@example.com"})
	w.metaBM = mustAccount(t, s, db.AccountInput{Name: "Acme BM", Platform: "Meta", Kind: "Business Manager", URL: metaURL})
	w.adAccount = mustAccount(t, s, db.AccountInput{Name: "Acme Ads", Platform: "Meta", Kind: "Ad account", ParentID: id(w.metaBM)})
	w.github = mustAccount(t, s, db.AccountInput{Name: "Acme GitHub", Platform: "GitHub", URL: githubURL, OwnerID: id(w.ada)})

	w.adaMetaRole = mustRole(t, s, db.RoleInput{AccountID: id(w.metaBM), OwnerID: id(w.ada), Role: "Admin", Admin: "1"})
	w.adaGitHubRole = mustRole(t, s, db.RoleInput{AccountID: id(w.github), OwnerID: id(w.ada), Role: "Member"})
	w.bobRole = mustRole(t, s, db.RoleInput{AccountID: id(w.metaBM), OwnerID: id(w.bob), Role: "Admin", Admin: "1"})
	gone := mustRole(t, s, db.RoleInput{AccountID: id(w.adAccount), OwnerID: id(w.ada), Role: "Advertiser"})
	if err := s.RemoveRole(ctx, actor, gone); err != nil {
		t.Fatal(err)
	}

	w.crm = mustIntegration(t, s, db.IntegrationInput{Name: "CRM sync", ResponsibleOwnerID: id(w.ada)})
	old := mustIntegration(t, s, db.IntegrationInput{Name: "Old script", ResponsibleOwnerID: id(w.ada)})
	if err := s.RetireIntegration(ctx, actor, old); err != nil {
		t.Fatal(err)
	}
	w.capi = mustSystemUser(t, s, db.SystemUserInput{Name: "capi", AccountID: id(w.metaBM), ResponsibleOwnerID: id(w.ada),
		IntegrationID: id(w.crm)})
	w.capiRole = mustRole(t, s, db.RoleInput{AccountID: id(w.adAccount), SystemUserID: id(w.capi), Role: "Advertiser"})

	w.patTok = clToken(t, s, db.TokenInput{Name: "Ada's PAT", Kind: "personal_access_token", AccountID: id(w.github),
		OwnerID: id(w.ada), ResponsibleOwnerID: id(w.ada), IssuedOn: clDay(0)})
	w.capiTok = clToken(t, s, db.TokenInput{Name: "CAPI token", Kind: "system_user_token", AccountID: id(w.metaBM),
		SystemUserID: id(w.capi), IntegrationID: id(w.crm), ResponsibleOwnerID: id(w.ada), CreatedByOwnerID: id(w.bob),
		StoredIn: "Vault › prod/capi", IssuedOn: clDay(0)})
	w.createdTok = clToken(t, s, db.TokenInput{Name: "Deploy key", Kind: "api_key", AccountID: id(w.github),
		ResponsibleOwnerID: id(w.bob), CreatedByOwnerID: id(w.ada), IssuedOn: clDay(0)})
	revoked := clToken(t, s, db.TokenInput{Name: "Old key", Kind: "api_key", ResponsibleOwnerID: id(w.ada), IssuedOn: clDay(0)})
	if err := s.RevokeToken(ctx, actor, revoked); err != nil {
		t.Fatal(err)
	}

	var err error
	w.adaLogin, err = s.CreateUser(ctx, actor, db.UserInput{Email: "ada@example.com", Password: "correct horse battery staple",
		Role: db.RoleEditor, OwnerID: id(w.ada)})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct{ kind, text string }{{"owner", "Collect the laptop"}, {"integration", "Remove it from the runbook"},
		{"token", "Tell the security channel"}} {
		if err := s.AddStandingItem(ctx, actor, st.kind, st.text); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// itemKey is what a test compares an item by.
func itemKey(it db.ChecklistItem) string {
	return fmt.Sprintf("%s %s#%d", it.Action, it.TargetKind, it.TargetID)
}

func plan(t *testing.T, s *db.Store, kind string, rid int64) []db.ChecklistItem {
	t.Helper()
	items, err := s.PlanChecklist(context.Background(), kind, rid)
	if err != nil {
		t.Fatalf("PlanChecklist(%s, %d): %v", kind, rid, err)
	}
	for i, it := range items {
		if it.Position != i+1 {
			t.Errorf("item %d (%s) has position %d", i, it.Title, it.Position)
		}
		if it.Title == "" {
			t.Errorf("item %d (%s) has no title", i, itemKey(it))
		}
	}
	return items
}

// expectItems compares a checklist's items with the wanted keys, in order.
func expectItems(t *testing.T, items []db.ChecklistItem, want ...string) {
	t.Helper()
	var got []string
	for _, it := range items {
		got = append(got, itemKey(it))
	}
	if !slices.Equal(got, want) {
		t.Errorf("items:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func key(action, kind string, rid int64) string { return fmt.Sprintf("%s %s#%d", action, kind, rid) }

func standing() string { return key(db.ActStanding, "", 0) }
func manual() string   { return key(db.ActManual, "", 0) }

// find returns the item acting on target, failing when there is none.
func find(t *testing.T, items []db.ChecklistItem, action, kind string, rid int64) db.ChecklistItem {
	t.Helper()
	for _, it := range items {
		if it.Action == action && it.TargetKind == kind && it.TargetID == rid {
			return it
		}
	}
	t.Fatalf("no %s item for %s #%d", action, kind, rid)
	return db.ChecklistItem{}
}

func expectMetaSteps(t *testing.T, it db.ChecklistItem, mentions ...string) {
	t.Helper()
	if !strings.Contains(it.Steps, "Business Settings") {
		t.Errorf("%q: steps %q are not Meta's (no Business Settings)", it.Title, it.Steps)
	}
	for _, m := range mentions {
		if !strings.Contains(it.Steps, m) {
			t.Errorf("%q: steps %q do not mention %q", it.Title, it.Steps, m)
		}
	}
}

func expectGenericSteps(t *testing.T, it db.ChecklistItem, platform, url string) {
	t.Helper()
	if strings.Contains(it.Steps, "Business Settings") || !strings.Contains(it.Steps, platform+"'s admin console") {
		t.Errorf("%q: steps %q, want the generic step for %s", it.Title, it.Steps, platform)
	}
	if it.URL != url {
		t.Errorf("%q: URL %q, want the account's %q", it.Title, it.URL, url)
	}
}

func TestChecklistContents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	// A login of hers that is already disabled needs nothing.
	off, err := s.CreateUser(ctx, actor, db.UserInput{Email: "ada.old@example.com", Password: "correct horse battery staple",
		Role: db.RoleViewer, OwnerID: id(w.ada)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, actor, off, true); err != nil {
		t.Fatal(err)
	}

	t.Run("owner", func(t *testing.T) {
		items := plan(t, s, "owner", w.ada)
		expectItems(t, items,
			key(db.ActRemoveRole, "role", w.adaGitHubRole), // GitHub sorts before Meta
			key(db.ActRemoveRole, "role", w.adaMetaRole),
			key(db.ActRevokeToken, "token", w.patTok),
			key(db.ActReassignToken, "token", w.capiTok),
			key(db.ActRotateToken, "token", w.createdTok),
			key(db.ActReassignSystemUser, "system_user", w.capi),
			key(db.ActReassignIntegration, "integration", w.crm),
			key(db.ActReassignAccount, "account", w.github),
			key(db.ActDisableLogin, "user", w.adaLogin),
			standing())
		meta := find(t, items, db.ActRemoveRole, "role", w.adaMetaRole)
		expectMetaSteps(t, meta, "Ada Leaver")
		if meta.URL != metaURL || !strings.Contains(meta.Title, "Acme BM") || !strings.Contains(meta.Title, "Admin") {
			t.Errorf("Meta role item %+v: want the account's URL and name and the role", meta)
		}
		expectGenericSteps(t, find(t, items, db.ActRemoveRole, "role", w.adaGitHubRole), "GitHub", githubURL)
		expectMetaSteps(t, find(t, items, db.ActReassignToken, "token", w.capiTok), "capi")
		expectGenericSteps(t, find(t, items, db.ActRevokeToken, "token", w.patTok), "GitHub", githubURL)
		rotate := find(t, items, db.ActRotateToken, "token", w.createdTok)
		if !strings.Contains(rotate.Title, "Deploy key") || !strings.Contains(rotate.Steps, "new value") {
			t.Errorf("rotate item %+v", rotate)
		}
		if login := find(t, items, db.ActDisableLogin, "user", w.adaLogin); !strings.Contains(login.Title, "ada@example.com") {
			t.Errorf("login item title %q lacks the login's email", login.Title)
		}
		if last := items[len(items)-1]; last.Title != "Collect the laptop" {
			t.Errorf("standing item title %q", last.Title)
		}
		// Bob's checklist has his role and the token he rotates, nothing of Ada's.
		expectItems(t, plan(t, s, "owner", w.bob),
			key(db.ActRemoveRole, "role", w.bobRole),
			key(db.ActReassignToken, "token", w.createdTok),
			key(db.ActRotateToken, "token", w.capiTok),
			standing())
	})

	t.Run("integration", func(t *testing.T) {
		items := plan(t, s, "integration", w.crm)
		expectItems(t, items,
			key(db.ActRevokeToken, "token", w.capiTok),
			key(db.ActRemoveSystemUser, "system_user", w.capi),
			key(db.ActRemoveRole, "role", w.capiRole),
			standing())
		expectMetaSteps(t, items[0], "capi", "Revoke tokens")
		expectMetaSteps(t, items[1], "capi")
		expectMetaSteps(t, items[2], "Ad accounts", "Acme Ads", "capi")
		if items[3].Title != "Remove it from the runbook" {
			t.Errorf("standing item %q", items[3].Title)
		}
	})

	t.Run("system user", func(t *testing.T) {
		items := plan(t, s, "system_user", w.capi)
		expectItems(t, items,
			key(db.ActRevokeToken, "token", w.capiTok),
			key(db.ActRemoveRole, "role", w.capiRole),
			key(db.ActRemoveSystemUser, "system_user", w.capi))
		for _, it := range items {
			expectMetaSteps(t, it)
		}
	})

	t.Run("account", func(t *testing.T) {
		expectItems(t, plan(t, s, "account", w.metaBM),
			key(db.ActRemoveRole, "role", w.adaMetaRole),
			key(db.ActRemoveRole, "role", w.bobRole),
			key(db.ActRevokeToken, "token", w.capiTok))
		items := plan(t, s, "account", w.github)
		expectItems(t, items,
			key(db.ActRemoveRole, "role", w.adaGitHubRole),
			key(db.ActRevokeToken, "token", w.patTok),
			key(db.ActRevokeToken, "token", w.createdTok))
		for _, it := range items {
			expectGenericSteps(t, it, "GitHub", githubURL)
		}
	})

	t.Run("token", func(t *testing.T) {
		items := plan(t, s, "token", w.capiTok)
		expectItems(t, items,
			key(db.ActRevokeToken, "token", w.capiTok),
			manual(),
			key(db.ActManual, "integration", w.crm),
			manual(),
			standing())
		expectMetaSteps(t, items[0], "capi", "Revoke tokens")
		if items[0].URL != metaURL {
			t.Errorf("revoke item URL %q, want %q", items[0].URL, metaURL)
		}
		if !strings.Contains(items[1].Title, "Vault › prod/capi") {
			t.Errorf("stored-in item %q does not say where", items[1].Title)
		}
		if !strings.Contains(items[2].Title, "CRM sync") {
			t.Errorf("integration item %q does not name it", items[2].Title)
		}
		if !strings.HasPrefix(items[3].Title, "Confirm") {
			t.Errorf("last platform item %q is not the confirmation", items[3].Title)
		}
		// A token with no integration and no storage still asks where it is stored.
		pat := plan(t, s, "token", w.patTok)
		expectItems(t, pat, key(db.ActRevokeToken, "token", w.patTok), manual(), manual(), standing())
		expectGenericSteps(t, pat[0], "GitHub", githubURL)
	})

	t.Run("token of a Meta system user without an account of its own", func(t *testing.T) {
		tok := clToken(t, s, db.TokenInput{Name: "Bare CAPI token", Kind: "system_user_token", SystemUserID: id(w.capi),
			ResponsibleOwnerID: id(w.bob), IssuedOn: clDay(0)})
		items := plan(t, s, "token", tok)
		expectMetaSteps(t, items[0], "capi", "Revoke tokens")
		if items[0].URL != metaURL {
			t.Errorf("revoke item URL %q, want the system user's account %q", items[0].URL, metaURL)
		}
		expectMetaSteps(t, find(t, plan(t, s, "system_user", w.capi), db.ActRevokeToken, "token", tok), "capi")
		// It reaches the system user's account.
		find(t, plan(t, s, "account", w.metaBM), db.ActRevokeToken, "token", tok)
	})

	t.Run("role", func(t *testing.T) {
		items := plan(t, s, "role", w.adaMetaRole)
		expectItems(t, items, key(db.ActRemoveRole, "role", w.adaMetaRole), manual())
		expectMetaSteps(t, items[0], "Ada Leaver", "Remove from business")
		if !strings.HasPrefix(items[1].Title, "Confirm") {
			t.Errorf("role confirmation %q", items[1].Title)
		}
	})

	t.Run("unknown kind", func(t *testing.T) {
		if _, err := s.PlanChecklist(context.Background(), "user", w.adaLogin); err != db.ErrNotFound {
			t.Errorf("PlanChecklist(user) = %v, want ErrNotFound", err)
		}
	})
}

// start saves a checklist, failing the test on error.
func start(t *testing.T, s *db.Store, kind string, rid int64, due string) db.Checklist {
	t.Helper()
	ctx := context.Background()
	cid, err := s.StartChecklist(ctx, actor, kind, rid, due)
	if err != nil {
		t.Fatalf("StartChecklist(%s, %d): %v", kind, rid, err)
	}
	return checklist(t, s, cid)
}

func checklist(t *testing.T, s *db.Store, cid int64) db.Checklist {
	t.Helper()
	c, err := s.ChecklistByID(context.Background(), cid)
	if err != nil {
		t.Fatalf("ChecklistByID(%d): %v", cid, err)
	}
	return c
}

// eventsFor counts the events of one action on one record.
func eventsFor(t *testing.T, s *db.Store, action, kind string, rid int64) int64 {
	t.Helper()
	return count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = ? AND record_kind = ? AND record_id = ?", action, kind, rid)
}

// lastEventOf is the newest event of an action.
func lastEventOf(t *testing.T, s *db.Store, action string) db.AuditEvent {
	t.Helper()
	evs, err := s.RecentEvents(context.Background(), 200, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no %s event", action)
	return db.AuditEvent{}
}

func TestStartChecklist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	planned := plan(t, s, "owner", w.ada)
	before := events(t, s)
	c := start(t, s, "owner", w.ada, clDay(14))
	if c.Status != "open" || c.DueOn != clDay(14) || c.StartedBy != actor.Email || c.StartedAt == "" || c.SubjectKind != "owner" || c.SubjectID != w.ada {
		t.Errorf("started checklist %+v", c)
	}
	if len(c.Items) != len(planned) {
		t.Fatalf("saved %d items, planned %d", len(c.Items), len(planned))
	}
	for i, it := range c.Items {
		p := planned[i]
		if it.ID == 0 || it.Done || it.AddedLater || itemKey(it) != itemKey(p) || it.Title != p.Title || it.Steps != p.Steps || it.URL != p.URL {
			t.Errorf("saved item %d %+v differs from planned %+v", i, it, p)
		}
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("starting wrote %d events, want 1", n)
	}
	ev := lastEventOf(t, s, "checklist.started")
	if ev.RecordKind != "checklist" || ev.RecordID != c.ID || !strings.Contains(ev.Summary, "Ada Leaver") {
		t.Errorf("checklist.started event %+v", ev)
	}
	// It shows on the owner's timeline.
	tl, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: w.ada}, 0, 5)
	if err != nil || len(tl.Events) == 0 || tl.Events[0].Action != "checklist.started" {
		t.Errorf("owner timeline %+v (%v) does not start with checklist.started", tl.Events, err)
	}

	// Starting again returns the open one and writes nothing.
	before = events(t, s)
	again, err := s.StartChecklist(ctx, actor, "owner", w.ada, clDay(30))
	if err != nil || again != c.ID {
		t.Errorf("second StartChecklist = %d, %v; want the open %d", again, err, c.ID)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM checklists"); n != 1 || events(t, s) != before {
		t.Errorf("second start: %d checklists, %d new events", n, events(t, s)-before)
	}
	latest, err := s.LatestChecklist(ctx, "owner", w.ada)
	if err != nil || latest.ID != c.ID || len(latest.Items) != len(c.Items) {
		t.Errorf("LatestChecklist = %d (%d items), %v", latest.ID, len(latest.Items), err)
	}

	// The due date defaults to the leaving date; a bad date is refused.
	clEditOwner(t, s, w.bob, func(in *db.OwnerInput) { in.Status, in.LeavingOn = db.OwnerOffboarding, clDay(7) })
	if bob := start(t, s, "owner", w.bob, ""); bob.DueOn != clDay(7) {
		t.Errorf("Bob's checklist due %q, want his leaving date %s", bob.DueOn, clDay(7))
	}
	_, err = s.StartChecklist(ctx, actor, "integration", w.crm, "soon")
	validationError(t, err, "due_on")
	if _, err := s.StartChecklist(ctx, actor, "owner", 9999, ""); err != db.ErrNotFound {
		t.Errorf("StartChecklist(missing owner) = %v, want ErrNotFound", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM checklists"); n != 2 {
		t.Errorf("%d checklists after the refused starts, want 2", n)
	}
}

// checklistState is everything a refused tick must leave as it was.
func checklistState(t *testing.T, s *db.Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT json_group_array(json_array(id, done, done_by, done_at, note)) FROM checklist_items`,
		`SELECT json_group_array(json_array(id, status, responsible_owner_id, last_rotated_on, updated_at)) FROM tokens`,
		`SELECT json_group_array(json_array(id, status, updated_at)) FROM roles`,
		`SELECT json_group_array(json_array(id, status, owner_id, updated_at)) FROM system_users`,
		`SELECT json_group_array(json_array(id, status, owner_id, updated_at)) FROM integrations`,
		`SELECT json_group_array(json_array(id, status, owner_id, updated_at)) FROM accounts`,
		`SELECT json_group_array(json_array(id, disabled)) FROM users`,
		`SELECT COUNT(*) FROM sessions`,
		`SELECT COUNT(*) FROM audit_events`,
	} {
		b.WriteString(str(t, s, q))
		b.WriteByte('\n')
	}
	return b.String()
}

func tick(t *testing.T, s *db.Store, cid, iid int64, in db.TickInput) {
	t.Helper()
	if err := s.TickItem(context.Background(), actor, cid, iid, in); err != nil {
		t.Fatalf("TickItem(%d, %d, %+v): %v", cid, iid, in, err)
	}
}

func itemDone(t *testing.T, s *db.Store, iid int64) bool {
	t.Helper()
	return count(t, s, "SELECT done FROM checklist_items WHERE id = ?", iid) == 1
}

// TestTickCarriesOut ticks each kind of item with carry-out and checks the
// record changed, with its audit event and the tick's, together.
func TestTickCarriesOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	clSetDay(s, 3)
	c := start(t, s, "owner", w.ada, "")
	item := func(action, kind string, rid int64) int64 { return find(t, c.Items, action, kind, rid).ID }

	t.Run("remove role", func(t *testing.T) {
		iid := item(db.ActRemoveRole, "role", w.adaMetaRole)
		before := events(t, s)
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true, Note: "removed in BM"})
		if st := str(t, s, "SELECT status FROM roles WHERE id = ?", w.adaMetaRole); st != "removed" {
			t.Errorf("role status %q, want removed", st)
		}
		if eventsFor(t, s, "role.removed", "role", w.adaMetaRole) != 1 || eventsFor(t, s, "checklist.item_done", "checklist", c.ID) != 1 {
			t.Error("want one role.removed and one checklist.item_done event")
		}
		if n := events(t, s) - before; n != 2 {
			t.Errorf("the tick wrote %d events, want 2 (the carry-out and the tick)", n)
		}
		got := checklist(t, s, c.ID)
		it := find(t, got.Items, db.ActRemoveRole, "role", w.adaMetaRole)
		if !it.Done || it.DoneBy != actor.Email || it.DoneAt == "" || it.Note != "removed in BM" {
			t.Errorf("ticked item %+v", it)
		}
		ev := lastEventOf(t, s, "checklist.item_done")
		if c, ok := change(ev, "note"); !ok || c.After != "removed in BM" {
			t.Errorf("item_done event changes %+v lack the note", ev.Changes)
		}
		// The removal shows on the owner's and the checklist's timelines.
		for _, ref := range []db.Ref{{Kind: "owner", ID: w.ada}, {Kind: "checklist", ID: c.ID}} {
			tl, err := s.Timeline(ctx, ref, 0, 3)
			if err != nil || len(tl.Events) == 0 {
				t.Fatalf("timeline of %v: %v", ref, err)
			}
			if a := tl.Events[0].Action; a != "checklist.item_done" {
				t.Errorf("newest event on %v's timeline is %s", ref, a)
			}
		}
	})

	t.Run("reassign token without an owner changes nothing", func(t *testing.T) {
		iid := item(db.ActReassignToken, "token", w.capiTok)
		before := checklistState(t, s)
		err := s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true})
		validationError(t, err, "owner_id")
		if after := checklistState(t, s); after != before {
			t.Errorf("a refused tick changed the database:\nbefore %s\nafter  %s", before, after)
		}
		if itemDone(t, s, iid) {
			t.Error("the item is done after a refused tick")
		}
		// A departed owner cannot take it over either.
		gone := mustOwner(t, s, db.OwnerInput{Name: "Gone Already"})
		clEditOwner(t, s, gone, func(in *db.OwnerInput) { in.Status = db.OwnerDeparted })
		before = checklistState(t, s)
		err = s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true, OwnerID: id(gone)})
		validationError(t, err, "owner_id")
		err = s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true, OwnerID: "x"})
		validationError(t, err, "owner_id")
		if after := checklistState(t, s); after != before {
			t.Error("a refused tick changed the database")
		}
	})

	t.Run("reassign token", func(t *testing.T) {
		iid := item(db.ActReassignToken, "token", w.capiTok)
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.bob)})
		if got := count(t, s, "SELECT responsible_owner_id FROM tokens WHERE id = ?", w.capiTok); got != w.bob {
			t.Errorf("responsible owner %d, want Bob %d", got, w.bob)
		}
		if st := str(t, s, "SELECT status FROM tokens WHERE id = ?", w.capiTok); st != "active" {
			t.Errorf("reassigned token is %s", st)
		}
		if eventsFor(t, s, "token.reassigned", "token", w.capiTok) != 1 {
			t.Error("no token.reassigned event")
		}
		ev := lastEventOf(t, s, "token.reassigned")
		if c, ok := change(ev, "responsible_owner"); !ok || !strings.HasPrefix(c.Before, "Ada Leaver") || !strings.HasPrefix(c.After, "Bob Stayer") {
			t.Errorf("token.reassigned changes %+v", ev.Changes)
		}
		if !itemDone(t, s, iid) {
			t.Error("item not done")
		}
	})

	t.Run("revoke token", func(t *testing.T) {
		iid := item(db.ActRevokeToken, "token", w.patTok)
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true})
		if st := str(t, s, "SELECT status FROM tokens WHERE id = ?", w.patTok); st != "revoked" {
			t.Errorf("token status %q, want revoked", st)
		}
		if eventsFor(t, s, "token.revoked", "token", w.patTok) != 1 {
			t.Error("no token.revoked event")
		}
	})

	t.Run("rotate token", func(t *testing.T) {
		iid := item(db.ActRotateToken, "token", w.createdTok)
		// Carrying out a rotation takes the new value.
		before := checklistState(t, s)
		validationError(t, s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true}), "secret")
		if checklistState(t, s) != before || itemDone(t, s, iid) {
			t.Error("a rotation without its new value changed the database")
		}
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true, Secret: "ghp_newdeploykeyvalue0123456789WXYZ"})
		if got := str(t, s, "SELECT last_rotated_on || '|' || fingerprint || '|' || last_four FROM tokens WHERE id = ?", w.createdTok); got !=
			clDay(3)+"|"+db.Fingerprint("ghp_newdeploykeyvalue0123456789WXYZ")+"|WXYZ" {
			t.Errorf("rotated token %q, want today %s and the new value's fingerprint", got, clDay(3))
		}
		if eventsFor(t, s, "token.rotated", "token", w.createdTok) != 1 {
			t.Error("no token.rotated event")
		}
	})

	t.Run("reassign system user, integration, account", func(t *testing.T) {
		for _, r := range []struct {
			action, kind, table, event string
			rid                        int64
		}{
			{db.ActReassignSystemUser, "system_user", "system_users", "system_user.reassigned", w.capi},
			{db.ActReassignIntegration, "integration", "integrations", "integration.reassigned", w.crm},
			{db.ActReassignAccount, "account", "accounts", "account.reassigned", w.github},
		} {
			iid := item(r.action, r.kind, r.rid)
			err := s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true})
			validationError(t, err, "owner_id")
			tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.bob)})
			if got := count(t, s, "SELECT owner_id FROM "+r.table+" WHERE id = ?", r.rid); got != w.bob {
				t.Errorf("%s %d owner %d, want Bob", r.kind, r.rid, got)
			}
			if eventsFor(t, s, r.event, r.kind, r.rid) != 1 {
				t.Errorf("no %s event", r.event)
			}
		}
	})

	t.Run("disable login", func(t *testing.T) {
		if err := s.SaveSession(ctx, "ada-session", w.adaLogin, []byte("{}")); err != nil {
			t.Fatal(err)
		}
		iid := item(db.ActDisableLogin, "user", w.adaLogin)
		tick(t, s, c.ID, iid, db.TickInput{Done: true, CarryOut: true})
		if count(t, s, "SELECT disabled FROM users WHERE id = ?", w.adaLogin) != 1 {
			t.Error("login not disabled")
		}
		if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", w.adaLogin); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if eventsFor(t, s, "user.disabled", "user", w.adaLogin) != 1 {
			t.Error("no user.disabled event")
		}
	})

	t.Run("without carry-out only the tick is recorded", func(t *testing.T) {
		iid := item(db.ActRemoveRole, "role", w.adaGitHubRole)
		before := events(t, s)
		tick(t, s, c.ID, iid, db.TickInput{Done: true})
		if st := str(t, s, "SELECT status FROM roles WHERE id = ?", w.adaGitHubRole); st != "active" {
			t.Errorf("role %s without carry-out", st)
		}
		if n := events(t, s) - before; n != 1 {
			t.Errorf("%d events, want 1", n)
		}
		// Reopening records it too.
		tick(t, s, c.ID, iid, db.TickInput{Done: false})
		if itemDone(t, s, iid) || eventsFor(t, s, "checklist.item_reopened", "checklist", c.ID) != 1 {
			t.Error("reopening did not undo the tick or was not audited")
		}
		if by := str(t, s, "SELECT done_by FROM checklist_items WHERE id = ?", iid); by != "" {
			t.Errorf("reopened item still done by %q", by)
		}
	})

	t.Run("standing items cannot be carried out", func(t *testing.T) {
		iid := item(db.ActStanding, "", 0)
		before := checklistState(t, s)
		err := s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true})
		validationError(t, err, "carry_out")
		if checklistState(t, s) != before {
			t.Error("a refused carry-out changed the database")
		}
		tick(t, s, c.ID, iid, db.TickInput{Done: true, Note: "laptop in the cupboard"})
	})

	t.Run("unknown item or checklist", func(t *testing.T) {
		if err := s.TickItem(ctx, actor, c.ID, 99999, db.TickInput{Done: true}); err != db.ErrNotFound {
			t.Errorf("unknown item: %v", err)
		}
		if err := s.TickItem(ctx, actor, 99999, c.Items[0].ID, db.TickInput{Done: true}); err != db.ErrNotFound {
			t.Errorf("unknown checklist: %v", err)
		}
		// An item of another checklist is not this one's.
		other := start(t, s, "integration", w.crm, "")
		if err := s.TickItem(ctx, actor, c.ID, other.Items[0].ID, db.TickInput{Done: true}); err != db.ErrNotFound {
			t.Errorf("another checklist's item: %v", err)
		}
	})

	if err := verify(s); err != nil {
		t.Error(err)
	}
}

func verify(s *db.Store) error {
	res, err := s.VerifyAudit(context.Background())
	if err != nil {
		return err
	}
	if res.BrokenID != 0 {
		return fmt.Errorf("audit chain broken: %+v", res)
	}
	return nil
}

// TestTickRefusedCarryOutIsAtomic: a carry-out refused half-way (the last
// admin's login) leaves the item open and writes nothing.
func TestTickRefusedCarryOutIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	o := mustOwner(t, s, db.OwnerInput{Name: "Only Admin"})
	login, err := s.CreateUser(ctx, actor, db.UserInput{Email: "only@example.com", Password: "correct horse battery staple",
		Role: db.RoleAdmin, OwnerID: id(o)})
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, s, "owner", o, "")
	iid := find(t, c.Items, db.ActDisableLogin, "user", login).ID
	before := checklistState(t, s)
	err = s.TickItem(ctx, actor, c.ID, iid, db.TickInput{Done: true, CarryOut: true, Note: "bye"})
	validationError(t, err, "disabled")
	if checklistState(t, s) != before {
		t.Error("a refused carry-out changed the database")
	}
}

func TestChecklistDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	c := start(t, s, "owner", w.ada, "")
	n := len(c.Items)

	// Ada is granted a new role after the checklist started.
	newRole := mustRole(t, s, db.RoleInput{AccountID: id(w.adAccount), OwnerID: id(w.ada), Role: "Analyst"})
	got := checklist(t, s, c.ID)
	if len(got.Items) != n+1 {
		t.Fatalf("%d items after the new role, want %d", len(got.Items), n+1)
	}
	added := got.Items[len(got.Items)-1]
	if itemKey(added) != key(db.ActRemoveRole, "role", newRole) || !added.AddedLater || added.Done || added.Position != n+1 {
		t.Errorf("added item %+v", added)
	}
	expectMetaSteps(t, added, "Ad accounts")
	ev := lastEventOf(t, s, "checklist.item_added")
	if ev.RecordKind != "checklist" || ev.RecordID != c.ID || !strings.Contains(ev.Summary, "Analyst") {
		t.Errorf("checklist.item_added event %+v", ev)
	}
	// The event that granted the role and the item_added one sit together.
	if e := lastEventOf(t, s, "role.created"); e.ID != ev.ID-1 {
		t.Errorf("role.created is event %d, item_added %d: not written together", e.ID, ev.ID)
	}

	// Saving the role again adds nothing twice; neither does other access
	// changing that the checklist already names.
	r, err := s.RoleByID(ctx, newRole)
	if err != nil {
		t.Fatal(err)
	}
	in := r.Input()
	in.Notes = "edited"
	if err := s.UpdateRole(ctx, actor, newRole, in); err != nil {
		t.Fatal(err)
	}
	clEditToken(t, s, w.capiTok, func(in *db.TokenInput) { in.Notes = "edited" })
	if got := checklist(t, s, c.ID); len(got.Items) != n+1 {
		t.Errorf("%d items after edits, want %d", len(got.Items), n+1)
	}

	// A new token Ada answers for joins too, flagged.
	tok := clToken(t, s, clSafeToken("New token", w.ada))
	got = checklist(t, s, c.ID)
	if it := find(t, got.Items, db.ActReassignToken, "token", tok); !it.AddedLater {
		t.Errorf("new token item %+v not flagged", it)
	}

	// A completed checklist gains nothing.
	if err := s.CompleteChecklist(ctx, actor, c.ID, "moving on"); err != nil {
		t.Fatal(err)
	}
	// (The completion disabled her login and made her departed: granting
	// her something afterwards is exactly what the finding catches.)
	total := count(t, s, "SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ?", c.ID)
	addedEvents := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'checklist.item_added'")
	mustRole(t, s, db.RoleInput{AccountID: id(w.github), OwnerID: id(w.ada), Role: "Owner"})
	if count(t, s, "SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ?", c.ID) != total ||
		count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'checklist.item_added'") != addedEvents {
		t.Error("a completed checklist gained an item")
	}
}

// TestChecklistDriftOtherKinds: access that appears after an integration's,
// system user's or account's checklist started joins it too.
func TestChecklistDriftOtherKinds(t *testing.T) {
	t.Parallel()
	w := clFixture(t)
	s := w.s
	integ := start(t, s, "integration", w.crm, "")
	su := start(t, s, "system_user", w.capi, "")
	acc := start(t, s, "account", w.adAccount, "")

	// The integration's system user is granted a role on the ad account.
	role := mustRole(t, s, db.RoleInput{AccountID: id(w.adAccount), SystemUserID: id(w.capi), Role: "Analyst"})
	for _, c := range []db.Checklist{integ, su, acc} {
		got := checklist(t, s, c.ID)
		if it := find(t, got.Items, db.ActRemoveRole, "role", role); !it.AddedLater {
			t.Errorf("%s checklist: new role item not flagged", c.SubjectKind)
		}
	}
	// A new token for the integration.
	in := clSafeToken("Second CRM token", w.bob)
	in.IntegrationID = id(w.crm)
	tok := clToken(t, s, in)
	if it := find(t, checklist(t, s, integ.ID).Items, db.ActRevokeToken, "token", tok); !it.AddedLater {
		t.Error("integration checklist: new token not flagged")
	}
	// A token for the system user that names no account reaches the
	// system user's account.
	bm := start(t, s, "account", w.metaBM, "")
	bare := clToken(t, s, db.TokenInput{Name: "Bare token", Kind: "system_user_token", SystemUserID: id(w.capi), IssuedOn: clDay(0)})
	for _, c := range []db.Checklist{bm, su} {
		if it := find(t, checklist(t, s, c.ID).Items, db.ActRevokeToken, "token", bare); !it.AddedLater {
			t.Errorf("%s checklist: the bare token is not flagged", c.SubjectKind)
		}
	}
}

func TestCompleteChecklist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	clSetDay(s, 5)
	c := start(t, s, "owner", w.ada, "")
	if err := s.SaveSession(ctx, "ada-session", w.adaLogin, []byte("{}")); err != nil {
		t.Fatal(err)
	}

	// Open items and no reason: refused, nothing changes.
	before := checklistState(t, s)
	err := s.CompleteChecklist(ctx, actor, c.ID, "  ")
	validationError(t, err, "reason")
	if checklistState(t, s) != before || checklist(t, s, c.ID).Status != "open" {
		t.Error("a refused completion changed the database")
	}

	// With a reason: completed, audited, the person departed and locked out.
	if err := s.CompleteChecklist(ctx, actor, c.ID, "Contractor account handled by IT"); err != nil {
		t.Fatal(err)
	}
	got := checklist(t, s, c.ID)
	if got.Status != "completed" || got.CompletedBy != actor.Email || got.CompletedAt == "" || got.Reason != "Contractor account handled by IT" {
		t.Errorf("completed checklist %+v", got)
	}
	ev := lastEventOf(t, s, "checklist.completed")
	if ch, ok := change(ev, "reason"); !ok || ch.After != "Contractor account handled by IT" {
		t.Errorf("checklist.completed changes %+v lack the reason", ev.Changes)
	}
	if ch, ok := change(ev, "open_items"); !ok || ch.After != fmt.Sprint(len(c.Items)) {
		t.Errorf("checklist.completed open_items %+v, want %d", ch, len(c.Items))
	}
	if st := str(t, s, "SELECT status FROM owners WHERE id = ?", w.ada); st != db.OwnerDeparted {
		t.Errorf("owner status %q, want departed", st)
	}
	if lo := str(t, s, "SELECT leaving_on FROM owners WHERE id = ?", w.ada); lo != clDay(5) {
		t.Errorf("leaving_on %q, want today %s", lo, clDay(5))
	}
	if count(t, s, "SELECT COUNT(*) FROM users WHERE owner_id = ? AND disabled = 0", w.ada) != 0 ||
		count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", w.adaLogin) != 0 {
		t.Error("a departed owner's login is still enabled or signed in")
	}
	// Completing twice is refused.
	validationError(t, s.CompleteChecklist(ctx, actor, c.ID, "again"), "reason")
	// Ticking a completed checklist is refused.
	validationError(t, s.TickItem(ctx, actor, c.ID, c.Items[0].ID, db.TickInput{Done: true}), "done")
	// A new checklist can start after it.
	if c2 := start(t, s, "owner", w.ada, ""); c2.ID == c.ID || c2.Status != "open" {
		t.Errorf("new checklist after completing: %+v", c2)
	}
	if err := verify(s); err != nil {
		t.Error(err)
	}
}

// TestCompleteMovesEverySubject: completing each kind's checklist, all
// items done, needs no reason and moves the subject to its final status.
func TestCompleteMovesEverySubject(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	for _, tc := range []struct {
		kind, table, status string
		rid                 int64
	}{
		{"role", "roles", "removed", w.bobRole},
		{"token", "tokens", "revoked", w.createdTok},
		{"system_user", "system_users", "removed", w.capi},
		{"integration", "integrations", "retired", w.crm},
		{"account", "accounts", "retired", w.github},
		{"owner", "owners", "departed", w.bob},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c := start(t, s, tc.kind, tc.rid, "")
			// Steward carries out what it can; completing then finds the
			// subject already there or moves it, never twice.
			for _, it := range c.Items {
				tick(t, s, c.ID, it.ID, db.TickInput{Done: true, CarryOut: db.CanCarryOut(it.Action) && !db.NeedsOwner(it.Action)})
			}
			if err := s.CompleteChecklist(ctx, actor, c.ID, ""); err != nil {
				t.Fatalf("complete with every item done: %v", err)
			}
			if st := str(t, s, "SELECT status FROM "+tc.table+" WHERE id = ?", tc.rid); st != tc.status {
				t.Errorf("%s status %q, want %q", tc.kind, st, tc.status)
			}
			if n := count(t, s, `SELECT COUNT(*) FROM audit_events e, json_each(e.changes) c WHERE e.record_kind = ? AND e.record_id = ?
				AND json_extract(c.value, '$.field') = 'status' AND json_extract(c.value, '$.after') = ?`, tc.kind, tc.rid, tc.status); n != 1 {
				t.Errorf("%d events moved the %s to %s, want 1", n, tc.kind, tc.status)
			}
			ev := lastEventOf(t, s, "checklist.completed")
			if _, ok := change(ev, "reason"); ok || ev.RecordID != c.ID {
				t.Errorf("completed event %+v", ev)
			}
			// The subject's timeline shows the completion.
			tl, err := s.Timeline(ctx, db.Ref{Kind: tc.kind, ID: tc.rid}, 0, 10)
			if err != nil || !slices.ContainsFunc(tl.Events, func(e db.AuditEvent) bool { return e.Action == "checklist.completed" }) {
				t.Errorf("the %s's timeline lacks checklist.completed (%v)", tc.kind, err)
			}
			if cl, err := s.OpenChecklists(ctx, tc.kind, tc.rid, 10); err != nil || len(cl) != 0 {
				t.Errorf("OpenChecklists after completing: %+v, %v", cl, err)
			}
		})
	}
	if err := verify(s); err != nil {
		t.Error(err)
	}
}

func TestOpenChecklists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	c := start(t, s, "owner", w.ada, clDay(10))
	start(t, s, "integration", w.crm, "")
	tick(t, s, c.ID, c.Items[0].ID, db.TickInput{Done: true})
	all, err := s.OpenChecklists(ctx, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != c.ID || all[0].SubjectName != "Ada Leaver" || all[0].Done != 1 || all[0].Total != len(c.Items) ||
		all[0].DueOn != clDay(10) || all[1].SubjectName != "CRM sync" {
		t.Errorf("OpenChecklists = %+v", all)
	}
	mine, err := s.OpenChecklists(ctx, "owner", w.ada, 10)
	if err != nil || len(mine) != 1 || mine[0].ID != c.ID {
		t.Errorf("OpenChecklists(owner, Ada) = %+v, %v", mine, err)
	}
}

func TestOffboardingOverdueFinding(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := clFixture(t)
	s := w.s
	c := start(t, s, "owner", w.ada, clDay(7))
	overdue := func() db.Finding { return clFindings(t, s)["offboarding-overdue"] }
	clSetDay(s, 7)
	if f := overdue(); f.Count != 0 {
		t.Errorf("on the due date: count %d, want 0", f.Count)
	}
	clSetDay(s, 8)
	f := overdue()
	if f.Count != 1 || !clHasItem(f, "owner", w.ada, "Ada Leaver") {
		t.Errorf("a day late: %+v, want Ada", f)
	}
	// An integration's open checklist is no offboarding.
	start(t, s, "integration", w.crm, clDay(1))
	if f := overdue(); f.Count != 1 {
		t.Errorf("with an integration checklist: count %d", f.Count)
	}
	for _, it := range c.Items {
		tick(t, s, c.ID, it.ID, db.TickInput{Done: true})
	}
	if f := overdue(); f.Count != 0 {
		t.Errorf("every item done: count %d, want 0", f.Count)
	}
	// A reopened item makes it overdue again; completing ends it.
	tick(t, s, c.ID, c.Items[0].ID, db.TickInput{Done: false})
	if f := overdue(); f.Count != 1 {
		t.Errorf("reopened: count %d, want 1", f.Count)
	}
	if err := s.CompleteChecklist(ctx, actor, c.ID, "done elsewhere"); err != nil {
		t.Fatal(err)
	}
	if f := overdue(); f.Count != 0 {
		t.Errorf("completed: count %d, want 0", f.Count)
	}
}

func TestStandingItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	validationError(t, s.AddStandingItem(ctx, actor, "user", "Shred the badge"), "kind")
	validationError(t, s.AddStandingItem(ctx, actor, "owner", "  "), "text")
	validationError(t, s.AddStandingItem(ctx, actor, "owner", strings.Repeat("x", 301)), "text")
	for _, text := range []string{"Collect the laptop", "Remove from the password manager"} {
		if err := s.AddStandingItem(ctx, actor, "owner", text); err != nil {
			t.Fatal(err)
		}
	}
	items, err := s.ListStandingItems(ctx)
	if err != nil || len(items) != 2 || items[0].Text != "Collect the laptop" {
		t.Fatalf("ListStandingItems = %+v, %v", items, err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'standing_item.added'"); n != 2 {
		t.Errorf("%d standing_item.added events", n)
	}
	c := start(t, s, "owner", o, "")
	if len(c.Items) != 2 || c.Items[0].Title != "Collect the laptop" || c.Items[1].Title != "Remove from the password manager" {
		t.Errorf("checklist items %+v", c.Items)
	}
	// Removing one leaves saved checklists as they were.
	if err := s.DeleteStandingItem(ctx, actor, items[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStandingItem(ctx, actor, items[0].ID); err != db.ErrNotFound {
		t.Errorf("deleting twice: %v", err)
	}
	if got := checklist(t, s, c.ID); len(got.Items) != 2 {
		t.Errorf("saved checklist lost an item: %+v", got.Items)
	}
	if p := plan(t, s, "owner", o); len(p) != 1 || p[0].Title != "Remove from the password manager" {
		t.Errorf("plan after removing %+v", p)
	}
}

// TestTickRecordsOutcome: a carried-out item keeps what happened in words,
// on the item and in its audit event; one ticked by hand keeps none, and
// reopening clears it.
func TestTickRecordsOutcome(t *testing.T) {
	t.Parallel()
	w := clFixture(t)
	s := w.s
	c := start(t, s, "owner", w.ada, "")
	outcome := func(iid int64) string { return str(t, s, "SELECT outcome FROM checklist_items WHERE id = ?", iid) }

	for _, tc := range []struct {
		action, kind string
		target       int64
		in           db.TickInput
		want         string
	}{
		{db.ActReassignToken, "token", w.capiTok, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.bob)}, "Reassigned to Bob Stayer"},
		{db.ActRemoveRole, "role", w.adaMetaRole, db.TickInput{Done: true, CarryOut: true}, "Role removed in Steward"},
		{db.ActRevokeToken, "token", w.patTok, db.TickInput{Done: true, CarryOut: true}, "Token revoked"},
		{db.ActReassignIntegration, "integration", w.crm, db.TickInput{Done: true, CarryOut: true, OwnerID: id(w.bob)}, "Reassigned to Bob Stayer"},
		{db.ActDisableLogin, "user", w.adaLogin, db.TickInput{Done: true, CarryOut: true}, "Login disabled"},
		{db.ActRotateToken, "token", w.createdTok, db.TickInput{Done: true, CarryOut: true, Secret: "ghp_deploykeyrotatedvalue000111WXYZ"},
			"Token rotated; new value ends …WXYZ"},
		{db.ActRemoveRole, "role", w.adaGitHubRole, db.TickInput{Done: true}, ""},
	} {
		iid := find(t, c.Items, tc.action, tc.kind, tc.target).ID
		tick(t, s, c.ID, iid, tc.in)
		if got := outcome(iid); got != tc.want {
			t.Errorf("%s: outcome %q, want %q", tc.action, got, tc.want)
		}
		ev := lastEventOf(t, s, "checklist.item_done")
		ch, ok := change(ev, "outcome")
		if tc.want == "" {
			if ok {
				t.Errorf("%s by hand: the event records an outcome %+v", tc.action, ch)
			}
			continue
		}
		if !ok || ch.After != tc.want || ev.Summary != "Done: "+find(t, c.Items, tc.action, tc.kind, tc.target).Title+" — "+tc.want {
			t.Errorf("%s: event %q with changes %+v, want the outcome %q in both", tc.action, ev.Summary, ev.Changes, tc.want)
		}
	}
	got := find(t, checklist(t, s, c.ID).Items, db.ActReassignToken, "token", w.capiTok)
	if got.Outcome != "Reassigned to Bob Stayer" {
		t.Errorf("ChecklistByID gives the outcome %q", got.Outcome)
	}
	tick(t, s, c.ID, got.ID, db.TickInput{Done: false})
	if o := outcome(got.ID); o != "" {
		t.Errorf("a reopened item keeps the outcome %q", o)
	}
	if ch, ok := change(lastEventOf(t, s, "checklist.item_reopened"), "outcome"); !ok || ch.Before != "Reassigned to Bob Stayer" || ch.After != "" {
		t.Errorf("the reopening event's outcome change is %+v", ch)
	}
}
