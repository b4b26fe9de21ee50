package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// ValidationError maps a form field's name to what is wrong with its value.
// Nothing is written when a change returns one.
type ValidationError map[string]string

func (v ValidationError) Error() string {
	parts := make([]string, 0, len(v))
	for field, msg := range v {
		parts = append(parts, field+": "+msg)
	}
	return "db: invalid input: " + strings.Join(parts, "; ")
}

// ListParams filters, sorts and pages a record list.
type ListParams struct {
	Q       string // free text
	Status  string // one of the kind's statuses, or "" for all
	Sort    string // a column name the kind allows
	Desc    bool
	Page    int // from 1
	PerPage int
	// Finding narrows the list to the records of a home page finding (a
	// FindingKinds name), where the finding has a list of this kind
	// (FindingHasList); elsewhere it is ignored.
	Finding string
	// ID, AfterID and Limit page a streamed list (Snapshot.Each…) by its
	// records' IDs, for the API: only the record ID (0: any), those with
	// an ID above AfterID, in ID order (whatever Sort says) when AfterID
	// or Limit is set, at most Limit of them (0: all). The primary key
	// finds them, so a page costs the same however deep it is.
	ID, AfterID int64
	Limit       int
}

// Filtered reports whether a search, a status or a finding narrows the list.
func (p ListParams) Filtered() bool { return p.Q != "" || p.Status != "" || p.Finding != "" }

// offset normalises paging and returns LIMIT and OFFSET.
func (p *ListParams) offset() (limit, offset int) {
	if p.PerPage <= 0 || p.PerPage > 200 {
		p.PerPage = 50
	}
	if p.Page < 1 {
		p.Page = 1
	}
	return p.PerPage, (p.Page - 1) * p.PerPage
}

// orderBy picks the ORDER BY clause for p.Sort from the allowed columns,
// falling back to the first entry's column, and always ends with idCol, the
// record's qualified ID (the list queries join tables that have an id too),
// so pages are stable.
func (p *ListParams) orderBy(allowed [][2]string, idCol string) string {
	col := allowed[0][1]
	found := false
	for _, a := range allowed {
		if a[0] == p.Sort {
			col, found = a[1], true
		}
	}
	if !found {
		p.Sort = allowed[0][0]
	}
	dir := "ASC"
	if p.Desc {
		dir = "DESC"
	}
	return fmt.Sprintf(" ORDER BY %s %s, %s %s", col, dir, idCol, dir)
}

// Page is one page of a list and the total that matched.
type Page[T any] struct {
	Items   []T
	Total   int
	Page    int
	PerPage int
}

// Pages is the number of pages in the list.
func (p Page[T]) Pages() int {
	if p.PerPage == 0 || p.Total == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// Option is an ID and a label for pickers.
type Option struct {
	ID    int64
	Label string
}

// validator collects field errors while normalising input.
type validator struct{ errs ValidationError }

func newValidator() *validator { return &validator{errs: ValidationError{}} }

func (v *validator) fail(field, msg string) {
	if _, exists := v.errs[field]; !exists {
		v.errs[field] = msg
	}
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// text trims s and checks its length and that it holds no control characters
// other than newlines and tabs.
func (v *validator) text(field, s string, required bool, maxLen int) string {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		v.fail(field, "Required.")
	case !utf8.ValidString(s):
		v.fail(field, "Contains bytes that are not UTF-8 text.")
	case utf8.RuneCountInString(s) > maxLen:
		v.fail(field, fmt.Sprintf("At most %d characters.", maxLen))
	case strings.ContainsFunc(s, isControl):
		v.fail(field, "Contains control characters.")
	case strings.ContainsFunc(s, isBidiControl):
		v.fail(field, "Contains invisible characters that change the direction of text. Retype it without them.")
	}
	return s
}

// isBidiControl reports whether r is a bidirectional embedding, override or
// isolate (U+202A–U+202E, U+2066–U+2069), which can make text read
// differently from what it holds.
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// HasInvisibleFormatting reports whether s holds a Unicode format character
// (category Cf: text-direction overrides, zero-width spaces and joiners,
// the byte order mark, soft hyphens) or a line or paragraph separator
// (U+2028, U+2029): a single-line value with one looks like another value,
// or breaks a line where nobody sees a line break.
func HasInvisibleFormatting(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
	})
}

// isControl reports whether r is a control character other than a newline
// or tab: C0 (escape, NUL, backspace…), DEL and C1 (such as U+009B, a
// terminal's control sequence introducer, and U+0085, a line break some
// programs honour).
func isControl(r rune) bool {
	return r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r >= 0x7f && r <= 0x9f
}

// line is text that must fit on one line, without invisible formatting.
func (v *validator) line(field, s string, required bool, maxLen int) string {
	s = v.text(field, s, required, maxLen)
	if strings.ContainsAny(s, "\r\n") {
		v.fail(field, "Must be a single line.")
	}
	if HasInvisibleFormatting(s) {
		v.fail(field, "Contains invisible formatting characters (such as zero-width spaces, text-direction marks or line separators). Retype it without them.")
	}
	return s
}

func (v *validator) email(field, s string, required bool) string {
	s = v.line(field, s, required, 254)
	if s != "" {
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s || a.Name != "" {
			v.fail(field, "Enter an email address such as name@example.com.")
		}
	}
	return s
}

func (v *validator) date(field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.fail(field, "Required.")
		}
		return ""
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		v.fail(field, "Enter a date as YYYY-MM-DD.")
	}
	return s
}

func (v *validator) url(field, s string) string {
	s = v.line(field, s, false, 2000)
	if s != "" {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.fail(field, "Enter a web address starting with https://.")
		}
	}
	return s
}

func (v *validator) oneOf(field, s string, allowed ...string) string {
	s = strings.TrimSpace(s)
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	v.fail(field, "Choose one of: "+strings.Join(allowed, ", ")+".")
	return s
}

// ref parses an optional record ID from a form value.
func (v *validator) ref(field, s string, required bool) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.fail(field, "Required.")
		}
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		v.fail(field, "Choose a record from the list.")
		return 0
	}
	return id
}

// flag reads a checkbox: "1", "true", "on" and "yes" are true.
func flag(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}

// exists checks, inside tx, that the referenced record is there; table is
// one of ours, never user input.
func (v *validator) exists(ctx context.Context, tx *sql.Tx, field, table string, id int64) error {
	if id == 0 {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		v.fail(field, "That record does not exist.")
		return nil
	}
	return err
}

// label reads a record's display name inside tx for audit changes.
func label(ctx context.Context, tx *sql.Tx, table string, id int64) (string, error) {
	name, err := nameOf(ctx, tx, table, id)
	if err != nil || id == 0 {
		return name, err
	}
	return fmt.Sprintf("%s (#%d)", name, id), nil
}

// nameOf reads a record's name inside tx, for audit summaries; "" for no record.
func nameOf(ctx context.Context, tx *sql.Tx, table string, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var name string
	err := tx.QueryRowContext(ctx, "SELECT name FROM "+table+" WHERE id = ?", id).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("db: name of %s %d: %w", table, id, err)
	}
	return name, nil
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// DiskFull reports whether err is SQLite finding no room left to write: the
// disk (or the file system holding the database) is full. Nothing of the
// failed transaction was written, and writes work again once there is space.
func DiskFull(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrFull
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// nullable turns a scanned NULL ID into 0.
func nullable(n sql.NullInt64) int64 { return n.Int64 }

// recordTables maps a record kind to its table and the column that names
// a record: the six of Kinds, logins and checklists.
var recordTables = func() map[string][2]string {
	out := map[string][2]string{"user": {"users", "email"}, "checklist": {"checklists", "'checklist #' || id"}}
	for _, k := range Kinds {
		out[k.Name] = [2]string{k.Table, k.NameColumn}
	}
	return out
}()

// RecordName returns a record's display name, or ErrNotFound.
func (s *Store) RecordName(ctx context.Context, kind string, id int64) (string, error) {
	return recordName(ctx, s.read, kind, id)
}

// recordName is RecordName read through q.
func recordName(ctx context.Context, q querier, kind string, id int64) (string, error) {
	tc, ok := recordTables[kind]
	if !ok {
		return "", ErrNotFound
	}
	var name string
	err := q.QueryRowContext(ctx, "SELECT "+tc[1]+" FROM "+tc[0]+" WHERE id = ?", id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// one runs a single-row query and scans it; no row is ErrNotFound.
func one[T any](ctx context.Context, q *sql.DB, scan func(scanner) (T, error), what, query string, args ...any) (T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("db: %s: %w", what, err)
	}
	return v, nil
}

// all runs a query and scans every row.
func all[T any](ctx context.Context, q querier, scan func(scanner) (T, error), what, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("db: scan %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// listQuery describes one kind's paged list: what to select, from where,
// the sortable columns and the kind's own ID column.
type listQuery struct {
	kind    string // the db.Kinds name
	what    string
	columns string
	from    string
	sorts   [][2]string
	idCol   string
	// base is from without its LEFT JOINs, for counting and paging when
	// the filter and the sort use only the kind's own table (optional).
	base string
	// sortFrom are FROM clauses for choosing a page's IDs by a sort on a
	// joined table: they start from that table, so the page is read in the
	// order of its index instead of sorting every row (optional).
	sortFrom map[string]string
}

// qualifiedColumn finds column references such as "a.name" in SQL text.
var qualifiedColumn = regexp.MustCompile(`\b([a-z_]+)\.[a-z_]`)

// idFrom is the FROM clause for counting a list and choosing a page's IDs:
// the kind's own table alone when where and order name no joined table (the
// index then covers the query), else the full from.
func (lq listQuery) idFrom(where, order string) string {
	if lq.base == "" {
		return neededJoins(lq.from, where+order)
	}
	alias, _, _ := strings.Cut(lq.idCol, ".")
	for _, m := range qualifiedColumn.FindAllStringSubmatch(where+order, -1) {
		if m[1] != alias {
			return neededJoins(lq.from, where+order)
		}
	}
	return lq.base
}

// neededJoins is from without the LEFT JOINs that sql names no column of
// (nor a join it keeps). Every LEFT JOIN of a list's from finds at most one
// row by its ID, so leaving one out changes no count and no order, and a
// list sorted by its responsible person's name then sorts 100,000 tokens
// with one join instead of six.
func neededJoins(from, sql string) string {
	parts := strings.Split(strings.Join(strings.Fields(from), " "), " LEFT JOIN ")
	used := map[string]bool{}
	for _, m := range qualifiedColumn.FindAllStringSubmatch(sql+" "+parts[0], -1) {
		used[m[1]] = true
	}
	keep := make([]bool, len(parts))
	for changed := true; changed; {
		changed = false
		for i, p := range parts[1:] {
			if f := strings.Fields(p); !keep[i+1] && len(f) > 1 && used[f[1]] {
				keep[i+1], changed = true, true
				for _, m := range qualifiedColumn.FindAllStringSubmatch(p, -1) {
					used[m[1]] = true
				}
			}
		}
	}
	out := " " + parts[0]
	for i, p := range parts[1:] {
		if keep[i+1] {
			out += " LEFT JOIN " + p
		}
	}
	return out
}

// pageIDFrom is the FROM clause for choosing the IDs of a page sorted by
// sort: the sort's own when it has one and where names no other table.
func (lq listQuery) pageIDFrom(where, order, sort string) string {
	from, ok := lq.sortFrom[sort]
	if !ok {
		return lq.idFrom(where, order)
	}
	for _, m := range qualifiedColumn.FindAllStringSubmatch(where, -1) {
		if !strings.Contains(from, " "+m[1]+" ") {
			return lq.idFrom(where, order)
		}
	}
	return from
}

// page counts the rows matching where and returns the page p asks for.
//
// The page is read in two steps: first the IDs of its rows, in order, from
// the kind's own table when the filter and the sort allow (see idFrom), then
// the full rows of just those IDs. Reading page 500 of a list then skips
// 25,000 index entries instead of 25,000 seven-table joins. The total and
// the IDs are kept until the next write: the total is the same for every
// page of a list, and the IDs are what OFFSET makes expensive.
func page[T any](ctx context.Context, s *Store, lq listQuery, scan func(scanner) (T, error), p ListParams, where string, args []any) (Page[T], error) {
	where, args = s.narrowToFinding(lq.kind, p, where, args)
	limit, offset := p.offset()
	out := Page[T]{Page: p.Page, PerPage: p.PerPage}
	order := p.orderBy(lq.sorts, lq.idCol)
	countQuery := "SELECT COUNT(*)" + lq.idFrom(where, "") + where // the sort does not change the count
	total, err := s.countRow(ctx, countQuery, args...)
	if err != nil {
		return out, fmt.Errorf("db: count %s: %w", lq.what, err)
	}
	out.Total = total[0]
	idQuery := "SELECT " + lq.idCol + lq.pageIDFrom(where, order, p.Sort) + where + order + " LIMIT ? OFFSET ?"
	idArgs := append(slices.Clip(args), limit, offset)
	ids, err := s.pages.get(s, cacheKey(idQuery, idArgs), func() (string, error) {
		rows, err := s.read.QueryContext(ctx, idQuery, idArgs...)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		list := []byte{'['}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return "", err
			}
			if len(list) > 1 {
				list = append(list, ',')
			}
			list = strconv.AppendInt(list, id, 10)
		}
		return string(append(list, ']')), rows.Err()
	})
	if err != nil {
		return out, fmt.Errorf("db: list %s: %w", lq.what, err)
	}
	if ids == "[]" {
		return out, nil
	}
	out.Items, err = all(ctx, s.read, scan, "list "+lq.what, "SELECT "+lq.columns+lq.from+" WHERE "+lq.idCol+
		" IN (SELECT value FROM json_each(?))"+order, ids)
	return out, err
}

// idIs is a list filter to the rows whose column col holds id; 0 means any.
type idIs struct {
	col string
	id  int64
}

// whereIDs starts a list's WHERE clause with the filters given an ID.
func whereIDs(filters ...idIs) (string, []any) {
	where, args := " WHERE 1=1", []any{}
	for _, f := range filters {
		if f.id != 0 {
			where += " AND " + f.col + " = ?"
			args = append(args, f.id)
		}
	}
	return where, args
}

// cacheKey makes a cache key of a query and its arguments.
func cacheKey(query string, args []any) string {
	var b strings.Builder
	b.WriteString(query)
	for _, a := range args {
		fmt.Fprintf(&b, "\x00%T:%v", a, a)
	}
	return b.String()
}
