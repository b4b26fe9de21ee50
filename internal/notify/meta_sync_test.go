package notify_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
	"steward/internal/notify"
)

// With a token kept, the scheduler reads the business once a day and the
// drift it finds shows as a finding; nothing is applied. Without one it
// does nothing, and a rate-limited read keeps a failed sync saying so in
// words (for the connector page's history), applies nothing, stays due and
// is logged without the token.
func TestScheduledMetaSyncKeepsWhatItReadDaily(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	fake := metatest.New(t)
	const token = "EAAkeptToken0123"
	fake.AddToken(token, metatest.Token{Valid: true, Type: "SYSTEM_USER", Scopes: []string{"business_management"}})
	fake.SetBusiness(db.MetaSnapshot{BusinessID: "9001", SystemUsers: []db.MetaSystemUser{{ID: "61", Name: "capi", Role: "ADMIN"}}})
	var log bytes.Buffer
	n := notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(&log, nil))})
	n.Register(notify.MetaSyncJob(s, &meta.Client{BaseURL: fake.URL}))
	uid, err := s.CreateUser(ctx, db.SystemActor("test"), db.UserInput{Email: "ada@example.com", Password: "Quartz-Harbor-Lantern-88", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	admin := db.Actor{UserID: uid, Email: "ada@example.com", Role: db.RoleAdmin}
	connect := func(keep bool) {
		t.Helper()
		if err := s.ConnectMeta(ctx, admin, db.MetaConnectInput{AppID: "1001", AppSecret: "fake-app-secret", BusinessID: "9001",
			Token: token, KeepToken: keep, Check: db.MetaTokenCheck{Valid: true, NeverExpires: true}}); err != nil {
			t.Fatal(err)
		}
	}
	syncs := func() int64 {
		t.Helper()
		if _, err := n.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := s.QueryInt(ctx, "SELECT COUNT(*) FROM meta_syncs WHERE status <> 'failed'")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := syncs(); got != 0 {
		t.Fatalf("with no app connected: %d syncs", got)
	}
	connect(false)
	c.Add(notify.MetaSyncEvery)
	if got := syncs(); got != 0 {
		t.Fatalf("without a kept token: %d syncs", got)
	}
	connect(true)
	c.Add(notify.MetaSyncEvery)
	fake.Fail("system_users", metatest.Fault{Code: 17})
	if got := syncs(); got != 0 {
		t.Fatalf("a rate-limited read kept %d syncs", got)
	}
	failed, err := s.MetaSyncHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].Status != "failed" || failed[0].ReadBy != "" || failed[0].Problem != meta.Problem(&meta.Error{Kind: meta.RateLimited}) {
		t.Fatalf("history after a rate-limited read: %+v, want one failed scheduled sync saying Meta limits requests", failed)
	}
	c.Add(5 * time.Minute) // the scheduler's next wake
	if !strings.Contains(log.String(), "meta.sync") {
		t.Error("the failed read was not logged")
	}
	fake.Fail("system_users", metatest.Fault{})
	if got := syncs(); got != 0 {
		t.Fatalf("five minutes after a rate limit: %d syncs, want 0 (backing off an hour)", got)
	}
	c.Add(time.Hour)
	if got := syncs(); got != 1 {
		t.Fatalf("an hour after the rate limit: %d syncs, want 1 (the job stayed due)", got)
	}
	if got := syncs(); got != 1 {
		t.Fatalf("the same day again: %d syncs", got)
	}
	fs, err := s.Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind == db.FindingUnrecordedOnPlatform && f.Count != 1 {
			t.Errorf("unrecorded-on-platform = %d, want capi", f.Count)
		}
	}
	if v, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM system_users"); v != 0 {
		t.Error("a scheduled sync applied something")
	}
	if v, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM meta_syncs WHERE problem LIKE ? OR snapshot LIKE ?", "%"+token+"%", "%"+token+"%"); v != 0 || strings.Contains(log.String(), token) {
		t.Error("a sync or the log holds the token")
	}
}

// A token Meta refuses does not fill the history with a failed sync on
// every wake of the scheduler: it backs off from an hour to a day.
func TestScheduledMetaSyncBacksOffAfterFailures(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	fake := metatest.New(t)
	const token = "EAAkeptButRefused0123"
	fake.AddToken(token, metatest.Token{Valid: true, Type: "SYSTEM_USER", Scopes: []string{"business_management"}})
	fake.SetBusiness(db.MetaSnapshot{BusinessID: "9001"})
	fake.Fail("system_users", metatest.Fault{Code: 190, Message: "Error validating access token: Session has expired."})
	n := notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	n.Register(notify.MetaSyncJob(s, &meta.Client{BaseURL: fake.URL}))
	uid, err := s.CreateUser(ctx, db.SystemActor("test"), db.UserInput{Email: "ada@example.com", Password: "Quartz-Harbor-Lantern-88", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConnectMeta(ctx, db.Actor{UserID: uid, Email: "ada@example.com", Role: db.RoleAdmin}, db.MetaConnectInput{AppID: "1001",
		AppSecret: "fake-app-secret", BusinessID: "9001", Token: token, KeepToken: true, Check: db.MetaTokenCheck{Valid: true, NeverExpires: true}}); err != nil {
		t.Fatal(err)
	}
	for range 2 * 24 * 2 { // two days of wakes, every half hour
		if _, err := n.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		c.Add(30 * time.Minute)
	}
	// 1, 2, 4, 8 and 16 hours apart on the first day, then a day apart.
	if got, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM meta_syncs WHERE status = 'failed'"); got < 6 || got > 8 {
		t.Errorf("%d failed syncs in two days, want 6 to 8", got)
	}
}
