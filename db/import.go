package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrImportRefused is ApplyImport's answer when any row has a problem: the
// whole file was refused and nothing was written.
var ErrImportRefused = errors.New("db: import refused: rows have problems")

// ImportFile is an import file split into rows (by csvimport), not yet
// checked against the database.
type ImportFile struct {
	Kind     string
	Columns  []string // the header's column names, in file order
	Total    int      // rows of data, blank rows left out
	Rows     []ImportRow
	Problems []ImportProblem // rows that could not be split into cells
}

// ImportRow is one row of data: its spreadsheet row number (the header is
// row 1) and its cells by column name, trimmed.
type ImportRow struct {
	Number int
	Cells  map[string]string
}

// ImportProblem is what is wrong with one row (Row 0: the whole file) and,
// when it concerns one cell, its column.
type ImportProblem struct {
	Row     int
	Column  string
	Message string
}

// ImportOutcome is what importing a row does.
type ImportOutcome struct {
	Row    int
	Action string // create, update or unchanged
	ID     int64  // the record's ID; for a create in a preview, the ID it would get
	Label  string
	// Changes are an update's changed fields before → after, as its audit
	// event records them (an emptied field has After ""): the preview
	// shows exactly what applying the file writes.
	Changes []Change
}

// ImportResult is an import's preview or outcome.
type ImportResult struct {
	Kind                        string
	Rows                        int // rows of data in the file
	Created, Updated, Unchanged int
	Outcomes                    []ImportOutcome // one per row without problems, in file order
	Problems                    []ImportProblem // by row, then column
}

// errImportPreview rolls a preview's transaction back.
var errImportPreview = errors.New("db: import preview")

// PreviewImport runs every row of f through the same checks and writes that
// ApplyImport would, in a transaction it then rolls back: nothing is kept.
func (s *Store) PreviewImport(ctx context.Context, actor Actor, f *ImportFile) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = s.importRows(ctx, tx, actor, f); err != nil {
			return err
		}
		return errImportPreview
	})
	if errors.Is(err, errImportPreview) {
		err = nil
	}
	return res, err
}

// ApplyImport imports every row of f in one transaction, each record with
// its own audit event, plus one import.applied event naming fileName. If any
// row has a problem nothing is written, and the error is ErrImportRefused.
func (s *Store) ApplyImport(ctx context.Context, actor Actor, f *ImportFile, fileName string) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = s.importRows(ctx, tx, actor, f); err != nil {
			return err
		}
		if len(res.Problems) > 0 {
			return ErrImportRefused
		}
		k, _ := KindNamed(f.Kind)
		return s.appendEvent(ctx, tx, actor, Event{Action: "import.applied",
			Summary: fmt.Sprintf("Imported %s from %s: %d created, %d updated, %d unchanged", k.Plural, fileName,
				res.Created, res.Updated, res.Unchanged),
			Changes: fields("kind", k.Plural, "file", fileName, "rows", strconv.Itoa(res.Rows),
				"created", strconv.Itoa(res.Created), "updated", strconv.Itoa(res.Updated), "unchanged", strconv.Itoa(res.Unchanged))})
	})
	return res, err
}

// importRows imports f's rows inside tx, each in a savepoint so that a row
// with problems leaves nothing behind for the rows after it.
func (s *Store) importRows(ctx context.Context, tx *sql.Tx, actor Actor, f *ImportFile) (ImportResult, error) {
	kind, ok := KindNamed(f.Kind)
	imp, imports := importers[f.Kind]
	if !ok || !imports {
		return ImportResult{}, fmt.Errorf("db: no import for kind %q", f.Kind)
	}
	run := &importRun{s: s, ctx: ctx, tx: tx, actor: actor, kind: kind, columns: f.Columns,
		index: map[string]*keyIndex{}, touched: map[int64]int{}, failed: map[string]int{},
		res: ImportResult{Kind: f.Kind, Rows: f.Total, Problems: slices.Clone(f.Problems)}}
	// Load the keys of the records this kind's rows match and name, once.
	kinds := []string{kind.Name}
	for _, c := range kind.Fields {
		if c.Ref != "" && !slices.Contains(kinds, c.Ref) {
			kinds = append(kinds, c.Ref)
		}
	}
	for _, k := range kinds {
		x, err := loadKeyIndex(ctx, tx, k)
		if err != nil {
			return run.res, err
		}
		run.index[k] = x
	}
	for _, row := range f.Rows {
		if err := imp.importRow(run, row); err != nil {
			return run.res, err
		}
	}
	slices.SortStableFunc(run.res.Problems, func(a, b ImportProblem) int { return a.Row - b.Row })
	return run.res, nil
}

// importRun is one import in progress inside a transaction.
type importRun struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	actor   Actor
	kind    Kind
	columns []string
	index   map[string]*keyIndex // by record kind
	touched map[int64]int        // record ID → the row that imported it
	failed  map[string]int       // key of a record a row with problems would have added → that row
	res     ImportResult
}

// keyIndex finds records by the keys rows match them with: their IDs, and
// keys such as an owner's email, kept current as rows add and change records.
type keyIndex struct {
	keysOf map[int64][]string
	ids    map[string][]int64
}

func (x *keyIndex) has(id int64) bool {
	_, ok := x.keysOf[id]
	return ok
}

func (x *keyIndex) find(key string) []int64 { return x.ids[key] }

// put records id under keys, replacing the keys it had.
func (x *keyIndex) put(id int64, keys []string) {
	for _, k := range x.keysOf[id] {
		x.ids[k] = slices.DeleteFunc(slices.Clone(x.ids[k]), func(v int64) bool { return v == id })
		if len(x.ids[k]) == 0 {
			delete(x.ids, k)
		}
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	x.keysOf[id] = keys
	for _, k := range keys {
		x.ids[k] = append(x.ids[k], id)
	}
}

// keyQueries read each kind's records for its keyIndex, in the shape its
// keys function takes.
var keyQueries = map[string]struct {
	query string
	keys  func(row scanner) (int64, []string, error)
}{
	"owner": {"SELECT id, email FROM owners", func(row scanner) (int64, []string, error) {
		var id int64
		var email string
		err := row.Scan(&id, &email)
		return id, ownerKeys(email), err
	}},
	"account": {"SELECT id, platform, external_id, name FROM accounts", func(row scanner) (int64, []string, error) {
		var id int64
		var platform, ext, name string
		err := row.Scan(&id, &platform, &ext, &name)
		return id, accountKeys(platform, ext, name), err
	}},
	"role": {"SELECT id, account_id, COALESCE(owner_id, 0), COALESCE(system_user_id, 0), role, status FROM roles",
		func(row scanner) (int64, []string, error) {
			var id, account, owner, su int64
			var role, status string
			err := row.Scan(&id, &account, &owner, &su, &role, &status)
			return id, roleKeys(idString(account), idString(owner), idString(su), role, status), err
		}},
	"system_user": {"SELECT id, account_id, external_id, name FROM system_users", func(row scanner) (int64, []string, error) {
		var id, account int64
		var ext, name string
		err := row.Scan(&id, &account, &ext, &name)
		return id, systemUserKeys(idString(account), ext, name), err
	}},
	"integration": {"SELECT id, name FROM integrations", func(row scanner) (int64, []string, error) {
		var id int64
		var name string
		err := row.Scan(&id, &name)
		return id, integrationKeys(name), err
	}},
	"token": {"SELECT id, name, COALESCE(account_id, 0) FROM tokens", func(row scanner) (int64, []string, error) {
		var id, account int64
		var name string
		err := row.Scan(&id, &name, &account)
		return id, tokenKeys(name, idString(account)), err
	}},
}

func loadKeyIndex(ctx context.Context, tx *sql.Tx, kind string) (*keyIndex, error) {
	q := keyQueries[kind]
	rows, err := tx.QueryContext(ctx, q.query)
	if err != nil {
		return nil, fmt.Errorf("db: load %s keys: %w", kind, err)
	}
	defer rows.Close()
	x := &keyIndex{keysOf: map[int64][]string{}, ids: map[string][]int64{}}
	for rows.Next() {
		id, keys, err := q.keys(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan %s keys: %w", kind, err)
		}
		x.put(id, keys)
	}
	return x, rows.Err()
}

// The keys each kind's records are found by. "ref" keys are what a cell
// naming the record may say besides its ID; the others match rows to records.

func ownerKeys(email string) []string {
	if email == "" {
		return nil
	}
	return []string{"email\x00" + strings.ToLower(email)}
}

func accountKeys(platform, ext, name string) []string {
	p := strings.ToLower(platform)
	keys := []string{"name\x00" + p + "\x00" + name, "ref\x00" + name}
	if ext != "" {
		return append(keys, "ext\x00"+p+"\x00"+ext, "ref\x00"+ext)
	}
	return append(keys, "bare\x00"+p+"\x00"+name)
}

func roleKeys(account, owner, systemUser, role, status string) []string {
	key := account + "\x00o" + owner + "\x00s" + systemUser + "\x00" + strings.ToLower(role)
	if status == "removed" {
		return []string{"gone\x00" + key}
	}
	return []string{"grant\x00" + key}
}

func systemUserKeys(account, ext, name string) []string {
	keys := []string{"name\x00" + account + "\x00" + name, "ref\x00" + name}
	if ext != "" {
		return append(keys, "ext\x00"+account+"\x00"+ext)
	}
	return append(keys, "bare\x00"+account+"\x00"+name)
}

func integrationKeys(name string) []string { return []string{"name\x00" + name} }

func tokenKeys(name, account string) []string { return []string{"name\x00" + name + "\x00" + account} }

// refKey is the key a cell naming a record of kind by other than its ID looks up.
func refKey(kind, v string) string {
	switch kind {
	case "owner":
		return "email\x00" + strings.ToLower(v)
	case "integration":
		return "name\x00" + v
	}
	return "ref\x00" + v
}

// matchByExternalID finds by the external ID key when the row has one, else
// by name; a row whose external ID matches nothing takes a record of that
// name that has no external ID yet.
func matchByExternalID(x *keyIndex, scope, ext, name string) []int64 {
	if ext == "" {
		return x.find("name\x00" + scope + "\x00" + name)
	}
	if ids := x.find("ext\x00" + scope + "\x00" + ext); len(ids) > 0 {
		return ids
	}
	return x.find("bare\x00" + scope + "\x00" + name)
}

// resolve turns a cell naming a record of kind into its ID: "#12" or "12"
// is an ID, anything else the kind's friendlier key. It answers the ID, or
// a message saying why the cell names no single record.
func (run *importRun) resolve(kind, v string) (string, string) {
	x := run.index[kind]
	noun := strings.ReplaceAll(kind, "_", " ")
	digits, explicit := strings.CutPrefix(v, "#")
	var found []int64
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil && n > 0 && digits[0] != '+' {
		switch {
		case explicit && x.has(n):
			return strconv.FormatInt(n, 10), ""
		case explicit:
			return "", fmt.Sprintf("No %s has ID %d.", noun, n)
		case x.has(n):
			found = append(found, n)
		}
	}
	key := refKey(kind, v)
	for _, id := range x.find(key) {
		if !slices.Contains(found, id) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return strconv.FormatInt(found[0], 10), ""
	case 0:
		if row, ok := run.failed[kind+"\x00"+key]; ok {
			return "", fmt.Sprintf("Row %d would add the %s %q, but that row has problems.", row, noun, v)
		}
		what := map[string]string{"owner": "ID or email", "account": "ID, external ID or name",
			"system_user": "ID or name", "integration": "ID or name"}[kind]
		return "", fmt.Sprintf("No %s has the %s %q.", noun, what, v)
	}
	return "", fmt.Sprintf("%q could be %s: write the one you mean as #ID.", v, idList(found))
}

func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "#" + strconv.FormatInt(id, 10)
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
	}
	return strings.Join(parts, "")
}

// isYesNo reports whether a yes/no cell says something flag understands.
func isYesNo(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "on", "yes", "y", "0", "false", "off", "no", "n":
		return true
	}
	return false
}

// rowImporter imports one row of a kind of record.
type rowImporter interface {
	importRow(run *importRun, row ImportRow) error
}

// importer imports the rows of one kind through the kind's own checks and
// writes: In is its input struct, the fields a form or a row gives.
type importer[In any] struct {
	fields  Fields[In]
	current func(ctx context.Context, tx *sql.Tx, id int64) (In, error)
	create  func(s *Store, ctx context.Context, tx *sql.Tx, actor Actor, in In) (int64, error)
	update  func(s *Store, ctx context.Context, tx *sql.Tx, actor Actor, id int64, in In) (bool, error)
	keys    func(in In) []string
	match   func(x *keyIndex, in In) []int64
	label   func(in In) string
}

// rowProblems collects one row's problems, the first for each column.
type rowProblems map[string]string

func (p rowProblems) add(column, msg string) {
	if _, ok := p[column]; !ok {
		p[column] = msg
	}
}

func (k *importer[In]) importRow(run *importRun, row ImportRow) error {
	kind, ctx, tx := run.kind, run.ctx, run.tx
	self := run.index[kind.Name]
	problems := rowProblems{}

	// An id column names the record to update.
	var id int64
	if cell := row.Cells["id"]; cell != "" {
		n, err := strconv.ParseInt(strings.TrimPrefix(cell, "#"), 10, 64)
		switch {
		case err != nil || n <= 0:
			problems.add("id", "Write the record's ID (a number such as 12), or leave the cell empty.")
		case !self.has(n):
			problems.add("id", fmt.Sprintf("No %s has ID %d.", kind.Noun, n))
		default:
			id = n
		}
	}

	// The row's cells, with the records they name turned into IDs.
	var in In
	cells := make(map[string]string, len(row.Cells))
	for _, col := range k.fields {
		v, present := row.Cells[col.Name]
		if !present || col.Secret {
			continue
		}
		switch {
		case v == "":
		case col.Ref != "":
			resolved, msg := run.resolve(col.Ref, v)
			if msg != "" {
				problems.add(col.Name, msg)
			}
			v = resolved
		case col.Flag && !isYesNo(v):
			problems.add(col.Name, "Write 1 or yes for yes; 0, no or nothing for no.")
		case col.Enum != nil:
			v = strings.ToLower(v)
		}
		cells[col.Name] = v
		*col.Of(&in) = v
	}

	// Otherwise the row's key fields may match a record.
	if id == 0 && problems["id"] == "" {
		switch ids := k.match(self, in); len(ids) {
		case 0:
		case 1:
			id = ids[0]
		default:
			problems.add("", fmt.Sprintf("This row matches more than one %s (%s): add an id column to say which.", kind.Noun, idList(ids)))
		}
	}
	if id != 0 {
		if earlier, ok := run.touched[id]; ok {
			problems.add("", fmt.Sprintf("Row %d already imports this %s: put both in one row.", earlier, kind.Noun))
		}
		cur, err := k.current(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, col := range k.fields {
			v, present := cells[col.Name]
			if !present || (v == "" && col.Keep) {
				continue
			}
			*col.Of(&cur) = v
		}
		in = cur
	}

	// The audit log's head before the row: an update's events come after it.
	var head int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM audit_events").Scan(&head); err != nil {
		return fmt.Errorf("db: import audit head: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT import_row"); err != nil {
		return fmt.Errorf("db: import savepoint: %w", err)
	}
	saved, changed := id, true
	var err error
	if id == 0 {
		saved, err = k.create(run.s, ctx, tx, run.actor, in)
	} else {
		changed, err = k.update(run.s, ctx, tx, run.actor, id, in)
	}
	var verr ValidationError
	switch {
	case errors.As(err, &verr):
		for field, msg := range verr {
			if !slices.Contains(run.columns, field) {
				msg += fmt.Sprintf(" The file has no %s column.", field)
			}
			problems.add(field, msg)
		}
	case err != nil:
		return err
	}

	if len(problems) > 0 {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO import_row; RELEASE import_row"); err != nil {
			return fmt.Errorf("db: import rollback row: %w", err)
		}
		for _, key := range k.keys(in) {
			if _, ok := run.failed[kind.Name+"\x00"+key]; !ok {
				run.failed[kind.Name+"\x00"+key] = row.Number
			}
		}
		run.addProblems(row.Number, problems)
		return nil
	}
	if _, err := tx.ExecContext(ctx, "RELEASE import_row"); err != nil {
		return fmt.Errorf("db: import release row: %w", err)
	}
	self.put(saved, k.keys(in))
	run.touched[saved] = row.Number
	out := ImportOutcome{Row: row.Number, ID: saved, Label: k.label(in)}
	switch {
	case id == 0:
		out.Action = "create"
		run.res.Created++
	case changed:
		out.Action = "update"
		run.res.Updated++
		if out.Changes, err = eventChanges(ctx, tx, Ref{kind.Name, id}, head); err != nil {
			return err
		}
	default:
		out.Action = "unchanged"
		run.res.Unchanged++
	}
	run.res.Outcomes = append(run.res.Outcomes, out)
	return nil
}

// addProblems adds a row's problems in column order: the whole row first,
// then the kind's columns, then anything else.
func (run *importRun) addProblems(row int, problems rowProblems) {
	order := append([]string{"", "id"}, run.kind.Columns()...)
	rest := make([]string, 0, len(problems))
	for col := range problems {
		if !slices.Contains(order, col) {
			rest = append(rest, col)
		}
	}
	slices.Sort(rest)
	for _, col := range append(order, rest...) {
		if msg, ok := problems[col]; ok {
			run.res.Problems = append(run.res.Problems, ImportProblem{Row: row, Column: col, Message: msg})
		}
	}
}

// eventChanges lists the changes of the audit events about rec written
// after the event with ID head, in order.
func eventChanges(ctx context.Context, tx *sql.Tx, rec Ref, head int64) ([]Change, error) {
	rows, err := tx.QueryContext(ctx, "SELECT changes FROM audit_events WHERE id > ? AND record_kind = ? AND record_id = ? ORDER BY id",
		head, rec.Kind, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("db: read import row's changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var text string
		var changes []Change
		if err := rows.Scan(&text); err != nil {
			return nil, fmt.Errorf("db: scan import row's changes: %w", err)
		}
		if err := json.Unmarshal([]byte(text), &changes); err != nil {
			return nil, fmt.Errorf("db: decode import row's changes: %w", err)
		}
		out = append(out, changes...)
	}
	return out, rows.Err()
}

// currentTx reads one record inside tx with a kind's list query and scanner.
func currentTx[T any](ctx context.Context, tx *sql.Tx, scan func(scanner) (T, error), query string, id int64) (T, error) {
	v, err := scan(tx.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// importers are each kind's importer.
var importers = map[string]rowImporter{
	"owner": &importer[OwnerInput]{
		fields: OwnerFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (OwnerInput, error) {
			o, err := currentTx(ctx, tx, scanOwner, "SELECT "+ownerColumns+ownerFrom+" WHERE o.id = ?", id)
			return o.Input(), err
		},
		create: (*Store).createOwner,
		update: (*Store).updateOwner,
		keys:   func(in OwnerInput) []string { return ownerKeys(in.Email) },
		match: func(x *keyIndex, in OwnerInput) []int64 {
			if in.Email == "" {
				return nil
			}
			return x.find(ownerKeys(in.Email)[0])
		},
		label: func(in OwnerInput) string {
			if in.Email != "" {
				return in.Name + " <" + in.Email + ">"
			}
			return in.Name
		},
	},
	"account": &importer[AccountInput]{
		fields: AccountFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (AccountInput, error) {
			a, err := currentTx(ctx, tx, scanAccount, "SELECT "+accountColumns+accountFrom+" WHERE a.id = ?", id)
			return a.Input(), err
		},
		create: (*Store).createAccount,
		update: (*Store).updateAccount,
		keys:   func(in AccountInput) []string { return accountKeys(in.Platform, in.ExternalID, in.Name) },
		match: func(x *keyIndex, in AccountInput) []int64 {
			return matchByExternalID(x, strings.ToLower(in.Platform), in.ExternalID, in.Name)
		},
		label: func(in AccountInput) string { return in.Name + " (" + in.Platform + ")" },
	},
	"role": &importer[RoleInput]{
		fields: RoleFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (RoleInput, error) {
			r, err := currentTx(ctx, tx, scanRole, "SELECT "+roleColumns+roleFrom+" WHERE r.id = ?", id)
			return r.Input(), err
		},
		create: (*Store).createRole,
		update: (*Store).updateRole,
		keys: func(in RoleInput) []string {
			return roleKeys(in.AccountID, in.OwnerID, in.SystemUserID, in.Role, in.Status)
		},
		match: func(x *keyIndex, in RoleInput) []int64 {
			// An active grant first; a row saying "removed" may match the
			// latest removed one instead.
			active := roleKeys(in.AccountID, in.OwnerID, in.SystemUserID, in.Role, "active")[0]
			if ids := x.find(active); len(ids) > 0 || in.Status != "removed" {
				return ids
			}
			removed := x.find(roleKeys(in.AccountID, in.OwnerID, in.SystemUserID, in.Role, "removed")[0])
			if len(removed) == 0 {
				return nil
			}
			return []int64{slices.Max(removed)}
		},
		label: func(in RoleInput) string { return in.Role },
	},
	"system_user": &importer[SystemUserInput]{
		fields: SystemUserFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (SystemUserInput, error) {
			u, err := currentTx(ctx, tx, scanSystemUser, "SELECT "+systemUserColumns+systemUserFrom+" WHERE su.id = ?", id)
			return u.Input(), err
		},
		create: (*Store).createSystemUser,
		update: (*Store).updateSystemUser,
		keys:   func(in SystemUserInput) []string { return systemUserKeys(in.AccountID, in.ExternalID, in.Name) },
		match: func(x *keyIndex, in SystemUserInput) []int64 {
			return matchByExternalID(x, in.AccountID, in.ExternalID, in.Name)
		},
		label: func(in SystemUserInput) string { return in.Name },
	},
	"integration": &importer[IntegrationInput]{
		fields: IntegrationFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (IntegrationInput, error) {
			i, err := currentTx(ctx, tx, scanIntegration, "SELECT "+integrationColumns+integrationFrom+" WHERE i.id = ?", id)
			return i.Input(), err
		},
		create: (*Store).createIntegration,
		update: (*Store).updateIntegration,
		keys:   func(in IntegrationInput) []string { return integrationKeys(in.Name) },
		match:  func(x *keyIndex, in IntegrationInput) []int64 { return x.find(integrationKeys(in.Name)[0]) },
		label:  func(in IntegrationInput) string { return in.Name },
	},
	"token": &importer[TokenInput]{
		fields: TokenFields,
		current: func(ctx context.Context, tx *sql.Tx, id int64) (TokenInput, error) {
			t, err := currentTx(ctx, tx, scanToken, "SELECT "+tokenColumns+tokenFrom+" WHERE t.id = ?", id)
			return t.Input(), err
		},
		create: func(s *Store, ctx context.Context, tx *sql.Tx, actor Actor, in TokenInput) (int64, error) {
			saved, err := s.createToken(ctx, tx, actor, in)
			return saved.ID, err
		},
		update: func(s *Store, ctx context.Context, tx *sql.Tx, actor Actor, id int64, in TokenInput) (bool, error) {
			_, changed, err := s.updateToken(ctx, tx, actor, id, in)
			return changed, err
		},
		keys:  func(in TokenInput) []string { return tokenKeys(in.Name, in.AccountID) },
		match: func(x *keyIndex, in TokenInput) []int64 { return x.find(tokenKeys(in.Name, in.AccountID)[0]) },
		label: func(in TokenInput) string { return in.Name },
	},
}
