package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
)

// column is one column of an export: its name and how to read it from a
// record.
type column[T any] struct {
	name  string
	value func(T) any
}

// columnNames lists the columns' names.
func columnNames[T any](cols []column[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// columns are a whole export's columns: their names, and a filler that
// sets a row's values from one record. Each table gets its own filler,
// which may keep scratch space from row to row.
type columns[T any] struct {
	names  []string
	filler func() func(v T, values []any)
}

// plainColumns are the columns cols, each reading its value on its own.
func plainColumns[T any](cols []column[T]) columns[T] {
	return columns[T]{names: columnNames(cols), filler: func() func(T, []any) {
		return func(v T, values []any) {
			for i, c := range cols {
				values[i] = c.value(v)
			}
		}
	}}
}

// recordColumns are the columns of the export of kind: id, then one for
// each field of its input's table except secrets, read from the record's
// input, then extra, the read-only columns kind.ExportOnly names (it
// panics when they differ, a mistake in this file that any test finds).
func recordColumns[T, In any](kind string, id func(T) int64, input func(T) In, fields db.Fields[In], extra []column[T]) columns[T] {
	k, _ := db.KindNamed(kind)
	if !slices.Equal(columnNames(extra), k.ExportOnly) {
		panic("handlers: the export of " + kind + " lacks its ExportOnly columns")
	}
	var zero T
	types := make(map[string]any, len(extra))
	for _, c := range extra {
		types[c.name] = jsonType(c.value(zero))
	}
	exportOnlyTypes[kind] = types
	exported := slices.DeleteFunc(slices.Clone(fields), func(f db.Field[In]) bool { return f.Secret })
	names := append(append([]string{"id"}, k.Columns()...), k.ExportOnly...)
	return columns[T]{names: names, filler: func() func(T, []any) {
		in := new(In) // one input for every row, not one each
		return func(v T, values []any) {
			values[0] = id(v)
			*in = input(v)
			for i, f := range exported {
				values[1+i] = fieldValue(f.FieldSpec, *f.Of(in))
			}
			for i, c := range extra {
				values[1+len(exported)+i] = c.value(v)
			}
		}
	}}
}

// exportOnlyTypes are the JSON types of each kind's ExportOnly columns, by
// kind name and column, as recordColumns reads them off a zero record; the
// OpenAPI document's record schemas take them from here.
var exportOnlyTypes = map[string]map[string]any{}

// jsonType is the JSON Schema type of an export's value v: a zero record's
// nil is an unset record ID (see ref).
func jsonType(v any) any {
	switch v.(type) {
	case string:
		return "string"
	case int, int64:
		return "integer"
	case bool:
		return "boolean"
	case nil:
		return []string{"integer", "null"}
	}
	panic(fmt.Sprintf("handlers: an export column of type %T", v)) // a mistake in this file that any test finds
}

// fieldValue is an export's value of an input field: a record's ID (or
// nothing), true or false for a yes/no field, else the text.
func fieldValue(f db.FieldSpec, v string) any {
	switch {
	case f.Ref != "" && v == "":
		return nil
	case f.Ref != "":
		id, _ := strconv.ParseInt(v, 10, 64)
		return ref(id)
	case f.Flag:
		return v == "1"
	}
	return v
}

// ref is an optional record ID: empty in CSV and null in JSON when unset.
func ref(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// The columns of each list's export: id, the fields of the kind's field
// table (the columns the import takes), then the read-only labels of its
// db.Kind.ExportOnly.
var (
	ownerColumns = recordColumns("owner", func(o db.Owner) int64 { return o.ID }, db.Owner.Input, db.OwnerFields, []column[db.Owner]{
		{"manager_name", func(o db.Owner) any { return o.ManagerName }},
		{"active_roles", func(o db.Owner) any { return o.ActiveRoles }},
		{"created_at", func(o db.Owner) any { return o.CreatedAt }},
		{"updated_at", func(o db.Owner) any { return o.UpdatedAt }},
	})
	accountColumns = recordColumns("account", func(a db.Account) int64 { return a.ID }, db.Account.Input, db.AccountFields, []column[db.Account]{
		{"parent_name", func(a db.Account) any { return a.ParentName }},
		{"owner_name", func(a db.Account) any { return a.OwnerName }},
		{"active_roles", func(a db.Account) any { return a.ActiveRoles }},
		{"admin_holders", func(a db.Account) any { return a.AdminHolders }},
		{"created_at", func(a db.Account) any { return a.CreatedAt }},
		{"updated_at", func(a db.Account) any { return a.UpdatedAt }},
	})
	roleColumns = recordColumns("role", func(r db.Role) int64 { return r.ID }, db.Role.Input, db.RoleFields, []column[db.Role]{
		{"last_reviewed_on", func(r db.Role) any { return r.LastReviewedOn }},
		{"account_name", func(r db.Role) any { return r.AccountName }},
		{"platform", func(r db.Role) any { return r.Platform }},
		{"holder_name", func(r db.Role) any { return r.HolderName }},
		{"created_at", func(r db.Role) any { return r.CreatedAt }},
		{"updated_at", func(r db.Role) any { return r.UpdatedAt }},
	})
	systemUserColumns = recordColumns("system_user", func(u db.SystemUser) int64 { return u.ID }, db.SystemUser.Input, db.SystemUserFields, []column[db.SystemUser]{
		{"account_name", func(u db.SystemUser) any { return u.AccountName }},
		{"platform", func(u db.SystemUser) any { return u.Platform }},
		{"responsible_owner_name", func(u db.SystemUser) any { return u.ResponsibleOwnerName }},
		{"integration_name", func(u db.SystemUser) any { return u.IntegrationName }},
		{"active_roles", func(u db.SystemUser) any { return u.ActiveRoles }},
		{"created_at", func(u db.SystemUser) any { return u.CreatedAt }},
		{"updated_at", func(u db.SystemUser) any { return u.UpdatedAt }},
	})
	integrationColumns = recordColumns("integration", func(i db.Integration) int64 { return i.ID }, db.Integration.Input, db.IntegrationFields, []column[db.Integration]{
		{"responsible_owner_name", func(i db.Integration) any { return i.ResponsibleOwnerName }},
		{"active_system_users", func(i db.Integration) any { return i.ActiveSystemUsers }},
		{"created_at", func(i db.Integration) any { return i.CreatedAt }},
		{"updated_at", func(i db.Integration) any { return i.UpdatedAt }},
	})
	// tokenColumns never include a secret: Steward keeps none, only the
	// fingerprint and last four characters.
	tokenColumns = recordColumns("token", func(t db.Token) int64 { return t.ID }, db.Token.Input, db.TokenFields, []column[db.Token]{
		{"fingerprint", func(t db.Token) any { return t.Fingerprint }},
		{"last_four", func(t db.Token) any { return t.LastFour }},
		{"account_name", func(t db.Token) any { return t.AccountName }},
		{"platform", func(t db.Token) any { return t.Platform }},
		{"system_user_name", func(t db.Token) any { return t.SystemUserName }},
		{"owner_name", func(t db.Token) any { return t.OwnerName }},
		{"integration_name", func(t db.Token) any { return t.IntegrationName }},
		{"responsible_owner_name", func(t db.Token) any { return t.ResponsibleName }},
		{"created_by_name", func(t db.Token) any { return t.CreatedByName }},
		{"effective_status", func(t db.Token) any { return "" }}, // filled by tokenRow with today's date
		{"created_at", func(t db.Token) any { return t.CreatedAt }},
		{"updated_at", func(t db.Token) any { return t.UpdatedAt }},
	})
	auditColumns = plainColumns([]column[db.AuditEvent]{
		{"id", func(e db.AuditEvent) any { return e.ID }},
		{"at", func(e db.AuditEvent) any { return e.At.UTC().Format("2006-01-02T15:04:05.000Z") }},
		{"actor", func(e db.AuditEvent) any { return e.Actor }},
		{"user_id", func(e db.AuditEvent) any { return ref(e.UserID) }},
		{"ip", func(e db.AuditEvent) any { return e.IP }},
		{"action", func(e db.AuditEvent) any { return e.Action }},
		{"record_kind", func(e db.AuditEvent) any { return e.RecordKind }},
		{"record_id", func(e db.AuditEvent) any { return ref(e.RecordID) }},
		{"summary", func(e db.AuditEvent) any { return e.Summary }},
		{"changes", func(e db.AuditEvent) any { return changesValue(e.Changes) }},
		{"prev_hash", func(e db.AuditEvent) any { return e.PrevHash }},
		{"hash", func(e db.AuditEvent) any { return e.Hash }},
	})
	userColumns = plainColumns([]column[db.User]{
		{"id", func(u db.User) any { return u.ID }},
		{"email", func(u db.User) any { return u.Email }},
		{"role", func(u db.User) any { return u.Role }},
		{"disabled", func(u db.User) any { return u.Disabled }},
		{"owner_id", func(u db.User) any { return ref(u.OwnerID) }},
		{"created_at", func(u db.User) any { return u.CreatedAt }},
		{"last_login_at", func(u db.User) any { return u.LastLoginAt }},
	})
	standingItemColumns = plainColumns([]column[db.StandingItem]{
		{"id", func(it db.StandingItem) any { return it.ID }},
		{"kind", func(it db.StandingItem) any { return it.Kind }},
		{"text", func(it db.StandingItem) any { return it.Text }},
	})
)

// changesValue is an event's field changes: a JSON array in either format
// (in CSV, its JSON text in one cell), never null.
func changesValue(changes []db.Change) []db.Change {
	if changes == nil {
		return []db.Change{}
	}
	return changes
}

// writeTable writes a whole table: the header, a row for every record each
// produces, then the end. fix, when given, sets the values that need more
// than the record itself.
func writeTable[T any](t table, cols columns[T], fix func(T, []any), each func(fn func(T) error) error) error {
	if err := t.header(cols.names); err != nil {
		return err
	}
	values, fill := make([]any, len(cols.names)), cols.filler()
	err := each(func(v T) error {
		fill(v, values)
		if fix != nil {
			fix(v, values)
		}
		return t.row(values)
	})
	if err != nil {
		return err
	}
	return t.end()
}

// effectiveStatus fills a token row's effective_status column for today:
// an active token past its expiry date is db.TokenExpiredActive.
func effectiveStatus(today string) func(db.Token, []any) {
	i := columnIndex(tokenColumns, "effective_status")
	return func(t db.Token, values []any) { values[i] = t.EffectiveStatus(today) }
}

// columnIndex is the position of the named column; it panics when there is
// none, a mistake in this file that any export test finds.
func columnIndex[T any](cols columns[T], name string) int {
	if i := slices.Index(cols.names, name); i >= 0 {
		return i
	}
	panic("handlers: no export column " + name)
}

// listWriter writes the records matching p and f of one record list as a table.
type listWriter func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error

// listWriters are the exports of the six record lists, by kind name.
func (s *Server) listWriters() map[string]listWriter {
	return map[string]listWriter{
		"owner": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, ownerColumns, nil, func(fn func(db.Owner) error) error { return r.EachOwner(ctx, p, fn) })
		},
		"account": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, accountColumns, nil, func(fn func(db.Account) error) error { return r.EachAccount(ctx, p, f.account, fn) })
		},
		"role": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, roleColumns, nil, func(fn func(db.Role) error) error { return r.EachRole(ctx, p, f.role, fn) })
		},
		"system_user": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, systemUserColumns, nil, func(fn func(db.SystemUser) error) error { return r.EachSystemUser(ctx, p, f.systemUser, fn) })
		},
		"integration": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, integrationColumns, nil, func(fn func(db.Integration) error) error { return r.EachIntegration(ctx, p, f.integration, fn) })
		},
		"token": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f listFilters) error {
			return writeTable(t, tokenColumns, effectiveStatus(s.store.Today()), func(fn func(db.Token) error) error {
				return r.EachToken(ctx, p, f.token, fn)
			})
		},
	}
}

// exportList answers GET /{kind}/export.csv|json with every record the
// list's search, status, sort and filters match (paging aside), streamed
// from one snapshot.
func (s *Server) exportList(k db.Kind, write listWriter, format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		p, f := listParams(c), readListFilters(c)
		p.Page = 0
		return s.download(c, "steward-"+k.Path+"-"+s.store.Today()+"."+format, format, func(w io.Writer) error {
			return s.store.ReadSnapshot(ctx, func(r db.Snapshot) error { return write(ctx, r, newTable(format, w), p, f) })
		})
	}
}

// newTable is the table writer for a format: "csv" or "json".
func newTable(format string, w io.Writer) table {
	if format == "csv" {
		return newCSVTable(w)
	}
	return jsonFile{newJSONTable(bufio.NewWriterSize(w, 32<<10))}
}

// exportAudit is GET /audit/export.csv|json: the events the audit log's
// filters match, newest first, streamed.
func (s *Server) exportAudit(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		f := auditFilter(c)
		if err := f.Validate(); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
		ctx := c.Request().Context()
		return s.download(c, "steward-audit-"+s.store.Today()+"."+format, format, func(w io.Writer) error {
			return writeTable(newTable(format, w), auditColumns, nil, func(fn func(db.AuditEvent) error) error {
				return s.store.EachAuditEvent(ctx, f, fn)
			})
		})
	}
}

// exportEverything is GET /export.json: every record of every kind, the
// standing checklist items and the logins (never a password hash or a
// session), from one snapshot, as one JSON object of arrays.
func (s *Server) exportEverything(c echo.Context) error {
	ctx := c.Request().Context()
	return s.download(c, "steward-export-"+s.store.Today()+".json", "json", func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 32<<10)
		return s.store.ReadSnapshot(ctx, func(r db.Snapshot) error {
			fmt.Fprintf(bw, "{\"format\":\"steward-export\",\"version\":1,\"exported_at\":%q", s.store.Now().UTC().Format(time.RFC3339))
			section := func(key string) table {
				fmt.Fprintf(bw, ",\n%q:", key)
				return newJSONTable(bw)
			}
			writers := s.listWriters()
			for _, k := range db.Kinds {
				if err := writers[k.Name](ctx, r, section(k.Table), db.ListParams{}, listFilters{}); err != nil {
					return err
				}
			}
			items, err := r.StandingItems(ctx)
			if err != nil {
				return err
			}
			if err := writeSlice(section("standing_items"), standingItemColumns, items); err != nil {
				return err
			}
			users, err := r.Users(ctx)
			if err != nil {
				return err
			}
			if err := writeSlice(section("users"), userColumns, users); err != nil {
				return err
			}
			bw.WriteString("\n}\n")
			return bw.Flush()
		})
	})
}

// writeSlice writes a table of records already in memory.
func writeSlice[T any](t table, cols columns[T], items []T) error {
	return writeTable(t, cols, nil, func(fn func(T) error) error {
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		return nil
	})
}

// downloadDeadline is how long a download may take to send; the server's
// write timeout is shorter, and a big export over a slow link needs more.
const downloadDeadline = 30 * time.Minute

// download answers with an attachment named filename, written by write;
// format is "csv", "json" or the file's media type.
// Until the first bytes go out, a failure still becomes the usual error
// page; after that the status is sent, so a failure is logged and the
// connection cut, and the browser reports a failed download instead of
// keeping a silently truncated file.
func (s *Server) download(c echo.Context, filename, format string, write func(w io.Writer) error) error {
	res := c.Response()
	h := res.Header()
	switch format {
	case "csv":
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	case "json":
		h.Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	default:
		h.Set(echo.HeaderContentType, format)
	}
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	_ = http.NewResponseController(res).SetWriteDeadline(time.Now().Add(downloadDeadline))
	err := write(res)
	if err == nil {
		return nil
	}
	if !res.Committed {
		h.Del(echo.HeaderContentDisposition)
		h.Del(echo.HeaderContentType)
		return err
	}
	s.log.Error("download failed part way", "id", h.Get(echo.HeaderXRequestID), "path", c.Request().URL.Path, "err", err)
	panic(http.ErrAbortHandler)
}
