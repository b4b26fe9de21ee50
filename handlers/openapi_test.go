package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"steward/db"
	"steward/handlers"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
	"steward/internal/seed"
)

// openAPIDocument fetches GET /api/v1/openapi.json, with no key, and checks
// it parses and validates as OpenAPI 3.1 with no errors: the document, the
// model libopenapi builds from it, and a validator over it, in strict mode
// (a property, parameter or header the document does not declare is an
// error).
func openAPIDocument(t *testing.T, app *testApp) (libopenapi.Document, validator.Validator) {
	t.Helper()
	res, err := http.Get(app.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	spec, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/openapi.json: %d %q, want 200 application/json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		t.Fatalf("the document does not parse: %v", err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Fatalf("openapi: %q, want 3.1.0", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("the document does not build a model: %v", err)
	}
	v, errs := validator.NewValidator(doc, config.WithStrictMode(),
		// Every answer's headers (securityHeaders, the request ID, the
		// cache's Vary) are not the API's to describe.
		config.WithStrictIgnoredHeadersExtra("Content-Security-Policy", "Cross-Origin-Opener-Policy", "Permissions-Policy",
			"Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id", "Vary", "Cache-Control"))
	if len(errs) > 0 {
		t.Fatalf("no validator over the document: %v", errs)
	}
	if ok, errs := v.ValidateDocument(); !ok {
		for _, e := range errs {
			t.Errorf("invalid OpenAPI 3.1: %s: %s", e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  %v", f)
			}
		}
		t.FailNow()
	}
	return doc, v
}

func TestOpenAPIDocumentValidates(t *testing.T) {
	openAPIDocument(t, newTestApp(t))
}

// TestOpenAPIDescribesEveryRoute: every route of the table under /api/v1 has
// its operation in the document, with the route's access (no key only for
// a public route), and the document has no operation without a route.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	app := newTestApp(t)
	doc, _ := openAPIDocument(t, app)
	model, _ := doc.BuildV3Model()
	want := map[string]string{} // "GET /api/v1/tokens/{id}" → access
	for _, r := range app.routes {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			want[r.Method+" "+openAPIPathOf(r.Path)] = r.AccessName()
		}
	}
	got := map[string]bool{}
	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			route := strings.ToUpper(method) + " " + path
			got[route] = true
			access, ok := want[route]
			if !ok {
				t.Errorf("%s is in the document but not in the route table", route)
				continue
			}
			keyless := op.Security != nil && len(op.Security) == 0
			if keyless != (access == "public") {
				t.Errorf("%s: security %v in the document, but the route is %s", route, op.Security, access)
			}
		}
	}
	for route := range want {
		if !got[route] {
			t.Errorf("%s is in the route table but not in the document", route)
		}
	}
	if !got["GET /api/v1/openapi.json"] {
		t.Error("the document does not describe itself")
	}
}

// TestOpenAPIRecordSchemasFollowKinds: each kind's record schema has the
// export's columns (and what the API adds: a token's check with Meta), and
// its input the kind's fields with their allowed values, so a field added
// to a kind shows in the document. A token's effective_status lists every
// value db.Token.EffectiveStatus gives.
func TestOpenAPIRecordSchemasFollowKinds(t *testing.T) {
	doc, _ := openAPIDocument(t, newTestApp(t))
	model, _ := doc.BuildV3Model()
	schemas := model.Model.Components.Schemas
	for _, k := range db.Kinds {
		name := camelName(k.Name)
		record, ok := schemas.Get(name)
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		wantCols := append(append([]string{"id"}, k.Columns()...), k.ExportOnly...)
		if k.Name == "token" {
			wantCols = append(wantCols, "meta_check")
		}
		var gotCols []string
		for col := range record.Schema().Properties.KeysFromOldest() {
			gotCols = append(gotCols, col)
		}
		if !slices.Equal(gotCols, wantCols) {
			t.Errorf("%s has properties %v, want the export's columns in their order %v", name, gotCols, wantCols)
		}
		input, _ := schemas.Get(name + "Input")
		for _, f := range k.Fields {
			p, ok := input.Schema().Properties.Get(f.Name)
			if !ok {
				t.Errorf("%sInput lacks %s", name, f.Name)
				continue
			}
			var enum []string
			for _, n := range p.Schema().Enum {
				enum = append(enum, n.Value)
			}
			if !slices.Equal(enum, f.Enum) {
				t.Errorf("%sInput.%s takes %v, want %v", name, f.Name, enum, f.Enum)
			}
		}
	}

	token, _ := schemas.Get("Token")
	effective, _ := token.Schema().Properties.Get("effective_status")
	var enum []string
	for _, n := range effective.Schema().Enum {
		enum = append(enum, n.Value)
	}
	for _, status := range db.TokenStatuses {
		for _, expires := range []string{"", "2020-01-01", "2099-01-01"} {
			got := db.Token{Status: status, ExpiresOn: expires}.EffectiveStatus("2026-01-01")
			if !slices.Contains(enum, got) {
				t.Errorf("Token.effective_status takes %v, not %q (status %s, expires %q)", enum, got, status, expires)
			}
		}
	}
}

// openAPIPathOf is an echo route path as OpenAPI writes it: /tokens/{id}.
func openAPIPathOf(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// camelName is "system_user" as "SystemUser".
func camelName(name string) string {
	var b strings.Builder
	for _, w := range strings.Split(name, "_") {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// apiCheck sends API requests through the real router and checks each
// request and its answer against the OpenAPI document with
// libopenapi-validator, counting the operations answered with success.
type apiCheck struct {
	t         *testing.T
	app       *testApp
	v         validator.Validator
	model     *v3.Document
	succeeded map[string]bool // "POST /api/v1/tokens/{id}/revoke"
	header    http.Header     // the last answer's
}

// send sends method path with key (if any) and body (if any, with
// contentType) and fails unless the answer has status want and both the
// request and the answer match the document. A request the document says
// is wrong (to see the API refuse it) is sent with badRequest: then only
// its answer is checked.
func (c *apiCheck) send(method, path, key, body, contentType string, want int, badRequest bool) map[string]any {
	c.t.Helper()
	newRequest := func() *http.Request {
		req, err := http.NewRequest(method, c.app.srv.URL+path, strings.NewReader(body))
		if err != nil {
			c.t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		return req
	}
	res, err := http.DefaultClient.Do(newRequest())
	if err != nil {
		c.t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	c.header = res.Header
	what := method + " " + path
	if res.StatusCode != want {
		c.t.Fatalf("%s: %d, want %d: %s", what, res.StatusCode, want, raw)
	}
	if !badRequest {
		if ok, errs := c.v.ValidateHttpRequest(newRequest()); !ok {
			c.report(what+": the request", errs)
		}
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := c.v.ValidateHttpResponse(newRequest(), res); !ok {
		c.report(what+": the "+strconv.Itoa(want)+" answer", errs)
	}
	_, _, pathTemplate := paths.FindPath(newRequest(), c.model, nil)
	if want < 300 {
		c.succeeded[method+" "+pathTemplate] = true
	}
	c.checkOwnHeaders(what, method, pathTemplate, want, res.Header)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s: not a JSON object: %v: %s", what, err, raw)
		}
	}
	return out
}

// checkOwnHeaders fails unless the document declares each Steward-…
// header of an answer: the validator's strict mode misses one on an
// answer that declares no header at all.
func (c *apiCheck) checkOwnHeaders(what, method, pathTemplate string, status int, h http.Header) {
	c.t.Helper()
	for name := range h {
		if !strings.HasPrefix(name, "Steward-") {
			continue
		}
		var declared bool
		if item, ok := c.model.Paths.PathItems.Get(pathTemplate); ok {
			if op := item.GetOperations().GetOrZero(strings.ToLower(method)); op != nil {
				if res := op.Responses.Codes.GetOrZero(strconv.Itoa(status)); res != nil && res.Headers != nil {
					_, declared = res.Headers.Get(name)
				}
			}
		}
		if !declared {
			c.t.Errorf("%s: the %d answer has the header %s, which the document does not declare", what, status, name)
		}
	}
}

func (c *apiCheck) report(what string, errs []*valerrors.ValidationError) {
	c.t.Helper()
	for _, e := range errs {
		c.t.Errorf("%s does not match the document: %s: %s", what, e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			c.t.Errorf("    %v", f)
		}
	}
}

// TestOpenAPIMatchesRealAnswers sends a request to every API operation
// through the real router over a real database (the demo's records, and
// records the test creates) and checks requests and answers against the
// document: success (201, 200 pages, records, findings, lookup, audit) and
// refusals (400, 401, 403, 404, 413, 415, 422, 429). Every operation of the
// document must have answered with success at least once.
func TestOpenAPIMatchesRealAnswers(t *testing.T) {
	graph := metatest.New(t)
	graph.SetApp(metaAppID, checkAppSecret)
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, APIKeyRate: 1000, APIKeyBurst: 1000, Meta: &meta.Client{BaseURL: graph.URL}})
	ctx := context.Background()
	if err := seed.Demo(ctx, app.store); err != nil {
		t.Fatal(err)
	}
	doc, v := openAPIDocument(t, app)
	model, _ := doc.BuildV3Model()
	c := &apiCheck{t: t, app: app, v: v, model: &model.Model, succeeded: map[string]bool{}}
	write, read := app.apiKey("Checker", "write"), app.apiKey("Reader", "read")
	const jsonType = "application/json"

	// Create one record of each kind through the API, its fields derived
	// from the kind: required text, the first value of a list, the
	// record each required reference (and the first optional one) names.
	ids := map[string]int64{}
	for len(ids) < len(db.Kinds) {
		progress := false
		for _, k := range db.Kinds {
			body, ready := newRecordBody(k, ids)
			if _, done := ids[k.Name]; done || !ready {
				continue
			}
			base := "/api/v1/" + k.Path
			c.send(http.MethodPost, base, write, "{}", jsonType, http.StatusUnprocessableEntity, true)
			created := c.send(http.MethodPost, base, write, body, jsonType, http.StatusCreated, false)
			ids[k.Name] = int64(created["id"].(float64))
			progress = true
		}
		if !progress {
			t.Fatalf("no kind can be created with the records there are: %v", ids)
		}
	}

	for _, k := range db.Kinds {
		base, one := "/api/v1/"+k.Path, fmt.Sprintf("/api/v1/%s/%d", k.Path, ids[k.Name])
		page := c.send(http.MethodGet, base+"?limit=2", read, "", "", http.StatusOK, false)
		cursor, _ := page["next_cursor"].(string)
		if cursor == "" {
			t.Errorf("%s?limit=2 has no next page: %v", base, page)
		}
		c.send(http.MethodGet, base+"?limit=200&cursor="+cursor, read, "", "", http.StatusOK, false)
		c.send(http.MethodGet, base+"?"+everyFilter(t, &model.Model, base), read, "", "", http.StatusOK, false)
		c.send(http.MethodGet, base+"?status="+statusOf(k), read, "", "", http.StatusOK, false)
		c.send(http.MethodGet, base+"?cursor=nonsense", read, "", "", http.StatusBadRequest, false)
		c.send(http.MethodGet, one, read, "", "", http.StatusOK, false)
		c.send(http.MethodGet, base+"/99999999", read, "", "", http.StatusNotFound, false)
		c.send(http.MethodGet, one, "", "", "", http.StatusUnauthorized, true)
		c.send(http.MethodPatch, one, write, `{"notes": "Checked against the OpenAPI document."}`, "application/merge-patch+json", http.StatusOK, false)
		c.send(http.MethodPatch, one, write, `{"notes": null}`, jsonType, http.StatusOK, false)
		c.send(http.MethodPatch, one, read, `{"notes": ""}`, jsonType, http.StatusForbidden, false)
		c.send(http.MethodPatch, one, write, `{"no_such_field": ""}`, jsonType, http.StatusBadRequest, true)
		c.send(http.MethodPost, base, write, `{"notes": "x"}`, "text/plain", http.StatusUnsupportedMediaType, true)
	}
	c.send(http.MethodPost, "/api/v1/owners", write, `{"name": "`+strings.Repeat("x", 1<<20)+`"}`, jsonType, http.StatusRequestEntityTooLarge, false)

	// A token sent with its value on the Meta business's account, with a
	// Meta app connected: what Meta found is in Steward-Note and in
	// meta_check; a new value Meta cannot be asked about says so.
	if err := app.store.ConnectMeta(ctx, db.SystemActor("test"), db.MetaConnectInput{AppID: metaAppID, AppSecret: checkAppSecret, BusinessID: "9001"}); err != nil {
		t.Fatal(err)
	}
	business, err := app.store.MetaConnector(ctx)
	if err != nil {
		t.Fatal(err)
	}
	secret := randomSecret("EAAG")
	graph.AddToken(secret, validNeverExpiring())
	checked := c.send(http.MethodPost, "/api/v1/tokens", write, fmt.Sprintf(`{"name": "Checked by Meta", "kind": "system_user_token", "account_id": %d, "secret": %q}`,
		business.AccountID, secret), jsonType, http.StatusCreated, false)
	if notes := c.header.Values("Steward-Note"); len(notes) != 1 || !strings.HasPrefix(notes[0], "Checked with Meta: valid") {
		t.Errorf("Steward-Note %q, want what Meta found", notes)
	}
	if check, _ := checked["meta_check"].(map[string]any); check == nil || check["valid"] != true || check["never_expires"] != true {
		t.Errorf("meta_check %v, want valid and never expiring", checked["meta_check"])
	}
	one := fmt.Sprintf("/api/v1/tokens/%v", checked["id"])
	c.send(http.MethodGet, one, read, "", "", http.StatusOK, false)
	graph.Fail("debug_token", metatest.Fault{Code: 613})
	failed := c.send(http.MethodPatch, one, write, fmt.Sprintf(`{"secret": %q}`, randomSecret("EAAG")), jsonType, http.StatusOK, false)
	if notes := c.header.Values("Steward-Note"); len(notes) != 1 || !strings.Contains(notes[0], "the check with Meta failed") {
		t.Errorf("Steward-Note %q after a check that failed", notes)
	}
	if check, _ := failed["meta_check"].(map[string]any); check == nil || check["valid"] != nil || check["failure"] == "" {
		t.Errorf("meta_check %v, want the failure and no verdict", failed["meta_check"])
	}
	c.send(http.MethodGet, "/api/v1/tokens?platform=Meta", read, "", "", http.StatusOK, false)

	c.send(http.MethodGet, "/api/v1/findings", read, "", "", http.StatusOK, false)
	c.send(http.MethodPost, "/api/v1/tokens/lookup", read, `{"secret": "stw-openapi-check-secret-0001"}`, jsonType, http.StatusOK, false)
	if _, _, err := app.store.RotateToken(ctx, db.SystemActor("test"), ids["token"], "stw-openapi-check-secret-0002"); err != nil {
		t.Fatal(err)
	}
	looked := c.send(http.MethodPost, "/api/v1/tokens/lookup", read, `{"secret": "stw-openapi-check-secret-0001"}`, jsonType, http.StatusOK, false)
	if former, _ := looked["former"].([]any); len(former) != 1 {
		t.Errorf("a rotated token's former value finds %v, want its token", looked)
	}
	c.send(http.MethodPost, "/api/v1/tokens/lookup", read, `{"secret": ""}`, jsonType, http.StatusUnprocessableEntity, true)
	// The status actions, on the records created above (the table has them).
	for _, r := range app.routes {
		segs := strings.Split(strings.TrimPrefix(r.Path, "/api/v1/"), "/")
		k, ok := db.KindAtPath(segs[0])
		if !ok || len(segs) != 3 || segs[1] != ":id" {
			continue
		}
		c.send(r.Method, fmt.Sprintf("/api/v1/%s/%d/%s", k.Path, ids[k.Name], segs[2]), write, "", "", http.StatusOK, false)
		c.send(r.Method, fmt.Sprintf("/api/v1/%s/99999999/%s", k.Path, segs[2]), write, "", "", http.StatusNotFound, false)
	}

	events := c.send(http.MethodGet, "/api/v1/audit/events?after_id=0&limit=200", read, "", "", http.StatusOK, false)
	if data, _ := events["data"].([]any); len(data) == 0 {
		t.Error("no audit events")
	}
	c.send(http.MethodGet, "/api/v1/audit/events?limit=201", read, "", "", http.StatusBadRequest, true)
	// The document's own outline is open (additionalProperties), which
	// strict mode does not allow: it is checked without.
	plain, _ := validator.NewValidator(doc)
	self := &apiCheck{t: t, app: app, v: plain, model: &model.Model, succeeded: c.succeeded}
	self.send(http.MethodGet, "/api/v1/openapi.json", "", "", "", http.StatusOK, false)

	for path, item := range model.Model.Paths.PathItems.FromOldest() {
		for method := range item.GetOperations().FromOldest() {
			if op := strings.ToUpper(method) + " " + path; !c.succeeded[op] {
				t.Errorf("%s was never answered with success", op)
			}
		}
	}

	// A key over its rate is 429 with Retry-After.
	slow := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, APIKeyRate: 0.001, APIKeyBurst: 1})
	sv := &apiCheck{t: t, app: slow, v: v, model: &model.Model, succeeded: map[string]bool{}}
	key := slow.apiKey("Hasty", "read")
	sv.send(http.MethodGet, "/api/v1/owners", key, "", "", http.StatusOK, false)
	sv.send(http.MethodGet, "/api/v1/owners", key, "", "", http.StatusTooManyRequests, false)
}

// newRecordBody is a JSON body that creates a record of kind k, and
// whether the records its required references name exist yet (ids holds
// the records created, by kind).
func newRecordBody(k db.Kind, ids map[string]int64) (string, bool) {
	body := map[string]any{}
	optionalRef := false
	for _, f := range k.Fields {
		switch {
		case f.Ref != "" && (f.Required || !optionalRef):
			id, ok := ids[f.Ref]
			if !ok && f.Required {
				return "", false
			}
			if ok {
				body[f.Name] = id
				optionalRef = optionalRef || !f.Required
			}
		case f.Secret:
			body[f.Name] = "stw-openapi-check-secret-0001"
		case f.Enum != nil:
			body[f.Name] = f.Enum[0]
		case f.Required:
			body[f.Name] = "OpenAPI check " + k.Noun
		}
	}
	b, _ := json.Marshal(body)
	return string(b), true
}

// everyFilter is a query that sets every filter the document says the list
// at path takes: integers to 1, words to the first value they may take,
// text to "a".
func everyFilter(t *testing.T, model *v3.Document, path string) string {
	item, ok := model.Paths.PathItems.Get(path)
	if !ok || item.Get == nil {
		t.Fatalf("no GET %s in the document", path)
	}
	q := url.Values{}
	for _, p := range item.Get.Parameters {
		s := p.Schema.Schema()
		switch {
		case p.Name == "limit" || p.Name == "cursor":
		case len(s.Enum) > 0:
			q.Set(p.Name, s.Enum[0].Value)
		case slices.Contains(s.Type, "integer"):
			q.Set(p.Name, "1")
		default:
			q.Set(p.Name, "a")
		}
	}
	return q.Encode()
}

// statusOf is the first value of the kind's status field.
func statusOf(k db.Kind) string {
	for _, f := range k.Fields {
		if f.Name == "status" && f.Enum != nil {
			return f.Enum[0]
		}
	}
	return ""
}
