package handlers_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"steward/db"
)

// openAPIDocument fetches GET /api/v1/openapi.json, with no key, and checks
// it parses and validates as OpenAPI 3.1 with no errors: the document, the
// model libopenapi builds from it, and a validator over it.
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
	v, errs := validator.NewValidator(doc)
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
// export's columns, and its input the kind's fields with their allowed
// values, so a field added to a kind shows in the document.
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
		var gotCols []string
		for col := range record.Schema().Properties.KeysFromOldest() {
			gotCols = append(gotCols, col)
		}
		slices.Sort(gotCols)
		slices.Sort(wantCols)
		if !slices.Equal(gotCols, wantCols) {
			t.Errorf("%s has properties %v, want the export's columns %v", name, gotCols, wantCols)
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
