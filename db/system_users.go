package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// System user statuses.
const (
	SystemUserActive  = "active"
	SystemUserRemoved = "removed"
)

// SystemUserStatuses lists a system user's statuses.
var SystemUserStatuses = []string{SystemUserActive, SystemUserRemoved}

// SystemUser is a non-human identity on a platform: a Meta system user, a
// service account, a bot or app user. It holds roles on accounts as a person does.
type SystemUser struct {
	ID                     int64
	Name                   string
	AccountID              int64 // the account it lives in, such as a Business Manager
	AccountName            string
	Platform               string
	ExternalID             string
	Admin                  bool // an admin system user can create system users and assign assets
	ResponsibleOwnerID     int64
	ResponsibleOwnerName   string
	ResponsibleOwnerStatus string
	IntegrationID          int64 // the integration that uses it
	IntegrationName        string
	IntegrationStatus      string
	Status                 string
	Notes                  string
	CreatedAt              string
	UpdatedAt              string
	ActiveRoles            int // active roles held
	// LastSeenOnMeta is when a Meta sync last found it ("" never; see meta_sync.go).
	LastSeenOnMeta string
}

// SystemUserInput is a system user's editable fields as a form or an import
// row gives them.
type SystemUserInput struct {
	Name, AccountID, ExternalID, Admin, ResponsibleOwnerID, IntegrationID, Status, Notes string
}

// SystemUserFields is the field table of SystemUserInput: its form, import and export columns.
var SystemUserFields = Fields[SystemUserInput]{
	{FieldSpec{Name: "name", Required: true}, func(in *SystemUserInput) *string { return &in.Name }},
	{FieldSpec{Name: "account_id", Required: true, Ref: "account"}, func(in *SystemUserInput) *string { return &in.AccountID }},
	{FieldSpec{Name: "external_id"}, func(in *SystemUserInput) *string { return &in.ExternalID }},
	{FieldSpec{Name: "admin", Flag: true}, func(in *SystemUserInput) *string { return &in.Admin }},
	{FieldSpec{Name: "responsible_owner_id", Ref: "owner"}, func(in *SystemUserInput) *string { return &in.ResponsibleOwnerID }},
	{FieldSpec{Name: "integration_id", Ref: "integration"}, func(in *SystemUserInput) *string { return &in.IntegrationID }},
	{FieldSpec{Name: "status", Enum: SystemUserStatuses, Keep: true}, func(in *SystemUserInput) *string { return &in.Status }},
	{FieldSpec{Name: "notes"}, func(in *SystemUserInput) *string { return &in.Notes }},
}

// Input returns the system user's fields for an edit form.
func (u SystemUser) Input() SystemUserInput {
	admin := ""
	if u.Admin {
		admin = "1"
	}
	return SystemUserInput{Name: u.Name, AccountID: idString(u.AccountID), ExternalID: u.ExternalID, Admin: admin,
		ResponsibleOwnerID: idString(u.ResponsibleOwnerID), IntegrationID: idString(u.IntegrationID), Status: u.Status, Notes: u.Notes}
}

type systemUserValues struct {
	name, externalID, status, notes   string
	accountID, ownerID, integrationID int64
	admin                             bool
}

func (in SystemUserInput) validate() (systemUserValues, *validator) {
	v := newValidator()
	if in.Status == "" {
		in.Status = SystemUserActive
	}
	return systemUserValues{
		name:          v.line("name", in.Name, true, 200),
		accountID:     v.ref("account_id", in.AccountID, true),
		externalID:    v.line("external_id", in.ExternalID, false, 200),
		admin:         flag(in.Admin),
		ownerID:       v.ref("responsible_owner_id", in.ResponsibleOwnerID, false),
		integrationID: v.ref("integration_id", in.IntegrationID, false),
		status:        v.oneOf("status", in.Status, SystemUserStatuses...),
		notes:         v.text("notes", in.Notes, false, 10000),
	}, v
}

const systemUserColumns = `su.id, su.name, su.account_id, a.display_name, a.platform, su.external_id, su.admin,
	su.owner_id, COALESCE(o.display_name, ''), COALESCE(o.status, ''), su.integration_id, COALESCE(i.name, ''), COALESCE(i.status, ''),
	su.status, su.notes, su.created_at, su.updated_at,
	(SELECT COUNT(*) FROM roles r WHERE r.system_user_id = su.id AND r.status = 'active'), su.last_seen_on_meta`

const systemUserFrom = ` FROM system_users su JOIN accounts a ON a.id = su.account_id
	LEFT JOIN owners o ON o.id = su.owner_id LEFT JOIN integrations i ON i.id = su.integration_id`

func scanSystemUser(row scanner) (SystemUser, error) {
	var u SystemUser
	var owner, integration sql.NullInt64
	err := row.Scan(&u.ID, &u.Name, &u.AccountID, &u.AccountName, &u.Platform, &u.ExternalID, &u.Admin,
		&owner, &u.ResponsibleOwnerName, &u.ResponsibleOwnerStatus, &integration, &u.IntegrationName, &u.IntegrationStatus,
		&u.Status, &u.Notes, &u.CreatedAt, &u.UpdatedAt, &u.ActiveRoles, &u.LastSeenOnMeta)
	u.ResponsibleOwnerID, u.IntegrationID = nullable(owner), nullable(integration)
	return u, err
}

// SystemUserByID returns one system user.
func (s *Store) SystemUserByID(ctx context.Context, id int64) (SystemUser, error) {
	return one(ctx, s.read, scanSystemUser, "system user", "SELECT "+systemUserColumns+systemUserFrom+" WHERE su.id = ?", id)
}

var systemUserList = listQuery{kind: "system_user", what: "system users", columns: systemUserColumns, from: systemUserFrom, idCol: "su.id", sorts: [][2]string{
	{"name", "su.name COLLATE NOCASE"}, {"account", "a.name COLLATE NOCASE"}, {"admin", "su.admin"},
	{"owner", "o.name COLLATE NOCASE"}, {"integration", "i.name COLLATE NOCASE"}, {"status", "su.status"}, {"updated", "su.updated_at"},
}}

// SystemUserFilter narrows a system user list to those living in one
// account, used by one integration or answered for by one owner.
type SystemUserFilter struct {
	AccountID, IntegrationID, OwnerID int64
}

// ListSystemUsers returns a page of system users matching p and f.
func (s *Store) ListSystemUsers(ctx context.Context, p ListParams, f SystemUserFilter) (Page[SystemUser], error) {
	where, args := systemUserWhere(p, f)
	return page(ctx, s, systemUserList, scanSystemUser, p, where, args)
}

// systemUserWhere is the list's WHERE clause for p's search and status and f.
func systemUserWhere(p ListParams, f SystemUserFilter) (string, []any) {
	where, args := whereIDs(idIs{"su.account_id", f.AccountID}, idIs{"su.integration_id", f.IntegrationID}, idIs{"su.owner_id", f.OwnerID})
	if p.Q != "" {
		where += ` AND (su.name LIKE ? ESCAPE '\' OR su.external_id LIKE ? ESCAPE '\' OR a.name LIKE ? ESCAPE '\' OR i.name LIKE ? ESCAPE '\')`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat, pat)
	}
	if p.Status != "" {
		where += " AND su.status = ?"
		args = append(args, p.Status)
	}
	return where, args
}

// SystemUserOptions lists system users matching q for pickers, active ones
// first, each with the account it lives in.
func (s *Store) SystemUserOptions(ctx context.Context, q string, limit int) ([]Option, error) {
	return s.optionList(ctx, optionSources["system_users"].selectFrom+`
		WHERE su.name LIKE ? ESCAPE '\' OR su.external_id LIKE ? ESCAPE '\'
		ORDER BY su.status <> 'active', su.name COLLATE NOCASE, su.id LIMIT ?`, likePattern(q), likePattern(q), limit)
}

func (v systemUserValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	account, err := label(ctx, tx, "accounts", v.accountID)
	if err != nil {
		return nil, err
	}
	owner, err := label(ctx, tx, "owners", v.ownerID)
	if err != nil {
		return nil, err
	}
	integration, err := label(ctx, tx, "integrations", v.integrationID)
	if err != nil {
		return nil, err
	}
	return fields("name", v.name, "account", account, "external_id", v.externalID, "admin", yesNo(v.admin),
		"responsible_owner", owner, "integration", integration, "status", v.status, "notes", v.notes), nil
}

// related links a system user's events to its account, its responsible
// owner and its integration.
func (v systemUserValues) related() []Ref {
	refs := []Ref{{"account", v.accountID}}
	if v.ownerID != 0 {
		refs = append(refs, Ref{"owner", v.ownerID})
	}
	if v.integrationID != 0 {
		refs = append(refs, Ref{"integration", v.integrationID})
	}
	return refs
}

func checkSystemUser(ctx context.Context, tx *sql.Tx, id int64, in SystemUserInput) (systemUserValues, error) {
	vals, v := in.validate()
	for _, c := range []struct {
		field, table string
		id           int64
	}{{"account_id", "accounts", vals.accountID}, {"responsible_owner_id", "owners", vals.ownerID}, {"integration_id", "integrations", vals.integrationID}} {
		if err := v.exists(ctx, tx, c.field, c.table, c.id); err != nil {
			return vals, err
		}
	}
	// The platform's ID names one identity: a second record of it in the
	// same account would split its roles and tokens between two pages.
	if vals.externalID != "" && len(v.errs) == 0 {
		var other int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM system_users WHERE account_id = ? AND external_id = ? AND id <> ?`,
			vals.accountID, vals.externalID, id).Scan(&other)
		if err == nil {
			v.fail("external_id", fmt.Sprintf("Another system user (#%d) in this account has this external ID.", other))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return vals, fmt.Errorf("db: check duplicate system user: %w", err)
		}
	}
	return vals, v.err()
}

// CreateSystemUser adds a system user and its audit event, linked to its
// account, responsible owner and integration.
func (s *Store) CreateSystemUser(ctx context.Context, actor Actor, in SystemUserInput) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createSystemUser(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// createSystemUser is CreateSystemUser inside tx.
func (s *Store) createSystemUser(ctx context.Context, tx *sql.Tx, actor Actor, in SystemUserInput) (int64, error) {
	vals, err := checkSystemUser(ctx, tx, 0, in)
	if err != nil {
		return 0, err
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO system_users (name, account_id, external_id, admin, owner_id, integration_id,
		status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		vals.name, vals.accountID, vals.externalID, vals.admin, nullID(vals.ownerID), nullID(vals.integrationID),
		vals.status, vals.notes, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: insert system user: %w", err)
	}
	id, _ := res.LastInsertId()
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tx, actor, Event{Action: "system_user.created", Subject: Ref{"system_user", id},
		Summary: "Created system user " + vals.name, Changes: diff(nil, after), Related: vals.related()})
}

// UpdateSystemUser changes a system user; the event shows on the timelines
// of its old and new account, responsible owner and integration.
func (s *Store) UpdateSystemUser(ctx context.Context, actor Actor, id int64, in SystemUserInput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateSystemUser(ctx, tx, actor, id, in)
		return err
	})
}

// updateSystemUser is UpdateSystemUser inside tx; it reports whether
// anything changed.
func (s *Store) updateSystemUser(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in SystemUserInput) (bool, error) {
	old, err := systemUserValuesTx(ctx, tx, id)
	if err != nil {
		return false, err
	}
	vals, err := checkSystemUser(ctx, tx, id, in)
	if err != nil {
		return false, err
	}
	return vals != old, s.writeSystemUser(ctx, tx, actor, id, old, vals, "system_user.updated", "Updated system user "+vals.name)
}

// RemoveSystemUser marks a system user removed; the row stays for the
// history. Its roles and tokens are left as they are: removing those is the
// system user's checklist, one item per grant.
func (s *Store) RemoveSystemUser(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := systemUserValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.status == SystemUserRemoved {
			return nil
		}
		vals := old
		vals.status = SystemUserRemoved
		return s.writeSystemUser(ctx, tx, actor, id, old, vals, "system_user.removed", "Removed system user "+vals.name)
	})
}

func systemUserValuesTx(ctx context.Context, tx *sql.Tx, id int64) (systemUserValues, error) {
	var v systemUserValues
	var owner, integration sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT name, account_id, external_id, admin, owner_id, integration_id, status, notes
		FROM system_users WHERE id = ?`, id).Scan(&v.name, &v.accountID, &v.externalID, &v.admin, &owner, &integration, &v.status, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("db: read system user: %w", err)
	}
	v.ownerID, v.integrationID = nullable(owner), nullable(integration)
	return v, nil
}

// writeSystemUser stores vals over old and writes the event; an unchanged
// save writes nothing.
func (s *Store) writeSystemUser(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals systemUserValues, action, summary string) error {
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE system_users SET name = ?, account_id = ?, external_id = ?, admin = ?, owner_id = ?,
		integration_id = ?, status = ?, notes = ?, updated_at = ? WHERE id = ?`, vals.name, vals.accountID, vals.externalID, vals.admin,
		nullID(vals.ownerID), nullID(vals.integrationID), vals.status, vals.notes, formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("db: update system user: %w", err)
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"system_user", id}, Summary: summary,
		Changes: changes, Related: append(old.related(), vals.related()...)})
}
