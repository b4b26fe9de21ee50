package db

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// QueueToWebhooksForTest runs EnqueueToWebhooks in a transaction of its
// own, for the tests outside the package.
func (s *Store) QueueToWebhooksForTest(ctx context.Context, m Message) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.EnqueueToWebhooks(ctx, tx, m)
		return err
	})
}

// An alert is written with the change that causes it, or not at all.
func TestAlertCommitsAndRollsBackWithItsChange(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	change := func(fail bool) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.appendEvent(ctx, tx, SystemActor("test"), Event{Action: "owner.departed", Summary: "Ana left"}); err != nil {
				return err
			}
			if _, err := s.Enqueue(ctx, tx, Message{Rule: "owner.departed_with_access", Record: Ref{"owner", 1}, Recipient: "admin@example.com",
				Event: "owner.departed_with_access", Summary: "Ana left with access", Channel: ChannelEmail}); err != nil {
				return err
			}
			if fail {
				return errors.New("the change fails after queueing its alert")
			}
			return nil
		})
	}
	if err := change(true); err == nil {
		t.Fatal("the failing change reported success")
	}
	if n, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM outbox"); n != 0 {
		t.Fatalf("a rolled-back change left %d messages queued", n)
	}
	if err := change(false); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM outbox"); n != 1 {
		t.Fatalf("a committed change queued %d messages, want 1", n)
	}
}
