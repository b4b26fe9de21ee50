package db_test

import (
	"context"
	"path/filepath"
	"testing"

	"steward/db"
)

func TestAlertsGoToEmailsWhenMailIsSetUpAndToNobodyWhenTheRuleIsOff(t *testing.T) {
	ctx := context.Background()
	alert := db.Alert{Message: db.Message{Event: "token.never_expires", Record: db.Ref{Kind: "token", ID: 4},
		Summary: "A token that never expires was registered"}, To: []string{"ana@example.com", "ANA@example.com", " ", "ben@example.com"}}

	noMail := openStore(t)
	mustWebhook(t, noMail, "https://a.example/hook", "token.never_expires")
	if n, err := noMail.QueueAlerts(ctx, alert); err != nil || n != 1 {
		t.Fatalf("without mail: queued %d, %v; want 1 (the webhook alone)", n, err)
	}

	path := filepath.Join(t.TempDir(), "t.db")
	s, err := db.OpenWith(ctx, path, db.Options{Mail: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustWebhook(t, s, "https://a.example/hook", "token.never_expires")
	if n, err := s.QueueAlerts(ctx, alert, alert); err != nil || n != 3 {
		t.Fatalf("with mail: queued %d, %v; want 3 (ana once, ben, the webhook; the repeat adds nothing)", n, err)
	}
	if got := str(t, s, "SELECT group_concat(recipient, ' ') FROM (SELECT recipient FROM outbox ORDER BY id)"); got != "ana@example.com ben@example.com webhook:1" {
		t.Fatalf("recipients %q", got)
	}

	editFile(t, path, "INSERT INTO notification_rules (event, enabled) VALUES ('token.never_expires', 0)")
	alert.Record.ID = 5
	if n, err := s.QueueAlerts(ctx, alert); err != nil || n != 0 {
		t.Fatalf("rule off: queued %d, %v; want 0", n, err)
	}
	if got := count(t, s, "SELECT COUNT(*) FROM outbox"); got != 3 {
		t.Fatalf("outbox holds %d, want 3", got)
	}
}

func TestASentMessageIsOnItsRecordsTimeline(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if _, err := s.Queue(ctx, testMessage("ana@example.com", "7d")); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueDeliveries(ctx, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v, %v", due, err)
	}
	before := events(t, s)
	if err := s.MarkSent(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := events(t, s); got != before+1 {
		t.Fatalf("%d audit events after sending, want %d", got, before+1)
	}
	got := str(t, s, "SELECT actor || '|' || action || '|' || record_kind || ' ' || record_id || '|' || summary FROM audit_events ORDER BY id DESC LIMIT 1")
	if want := "Steward notifications|notification.sent|token 7|Reminder sent to ana@example.com: CRM token expires in 7d"; got != want {
		t.Fatalf("the timeline event is %q, want %q", got, want)
	}
	if got := str(t, s, "SELECT status FROM outbox"); got != db.DeliverySent {
		t.Fatalf("status %q", got)
	}
}
