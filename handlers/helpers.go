package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
)

// pickerLimit caps how many records a select offers.
const pickerLimit = components.PickerLimit

// pickerOptions are the first records of kind (a db.PickerOptions kind)
// for a form's select, plus those the form has chosen in fields.
func (s *Server) pickerOptions(ctx context.Context, kind string, f components.Form, fields ...string) ([]db.Option, error) {
	return s.store.PickerOptions(ctx, kind, "", pickerLimit, chosenIDs(f, fields))
}

// refOptions are the options of a form's select of records of kind (a
// db.Kinds name): its first records, plus those f has chosen in the
// fields that name one.
func (s *Server) refOptions(ctx context.Context, kind string, fields []db.FieldSpec, f components.Form) ([]db.Option, error) {
	var names []string
	for _, field := range fields {
		if field.Ref == kind {
			names = append(names, field.Name)
		}
	}
	k, _ := db.KindNamed(kind)
	return s.pickerOptions(ctx, k.Table, f, names...)
}

// chosenIDs are the record IDs f holds in fields.
func chosenIDs(f components.Form, fields []string) []int64 {
	var ids []int64
	for _, field := range fields {
		if id, err := strconv.ParseInt(f.Value(field), 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// kindAt is the record kind whose URL segment is path, such as
// "system-users"; the routes only pass the segments of db.Kinds.
func kindAt(path string) db.Kind {
	k, _ := db.KindAtPath(path)
	return k
}

// statusAction answers a status action's button: it changes the record's
// status and goes back to its page, or to the roles panel it was on.
func (s *Server) statusAction(a statusChange) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := a.apply(c)
		if err != nil {
			return err
		}
		if context, contextID := panelContext(c); a.panel && context != "" {
			return s.answerPanel(c, http.StatusOK, context, contextID, components.Form{Values: map[string]string{}}, a.done)
		}
		s.flash(c, a.done)
		return redirect(c, components.RecordURL(a.kind, id))
	}
}

// findOptions is GET /options/{kind}: the options of a form's select that
// match what was typed in the search box above it (htmx), keeping the one
// chosen. field names the select, blank its empty choice.
func (s *Server) findOptions(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		field := c.QueryParam("field")
		f := components.Form{Values: map[string]string{field: c.QueryParam(field)}}
		opts, err := s.store.PickerOptions(c.Request().Context(), kind, c.QueryParam("q"), pickerLimit, chosenIDs(f, []string{field}))
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, components.RecordOptions(f, field, opts, c.QueryParam("blank")))
	}
}

// idParam parses the :id path parameter; anything but a positive integer is 404.
func idParam(c echo.Context) (int64, error) { return pathID(c, "id") }

// pathID parses the path parameter name as a record ID, like idParam.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// listParams reads a list's search, filter, sort and page from the query.
func listParams(c echo.Context) db.ListParams {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	return db.ListParams{
		Q:       strings.TrimSpace(c.QueryParam("q")),
		Status:  c.QueryParam("status"),
		Sort:    c.QueryParam("sort"),
		Desc:    c.QueryParam("desc") == "1",
		Page:    page,
		Finding: listFinding(c),
	}
}

// listFinding is the query's home page finding when the list at the
// request's path shows exactly that finding's records (the "→" links of
// the home page), else "".
func listFinding(c echo.Context) string {
	segment, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(c.Path(), apiPrefix), "/"), "/")
	k, ok := db.KindAtPath(segment)
	if f := c.QueryParam("finding"); ok && db.FindingHasList(f, k.Name) {
		return f
	}
	return ""
}

// renderList answers a list request: only the list fragment when htmx asks
// for #list, else the full page. The fragment carries the toolbar's export
// links out of band, so they export what the list now shows.
func renderList(c echo.Context, full, fragment templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	if htmxTarget(c) == "list" {
		return render(c, http.StatusOK, templ.Join(fragment, components.ListExport(c.Request().URL.Path, listQuery(c), true)))
	}
	return render(c, http.StatusOK, full)
}

// listQuery is the request's query without the page and empty values: the
// list's filters and sort.
func listQuery(c echo.Context) string {
	q := url.Values{}
	for k, vs := range c.QueryParams() {
		if k == "page" {
			continue
		}
		for _, v := range vs {
			if v != "" {
				q.Add(k, v)
			}
		}
	}
	return q.Encode()
}

// formOf collects the named form fields as the user sent them.
func formOf(c echo.Context, names ...string) components.Form {
	f := components.Form{Values: make(map[string]string, len(names)), CSRF: csrfToken(c)}
	for _, n := range names {
		f.Values[n] = c.FormValue(n)
	}
	return f
}

// readRecordForm reads a record form from the request, each field its input's
// field table names: the form to show again, and the input to save.
func readRecordForm[In any](c echo.Context, fields db.Fields[In]) (components.Form, In) {
	var in In
	fields.Fill(&in, c.FormValue)
	return recordForm(c, fields, in), in
}

// recordForm is a record form showing in's fields (never a secret).
func recordForm[In any](c echo.Context, fields db.Fields[In], in In) components.Form {
	return components.Form{CSRF: csrfToken(c), Values: fields.Values(in)}
}

// newRecordForm is the form of a new record: in, with the fields named
// taken from the query, as links from related records' pages choose them.
// A name not in fields panics: a mistake any test of the page finds.
func newRecordForm[In any](c echo.Context, fields db.Fields[In], in In, fromQuery ...string) components.Form {
	for _, name := range fromQuery {
		f, ok := fields.Named(name)
		if !ok {
			panic("handlers: a new record's form has no field " + name)
		}
		*f.Of(&in) = c.QueryParam(name)
	}
	return recordForm(c, fields, in)
}

// invalid reports whether err is a validation failure and, if so, puts its
// messages on the form.
func invalid(err error, f *components.Form) bool {
	var verr db.ValidationError
	if errors.As(err, &verr) {
		f.Errors = verr
		return true
	}
	return false
}

// today is the current UTC date as YYYY-MM-DD.
func today() string { return time.Now().UTC().Format("2006-01-02") }
