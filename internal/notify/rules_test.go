package notify_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/internal/notify"
)

// openMailAt opens the store at path on clock c, with mail set up so that
// reminders go to email addresses.
func openMailAt(t *testing.T, path string, c *clock) *db.Store {
	t.Helper()
	s, err := db.OpenWith(context.Background(), path, db.Options{Mail: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetClock(c.Now)
	return s
}

// quiet is a notifier over s that logs nowhere.
func quiet(s *db.Store) *notify.Service {
	return notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// inventory is a store with an admin login, Ana (with an email address)
// and Ben (without one), and the account Acme Ads on Meta.
type inventory struct {
	s        *db.Store
	ana, ben string // owner IDs
	account  string
}

func newInventory(t *testing.T, s *db.Store) inventory {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, admin, db.UserInput{Email: "boss@example.com", Password: "correct horse battery staple", Role: db.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	inv := inventory{s: s}
	for _, o := range []struct {
		to          *string
		name, email string
	}{{&inv.ana, "Ana Ruiz", "ana@example.com"}, {&inv.ben, "Ben Okafor", ""}} {
		id, err := s.CreateOwner(ctx, admin, db.OwnerInput{Name: o.name, Email: o.email})
		if err != nil {
			t.Fatal(err)
		}
		*o.to = idText(id)
	}
	aid, err := s.CreateAccount(ctx, admin, db.AccountInput{Name: "Acme Ads", Platform: "Meta"})
	if err != nil {
		t.Fatal(err)
	}
	inv.account = idText(aid)
	return inv
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// token registers a token answered for by owner, expiring days from the
// store's today.
func (inv inventory) token(t *testing.T, name, owner string, days int) int64 {
	t.Helper()
	saved, err := inv.s.CreateToken(context.Background(), admin, db.TokenInput{Name: name, Kind: "api_key", AccountID: inv.account,
		ResponsibleOwnerID: owner, ExpiresOn: inv.s.Now().AddDate(0, 0, days).Format("2006-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	return saved.ID
}

// queued lists the outbox's messages as "rule threshold recipient", oldest
// first.
func queued(t *testing.T, s *db.Store) string {
	t.Helper()
	v, err := s.QueryString(context.Background(), `SELECT COALESCE(group_concat(rule || ' ' || threshold || ' ' || recipient, '; '), '')
		FROM (SELECT * FROM outbox WHERE rule IN ('token.expiring', 'token.expired', 'review.due', 'offboarding.overdue') ORDER BY id)`)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runDays moves the clock a day at a time, days times, running the due
// jobs twice each day (a second wake the same day queues nothing new).
func runDays(t *testing.T, n *notify.Service, c *clock, days int) {
	t.Helper()
	for range days {
		c.Add(24 * time.Hour)
		for range 2 {
			if out, err := n.RunDue(context.Background()); err != nil || out.JobErrs > 0 {
				t.Fatalf("RunDue: %+v, %v", out, err)
			}
		}
	}
}

// TestExpiryRemindersComeOnceAtEachThresholdAcrossARestart: a token
// expiring in 61 days gets the 60, 30, 7 and 1-day reminders and the
// expired one the day after its expiry date, each once, though the server
// restarts on the way and wakes twice a day.
func TestExpiryRemindersComeOnceAtEachThresholdAcrossARestart(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openMailAt(t, path, c)
	inv := newInventory(t, s)
	inv.token(t, "CRM sync", inv.ana, 61)
	expires := day(61)

	runDays(t, quiet(s), c, 35)
	if got, want := queued(t, s), "token.expiring 60d:"+expires+" ana@example.com; token.expiring 30d:"+expires+" ana@example.com"; got != want {
		t.Fatalf("after 35 days: %q, want %q", got, want)
	}
	s.Close()
	s = openMailAt(t, path, c)
	runDays(t, quiet(s), c, 35)
	want := strings.Join([]string{"60d", "30d", "7d", "1d"}, ":"+expires+" ana@example.com; token.expiring ")
	want = "token.expiring " + want + ":" + expires + " ana@example.com; token.expired " + expires + " ana@example.com"
	if got := queued(t, s); got != want {
		t.Fatalf("after 70 days and a restart:\n%q\nwant\n%q", got, want)
	}
	summary, err := s.QueryString(context.Background(), "SELECT summary FROM outbox WHERE threshold LIKE '7d:%'")
	if err != nil {
		t.Fatal(err)
	}
	if want := "Token “CRM sync” on Acme Ads (Meta) expires in 7 days, on " + expires + "."; summary != want {
		t.Fatalf("summary %q, want %q", summary, want)
	}
	details, err := s.QueryString(context.Background(), "SELECT details FROM outbox WHERE threshold LIKE '7d:%'")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"account":"Acme Ads"`, `"platform":"Meta"`, `"when":"` + expires + `"`, `"what_to_do":"Rotate or renew it`} {
		if !strings.Contains(details, part) {
			t.Errorf("details %s lack %s", details, part)
		}
	}
}

// TestAfterDowntimeOnlyTheCurrentStepIsSent: forty days down, a token
// then 20 days from expiry gets the 30-day reminder alone, not the 60-day
// one it missed nor anything twice.
func TestAfterDowntimeOnlyTheCurrentStepIsSent(t *testing.T) {
	c := newClock()
	s := openMailAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	inv := newInventory(t, s)
	inv.token(t, "CRM sync", inv.ana, 61)
	expires := day(61)
	c.Add(41 * 24 * time.Hour)
	if _, err := quiet(s).RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := queued(t, s), "token.expiring 30d:"+expires+" ana@example.com"; got != want {
		t.Fatalf("after 41 days down: %q, want %q", got, want)
	}
}

// TestSwitchedOffRuleSendsNothingAndChangedThresholdsApply: with
// token.expiring off nothing is queued; switched on with thresholds 45 and
// 10, a token 44 days out gets the 45-day reminder. A token whose owner
// has no email address is reminded to the admins.
func TestSwitchedOffRuleSendsNothingAndChangedThresholdsApply(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openMailAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	inv := newInventory(t, s)
	inv.token(t, "CRM sync", inv.ana, 44)
	inv.token(t, "Pixel", inv.ben, 5)
	on := []string{"token.expired", "review.due", "offboarding.overdue", "digest"}
	if err := s.SaveRuleSettings(ctx, admin, db.RulesInput{Enabled: on, Thresholds: "60,30,7,1", Cadence: "weekly"}); err != nil {
		t.Fatal(err)
	}
	runDays(t, quiet(s), c, 1)
	if got := queued(t, s); got != "" {
		t.Fatalf("rule off: queued %q, want nothing", got)
	}
	if err := s.SaveRuleSettings(ctx, admin, db.RulesInput{Enabled: append(on, "token.expiring"), Thresholds: "10, 45", Cadence: "weekly"}); err != nil {
		t.Fatal(err)
	}
	if _, err := quiet(s).RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	want := "token.expiring 10d:" + day(5) + " boss@example.com; token.expiring 45d:" + day(44) + " ana@example.com"
	if got := queued(t, s); got != want {
		t.Fatalf("thresholds 45 and 10: %q, want %q", got, want)
	}
}

// TestReviewAndOffboardingReminders: a passed review date is told once,
// a token's to its owner (the admins, when the owner has no address) and
// a role's to its account's owner; an overdue offboarding checklist is
// reminded of to the admins every day, with its open items.
func TestReviewAndOffboardingReminders(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openMailAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	inv := newInventory(t, s)
	acme, err := s.CreateAccount(ctx, admin, db.AccountInput{Name: "Acme Shop", Platform: "Shopify", OwnerID: inv.ana})
	if err != nil {
		t.Fatal(err)
	}
	role, err := s.CreateRole(ctx, admin, db.RoleInput{AccountID: idText(acme), OwnerID: inv.ben, Role: "Admin", ReviewBy: day(3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, admin, db.TokenInput{Name: "Pixel", Kind: "api_key", ResponsibleOwnerID: inv.ben,
		LastReviewedOn: day(-db.ReviewEveryDays + 2)}); err != nil {
		t.Fatal(err)
	}
	ben, _ := strconv.ParseInt(inv.ben, 10, 64)
	if _, err := s.StartChecklist(ctx, admin, "owner", ben, day(1)); err != nil {
		t.Fatal(err)
	}
	runDays(t, quiet(s), c, 5)
	want := strings.Join([]string{
		"offboarding.overdue " + day(2) + " boss@example.com",
		"review.due " + day(2) + " boss@example.com",
		"offboarding.overdue " + day(3) + " boss@example.com",
		"review.due " + day(3) + " ana@example.com",
		"offboarding.overdue " + day(4) + " boss@example.com",
		"offboarding.overdue " + day(5) + " boss@example.com",
	}, "; ")
	if got := queued(t, s); got != want {
		t.Fatalf("queued\n%q\nwant\n%q", got, want)
	}
	got, err := s.QueryString(ctx, "SELECT summary || ' ' || details FROM outbox WHERE record_kind = 'role' AND record_id = ?", role)
	if err != nil {
		t.Fatal(err)
	}
	if want := "The review of the Admin role held by Ben Okafor on Acme Shop (Shopify) was due on " + day(3) + "."; !strings.HasPrefix(got, want) {
		t.Fatalf("role reminder %q, want it to start %q", got, want)
	}
	got, err = s.QueryString(ctx, "SELECT summary || ' ' || details FROM outbox WHERE rule = 'offboarding.overdue' LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "The offboarding of Ben Okafor was due on "+day(1)) || !strings.Contains(got, `"items":["`) {
		t.Fatalf("offboarding reminder %q, want its due date and open items", got)
	}
}

// day is the date n days after newClock's start.
func day(n int) string { return newClock().now.AddDate(0, 0, n).Format("2006-01-02") }

// TestANewWebhookOrANewOwnerGetsTheStepATokenIsAt: a message's key holds
// its recipient, so a webhook added later, or the owner a token is handed
// to, gets the reminder of the step the token is at; those who had it do
// not get it again.
func TestANewWebhookOrANewOwnerGetsTheStepATokenIsAt(t *testing.T) {
	c := newClock()
	s := openMailAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	ctx := context.Background()
	inv := newInventory(t, s)
	expiresOn := s.Now().AddDate(0, 0, 20).Format("2006-01-02")
	tok := inv.token(t, "CRM sync", inv.ana, 20)
	n := quiet(s)
	run := func() {
		t.Helper()
		if out, err := n.RunDue(ctx); err != nil || out.JobErrs > 0 {
			t.Fatalf("RunDue: %+v, %v", out, err)
		}
	}
	run()
	step := "token.expiring 30d:" + expiresOn
	if got := queued(t, s); got != step+" ana@example.com" {
		t.Fatalf("first run: %q", got)
	}
	hook, err := s.CreateWebhook(ctx, admin, db.WebhookInput{URL: "https://hooks.example/x", Format: db.WebhookJSON,
		Secret: "a-long-shared-secret-1234", Events: []string{"token.expiring"}})
	if err != nil {
		t.Fatal(err)
	}
	run()
	if got, want := queued(t, s), step+" ana@example.com; "+step+" "+db.WebhookRecipient(hook); got != want {
		t.Fatalf("after adding a webhook: %q, want %q", got, want)
	}
	cleo, err := s.CreateOwner(ctx, admin, db.OwnerInput{Name: "Cleo Diaz", Email: "cleo@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateToken(ctx, admin, tok, db.TokenInput{Name: "CRM sync", Kind: "api_key", AccountID: inv.account,
		ResponsibleOwnerID: idText(cleo), ExpiresOn: expiresOn, Status: "active"}); err != nil {
		t.Fatal(err)
	}
	run()
	run()
	want := step + " ana@example.com; " + step + " " + db.WebhookRecipient(hook) + "; " + step + " cleo@example.com"
	if got := queued(t, s); got != want {
		t.Fatalf("after handing the token to Cleo and two runs:\n%q\nwant\n%q", got, want)
	}
}
