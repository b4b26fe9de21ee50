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

// Owner statuses.
const (
	OwnerActive      = "active"
	OwnerOffboarding = "offboarding"
	OwnerDeparted    = "departed"
)

// OwnerStatuses lists the owner statuses in lifecycle order.
var OwnerStatuses = []string{OwnerActive, OwnerOffboarding, OwnerDeparted}

// Owner is a person who holds access or answers for it.
type Owner struct {
	ID          int64
	Name        string
	Email       string
	Title       string
	Department  string
	ManagerID   int64
	ManagerName string
	Status      string
	LeavingOn   string
	Notes       string
	CreatedAt   string
	UpdatedAt   string
	ActiveRoles int // active roles held
	// LastSeenOnMeta is when a Meta sync last found it ("" never; see meta_sync.go).
	LastSeenOnMeta string
}

// OwnerInput is an owner's editable fields as a form or an import row gives them.
type OwnerInput struct {
	Name, Email, Title, Department, ManagerID, Status, LeavingOn, Notes string
}

// OwnerFields is the field table of OwnerInput: its form, import and export columns.
var OwnerFields = Fields[OwnerInput]{
	{FieldSpec{Name: "name", Required: true}, func(in *OwnerInput) *string { return &in.Name }},
	{FieldSpec{Name: "email"}, func(in *OwnerInput) *string { return &in.Email }},
	{FieldSpec{Name: "title"}, func(in *OwnerInput) *string { return &in.Title }},
	{FieldSpec{Name: "department"}, func(in *OwnerInput) *string { return &in.Department }},
	{FieldSpec{Name: "manager_id", Ref: "owner"}, func(in *OwnerInput) *string { return &in.ManagerID }},
	{FieldSpec{Name: "status", Enum: OwnerStatuses, Keep: true}, func(in *OwnerInput) *string { return &in.Status }},
	{FieldSpec{Name: "leaving_on"}, func(in *OwnerInput) *string { return &in.LeavingOn }},
	{FieldSpec{Name: "notes"}, func(in *OwnerInput) *string { return &in.Notes }},
}

// Input returns the owner's fields for an edit form.
func (o Owner) Input() OwnerInput {
	return OwnerInput{Name: o.Name, Email: o.Email, Title: o.Title, Department: o.Department,
		ManagerID: idString(o.ManagerID), Status: o.Status, LeavingOn: o.LeavingOn, Notes: o.Notes}
}

type ownerValues struct {
	name, email, title, department, status, leavingOn, notes string
	managerID                                                int64
}

func (in OwnerInput) validate() (ownerValues, *validator) {
	v := newValidator()
	out := ownerValues{
		name:       v.line("name", in.Name, true, 200),
		email:      v.email("email", in.Email, false),
		title:      v.line("title", in.Title, false, 200),
		department: v.line("department", in.Department, false, 200),
		managerID:  v.ref("manager_id", in.ManagerID, false),
		leavingOn:  v.date("leaving_on", in.LeavingOn, false),
		notes:      v.text("notes", in.Notes, false, 10000),
	}
	if in.Status == "" {
		in.Status = OwnerActive
	}
	out.status = v.oneOf("status", in.Status, OwnerStatuses...)
	if out.status == OwnerOffboarding && out.leavingOn == "" {
		v.fail("leaving_on", "Give the leaving date for someone who is offboarding.")
	}
	return out, v
}

const ownerColumns = `o.id, o.name, o.email, o.title, o.department, o.manager_id, COALESCE(m.display_name, ''),
	o.status, o.leaving_on, o.notes, o.created_at, o.updated_at,
	(SELECT COUNT(*) FROM roles r WHERE r.owner_id = o.id AND r.status = 'active'), o.last_seen_on_meta`

func scanOwner(row scanner) (Owner, error) {
	var o Owner
	var manager sql.NullInt64
	err := row.Scan(&o.ID, &o.Name, &o.Email, &o.Title, &o.Department, &manager, &o.ManagerName,
		&o.Status, &o.LeavingOn, &o.Notes, &o.CreatedAt, &o.UpdatedAt, &o.ActiveRoles, &o.LastSeenOnMeta)
	o.ManagerID = nullable(manager)
	return o, err
}

const ownerFrom = " FROM owners o LEFT JOIN owners m ON m.id = o.manager_id"

// OwnerByID returns one owner.
func (s *Store) OwnerByID(ctx context.Context, id int64) (Owner, error) {
	return one(ctx, s.read, scanOwner, "owner", "SELECT "+ownerColumns+ownerFrom+" WHERE o.id = ?", id)
}

var ownerList = listQuery{kind: "owner", what: "owners", columns: ownerColumns, from: ownerFrom, idCol: "o.id", base: " FROM owners o", sorts: [][2]string{
	{"name", "o.name COLLATE NOCASE"}, {"email", "o.email COLLATE NOCASE"}, {"department", "o.department COLLATE NOCASE"},
	{"status", "o.status"}, {"leaving_on", "o.leaving_on"}, {"updated", "o.updated_at"},
}}

// ListOwners returns a page of owners matching p.
func (s *Store) ListOwners(ctx context.Context, p ListParams) (Page[Owner], error) {
	where, args := ownerWhere(p)
	return page(ctx, s, ownerList, scanOwner, p, where, args)
}

// ownerWhere is the owner list's WHERE clause for p's search and status.
func ownerWhere(p ListParams) (string, []any) {
	where, args := " WHERE 1=1", []any{}
	if p.Q != "" {
		where += ` AND (o.name LIKE ? ESCAPE '\' OR o.email LIKE ? ESCAPE '\' OR o.title LIKE ? ESCAPE '\' OR o.department LIKE ? ESCAPE '\')`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat, pat)
	}
	if p.Status != "" {
		where += " AND o.status = ?"
		args = append(args, p.Status)
	}
	return where, args
}

// OwnerOptions lists owners whose name or email matches q, for pickers;
// departed owners come last. Every token list and record form shows the full
// picker (q empty), so that one is kept until the next write; callers must
// not modify what they get.
func (s *Store) OwnerOptions(ctx context.Context, q string, limit int) ([]Option, error) {
	if strings.TrimSpace(q) == "" {
		opts, err := s.options.get(s, "owners\x00"+strconv.Itoa(limit), func() ([]Option, error) { return s.ownerOptions(ctx, q, limit) })
		return slices.Clip(opts), err
	}
	return s.ownerOptions(ctx, q, limit)
}

func (s *Store) ownerOptions(ctx context.Context, q string, limit int) ([]Option, error) {
	from := optionSources["owners"].selectFrom
	if strings.TrimSpace(q) == "" {
		// Everyone, people who left last: read in name order by index and
		// stop at the limit, rather than sort every owner for each picker.
		opts, err := s.optionList(ctx, from+` WHERE status <> 'departed' ORDER BY name COLLATE NOCASE, id LIMIT ?`, limit)
		if err != nil || len(opts) >= limit {
			return opts, err
		}
		departed, err := s.optionList(ctx, from+` WHERE status = 'departed' ORDER BY name COLLATE NOCASE, id LIMIT ?`, limit-len(opts))
		return append(opts, departed...), err
	}
	return s.optionList(ctx, from+` WHERE name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\'
		ORDER BY status = 'departed', name COLLATE NOCASE, id LIMIT ?`, likePattern(q), likePattern(q), limit)
}

// ActiveOwnerOptions lists the active owners, who can take over records;
// like OwnerOptions, kept until the next write.
func (s *Store) ActiveOwnerOptions(ctx context.Context, limit int) ([]Option, error) {
	opts, err := s.options.get(s, "active owners\x00"+strconv.Itoa(limit), func() ([]Option, error) {
		return s.optionList(ctx, `SELECT id, name || CASE WHEN email <> '' THEN ' <' || email || '>' ELSE '' END
		FROM owners WHERE status = 'active' ORDER BY name COLLATE NOCASE, id LIMIT ?`, limit)
	})
	return slices.Clip(opts), err
}

func (s *Store) optionList(ctx context.Context, query string, args ...any) ([]Option, error) {
	return all(ctx, s.read, func(row scanner) (Option, error) {
		var o Option
		return o, row.Scan(&o.ID, &o.Label)
	}, "options", query, args...)
}

func (v ownerValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	manager, err := label(ctx, tx, "owners", v.managerID)
	if err != nil {
		return nil, err
	}
	return fields("name", v.name, "email", v.email, "title", v.title, "department", v.department,
		"manager", manager, "status", v.status, "leaving_on", v.leavingOn, "notes", v.notes), nil
}

// checkOwner validates in and the records it points at.
func checkOwner(ctx context.Context, tx *sql.Tx, id int64, in OwnerInput) (ownerValues, error) {
	vals, v := in.validate()
	if err := v.exists(ctx, tx, "manager_id", "owners", vals.managerID); err != nil {
		return vals, err
	}
	if id != 0 && vals.managerID == id {
		v.fail("manager_id", "A person cannot be their own manager.")
	}
	if vals.email != "" {
		var other int64
		// email <> '' lets SQLite use the partial unique index owners_email
		// instead of scanning every owner.
		err := tx.QueryRowContext(ctx, "SELECT id FROM owners WHERE email = ? COLLATE NOCASE AND email <> '' AND id <> ?", vals.email, id).Scan(&other)
		if err == nil {
			v.fail("email", fmt.Sprintf("Another owner (#%d) already has this email.", other))
		} else if !errors.Is(err, sql.ErrNoRows) {
			return vals, err
		}
	}
	return vals, v.err()
}

// CreateOwner adds an owner and its audit event.
func (s *Store) CreateOwner(ctx context.Context, actor Actor, in OwnerInput) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createOwner(ctx, tx, actor, in)
		return err
	})
	return id, err
}

func (s *Store) createOwner(ctx context.Context, tx *sql.Tx, actor Actor, in OwnerInput) (int64, error) {
	vals, err := checkOwner(ctx, tx, 0, in)
	if err != nil {
		return 0, err
	}
	vals = s.withLeavingDate(vals)
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO owners (name, email, title, department, manager_id, status, leaving_on, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, vals.name, vals.email, vals.title, vals.department, nullID(vals.managerID),
		vals.status, vals.leavingOn, vals.notes, now, now)
	if isUniqueViolation(err) {
		return 0, ValidationError{"email": "Another owner already has this email."}
	}
	if err != nil {
		return 0, fmt.Errorf("db: insert owner: %w", err)
	}
	id, _ := res.LastInsertId()
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tx, actor, Event{Action: "owner.created", Subject: Ref{"owner", id},
		Summary: "Created owner " + vals.name, Changes: diff(nil, after)})
}

// UpdateOwner changes an owner. When the owner becomes departed, their linked
// logins are disabled and signed out, and the admins alerted to what they
// still hold, in the same transaction.
func (s *Store) UpdateOwner(ctx context.Context, actor Actor, id int64, in OwnerInput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateOwner(ctx, tx, actor, id, in)
		return err
	})
}

// updateOwner is UpdateOwner inside tx; it reports whether anything changed.
func (s *Store) updateOwner(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in OwnerInput) (bool, error) {
	old, err := ownerValuesTx(ctx, tx, id)
	if err != nil {
		return false, err
	}
	vals, err := checkOwner(ctx, tx, id, in)
	if err != nil {
		return false, err
	}
	return vals != old, s.writeOwner(ctx, tx, actor, id, old, vals)
}

// writeOwner saves vals over old with its event, and disables the logins of
// someone who has just departed and alerts the admins to what they still hold.
func (s *Store) writeOwner(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals ownerValues) error {
	vals = s.withLeavingDate(vals)
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil || len(changes) == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE owners SET name = ?, email = ?, title = ?, department = ?, manager_id = ?,
		status = ?, leaving_on = ?, notes = ?, updated_at = ? WHERE id = ?`, vals.name, vals.email, vals.title,
		vals.department, nullID(vals.managerID), vals.status, vals.leavingOn, vals.notes, formatTime(s.now()), id)
	if isUniqueViolation(err) {
		return ValidationError{"email": "Another owner already has this email."}
	}
	if err != nil {
		return fmt.Errorf("db: update owner: %w", err)
	}
	if err := s.appendEvent(ctx, tx, actor, Event{Action: "owner.updated", Subject: Ref{"owner", id},
		Summary: "Updated owner " + vals.name, Changes: changes}); err != nil {
		return err
	}
	if vals.status == OwnerDeparted && old.status != OwnerDeparted {
		if err := s.disableLoginsOfOwner(ctx, tx, actor, id); err != nil {
			return err
		}
		return s.alertDepartedWithAccess(ctx, tx, id, vals.leavingOn)
	}
	return nil
}

func ownerValuesTx(ctx context.Context, tx *sql.Tx, id int64) (ownerValues, error) {
	var v ownerValues
	var manager sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT name, email, title, department, manager_id, status, leaving_on, notes
		FROM owners WHERE id = ?`, id).Scan(&v.name, &v.email, &v.title, &v.department, &manager, &v.status, &v.leavingOn, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	v.managerID = nullable(manager)
	return v, err
}

// OwnerCounts is how many owners there are in each status.
type OwnerCounts struct{ Active, Offboarding, Departed int }

// CountOwners counts owners by status from the status index.
func (s *Store) CountOwners(ctx context.Context) (OwnerCounts, error) {
	n, err := s.countRow(ctx, `SELECT
		(SELECT COUNT(*) FROM owners WHERE status = 'active'),
		(SELECT COUNT(*) FROM owners WHERE status = 'offboarding'),
		(SELECT COUNT(*) FROM owners WHERE status = 'departed')`)
	if err != nil {
		return OwnerCounts{}, err
	}
	return OwnerCounts{Active: n[0], Offboarding: n[1], Departed: n[2]}, nil
}

// withLeavingDate dates a departure given without a leaving date today, so
// "not rotated since they left" has a date to compare with.
func (s *Store) withLeavingDate(v ownerValues) ownerValues {
	if v.status == OwnerDeparted && v.leavingOn == "" {
		v.leavingOn = s.today()
	}
	return v
}
