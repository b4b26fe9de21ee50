package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Account statuses and criticalities.
var (
	AccountStatuses = []string{"active", "retired"}
	Criticalities   = []string{"low", "medium", "high", "critical"}
)

// Platforms are suggestions for an account's platform; any text is allowed.
var Platforms = []string{"Meta", "GitHub", "AWS", "Google Workspace", "Google Cloud", "Stripe", "Microsoft 365", "Slack", "Other"}

// AccountKinds are suggestions for an account's kind; any text is allowed.
var AccountKinds = []string{"Business Manager", "Ad account", "Page", "Instagram account", "Pixel", "Catalog",
	"Organization", "Repository", "AWS account", "Workspace", "Project", "Stripe account"}

// Account is a business account or asset that access is granted on.
type Account struct {
	ID           int64
	Name         string
	Platform     string
	Kind         string
	ExternalID   string
	URL          string
	ParentID     int64
	ParentName   string
	OwnerID      int64
	OwnerName    string
	Criticality  string
	Status       string
	Notes        string
	CreatedAt    string
	UpdatedAt    string
	ActiveRoles  int
	AdminHolders int
	// LastSeenOnMeta is when a Meta sync last found it ("" never; see meta_sync.go).
	LastSeenOnMeta string
}

// AccountInput is an account's editable fields as a form or an import row gives them.
type AccountInput struct {
	Name, Platform, Kind, ExternalID, URL, ParentID, OwnerID, Criticality, Status, Notes string
}

// AccountFields is the field table of AccountInput: its form, import and export columns.
var AccountFields = Fields[AccountInput]{
	{FieldSpec{Name: "name", Required: true}, func(in *AccountInput) *string { return &in.Name }},
	{FieldSpec{Name: "platform", Required: true}, func(in *AccountInput) *string { return &in.Platform }},
	{FieldSpec{Name: "kind"}, func(in *AccountInput) *string { return &in.Kind }},
	{FieldSpec{Name: "external_id"}, func(in *AccountInput) *string { return &in.ExternalID }},
	{FieldSpec{Name: "url"}, func(in *AccountInput) *string { return &in.URL }},
	{FieldSpec{Name: "parent_id", Ref: "account"}, func(in *AccountInput) *string { return &in.ParentID }},
	{FieldSpec{Name: "owner_id", Ref: "owner"}, func(in *AccountInput) *string { return &in.OwnerID }},
	{FieldSpec{Name: "criticality", Enum: Criticalities, Keep: true}, func(in *AccountInput) *string { return &in.Criticality }},
	{FieldSpec{Name: "status", Enum: AccountStatuses, Keep: true}, func(in *AccountInput) *string { return &in.Status }},
	{FieldSpec{Name: "notes"}, func(in *AccountInput) *string { return &in.Notes }},
}

// Input returns the account's fields for an edit form.
func (a Account) Input() AccountInput {
	return AccountInput{Name: a.Name, Platform: a.Platform, Kind: a.Kind, ExternalID: a.ExternalID, URL: a.URL,
		ParentID: idString(a.ParentID), OwnerID: idString(a.OwnerID), Criticality: a.Criticality, Status: a.Status, Notes: a.Notes}
}

type accountValues struct {
	name, platform, kind, externalID, url, criticality, status, notes string
	parentID, ownerID                                                 int64
}

func (in AccountInput) validate() (accountValues, *validator) {
	v := newValidator()
	if in.Criticality == "" {
		in.Criticality = "medium"
	}
	if in.Status == "" {
		in.Status = "active"
	}
	return accountValues{
		name:        v.line("name", in.Name, true, 200),
		platform:    v.line("platform", in.Platform, true, 100),
		kind:        v.line("kind", in.Kind, false, 100),
		externalID:  v.line("external_id", in.ExternalID, false, 200),
		url:         v.url("url", in.URL),
		parentID:    v.ref("parent_id", in.ParentID, false),
		ownerID:     v.ref("owner_id", in.OwnerID, false),
		criticality: v.oneOf("criticality", in.Criticality, Criticalities...),
		status:      v.oneOf("status", in.Status, AccountStatuses...),
		notes:       v.text("notes", in.Notes, false, 10000),
	}, v
}

const accountColumns = `a.id, a.name, a.platform, a.kind, a.external_id, a.url, a.parent_id, COALESCE(p.display_name, ''),
	a.owner_id, COALESCE(o.display_name, ''), a.criticality, a.status, a.notes, a.created_at, a.updated_at,
	(SELECT COUNT(*) FROM roles r WHERE r.account_id = a.id AND r.status = 'active'),
	(SELECT COUNT(*) FROM roles r WHERE r.account_id = a.id AND r.status = 'active' AND r.admin = 1), a.last_seen_on_meta`

const accountFrom = " FROM accounts a LEFT JOIN accounts p ON p.id = a.parent_id LEFT JOIN owners o ON o.id = a.owner_id"

func scanAccount(row scanner) (Account, error) {
	var a Account
	var parent, owner sql.NullInt64
	err := row.Scan(&a.ID, &a.Name, &a.Platform, &a.Kind, &a.ExternalID, &a.URL, &parent, &a.ParentName,
		&owner, &a.OwnerName, &a.Criticality, &a.Status, &a.Notes, &a.CreatedAt, &a.UpdatedAt, &a.ActiveRoles, &a.AdminHolders, &a.LastSeenOnMeta)
	a.ParentID, a.OwnerID = nullable(parent), nullable(owner)
	return a, err
}

// AccountByID returns one account.
func (s *Store) AccountByID(ctx context.Context, id int64) (Account, error) {
	return one(ctx, s.read, scanAccount, "account", "SELECT "+accountColumns+accountFrom+" WHERE a.id = ?", id)
}

var accountList = listQuery{kind: "account", what: "accounts", columns: accountColumns, from: accountFrom, idCol: "a.id", base: " FROM accounts a", sorts: [][2]string{
	{"name", "a.name COLLATE NOCASE"}, {"platform", "a.platform COLLATE NOCASE"}, {"kind", "a.kind COLLATE NOCASE"},
	{"criticality", "CASE a.criticality WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"},
	{"status", "a.status"}, {"updated", "a.updated_at"},
}}

// AccountFilter narrows an account list to one account's children or to the
// accounts one owner is accountable for.
type AccountFilter struct {
	ParentID, OwnerID int64
}

// ListAccounts returns a page of accounts matching p and f.
func (s *Store) ListAccounts(ctx context.Context, p ListParams, f AccountFilter) (Page[Account], error) {
	where, args := accountWhere(p, f)
	return page(ctx, s, accountList, scanAccount, p, where, args)
}

// accountWhere is the list's WHERE clause for p's search and status and f.
func accountWhere(p ListParams, f AccountFilter) (string, []any) {
	where, args := whereIDs(idIs{"a.parent_id", f.ParentID}, idIs{"a.owner_id", f.OwnerID})
	if p.Q != "" {
		where += ` AND (a.name LIKE ? ESCAPE '\' OR a.platform LIKE ? ESCAPE '\' OR a.kind LIKE ? ESCAPE '\' OR a.external_id LIKE ? ESCAPE '\')`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat, pat)
	}
	if p.Status != "" {
		where += " AND a.status = ?"
		args = append(args, p.Status)
	}
	return where, args
}

// AccountOptions lists accounts matching q for pickers, active ones first.
func (s *Store) AccountOptions(ctx context.Context, q string, limit int) ([]Option, error) {
	return s.optionList(ctx, optionSources["accounts"].selectFrom+` WHERE name LIKE ? ESCAPE '\' OR platform LIKE ? ESCAPE '\' OR external_id LIKE ? ESCAPE '\'
		ORDER BY status <> 'active', platform COLLATE NOCASE, name COLLATE NOCASE, id LIMIT ?`,
		likePattern(q), likePattern(q), likePattern(q), limit)
}

func (v accountValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	parent, err := label(ctx, tx, "accounts", v.parentID)
	if err != nil {
		return nil, err
	}
	owner, err := label(ctx, tx, "owners", v.ownerID)
	if err != nil {
		return nil, err
	}
	return fields("name", v.name, "platform", v.platform, "kind", v.kind, "external_id", v.externalID, "url", v.url,
		"parent", parent, "accountable_owner", owner, "criticality", v.criticality, "status", v.status, "notes", v.notes), nil
}

func checkAccount(ctx context.Context, tx *sql.Tx, id int64, in AccountInput) (accountValues, error) {
	vals, v := in.validate()
	if err := v.exists(ctx, tx, "parent_id", "accounts", vals.parentID); err != nil {
		return vals, err
	}
	if err := v.exists(ctx, tx, "owner_id", "owners", vals.ownerID); err != nil {
		return vals, err
	}
	if id != 0 && vals.parentID != 0 {
		// Walk up from the new parent; meeting this account would make a loop.
		var loops int
		err := tx.QueryRowContext(ctx, `WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT a.parent_id FROM accounts a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL)
			SELECT COUNT(*) FROM up WHERE id = ?`, vals.parentID, id).Scan(&loops)
		if err != nil {
			return vals, fmt.Errorf("db: check account parent: %w", err)
		}
		if loops > 0 {
			v.fail("parent_id", "An account cannot sit inside itself.")
		}
	}
	return vals, v.err()
}

// CreateAccount adds an account and its audit event.
func (s *Store) CreateAccount(ctx context.Context, actor Actor, in AccountInput) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createAccount(ctx, tx, actor, in)
		return err
	})
	return id, err
}

// createAccount is CreateAccount inside tx.
func (s *Store) createAccount(ctx context.Context, tx *sql.Tx, actor Actor, in AccountInput) (int64, error) {
	vals, err := checkAccount(ctx, tx, 0, in)
	if err != nil {
		return 0, err
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO accounts (name, platform, kind, external_id, url, parent_id, owner_id,
		criticality, status, notes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		vals.name, vals.platform, vals.kind, vals.externalID, vals.url, nullID(vals.parentID), nullID(vals.ownerID),
		vals.criticality, vals.status, vals.notes, now, now)
	if err != nil {
		return 0, fmt.Errorf("db: insert account: %w", err)
	}
	id, _ := res.LastInsertId()
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return 0, err
	}
	return id, s.appendEvent(ctx, tx, actor, Event{Action: "account.created", Subject: Ref{"account", id},
		Summary: "Created account " + vals.name, Changes: diff(nil, after), Related: ownerRef(vals.ownerID)})
}

// UpdateAccount changes an account.
func (s *Store) UpdateAccount(ctx context.Context, actor Actor, id int64, in AccountInput) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.updateAccount(ctx, tx, actor, id, in)
		return err
	})
}

// updateAccount is UpdateAccount inside tx; it reports whether anything changed.
func (s *Store) updateAccount(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in AccountInput) (bool, error) {
	old, err := accountValuesTx(ctx, tx, id)
	if err != nil {
		return false, err
	}
	vals, err := checkAccount(ctx, tx, id, in)
	if err != nil {
		return false, err
	}
	return vals != old, s.writeAccount(ctx, tx, actor, id, old, vals, "account.updated", "Updated account "+vals.name)
}

func accountValuesTx(ctx context.Context, tx *sql.Tx, id int64) (accountValues, error) {
	var v accountValues
	var parent, owner sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT name, platform, kind, external_id, url, parent_id, owner_id, criticality, status, notes
		FROM accounts WHERE id = ?`, id).Scan(&v.name, &v.platform, &v.kind, &v.externalID, &v.url, &parent, &owner,
		&v.criticality, &v.status, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("db: read account: %w", err)
	}
	v.parentID, v.ownerID = nullable(parent), nullable(owner)
	return v, nil
}

// writeAccount saves vals over old and writes the event, if anything changed.
func (s *Store) writeAccount(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals accountValues, action, summary string) error {
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil || len(changes) == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE accounts SET name = ?, platform = ?, kind = ?, external_id = ?, url = ?, parent_id = ?,
		owner_id = ?, criticality = ?, status = ?, notes = ?, updated_at = ? WHERE id = ?`, vals.name, vals.platform, vals.kind,
		vals.externalID, vals.url, nullID(vals.parentID), nullID(vals.ownerID), vals.criticality, vals.status, vals.notes,
		formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("db: update account: %w", err)
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"account", id},
		Summary: summary, Changes: changes, Related: ownerRef(old.ownerID, vals.ownerID)})
}

// ownerRef links an event to the owners it concerns.
func ownerRef(ids ...int64) []Ref {
	var refs []Ref
	for _, id := range ids {
		if id != 0 {
			refs = append(refs, Ref{"owner", id})
		}
	}
	return refs
}

// CountAccounts counts active accounts.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	n, err := s.countRow(ctx, "SELECT COUNT(*) FROM accounts WHERE status = 'active'")
	if err != nil {
		return 0, err
	}
	return n[0], nil
}
