package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Integration statuses.
const (
	IntegrationActive  = "active"
	IntegrationRetired = "retired"
)

// IntegrationStatuses lists an integration's statuses.
var IntegrationStatuses = []string{IntegrationActive, IntegrationRetired}

// Integration is a tool or automation that uses tokens: a CRM sync, a
// reporting script, a Zapier flow.
type Integration struct {
	ID                     int64
	Name                   string
	Description            string
	RunsOn                 string // where it runs
	ResponsibleOwnerID     int64
	ResponsibleOwnerName   string
	ResponsibleOwnerStatus string
	Status                 string
	Notes                  string
	CreatedAt              string
	UpdatedAt              string
	ActiveSystemUsers      int // active system users it uses
}

// IntegrationInput is an integration's editable fields as a form or an
// import row gives them.
type IntegrationInput struct {
	Name, Description, RunsOn, ResponsibleOwnerID, Status, Notes string
}

// IntegrationFields is the field table of IntegrationInput: its form, import and export columns.
var IntegrationFields = Fields[IntegrationInput]{
	{FieldSpec{Name: "name", Required: true}, func(in *IntegrationInput) *string { return &in.Name }},
	{FieldSpec{Name: "description"}, func(in *IntegrationInput) *string { return &in.Description }},
	{FieldSpec{Name: "runs_on"}, func(in *IntegrationInput) *string { return &in.RunsOn }},
	{FieldSpec{Name: "responsible_owner_id", Ref: "owner"}, func(in *IntegrationInput) *string { return &in.ResponsibleOwnerID }},
	{FieldSpec{Name: "status", Enum: IntegrationStatuses, Keep: true}, func(in *IntegrationInput) *string { return &in.Status }},
	{FieldSpec{Name: "notes"}, func(in *IntegrationInput) *string { return &in.Notes }},
}

// Input returns the integration's fields for an edit form.
func (i Integration) Input() IntegrationInput {
	return IntegrationInput{Name: i.Name, Description: i.Description, RunsOn: i.RunsOn,
		ResponsibleOwnerID: idString(i.ResponsibleOwnerID), Status: i.Status, Notes: i.Notes}
}

type integrationValues struct {
	name, description, runsOn, status, notes string
	ownerID                                  int64
}

func (in IntegrationInput) validate() (integrationValues, *validator) {
	v := newValidator()
	if in.Status == "" {
		in.Status = IntegrationActive
	}
	return integrationValues{
		name:        v.line("name", in.Name, true, 200),
		description: v.text("description", in.Description, false, 2000),
		runsOn:      v.line("runs_on", in.RunsOn, false, 200),
		ownerID:     v.ref("responsible_owner_id", in.ResponsibleOwnerID, false),
		status:      v.oneOf("status", in.Status, IntegrationStatuses...),
		notes:       v.text("notes", in.Notes, false, 10000),
	}, v
}

const integrationColumns = `i.id, i.name, i.description, i.runs_on, i.owner_id, COALESCE(o.display_name, ''), COALESCE(o.status, ''),
	i.status, i.notes, i.created_at, i.updated_at,
	(SELECT COUNT(*) FROM system_users su WHERE su.integration_id = i.id AND su.status = 'active')`

const integrationFrom = " FROM integrations i LEFT JOIN owners o ON o.id = i.owner_id"

func scanIntegration(row scanner) (Integration, error) {
	var i Integration
	var owner sql.NullInt64
	err := row.Scan(&i.ID, &i.Name, &i.Description, &i.RunsOn, &owner, &i.ResponsibleOwnerName, &i.ResponsibleOwnerStatus,
		&i.Status, &i.Notes, &i.CreatedAt, &i.UpdatedAt, &i.ActiveSystemUsers)
	i.ResponsibleOwnerID = nullable(owner)
	return i, err
}

// IntegrationByID returns one integration.
func (s *Store) IntegrationByID(ctx context.Context, id int64) (Integration, error) {
	return one(ctx, s.read, scanIntegration, "integration", "SELECT "+integrationColumns+integrationFrom+" WHERE i.id = ?", id)
}

var integrationList = listQuery{kind: "integration", what: "integrations", columns: integrationColumns, from: integrationFrom, idCol: "i.id", base: " FROM integrations i", sorts: [][2]string{
	{"name", "i.name COLLATE NOCASE"}, {"runs_on", "i.runs_on COLLATE NOCASE"}, {"owner", "o.name COLLATE NOCASE"},
	{"status", "i.status"}, {"updated", "i.updated_at"},
}}

// IntegrationFilter narrows an integration list to those one owner answers for.
type IntegrationFilter struct {
	OwnerID int64
}

// ListIntegrations returns a page of integrations matching p and f.
func (s *Store) ListIntegrations(ctx context.Context, p ListParams, f IntegrationFilter) (Page[Integration], error) {
	where, args := integrationWhere(p, f)
	return page(ctx, s, integrationList, scanIntegration, p, where, args)
}

// integrationWhere is the list's WHERE clause for p's search and status and f.
func integrationWhere(p ListParams, f IntegrationFilter) (string, []any) {
	where, args := whereIDs(idIs{"i.owner_id", f.OwnerID})
	if p.Q != "" {
		where += ` AND (i.name LIKE ? ESCAPE '\' OR i.description LIKE ? ESCAPE '\' OR i.runs_on LIKE ? ESCAPE '\')`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat)
	}
	if p.Status != "" {
		where += " AND i.status = ?"
		args = append(args, p.Status)
	}
	return where, args
}

// IntegrationOptions lists integrations matching q for pickers, active ones first.
func (s *Store) IntegrationOptions(ctx context.Context, q string, limit int) ([]Option, error) {
	return s.optionList(ctx, optionSources["integrations"].selectFrom+` WHERE name LIKE ? ESCAPE '\' OR runs_on LIKE ? ESCAPE '\'
		ORDER BY status <> 'active', name COLLATE NOCASE, id LIMIT ?`, likePattern(q), likePattern(q), limit)
}

func (v integrationValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	owner, err := label(ctx, tx, "owners", v.ownerID)
	if err != nil {
		return nil, err
	}
	return fields("name", v.name, "description", v.description, "runs_on", v.runsOn, "responsible_owner", owner,
		"status", v.status, "notes", v.notes), nil
}

func checkIntegration(ctx context.Context, tx *sql.Tx, in IntegrationInput) (integrationValues, error) {
	vals, v := in.validate()
	if err := v.exists(ctx, tx, "responsible_owner_id", "owners", vals.ownerID); err != nil {
		return vals, err
	}
	return vals, v.err()
}

// CreateIntegration adds an integration and its audit event, linked to its
// responsible owner.
func (s *Store) CreateIntegration(ctx context.Context, actor Actor, in IntegrationInput) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createIntegration(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// createIntegration is CreateIntegration inside tx.
func (s *Store) createIntegration(ctx context.Context, tx *sql.Tx, actor Actor, in IntegrationInput) (int64, error) {
	vals, err := checkIntegration(ctx, tx, in)
	if err != nil {
		return 0, err
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO integrations (name, description, runs_on, owner_id, status, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, vals.name, vals.description, vals.runsOn, nullID(vals.ownerID), vals.status, vals.notes, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: insert integration: %w", err)
	}
	id, _ := res.LastInsertId()
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tx, actor, Event{Action: "integration.created", Subject: Ref{"integration", id},
		Summary: "Created integration " + vals.name, Changes: diff(nil, after), Related: ownerRef(vals.ownerID)})
}

// UpdateIntegration changes an integration.
func (s *Store) UpdateIntegration(ctx context.Context, actor Actor, id int64, in IntegrationInput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateIntegration(ctx, tx, actor, id, in)
		return err
	})
}

// updateIntegration is UpdateIntegration inside tx; it reports whether
// anything changed.
func (s *Store) updateIntegration(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in IntegrationInput) (bool, error) {
	old, err := integrationValuesTx(ctx, tx, id)
	if err != nil {
		return false, err
	}
	vals, err := checkIntegration(ctx, tx, in)
	if err != nil {
		return false, err
	}
	return vals != old, s.writeIntegration(ctx, tx, actor, id, old, vals, "integration.updated", "Updated integration "+vals.name)
}

// RetireIntegration marks an integration retired; the row stays for the
// history. Its system users and tokens are left as they are: retiring them
// is the decommissioning checklist's work.
func (s *Store) RetireIntegration(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := integrationValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if old.status == IntegrationRetired {
			return nil
		}
		vals := old
		vals.status = IntegrationRetired
		return s.writeIntegration(ctx, tx, actor, id, old, vals, "integration.retired", "Retired integration "+vals.name)
	})
}

func integrationValuesTx(ctx context.Context, tx *sql.Tx, id int64) (integrationValues, error) {
	var v integrationValues
	var owner sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT name, description, runs_on, owner_id, status, notes FROM integrations WHERE id = ?`, id).
		Scan(&v.name, &v.description, &v.runsOn, &owner, &v.status, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("db: read integration: %w", err)
	}
	v.ownerID = nullable(owner)
	return v, nil
}

// writeIntegration stores vals over old and writes the event, linked to the
// old and new responsible owners; an unchanged save writes nothing.
func (s *Store) writeIntegration(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals integrationValues, action, summary string) error {
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `UPDATE integrations SET name = ?, description = ?, runs_on = ?, owner_id = ?, status = ?, notes = ?,
		updated_at = ? WHERE id = ?`, vals.name, vals.description, vals.runsOn, nullID(vals.ownerID), vals.status, vals.notes,
		formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("db: update integration: %w", err)
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"integration", id}, Summary: summary,
		Changes: changes, Related: ownerRef(old.ownerID, vals.ownerID)})
}
