package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Webhook formats: Steward's own JSON, or Slack's incoming-webhook message.
const (
	WebhookJSON  = "json"
	WebhookSlack = "slack"
)

// WebhookFormats are the formats a webhook may take.
var WebhookFormats = []string{WebhookJSON, WebhookSlack}

// MinWebhookSecret is the shortest secret a JSON webhook takes, in
// characters: it signs every body, so it must not be guessable.
const MinWebhookSecret = 16

// Webhook is a configured webhook as people see it: never its whole URL or
// its secret.
type Webhook struct {
	ID         int64
	URLShown   string // the URL's scheme and host
	Format     string
	SecretHint string // the secret's last four characters; "" when it has none
	Events     []string
	Disabled   bool
	CreatedAt  string
	UpdatedAt  string
	// Last is its latest delivery, so that a receiver that is down shows
	// beside it; zero when it has had none.
	Last struct {
		Status, Error, At string
		Attempts          int
	}
}

// WebhookInput is a webhook's form. Editing, an empty URL or secret keeps
// the one stored.
type WebhookInput struct {
	URL, Format, Secret string
	Events              []string
}

// Problems says what is wrong with in, by field; creating says the URL is
// required (editing, empty keeps the stored one). Whether a JSON webhook
// has a secret once edited is checked against the stored one as it saves.
func (in WebhookInput) Problems(creating bool) ValidationError {
	v := newValidator()
	in.check(v, creating)
	return v.errs
}

// check is Problems on v, returning the normalised input.
func (in WebhookInput) check(v *validator, creating bool) WebhookInput {
	out := WebhookInput{Format: v.oneOf("format", in.Format, WebhookFormats...)}
	out.URL = v.line("url", in.URL, creating, 2000)
	if out.URL != "" {
		if u, err := url.Parse(out.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.fail("url", "Enter a web address starting with https:// (or http://).")
		}
	}
	out.Secret = in.Secret // a secret is taken exactly as typed: it must match the receiver's
	switch n := utf8.RuneCountInString(in.Secret); {
	case in.Secret != "" && (n < MinWebhookSecret || len(in.Secret) > 500):
		v.fail("secret", fmt.Sprintf("Use %d to 500 characters; a long random string is best.", MinWebhookSecret))
	case strings.ContainsFunc(in.Secret, func(r rune) bool { return isControl(r) || r == '\n' || r == '\t' }):
		v.fail("secret", "The secret must be a single line without control characters.")
	case creating && in.Secret == "" && out.Format == WebhookJSON:
		v.fail("secret", "Required: receivers check each message's signature with it.")
	}
	for _, e := range in.Events {
		e = strings.TrimSpace(e)
		if !slices.Contains(NotificationEvents, e) {
			v.fail("events", "Choose events from the list.")
		} else if !slices.Contains(out.Events, e) {
			out.Events = append(out.Events, e)
		}
	}
	if len(out.Events) == 0 {
		v.fail("events", "Choose at least one event.")
	}
	slices.SortFunc(out.Events, func(a, b string) int {
		return slices.Index(NotificationEvents, a) - slices.Index(NotificationEvents, b)
	})
	return out
}

// urlShown is what people see of a webhook URL: its scheme and host.
func urlShown(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// secretHint is what people see of a secret: its last four characters.
func secretHint(secret string) string {
	r := []rune(secret)
	if len(r) < MinWebhookSecret {
		return ""
	}
	return string(r[len(r)-4:])
}

const webhookColumns = `w.id, w.url_shown, w.format, w.secret_hint, w.events, w.disabled, w.created_at, w.updated_at,
	COALESCE(l.status, ''), COALESCE(l.last_error, ''), COALESCE(NULLIF(l.last_attempt_at, ''), l.created_at, ''), COALESCE(l.attempts, 0)`

// webhookFrom joins each webhook's latest delivery (one index probe each).
const webhookFrom = ` FROM webhooks w LEFT JOIN outbox l ON l.id = (SELECT MAX(id) FROM outbox WHERE webhook_id = w.id)`

func scanWebhook(row scanner) (Webhook, error) {
	var w Webhook
	var events string
	err := row.Scan(&w.ID, &w.URLShown, &w.Format, &w.SecretHint, &events, &w.Disabled, &w.CreatedAt, &w.UpdatedAt,
		&w.Last.Status, &w.Last.Error, &w.Last.At, &w.Last.Attempts)
	if err == nil {
		err = json.Unmarshal([]byte(events), &w.Events)
	}
	return w, err
}

// ListWebhooks lists the webhooks, oldest first.
func (s *Store) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return all(ctx, s.read, scanWebhook, "webhooks", "SELECT "+webhookColumns+webhookFrom+" ORDER BY w.id")
}

// WebhookByID returns one webhook.
func (s *Store) WebhookByID(ctx context.Context, id int64) (Webhook, error) {
	return one(ctx, s.read, scanWebhook, "webhook", "SELECT "+webhookColumns+webhookFrom+" WHERE w.id = ?", id)
}

// CreateWebhook adds a webhook, audited.
func (s *Store) CreateWebhook(ctx context.Context, actor Actor, in WebhookInput) (int64, error) {
	v := newValidator()
	in = in.check(v, true)
	if err := v.err(); err != nil {
		return 0, err
	}
	sealedURL, sealedSecret, err := s.sealWebhook(in)
	if err != nil {
		return 0, err
	}
	events, _ := json.Marshal(in.Events)
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (url_sealed, url_shown, format, secret_sealed, secret_hint, events, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sealedURL, urlShown(in.URL), in.Format, sealedSecret, secretHint(in.Secret), string(events), now, now)
		if err != nil {
			return fmt.Errorf("db: insert webhook: %w", err)
		}
		id, _ = res.LastInsertId()
		return s.appendEvent(ctx, tx, actor, Event{Action: "webhook.created", Subject: Ref{"webhook", id},
			Summary: "Added a webhook to " + urlShown(in.URL),
			Changes: diff(nil, webhookFields(urlShown(in.URL), in.Format, in.Secret != "", in.Events))})
	})
	return id, err
}

// webhookFields are a webhook's audited fields: never its URL's path or
// its secret, only whether it has one.
func webhookFields(shown, format string, hasSecret bool, events []string) []Change {
	return fields("url", shown, "format", format, "secret", map[bool]string{true: "set", false: "none"}[hasSecret],
		"events", strings.Join(events, ", "))
}

// sealWebhook seals in's URL and secret for storing.
func (s *Store) sealWebhook(in WebhookInput) (sealedURL, sealedSecret string, err error) {
	if sealedURL, err = s.seal(in.URL); err == nil {
		sealedSecret, err = s.seal(in.Secret)
	}
	if err != nil {
		return "", "", fmt.Errorf("db: seal webhook: %w", err)
	}
	return sealedURL, sealedSecret, nil
}

// webhookRow is a stored webhook as the changes read it inside their
// transaction.
type webhookRow struct {
	shown, format, sealedSecret string
	events                      []string
	disabled                    bool
}

// readWebhook reads webhook id inside tx; ErrNotFound when there is none.
func readWebhook(ctx context.Context, tx *sql.Tx, id int64) (webhookRow, error) {
	var w webhookRow
	var events string
	err := tx.QueryRowContext(ctx, "SELECT url_shown, format, secret_sealed, events, disabled FROM webhooks WHERE id = ?", id).
		Scan(&w.shown, &w.format, &w.sealedSecret, &events, &w.disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("db: read webhook: %w", err)
	}
	return w, json.Unmarshal([]byte(events), &w.events)
}

// UpdateWebhook changes a webhook, audited; an empty URL or secret keeps
// the stored one.
func (s *Store) UpdateWebhook(ctx context.Context, actor Actor, id int64, in WebhookInput) error {
	v := newValidator()
	in = in.check(v, false)
	if err := v.err(); err != nil {
		return err
	}
	sealedURL, sealedSecret, err := s.sealWebhook(in)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := readWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		shown, oldSealedSecret := old.shown, old.sealedSecret
		if in.Format == WebhookJSON && in.Secret == "" && oldSealedSecret == "" {
			return ValidationError{"secret": "Required: receivers check each message's signature with it."}
		}
		before := webhookFields(shown, old.format, oldSealedSecret != "", old.events)
		newShown := shown
		sets, args := []string{"format = ?", "events = ?", "updated_at = ?"}, []any{}
		events, _ := json.Marshal(in.Events)
		args = append(args, in.Format, string(events), formatTime(s.now()))
		if in.URL != "" {
			newShown = urlShown(in.URL)
			sets, args = append(sets, "url_sealed = ?", "url_shown = ?"), append(args, sealedURL, newShown)
		}
		if in.Secret != "" {
			sets, args = append(sets, "secret_sealed = ?", "secret_hint = ?"), append(args, sealedSecret, secretHint(in.Secret))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, id)...); err != nil {
			return fmt.Errorf("db: update webhook: %w", err)
		}
		changes := diff(before, webhookFields(newShown, in.Format, in.Secret != "" || oldSealedSecret != "", in.Events))
		if in.URL != "" && newShown == shown {
			changes = append(changes, Change{Field: "url", Before: shown, After: shown + " (new address)"})
		}
		if in.Secret != "" && oldSealedSecret != "" {
			changes = append(changes, Change{Field: "secret", Before: "set", After: "replaced"})
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "webhook.updated", Subject: Ref{"webhook", id},
			Summary: "Changed the webhook to " + newShown, Changes: changes})
	})
}

// SetWebhookDisabled disables or enables a webhook, audited. A disabled
// webhook receives nothing: what was waiting for it fails at once.
func (s *Store) SetWebhookDisabled(ctx context.Context, actor Actor, id int64, disabled bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := readWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		shown, was := w.shown, w.disabled
		if was == disabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET disabled = ?, updated_at = ? WHERE id = ?", disabled, formatTime(s.now()), id); err != nil {
			return fmt.Errorf("db: disable webhook: %w", err)
		}
		action, summary := "webhook.enabled", "Enabled the webhook to "+shown
		if disabled {
			action, summary = "webhook.disabled", "Disabled the webhook to "+shown
			if err := s.dropPendingDeliveries(ctx, tx, id, "Not sent: the webhook was disabled."); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"webhook", id}, Summary: summary,
			Changes: []Change{{Field: "disabled", Before: yesNo(was), After: yesNo(disabled)}}})
	})
}

// DeleteWebhook deletes a webhook, audited. Its deliveries stay in the log;
// those still waiting fail at once.
func (s *Store) DeleteWebhook(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := readWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.dropPendingDeliveries(ctx, tx, id, "Not sent: the webhook was deleted."); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM webhooks WHERE id = ?", id); err != nil {
			return fmt.Errorf("db: delete webhook: %w", err)
		}
		var changes []Change
		for _, f := range webhookFields(w.shown, w.format, w.sealedSecret != "", w.events) {
			changes = append(changes, Change{Field: f.Field, Before: f.After})
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "webhook.deleted", Subject: Ref{"webhook", id},
			Summary: "Deleted the webhook to " + w.shown, Changes: changes})
	})
}

// dropPendingDeliveries fails, inside tx, every delivery still waiting for
// webhook id, saying why.
func (s *Store) dropPendingDeliveries(ctx context.Context, tx *sql.Tx, id int64, why string) error {
	_, err := tx.ExecContext(ctx, "UPDATE outbox SET status = 'failed', last_error = ? WHERE webhook_id = ? AND status = 'pending'", why, id)
	if err != nil {
		return fmt.Errorf("db: drop deliveries: %w", err)
	}
	return nil
}

// QueueWebhookTest queues a test message for webhook id alone, audited.
func (s *Store) QueueWebhookTest(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		w, err := readWebhook(ctx, tx, id)
		if err != nil {
			return err
		}
		if w.disabled {
			return ValidationError{"webhook": "This webhook is disabled: enable it to send a test."}
		}
		// Each test is a message of its own: its threshold is unique.
		if _, err := s.Enqueue(ctx, tx, Message{Rule: EventTest, Threshold: randomToken(12), Recipient: WebhookRecipient(id),
			Event: EventTest, Summary: "A test message from Steward: this webhook works.",
			Details: map[string]string{"requested_by": actor.Email}, Channel: ChannelWebhook, WebhookID: id}); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "webhook.test_queued", Subject: Ref{"webhook", id},
			Summary: "Queued a test message for the webhook to " + w.shown})
	})
}

// EnqueueToWebhooks queues m, inside tx, for every enabled webhook that
// subscribes to m's event: the alerts that go to admins and webhooks at
// once. It returns how many were queued (a webhook that already has m's key
// gets nothing new).
func (s *Store) EnqueueToWebhooks(ctx context.Context, tx *sql.Tx, m Message) (int, error) {
	ids, err := subscribedWebhooks(ctx, tx, m.Event)
	if err != nil {
		return 0, err
	}
	return s.enqueueToWebhookIDs(ctx, tx, m, ids)
}

// subscribedWebhooks are the IDs of the enabled webhooks subscribed to event.
func subscribedWebhooks(ctx context.Context, tx *sql.Tx, event string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT w.id FROM webhooks w
		WHERE w.disabled = 0 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ?) ORDER BY w.id`, event)
	if err != nil {
		return nil, fmt.Errorf("db: webhooks of %s: %w", event, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// enqueueToWebhookIDs queues m, inside tx, for each of the webhooks ids.
func (s *Store) enqueueToWebhookIDs(ctx context.Context, tx *sql.Tx, m Message, ids []int64) (int, error) {
	queued := 0
	for _, id := range ids {
		m.Channel, m.WebhookID, m.Recipient = ChannelWebhook, id, WebhookRecipient(id)
		ok, err := s.Enqueue(ctx, tx, m)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	return queued, nil
}

// WebhookTarget is what the sender needs of a webhook: its whole URL and
// its secret, opened. Nothing shows it to people.
type WebhookTarget struct {
	URL, Secret, Format string
	Disabled            bool
}

// ErrWebhookUnreadable is a webhook whose URL or secret the audit key in
// use cannot open: the key was changed. Edit the webhook to enter them again.
var ErrWebhookUnreadable = errors.New("db: the webhook's address and secret were sealed with another audit key; edit the webhook to enter them again")

// WebhookTarget returns webhook id's address and secret for sending.
func (s *Store) WebhookTarget(ctx context.Context, id int64) (WebhookTarget, error) {
	var t WebhookTarget
	var sealedURL, sealedSecret string
	err := s.read.QueryRowContext(ctx, "SELECT url_sealed, secret_sealed, format, disabled FROM webhooks WHERE id = ?", id).
		Scan(&sealedURL, &sealedSecret, &t.Format, &t.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("db: read webhook: %w", err)
	}
	if t.URL, err = s.unseal(sealedURL); err == nil {
		t.Secret, err = s.unseal(sealedSecret)
	}
	if errors.Is(err, errUnsealable) {
		return t, ErrWebhookUnreadable
	}
	return t, err
}
