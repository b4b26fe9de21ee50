package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/internal/notify"
)

// TestTheSchedulerSendsTheDigestAndChecksTheAuditChainDaily runs the jobs
// every Steward registers, as the scheduler's wakes do, with the clock
// moved on: the weekly digest reaches a subscribed receiver once per week,
// and the daily check of the audit chain alerts it when the chain breaks.
func TestTheSchedulerSendsTheDigestAndChecksTheAuditChainDaily(t *testing.T) {
	ctx := context.Background()
	c := newClock() // Sunday 2026-03-01, ISO week 9
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	r := newReceiver(t, nil)
	if _, err := s.CreateWebhook(ctx, admin, db.WebhookInput{URL: r.URL + "/hook", Format: db.WebhookJSON, Secret: secret,
		Events: []string{db.EventDigest, db.EventAuditVerifyFailed}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, admin, db.AccountInput{Name: "Org", Platform: "GitHub"}); err != nil {
		t.Fatal(err)
	}
	n := notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	wake := func() []request {
		t.Helper()
		if _, err := n.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		return r.requests()
	}
	got := wake()
	if len(got) != 1 || got[0].event != db.EventDigest {
		t.Fatalf("first wake: %d requests, want the digest", len(got))
	}
	var body struct {
		Summary string   `json:"summary"`
		Details db.Facts `json:"details"`
	}
	if err := json.Unmarshal(got[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Summary != "Steward's weekly digest for 2026-W09: 1 finding." ||
		strings.Join(body.Details.Items, "|") != "Accounts with no admin-level holder: 1" {
		t.Fatalf("digest %q, items %q", body.Summary, body.Details.Items)
	}
	if _, found, err := s.LastAuditVerification(ctx); err != nil || !found {
		t.Fatalf("the audit chain was not checked on the first wake (%v)", err)
	}

	// The rest of the week, wake after wake: nothing more.
	for range 5 * 24 {
		c.Add(time.Hour)
		if c.Now().Weekday() == time.Monday && c.Now().Hour() == 0 {
			break
		}
		if got := wake(); len(got) != 1 {
			t.Fatalf("%s: %d requests, want still 1", c.Now(), len(got))
		}
	}

	// The chain is altered; the next daily check alerts, and the new
	// week's digest goes out.
	for _, q := range []string{"DROP TRIGGER audit_events_no_update", "UPDATE audit_events SET summary = 'nothing to see' WHERE id = 1"} {
		if err := s.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(24 * time.Hour)
	var events []string
	for _, req := range wake() {
		events = append(events, req.event)
	}
	if strings.Join(events, " ") != "digest digest audit.verify_failed" {
		t.Fatalf("events %q, want the second week's digest and the failed check", events)
	}
}
