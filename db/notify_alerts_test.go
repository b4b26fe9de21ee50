package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// openMailStore opens a fresh database that can send email, with one admin
// login, the alerts' email recipient.
func openMailStore(t *testing.T) (*db.Store, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s, err := db.OpenWith(ctx, path, db.Options{Mail: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.CreateUser(ctx, actor, db.UserInput{Email: "boss@example.com", Password: "correct horse battery staple", Role: db.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// alertRows lists the outbox's messages of event: "recipient|record|threshold|summary".
func alertRows(t *testing.T, s *db.Store, event string) []string {
	t.Helper()
	rows := str(t, s, `SELECT COALESCE(group_concat(r, char(10)), '') FROM (SELECT recipient || '|' || record_kind || ' ' || record_id
		|| '|' || threshold || '|' || summary AS r FROM outbox WHERE event = ? ORDER BY id)`, event)
	if rows == "" {
		return nil
	}
	return strings.Split(rows, "\n")
}

// alertFacts decodes the details of the newest message of event.
func alertFacts(t *testing.T, s *db.Store, event string) db.Facts {
	t.Helper()
	var f db.Facts
	if err := json.Unmarshal([]byte(str(t, s, "SELECT details FROM outbox WHERE event = ? ORDER BY id DESC LIMIT 1", event)), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func depart(t *testing.T, s *db.Store, ownerID int64, leavingOn string) error {
	t.Helper()
	o, err := s.OwnerByID(context.Background(), ownerID)
	if err != nil {
		t.Fatal(err)
	}
	in := o.Input()
	in.Status, in.LeavingOn = db.OwnerDeparted, leavingOn
	return s.UpdateOwner(context.Background(), actor, ownerID, in)
}

func TestAnOwnerWhoDepartsHoldingAccessAlertsTheAdminsOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openMailStore(t)
	s.SetClock(func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) })
	jake := mustOwner(t, s, db.OwnerInput{Name: "Jake Morrison", Email: "jake@example.com"})
	idle := mustOwner(t, s, db.OwnerInput{Name: "Ida Idle"})
	acme := mustAccount(t, s, db.AccountInput{Name: "Acme Ads", Platform: "Meta"})
	for i := range 22 {
		mustRole(t, s, db.RoleInput{AccountID: id(acme), OwnerID: id(jake), Role: fmt.Sprintf("Role %02d", i)})
	}
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "CRM sync", Kind: "api_key", AccountID: id(acme),
		CreatedByOwnerID: id(jake), ExpiresOn: "2027-06-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Old key", Kind: "api_key", ResponsibleOwnerID: id(jake),
		ExpiresOn: "2027-06-01", Status: "revoked"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSystemUser(ctx, actor, db.SystemUserInput{Name: "ads-bot", AccountID: id(acme), ResponsibleOwnerID: id(jake)}); err != nil {
		t.Fatal(err)
	}

	// Refused (bad email): nothing changes, nothing is queued.
	o, _ := s.OwnerByID(ctx, jake)
	bad := o.Input()
	bad.Status, bad.Email = db.OwnerDeparted, "not an email"
	validationError(t, s.UpdateOwner(ctx, actor, jake, bad), "email")
	// Someone who holds nothing departs: no alert.
	if err := depart(t, s, idle, "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventDepartedWithAccess); got != nil {
		t.Fatalf("queued %q; want nothing (refused change, or nothing held)", got)
	}

	if err := depart(t, s, jake, "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("boss@example.com|owner %d|2026-12-01|Jake Morrison left on 2026-12-01 and still holds 22 roles, 1 token and 1 system user.", jake)}
	if got := alertRows(t, s, db.EventDepartedWithAccess); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("queued\n%s\nwant\n%s", strings.Join(got, "\n"), want[0])
	}
	f := alertFacts(t, s, db.EventDepartedWithAccess)
	if len(f.Items) != 21 || f.Items[0] != "Role Role 00 on Acme Ads (Meta)" || f.Items[20] != "and 4 more" ||
		f.When != "2026-12-01" || !strings.Contains(f.Action, "offboarding checklist") {
		t.Fatalf("details %+v; want 20 items + \"and 4 more\", the date and what to do", f)
	}

	// Back to active and departed again on the same date: the same
	// departure, not sent again; another date is another departure.
	o, _ = s.OwnerByID(ctx, jake)
	in := o.Input()
	in.Status = db.OwnerActive
	if err := s.UpdateOwner(ctx, actor, jake, in); err != nil {
		t.Fatal(err)
	}
	if err := depart(t, s, jake, "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventDepartedWithAccess); len(got) != 1 {
		t.Fatalf("%d alerts after departing again on the same date, want 1", len(got))
	}
}

func TestTheDepartedWithAccessAlertListsTokensAndSystemUsersWhenRolesAreFew(t *testing.T) {
	s, _ := openMailStore(t)
	ctx := context.Background()
	ana := mustOwner(t, s, db.OwnerInput{Name: "Ana"})
	acme := mustAccount(t, s, db.AccountInput{Name: "Acme Ads", Platform: "Meta"})
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Pixel", Kind: "api_key", OwnerID: id(ana), ResponsibleOwnerID: id(ana),
		ExpiresOn: "2027-01-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSystemUser(ctx, actor, db.SystemUserInput{Name: "ads-bot", AccountID: id(acme), ResponsibleOwnerID: id(ana)}); err != nil {
		t.Fatal(err)
	}
	if err := depart(t, s, ana, "2099-01-31"); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventDepartedWithAccess); len(got) != 1 ||
		!strings.HasSuffix(got[0], "|Ana was marked departed (leaving date 2099-01-31) and still holds 1 token and 1 system user.") {
		t.Fatalf("queued %q; a leaving date ahead is not said to be past", got)
	}
	f := alertFacts(t, s, db.EventDepartedWithAccess)
	if want := []string{"Token Pixel, issued to them", "System user ads-bot on Acme Ads (Meta), they answer for it"}; strings.Join(f.Items, "|") != strings.Join(want, "|") {
		t.Fatalf("items %q, want %q (one line per token however they hold it)", f.Items, want)
	}
}

func TestATokenThatNeverExpiresAlertsOncePerToken(t *testing.T) {
	ctx := context.Background()
	s, _ := openMailStore(t)
	acme := mustAccount(t, s, db.AccountInput{Name: "Acme Ads", Platform: "Meta"})
	dated, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Dated", Kind: "api_key", ExpiresOn: "2027-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Gone", Kind: "api_key", Status: "revoked"}); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventNeverExpires); got != nil {
		t.Fatalf("queued %q for a dated token and a revoked one; want nothing", got)
	}
	forever, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "CRM sync", Kind: "api_key", AccountID: id(acme)})
	if err != nil {
		t.Fatal(err)
	}
	got := alertRows(t, s, db.EventNeverExpires)
	if len(got) != 1 || !strings.HasPrefix(got[0], fmt.Sprintf("boss@example.com|token %d||On ", forever.ID)) ||
		!strings.Contains(got[0], "token “CRM sync” on Acme Ads (Meta) was recorded as active with no expiry date") {
		t.Fatalf("queued %q", got)
	}
	if f := alertFacts(t, s, db.EventNeverExpires); f.Account != "Acme Ads" || f.Platform != "Meta" || f.Action == "" {
		t.Fatalf("details %+v", f)
	}
	// Its expiry removed by an edit: the dated token alerts too; editing
	// either again does not.
	tok, _ := s.TokenByID(ctx, dated.ID)
	in := tok.Input()
	in.ExpiresOn = ""
	if _, err := s.UpdateToken(ctx, actor, dated.ID, in); err != nil {
		t.Fatal(err)
	}
	in.Notes = "still no expiry"
	if _, err := s.UpdateToken(ctx, actor, dated.ID, in); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventNeverExpires); len(got) != 2 || !strings.Contains(got[1], fmt.Sprintf("|token %d|", dated.ID)) {
		t.Fatalf("queued %q; want one more, for the edited token", got)
	}
}

// breakChain alters an event's content the way someone with the file could.
func breakChain(t *testing.T, s *db.Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET summary = 'nothing to see' WHERE id = 2"} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestAFailedAuditCheckAlertsOncePerCheck(t *testing.T) {
	ctx := context.Background()
	s, path := openMailStore(t)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || !v.Intact() {
		t.Fatalf("first check: %+v, %v", v, err)
	}
	if got := alertRows(t, s, db.EventAuditVerifyFailed); got != nil {
		t.Fatalf("an intact check queued %q", got)
	}
	breakChain(t, s)
	if v, err := s.VerifyAndRecordAudit(ctx); err != nil || v.Intact() {
		t.Fatalf("check of the altered chain: %+v, %v", v, err)
	}
	got := alertRows(t, s, db.EventAuditVerifyFailed)
	if want := "boss@example.com| 0|2026-12-03T09:00:00.000Z|Steward's audit log failed its check on 2026-12-03 09:00 UTC: it is broken at event 2."; len(got) != 1 || got[0] != want {
		t.Fatalf("queued %q, want [%q]", got, want)
	}
	if f := alertFacts(t, s, db.EventAuditVerifyFailed); len(f.Items) < 2 || !strings.HasPrefix(f.Items[0], "Broken at event 2: ") {
		t.Fatalf("details %+v", f)
	}
	now = now.Add(time.Hour)
	if _, err := s.VerifyAndRecordAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventAuditVerifyFailed); len(got) != 2 {
		t.Fatalf("%d alerts after a second failed check, want 2", len(got))
	}
	editFile(t, path, "INSERT INTO notification_rules (event, enabled) VALUES ('audit.verify_failed', 0)")
	now = now.Add(time.Hour)
	if _, err := s.VerifyAndRecordAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := alertRows(t, s, db.EventAuditVerifyFailed); len(got) != 2 {
		t.Fatalf("%d alerts with the rule off, want still 2", len(got))
	}
}

func TestSwitchedOffChangeAlertsQueueNothing(t *testing.T) {
	ctx := context.Background()
	s, path := openMailStore(t)
	editFile(t, path, "INSERT INTO notification_rules (event, enabled) VALUES ('owner.departed_with_access', 0), ('token.never_expires', 0)")
	ana := mustOwner(t, s, db.OwnerInput{Name: "Ana"})
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Forever", Kind: "api_key", ResponsibleOwnerID: id(ana)}); err != nil {
		t.Fatal(err)
	}
	if err := depart(t, s, ana, "2026-12-01"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM outbox"); n != 0 {
		t.Fatalf("outbox holds %d messages with the rules off, want 0", n)
	}
	// Switched on again, the next such token alerts.
	editFile(t, path, "DELETE FROM notification_rules")
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Forever too", Kind: "api_key"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM outbox"); n != 1 {
		t.Fatalf("outbox holds %d messages with the rules on again, want 1", n)
	}
}

// findingName names a finding in the digest's lines.
func findingName(kind string) string { return "[" + kind + "]" }

// digestStep queues the digest and checks what it queued: nothing when
// want is "", else the newest digest's row (see alertRows) and its items
// joined by "|".
func digestStep(t *testing.T, s *db.Store, step, want, items string) {
	t.Helper()
	before := len(alertRows(t, s, db.EventDigest))
	n, err := s.QueueDigest(context.Background(), findingName)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if want == "" {
		if n != 0 {
			t.Fatalf("%s: queued %d, want nothing", step, n)
		}
		return
	}
	got := alertRows(t, s, db.EventDigest)
	if n != 1 || len(got) != before+1 || got[len(got)-1] != want {
		t.Fatalf("%s: queued %d: %q; want one more, %q", step, n, got, want)
	}
	if f := alertFacts(t, s, db.EventDigest); strings.Join(f.Items, "|") != items {
		t.Fatalf("%s: items %q, want %q", step, f.Items, items)
	}
}

func TestTheDigestGoesOncePerPeriodWithWhatIsNewAndResolved(t *testing.T) {
	ctx := context.Background()
	s, path := openMailStore(t)
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // a Monday, ISO week 49
	clock := func() time.Time { return now }
	s.SetClock(clock)
	ana := mustOwner(t, s, db.OwnerInput{Name: "Ana", Email: "ana@example.com"})
	org := mustAccount(t, s, db.AccountInput{Name: "Org", Platform: "GitHub"}) // no admin: a finding

	digestStep(t, s, "first digest", "boss@example.com| 0|2026-W49|Steward's weekly digest for 2026-W49: 1 finding.", "[no-admin]: 1")

	// Later the same week, and after a restart: nothing more.
	now = now.AddDate(0, 0, 3)
	digestStep(t, s, "same week", "", "")
	s.Close()
	s, err := db.OpenWith(ctx, path, db.Options{Mail: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetClock(clock)
	digestStep(t, s, "same week after a restart", "", "")

	// The next week: the account got its one admin (no-admin resolved,
	// single-admin new), and a dated token was registered (no finding).
	mustRole(t, s, db.RoleInput{AccountID: id(org), OwnerID: id(ana), Role: "Owner", Admin: "1"})
	if _, err := s.CreateToken(ctx, actor, db.TokenInput{Name: "Dated", Kind: "api_key", ResponsibleOwnerID: id(ana), ExpiresOn: "2027-12-31"}); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	digestStep(t, s, "next week",
		"boss@example.com| 0|2026-W50|Steward's weekly digest for 2026-W50: 1 finding, 1 new and 1 resolved since the last digest.",
		"[no-admin]: resolved (1 in the last digest)|[single-admin]: 1 (new since the last digest)")

	// Daily: the next day has its own digest, the same day none.
	editFile(t, path, "INSERT INTO notification_rules (event, setting) VALUES ('digest', 'daily')")
	now = now.AddDate(0, 0, 1)
	digestStep(t, s, "daily",
		"boss@example.com| 0|2026-12-08|Steward's daily digest for 2026-12-08: 1 finding, 0 new and 0 resolved since the last digest.",
		"[single-admin]: 1 (as in the last digest)")
	digestStep(t, s, "daily, the same day", "", "")
	org2 := mustAccount(t, s, db.AccountInput{Name: "Org 2", Platform: "GitHub"})
	mustRole(t, s, db.RoleInput{AccountID: id(org2), OwnerID: id(ana), Role: "Owner", Admin: "1"})
	now = now.AddDate(0, 0, 1)
	digestStep(t, s, "daily, a day on",
		"boss@example.com| 0|2026-12-09|Steward's daily digest for 2026-12-09: 1 finding, 0 new and 0 resolved since the last digest.",
		"[single-admin]: 2 (1 more than in the last digest)")

	// Switched off: nothing.
	editFile(t, path, "UPDATE notification_rules SET enabled = 0 WHERE event = 'digest'")
	now = now.AddDate(0, 0, 1)
	digestStep(t, s, "switched off", "", "")
}

func TestADigestThatReachesNobodyIsMadeOnceSomeoneListens(t *testing.T) {
	ctx := context.Background()
	s := openStore(t) // no mail
	if n, err := s.QueueDigest(ctx, findingName); err != nil || n != 0 {
		t.Fatalf("nobody to send to: queued %d, %v", n, err)
	}
	mustWebhook(t, s, "https://a.example/hook", db.EventDigest)
	if n, err := s.QueueDigest(ctx, findingName); err != nil || n != 1 {
		t.Fatalf("with a subscribed webhook: queued %d, %v; want 1", n, err)
	}
	if got := alertRows(t, s, db.EventDigest); len(got) != 1 || !strings.HasPrefix(got[0], "webhook:1| 0|") {
		t.Fatalf("queued %q", got)
	}
}
