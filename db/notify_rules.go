package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The notification rules' shared parts (issue #13 item 5): who a message
// goes to, whether its rule is on, and what its details carry.

// Facts are a message's Details: what every channel shows beside the
// summary, so that an owner without a Steward login can act on it. A rule
// may send a struct that embeds Facts to carry more.
type Facts struct {
	Account  string   `json:"account,omitempty"`    // where: the account's name
	Platform string   `json:"platform,omitempty"`   // where: its platform
	When     string   `json:"when,omitempty"`       // the date it is about, YYYY-MM-DD
	Action   string   `json:"what_to_do,omitempty"` // what to do, in a sentence or two
	Items    []string `json:"items,omitempty"`      // what it lists: what a person still holds, the findings
}

// MailEnabled says whether Steward can send email (Options.Mail).
func (s *Store) MailEnabled() bool { return s.mail }

// RuleEnabled says whether the rule that sends event is on; a rule no admin
// has switched off is.
func (s *Store) RuleEnabled(ctx context.Context, q querier, event string) (bool, error) {
	var enabled bool
	err := q.QueryRowContext(ctx, "SELECT enabled FROM notification_rules WHERE event = ?", event).Scan(&enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: rule %s: %w", event, err)
	}
	return enabled, nil
}

// AdminEmails are the email addresses of the enabled admin logins, the
// recipients of alerts and of what has no owner to go to.
func (s *Store) AdminEmails(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT email FROM users WHERE role = 'admin' AND disabled = 0 ORDER BY email")
	if err != nil {
		return nil, fmt.Errorf("db: admins' emails: %w", err)
	}
	defer rows.Close()
	var emails []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		emails = append(emails, e)
	}
	return emails, rows.Err()
}

// EnqueueAlert queues m, inside tx, to each of emails (when Steward can
// send email) and to every enabled webhook subscribed to m's event, unless
// an admin switched m's rule off. m's Rule defaults to its Event. It
// returns how many messages were new: a recipient that already has m's key
// gets nothing again.
func (s *Store) EnqueueAlert(ctx context.Context, tx *sql.Tx, m Message, emails []string) (int, error) {
	t, err := s.alertTargets(ctx, tx, m.Event)
	if err != nil {
		return 0, err
	}
	return s.enqueueAlertTo(ctx, tx, m, emails, t)
}

// alertTargets are what an event's alerts go to besides their emails:
// whether its rule is on, and the enabled webhooks subscribed to it. A batch
// of alerts reads them once per event, not once per alert.
type alertTargets struct {
	on       bool
	webhooks []int64
}

// alertTargets reads event's alert targets inside tx.
func (s *Store) alertTargets(ctx context.Context, tx *sql.Tx, event string) (alertTargets, error) {
	on, err := s.RuleEnabled(ctx, tx, event)
	if err != nil || !on {
		return alertTargets{}, err
	}
	hooks, err := subscribedWebhooks(ctx, tx, event)
	return alertTargets{on: true, webhooks: hooks}, err
}

// enqueueAlertTo queues m as EnqueueAlert does, to targets t already read.
func (s *Store) enqueueAlertTo(ctx context.Context, tx *sql.Tx, m Message, emails []string, t alertTargets) (int, error) {
	if !t.on {
		return 0, nil
	}
	if m.Rule == "" {
		m.Rule = m.Event
	}
	queued := 0
	if s.mail {
		seen := map[string]bool{}
		for _, e := range emails {
			e = strings.TrimSpace(e)
			if e == "" || seen[strings.ToLower(e)] {
				continue
			}
			seen[strings.ToLower(e)] = true
			m.Channel, m.WebhookID, m.Recipient = ChannelEmail, 0, e
			ok, err := s.Enqueue(ctx, tx, m)
			if err != nil {
				return queued, err
			}
			if ok {
				queued++
			}
		}
	}
	n, err := s.enqueueToWebhookIDs(ctx, tx, m, t.webhooks)
	return queued + n, err
}

// Alert is a message and the email addresses it goes to (besides the
// webhooks subscribed to its event): what EnqueueAlert queues.
type Alert struct {
	Message
	To []string
}

// QueueAlerts queues alerts in one transaction of their own, for work that
// changes nothing else, such as a scheduled rule that found reminders due;
// it returns how many messages were new. A change queues its alerts with
// EnqueueAlert in its own transaction instead.
func (s *Store) QueueAlerts(ctx context.Context, alerts ...Alert) (int, error) {
	var queued int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		queued = 0 // the writer may run fn again on its own (see inTx)
		targets := map[string]alertTargets{}
		for _, a := range alerts {
			t, read := targets[a.Event]
			if !read {
				var err error
				if t, err = s.alertTargets(ctx, tx, a.Event); err != nil {
					return err
				}
				targets[a.Event] = t
			}
			n, err := s.enqueueAlertTo(ctx, tx, a.Message, a.To, t)
			if err != nil {
				return err
			}
			queued += n
		}
		return nil
	})
	return queued, err
}
