package db_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"steward/db"
)

// testMessage is a message for the email recipient to, keyed on threshold.
func testMessage(to, threshold string) db.Message {
	return db.Message{Rule: "token.expiring", Record: db.Ref{Kind: "token", ID: 7}, Threshold: threshold, Recipient: to,
		Event: "token.expiring", RecordName: "CRM token", Summary: "CRM token expires in " + threshold,
		Details: map[string]int{"days": 7}, Channel: db.ChannelEmail}
}

// mustWebhook adds a JSON webhook for events.
func mustWebhook(t *testing.T, s *db.Store, url string, events ...string) int64 {
	t.Helper()
	id, err := s.CreateWebhook(context.Background(), actor, db.WebhookInput{URL: url, Format: db.WebhookJSON,
		Secret: "a-long-shared-secret-1234", Events: events})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return id
}

func TestQueueingAMessageTwiceKeepsOne(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	n, err := s.Queue(ctx, testMessage("ana@example.com", "7d"), testMessage("ana@example.com", "7d"), testMessage("ana@example.com", "1d"))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("queued %d, want 2 (the repeat of 7d is not new)", n)
	}
	if n, err := s.Queue(ctx, testMessage("ana@example.com", "7d")); err != nil || n != 0 {
		t.Fatalf("queueing 7d again: %d new, %v; want 0", n, err)
	}
	if got := count(t, s, "SELECT COUNT(*) FROM outbox"); got != 2 {
		t.Fatalf("outbox holds %d messages, want 2", got)
	}
	if got := count(t, s, "SELECT COUNT(DISTINCT delivery_id) FROM outbox"); got != 2 {
		t.Fatalf("%d distinct delivery IDs, want 2", got)
	}
}

func TestDeliveryRetriesWhenDueAndEndsSentOrFailed(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	if _, err := s.Queue(ctx, testMessage("ana@example.com", "7d"), testMessage("ben@example.com", "7d")); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueDeliveries(ctx, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d, %v; want 2", len(due), err)
	}
	ana, ben := due[0], due[1]
	if err := s.MarkFailed(ctx, ana.ID, "connection refused\nsecond line", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, ben.ID); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, 10); len(due) != 0 {
		t.Fatalf("right after a failure, %d due, want none before the backoff", len(due))
	}
	now = now.Add(5 * time.Minute)
	due, _ = s.DueDeliveries(ctx, 10)
	if len(due) != 1 || due[0].DeliveryID != ana.DeliveryID || due[0].Attempts != 1 || due[0].LastError != "connection refused second line" {
		t.Fatalf("after the backoff: %+v, want ana's delivery again, same ID, 1 attempt, its error on one line", due)
	}
	if err := s.MarkFailed(ctx, ana.ID, "still refused", 0); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if due, _ := s.DueDeliveries(ctx, 10); len(due) != 0 {
		t.Fatalf("a delivery failed for good came due again: %+v", due)
	}
	if got := str(t, s, "SELECT group_concat(status || ':' || attempts, ',') FROM (SELECT * FROM outbox ORDER BY recipient)"); got != "failed:2,sent:1" {
		t.Fatalf("statuses %q, want failed:2,sent:1", got)
	}
	events0 := events(t, s)
	if err := s.RetryDelivery(ctx, actor, ana.ID); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, 10); len(due) != 1 || due[0].ID != ana.ID {
		t.Fatalf("after retry now: %+v, want ana's delivery due", due)
	}
	if events(t, s) != events0+1 {
		t.Fatal("retry now wrote no audit event")
	}
	validationError(t, s.RetryDelivery(ctx, actor, ben.ID), "delivery")
}

func TestWebhookAddressAndSecretAreSealedOutsideTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	s, _ := openStoreAt(t, path)
	ctx := context.Background()
	const url = "https://hooks.slack.example/services/T000/B000/XXXXSECRETPATH"
	id := mustWebhook(t, s, url, "token.expiring")
	w, err := s.WebhookByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if w.URLShown != "https://hooks.slack.example" || w.SecretHint != "1234" {
		t.Fatalf("shown %q, hint %q; want scheme and host, last four", w.URLShown, w.SecretHint)
	}
	target, err := s.WebhookTarget(ctx, id)
	if err != nil || target.URL != url || target.Secret != "a-long-shared-secret-1234" {
		t.Fatalf("target %+v, %v; want the address and secret back for sending", target, err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"XXXXSECRETPATH", "a-long-shared-secret"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the backup holds %q in clear text", secret)
		}
	}
}

func TestBadWebhooksAreRefusedWithNothingWritten(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	cases := []struct {
		field string
		in    db.WebhookInput
	}{
		{"url", db.WebhookInput{URL: "ftp://example.com/hook", Format: "json", Secret: "a-long-shared-secret-1234", Events: []string{"digest"}}},
		{"url", db.WebhookInput{URL: "javascript:alert(1)", Format: "json", Secret: "a-long-shared-secret-1234", Events: []string{"digest"}}},
		{"url", db.WebhookInput{URL: "", Format: "json", Secret: "a-long-shared-secret-1234", Events: []string{"digest"}}},
		{"format", db.WebhookInput{URL: "https://example.com/hook", Format: "xml", Secret: "a-long-shared-secret-1234", Events: []string{"digest"}}},
		{"secret", db.WebhookInput{URL: "https://example.com/hook", Format: "json", Events: []string{"digest"}}},
		{"secret", db.WebhookInput{URL: "https://example.com/hook", Format: "json", Secret: "short", Events: []string{"digest"}}},
		{"events", db.WebhookInput{URL: "https://example.com/hook", Format: "json", Secret: "a-long-shared-secret-1234"}},
		{"events", db.WebhookInput{URL: "https://example.com/hook", Format: "json", Secret: "a-long-shared-secret-1234", Events: []string{"made.up"}}},
	}
	before := events(t, s)
	for _, c := range cases {
		_, err := s.CreateWebhook(ctx, actor, c.in)
		validationError(t, err, c.field)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM webhooks"); n != 0 || events(t, s) != before {
		t.Fatalf("refused webhooks wrote %d rows and %d events", n, events(t, s)-before)
	}
	// A Slack webhook needs no secret.
	if _, err := s.CreateWebhook(ctx, actor, db.WebhookInput{URL: "https://hooks.slack.example/x", Format: "slack", Events: []string{"digest"}}); err != nil {
		t.Fatalf("a Slack webhook without a secret: %v", err)
	}
}

func TestAlertsGoToEnabledWebhooksThatSubscribe(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	departed := mustWebhook(t, s, "https://a.example/hook", "owner.departed_with_access")
	both := mustWebhook(t, s, "https://b.example/hook", "owner.departed_with_access", "digest")
	mustWebhook(t, s, "https://c.example/hook", "digest")
	off := mustWebhook(t, s, "https://d.example/hook", "owner.departed_with_access")
	if err := s.SetWebhookDisabled(ctx, actor, off, true); err != nil {
		t.Fatal(err)
	}
	m := db.Message{Rule: "owner.departed_with_access", Record: db.Ref{Kind: "owner", ID: 3}, Event: "owner.departed_with_access",
		Summary: "Ana left with access"}
	if err := s.QueueToWebhooksForTest(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT group_concat(webhook_id, ',') FROM (SELECT webhook_id FROM outbox ORDER BY webhook_id)"); got != id(departed)+","+id(both) {
		t.Fatalf("queued for webhooks %q, want %d,%d", got, departed, both)
	}
	// Disabling one drops what waits for it.
	if err := s.SetWebhookDisabled(ctx, actor, both, true); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT status || ' ' || last_error FROM outbox WHERE webhook_id = ?", both); got != "failed Not sent: the webhook was disabled." {
		t.Fatalf("the disabled webhook's delivery: %q", got)
	}
	if err := s.DeleteWebhook(ctx, actor, departed); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT status || ' ' || last_error FROM outbox WHERE webhook_id IS NULL"); got != "failed Not sent: the webhook was deleted." {
		t.Fatalf("the deleted webhook's delivery: %q", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action LIKE 'webhook.%'"); n != 7 {
		t.Fatalf("%d webhook audit events, want 7 (4 added, 2 disabled, 1 deleted)", n)
	}
}

func TestSchedulerRunsAreRemembered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	s, _ := openStoreAt(t, path)
	ctx := context.Background()
	if at, err := s.JobLastRun(ctx, "digest"); err != nil || !at.IsZero() {
		t.Fatalf("a job never run: %v, %v; want the zero time", at, err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if err := s.RecordJobRun(ctx, "digest", at); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, _ := openStoreAt(t, path)
	if got, err := s2.JobLastRun(ctx, "digest"); err != nil || !got.Equal(at) {
		t.Fatalf("after reopening: %v, %v; want %v", got, err, at)
	}
}
