package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
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

// ref is an optional record ID: empty in CSV and null in JSON when unset.
func ref(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// The columns of each list's export: first the contract's field names, the
// ones the import takes, then the read-only labels of db.ExportOnlyColumns.
var (
	ownerColumns = []column[db.Owner]{
		{"id", func(o db.Owner) any { return o.ID }},
		{"name", func(o db.Owner) any { return o.Name }},
		{"email", func(o db.Owner) any { return o.Email }},
		{"title", func(o db.Owner) any { return o.Title }},
		{"department", func(o db.Owner) any { return o.Department }},
		{"manager_id", func(o db.Owner) any { return ref(o.ManagerID) }},
		{"status", func(o db.Owner) any { return o.Status }},
		{"leaving_on", func(o db.Owner) any { return o.LeavingOn }},
		{"notes", func(o db.Owner) any { return o.Notes }},
		{"manager_name", func(o db.Owner) any { return o.ManagerName }},
		{"active_roles", func(o db.Owner) any { return o.ActiveRoles }},
		{"created_at", func(o db.Owner) any { return o.CreatedAt }},
		{"updated_at", func(o db.Owner) any { return o.UpdatedAt }},
	}
	accountColumns = []column[db.Account]{
		{"id", func(a db.Account) any { return a.ID }},
		{"name", func(a db.Account) any { return a.Name }},
		{"platform", func(a db.Account) any { return a.Platform }},
		{"kind", func(a db.Account) any { return a.Kind }},
		{"external_id", func(a db.Account) any { return a.ExternalID }},
		{"url", func(a db.Account) any { return a.URL }},
		{"parent_id", func(a db.Account) any { return ref(a.ParentID) }},
		{"owner_id", func(a db.Account) any { return ref(a.OwnerID) }},
		{"criticality", func(a db.Account) any { return a.Criticality }},
		{"status", func(a db.Account) any { return a.Status }},
		{"notes", func(a db.Account) any { return a.Notes }},
		{"parent_name", func(a db.Account) any { return a.ParentName }},
		{"owner_name", func(a db.Account) any { return a.OwnerName }},
		{"active_roles", func(a db.Account) any { return a.ActiveRoles }},
		{"admin_holders", func(a db.Account) any { return a.AdminHolders }},
		{"created_at", func(a db.Account) any { return a.CreatedAt }},
		{"updated_at", func(a db.Account) any { return a.UpdatedAt }},
	}
	roleColumns = []column[db.Role]{
		{"id", func(r db.Role) any { return r.ID }},
		{"account_id", func(r db.Role) any { return r.AccountID }},
		{"owner_id", func(r db.Role) any { return ref(r.OwnerID) }},
		{"system_user_id", func(r db.Role) any { return ref(r.SystemUserID) }},
		{"role", func(r db.Role) any { return r.Role }},
		{"admin", func(r db.Role) any { return r.Admin }},
		{"granted_on", func(r db.Role) any { return r.GrantedOn }},
		{"granted_by", func(r db.Role) any { return r.GrantedBy }},
		{"review_by", func(r db.Role) any { return r.ReviewBy }},
		{"status", func(r db.Role) any { return r.Status }},
		{"notes", func(r db.Role) any { return r.Notes }},
		{"last_reviewed_on", func(r db.Role) any { return r.LastReviewedOn }},
		{"account_name", func(r db.Role) any { return r.AccountName }},
		{"platform", func(r db.Role) any { return r.Platform }},
		{"holder_name", func(r db.Role) any { return r.HolderName }},
		{"created_at", func(r db.Role) any { return r.CreatedAt }},
		{"updated_at", func(r db.Role) any { return r.UpdatedAt }},
	}
	systemUserColumns = []column[db.SystemUser]{
		{"id", func(u db.SystemUser) any { return u.ID }},
		{"name", func(u db.SystemUser) any { return u.Name }},
		{"account_id", func(u db.SystemUser) any { return u.AccountID }},
		{"external_id", func(u db.SystemUser) any { return u.ExternalID }},
		{"admin", func(u db.SystemUser) any { return u.Admin }},
		{"responsible_owner_id", func(u db.SystemUser) any { return ref(u.ResponsibleOwnerID) }},
		{"integration_id", func(u db.SystemUser) any { return ref(u.IntegrationID) }},
		{"status", func(u db.SystemUser) any { return u.Status }},
		{"notes", func(u db.SystemUser) any { return u.Notes }},
		{"account_name", func(u db.SystemUser) any { return u.AccountName }},
		{"platform", func(u db.SystemUser) any { return u.Platform }},
		{"responsible_owner_name", func(u db.SystemUser) any { return u.ResponsibleOwnerName }},
		{"integration_name", func(u db.SystemUser) any { return u.IntegrationName }},
		{"active_roles", func(u db.SystemUser) any { return u.ActiveRoles }},
		{"created_at", func(u db.SystemUser) any { return u.CreatedAt }},
		{"updated_at", func(u db.SystemUser) any { return u.UpdatedAt }},
	}
	integrationColumns = []column[db.Integration]{
		{"id", func(i db.Integration) any { return i.ID }},
		{"name", func(i db.Integration) any { return i.Name }},
		{"description", func(i db.Integration) any { return i.Description }},
		{"runs_on", func(i db.Integration) any { return i.RunsOn }},
		{"responsible_owner_id", func(i db.Integration) any { return ref(i.ResponsibleOwnerID) }},
		{"status", func(i db.Integration) any { return i.Status }},
		{"notes", func(i db.Integration) any { return i.Notes }},
		{"responsible_owner_name", func(i db.Integration) any { return i.ResponsibleOwnerName }},
		{"active_system_users", func(i db.Integration) any { return i.ActiveSystemUsers }},
		{"created_at", func(i db.Integration) any { return i.CreatedAt }},
		{"updated_at", func(i db.Integration) any { return i.UpdatedAt }},
	}
	// tokenColumns never include a secret: Steward keeps none, only the
	// fingerprint and last four characters.
	tokenColumns = []column[db.Token]{
		{"id", func(t db.Token) any { return t.ID }},
		{"name", func(t db.Token) any { return t.Name }},
		{"kind", func(t db.Token) any { return t.Kind }},
		{"account_id", func(t db.Token) any { return ref(t.AccountID) }},
		{"system_user_id", func(t db.Token) any { return ref(t.SystemUserID) }},
		{"owner_id", func(t db.Token) any { return ref(t.OwnerID) }},
		{"integration_id", func(t db.Token) any { return ref(t.IntegrationID) }},
		{"responsible_owner_id", func(t db.Token) any { return ref(t.ResponsibleOwnerID) }},
		{"created_by_owner_id", func(t db.Token) any { return ref(t.CreatedByOwnerID) }},
		{"scopes", func(t db.Token) any { return t.Scopes }},
		{"assets", func(t db.Token) any { return t.Assets }},
		{"issued_on", func(t db.Token) any { return t.IssuedOn }},
		{"expires_on", func(t db.Token) any { return t.ExpiresOn }},
		{"last_rotated_on", func(t db.Token) any { return t.LastRotatedOn }},
		{"last_reviewed_on", func(t db.Token) any { return t.LastReviewedOn }},
		{"stored_in", func(t db.Token) any { return t.StoredIn }},
		{"status", func(t db.Token) any { return t.Status }},
		{"notes", func(t db.Token) any { return t.Notes }},
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
	}
	auditColumns = []column[db.AuditEvent]{
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
	}
	userColumns = []column[db.User]{
		{"id", func(u db.User) any { return u.ID }},
		{"email", func(u db.User) any { return u.Email }},
		{"role", func(u db.User) any { return u.Role }},
		{"disabled", func(u db.User) any { return u.Disabled }},
		{"owner_id", func(u db.User) any { return ref(u.OwnerID) }},
		{"created_at", func(u db.User) any { return u.CreatedAt }},
		{"last_login_at", func(u db.User) any { return u.LastLoginAt }},
	}
	standingItemColumns = []column[db.StandingItem]{
		{"id", func(it db.StandingItem) any { return it.ID }},
		{"kind", func(it db.StandingItem) any { return it.Kind }},
		{"text", func(it db.StandingItem) any { return it.Text }},
	}
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
func writeTable[T any](t table, cols []column[T], fix func(T, []any), each func(fn func(T) error) error) error {
	if err := t.header(columnNames(cols)); err != nil {
		return err
	}
	values := make([]any, len(cols))
	err := each(func(v T) error {
		for i, c := range cols {
			values[i] = c.value(v)
		}
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
// an active token past its expiry date is expired, whatever the record says.
func effectiveStatus(today string) func(db.Token, []any) {
	i := columnIndex(tokenColumns, "effective_status")
	return func(t db.Token, values []any) { values[i] = t.EffectiveStatus(today) }
}

// columnIndex is the position of the named column; it panics when there is
// none, a mistake in this file that any export test finds.
func columnIndex[T any](cols []column[T], name string) int {
	for i, c := range cols {
		if c.name == name {
			return i
		}
	}
	panic("handlers: no export column " + name)
}

// listWriter writes the records matching p (and, for tokens, f) of one
// record list as a table.
type listWriter func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f db.TokenFilter) error

// listWriters are the exports of the six record lists, by kind name.
func (s *Server) listWriters() map[string]listWriter {
	return map[string]listWriter{
		"owner": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, _ db.TokenFilter) error {
			return writeTable(t, ownerColumns, nil, func(fn func(db.Owner) error) error { return r.EachOwner(ctx, p, fn) })
		},
		"account": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, _ db.TokenFilter) error {
			return writeTable(t, accountColumns, nil, func(fn func(db.Account) error) error { return r.EachAccount(ctx, p, fn) })
		},
		"role": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, _ db.TokenFilter) error {
			return writeTable(t, roleColumns, nil, func(fn func(db.Role) error) error { return r.EachRole(ctx, p, db.RoleFilter{}, fn) })
		},
		"system_user": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, _ db.TokenFilter) error {
			return writeTable(t, systemUserColumns, nil, func(fn func(db.SystemUser) error) error { return r.EachSystemUser(ctx, p, fn) })
		},
		"integration": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, _ db.TokenFilter) error {
			return writeTable(t, integrationColumns, nil, func(fn func(db.Integration) error) error { return r.EachIntegration(ctx, p, fn) })
		},
		"token": func(ctx context.Context, r db.Snapshot, t table, p db.ListParams, f db.TokenFilter) error {
			return writeTable(t, tokenColumns, effectiveStatus(s.store.Today()), func(fn func(db.Token) error) error {
				return r.EachToken(ctx, p, f, fn)
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
		p, f := listParams(c), tokenFilter(c)
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
				if err := writers[k.Name](ctx, r, section(k.Table), db.ListParams{}, db.TokenFilter{}); err != nil {
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
func writeSlice[T any](t table, cols []column[T], items []T) error {
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
