package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RoleStatuses lists a role's statuses.
var RoleStatuses = []string{"active", "removed"}

// Role is a grant: a holder (an owner or a system user) holds a named role on an account.
type Role struct {
	ID             int64
	AccountID      int64
	AccountName    string
	Platform       string
	OwnerID        int64
	SystemUserID   int64
	HolderName     string
	HolderStatus   string
	Role           string
	Admin          bool
	GrantedOn      string
	GrantedBy      string
	ReviewBy       string
	LastReviewedOn string
	Status         string
	Notes          string
	CreatedAt      string
	UpdatedAt      string
	// LastSeenOnMeta is when a Meta sync last found it ("" never; see meta_sync.go).
	LastSeenOnMeta string
}

// HolderKind is "owner" or "system_user".
func (r Role) HolderKind() string {
	if r.SystemUserID != 0 {
		return "system_user"
	}
	return "owner"
}

// RoleInput is a role's editable fields as a form or an import row gives them.
type RoleInput struct {
	AccountID, OwnerID, SystemUserID, Role, Admin, GrantedOn, GrantedBy, ReviewBy, Status, Notes string
}

// RoleFields is the field table of RoleInput: its form, import and export columns.
var RoleFields = Fields[RoleInput]{
	{FieldSpec{Name: "account_id", Required: true, Ref: "account"}, func(in *RoleInput) *string { return &in.AccountID }},
	{FieldSpec{Name: "owner_id", Ref: "owner"}, func(in *RoleInput) *string { return &in.OwnerID }},
	{FieldSpec{Name: "system_user_id", Ref: "system_user"}, func(in *RoleInput) *string { return &in.SystemUserID }},
	{FieldSpec{Name: "role", Required: true}, func(in *RoleInput) *string { return &in.Role }},
	{FieldSpec{Name: "admin", Flag: true}, func(in *RoleInput) *string { return &in.Admin }},
	{FieldSpec{Name: "granted_on"}, func(in *RoleInput) *string { return &in.GrantedOn }},
	{FieldSpec{Name: "granted_by"}, func(in *RoleInput) *string { return &in.GrantedBy }},
	{FieldSpec{Name: "review_by"}, func(in *RoleInput) *string { return &in.ReviewBy }},
	{FieldSpec{Name: "status", Enum: RoleStatuses, Keep: true}, func(in *RoleInput) *string { return &in.Status }},
	{FieldSpec{Name: "notes"}, func(in *RoleInput) *string { return &in.Notes }},
}

// Input returns the role's fields for an edit form.
func (r Role) Input() RoleInput {
	admin := ""
	if r.Admin {
		admin = "1"
	}
	return RoleInput{AccountID: idString(r.AccountID), OwnerID: idString(r.OwnerID), SystemUserID: idString(r.SystemUserID),
		Role: r.Role, Admin: admin, GrantedOn: r.GrantedOn, GrantedBy: r.GrantedBy, ReviewBy: r.ReviewBy, Status: r.Status, Notes: r.Notes}
}

type roleValues struct {
	accountID, ownerID, systemUserID                    int64
	role, grantedOn, grantedBy, reviewBy, status, notes string
	admin                                               bool
}

func (in RoleInput) validate() (roleValues, *validator) {
	v := newValidator()
	if in.Status == "" {
		in.Status = "active"
	}
	out := roleValues{
		accountID:    v.ref("account_id", in.AccountID, true),
		ownerID:      v.ref("owner_id", in.OwnerID, false),
		systemUserID: v.ref("system_user_id", in.SystemUserID, false),
		role:         v.line("role", in.Role, true, 100),
		admin:        flag(in.Admin),
		grantedOn:    v.date("granted_on", in.GrantedOn, false),
		grantedBy:    v.line("granted_by", in.GrantedBy, false, 200),
		reviewBy:     v.date("review_by", in.ReviewBy, false),
		status:       v.oneOf("status", in.Status, RoleStatuses...),
		notes:        v.text("notes", in.Notes, false, 10000),
	}
	switch {
	case out.ownerID == 0 && out.systemUserID == 0:
		v.fail("owner_id", "Choose who holds the role: a person or a system user.")
	case out.ownerID != 0 && out.systemUserID != 0:
		v.fail("owner_id", "A role has one holder: choose a person or a system user, not both.")
	}
	if out.grantedOn != "" && out.reviewBy != "" && out.reviewBy < out.grantedOn {
		v.fail("review_by", "The review date cannot be before the grant date.")
	}
	return out, v
}

const roleColumns = `r.id, r.account_id, a.display_name, a.platform, r.owner_id, r.system_user_id,
	COALESCE(o.display_name, su.name, ''), COALESCE(o.status, su.status, ''), r.role, r.admin, r.granted_on, r.granted_by,
	r.review_by, r.last_reviewed_on, r.status, r.notes, r.created_at, r.updated_at, r.last_seen_on_meta`

const roleFrom = ` FROM roles r JOIN accounts a ON a.id = r.account_id
	LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id`

func scanRole(row scanner) (Role, error) {
	var r Role
	var owner, su sql.NullInt64
	err := row.Scan(&r.ID, &r.AccountID, &r.AccountName, &r.Platform, &owner, &su, &r.HolderName, &r.HolderStatus,
		&r.Role, &r.Admin, &r.GrantedOn, &r.GrantedBy, &r.ReviewBy, &r.LastReviewedOn, &r.Status, &r.Notes, &r.CreatedAt, &r.UpdatedAt, &r.LastSeenOnMeta)
	r.OwnerID, r.SystemUserID = nullable(owner), nullable(su)
	return r, err
}

// RoleByID returns one role.
func (s *Store) RoleByID(ctx context.Context, id int64) (Role, error) {
	return one(ctx, s.read, scanRole, "role", "SELECT "+roleColumns+roleFrom+" WHERE r.id = ?", id)
}

var roleList = listQuery{kind: "role", what: "roles", columns: roleColumns, from: roleFrom, idCol: "r.id", base: " FROM roles r",
	// Every role has an account: the list's first sort walks accounts by name.
	sortFrom: map[string]string{"account": " FROM accounts a CROSS JOIN roles r ON r.account_id = a.id"}, sorts: [][2]string{
		{"account", "a.name COLLATE NOCASE"}, {"holder", "COALESCE(o.name, su.name) COLLATE NOCASE"}, {"role", "r.role COLLATE NOCASE"},
		{"admin", "r.admin"}, {"granted_on", "r.granted_on"}, {"review_by", "r.review_by"}, {"status", "r.status"}, {"updated", "r.updated_at"},
	}}

// RoleFilter narrows a role list to one account, owner or system user.
type RoleFilter struct {
	AccountID, OwnerID, SystemUserID int64
}

// ListRoles returns a page of roles matching p and f.
func (s *Store) ListRoles(ctx context.Context, p ListParams, f RoleFilter) (Page[Role], error) {
	where, args := roleWhere(p, f)
	return page(ctx, s, roleList, scanRole, p, where, args)
}

// roleWhere is the role list's WHERE clause for p's search and status and f.
func roleWhere(p ListParams, f RoleFilter) (string, []any) {
	where, args := whereIDs(idIs{"r.account_id", f.AccountID}, idIs{"r.owner_id", f.OwnerID}, idIs{"r.system_user_id", f.SystemUserID})
	if p.Q != "" {
		// Subqueries over the related tables, not their joined columns: the
		// count and the page's IDs then need no join (see listQuery.idFrom).
		where += ` AND (r.role LIKE ? ESCAPE '\' OR r.account_id IN (SELECT id FROM accounts WHERE name LIKE ? ESCAPE '\')
			OR r.owner_id IN (SELECT id FROM owners WHERE name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')
			OR r.system_user_id IN (SELECT id FROM system_users WHERE name LIKE ? ESCAPE '\'))`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat, pat, pat)
	}
	if p.Status != "" {
		where += " AND r.status = ?"
		args = append(args, p.Status)
	}
	return where, args
}

func (v roleValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	account, err := label(ctx, tx, "accounts", v.accountID)
	if err != nil {
		return nil, err
	}
	holder, err := label(ctx, tx, "owners", v.ownerID)
	if err != nil {
		return nil, err
	}
	if v.systemUserID != 0 {
		if holder, err = label(ctx, tx, "system_users", v.systemUserID); err != nil {
			return nil, err
		}
		holder = "system user " + holder
	}
	return fields("account", account, "holder", holder, "role", v.role, "admin", yesNo(v.admin), "granted_on", v.grantedOn,
		"granted_by", v.grantedBy, "review_by", v.reviewBy, "status", v.status, "notes", v.notes), nil
}

// summary is the sentence of the role's event action, naming its holder
// and its account (see RoleSummary).
func (v roleValues) summary(ctx context.Context, tx *sql.Tx, action string) (string, error) {
	account, err := nameOf(ctx, tx, "accounts", v.accountID)
	if err != nil {
		return "", err
	}
	holder, err := nameOf(ctx, tx, "owners", v.ownerID)
	if err != nil {
		return "", err
	}
	if v.systemUserID != 0 {
		if holder, err = nameOf(ctx, tx, "system_users", v.systemUserID); err != nil {
			return "", err
		}
		holder = "system user " + holder
	}
	return RoleSummary(action, v.role, holder, account), nil
}

// RoleSummary is what an event about a role says: what happened, to whom
// and where ("Granted role Advertiser to Jake Morrison on Northwind –
// Retargeting"), so the audit log and the timelines read without opening
// the role. holder is a person's name or "system user" and its name. Every
// role event's summary is made here, the generated data's too.
func RoleSummary(action, role, holder, account string) string {
	switch action {
	case "role.created":
		return fmt.Sprintf("Granted role %s to %s on %s", role, holder, account)
	case "role.removed":
		return fmt.Sprintf("Removed role %s from %s on %s", role, holder, account)
	case "role.reviewed":
		return fmt.Sprintf("Reviewed role %s of %s on %s", role, holder, account)
	}
	return fmt.Sprintf("Updated role %s of %s on %s", role, holder, account)
}

// related links a role's events to its account and its holder.
func (v roleValues) related() []Ref {
	refs := []Ref{{"account", v.accountID}}
	if v.ownerID != 0 {
		refs = append(refs, Ref{"owner", v.ownerID})
	}
	if v.systemUserID != 0 {
		refs = append(refs, Ref{"system_user", v.systemUserID})
	}
	return refs
}

func checkRole(ctx context.Context, tx *sql.Tx, id int64, in RoleInput) (roleValues, error) {
	vals, v := in.validate()
	for _, c := range []struct {
		field, table string
		id           int64
	}{{"account_id", "accounts", vals.accountID}, {"owner_id", "owners", vals.ownerID}, {"system_user_id", "system_users", vals.systemUserID}} {
		if err := v.exists(ctx, tx, c.field, c.table, c.id); err != nil {
			return vals, err
		}
	}
	if vals.status == "active" && len(v.errs) == 0 {
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM roles WHERE account_id = ? AND owner_id IS ? AND system_user_id IS ?
			AND role = ? COLLATE NOCASE AND status = 'active' AND id <> ?`,
			vals.accountID, nullID(vals.ownerID), nullID(vals.systemUserID), vals.role, id).Scan(&other)
		if err == nil {
			v.fail("role", fmt.Sprintf("This holder already has this role on this account (role #%d).", other))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return vals, fmt.Errorf("db: check duplicate role: %w", err)
		}
	}
	return vals, v.err()
}

// CreateRole grants a role and writes its audit event, linked to the account
// and the holder.
func (s *Store) CreateRole(ctx context.Context, actor Actor, in RoleInput) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createRole(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// createRole is CreateRole inside tx.
func (s *Store) createRole(ctx context.Context, tx *sql.Tx, actor Actor, in RoleInput) (int64, error) {
	vals, err := checkRole(ctx, tx, 0, in)
	if err != nil {
		return 0, err
	}
	now := formatTime(s.now())
	// Recording a grant counts as its first review.
	res, err := tx.ExecContext(ctx, `INSERT INTO roles (account_id, owner_id, system_user_id, role, admin, granted_on, granted_by,
		review_by, last_reviewed_on, status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		vals.accountID, nullID(vals.ownerID), nullID(vals.systemUserID), vals.role, vals.admin, vals.grantedOn, vals.grantedBy,
		vals.reviewBy, s.today(), vals.status, vals.notes, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: insert role: %w", err)
	}
	id, _ := res.LastInsertId()
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return 0, err
	}
	summary, err := vals.summary(ctx, tx, "role.created")
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tx, actor, Event{Action: "role.created", Subject: Ref{"role", id},
		Summary: summary, Changes: diff(nil, after), Related: vals.related()})
}

func roleValuesTx(ctx context.Context, tx *sql.Tx, id int64) (roleValues, error) {
	var v roleValues
	var owner, su sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT account_id, owner_id, system_user_id, role, admin, granted_on, granted_by, review_by,
		status, notes FROM roles WHERE id = ?`, id).Scan(&v.accountID, &owner, &su, &v.role, &v.admin, &v.grantedOn, &v.grantedBy,
		&v.reviewBy, &v.status, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	v.ownerID, v.systemUserID = nullable(owner), nullable(su)
	return v, err
}

// UpdateRole changes a role; its account and holder may change too, and the
// event shows on the timelines of the old and new ones.
func (s *Store) UpdateRole(ctx context.Context, actor Actor, id int64, in RoleInput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateRole(ctx, tx, actor, id, in)
		return err
	})
}

// updateRole is UpdateRole inside tx; it reports whether anything changed.
func (s *Store) updateRole(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in RoleInput) (bool, error) {
	old, err := roleValuesTx(ctx, tx, id)
	if err != nil {
		return false, err
	}
	vals, err := checkRole(ctx, tx, id, in)
	if err != nil {
		return false, err
	}
	return vals != old, s.writeRole(ctx, tx, actor, id, old, vals, "role.updated")
}

// RemoveRole marks a role removed; the row stays for the history.
func (s *Store) RemoveRole(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := roleValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.status == "removed" {
			return nil
		}
		vals := old
		vals.status = "removed"
		return s.writeRole(ctx, tx, actor, id, old, vals, "role.removed")
	})
}

// ReviewRole records that someone checked the grant today. A review-by date
// that has come moves on by the review interval.
func (s *Store) ReviewRole(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.reviewRoleTx(ctx, tx, actor, id) })
}

// reviewRoleTx is ReviewRole inside tx.
func (s *Store) reviewRoleTx(ctx context.Context, tx *sql.Tx, actor Actor, id int64) error {
	old, err := roleValuesTx(ctx, tx, id)
	if err != nil {
		return err
	}
	var lastReviewed string
	if err := tx.QueryRowContext(ctx, "SELECT last_reviewed_on FROM roles WHERE id = ?", id).Scan(&lastReviewed); err != nil {
		return fmt.Errorf("db: read role review: %w", err)
	}
	today, reviewBy := s.today(), old.reviewBy
	changes := []Change{{Field: "last_reviewed_on", Before: lastReviewed, After: today}}
	if reviewBy != "" && reviewBy <= today {
		reviewBy = s.daysFromToday(ReviewEveryDays)
		changes = append(changes, Change{Field: "review_by", Before: old.reviewBy, After: reviewBy})
	}
	if _, err := tx.ExecContext(ctx, "UPDATE roles SET last_reviewed_on = ?, review_by = ?, updated_at = ? WHERE id = ?",
		today, reviewBy, formatTime(s.now()), id); err != nil {
		return fmt.Errorf("db: review role: %w", err)
	}
	summary, err := old.summary(ctx, tx, "role.reviewed")
	if err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: "role.reviewed", Subject: Ref{"role", id},
		Summary: summary, Changes: changes, Related: old.related()})
}

// writeRole saves a role's changes from old to vals with an event of
// action; no changes write nothing.
func (s *Store) writeRole(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals roleValues, action string) error {
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	summary, err := vals.summary(ctx, tx, action)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE roles SET account_id = ?, owner_id = ?, system_user_id = ?, role = ?, admin = ?,
		granted_on = ?, granted_by = ?, review_by = ?, status = ?, notes = ?, updated_at = ? WHERE id = ?`,
		vals.accountID, nullID(vals.ownerID), nullID(vals.systemUserID), vals.role, vals.admin, vals.grantedOn, vals.grantedBy,
		vals.reviewBy, vals.status, vals.notes, formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("db: update role: %w", err)
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"role", id}, Summary: summary,
		Changes: changes, Related: append(old.related(), vals.related()...)})
}

// CountActiveRoles counts active roles and active admin-level roles.
func (s *Store) CountActiveRoles(ctx context.Context) (total, admin int, err error) {
	n, err := s.countRow(ctx, `SELECT COUNT(*), COALESCE(SUM(admin), 0) FROM roles WHERE status = 'active'`)
	if err != nil {
		return 0, 0, err
	}
	return n[0], n[1], nil
}
