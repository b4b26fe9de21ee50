package db

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
)

// Calendar feeds.
//
// Each login may have a personal iCalendar feed at /calendar/{secret}.ics
// of the dates that call for action: token expiries, reviews, people
// leaving, checklists due. Calendar apps fetch it without a session, so the
// secret in its address is the only key. It is not stored: the login's row
// in calendar_feeds keeps a random seed, the secret is the HMAC of the seed
// under the audit key (kept outside the database, see audit_seal.go), and
// the row keeps the secret's SHA-256 to find the login of a request, as
// sessions and set-password links keep theirs. So /me can show the address
// every time, while a copy of the database file (a backup) holds neither
// the secret nor what makes it. A new address replaces the seed and the
// hash: the old one stops working at once.

// calendarSeedBytes is how many random bytes a feed's seed has.
const calendarSeedBytes = 32

// calendarFeedsKey is the settings key that turns every feed off ("off");
// feeds are on while it is unset.
const calendarFeedsKey = "calendar_feeds"

// The feed's window: dates from CalendarDaysBack days ago to
// CalendarDaysAhead days ahead, so that what just passed stays visible and
// the feed stays bounded however old the inventory.
const (
	CalendarDaysBack  = 30
	CalendarDaysAhead = 400
)

// MaxCalendarDates bounds a feed. At 100,000 tokens the window can hold
// tens of thousands of dates, and calendar apps give up on feeds of
// several megabytes (an event is some 500 bytes); past the bound the feed
// keeps the soonest dates, and each query reads at most this many rows.
const MaxCalendarDates = 1000

// ErrCalendarFeedsOff answers a feed request while an admin has turned
// feeds off.
var ErrCalendarFeedsOff = errors.New("db: calendar feeds are off")

// What falls due on a CalendarDate, with Record.Kind: a token expires or
// is due for review, a role is due for review, a person leaves, a checklist
// is due.
const (
	CalendarExpires = "expires"
	CalendarReview  = "review"
	CalendarLeaving = "leaving"
	CalendarDue     = "due"
)

// CalendarDate is one date on a calendar feed: what falls due on which
// record.
type CalendarDate struct {
	On     string // YYYY-MM-DD
	What   string // CalendarExpires, CalendarReview, CalendarLeaving or CalendarDue
	Record Ref    // a token, a role, an owner or a checklist
	// Subject is a checklist's subject (the person, the token …).
	Subject Ref
	// Name names the record: a token's name, a role's holder, a person's
	// name, a checklist subject's name.
	Name string
	// Role is a role's name ("Admin").
	Role string
	// Where places it: a token's or a role's account, a person's department.
	Where string
}

// calendarSecret is the feed secret made from seed (see above). The label
// keeps it apart from every other MAC under the same key.
func (s *Store) calendarSecret(seed string) string {
	m := hmac.New(sha256.New, s.auditKey)
	m.Write([]byte("steward calendar feed\n" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CalendarFeedsOn reports whether calendar feeds are on (the default).
func (s *Store) CalendarFeedsOn(ctx context.Context) (bool, error) {
	v, err := s.QueryString(ctx, "SELECT value FROM settings WHERE key = ?", calendarFeedsKey)
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: read the calendar feeds setting: %w", err)
	}
	return v != "off", nil
}

// SetCalendarFeedsOn turns every login's calendar feed on or off, with its
// audit event in the same transaction. Turning them off keeps each login's
// address, so turning them on again brings the same addresses back.
func (s *Store) SetCalendarFeedsOn(ctx context.Context, actor Actor, on bool) error {
	word := map[bool]string{true: "on", false: "off"}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old := "on"
		err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", calendarFeedsKey).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: read the calendar feeds setting: %w", err)
		}
		if old == word[on] {
			return nil
		}
		if err := putSetting(ctx, tx, calendarFeedsKey, word[on]); err != nil {
			return fmt.Errorf("db: save the calendar feeds setting: %w", err)
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "settings.changed", Summary: "Turned calendar feeds " + word[on],
			Changes: []Change{{Field: calendarFeedsKey, Before: old, After: word[on]}}})
	})
}

// CalendarSecret is the secret of a login's calendar feed address, or
// ErrNotFound when it has none yet.
func (s *Store) CalendarSecret(ctx context.Context, userID int64) (string, error) {
	seed, err := s.QueryString(ctx, "SELECT seed FROM calendar_feeds WHERE user_id = ?", userID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("db: read calendar feed: %w", err)
	}
	return s.calendarSecret(seed), nil
}

// RenewCalendarFeed gives the actor's own login a new calendar feed
// address, its first or one in place of the old, which stops working at
// once; renewed says it replaced one. The audit event, in the same
// transaction, says which.
func (s *Store) RenewCalendarFeed(ctx context.Context, actor Actor) (renewed bool, err error) {
	if actor.UserID == 0 {
		return false, ErrNotFound // Steward itself has no feed
	}
	// Made before the transaction: its function may run twice.
	seed := randomToken(calendarSeedBytes)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var had int
		err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM calendar_feeds WHERE user_id = ?", actor.UserID).Scan(&had)
		if err != nil {
			return fmt.Errorf("db: read calendar feed: %w", err)
		}
		renewed = had > 0
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_feeds (user_id, seed, secret_hash, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET seed = excluded.seed, secret_hash = excluded.secret_hash, created_at = excluded.created_at`,
			actor.UserID, seed, hashToken(s.calendarSecret(seed)), formatTime(s.now())); err != nil {
			return fmt.Errorf("db: save calendar feed: %w", err)
		}
		ev := Event{Action: "user.calendar_feed_created", Subject: Ref{"user", actor.UserID},
			Summary: "Created a calendar feed address for login " + actor.Email}
		if renewed {
			ev.Action, ev.Summary = "user.calendar_feed_renewed",
				"Made a new calendar feed address for login "+actor.Email+"; the old one no longer works"
		}
		return s.appendEvent(ctx, tx, actor, ev)
	})
	return renewed, err
}

// CalendarFeed returns the dates of the calendar feed whose address holds
// secret, soonest first, at most MaxCalendarDates of them. It answers
// ErrCalendarFeedsOff while feeds are off, and ErrNotFound for a secret
// that is unknown or replaced, or whose login is disabled.
func (s *Store) CalendarFeed(ctx context.Context, secret string) ([]CalendarDate, error) {
	on, err := s.CalendarFeedsOn(ctx)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, ErrCalendarFeedsOff
	}
	var userID int64
	err = s.read.QueryRowContext(ctx, `SELECT u.id FROM calendar_feeds f JOIN users u ON u.id = f.user_id
		WHERE f.secret_hash = ? AND u.disabled = 0`, hashToken(secret)).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("db: find calendar feed: %w", err)
	}
	return s.calendarDates(ctx)
}

// calendarQueries select the feed's dates, one query per kind of date.
// Each takes the window's first and last day (?1, ?2), the same shifted
// back by the review interval (?3, ?4, for dates counted from the last
// review) and the row limit (?5); each reads its rows in date order from
// an index (TestCalendarQueriesUseIndexes), so none reads more than ?5
// rows. Each selects the date, the record's ID, its name, a role's name,
// where it is, and a checklist's subject.
//
// Every login may read every record today (viewers read all), so every
// feed holds the same dates; a login that may see fewer records would be
// narrowed here.
var calendarQueries = []struct {
	what, kind, query string
}{
	// Active tokens expiring.
	{CalendarExpires, "token", `SELECT t.expires_on, t.id, t.name, '', COALESCE(a.display_name, ''), '', 0
		FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.status = 'active' AND t.expires_on BETWEEN ?1 AND ?2 ORDER BY t.expires_on LIMIT ?5`},
	// Active tokens due for review: tokens have no review-by date, they are
	// due ReviewEveryDays after their last review (as the home page says).
	{CalendarReview, "token", `SELECT date(t.last_reviewed_on, '+` + fmt.Sprint(ReviewEveryDays) + ` days'), t.id, t.name, '',
		COALESCE(a.display_name, ''), '', 0
		FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id
		WHERE t.status = 'active' AND t.last_reviewed_on BETWEEN ?3 AND ?4 ORDER BY t.last_reviewed_on LIMIT ?5`},
	// Active roles by their review-by date …
	{CalendarReview, "role", `SELECT r.review_by, r.id, COALESCE(o.display_name, su.name, ''), r.role, a.display_name, '', 0
		FROM roles r JOIN accounts a ON a.id = r.account_id
		LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
		WHERE r.status = 'active' AND r.review_by BETWEEN ?1 AND ?2 ORDER BY r.review_by LIMIT ?5`},
	// … or, without one, ReviewEveryDays after their last review.
	{CalendarReview, "role", `SELECT date(r.last_reviewed_on, '+` + fmt.Sprint(ReviewEveryDays) + ` days'), r.id,
		COALESCE(o.display_name, su.name, ''), r.role, a.display_name, '', 0
		FROM roles r JOIN accounts a ON a.id = r.account_id
		LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
		WHERE r.status = 'active' AND r.review_by = '' AND r.last_reviewed_on BETWEEN ?3 AND ?4 ORDER BY r.last_reviewed_on LIMIT ?5`},
	// People leaving (not yet departed). The partial index needs its
	// condition repeated (see enableQPSG).
	{CalendarLeaving, "owner", `SELECT o.leaving_on, o.id, o.display_name, '', o.department, '', 0 FROM owners o
		WHERE o.leaving_on <> '' AND o.leaving_on BETWEEN ?1 AND ?2 AND o.status <> 'departed' ORDER BY o.leaving_on LIMIT ?5`},
	// Open checklists due.
	{CalendarDue, "checklist", `SELECT c.due_on, c.id, COALESCE(` + subjectNameSQL + `, ''), '', '', c.subject_kind, c.subject_id
		FROM checklists c WHERE c.status = 'open' AND c.due_on BETWEEN ?1 AND ?2 ORDER BY c.due_on LIMIT ?5`},
}

// calendarDates reads every kind of date in the feed's window, soonest
// first, at most MaxCalendarDates.
func (s *Store) calendarDates(ctx context.Context) ([]CalendarDate, error) {
	from, to := s.daysFromToday(-CalendarDaysBack), s.daysFromToday(CalendarDaysAhead)
	reviewedFrom, reviewedTo := s.daysFromToday(-CalendarDaysBack-ReviewEveryDays), s.daysFromToday(CalendarDaysAhead-ReviewEveryDays)
	var out []CalendarDate
	for _, q := range calendarQueries {
		dates, err := all(ctx, s.read, func(row scanner) (CalendarDate, error) {
			d := CalendarDate{What: q.what, Record: Ref{Kind: q.kind}}
			return d, row.Scan(&d.On, &d.Record.ID, &d.Name, &d.Role, &d.Where, &d.Subject.Kind, &d.Subject.ID)
		}, "calendar dates", q.query, from, to, reviewedFrom, reviewedTo, MaxCalendarDates)
		if err != nil {
			return nil, err
		}
		out = append(out, dates...)
	}
	slices.SortFunc(out, func(a, b CalendarDate) int {
		return cmp.Or(cmp.Compare(a.On, b.On), cmp.Compare(a.Record.Kind, b.Record.Kind), cmp.Compare(a.Record.ID, b.Record.ID),
			cmp.Compare(a.What, b.What))
	})
	return out[:min(len(out), MaxCalendarDates)], nil
}
