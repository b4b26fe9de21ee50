package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The transactional outbox (issue #13).
//
// A message is queued with Enqueue inside the transaction of the change that
// causes it, so the change and its alert are written together or not at
// all. A sender (internal/notify) reads what is due with DueDeliveries,
// sends each outside any transaction, and records the outcome with MarkSent
// or MarkFailed. A message's key (rule, record, threshold, recipient) is
// unique: queueing it again does nothing, so nothing is sent twice because
// a rule ran twice.

// Channels a message goes out on.
const (
	ChannelWebhook = "webhook"
	ChannelEmail   = "email"
)

// Delivery statuses: pending until sent, or failed for good.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// DeliveryStatuses are the delivery statuses, in the delivery log's order.
var DeliveryStatuses = []string{DeliveryPending, DeliverySent, DeliveryFailed}

// NotificationEvents are the event types Steward sends and webhooks
// subscribe to.
var NotificationEvents = []string{"token.expiring", "token.expired", "review.due", "offboarding.overdue",
	"owner.departed_with_access", "token.never_expires", "audit.verify_failed", EventReviewReminder, EventReviewOverdue, EventMetaDrift,
	"digest"}

// EventTest is the event of a webhook's "send a test"; it goes to that
// webhook alone, whatever it subscribes to.
const EventTest = "test"

// Message is one message to one recipient, as queued.
type Message struct {
	// The key: Rule is what made it (a rule's name, or "test"), Record the
	// record it is about (zero for none), Threshold the rule's step ("30d",
	// a date; "" for none) and Recipient who gets it (an email address, or
	// WebhookRecipient(id)).
	Rule      string
	Record    Ref
	Threshold string
	Recipient string

	Event      string // the event type: one of NotificationEvents, or EventTest
	RecordName string // the record's name when the message was queued
	Summary    string // one sentence for people
	Details    any    // what else the event carries, sent as JSON

	Channel   string // ChannelWebhook or ChannelEmail
	WebhookID int64  // the webhook, for ChannelWebhook
}

// WebhookRecipient is a webhook's recipient in a message's key.
func WebhookRecipient(id int64) string { return "webhook:" + idString(id) }

// Enqueue queues m inside tx, the transaction of the change that causes it.
// It reports false when a message with the same key is already queued (or
// sent): then nothing is written.
func (s *Store) Enqueue(ctx context.Context, tx *sql.Tx, m Message) (bool, error) {
	if m.Rule == "" || m.Recipient == "" || m.Event == "" || m.Summary == "" {
		return false, fmt.Errorf("db: enqueue: a message needs a rule, a recipient, an event and a summary")
	}
	if (m.Channel == ChannelWebhook) != (m.WebhookID != 0) || (m.Channel != ChannelWebhook && m.Channel != ChannelEmail) {
		return false, fmt.Errorf("db: enqueue: channel %q with webhook %d", m.Channel, m.WebhookID)
	}
	details, err := json.Marshal(m.Details)
	if err != nil {
		return false, fmt.Errorf("db: enqueue: encode details: %w", err)
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (delivery_id, rule, record_kind, record_id, threshold, recipient,
		event, record_name, summary, details, channel, webhook_id, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (rule, record_kind, record_id, threshold, recipient) DO NOTHING`,
		"dlv_"+randomToken(16), m.Rule, m.Record.Kind, m.Record.ID, m.Threshold, m.Recipient,
		m.Event, m.RecordName, m.Summary, string(details), m.Channel, nullID(m.WebhookID), now, now)
	if err != nil {
		return false, fmt.Errorf("db: enqueue: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Queue queues messages in a transaction of their own, for work that
// changes nothing else, such as a scheduled rule that found reminders due;
// it returns how many were new. A change queues its alerts with Enqueue in
// its own transaction instead.
func (s *Store) Queue(ctx context.Context, msgs ...Message) (int, error) {
	var queued int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		queued = 0 // the writer may run fn again on its own (see inTx)
		for _, m := range msgs {
			ok, err := s.Enqueue(ctx, tx, m)
			if err != nil {
				return err
			}
			if ok {
				queued++
			}
		}
		return nil
	})
	return queued, err
}

// Delivery is a queued message and how its delivery goes.
type Delivery struct {
	ID         int64
	DeliveryID string // the same on every attempt: receivers dedupe by it
	Rule       string
	Record     Ref
	Threshold  string
	Recipient  string
	Event      string
	RecordName string
	Summary    string
	Details    json.RawMessage
	Channel    string
	WebhookID  int64
	// Target is where it goes, for people: a webhook's scheme and host, or
	// an email address.
	Target        string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt string // RFC 3339, "" before the first attempt
	LastError     string
	SentAt        string // RFC 3339, "" until sent
	CreatedAt     time.Time
}

const deliveryColumns = `o.id, o.delivery_id, o.rule, o.record_kind, o.record_id, o.threshold, o.recipient, o.event,
	o.record_name, o.summary, o.details, o.channel, o.webhook_id,
	CASE WHEN o.channel = 'webhook' THEN COALESCE(w.url_shown, 'a deleted webhook') ELSE o.recipient END,
	o.status, o.attempts, o.next_attempt_at, o.last_attempt_at, o.last_error, o.sent_at, o.created_at`
const deliveryFrom = ` FROM outbox o LEFT JOIN webhooks w ON w.id = o.webhook_id`

func scanDelivery(row scanner) (Delivery, error) {
	var d Delivery
	var webhook sql.NullInt64
	var details, next, created string
	err := row.Scan(&d.ID, &d.DeliveryID, &d.Rule, &d.Record.Kind, &d.Record.ID, &d.Threshold, &d.Recipient, &d.Event,
		&d.RecordName, &d.Summary, &details, &d.Channel, &webhook, &d.Target,
		&d.Status, &d.Attempts, &next, &d.LastAttemptAt, &d.LastError, &d.SentAt, &created)
	d.WebhookID = nullable(webhook)
	d.Details = json.RawMessage(details)
	d.NextAttemptAt, _ = time.Parse(time.RFC3339Nano, next)
	d.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return d, err
}

// DueDeliveries are up to limit pending deliveries whose next attempt is
// due, the longest waiting first. It reads without taking the writer.
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]Delivery, error) {
	return all(ctx, s.read, scanDelivery, "due deliveries", "SELECT "+deliveryColumns+deliveryFrom+`
		WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?`,
		formatTime(s.now()), limit)
}

// DeliveryByID returns one delivery.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (Delivery, error) {
	return one(ctx, s.read, scanDelivery, "delivery", "SELECT "+deliveryColumns+deliveryFrom+" WHERE o.id = ?", id)
}

// MarkSent records a delivery's successful attempt and, when the message is
// about a record, puts it on that record's timeline ("Reminder sent to …"),
// in the same transaction.
func (s *Store) MarkSent(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var rule, event, kind, recipient, channel, summary, target string
		var recordID int64
		err := tx.QueryRowContext(ctx, `SELECT o.rule, o.event, o.record_kind, o.record_id, o.recipient, o.channel, o.summary,
			COALESCE(w.url_shown, 'a deleted webhook') FROM outbox o LEFT JOIN webhooks w ON w.id = o.webhook_id WHERE o.id = ?`, id).
			Scan(&rule, &event, &kind, &recordID, &recipient, &channel, &summary, &target)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read delivery: %w", err)
		}
		now := formatTime(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', attempts = attempts + 1, last_attempt_at = ?,
			sent_at = ?, last_error = '' WHERE id = ?`, now, now, id); err != nil {
			return fmt.Errorf("db: mark delivery sent: %w", err)
		}
		if kind == "" || recordID == 0 || rule == EventTest {
			return nil
		}
		if channel == ChannelWebhook {
			target = "the webhook to " + target
		} else {
			target = recipient
		}
		word := "Alert"
		if reminderEvents[event] {
			word = "Reminder"
		}
		return s.insertEvent(ctx, tx, SystemActor(NotifierName), Event{Action: "notification.sent",
			Subject: Ref{kind, recordID}, Summary: word + " sent to " + target + ": " + summary})
	})
}

// NotifierName is the actor of what the notifier writes to the audit log.
const NotifierName = "Steward notifications"

// reminderEvents are the events that remind of a date; the others alert to
// a change.
var reminderEvents = map[string]bool{"token.expiring": true, "token.expired": true, "review.due": true,
	"offboarding.overdue": true, "review.reminder": true, "review.overdue": true}

// MarkFailed records a delivery's failed attempt and what went wrong: it is
// tried again after backoff, or, when backoff is not positive, it has
// failed for good. A delivery no longer pending (an admin disabled its
// webhook meanwhile) keeps its status.
func (s *Store) MarkFailed(ctx context.Context, id int64, lastError string, backoff time.Duration) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		status, next := DeliveryFailed, now
		if backoff > 0 {
			status, next = DeliveryPending, now.Add(backoff)
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = attempts + 1, last_attempt_at = ?,
			next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`,
			status, formatTime(now), formatTime(next), shortError(lastError), id)
		if err != nil {
			return fmt.Errorf("db: mark delivery failed: %w", err)
		}
		return nil
	})
}

// shortError is a remote error as kept: one line of valid text, at most 500
// bytes.
func shortError(msg string) string {
	msg = strings.ToValidUTF8(msg, "?")
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' || isControl(r) }), " ")
	if len(msg) > 500 {
		cut := 500
		for !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// RetryDelivery makes a pending or failed delivery due now ("retry now"),
// audited.
func (s *Store) RetryDelivery(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var status, deliveryID, event string
		var webhook sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT status, delivery_id, event, webhook_id FROM outbox WHERE id = ?", id).
			Scan(&status, &deliveryID, &event, &webhook)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read delivery: %w", err)
		}
		if status == DeliverySent {
			return ValidationError{"delivery": "This message was already delivered."}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ?",
			formatTime(s.now()), id); err != nil {
			return fmt.Errorf("db: retry delivery: %w", err)
		}
		ev := Event{Action: "delivery.retried", Summary: "Asked to retry delivery " + deliveryID + " (" + event + ") now",
			Changes: []Change{{Field: "status", Before: status, After: DeliveryPending}}}
		if webhook.Valid {
			ev.Subject = Ref{"webhook", webhook.Int64}
		}
		return s.appendEvent(ctx, tx, actor, ev)
	})
}

// DeliveryLog is one page of the delivery log, newest first.
type DeliveryLog struct {
	Items []Delivery
	// Older is the cursor of the next page (the "before" of ListDeliveries);
	// 0 when this is the last.
	Older int64
}

// ListDeliveries is the delivery log, newest first: up to limit deliveries
// older than before (0 for the newest), with status only when status is one
// of DeliveryStatuses.
func (s *Store) ListDeliveries(ctx context.Context, status string, before int64, limit int) (DeliveryLog, error) {
	where, args := []string{}, []any{}
	for _, st := range DeliveryStatuses {
		if status == st {
			where, args = append(where, "o.status = ?"), append(args, st)
		}
	}
	if before > 0 {
		where, args = append(where, "o.id < ?"), append(args, before)
	}
	query := "SELECT " + deliveryColumns + deliveryFrom
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	items, err := all(ctx, s.read, scanDelivery, "delivery log", query+" ORDER BY o.id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return DeliveryLog{}, err
	}
	var log DeliveryLog
	if len(items) > limit {
		items = items[:limit]
		log.Older = items[limit-1].ID
	}
	log.Items = items
	return log, nil
}

// JobLastRun is when the scheduler's job name last ran to the end; the zero
// time when it never has.
func (s *Store) JobLastRun(ctx context.Context, name string) (time.Time, error) {
	at, err := s.QueryString(ctx, "SELECT last_run_at FROM scheduled_jobs WHERE name = ?", name)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("db: job %s: %w", name, err)
	}
	return time.Parse(time.RFC3339Nano, at)
}

// RecordJobRun notes that the scheduler's job name ran to the end at at.
func (s *Store) RecordJobRun(ctx context.Context, name string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scheduled_jobs (name, last_run_at) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at`, name, formatTime(at))
		if err != nil {
			return fmt.Errorf("db: record job %s: %w", name, err)
		}
		return nil
	})
}
