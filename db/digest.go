package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The digest (issue #13 item 5): every home-page finding with its count,
// and what is new or resolved since the last digest, to the admins and the
// webhooks subscribed to "digest", once per period (migration 016).

// DigestCadence is how often the digest goes out: DigestDaily when an
// admin chose it, else DigestWeekly.
func (s *Store) DigestCadence(ctx context.Context, q querier) (string, error) {
	var setting string
	err := q.QueryRowContext(ctx, "SELECT setting FROM notification_rules WHERE event = ?", EventDigest).Scan(&setting)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("db: digest cadence: %w", err)
	}
	if setting == DigestDaily {
		return DigestDaily, nil
	}
	return DigestWeekly, nil
}

// digestPeriod names the period t falls in: its ISO week ("2026-W49") or
// its day.
func digestPeriod(t time.Time, cadence string) string {
	t = t.UTC()
	if cadence == DigestDaily {
		return t.Format("2006-01-02")
	}
	year, week := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", year, week)
}

// QueueDigest queues the digest of the current period, unless it was made
// already or an admin switched it off; title names a finding kind. It
// returns how many messages were new. The counts it reports are kept, in
// the same transaction, for the next digest to compare with; a digest that
// reached nobody (no admin emails, no webhooks) is not kept, so the next
// run tries again.
func (s *Store) QueueDigest(ctx context.Context, title func(kind string) string) (int, error) {
	on, err := s.RuleEnabled(ctx, s.read, EventDigest)
	if err != nil || !on {
		return 0, err
	}
	cadence, err := s.DigestCadence(ctx, s.read)
	if err != nil {
		return 0, err
	}
	now := s.now()
	period := digestPeriod(now, cadence)
	var made int
	if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM digests WHERE period = ?", period).Scan(&made); err != nil {
		return 0, fmt.Errorf("db: read digests: %w", err)
	}
	if made > 0 {
		return 0, nil
	}
	if reaches, err := s.digestReachesSomeone(ctx); err != nil || !reaches {
		return 0, err
	}
	findings, err := s.Findings(ctx)
	if err != nil {
		return 0, err
	}
	var last map[string]int // nil before the first digest
	var lastJSON string
	err = s.read.QueryRowContext(ctx, "SELECT counts FROM digests ORDER BY made_at DESC LIMIT 1").Scan(&lastJSON)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("db: read the last digest: %w", err)
	default:
		if err := json.Unmarshal([]byte(lastJSON), &last); err != nil {
			return 0, fmt.Errorf("db: decode the last digest: %w", err)
		}
	}
	m, counts := digestMessage(findings, last, title, cadence, period, now)
	countsJSON, err := json.Marshal(counts)
	if err != nil {
		return 0, err
	}
	var queued int
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		emails, err := s.AdminEmails(ctx, tx)
		if err != nil {
			return err
		}
		if queued, err = s.EnqueueAlert(ctx, tx, m, emails); err != nil || queued == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO digests (period, counts, made_at) VALUES (?, ?, ?) ON CONFLICT (period) DO NOTHING",
			period, string(countsJSON), formatTime(now))
		return err
	})
	return queued, err
}

// digestMessage is the digest of findings compared with the last digest's
// counts (nil when there was none), and the counts to keep.
func digestMessage(findings []Finding, last map[string]int, title func(string) string, cadence, period string, now time.Time) (Message, map[string]int) {
	counts := map[string]int{}
	var items []string
	var open, added, resolved int
	first := last == nil
	for _, f := range findings {
		was := last[f.Kind]
		if f.Count > 0 {
			counts[f.Kind] = f.Count
			open++
		}
		switch {
		case first && f.Count > 0:
			items = append(items, fmt.Sprintf("%s: %d", title(f.Kind), f.Count))
		case f.Count > 0 && was == 0:
			added++
			items = append(items, fmt.Sprintf("%s: %d (new since the last digest)", title(f.Kind), f.Count))
		case f.Count > was:
			items = append(items, fmt.Sprintf("%s: %d (%d more than in the last digest)", title(f.Kind), f.Count, f.Count-was))
		case f.Count > 0 && f.Count < was:
			items = append(items, fmt.Sprintf("%s: %d (%d fewer than in the last digest)", title(f.Kind), f.Count, was-f.Count))
		case f.Count > 0:
			items = append(items, fmt.Sprintf("%s: %d (as in the last digest)", title(f.Kind), f.Count))
		case was > 0:
			resolved++
			items = append(items, fmt.Sprintf("%s: resolved (%d in the last digest)", title(f.Kind), was))
		}
	}
	summary := fmt.Sprintf("Steward's %s digest for %s: ", cadence, period)
	if open == 0 {
		summary += "nothing dangerous found"
	} else {
		summary += countList(open, "finding")
	}
	if !first {
		summary += fmt.Sprintf(", %d new and %d resolved since the last digest", added, resolved)
	}
	summary += "."
	return Message{Event: EventDigest, Threshold: period, Summary: summary,
		Details: Facts{When: now.UTC().Format("2006-01-02"), Items: items,
			Action: "Open Steward's home page: each finding links to its records, and each record's page says what to do."}}, counts
}

// digestReachesSomeone reports whether a digest would go anywhere: to an
// admin's email when Steward can send email, or to an enabled webhook
// subscribed to it. Without either the findings are not worked out.
func (s *Store) digestReachesSomeone(ctx context.Context) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT (?1 AND EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND disabled = 0))
		OR EXISTS (SELECT 1 FROM webhooks w WHERE w.disabled = 0 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ?2))`,
		s.mail, EventDigest).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("db: digest recipients: %w", err)
	}
	return n == 1, nil
}
