package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The change-caused alerts of issue #13 item 5: each is queued by the
// change that causes it, inside that change's transaction, to the admins
// and the webhooks subscribed to its event (EnqueueAlert). A refused or
// rolled-back change (an import row with problems, a preview) takes its
// alert with it.

// Alert events caused by changes.
const (
	EventDepartedWithAccess = "owner.departed_with_access"
	EventNeverExpires       = "token.never_expires"
	EventAuditVerifyFailed  = "audit.verify_failed"
)

// alertItemsMax is how many things an alert lists before "and N more".
const alertItemsMax = 20

// alertAdmins queues m inside tx to the admins and the subscribed webhooks.
func (s *Store) alertAdmins(ctx context.Context, tx *sql.Tx, m Message) error {
	emails, err := s.AdminEmails(ctx, tx)
	if err != nil {
		return err
	}
	_, err = s.EnqueueAlert(ctx, tx, m, emails)
	return err
}

// ownerHoldingsSQL lists what a person still holds, at most ?2 rows, each
// row carrying the totals per kind (window sums run before the LIMIT).
// Their tokens are found through the three owner indexes, then by ID
// (CROSS JOIN keeps SQLite from walking every active token instead).
const ownerHoldingsSQL = `SELECT kind, label, SUM(kind = 'role') OVER (), SUM(kind = 'token') OVER (), SUM(kind = 'system_user') OVER ()
	FROM (
		SELECT 1 AS sort, 'role' AS kind, 'Role ' || r.role || ' on ' || ` + accountPlaceSQL + ` AS label
			FROM roles r JOIN accounts a ON a.id = r.account_id WHERE r.owner_id = ?1 AND r.status = 'active'
		UNION ALL
		SELECT 2, 'token', 'Token ' || t.name || COALESCE(' on ' || ` + accountPlaceSQL + `, '')
			|| ', ' || CASE WHEN t.owner_id = ?1 THEN 'issued to them' WHEN t.responsible_owner_id = ?1 THEN 'they answer for it'
				ELSE 'they created it' END
			FROM (SELECT id FROM tokens WHERE owner_id = ?1 AND status = 'active'
				UNION SELECT id FROM tokens WHERE responsible_owner_id = ?1 AND status = 'active'
				UNION SELECT id FROM tokens WHERE created_by_owner_id = ?1 AND status = 'active') held
			CROSS JOIN tokens t ON t.id = held.id LEFT JOIN accounts a ON a.id = t.account_id
		UNION ALL
		SELECT 3, 'system_user', 'System user ' || su.name || ' on ' || ` + accountPlaceSQL + ` || ', they answer for it'
			FROM system_users su JOIN accounts a ON a.id = su.account_id WHERE su.owner_id = ?1 AND su.status = 'active'
	) ORDER BY sort, label COLLATE NOCASE LIMIT ?2`

// accountPlaceSQL names account a for a sentence as accountPlace does.
const accountPlaceSQL = `CASE WHEN a.display_name <> a.name THEN a.display_name ELSE a.name || ' (' || a.platform || ')' END`

// accountPlace names an account for a sentence: with its platform, unless
// its display name already tells it apart from namesakes (migration 011).
func accountPlace(name, displayName, platform string) string {
	if displayName != name {
		return displayName
	}
	return name + " (" + platform + ")"
}

// alertDepartedWithAccess queues owner.departed_with_access inside tx when
// the owner who has just departed still holds active roles, active tokens
// (issued to them, answered for or created by them) or system users they
// answer for. It goes once per departure: its threshold is the leaving date.
func (s *Store) alertDepartedWithAccess(ctx context.Context, tx *sql.Tx, ownerID int64, leftOn string) error {
	rows, err := tx.QueryContext(ctx, ownerHoldingsSQL, ownerID, alertItemsMax)
	if err != nil {
		return fmt.Errorf("db: what a departed owner holds: %w", err)
	}
	defer rows.Close()
	var items []string
	var roles, tokens, systemUsers int
	for rows.Next() {
		var kind, label string
		if err := rows.Scan(&kind, &label, &roles, &tokens, &systemUsers); err != nil {
			return fmt.Errorf("db: scan what a departed owner holds: %w", err)
		}
		items = append(items, label)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	total := roles + tokens + systemUsers
	if total == 0 {
		return nil
	}
	if more := total - len(items); more > 0 {
		items = append(items, fmt.Sprintf("and %d more", more))
	}
	name, err := recordName(ctx, tx, "owner", ownerID)
	if err != nil {
		return err
	}
	left := name + " left on " + leftOn
	if leftOn > s.today() {
		left = name + " was marked departed (leaving date " + leftOn + ")"
	}
	return s.alertAdmins(ctx, tx, Message{Event: EventDepartedWithAccess, Record: Ref{"owner", ownerID}, Threshold: leftOn,
		RecordName: name,
		Summary:    fmt.Sprintf("%s and still holds %s.", left, countList(roles, "role", tokens, "token", systemUsers, "system user")),
		Details: Facts{When: leftOn, Items: items,
			Action: "Start the offboarding checklist on their page in Steward (or finish the open one): remove their roles, " +
				"revoke or hand over their tokens, and hand their system users to someone who is staying."}})
}

// countList says counts of things in words: "3 roles and 1 token"; pairs
// of count and singular noun, zero counts left out.
func countList(pairs ...any) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		n, noun := pairs[i].(int), pairs[i+1].(string)
		if n == 0 {
			continue
		}
		if n != 1 {
			noun += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, noun))
	}
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// alertNeverExpires queues token.never_expires inside tx when a token
// becomes active with no expiry date (registered so, or edited or
// reactivated so); wasAlready says whether it was so before the change. It
// goes once per token.
func (s *Store) alertNeverExpires(ctx context.Context, tx *sql.Tx, id int64, vals tokenValues, wasAlready bool) error {
	if vals.status != "active" || vals.expiresOn != "" || wasAlready {
		return nil
	}
	var account, accountName, platform, where string
	if vals.accountID != 0 {
		err := tx.QueryRowContext(ctx, "SELECT display_name, name, platform FROM accounts WHERE id = ?", vals.accountID).Scan(&account, &accountName, &platform)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: read token's account: %w", err)
		}
		if err == nil {
			where = " on " + accountPlace(accountName, account, platform)
		}
	}
	return s.alertAdmins(ctx, tx, Message{Event: EventNeverExpires, Record: Ref{"token", id}, RecordName: vals.name,
		Summary: fmt.Sprintf("On %s token “%s”%s was recorded as active with no expiry date: it works until someone revokes it.", s.today(), vals.name, where),
		Details: Facts{Account: account, Platform: platform, When: s.today(),
			Action: "Give it an expiry date on the platform if it allows one and record it in Steward (Edit on the token's page); " +
				"otherwise note why it has none, and make sure someone who is staying answers for it."}})
}

// alertAuditVerifyFailed queues audit.verify_failed inside tx, the
// transaction that records the failed check v; once per check (its
// threshold is the check's time).
func (s *Store) alertAuditVerifyFailed(ctx context.Context, tx *sql.Tx, v AuditVerification, checkedAt string) error {
	when := v.At.UTC().Format("2006-01-02 15:04 UTC")
	items := []string{fmt.Sprintf("Broken at event %d: %s", v.BrokenID, v.Problem), fmt.Sprintf("%d events checked", v.Checked)}
	if v.HeadID > 0 {
		items = append(items, fmt.Sprintf("Last good head: event %d, hash %s", v.HeadID, v.HeadHash))
	}
	return s.alertAdmins(ctx, tx, Message{Event: EventAuditVerifyFailed, Threshold: checkedAt,
		Summary: fmt.Sprintf("Steward's audit log failed its check on %s: it is broken at event %d.", when, v.BrokenID),
		Details: Facts{When: v.At.UTC().Format("2006-01-02"), Items: items,
			Action: "Someone changed the database file outside Steward. Find out who and what (compare with your latest backup); " +
				"see Admin → Audit chain in Steward and `steward audit verify` on the server."}})
}
