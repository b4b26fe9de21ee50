package db

import (
	"context"
	"database/sql"
	"strings"
)

// MailOff is why Steward sends no email: what to set.
const MailOff = "Mail is not set up: set STEWARD_SMTP_URL and STEWARD_MAIL_FROM"

// QueueEmailTest queues a test email to actor's own address ("Send a test
// email"), audited in the same transaction. It is refused when Steward
// cannot send email.
func (s *Store) QueueEmailTest(ctx context.Context, actor Actor) error {
	if !s.mail {
		return ValidationError{"mail": MailOff + ", then restart Steward."}
	}
	to := strings.TrimSpace(actor.Email)
	if to == "" {
		return ValidationError{"mail": "Your login has no email address to send the test to."}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Each test is a message of its own: its threshold is unique.
		if _, err := s.Enqueue(ctx, tx, Message{Rule: EventTest, Threshold: randomToken(12), Recipient: to,
			Event: EventTest, Summary: "A test email from Steward: email works.",
			Details: Facts{When: s.now().UTC().Format("2006-01-02"),
				Action: "Nothing: this email only shows that Steward's email arrives. " + actor.Email + " asked for it on the notifications page."},
			Channel: ChannelEmail}); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "mail.test_queued", Summary: "Queued a test email to " + to})
	})
}
