package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"steward/db"
	"steward/views/components"
)

// The JSON API under /api/v1 (issue #15; the contract is README's "API"
// section). Scripts send "Authorization: Bearer stw_…"; no cookie, session
// or CSRF token is read. Every kind of db.Kinds gets its routes from the
// same parts its pages use: its recordForms (fields, blank, load, create,
// update), its listWriter and export columns (the representation), and the
// status actions' table.

// apiPrefix starts every API path.
const apiPrefix = "/api/v1"

// The API key rate limit, per key and per process: 20 requests a second
// with bursts of 40, unless Config says otherwise.
const (
	apiKeyRate  = 20
	apiKeyBurst = 40
)

// API list page sizes. The audit feed's pages are as big as the lists':
// a page of 1,000 events is over a megabyte, too big to render and compress
// within the pages' speed targets (make bench).
const (
	apiDefaultLimit      = 50
	apiMaxLimit          = 200
	apiAuditDefaultLimit = 100
	apiAuditMaxLimit     = 200
)

// apiJSONType is the content type of every API answer but problems.
const apiJSONType = "application/json; charset=utf-8"

// apiNoteHeader carries a saved record's notes, one header each: what the
// form's page would say after saving it, such as the outcome of a check
// with Meta or a value registered twice.
const apiNoteHeader = "Steward-Note"

// setNotes puts a saved record's notes in the answer's headers.
func setNotes(c echo.Context, notes []string) {
	for _, note := range notes {
		c.Response().Header().Add(apiNoteHeader, note)
	}
}

const apiKeyCtxKey = "api_key"

// isAPI reports whether the request is the API's: its errors are problem
// documents, not pages.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/")
}

// apiRoutes are the API's routes: each record kind's, then the findings,
// the token lookup and the audit log for shippers. The OpenAPI document
// describes each of them from this table.
func (s *Server) apiRoutes() []Route {
	byKind, writers := s.kindHandlers(), s.listWriters()
	var out []Route
	for _, k := range db.Kinds {
		h, write := byKind[k.Name], writers[k.Name]
		if h.input == nil || write == nil {
			continue
		}
		base := apiPrefix + "/" + k.Path
		out = append(out,
			Route{http.MethodGet, base, viewer, s.apiList(k, write)},
			Route{http.MethodPost, base, editor, s.apiCreate(k, h.input, write)},
			Route{http.MethodGet, base + "/:id", viewer, s.apiGet(k, write)},
			Route{http.MethodPatch, base + "/:id", editor, s.apiPatch(k, h.input, write)})
	}
	for _, a := range s.statusChanges() {
		k, _ := db.KindNamed(a.kind)
		out = append(out, Route{http.MethodPost, apiPrefix + "/" + k.Path + "/:id/" + a.verb, editor, s.apiStatusChange(k, a, writers[k.Name])})
	}
	return append(out,
		Route{http.MethodGet, apiPrefix + "/findings", viewer, s.apiFindings},
		Route{http.MethodPost, apiPrefix + "/tokens/lookup", viewer, s.apiLookup},
		Route{http.MethodGet, apiPrefix + "/audit/events", viewer, s.apiAuditEvents})
}

// problem is an API error answer: RFC 9457 problem details, with the
// fields that need attention when there are any.
type problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []fieldError `json:"errors,omitempty"`
}

// fieldError is what is wrong with one field of a request's body.
type fieldError struct {
	Field   string `json:"field"`
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

func (p *problem) Error() string { return "api: " + strconv.Itoa(p.Status) + " " + p.Detail }

// apiError is a problem with status and detail, and the fields' errors.
func apiError(status int, detail string, errs ...fieldError) *problem {
	return &problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs}
}

// badField is a field's error.
func badField(name, detail string) fieldError {
	return fieldError{Field: name, Pointer: "#/" + name, Detail: detail}
}

// apiDetails say what an error status means to a script's author, where
// the error itself says no more.
var apiDetails = map[int]string{
	http.StatusBadRequest:            "The request could not be understood.",
	http.StatusUnauthorized:          "Send a valid API key: Authorization: Bearer stw_… (it may be unknown, revoked or expired).",
	http.StatusForbidden:             "This API key's scope does not allow this.",
	http.StatusNotFound:              "There is nothing at this address, or the record does not exist.",
	http.StatusMethodNotAllowed:      "This address does not accept that method.",
	http.StatusRequestEntityTooLarge: "The request body is over 1 MiB.",
	http.StatusUnsupportedMediaType:  "Send the body as application/json.",
	http.StatusTooManyRequests:       "This API key sent too many requests; wait as Retry-After says.",
	http.StatusServiceUnavailable:    "Steward is busy; try again in a moment.",
	http.StatusInsufficientStorage:   "The disk that holds Steward's database is full: nothing was saved.",
}

// apiProblemOf is the problem an API request's error answers with; 5xx
// errors say nothing of their cause (handleError logs it).
func apiProblemOf(err error, code int) *problem {
	var p *problem
	var verr db.ValidationError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &verr):
		return validationProblem(verr, nil)
	}
	detail, ok := apiDetails[code]
	var he *echo.HTTPError
	if errors.As(err, &he) && code < 500 {
		if t, own := he.Message.([2]string); own {
			detail, ok = t[1], true // a refusal that says why in its own words
		}
	}
	if !ok {
		detail = "Steward could not finish this request. It has been logged; try again, and tell your admin if it keeps happening."
	}
	return apiError(code, detail)
}

// validationProblem is 422 with each field's message, in the order of
// names (the kind's field table) and then by name.
func validationProblem(verr db.ValidationError, names []string) *problem {
	keys := make([]string, 0, len(verr))
	for k := range verr {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ia, ib := slices.Index(names, a), slices.Index(names, b)
		if ia != ib && ia >= 0 && ib >= 0 {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	errs := make([]fieldError, len(keys))
	for i, k := range keys {
		errs[i] = badField(k, verr[k])
	}
	detail := "The record was not saved: 1 field needs attention."
	if len(errs) != 1 {
		detail = "The record was not saved: " + strconv.Itoa(len(errs)) + " fields need attention."
	}
	return apiError(http.StatusUnprocessableEntity, detail, errs...)
}

// writeProblem answers with p as application/problem+json.
func writeProblem(c echo.Context, p *problem) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(p.Status)
	}
	return c.Blob(p.Status, "application/problem+json", b)
}

// apiKeyParams are query parameters that would carry a key in the address.
var apiKeyParams = []string{"key", "api_key", "access_token", "token"}

// keyInQuery reports whether the query carries what looks like an API key.
func keyInQuery(c echo.Context) bool {
	for name, values := range c.QueryParams() {
		if slices.Contains(apiKeyParams, strings.ToLower(name)) {
			return true
		}
		for _, v := range values {
			if strings.HasPrefix(v, db.APIKeyPrefix) {
				return true
			}
		}
	}
	return false
}

// bearerKey is the key of an "Authorization: Bearer …" header.
func bearerKey(header string) (string, bool) {
	scheme, key, ok := strings.Cut(header, " ")
	return strings.TrimSpace(key), ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(key) != ""
}

// apiAuth lets an API request through only with an active key whose scope
// allows level: a read key is a viewer, a write key an editor. It reads no
// cookie; a key in the query string is refused (addresses end up in logs
// and browser histories), and so is a body that is not JSON.
func (s *Server) apiAuth(level access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if keyInQuery(c) {
				return apiError(http.StatusBadRequest, "Send the API key in the Authorization header, never in the address.")
			}
			if level == public {
				return next(c)
			}
			raw, ok := bearerKey(c.Request().Header.Get(echo.HeaderAuthorization))
			if !ok {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
				return apiError(http.StatusUnauthorized, apiDetails[http.StatusUnauthorized])
			}
			k, err := s.store.AuthenticateAPIKey(c.Request().Context(), raw)
			if errors.Is(err, db.ErrAPIKeyInvalid) {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
				return apiError(http.StatusUnauthorized, apiDetails[http.StatusUnauthorized])
			}
			if err != nil {
				return err
			}
			if wait := s.apiLimits.wait(k.ID); wait > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				return apiError(http.StatusTooManyRequests, apiDetails[http.StatusTooManyRequests])
			}
			if level > editor || level == editor && k.Scope != "write" {
				s.denyKey(c, k, "a "+k.Scope+" key may not "+c.Request().Method+" "+c.Path())
				return apiError(http.StatusForbidden, "This API key can only read: writing needs a key with the write scope.")
			}
			if err := checkJSONBody(c.Request()); err != nil {
				return err
			}
			c.Set(apiKeyCtxKey, &k)
			return next(c)
		}
	}
}

// denyKey records a key's refused request in the audit log under the key,
// like deny a signed-in user's: the first few within the window, then the
// server log only.
func (s *Server) denyKey(c echo.Context, k db.APIKey, why string) {
	summary := "Refused " + c.Request().Method + " " + c.Request().URL.Path + ": " + why
	if !s.userDenials.allow(-k.ID) { // negative: keys and logins are counted apart
		s.log.Warn("request denied", "summary", summary, "key", k.ID)
		return
	}
	if err := s.store.Audit(c.Request().Context(), k.Actor(c.RealIP()), db.Event{Action: "request.denied", Summary: summary}); err != nil {
		s.log.Error("audit denied request", "err", err)
	}
}

// currentAPIKey is the key the API request came with, or nil.
func currentAPIKey(c echo.Context) *db.APIKey {
	k, _ := c.Get(apiKeyCtxKey).(*db.APIKey)
	return k
}

// checkJSONBody refuses a request body that does not say it is JSON.
func checkJSONBody(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON && !(r.Method == http.MethodPatch && mt == "application/merge-patch+json") {
		return apiError(http.StatusUnsupportedMediaType, apiDetails[http.StatusUnsupportedMediaType])
	}
	return nil
}

// keyLimits is the rate limit of each API key, in memory: there are as
// many limiters as keys that were used, a handful.
type keyLimits struct {
	mu    sync.Mutex
	keys  map[int64]*rate.Limiter
	rate  rate.Limit
	burst int
}

func newKeyLimits(perSecond float64, burst int) *keyLimits {
	if perSecond <= 0 {
		perSecond, burst = apiKeyRate, apiKeyBurst
	}
	return &keyLimits{keys: map[int64]*rate.Limiter{}, rate: rate.Limit(perSecond), burst: max(burst, 1)}
}

// wait is zero when key may send a request now (and counts it), else how
// long until it may.
func (l *keyLimits) wait(key int64) time.Duration {
	l.mu.Lock()
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.keys[key] = lim
	}
	l.mu.Unlock()
	r := lim.Reserve()
	d := r.Delay()
	if d > 0 {
		r.Cancel()
	}
	return d
}

// readJSONObject reads the request's body: one JSON object, nothing else.
func readJSONObject(c echo.Context) (map[string]json.RawMessage, error) {
	body, err := io.ReadAll(c.Request().Body)
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || errors.As(err, new(*http.MaxBytesError)) {
		return nil, apiError(http.StatusRequestEntityTooLarge, apiDetails[http.StatusRequestEntityTooLarge])
	}
	if err != nil {
		return nil, apiError(http.StatusBadRequest, "The request body could not be read.")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, apiError(http.StatusBadRequest, "Send a JSON object.")
		}
		return nil, apiError(http.StatusBadRequest, "The body is not valid JSON.")
	}
	if obj == nil {
		return nil, apiError(http.StatusBadRequest, "Send a JSON object.")
	}
	return obj, nil
}

// apiInput is what the API does with one kind's input: written once, by
// the kind's recordForms.
type apiInput interface {
	createFromJSON(c echo.Context, body map[string]json.RawMessage) (savedRecord, error)
	patchFromJSON(c echo.Context, id int64, patch map[string]json.RawMessage) (savedRecord, error)
	fieldNames() []string
}

// createFromJSON saves a new record from body: the form's blank record
// with the fields body names.
func (rf recordForms[In]) createFromJSON(c echo.Context, body map[string]json.RawMessage) (savedRecord, error) {
	in := rf.blank()
	if err := fillFromJSON(rf.kind, rf.fields, &in, body); err != nil {
		return savedRecord{}, err
	}
	return rf.create(c.Request().Context(), actor(c), in)
}

// patchFromJSON applies a JSON merge patch (RFC 7396) to record id's
// input: a field named is set, null empties it, others stay. It saves the
// record as the form's update does (a token's new value is checked with
// Meta there).
func (rf recordForms[In]) patchFromJSON(c echo.Context, id int64, patch map[string]json.RawMessage) (savedRecord, error) {
	in, err := rf.load(c.Request().Context(), id)
	if err != nil {
		return savedRecord{}, err
	}
	if err := fillFromJSON(rf.kind, rf.fields, &in, patch); err != nil {
		return savedRecord{}, err
	}
	return rf.update(c.Request().Context(), actor(c), id, in)
}

func (rf recordForms[In]) fieldNames() []string {
	names := make([]string, len(rf.fields))
	for i, f := range rf.fields {
		names[i] = f.Name
	}
	return names
}

// fillFromJSON sets the fields of in that values name, as a form would post
// them: a record ID as an integer, yes or no as a boolean, other fields as
// strings, null as empty. A name that is not an input field, or a value of
// the wrong type, is 400 and nothing is set.
func fillFromJSON[In any](kind string, fields db.Fields[In], in *In, values map[string]json.RawMessage) error {
	k, _ := db.KindNamed(kind)
	var errs []fieldError
	set := map[string]string{}
	for name, raw := range values {
		f, ok := fields.Named(name)
		switch {
		case !ok && (name == "id" || slices.Contains(k.ExportOnly, name)):
			errs = append(errs, badField(name, "This field is read-only."))
			continue
		case !ok:
			errs = append(errs, badField(name, "There is no such field."))
			continue
		}
		v, msg := jsonFieldValue(f.FieldSpec, raw)
		if msg != "" {
			errs = append(errs, badField(name, msg))
			continue
		}
		set[name] = v
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
		return apiError(http.StatusBadRequest, "The body has fields that are unknown, read-only or of the wrong type.", errs...)
	}
	for name, v := range set {
		f, _ := fields.Named(name)
		*f.Of(in) = v
	}
	return nil
}

// jsonFieldValue is a field's form value from its JSON value, or what is
// wrong with it.
func jsonFieldValue(f db.FieldSpec, raw json.RawMessage) (string, string) {
	if string(raw) == "null" {
		return "", ""
	}
	switch {
	case f.Ref != "":
		var id int64
		if json.Unmarshal(raw, &id) != nil {
			return "", "Give a record's ID as an integer, or null."
		}
		return strconv.FormatInt(id, 10), ""
	case f.Flag:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", "Give true or false."
		}
		if b {
			return "1", ""
		}
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", "Give a string."
	}
	return s, ""
}

// errPageFull stops a list's writer once a page has its rows.
var errPageFull = errors.New("handlers: the page is full")

// recordRows is a table (see export_table.go) that keeps up to limit rows
// of a list as JSON objects (limit 0: every row), and their IDs; extras
// are what the API adds to each row (see addExtras).
type recordRows struct {
	limit  int
	extras []apiExtra
	keys   [][]byte
	rows   []json.RawMessage
	ids    []int64
	lastID int64
	more   bool // a row beyond limit was offered
}

// newRecordRows keeps up to limit records of kind with the API's extras.
func newRecordRows(kind string, limit int) *recordRows {
	return &recordRows{limit: limit, extras: apiExtras[kind]}
}

// apiExtra is a property the API adds to a kind's records beyond its
// export's columns, read for a whole page of records at once.
type apiExtra struct {
	name   string
	schema func() *schema // its schema in the OpenAPI document
	// read gives the values of the records ids by ID, in one snapshot
	// with their rows; a record it leaves out gets null.
	read func(ctx context.Context, r db.Snapshot, ids []int64) (map[int64]any, error)
}

// apiExtras are the extras of each kind's API records, by db.Kind name:
// a token's latest check with Meta.
var apiExtras = map[string][]apiExtra{
	"token": {{name: "meta_check", schema: metaCheckSchema, read: readMetaChecks}},
}

// addExtras reads the extras of the rows kept and adds each to its row,
// after the export's columns.
func (t *recordRows) addExtras(ctx context.Context, r db.Snapshot) error {
	for _, x := range t.extras {
		values, err := x.read(ctx, r, t.ids)
		if err != nil {
			return err
		}
		key, _ := json.Marshal(x.name) // a string always encodes
		for i, row := range t.rows {
			value, err := json.Marshal(values[t.ids[i]]) // nil is null
			if err != nil {
				return err
			}
			// A row is one object: its closing brace gives way to the extra.
			t.rows[i] = slices.Concat(row[:len(row)-1], []byte(","), key, []byte(":"), value, []byte("}"))
		}
	}
	return nil
}

func (t *recordRows) header(columns []string) error {
	t.keys = objectKeys(columns)
	return nil
}

func (t *recordRows) row(values []any) error {
	if t.limit > 0 && len(t.rows) == t.limit {
		t.more = true
		return errPageFull
	}
	var b bytes.Buffer
	if err := writeObject(&b, t.keys, values); err != nil {
		return err
	}
	t.rows = append(t.rows, b.Bytes())
	t.lastID, _ = values[0].(int64)
	t.ids = append(t.ids, t.lastID)
	return nil
}

func (t *recordRows) end() error { return nil }

// data is the rows, [] for none.
func (t *recordRows) data() []json.RawMessage {
	if t.rows == nil {
		return []json.RawMessage{}
	}
	return t.rows
}

// readRecords fills t from write's list for p and f, with its extras, in
// one snapshot.
func (s *Server) readRecords(ctx context.Context, write listWriter, t *recordRows, p db.ListParams, f listFilters) error {
	return s.store.ReadSnapshot(ctx, func(r db.Snapshot) error {
		if err := write(ctx, r, t, p, f); err != nil && !errors.Is(err, errPageFull) {
			return err
		}
		return t.addExtras(ctx, r)
	})
}

// apiJSON answers status with v as JSON.
func apiJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, apiJSONType, b)
}

// queryInt reads the query's integer parameter name within lo..hi, def
// when absent; anything else is 400.
func queryInt(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, apiError(http.StatusBadRequest, "Give "+name+" as a whole number from "+strconv.FormatInt(lo, 10)+" to "+
			strconv.FormatInt(hi, 10)+".", badField(name, "Out of range or not a number."))
	}
	return n, nil
}

// checkIDParams refuses a filter by a record (account_id=…) that names
// none: the web's list shows everything for a mangled link, but a script
// must not get every record for a typo.
func checkIDParams(c echo.Context) error {
	for name, values := range c.QueryParams() {
		if !strings.HasSuffix(name, "_id") {
			continue
		}
		for _, v := range values {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n <= 0 {
				return apiError(http.StatusBadRequest, "Give "+name+" as a record's ID.", badField(name, "Not a record's ID."))
			}
		}
	}
	return nil
}

// cursorOf is the opaque cursor of the page after the record id.
func cursorOf(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("after:" + strconv.FormatInt(id, 10)))
}

// readCursor is the record ID a cursor continues after; "" starts at the
// beginning and anything not made by cursorOf is 400.
func readCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	rest, ok := strings.CutPrefix(string(b), "after:")
	id, perr := strconv.ParseInt(rest, 10, 64)
	if err != nil || !ok || perr != nil || id <= 0 {
		return 0, apiError(http.StatusBadRequest, "The cursor is not one this API gave: start again without it.", badField("cursor", "Not a cursor of this list."))
	}
	return id, nil
}

// apiList is GET /api/v1/{kind}: a page of the records the list's filters
// match, in ID order, with the cursor of the next page (null after the
// last). One query reads the page and one more row, to tell whether
// another page follows.
func (s *Server) apiList(k db.Kind, write listWriter) echo.HandlerFunc {
	return func(c echo.Context) error {
		limit, err := queryInt(c, "limit", apiDefaultLimit, 1, apiMaxLimit)
		if err != nil {
			return err
		}
		after, err := readCursor(c.QueryParam("cursor"))
		if err != nil {
			return err
		}
		if err := checkIDParams(c); err != nil {
			return err
		}
		p := listParams(c)
		p.Page, p.AfterID, p.Limit = 0, after, int(limit)+1
		t := newRecordRows(k.Name, int(limit))
		if err := s.readRecords(c.Request().Context(), write, t, p, readListFilters(c)); err != nil {
			return err
		}
		var next *string
		if t.more {
			cur := cursorOf(t.lastID)
			next = &cur
		}
		return apiJSON(c, http.StatusOK, struct {
			Data       []json.RawMessage `json:"data"`
			NextCursor *string           `json:"next_cursor"`
		}{t.data(), next})
	}
}

// apiRecord answers status with record id of kind k as the list gives it,
// or 404.
func (s *Server) apiRecord(c echo.Context, k db.Kind, write listWriter, status int, id int64) error {
	t := newRecordRows(k.Name, 1)
	if err := s.readRecords(c.Request().Context(), write, t, db.ListParams{ID: id}, listFilters{}); err != nil {
		return err
	}
	if len(t.rows) == 0 {
		return apiError(http.StatusNotFound, apiDetails[http.StatusNotFound])
	}
	return c.Blob(status, apiJSONType, t.rows[0])
}

// apiGet is GET /api/v1/{kind}/{id}.
func (s *Server) apiGet(k db.Kind, write listWriter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		return s.apiRecord(c, k, write, http.StatusOK, id)
	}
}

// apiCreate is POST /api/v1/{kind}: 201 with the new record and its
// address, or the problem; nothing is written on failure.
func (s *Server) apiCreate(k db.Kind, input apiInput, write listWriter) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, err := readJSONObject(c)
		if err != nil {
			return err
		}
		saved, err := input.createFromJSON(c, body)
		if err := fieldProblem(err, input); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, apiPrefix+"/"+k.Path+"/"+strconv.FormatInt(saved.ID, 10))
		setNotes(c, saved.Notes)
		return s.apiRecord(c, k, write, http.StatusCreated, saved.ID)
	}
}

// apiPatch is PATCH /api/v1/{kind}/{id}: a JSON merge patch of the record's
// input fields, answered with the record and the notes saving it gave.
func (s *Server) apiPatch(k db.Kind, input apiInput, write listWriter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		patch, err := readJSONObject(c)
		if err != nil {
			return err
		}
		saved, err := input.patchFromJSON(c, id, patch)
		if err := fieldProblem(err, input); err != nil {
			return err
		}
		setNotes(c, saved.Notes)
		return s.apiRecord(c, k, write, http.StatusOK, id)
	}
}

// fieldProblem turns a store's validation error into 422 with the fields in
// the form's order; other errors stay as they are.
func fieldProblem(err error, input apiInput) error {
	var verr db.ValidationError
	if errors.As(err, &verr) {
		return validationProblem(verr, input.fieldNames())
	}
	return err
}

// apiStatusChange is POST /api/v1/{kind}/{id}/{verb}: the status action a,
// answering with the record.
func (s *Server) apiStatusChange(k db.Kind, a statusChange, write listWriter) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := a.apply(c)
		if err != nil {
			return err
		}
		return s.apiRecord(c, k, write, http.StatusOK, id)
	}
}

// apiFinding is one home page finding as the API gives it.
type apiFinding struct {
	Kind     string            `json:"kind"`
	Severity string            `json:"severity"`
	Count    int               `json:"count"`
	Items    []apiFindingEntry `json:"items"`
}

type apiFindingEntry struct {
	RecordKind string `json:"record_kind"`
	RecordID   int64  `json:"record_id"`
	Name       string `json:"name"`
	Reason     string `json:"reason"`
	URL        string `json:"url"`
}

// apiFindings is GET /api/v1/findings: the home page's findings.
func (s *Server) apiFindings(c echo.Context) error {
	findings, err := s.store.Findings(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiFinding, len(findings))
	for i, f := range findings {
		items := make([]apiFindingEntry, len(f.Items))
		for j, it := range f.Items {
			items[j] = apiFindingEntry{it.Kind, it.ID, it.Name, it.Detail, components.RecordURL(it.Kind, it.ID)}
		}
		out[i] = apiFinding{f.Kind, apiSeverity(f.Severity), f.Count, items}
	}
	return apiJSON(c, http.StatusOK, map[string]any{"data": out})
}

// apiSeverity is how the API says a severity: "critical", "high", "medium" or "low".
func apiSeverity(s db.Severity) string { return strings.ToLower(components.SeverityWord(s)) }

// apiLookup is POST /api/v1/tokens/lookup: the tokens whose current value
// is the secret sent, and those it was the former value of. The secret is
// hashed and goes no further.
func (s *Server) apiLookup(c echo.Context) error {
	body, err := readJSONObject(c)
	if err != nil {
		return err
	}
	var secret string
	for name, raw := range body {
		if name != "secret" {
			return apiError(http.StatusBadRequest, "The body has fields that are unknown.", badField(name, "There is no such field."))
		}
		if json.Unmarshal(raw, &secret) != nil {
			return apiError(http.StatusBadRequest, "Give the secret as a string.", badField("secret", "Give a string."))
		}
	}
	if strings.TrimSpace(secret) == "" {
		return apiError(http.StatusUnprocessableEntity, "Nothing was looked up: 1 field needs attention.", badField("secret", "Paste the token's value."))
	}
	ctx := c.Request().Context()
	tokens, err := s.store.TokensByFingerprint(ctx, secret)
	if err != nil {
		return err
	}
	former, err := s.store.FormerValuesByFingerprint(ctx, secret)
	if err != nil {
		return err
	}
	t := newRecordRows("token", 0)
	err = writeTable(t, tokenColumns, effectiveStatus(s.store.Today()), func(fn func(db.Token) error) error {
		for _, tok := range tokens {
			if err := fn(tok); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.store.ReadSnapshot(ctx, func(r db.Snapshot) error { return t.addExtras(ctx, r) }); err != nil {
		return err
	}
	type formerValue struct {
		TokenID    int64  `json:"token_id"`
		ReplacedOn string `json:"replaced_on"`
	}
	formers := make([]formerValue, len(former))
	for i, f := range former {
		formers[i] = formerValue{f.Token.ID, f.ReplacedOn}
	}
	return apiJSON(c, http.StatusOK, map[string]any{"data": t.data(), "former": formers})
}

// apiAuditEvents is GET /api/v1/audit/events: events after after_id, oldest
// first, each with its hash and its predecessor's so a shipper can check
// the chain; next_after_id continues (null when there is nothing more yet).
func (s *Server) apiAuditEvents(c echo.Context) error {
	after, err := queryInt(c, "after_id", 0, 0, math.MaxInt64)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", apiAuditDefaultLimit, 1, apiAuditMaxLimit)
	if err != nil {
		return err
	}
	events, err := s.store.AuditEventsAfter(c.Request().Context(), after, int(limit)+1)
	if err != nil {
		return err
	}
	t := &recordRows{limit: int(limit)}
	if err := writeSlice(t, auditColumns, events); err != nil && !errors.Is(err, errPageFull) {
		return err
	}
	var next *int64
	if t.more {
		next = &t.lastID
	}
	return apiJSON(c, http.StatusOK, struct {
		Data        []json.RawMessage `json:"data"`
		NextAfterID *int64            `json:"next_after_id"`
	}{t.data(), next})
}
