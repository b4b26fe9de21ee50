package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The scheduled rules' question, "what is due now?" (issue #13 item 5):
// one indexed query per rule, each returning only what has not been queued
// yet (a NOT EXISTS on the outbox's key), as alerts ready for QueueAlerts.
// A rule that is off, or that nobody would receive (no mail and no webhook
// subscribed), finds nothing, so a rule without an audience does not
// re-read its backlog on every wake.

// DueLookbackDays is how far back the date-passed rules (token.expired,
// review.due) look at least: a date that passed while Steward was down, or
// before it first ran, is still told of once.
const DueLookbackDays = 30

// The rules' advice, in every channel's message.
const (
	adviceExpiring = "Rotate or renew it before then, and record the new value in Steward (Rotate on the token's page)."
	adviceExpired  = "Renew it and record the new value in Steward (Rotate on the token's page), or mark it revoked if it is no longer used."
	adviceTokenDue = "Check that it is still needed and who holds it, then mark it reviewed on its page in Steward."
	adviceRoleDue  = "Check that the holder still needs this role, then mark it reviewed in Steward, or remove it."
	adviceOffboard = "Finish the checklist's open items, or note why one is not needed, on its page in Steward."
)

// dueRow is what a due query selects: the record, its name, the date the
// rule is about, the step it reached (token.expiring), where it is, whom
// it goes to ("" for the admins) and its items.
type dueRow struct {
	kind     string
	id       int64
	name     string
	date     string
	step     int
	account  string
	platform string
	email    string
	extra    string // a role's name; an offboarding checklist's open items, unit-separated
}

// ownerEmailSQL is owner o's address when the owner is active and has one,
// else ” (the admins).
const ownerEmailSQL = `CASE WHEN %[1]s.status = 'active' THEN %[1]s.email ELSE '' END`

// notQueued keeps the rows whose message (rule, record, threshold) has a
// recipient that has not had it yet: when mail is on, the row's owner
// (email, an SQL expression; ” for none) or else each admin; and each
// enabled webhook subscribed to rule. So a new owner or a new webhook gets
// the step a record is at, while a wake with nothing new returns nothing.
// The outbox's key index answers each probe.
func notQueued(rule, kind, id, threshold, email string, mail bool) string {
	probe := func(recipient string) string {
		return fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM outbox q WHERE q.rule = '%s' AND q.record_kind = '%s'
			AND q.record_id = %s AND q.threshold = %s AND q.recipient = %s)`, rule, kind, id, threshold, recipient)
	}
	hooks := fmt.Sprintf(`EXISTS (SELECT 1 FROM webhooks w WHERE w.disabled = 0
		AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = '%s') AND %s)`, rule, probe(`'webhook:' || w.id`))
	if !mail {
		return " AND " + hooks
	}
	return fmt.Sprintf(` AND ((%[1]s <> '' AND %[2]s)
		OR (%[1]s = '' AND EXISTS (SELECT 1 FROM users u WHERE u.role = 'admin' AND u.disabled = 0 AND %[3]s))
		OR %[4]s)`, email, probe(email), probe("u.email"), hooks)
}

// ownerEmail is the SQL of owner o's address for the due queries.
func ownerEmail(o string) string { return "COALESCE(" + fmt.Sprintf(ownerEmailSQL, o) + ", '')" }

// expiringQuery is the token.expiring query for thresholds (smallest
// first): ?1 is today, ?2 the last day of the largest threshold and ?3 …
// each threshold's last day.
func expiringQuery(thresholds []int, mail bool) string {
	var step strings.Builder
	step.WriteString("CASE")
	for i, d := range thresholds {
		fmt.Fprintf(&step, " WHEN t.expires_on <= ?%d THEN %d", i+3, d)
	}
	step.WriteString(" END")
	return `SELECT 'token', t.id, t.name, t.expires_on, ` + step.String() + `, COALESCE(a.display_name, ''), COALESCE(a.platform, ''),
		` + ownerEmail("o") + `, ''
		FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN owners o ON o.id = t.responsible_owner_id
		WHERE t.status = 'active' AND t.expires_on >= ?1 AND t.expires_on <= ?2` +
		notQueued(EventTokenExpiring, "token", "t.id", `(`+step.String()+`) || 'd:' || t.expires_on`, ownerEmail("o"), mail) +
		` ORDER BY t.expires_on`
}

// expiredQuery finds active tokens whose expiry date passed: ?1 is the
// first day it looks at, ?2 today.
func expiredQuery(mail bool) string {
	return `SELECT 'token', t.id, t.name, t.expires_on, 0, COALESCE(a.display_name, ''), COALESCE(a.platform, ''),
	` + ownerEmail("o") + `, ''
	FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN owners o ON o.id = t.responsible_owner_id
	WHERE t.status = 'active' AND t.expires_on >= ?1 AND t.expires_on < ?2` +
		notQueued("token.expired", "token", "t.id", "t.expires_on", ownerEmail("o"), mail) + ` ORDER BY t.expires_on`
}

// reviewDueQuery finds review dates that passed, as the calendar feed
// dates them: a token ReviewEveryDays after its last review, a role on its
// review-by date or, without one, ReviewEveryDays after its last review.
// ?1 is the first day it looks at, ?2 today, ?3 and ?4 the same less
// ReviewEveryDays.
func reviewDueQuery(mail bool) string {
	every := "'+" + strconv.Itoa(ReviewEveryDays) + " days'"
	return `SELECT 'token', t.id, t.name, date(t.last_reviewed_on, ` + every + `), 0, COALESCE(a.display_name, ''), COALESCE(a.platform, ''),
		` + ownerEmail("o") + `, ''
		FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN owners o ON o.id = t.responsible_owner_id
		WHERE t.status = 'active' AND t.last_reviewed_on >= ?3 AND t.last_reviewed_on < ?4` +
		notQueued("review.due", "token", "t.id", "date(t.last_reviewed_on, "+every+")", ownerEmail("o"), mail) + `
	UNION ALL
	SELECT 'role', r.id, COALESCE(h.display_name, su.name, ''), r.review_by, 0, a.display_name, a.platform,
		` + ownerEmail("o") + `, r.role
		FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = a.owner_id
		LEFT JOIN owners h ON h.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
		WHERE r.status = 'active' AND r.review_by >= ?1 AND r.review_by < ?2` +
		notQueued("review.due", "role", "r.id", "r.review_by", ownerEmail("o"), mail) + `
	UNION ALL
	SELECT 'role', r.id, COALESCE(h.display_name, su.name, ''), date(r.last_reviewed_on, ` + every + `), 0, a.display_name, a.platform,
		` + ownerEmail("o") + `, r.role
		FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = a.owner_id
		LEFT JOIN owners h ON h.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
		WHERE r.status = 'active' AND r.review_by = '' AND r.last_reviewed_on >= ?3 AND r.last_reviewed_on < ?4` +
		notQueued("review.due", "role", "r.id", "date(r.last_reviewed_on, "+every+")", ownerEmail("o"), mail)
}

// offboardingQuery finds open offboarding checklists (a person's) past
// their due date and not reminded of today (?1), with their open items.
func offboardingQuery(mail bool) string {
	return `SELECT 'owner', c.subject_id, COALESCE(o.display_name, ''), c.due_on, 0, '', '', '',
	COALESCE((SELECT group_concat(title, char(31)) FROM (SELECT i.title FROM checklist_items i
		WHERE i.checklist_id = c.id AND i.done = 0 ORDER BY i.position)), '')
	FROM checklists c LEFT JOIN owners o ON o.id = c.subject_id
	WHERE c.status = 'open' AND c.due_on > '' AND c.due_on < ?1 AND c.subject_kind = 'owner'` +
		notQueued("offboarding.overdue", "owner", "c.subject_id", "?1", "''", mail) + ` ORDER BY c.due_on, c.id`
}

// dueRows runs one due query.
func (s *Store) dueRows(ctx context.Context, what, query string, args ...any) ([]dueRow, error) {
	return all(ctx, s.read, func(row scanner) (dueRow, error) {
		var r dueRow
		return r, row.Scan(&r.kind, &r.id, &r.name, &r.date, &r.step, &r.account, &r.platform, &r.email, &r.extra)
	}, what, query, args...)
}

// ruleHeard reports whether event's rule is on and someone would receive
// it: mail is set up, or an enabled webhook subscribes to it.
func (s *Store) ruleHeard(ctx context.Context, event string) (bool, error) {
	on, err := s.RuleEnabled(ctx, s.read, event)
	if err != nil || !on || s.mail {
		return on, err
	}
	var hooks int
	err = s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks w
		WHERE w.disabled = 0 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ?)`, event).Scan(&hooks)
	if err != nil {
		return false, fmt.Errorf("db: webhooks of %s: %w", event, err)
	}
	return hooks > 0, nil
}

// lookbackFrom is the first day a date-passed rule looks at: since's day
// (the job's last run) or DueLookbackDays ago, whichever is earlier.
func (s *Store) lookbackFrom(since time.Time) string {
	from := s.daysFromToday(-DueLookbackDays)
	if !since.IsZero() {
		if d := since.UTC().Format("2006-01-02"); d < from {
			from = d
		}
	}
	return from
}

// DueExpiryReminders are the token.expiring reminders due now: each active
// token expiring within the largest threshold gets the message of the
// smallest threshold its days left fall under, once per threshold and
// expiry date. After downtime only the step reached is sent, not the ones
// passed meanwhile; a token whose expiry moves is reminded again.
func (s *Store) DueExpiryReminders(ctx context.Context) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, EventTokenExpiring); err != nil || !heard {
		return nil, err
	}
	thresholds, err := s.ExpiryThresholds(ctx)
	if err != nil {
		return nil, err
	}
	args := []any{s.today(), s.daysFromToday(thresholds[len(thresholds)-1])}
	for _, d := range thresholds {
		args = append(args, s.daysFromToday(d))
	}
	rows, err := s.dueRows(ctx, "due expiry reminders", expiringQuery(thresholds, s.mail), args...)
	if err != nil {
		return nil, err
	}
	return s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		return Message{Event: EventTokenExpiring, Threshold: fmt.Sprintf("%dd:%s", r.step, r.date),
			Summary: fmt.Sprintf("Token “%s”%s expires %s, on %s.", r.name, where(r), s.inDays(r.date), r.date)}, Facts{Action: adviceExpiring}
	})
}

// DueExpiredAlerts are the token.expired alerts due now: an active token
// whose expiry date passed since the job last ran (looking back at least
// DueLookbackDays), once per expiry date.
func (s *Store) DueExpiredAlerts(ctx context.Context, since time.Time) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, "token.expired"); err != nil || !heard {
		return nil, err
	}
	rows, err := s.dueRows(ctx, "due expired alerts", expiredQuery(s.mail), s.lookbackFrom(since), s.today())
	if err != nil {
		return nil, err
	}
	return s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		return Message{Event: "token.expired", Threshold: r.date,
			Summary: fmt.Sprintf("Token “%s”%s expired on %s and is still marked active.", r.name, where(r), r.date)}, Facts{Action: adviceExpired}
	})
}

// DueReviewReminders are the review.due reminders due now: the review
// dates of active tokens and roles that passed since the job last ran
// (looking back at least DueLookbackDays), once per review date.
func (s *Store) DueReviewReminders(ctx context.Context, since time.Time) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, "review.due"); err != nil || !heard {
		return nil, err
	}
	from, today := s.lookbackFrom(since), s.today()
	rows, err := s.dueRows(ctx, "due review reminders", reviewDueQuery(s.mail), from, today,
		shiftDay(from, -ReviewEveryDays), shiftDay(today, -ReviewEveryDays))
	if err != nil {
		return nil, err
	}
	return s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		m := Message{Event: "review.due", Threshold: r.date}
		if r.kind == "role" {
			m.Summary = fmt.Sprintf("The review of the %s role held by %s%s was due on %s.", r.extra, r.name, where(r), r.date)
			m.RecordName = r.extra + " role of " + r.name
			return m, Facts{Action: adviceRoleDue}
		}
		m.Summary = fmt.Sprintf("The review of token “%s”%s was due on %s.", r.name, where(r), r.date)
		return m, Facts{Action: adviceTokenDue}
	})
}

// DueOffboardingReminders are today's offboarding.overdue reminders: one
// a day for each open offboarding checklist past its due date, to the
// admins, listing its open items.
func (s *Store) DueOffboardingReminders(ctx context.Context) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, "offboarding.overdue"); err != nil || !heard {
		return nil, err
	}
	today := s.today()
	rows, err := s.dueRows(ctx, "due offboarding reminders", offboardingQuery(s.mail), today)
	if err != nil {
		return nil, err
	}
	return s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		var items []string
		if r.extra != "" {
			items = strings.Split(r.extra, "\x1f")
		}
		return Message{Event: "offboarding.overdue", Threshold: today,
				Summary: fmt.Sprintf("The offboarding of %s was due on %s and %s still open.", r.name, r.date, itemsOpen(len(items)))},
			Facts{Action: adviceOffboard, Items: items}
	})
}

// dueAlerts makes rows into alerts with message: each about its row's
// record, with where and when in its facts, to its owner's address or else
// to the admins.
func (s *Store) dueAlerts(ctx context.Context, rows []dueRow, message func(dueRow) (Message, Facts)) ([]Alert, error) {
	var admins []string
	adminsRead := false
	alerts := make([]Alert, 0, len(rows))
	for _, r := range rows {
		m, facts := message(r)
		m.Record = Ref{r.kind, r.id}
		if m.RecordName == "" {
			m.RecordName = r.name
		}
		facts.Account, facts.Platform, facts.When = r.account, r.platform, r.date
		m.Details = facts
		to := []string{r.email}
		if r.email == "" {
			if !adminsRead {
				var err error
				if admins, err = s.AdminEmails(ctx, s.read); err != nil {
					return nil, err
				}
				adminsRead = true
			}
			to = admins
		}
		alerts = append(alerts, Alert{Message: m, To: to})
	}
	return alerts, nil
}

// where places a row's record for a summary: " on Acme Ads (Meta)", or ""
// when it has no account.
func where(r dueRow) string {
	switch {
	case r.account == "":
		return ""
	case r.platform == "" || strings.Contains(r.account, r.platform):
		return " on " + r.account
	}
	return " on " + r.account + " (" + r.platform + ")"
}

// inDays says how far day is from today: "today", "in 1 day", "in 7 days".
func (s *Store) inDays(day string) string {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return "soon"
	}
	today, _ := time.Parse("2006-01-02", s.today())
	switch n := int(d.Sub(today).Hours() / 24); n {
	case 0:
		return "today"
	case 1:
		return "in 1 day"
	default:
		return fmt.Sprintf("in %d days", n)
	}
}

// shiftDay is day moved by n days.
func shiftDay(day string, n int) string {
	d, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return d.AddDate(0, 0, n).Format("2006-01-02")
}

// itemsOpen says how many items are open: "1 item is", "3 items are".
func itemsOpen(n int) string {
	if n == 1 {
		return "1 item is"
	}
	return strconv.Itoa(n) + " items are"
}
