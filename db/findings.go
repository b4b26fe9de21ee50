package db

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ReviewEveryDays is how often tokens and roles should be reviewed.
const ReviewEveryDays = 90

// findingSample is how many records each finding lists on the home page.
const findingSample = 5

// Finding is one answer to "what is dangerous right now?": a kind (the
// data-finding name), how severe it is, how many records it holds, the first
// few, and the kinds of record whose lists show exactly its records.
type Finding struct {
	Kind     string
	Severity Severity
	Count    int
	Items    []FindingItem
	Lists    []string // record kinds (db.Kinds names): /{path}?finding=Kind lists them
}

// Severity is how much harm a finding's records can do; the home page leads
// with the most severe. A smaller value is more severe.
type Severity int

// The severities, most severe first.
const (
	SeverityCritical Severity = iota + 1
	SeverityHigh
	SeverityMedium
	SeverityLow
)

// FindingItem is one record in a finding, with a short reason.
type FindingItem struct {
	Kind   string // record kind: token, role, owner, account, integration, system_user
	ID     int64
	Name   string
	Detail string
	// DismissID is the item's dismissal, for findings one dismisses item
	// by item (Store.DismissDrift); 0 for others.
	DismissID int64
}

// findingQuery counts and samples one finding. Both queries take args as
// ?1, ?2 ...; sample also takes its LIMIT where it says {limit}, and selects
// kind, id, name and detail.
type findingQuery struct {
	kind     string
	severity Severity
	count    string
	sample   string
	args     func(s *Store) []any
	lists    []findingList
	// dismissable findings' samples select a fifth column, the ID of the
	// item's dismissal (FindingItem.DismissID).
	dismissable bool
}

// driftStillActive keeps the gone-from-platform items whose record is still
// active: one removed since the sync needs nothing more.
const driftStillActive = ` AND COALESCE((SELECT status FROM accounts WHERE d.record_kind = 'account' AND id = d.record_id),
	(SELECT status FROM system_users WHERE d.record_kind = 'system_user' AND id = d.record_id),
	(SELECT status FROM roles WHERE d.record_kind = 'role' AND id = d.record_id)) = 'active'`

// findingList is the condition a record list takes to show exactly a
// finding's records (TestFindingListsHoldExactlyTheirRecords keeps it in step
// with the finding's count). It names the list's own table by its alias in
// the list query (o, a, r, su, t) and the dates it compares with as {today},
// {soon} and {reviewed_since}.
type findingList struct {
	kind  string // a db.Kinds name
	where string
}

func noArgs(*Store) []any { return nil }

// tokenBase selects active tokens.
const tokenBase = ` FROM tokens t WHERE t.status = 'active'`

// findingQueries are the findings in home page order: most severe first, as
// DESIGN.md's "Severity of findings" orders them. A date that must be
// set is tested with "greater than empty" rather than "not empty": the same
// rows, as the empty text sorts first, but an index range then starts after
// the records without one. Where a few owners or integrations lead to their
// tokens, CROSS JOIN makes SQLite start from
// them and find the tokens by index; left to choose, it walked every active
// token (70,000 in the benchmark's dataset) instead.
var findingQueries = []findingQuery{
	// First: a departed person who can still sign in to Steward is the most
	// severe kind of access, "a departed person still holding access". Only
	// an admin disables a login, so an editor's departure leaves it here.
	{kind: "departed-with-login", severity: SeverityCritical,
		count: `SELECT COUNT(*) FROM owners o WHERE o.status = 'departed'
			AND EXISTS (SELECT 1 FROM users u WHERE u.owner_id = o.id AND u.disabled = 0)`,
		sample: `SELECT 'owner', o.id, o.display_name, 'can still sign in to Steward as ' || (SELECT group_concat(email, ', ')
				FROM (SELECT u.email FROM users u WHERE u.owner_id = o.id AND u.disabled = 0 ORDER BY u.email))
			FROM owners o WHERE o.status = 'departed' AND EXISTS (SELECT 1 FROM users u WHERE u.owner_id = o.id AND u.disabled = 0)
			ORDER BY o.name, o.id LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"owner", `o.status = 'departed' AND o.id IN (SELECT owner_id FROM users WHERE disabled = 0)`}}},
	{kind: "departed-with-access", severity: SeverityCritical,
		count: `SELECT COUNT(*) FROM owners o WHERE o.status = 'departed'
			AND EXISTS (SELECT 1 FROM roles r WHERE r.owner_id = o.id AND r.status = 'active')`,
		sample: `SELECT 'owner', o.id, o.display_name, (SELECT COUNT(*) FROM roles r WHERE r.owner_id = o.id AND r.status = 'active') || ' active role(s)'
			FROM owners o WHERE o.status = 'departed' AND EXISTS (SELECT 1 FROM roles r WHERE r.owner_id = o.id AND r.status = 'active')
			ORDER BY o.name LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"owner", `o.status = 'departed' AND o.id IN (SELECT owner_id FROM roles WHERE status = 'active')`}}},
	{kind: "retired-integration-active-token", severity: SeverityCritical,
		count: `SELECT COUNT(*) FROM integrations i CROSS JOIN tokens t ON t.integration_id = i.id AND t.status = 'active'
			WHERE i.status = 'retired'`,
		sample: `SELECT 'token', t.id, t.name, 'used by ' || i.name || ', which is retired' FROM integrations i
			CROSS JOIN tokens t ON t.integration_id = i.id AND t.status = 'active' WHERE i.status = 'retired' ORDER BY i.name, t.id LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"token", `t.status = 'active' AND t.integration_id IN (SELECT id FROM integrations WHERE status = 'retired')`}}},
	{kind: "expired-active", severity: SeverityHigh,
		count:  `SELECT COUNT(*)` + tokenBase + ` AND t.expires_on > '' AND t.expires_on < ?1`,
		sample: `SELECT 'token', t.id, t.name, 'expired on ' || t.expires_on` + tokenBase + ` AND t.expires_on > '' AND t.expires_on < ?1 ORDER BY t.expires_on LIMIT {limit}`,
		args:   func(s *Store) []any { return []any{s.today()} },
		lists:  []findingList{{"token", `t.status = 'active' AND t.expires_on > '' AND t.expires_on < {today}`}}},
	{kind: "creator-departed", severity: SeverityHigh,
		count: `SELECT COUNT(*) FROM owners o CROSS JOIN tokens t ON t.created_by_owner_id = o.id AND t.status = 'active'
			WHERE o.status = 'departed' AND (t.last_rotated_on = '' OR t.last_rotated_on < o.leaving_on)`,
		sample: `SELECT 'token', t.id, t.name, 'created by ' || o.display_name || ', who left' || CASE WHEN o.leaving_on = '' THEN '' ELSE ' on ' || o.leaving_on END
			|| '; ' || CASE WHEN t.last_rotated_on = '' THEN 'never rotated' ELSE 'last rotated ' || t.last_rotated_on END
			FROM owners o CROSS JOIN tokens t ON t.created_by_owner_id = o.id AND t.status = 'active'
			WHERE o.status = 'departed' AND (t.last_rotated_on = '' OR t.last_rotated_on < o.leaving_on) ORDER BY o.name, t.id LIMIT {limit}`,
		args: noArgs,
		lists: []findingList{{"token", `t.status = 'active' AND t.created_by_owner_id IN (SELECT id FROM owners WHERE status = 'departed'
			AND (t.last_rotated_on = '' OR t.last_rotated_on < leaving_on))`}}},
	{kind: "owner-departed", severity: SeverityHigh,
		count: `SELECT COUNT(*) FROM owners o CROSS JOIN tokens t ON t.responsible_owner_id = o.id AND t.status = 'active'
			WHERE o.status IN ('offboarding', 'departed')`,
		sample: `SELECT 'token', t.id, t.name, 'answered for by ' || o.display_name || ' (' || o.status || ')' FROM owners o
			CROSS JOIN tokens t ON t.responsible_owner_id = o.id AND t.status = 'active' WHERE o.status IN ('offboarding', 'departed')
			ORDER BY o.status DESC, o.name, t.id LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"token", `t.status = 'active' AND t.responsible_owner_id IN (SELECT id FROM owners WHERE status IN ('offboarding', 'departed'))`}}},
	// The drift the latest Meta sync found (meta_sync.go), until a sync no
	// longer finds it or someone dismisses it. Access on Meta that nobody
	// recorded is unknown access; a record gone from Meta is a stale one.
	{kind: FindingUnrecordedOnPlatform, severity: SeverityHigh, dismissable: true,
		count: `SELECT COUNT(*) FROM meta_drift d WHERE d.finding = 'unrecorded-on-platform' AND d.dismissed_at = ''`,
		sample: `SELECT d.record_kind, 0, d.name, d.detail, d.id FROM meta_drift d
			WHERE d.finding = 'unrecorded-on-platform' AND d.dismissed_at = '' ORDER BY d.id LIMIT {limit}`,
		args: noArgs},
	{kind: FindingGoneFromPlatform, severity: SeverityMedium, dismissable: true,
		count: `SELECT COUNT(*) FROM meta_drift d WHERE d.finding = 'gone-from-platform' AND d.dismissed_at = ''` + driftStillActive,
		sample: `SELECT d.record_kind, d.record_id, d.name, d.detail, d.id FROM meta_drift d
			WHERE d.finding = 'gone-from-platform' AND d.dismissed_at = ''` + driftStillActive + ` ORDER BY d.id LIMIT {limit}`,
		args: noArgs},
	{kind: "no-admin", severity: SeverityMedium,
		count: `SELECT COUNT(*) FROM accounts a WHERE a.status = 'active'
			AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1)`,
		sample: `SELECT 'account', a.id, a.display_name, a.platform || ' ' || a.kind FROM accounts a WHERE a.status = 'active'
			AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1)
			ORDER BY CASE a.criticality WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, a.name LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"account", `a.status = 'active' AND a.id NOT IN (SELECT account_id FROM roles WHERE status = 'active' AND admin = 1)`}}},
	{kind: "single-admin", severity: SeverityMedium,
		count: `SELECT COUNT(*) FROM accounts a WHERE a.status = 'active'
			AND (SELECT COUNT(*) FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1) = 1`,
		sample: `SELECT 'account', a.id, a.display_name, 'only admin: ' || (SELECT COALESCE(o.display_name, su.name, '') FROM roles r
				LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
				WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1)
			FROM accounts a WHERE a.status = 'active'
			AND (SELECT COUNT(*) FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1) = 1
			ORDER BY CASE a.criticality WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, a.name LIMIT {limit}`,
		args: noArgs,
		lists: []findingList{{"account", `a.status = 'active'
			AND a.id IN (SELECT account_id FROM roles WHERE status = 'active' AND admin = 1 GROUP BY account_id HAVING COUNT(*) = 1)`}}},
	{kind: "never-expires", severity: SeverityMedium,
		count:  `SELECT COUNT(*)` + tokenBase + ` AND t.expires_on = ''`,
		sample: `SELECT 'token', t.id, t.name, 'issued ' || CASE WHEN t.issued_on = '' THEN 'on an unknown date' ELSE t.issued_on END` + tokenBase + ` AND t.expires_on = '' ORDER BY t.issued_on, t.id LIMIT {limit}`,
		args:   noArgs,
		lists:  []findingList{{"token", `t.status = 'active' AND t.expires_on = ''`}}},
	{kind: "expiring-soon", severity: SeverityMedium,
		count:  `SELECT COUNT(*)` + tokenBase + ` AND t.expires_on >= ?1 AND t.expires_on <= ?2`,
		sample: `SELECT 'token', t.id, t.name, 'expires on ' || t.expires_on` + tokenBase + ` AND t.expires_on >= ?1 AND t.expires_on <= ?2 ORDER BY t.expires_on LIMIT {limit}`,
		args:   func(s *Store) []any { return []any{s.today(), s.daysFromToday(ExpiringSoonDays)} },
		lists:  []findingList{{"token", `t.status = 'active' AND t.expires_on >= {today} AND t.expires_on <= {soon}`}}},
	{kind: "admin-system-user", severity: SeverityLow,
		count: `SELECT COUNT(*) FROM system_users su WHERE su.status = 'active' AND su.admin = 1`,
		sample: `SELECT 'system_user', su.id, su.name, 'admin system user on ' || a.display_name FROM system_users su
			JOIN accounts a ON a.id = su.account_id WHERE su.status = 'active' AND su.admin = 1 ORDER BY su.name LIMIT {limit}`,
		args:  noArgs,
		lists: []findingList{{"system_user", `su.status = 'active' AND su.admin = 1`}}},
	{kind: "no-owner", severity: SeverityLow,
		count:  `SELECT COUNT(*)` + tokenBase + ` AND t.responsible_owner_id IS NULL`,
		sample: `SELECT 'token', t.id, t.name, 'nobody answers for it'` + tokenBase + ` AND t.responsible_owner_id IS NULL ORDER BY t.id LIMIT {limit}`,
		args:   noArgs,
		lists:  []findingList{{"token", `t.status = 'active' AND t.responsible_owner_id IS NULL`}}},
	{kind: "review-overdue", severity: SeverityLow,
		count: `SELECT (SELECT COUNT(*)` + tokenBase + ` AND t.last_reviewed_on < ?1)
			+ (SELECT COUNT(*) FROM roles r WHERE r.status = 'active' AND r.last_reviewed_on < ?1)
			+ (SELECT COUNT(*) FROM roles r WHERE r.status = 'active' AND r.last_reviewed_on >= ?1 AND r.review_by > '' AND r.review_by < ?2)`,
		sample: `SELECT * FROM (SELECT 'token', t.id, t.name, 'last reviewed ' || t.last_reviewed_on` + tokenBase + ` AND t.last_reviewed_on < ?1
			UNION ALL SELECT 'role', r.id, r.role || ' on ' || a.display_name || ' — ' || COALESCE(o.display_name, su.name, ''),
				CASE WHEN r.review_by <> '' AND r.review_by < ?2 THEN 'review was due ' || r.review_by ELSE 'last reviewed ' || r.last_reviewed_on END
			FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = r.owner_id
			LEFT JOIN system_users su ON su.id = r.system_user_id
			WHERE r.status = 'active' AND (r.last_reviewed_on < ?1 OR (r.review_by <> '' AND r.review_by < ?2))) LIMIT {limit}`,
		args:  func(s *Store) []any { return []any{s.daysFromToday(-ReviewEveryDays), s.today()} },
		lists: []findingList{{"token", `t.status = 'active' AND t.last_reviewed_on < {reviewed_since}`}, {"role", `r.status = 'active' AND (r.last_reviewed_on < {reviewed_since} OR (r.review_by > '' AND r.review_by < {today}))`}}},
	{kind: "offboarding-overdue", severity: SeverityLow,
		count: `SELECT COUNT(*) FROM checklists c WHERE c.status = 'open' AND c.subject_kind = 'owner' AND c.due_on <> '' AND c.due_on < ?1
			AND EXISTS (SELECT 1 FROM checklist_items i WHERE i.checklist_id = c.id AND i.done = 0)`,
		sample: `SELECT 'owner', o.id, o.display_name, 'was due ' || c.due_on || '; ' || (SELECT COUNT(*) FROM checklist_items i
				WHERE i.checklist_id = c.id AND i.done = 0) || ' item(s) open'
			FROM checklists c JOIN owners o ON o.id = c.subject_id WHERE c.status = 'open' AND c.subject_kind = 'owner'
			AND c.due_on <> '' AND c.due_on < ?1 AND EXISTS (SELECT 1 FROM checklist_items i WHERE i.checklist_id = c.id AND i.done = 0)
			ORDER BY c.due_on LIMIT {limit}`,
		args: func(s *Store) []any { return []any{s.today()} },
		lists: []findingList{{"owner", `o.id IN (SELECT c.subject_id FROM checklists c WHERE c.status = 'open' AND c.subject_kind = 'owner'
			AND c.due_on > '' AND c.due_on < {today} AND EXISTS (SELECT 1 FROM checklist_items i WHERE i.checklist_id = c.id AND i.done = 0))`}}},
	// Access reviews open past their due date (issue #14): each links to its
	// review's page; there is no list of reviews to narrow.
	{kind: "review-campaign-overdue", severity: SeverityLow,
		count: `SELECT COUNT(*) FROM reviews r WHERE r.status = 'open' AND r.due_on < ?1`,
		sample: `SELECT 'review', r.id, r.name, 'was due ' || r.due_on || '; ' || (SELECT COUNT(*) FROM review_items i
				WHERE i.review_id = r.id AND i.decision = 'pending') || ' item(s) undecided'
			FROM reviews r WHERE r.status = 'open' AND r.due_on < ?1 ORDER BY r.due_on, r.id LIMIT {limit}`,
		args: func(s *Store) []any { return []any{s.today()} }},
}

// FindingKinds lists every risk finding, in the order the home page shows them.
func FindingKinds() []string {
	kinds := make([]string, len(findingQueries))
	for i, q := range findingQueries {
		kinds[i] = q.kind
	}
	return kinds
}

// FindingHasList reports whether the list of records of kind (a db.Kinds
// name) can show exactly the records of finding, as ListParams.Finding asks.
func FindingHasList(finding, kind string) bool {
	_, ok := findingListWhere(finding, kind)
	return ok
}

func findingListWhere(finding, kind string) (string, bool) {
	for _, q := range findingQueries {
		if q.kind != finding {
			continue
		}
		for _, l := range q.lists {
			if l.kind == kind {
				return l.where, true
			}
		}
	}
	return "", false
}

// findingDate finds the dates a findingList's condition names.
var findingDate = regexp.MustCompile(`\{(today|soon|reviewed_since)\}`)

// narrowToFinding adds to a list's where and args the condition that keeps
// only the records of p.Finding, if the list of kind has one.
func (s *Store) narrowToFinding(kind string, p ListParams, where string, args []any) (string, []any) {
	cond, ok := findingListWhere(p.Finding, kind)
	if !ok {
		return where, args
	}
	args = slices.Clip(args)
	cond = findingDate.ReplaceAllStringFunc(cond, func(name string) string {
		switch name {
		case "{today}":
			args = append(args, s.today())
		case "{soon}":
			args = append(args, s.daysFromToday(ExpiringSoonDays))
		case "{reviewed_since}":
			args = append(args, s.daysFromToday(-ReviewEveryDays))
		}
		return "?"
	})
	return where + " AND (" + cond + ")", args
}

// Findings computes every risk finding: a count from indexed queries and the
// first few records of each. The result is kept until the next write (or the
// next day), so the home page does not run some thirty queries per visit;
// callers must not modify it.
func (s *Store) Findings(ctx context.Context) ([]Finding, error) {
	f, err := s.findings.get(s, s.today(), func() ([]Finding, error) { return s.computeFindings(ctx) })
	return slices.Clip(f), err
}

func (s *Store) computeFindings(ctx context.Context) ([]Finding, error) {
	out := make([]Finding, 0, len(findingQueries))
	for _, q := range findingQueries {
		args := q.args(s)
		f := Finding{Kind: q.kind, Severity: q.severity}
		for _, l := range q.lists {
			f.Lists = append(f.Lists, l.kind)
		}
		if err := s.read.QueryRowContext(ctx, q.count, args...).Scan(&f.Count); err != nil {
			return nil, fmt.Errorf("db: count finding %s: %w", q.kind, err)
		}
		if f.Count > 0 {
			sample := strings.ReplaceAll(q.sample, "{limit}", fmt.Sprintf("?%d", len(args)+1))
			items, err := all(ctx, s.read, func(row scanner) (FindingItem, error) {
				var it FindingItem
				if q.dismissable {
					var id sql.NullInt64
					err := row.Scan(&it.Kind, &id, &it.Name, &it.Detail, &it.DismissID)
					it.ID = nullable(id)
					return it, err
				}
				return it, row.Scan(&it.Kind, &it.ID, &it.Name, &it.Detail)
			}, "finding "+q.kind, sample, append(args, findingSample)...)
			if err != nil {
				return nil, err
			}
			f.Items = items
		}
		out = append(out, f)
	}
	return out, nil
}
