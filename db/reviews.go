package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Access reviews (issue #14, migration 017): starting one snapshots every
// active role, token and system user in its scope into review_items, each
// routed to the person who should answer for it; closing carries out the
// answers the way a checklist carries out its items.

// ReviewScopes, ReviewIncludes and ReviewRepeats are the values a review's
// scope, include and repeat take.
var (
	ReviewScopes   = []string{"all", "platform", "accounts"}
	ReviewIncludes = []string{"roles", "tokens", "system_users"}
	ReviewRepeats  = []string{"none", "quarterly", "half-yearly", "yearly"}
)

// reviewRepeatMonths is how far each repeat moves the next review's due date.
var reviewRepeatMonths = map[string]int{"quarterly": 3, "half-yearly": 6, "yearly": 12}

// ReviewItemsShown is how many items a page of a review's items holds.
const ReviewItemsShown = 50

// ReviewInput is what the form to start a review sends.
type ReviewInput struct {
	Name       string
	Scope      string   // all, platform or accounts
	Platform   string   // for scope platform
	AccountIDs []string // for scope accounts
	Include    []string // roles, tokens, system_users
	DueOn      string
	Repeat     string
}

// Review is an access review, without its items.
type Review struct {
	ID         int64
	Name       string
	Scope      string
	Platform   string
	AccountIDs []int64
	Include    []string
	DueOn      string
	Repeat     string
	Status     string
	PreviousID int64
	Undecided  string
	CreatedBy  string
	CreatedAt  string
	ClosedBy   string
	ClosedAt   string
	// Progress, counted over the items.
	Total, Pending, Keep, Remove int
}

// ReviewItem is one record under review as it was when the review started,
// with its reviewer and answer.
type ReviewItem struct {
	ID            int64
	ReviewID      int64
	RecordKind    string
	RecordID      int64
	AccountID     int64
	AccountName   string
	Holder        string
	HolderOwnerID int64
	Detail        string
	Since         string
	LastSeen      string
	ReviewerID    int64 // 0: the admins
	ReviewerName  string
	RoutedBecause string
	Decision      string
	Note          string
	DecidedBy     string
	DecidedAt     string
	Outcome       string
	// LiveHolder is who holds the record now, for items whose holder changed.
	LiveHolder string
}

// ReviewProgress counts one reviewer's or one account's items by answer.
type ReviewProgress struct {
	ID      int64 // the reviewer's owner ID (0: the admins) or the account's ID
	Name    string
	Pending int
	Keep    int
	Remove  int
}

// Total is the number of items counted.
func (p ReviewProgress) Total() int { return p.Pending + p.Keep + p.Remove }

// reviewRef is a review's own audit record.
func reviewRef(id int64) Ref { return Ref{"review", id} }

// reviewValues is a checked ReviewInput.
type reviewValues struct {
	name, scope, platform, accounts, include, dueOn, repeat string
}

// checkReview validates in; a due date must not be before today.
func (s *Store) checkReview(in ReviewInput) (reviewValues, error) {
	v := newValidator()
	r := reviewValues{name: v.line("name", in.Name, true, 200)}
	r.scope = v.oneOf("scope", in.Scope, ReviewScopes...)
	switch r.scope {
	case "platform":
		r.platform = v.line("platform", in.Platform, false, 200)
		if r.platform == "" {
			v.fail("platform", "Choose the platform whose accounts are reviewed.")
		}
	case "accounts":
		var ids []int64
		for _, raw := range in.AccountIDs {
			if id := v.ref("account_id", raw, false); id != 0 && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			v.fail("account_id", "Choose at least one account to review.")
		}
		b, _ := json.Marshal(ids)
		r.accounts = string(b)
	}
	var include []string
	for _, what := range in.Include {
		if what = v.oneOf("include", what, ReviewIncludes...); !slices.Contains(include, what) {
			include = append(include, what)
		}
	}
	if len(include) == 0 {
		v.fail("include", "Choose what is reviewed: roles, tokens or system users.")
	}
	b, _ := json.Marshal(include)
	r.include = string(b)
	if r.dueOn = v.date("due_on", in.DueOn, true); r.dueOn != "" && r.dueOn < s.today() {
		v.fail("due_on", "The due date is in the past: choose today or a later day.")
	}
	r.repeat = v.oneOf("repeat", in.Repeat, ReviewRepeats...)
	if r.accounts == "" {
		r.accounts = "[]"
	}
	return r, v.err()
}

// StartReview saves a review and its snapshot in one transaction and
// returns its ID. Nothing in scope is a field error on scope.
func (s *Store) StartReview(ctx context.Context, actor Actor, in ReviewInput) (int64, error) {
	r, err := s.checkReview(in)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.inReviewTx(ctx, func(tx *sql.Tx) error {
		if r.scope == "accounts" {
			var missing int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM json_each(?) WHERE value NOT IN (SELECT id FROM accounts)", r.accounts).Scan(&missing); err != nil {
				return fmt.Errorf("db: check review accounts: %w", err)
			}
			if missing > 0 {
				return ValidationError{"account_id": "Choose accounts from the list."}
			}
		}
		var n int
		if id, n, err = s.insertReview(ctx, tx, actor, r, 0); err != nil {
			return err
		}
		if n == 0 {
			return ValidationError{"scope": "Nothing to review: no active roles, tokens or system users in this scope."}
		}
		return nil
	})
	return id, err
}

// insertReview saves a review with its snapshot and its start event, and
// returns its ID and number of items.
func (s *Store) insertReview(ctx context.Context, tx *sql.Tx, actor Actor, r reviewValues, previousID int64) (int64, int, error) {
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO reviews (name, scope, platform, account_ids, include, due_on, repeat, previous_id, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.name, r.scope, r.platform, r.accounts, r.include, r.dueOn, r.repeat, nullID(previousID), actor.Email, now, now)
	if err != nil {
		return 0, 0, fmt.Errorf("db: start review: %w", err)
	}
	id, _ := res.LastInsertId()
	n, err := snapshotReview(ctx, tx, id, r)
	if err != nil {
		return 0, 0, err
	}
	// The due date is in the changes: a date in a summary could wrap on a phone.
	summary := fmt.Sprintf("Started the access review %q (%d items)", r.name, n)
	if previousID != 0 {
		summary = fmt.Sprintf("Started the next access review %q (%d items)", r.name, n)
	}
	err = s.insertEvent(ctx, tx, actor, Event{Action: "review.started", Subject: reviewRef(id), Summary: summary,
		Changes: []Change{{Field: "scope", After: strings.TrimSpace(r.scope + " " + r.platform)}, {Field: "include", After: r.include},
			{Field: "due_on", After: r.dueOn}, {Field: "repeat", After: r.repeat}}})
	return id, n, err
}

// reviewScopes select the accounts in a review's scope, by scope: active
// ones for all or one platform, the chosen ones (whatever their status).
var reviewScopes = map[string]string{
	"all":      `SELECT id FROM accounts WHERE status = 'active'`,
	"platform": `SELECT id FROM accounts WHERE platform = :platform AND status = 'active'`,
	"accounts": `SELECT value FROM json_each(:accounts)`,
}

// reviewTokensInScope are the active tokens on the scope's accounts, on the
// account itself or (without one) through their system user; every active
// token for scope all, the accountless ones too.
const reviewTokensInScope = `SELECT t.id FROM scoped CROSS JOIN tokens t ON t.account_id = scoped.id AND t.status = 'active'
	UNION ALL SELECT t.id FROM scoped CROSS JOIN system_users su ON su.account_id = scoped.id
	CROSS JOIN tokens t ON t.system_user_id = su.id AND t.account_id IS NULL AND t.status = 'active'`

// snapshotSQL is the statement that snapshots one include value (roles,
// tokens, system_users) of a review with the scope.
func snapshotSQL(what, scope string) string {
	with := "WITH scoped(id) AS (" + reviewScopes[scope] + "), st(id) AS ("
	if scope == "all" {
		with += "SELECT id FROM tokens WHERE status = 'active'"
	} else {
		with += reviewTokensInScope
	}
	return with + ") " + reviewSnapshots[what]
}

// activeOwner is the owner ID col when that owner is active: a departed
// owner answers for nothing.
func activeOwner(col string) string {
	return "(SELECT id FROM owners WHERE id = " + col + " AND status = 'active')"
}

// The CROSS JOINs keep SQLite reading the scope's accounts first, then
// their records by the account indexes, rather than every active record.
//
// reviewSnapshots are the INSERT … SELECT that take a review's snapshot,
// one per include value, after snapshotSQL's scoped accounts and st tokens: holder (as named then), what, since when, last
// review, and the usual reviewer — the account's accountable owner, else
// the responsible owner.
var reviewSnapshots = map[string]string{
	"roles": `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, holder_owner_id, detail, since, last_seen, reviewer_owner_id)
		SELECT :review, 'role', r.id, r.account_id, ` + roleHolderSQL + `, r.owner_id,
			r.role || CASE WHEN r.admin = 1 THEN ' (admin)' ELSE '' END,
			COALESCE(NULLIF(r.granted_on, ''), substr(r.created_at, 1, 10)), r.last_reviewed_on, ` + activeOwner("a.owner_id") + `
		FROM scoped CROSS JOIN roles r ON r.account_id = scoped.id AND r.status = 'active' JOIN accounts a ON a.id = r.account_id
		LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id`,
	"tokens": `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, holder_owner_id, detail, since, last_seen, reviewer_owner_id)
		SELECT :review, 'token', t.id, a.id, ` + tokenHolderSQL + `, t.owner_id, t.name,
			COALESCE(NULLIF(t.issued_on, ''), substr(t.created_at, 1, 10)), t.last_reviewed_on,
			COALESCE(` + activeOwner("a.owner_id") + `, ` + activeOwner("t.responsible_owner_id") + `)
		FROM st JOIN tokens t ON t.id = st.id LEFT JOIN system_users su ON su.id = t.system_user_id
		LEFT JOIN accounts a ON a.id = COALESCE(t.account_id, su.account_id)
		LEFT JOIN owners o ON o.id = t.owner_id LEFT JOIN integrations ig ON ig.id = t.integration_id`,
	"system_users": `INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, holder_owner_id, detail, since, last_seen, reviewer_owner_id)
		SELECT :review, 'system_user', su.id, su.account_id, su.name, NULL,
			CASE WHEN su.admin = 1 THEN 'System user (admin)' ELSE 'System user' END, substr(su.created_at, 1, 10), '',
			COALESCE(` + activeOwner("a.owner_id") + `, ` + activeOwner("su.owner_id") + `)
		FROM scoped CROSS JOIN system_users su ON su.account_id = scoped.id AND su.status = 'active' JOIN accounts a ON a.id = su.account_id`,
}

// The holder of a role and of a token, as the snapshot names it and as the
// holder-changed check compares it: o is the holding owner, su the system
// user, ig (tokens) the integration.
const (
	roleHolderSQL  = `COALESCE(o.display_name, su.name, '')`
	tokenHolderSQL = `COALESCE(o.display_name, su.name, ig.name, '')`
)

// reviewOwnAccessSQL routes away the items whose reviewer would be their
// holder: to the holder's manager if recorded and active, else the admins,
// saying why. SET reads the row as it was, so both columns see the old
// reviewer.
const reviewOwnAccessSQL = `UPDATE review_items SET
	reviewer_owner_id = (SELECT m.id FROM owners h JOIN owners m ON m.id = h.manager_id AND m.status = 'active' WHERE h.id = review_items.holder_owner_id),
	routed_because = COALESCE(
		(SELECT 'Routed to ' || m.display_name || ', ' || h.display_name || '''s manager: nobody reviews their own access.'
			FROM owners h JOIN owners m ON m.id = h.manager_id AND m.status = 'active' WHERE h.id = review_items.holder_owner_id),
		'Routed to the admins: nobody reviews their own access, and ' || holder || ' has no manager recorded.')
	WHERE review_id = ? AND reviewer_owner_id = holder_owner_id`

// snapshotReview fills a review's items with set-based statements (no query
// per record) and returns how many it took.
func snapshotReview(ctx context.Context, tx *sql.Tx, id int64, r reviewValues) (int, error) {
	var include []string
	_ = json.Unmarshal([]byte(r.include), &include)
	total := 0
	for _, what := range ReviewIncludes {
		if !slices.Contains(include, what) {
			continue
		}
		res, err := tx.ExecContext(ctx, snapshotSQL(what, r.scope), snapshotArgs(id, r)...)
		if err != nil {
			return 0, fmt.Errorf("db: snapshot review %s: %w", what, err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	if _, err := tx.ExecContext(ctx, reviewOwnAccessSQL, id); err != nil {
		return 0, fmt.Errorf("db: route own access: %w", err)
	}
	return total, nil
}

// snapshotArgs are the named parameters of snapshotSQL.
func snapshotArgs(id int64, r reviewValues) []any {
	return []any{sql.Named("review", id), sql.Named("platform", r.platform), sql.Named("accounts", r.accounts)}
}

const reviewColumns = `r.id, r.name, r.scope, r.platform, r.account_ids, r.include, r.due_on, r.repeat, r.status, COALESCE(r.previous_id, 0),
	r.undecided, r.created_by, r.created_at, r.closed_by, r.closed_at`

// reviewCounts counts review r's items by answer, each from the
// (review_id, decision) index: a review of 100,000 items is counted without
// reading its rows.
const reviewCounts = `, (SELECT COUNT(*) FROM review_items WHERE review_id = r.id),
	(SELECT COUNT(*) FROM review_items WHERE review_id = r.id AND decision = 'pending'),
	(SELECT COUNT(*) FROM review_items WHERE review_id = r.id AND decision = 'keep'),
	(SELECT COUNT(*) FROM review_items WHERE review_id = r.id AND decision = 'remove')`

func scanReview(row scanner) (Review, error) {
	var r Review
	var accounts, include string
	err := row.Scan(&r.ID, &r.Name, &r.Scope, &r.Platform, &accounts, &include, &r.DueOn, &r.Repeat, &r.Status, &r.PreviousID,
		&r.Undecided, &r.CreatedBy, &r.CreatedAt, &r.ClosedBy, &r.ClosedAt, &r.Total, &r.Pending, &r.Keep, &r.Remove)
	_ = json.Unmarshal([]byte(accounts), &r.AccountIDs)
	_ = json.Unmarshal([]byte(include), &r.Include)
	return r, err
}

// ReviewByID returns a review with its progress.
func (s *Store) ReviewByID(ctx context.Context, id int64) (Review, error) {
	return s.reviews.review.get(s, idString(id), func() (Review, error) { return s.reviewByID(ctx, id) })
}

func (s *Store) reviewByID(ctx context.Context, id int64) (Review, error) {
	return one(ctx, s.read, scanReview, "review", "SELECT "+reviewColumns+reviewCounts+" FROM reviews r WHERE r.id = ?", id)
}

// ListReviews lists reviews, open ones first (soonest due first), with
// their progress.
func (s *Store) ListReviews(ctx context.Context, limit int) ([]Review, error) {
	return all(ctx, s.read, scanReview, "reviews", "SELECT "+reviewColumns+reviewCounts+
		` FROM reviews r ORDER BY r.status = 'closed', CASE WHEN r.status = 'open' THEN r.due_on END, r.id DESC LIMIT ?`, limit)
}

// ReviewProgressByReviewer counts a review's items per reviewer, the most
// undecided first; limit caps the rows.
func (s *Store) ReviewProgressByReviewer(ctx context.Context, id int64, limit int) ([]ReviewProgress, error) {
	return s.reviewProgress(ctx, `SELECT COALESCE(i.reviewer_owner_id, 0), COALESCE((SELECT display_name FROM owners WHERE id = i.reviewer_owner_id), ''),
		SUM(i.decision = 'pending'), SUM(i.decision = 'keep'), SUM(i.decision = 'remove')
		FROM review_items i WHERE i.review_id = ? GROUP BY i.reviewer_owner_id ORDER BY 3 DESC, 2 LIMIT ?`, id, limit)
}

// ReviewProgressByAccount counts a review's items per account, the most
// undecided first; limit caps the rows.
func (s *Store) ReviewProgressByAccount(ctx context.Context, id int64, limit int) ([]ReviewProgress, error) {
	return s.reviewProgress(ctx, `SELECT COALESCE(i.account_id, 0), COALESCE((SELECT display_name FROM accounts WHERE id = i.account_id), ''),
		SUM(i.decision = 'pending'), SUM(i.decision = 'keep'), SUM(i.decision = 'remove')
		FROM review_items i WHERE i.review_id = ? GROUP BY i.account_id ORDER BY 3 DESC, 2 LIMIT ?`, id, limit)
}

func (s *Store) reviewProgress(ctx context.Context, query string, id int64, limit int) ([]ReviewProgress, error) {
	return s.reviews.progress.get(s, query+idString(id)+":"+idString(int64(limit)), func() ([]ReviewProgress, error) {
		return all(ctx, s.read, func(row scanner) (ReviewProgress, error) {
			var p ReviewProgress
			return p, row.Scan(&p.ID, &p.Name, &p.Pending, &p.Keep, &p.Remove)
		}, "review progress", query, id, limit)
	})
}

const reviewItemColumns = `i.id, i.review_id, i.record_kind, i.record_id, COALESCE(i.account_id, 0), COALESCE(a.display_name, ''), i.holder,
	COALESCE(i.holder_owner_id, 0), i.detail, i.since, i.last_seen, COALESCE(i.reviewer_owner_id, 0), COALESCE(ro.display_name, ''),
	i.routed_because, i.decision, i.note, i.decided_by, i.decided_at, i.outcome`

const reviewItemFrom = ` FROM review_items i LEFT JOIN accounts a ON a.id = i.account_id LEFT JOIN owners ro ON ro.id = i.reviewer_owner_id`

func scanReviewItem(row scanner) (ReviewItem, error) {
	var it ReviewItem
	err := row.Scan(&it.ID, &it.ReviewID, &it.RecordKind, &it.RecordID, &it.AccountID, &it.AccountName, &it.Holder, &it.HolderOwnerID,
		&it.Detail, &it.Since, &it.LastSeen, &it.ReviewerID, &it.ReviewerName, &it.RoutedBecause, &it.Decision, &it.Note,
		&it.DecidedBy, &it.DecidedAt, &it.Outcome)
	return it, err
}

// ReviewItems is a page of a review's items in ID order after the item
// after; decision narrows them (pending: the undecided ones) when set.
// limit+1 rows are read so the caller knows whether there are more.
func (s *Store) ReviewItems(ctx context.Context, id int64, decision string, after int64, limit int) ([]ReviewItem, error) {
	if decision == "" {
		return all(ctx, s.read, scanReviewItem, "review items", "SELECT "+reviewItemColumns+reviewItemFrom+
			` WHERE i.review_id = ? AND i.id > ? ORDER BY i.id LIMIT ?`, id, after, limit)
	}
	return all(ctx, s.read, scanReviewItem, "review items", "SELECT "+reviewItemColumns+reviewItemFrom+
		` WHERE i.review_id = ? AND i.decision = ? AND i.id > ? ORDER BY i.id LIMIT ?`, id, decision, after, limit)
}

// reviewChangedSQL finds a review's items whose record no longer has the
// holder the snapshot saw, or is no longer active, with who holds it now
// (or its status). Only records changed since the review started are read
// (by their updated_at index), each joined to its item.
const reviewChangedSQL = `WITH started(at) AS (SELECT created_at FROM reviews WHERE id = :review)
	SELECT live.live, ` + reviewItemColumns + ` FROM (
	SELECT ri.id AS id, CASE WHEN r.status <> 'active' THEN r.status ELSE ` + roleHolderSQL + ` END AS live
	FROM roles r CROSS JOIN review_items ri ON ri.review_id = :review AND ri.record_kind = 'role' AND ri.record_id = r.id
	LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
	WHERE r.updated_at >= (SELECT at FROM started)
	UNION ALL
	SELECT ri.id, CASE WHEN t.status <> 'active' THEN t.status ELSE ` + tokenHolderSQL + ` END
	FROM tokens t CROSS JOIN review_items ri ON ri.review_id = :review AND ri.record_kind = 'token' AND ri.record_id = t.id
	LEFT JOIN owners o ON o.id = t.owner_id LEFT JOIN system_users su ON su.id = t.system_user_id LEFT JOIN integrations ig ON ig.id = t.integration_id
	WHERE t.updated_at >= (SELECT at FROM started)
	UNION ALL
	SELECT ri.id, CASE WHEN su.status <> 'active' THEN su.status ELSE su.name END
	FROM system_users su CROSS JOIN review_items ri ON ri.review_id = :review AND ri.record_kind = 'system_user' AND ri.record_id = su.id
	WHERE su.updated_at >= (SELECT at FROM started)) live
	JOIN review_items i ON i.id = live.id LEFT JOIN accounts a ON a.id = i.account_id LEFT JOIN owners ro ON ro.id = i.reviewer_owner_id
	WHERE live.live IS NOT i.holder ORDER BY i.id LIMIT :limit`

// ReviewHolderChanged lists up to limit items whose holder changed since
// the snapshot (or whose record was removed), with the live holder.
func (s *Store) ReviewHolderChanged(ctx context.Context, id int64, limit int) ([]ReviewItem, error) {
	return all(ctx, s.read, func(row scanner) (ReviewItem, error) {
		var live string
		it, err := scanReviewItem(prefixScanner{row, &live})
		it.LiveHolder = live
		return it, err
	}, "review holder changes", reviewChangedSQL, sql.Named("review", id), sql.Named("limit", limit))
}

// prefixScanner scans a row's first column into first, the rest with row.
type prefixScanner struct {
	row   scanner
	first any
}

func (p prefixScanner) Scan(dest ...any) error { return p.row.Scan(append([]any{p.first}, dest...)...) }

// CloseReview closes an open review in one transaction: each "remove" (and
// each undecided item when undecided is "remove") is carried out as a
// checklist carries out a removal, each "keep" marks the record reviewed
// today; a record someone else already removed is reported, not removed
// again. A repeating review's next one starts in the same transaction; its
// ID is returned (0 when none).
func (s *Store) CloseReview(ctx context.Context, actor Actor, id int64, undecided string) (int64, error) {
	v := newValidator()
	undecided = v.oneOf("undecided", undecided, "keep", "remove")
	if err := v.err(); err != nil {
		return 0, err
	}
	var nextID int64
	err := s.inReviewTx(ctx, func(tx *sql.Tx) error {
		r, err := scanReview(tx.QueryRowContext(ctx, "SELECT "+reviewColumns+reviewCounts+" FROM reviews r WHERE r.id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read review: %w", err)
		}
		if r.Status != "open" {
			return ValidationError{"undecided": "This review is already closed."}
		}
		counts, refs, err := s.carryOutReview(ctx, tx, actor, r, undecided)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE reviews SET status = 'closed', undecided = ?, closed_by = ?, closed_at = ?, updated_at = ? WHERE id = ?",
			undecided, actor.Email, formatTime(s.now()), formatTime(s.now()), id); err != nil {
			return fmt.Errorf("db: close review: %w", err)
		}
		err = s.insertEvent(ctx, tx, actor, Event{Action: "review.closed", Subject: reviewRef(id),
			Summary: fmt.Sprintf("Closed the access review %q: %d removed, %d kept, %d already removed by someone else",
				r.Name, counts["removed"], counts["kept"], counts["gone"]),
			Changes: []Change{{Field: "status", Before: "open", After: "closed"}, {Field: "undecided", After: undecided}},
			Related: refs})
		if err != nil || r.Repeat == "none" {
			return err
		}
		next := reviewValues{name: r.Name, scope: r.Scope, platform: r.Platform, repeat: r.Repeat, dueOn: s.nextReviewDue(r.DueOn, r.Repeat)}
		accounts, _ := json.Marshal(r.AccountIDs)
		include, _ := json.Marshal(r.Include)
		next.accounts, next.include = string(accounts), string(include)
		nextID, _, err = s.insertReview(ctx, tx, actor, next, id)
		return err
	})
	return nextID, err
}

// nextReviewDue is the due date repeat months after due, moved on by
// further periods while it would be in the past.
func (s *Store) nextReviewDue(due, repeat string) string {
	d, err := time.Parse("2006-01-02", due)
	if err != nil {
		d = s.now()
	}
	months := reviewRepeatMonths[repeat]
	next := addMonths(d, months)
	for n := 2; next.Format("2006-01-02") < s.today(); n++ {
		next = addMonths(d, n*months)
	}
	return next.Format("2006-01-02")
}

// addMonths is d n months on, kept inside the month: 31 March and three
// months is 30 June, not 1 July.
func addMonths(d time.Time, n int) time.Time {
	first := time.Date(d.Year(), d.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d.Day(), last)-1)
}

// Outcomes of a closed review's items, as the report prints them.
const (
	ReviewOutcomeRemoved = "Removed"
	ReviewOutcomeKept    = "Kept; marked reviewed"
	ReviewOutcomeGone    = "Already removed by someone else"
)

// carryOutReview acts on every item of review r and records each outcome;
// it returns the outcomes counted and the items' records. A record someone
// else removed meanwhile is reported, not removed again; each "remove" is
// carried out as a checklist's carry-out does, with its own event; the
// keeps, possibly 100,000 of them, are marked reviewed with set-based
// updates and one event on every kept record's timeline.
func (s *Store) carryOutReview(ctx context.Context, tx *sql.Tx, actor Actor, r Review, undecided string) (map[string]int, []Ref, error) {
	actor.Cause = fmt.Sprintf("access review %q (#%d)", r.Name, r.ID) // every change below names the review
	counts := map[string]int{}
	refs, err := reviewItemRefs(ctx, tx, "SELECT record_kind, record_id FROM review_items WHERE review_id = ? ORDER BY id", r.ID)
	if err != nil {
		return nil, nil, err
	}
	if counts["gone"], err = s.markReviewItemsGone(ctx, tx, r.ID, ReviewOutcomeGone); err != nil {
		return nil, nil, err
	}
	removals, err := reviewItemRefs(ctx, tx, `SELECT record_kind, record_id FROM review_items WHERE review_id = ? AND outcome = ''
		AND (decision = 'remove' OR (decision = 'pending' AND ? = 'remove')) ORDER BY id`, r.ID, undecided)
	if err != nil {
		return nil, nil, err
	}
	for _, ref := range removals {
		if _, err := s.removeAccess(ctx, tx, actor, ref.Kind, ref.ID); err != nil {
			return nil, nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE review_items SET outcome = ? WHERE review_id = ? AND record_kind = ? AND record_id = ?",
			ReviewOutcomeRemoved, r.ID, ref.Kind, ref.ID); err != nil {
			return nil, nil, fmt.Errorf("db: record review outcome: %w", err)
		}
	}
	counts["removed"] = len(removals)
	// A kept token of a system user removed above went with it.
	if counts["removed"] > 0 {
		if _, err := s.markReviewItemsGone(ctx, tx, r.ID, ReviewOutcomeWentWith); err != nil {
			return nil, nil, err
		}
	}
	if counts["kept"], err = s.keepReviewItems(ctx, tx, actor, r); err != nil {
		return nil, nil, err
	}
	return counts, refs, nil
}

// ReviewOutcomeWentWith is the outcome of a kept item whose record was
// removed along with another item of the same review (a system user's
// token).
const ReviewOutcomeWentWith = "Removed along with another item of this review"

// reviewItemRefs reads the records a query on review_items selects.
func reviewItemRefs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]Ref, error) {
	return all(ctx, tx, func(row scanner) (Ref, error) {
		var ref Ref
		return ref, row.Scan(&ref.Kind, &ref.ID)
	}, "review items", query, args...)
}

// markReviewItemsGone gives outcome to the items of review id not yet
// acted on whose record has ended; it returns how many.
func (s *Store) markReviewItemsGone(ctx context.Context, tx *sql.Tx, id int64, outcome string) (int, error) {
	gone := 0
	for _, kind := range []string{"role", "token", "system_user"} {
		k, _ := KindNamed(kind)
		res, err := tx.ExecContext(ctx, `UPDATE review_items SET outcome = ? WHERE review_id = ? AND record_kind = ? AND outcome = ''
			AND record_id IN (SELECT id FROM `+k.Table+` WHERE status = ?)`, outcome, id, kind, k.Ended)
		if err != nil {
			return 0, fmt.Errorf("db: review items gone: %w", err)
		}
		n, _ := res.RowsAffected()
		gone += int(n)
	}
	return gone, nil
}

// keepReviewItems marks every item of review r not yet acted on kept: its
// role or token reviewed today (a role whose review-by date has come gets
// the next one), a system user, which has no review date, unchanged. One
// event names them all and is on each one's timeline.
func (s *Store) keepReviewItems(ctx context.Context, tx *sql.Tx, actor Actor, r Review) (int, error) {
	kept, err := reviewItemRefs(ctx, tx, "SELECT record_kind, record_id FROM review_items WHERE review_id = ? AND outcome = '' ORDER BY id", r.ID)
	if err != nil || len(kept) == 0 {
		return 0, err
	}
	today, now := s.today(), formatTime(s.now())
	keptOf := func(kind string) string {
		return "(SELECT record_id FROM review_items WHERE review_id = " + idString(r.ID) + " AND record_kind = '" + kind + "' AND outcome = '')"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE roles SET last_reviewed_on = ?1,
		review_by = CASE WHEN review_by <> '' AND review_by <= ?1 THEN ?2 ELSE review_by END, updated_at = ?3
		WHERE id IN `+keptOf("role"), today, s.daysFromToday(ReviewEveryDays), now); err != nil {
		return 0, fmt.Errorf("db: mark kept roles reviewed: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tokens SET last_reviewed_on = ?, updated_at = ? WHERE id IN "+keptOf("token"), today, now); err != nil {
		return 0, fmt.Errorf("db: mark kept tokens reviewed: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE review_items SET outcome = ? WHERE review_id = ? AND outcome = ''", ReviewOutcomeKept, r.ID); err != nil {
		return 0, fmt.Errorf("db: record review outcomes: %w", err)
	}
	per := map[string]int{}
	for _, ref := range kept {
		per[ref.Kind]++
	}
	err = s.insertEvent(ctx, tx, actor, Event{Action: "review.kept", Subject: reviewRef(r.ID), Related: kept,
		Summary: fmt.Sprintf("Kept %s, %s and %s; roles and tokens marked reviewed on %s", countOf(per["role"], "role"),
			countOf(per["token"], "token"), countOf(per["system_user"], "system user"), today),
		Changes: []Change{{Field: "last_reviewed_on", After: today}}})
	return len(kept), err
}

// countOf is n and noun, plural when n is not 1: "1 role", "3 tokens".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprint(n) + " " + noun + "s"
}

// EachReviewItem calls fn with each item of a review in ID order, read a
// page at a time, for the report's export.
func (s *Store) EachReviewItem(ctx context.Context, id int64, fn func(ReviewItem) error) error {
	var after int64
	for {
		items, err := s.ReviewItems(ctx, id, "", after, 1000)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
			after = it.ID
		}
		if len(items) < 1000 {
			return nil
		}
	}
}
