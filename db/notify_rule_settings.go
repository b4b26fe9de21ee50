package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The notification rules as admins set them (issue #13 item 5): each rule
// switched on or off, the expiry reminders' thresholds and the digest's
// cadence, kept in notification_rules (migration 014). A rule without a
// row is on, with its default setting.

// Rule events that carry a setting.
const (
	EventTokenExpiring = "token.expiring"
	EventDigest        = "digest"
)

// The digest's cadences.
const (
	DigestWeekly = "weekly"
	DigestDaily  = "daily"
)

// DigestCadences are the cadences the digest may take, the default first.
var DigestCadences = []string{DigestWeekly, DigestDaily}

// DefaultExpiryThresholds are the days before a token's expiry that it is
// reminded of, unless an admin changed them.
var DefaultExpiryThresholds = []int{60, 30, 7, 1}

// Bounds of the expiry thresholds.
const (
	MaxExpiryThresholds = 8
	MaxThresholdDays    = 365
)

// RuleSetting is one rule as set: whether it is on, and its setting (the
// thresholds as "60,30,7,1", the digest's cadence; "" for the rules that
// take none).
type RuleSetting struct {
	Event   string
	Enabled bool
	Setting string
}

// ruleDefault is a rule's setting when no admin changed it.
func ruleDefault(event string) string {
	switch event {
	case EventTokenExpiring:
		return joinDays(DefaultExpiryThresholds)
	case EventDigest:
		return DigestWeekly
	}
	return ""
}

// RuleSettings are every rule's settings, in NotificationEvents order,
// with the defaults where no admin changed them.
func (s *Store) RuleSettings(ctx context.Context) ([]RuleSetting, error) {
	return ruleSettings(ctx, s.read)
}

// ruleSettings is RuleSettings read through q.
func ruleSettings(ctx context.Context, q querier) ([]RuleSetting, error) {
	rules := make([]RuleSetting, len(NotificationEvents))
	for i, e := range NotificationEvents {
		rules[i] = RuleSetting{Event: e, Enabled: true, Setting: ruleDefault(e)}
	}
	rows, err := q.QueryContext(ctx, "SELECT event, enabled, setting FROM notification_rules")
	if err != nil {
		return nil, fmt.Errorf("db: read notification rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r RuleSetting
		if err := rows.Scan(&r.Event, &r.Enabled, &r.Setting); err != nil {
			return nil, err
		}
		if i := slices.Index(NotificationEvents, r.Event); i >= 0 {
			if r.Setting == "" {
				r.Setting = rules[i].Setting
			}
			rules[i] = r
		}
	}
	return rules, rows.Err()
}

// RuleSettingOf is one rule's settings (see RuleSettings).
func (s *Store) RuleSettingOf(ctx context.Context, event string) (RuleSetting, error) {
	r := RuleSetting{Event: event, Enabled: true}
	err := s.read.QueryRowContext(ctx, "SELECT enabled, setting FROM notification_rules WHERE event = ?", event).
		Scan(&r.Enabled, &r.Setting)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("db: rule %s: %w", event, err)
	}
	if r.Setting == "" {
		r.Setting = ruleDefault(event)
	}
	return r, nil
}

// ExpiryThresholds are the token.expiring rule's thresholds in days,
// smallest first.
func (s *Store) ExpiryThresholds(ctx context.Context) ([]int, error) {
	r, err := s.RuleSettingOf(ctx, EventTokenExpiring)
	if err != nil {
		return nil, err
	}
	days, ok := parseThresholds(r.Setting)
	if !ok {
		days = slices.Clone(DefaultExpiryThresholds)
	}
	slices.Sort(days)
	return days, nil
}

// RulesInput is the rules form: the events of the rules left on, the
// expiry thresholds as typed ("60, 30, 7, 1") and the digest's cadence.
type RulesInput struct {
	Enabled    []string
	Thresholds string
	Cadence    string
}

// check validates in, returning the settings to save in NotificationEvents
// order.
func (in RulesInput) check(v *validator) []RuleSetting {
	days, ok := parseThresholds(in.Thresholds)
	if !ok {
		v.fail("thresholds", fmt.Sprintf("Use 1 to %d different whole numbers of days, each from 1 to %d.", MaxExpiryThresholds, MaxThresholdDays))
	}
	cadence := v.oneOf("cadence", strings.TrimSpace(in.Cadence), DigestCadences...)
	for _, e := range in.Enabled {
		if !slices.Contains(NotificationEvents, e) {
			v.fail("enabled", "Choose rules from the list.")
		}
	}
	out := make([]RuleSetting, len(NotificationEvents))
	for i, e := range NotificationEvents {
		out[i] = RuleSetting{Event: e, Enabled: slices.Contains(in.Enabled, e)}
		switch e {
		case EventTokenExpiring:
			out[i].Setting = joinDays(days)
		case EventDigest:
			out[i].Setting = cadence
		}
	}
	return out
}

// SaveRuleSettings saves the rules form, with its audit event in the same
// transaction: a ValidationError (by field) and nothing written when
// something is wrong, nothing at all when nothing changed.
func (s *Store) SaveRuleSettings(ctx context.Context, actor Actor, in RulesInput) error {
	v := newValidator()
	want := in.check(v)
	if err := v.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := ruleSettings(ctx, tx)
		if err != nil {
			return err
		}
		var changes []Change
		onOff := map[bool]string{true: "on", false: "off"}
		for i, r := range want {
			if old[i].Enabled != r.Enabled {
				changes = append(changes, Change{Field: r.Event, Before: onOff[old[i].Enabled], After: onOff[r.Enabled]})
			}
			if old[i].Setting != r.Setting {
				changes = append(changes, Change{Field: r.Event + " setting", Before: old[i].Setting, After: r.Setting})
			}
			if old[i] == r {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_rules (event, enabled, setting) VALUES (?, ?, ?)
				ON CONFLICT (event) DO UPDATE SET enabled = excluded.enabled, setting = excluded.setting`,
				r.Event, r.Enabled, r.Setting); err != nil {
				return fmt.Errorf("db: save notification rule %s: %w", r.Event, err)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "settings.changed", Summary: "Changed the notification rules",
			Changes: changes})
	})
}

// parseThresholds reads expiry thresholds typed as "60, 30, 7, 1": 1 to
// MaxExpiryThresholds different whole numbers from 1 to MaxThresholdDays,
// returned largest first.
func parseThresholds(text string) ([]int, bool) {
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	if len(fields) == 0 || len(fields) > MaxExpiryThresholds {
		return nil, false
	}
	days := make([]int, 0, len(fields))
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > MaxThresholdDays || slices.Contains(days, n) {
			return nil, false
		}
		days = append(days, n)
	}
	slices.Sort(days)
	slices.Reverse(days)
	return days, true
}

// joinDays writes thresholds as stored, largest first: "60,30,7,1".
func joinDays(days []int) string {
	sorted := slices.Clone(days)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	parts := make([]string, len(sorted))
	for i, d := range sorted {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ",")
}
