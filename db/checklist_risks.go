package db

import (
	"context"
	"encoding/json"
)

// AdminRisk is an account that a checklist's open items would leave with
// one admin-level holder or none: a new single point of failure, or an
// account nobody can manage.
type AdminRisk struct {
	AccountID   int64
	AccountName string
	AdminsLeft  int // 0 or 1
}

// checklistRisksSQL counts, per account, the active admin-level roles left
// once every open item removing one is done: an item removing a role, or a
// system user (whose access goes with it on the platform). ?1 and ?2 are the
// role and system user IDs as JSON arrays; ?3 and ?4 the checklist's
// subject, so that retiring an account does not warn about the account.
const checklistRisksSQL = `WITH going(kind, target, role_id, account_id) AS (
		SELECT 'role', r.id, r.id, r.account_id FROM roles r
		WHERE r.id IN (SELECT value FROM json_each(?1)) AND r.status = 'active' AND r.admin = 1
		UNION ALL
		SELECT 'system_user', r.system_user_id, r.id, r.account_id FROM roles r
		WHERE r.system_user_id IN (SELECT value FROM json_each(?2)) AND r.status = 'active' AND r.admin = 1
	), left_after(account_id, admins) AS (
		SELECT g.account_id, (SELECT COUNT(*) FROM roles r WHERE r.account_id = g.account_id AND r.status = 'active' AND r.admin = 1)
			- COUNT(DISTINCT g.role_id)
		FROM going g GROUP BY g.account_id
	)
	SELECT DISTINCT g.kind, g.target, a.id, a.name, l.admins FROM going g
	JOIN left_after l ON l.account_id = g.account_id JOIN accounts a ON a.id = g.account_id
	WHERE l.admins <= 1 AND a.status = 'active' AND NOT (?3 = 'account' AND a.id = ?4)
	ORDER BY a.name, a.id`

// ChecklistRisks finds which of a checklist's open items (saved or planned)
// would leave an account with one admin or none, keyed by the item's target.
// It reads them all in one query, however long the checklist.
func (s *Store) ChecklistRisks(ctx context.Context, subject Ref, items []ChecklistItem) (map[Ref][]AdminRisk, error) {
	roles, systemUsers := []int64{}, []int64{}
	for _, it := range items {
		switch {
		case it.Done:
		case it.Action == ActRemoveRole:
			roles = append(roles, it.TargetID)
		case it.Action == ActRemoveSystemUser:
			systemUsers = append(systemUsers, it.TargetID)
		}
	}
	if len(roles)+len(systemUsers) == 0 {
		return nil, nil
	}
	roleList, _ := json.Marshal(roles)
	systemUserList, _ := json.Marshal(systemUsers)
	type row struct {
		target Ref
		risk   AdminRisk
	}
	rows, err := all(ctx, s.read, func(sc scanner) (row, error) {
		var r row
		return r, sc.Scan(&r.target.Kind, &r.target.ID, &r.risk.AccountID, &r.risk.AccountName, &r.risk.AdminsLeft)
	}, "checklist risks", checklistRisksSQL, string(roleList), string(systemUserList), subject.Kind, subject.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[Ref][]AdminRisk, len(rows))
	for _, r := range rows {
		out[r.target] = append(out[r.target], r.risk)
	}
	return out, nil
}
