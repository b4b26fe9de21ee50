package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/db"
)

// The OpenAPI 3.1 document of the JSON API (GET /api/v1/openapi.json) is
// generated, never written by hand: its paths from the route table's
// entries under apiPrefix, its record schemas from db.Kinds' field tables
// and export columns. It depends only on code, so New builds it once.

// openAPIDocument answers GET /api/v1/openapi.json with the document New built.
func (s *Server) openAPIDocument(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.openAPI)
}

// schema is a JSON Schema (draft 2020-12, as OpenAPI 3.1 takes it): only
// the keywords the document uses.
type schema struct {
	Ref                  string     `json:"$ref,omitempty"`
	Type                 any        `json:"type,omitempty"` // "string", or ["integer", "null"]
	Format               string     `json:"format,omitempty"`
	Description          string     `json:"description,omitempty"`
	Enum                 []any      `json:"enum,omitempty"`
	Properties           properties `json:"properties,omitempty"`
	Required             []string   `json:"required,omitempty"`
	AdditionalProperties *bool      `json:"additionalProperties,omitempty"`
	Items                *schema    `json:"items,omitempty"`
	Minimum              *int       `json:"minimum,omitempty"`
	Maximum              *int       `json:"maximum,omitempty"`
	MinLength            *int       `json:"minLength,omitempty"`
	Default              any        `json:"default,omitempty"`
	ReadOnly             bool       `json:"readOnly,omitempty"`
	WriteOnly            bool       `json:"writeOnly,omitempty"`
}

// openAPI is the document's top level.
type openAPI struct {
	OpenAPI    string                           `json:"openapi"`
	Info       openAPIInfo                      `json:"info"`
	Tags       []openAPITag                     `json:"tags"`
	Security   []map[string][]string            `json:"security"`
	Paths      map[string]map[string]*operation `json:"paths"` // path, then method in lower case
	Components openAPIComponents                `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type openAPITag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type openAPIComponents struct {
	Schemas         map[string]*schema        `json:"schemas"`
	Parameters      map[string]*parameter     `json:"parameters"`
	Responses       map[string]*response      `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

// operation is one route's description.
type operation struct {
	OperationID string                 `json:"operationId"`
	Summary     string                 `json:"summary"`
	Description string                 `json:"description,omitempty"`
	Tags        []string               `json:"tags,omitempty"`
	Security    *[]map[string][]string `json:"security,omitempty"` // nil: the document's; empty: none
	Parameters  []*parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody           `json:"requestBody,omitempty"`
	Responses   map[string]*response   `json:"responses"`
}

type parameter struct {
	Ref         string  `json:"$ref,omitempty"`
	Name        string  `json:"name,omitempty"`
	In          string  `json:"in,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema,omitempty"`
}

type requestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema *schema `json:"schema"`
}

type response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]*header   `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type header struct {
	Description string  `json:"description"`
	Schema      *schema `json:"schema"`
}

// Media types of the API's bodies.
const (
	mimeProblem    = "application/problem+json"
	mimeMergePatch = "application/merge-patch+json"
)

// buildOpenAPI is the document describing the /api/v1 routes of routes,
// and the routes under /api/v1 it cannot describe ("GET /api/v1/x"), a
// list TestOpenAPIDescribesEveryRoute keeps empty.
func (s *Server) buildOpenAPI(routes []Route) (doc []byte, undescribed []string) {
	d := openAPI{
		OpenAPI: "3.1.0",
		Info: openAPIInfo{Title: "Steward API", Version: "1",
			Description: "Steward's records, findings, token lookup and audit log for scripts and log shippers. " +
				"Every request but this document's carries an API key: Authorization: Bearer stw_…; " +
				"a read key may read, a write key may also write. Errors are problem details (RFC 9457)."},
		Security: []map[string][]string{{"bearerAuth": {}}},
		Paths:    map[string]map[string]*operation{},
		Components: openAPIComponents{
			Schemas:    sharedSchemas(),
			Parameters: sharedParameters(),
			Responses:  problemResponses(),
			SecuritySchemes: map[string]securityScheme{"bearerAuth": {Type: "http", Scheme: "bearer",
				Description: "An API key (stw_…) from Administration → API keys."}},
		},
	}
	for _, k := range db.Kinds {
		d.Tags = append(d.Tags, openAPITag{Name: k.Title()})
		for name, s := range kindSchemas(k) {
			d.Components.Schemas[name] = s
		}
	}
	d.Tags = append(d.Tags, openAPITag{Name: "Findings"}, openAPITag{Name: "Audit"}, openAPITag{Name: "Document"})
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, apiPrefix+"/") {
			continue
		}
		op := s.describeAPIRoute(r)
		if op == nil {
			undescribed = append(undescribed, r.Method+" "+r.Path)
			continue
		}
		addAccessResponses(op, r)
		path := openAPIPath(r.Path)
		if d.Paths[path] == nil {
			d.Paths[path] = map[string]*operation{}
		}
		d.Paths[path][strings.ToLower(r.Method)] = op
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic("handlers: the OpenAPI document does not marshal: " + err.Error()) // only a mistake in this file can do that
	}
	return out, undescribed
}

// openAPIPath is an echo route path in OpenAPI's spelling: /tokens/{id}.
func openAPIPath(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

// describeAPIRoute is the operation of the API route r, or nil when the
// generator does not know it.
func (s *Server) describeAPIRoute(r Route) *operation {
	rest := strings.TrimPrefix(r.Path, apiPrefix)
	if describe, ok := apiOperations[r.Method+" "+rest]; ok {
		return describe()
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	k, ok := db.KindAtPath(segs[0])
	if !ok || (len(segs) > 1 && segs[1] != ":id") {
		return nil
	}
	switch {
	case len(segs) == 1 && r.Method == http.MethodGet:
		return listOperation(k)
	case len(segs) == 1 && r.Method == http.MethodPost:
		return createOperation(k)
	case len(segs) == 2 && r.Method == http.MethodGet:
		return showOperation(k)
	case len(segs) == 2 && r.Method == http.MethodPatch:
		return patchOperation(k)
	case len(segs) == 3 && r.Method == http.MethodPost:
		for _, a := range s.statusChanges() {
			if a.kind == k.Name && a.verb == segs[2] {
				return actionOperation(k, a.verb)
			}
		}
	}
	return nil
}

// apiOperations describe the API routes that are not a record kind's, by
// method and path below apiPrefix.
var apiOperations = map[string]func() *operation{
	"GET /findings": func() *operation {
		return &operation{OperationID: "listFindings", Summary: "The findings of the home page", Tags: []string{"Findings"},
			Description: "What is dangerous right now, most severe first: each finding's kind, severity, count and first records.",
			Responses:   map[string]*response{"200": jsonResponse("The findings.", schemaRef("FindingList"))}}
	},
	"POST /tokens/lookup": func() *operation {
		return &operation{OperationID: "lookupToken", Summary: "Find the tokens a secret value belongs to", Tags: []string{"Tokens"},
			Description: "The tokens whose current value has the secret's fingerprint, and those it was the value of before a rotation. " +
				"The secret is never stored or logged.",
			RequestBody: jsonBody(schemaRef("LookupRequest"), "application/json"),
			Responses: map[string]*response{
				"200": jsonResponse("The tokens the secret belongs to.", schemaRef("LookupResult")),
				"413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "422": responseRef("UnprocessableContent"),
			}}
	},
	"GET /audit/events": func() *operation {
		return &operation{OperationID: "listAuditEvents", Summary: "Audit events, oldest first, for log shippers", Tags: []string{"Audit"},
			Description: "Events after after_id, oldest first, with each event's hash and the previous event's, so a consumer can check the chain. " +
				"Ask again with after_id = next_after_id until it is null.",
			Parameters: []*parameter{
				{Name: "after_id", In: "query", Description: "Only events with a greater id; 0 (the default) is from the start.",
					Schema: &schema{Type: "integer", Minimum: ptr(0), Default: 0}},
				limitParameter(apiAuditDefaultLimit, apiAuditMaxLimit),
			},
			Responses: map[string]*response{"200": jsonResponse("A page of events.", schemaRef("AuditEventPage"))}}
	},
	"GET /openapi.json": func() *operation {
		return &operation{OperationID: "getOpenAPIDocument", Summary: "This document", Tags: []string{"Document"},
			Responses: map[string]*response{"200": jsonResponse("The OpenAPI 3.1 document of the API.", openAPISchema())}}
	},
}

// openAPISchema is the document's own outline: an OpenAPI document's
// top-level fields, each as open as the OpenAPI specification has it.
func openAPISchema() *schema {
	open := func(t string) *schema { return &schema{Type: t, AdditionalProperties: ptr(true)} }
	return &schema{Type: "object", Required: []string{"openapi", "info", "paths"}, AdditionalProperties: ptr(true),
		Properties: properties{{"openapi", &schema{Type: "string"}}, {"info", open("object")}, {"tags", &schema{Type: "array", Items: open("object")}},
			{"security", &schema{Type: "array", Items: open("object")}}, {"paths", open("object")}, {"components", open("object")}}}
}

// addAccessResponses sets who may call op (the route's access) and the
// refusals that follow from it.
func addAccessResponses(op *operation, r Route) {
	if r.Access == public {
		op.Security = &[]map[string][]string{}
		return
	}
	op.Responses["400"] = responseRef("BadRequest")
	op.Responses["401"] = responseRef("Unauthorized")
	op.Responses["429"] = responseRef("TooManyRequests")
	if r.Access >= editor {
		op.Responses["403"] = responseRef("Forbidden")
	}
}

// listOperation is GET /api/v1/{kind}: a page of records.
func listOperation(k db.Kind) *operation {
	return &operation{OperationID: "list" + camel(k.Plural), Summary: "List " + k.Plural, Tags: []string{k.Title()},
		Description: "A page of " + k.Plural + " in id order; ask again with cursor = next_cursor until it is null. " +
			"The filters are the web list's.",
		Parameters: append([]*parameter{limitParameter(apiDefaultLimit, apiMaxLimit), {Ref: "#/components/parameters/Cursor"}}, listFilterParameters(k)...),
		Responses:  map[string]*response{"200": jsonResponse("A page of "+k.Plural+".", schemaRef(camel(k.Name)+"Page"))}}
}

// createOperation is POST /api/v1/{kind}.
func createOperation(k db.Kind) *operation {
	return &operation{OperationID: "create" + camel(k.Name), Summary: "Create " + withArticle(k.Noun), Tags: []string{k.Title()},
		Description: "Fields left out are blank, as on the form; the same checks as the form's.",
		RequestBody: jsonBody(schemaRef(camel(k.Name)+"Input"), "application/json"),
		Responses: map[string]*response{
			"201": {Description: "The " + k.Noun + " created.", Content: jsonContent(schemaRef(camel(k.Name))),
				Headers: withNotes(k, map[string]*header{"Location": {Description: "The new record's address.", Schema: &schema{Type: "string"}}})},
			"413": responseRef("PayloadTooLarge"), "415": responseRef("UnsupportedMediaType"), "422": responseRef("UnprocessableContent"),
		}}
}

// showOperation is GET /api/v1/{kind}/{id}.
func showOperation(k db.Kind) *operation {
	return &operation{OperationID: "get" + camel(k.Name), Summary: "One " + k.Noun, Tags: []string{k.Title()},
		Parameters: []*parameter{{Ref: "#/components/parameters/ID"}},
		Responses: map[string]*response{
			"200": jsonResponse("The "+k.Noun+".", schemaRef(camel(k.Name))),
			"404": responseRef("NotFound"),
		}}
}

// patchOperation is PATCH /api/v1/{kind}/{id}: a JSON merge patch.
func patchOperation(k db.Kind) *operation {
	return &operation{OperationID: "update" + camel(k.Name), Summary: "Change " + withArticle(k.Noun), Tags: []string{k.Title()},
		Description: "A JSON merge patch (RFC 7396) of the record's input fields: the fields sent change, null empties one.",
		Parameters:  []*parameter{{Ref: "#/components/parameters/ID"}},
		RequestBody: jsonBody(schemaRef(camel(k.Name)+"Patch"), mimeMergePatch, "application/json"),
		Responses: map[string]*response{
			"200": {Description: "The " + k.Noun + " as it now is.", Content: jsonContent(schemaRef(camel(k.Name))), Headers: withNotes(k, nil)},
			"404": responseRef("NotFound"), "413": responseRef("PayloadTooLarge"),
			"415": responseRef("UnsupportedMediaType"), "422": responseRef("UnprocessableContent"),
		}}
}

// withNotes is headers with the Steward-Note header when saving a record
// of k may say more than that it was saved: a kind that takes a secret
// value (see metaCheckNote and duplicateWarnings).
func withNotes(k db.Kind, headers map[string]*header) map[string]*header {
	if !slices.ContainsFunc(k.Fields, func(f db.FieldSpec) bool { return f.Secret }) {
		return headers
	}
	if headers == nil {
		headers = map[string]*header{}
	}
	headers[apiNoteHeader] = &header{Schema: &schema{Type: "string"},
		Description: "What the " + k.Noun + "'s page would say after saving it, in words for a person (UTF-8); one header per note, " +
			"so there may be several, or none. When a value is sent for a token on a Meta account and a Meta app is connected, " +
			"Steward asks Meta's debug_token before dropping the value, and a note says what Meta found (valid or not, its expiry, " +
			"the accounts it reaches) or, starting \"Warning: the check with Meta failed\", why Meta could not be asked: " +
			"the token is saved either way, and meta_check keeps the outcome. " +
			"A note starting \"Warning: this value is already registered on token #\" names another token with the same value."}
	return headers
}

// actionOperation is POST /api/v1/{kind}/{id}/{action}: a status action.
func actionOperation(k db.Kind, action string) *operation {
	return &operation{OperationID: action + camel(k.Name), Summary: capitalize(action) + " the " + k.Noun, Tags: []string{k.Title()},
		Description: "The same action as the " + k.Noun + "'s page offers. No body.",
		Parameters:  []*parameter{{Ref: "#/components/parameters/ID"}},
		Responses: map[string]*response{
			"200": jsonResponse("The "+k.Noun+" as it now is.", schemaRef(camel(k.Name))),
			"404": responseRef("NotFound"),
		}}
}

// listFilterParameters are the query parameters that filter the list of k,
// as the web list reads them (listParams, readListFilters).
func listFilterParameters(k db.Kind) []*parameter {
	status := &schema{Type: "string"}
	if f, ok := fieldNamed(k, "status"); ok {
		status.Enum = anys(f.Enum)
	}
	out := []*parameter{
		{Name: "q", In: "query", Description: "Words to search for, as the list's search box takes them.", Schema: &schema{Type: "string"}},
		{Name: "status", In: "query", Description: "Only " + k.Plural + " with this status.", Schema: status},
	}
	var findings []any
	for _, f := range db.FindingKinds() {
		if db.FindingHasList(f, k.Name) {
			findings = append(findings, f)
		}
	}
	if findings != nil {
		out = append(out, &parameter{Name: "finding", In: "query", Description: "Only the " + k.Plural + " of this home page finding.",
			Schema: &schema{Type: "string", Enum: findings}})
	}
	var f listFilters
	for _, n := range f.narrowings()[k.Name] {
		rk, _ := db.KindNamed(n.kind)
		out = append(out, &parameter{Name: n.param, In: "query", Description: n.label + ": only the " + k.Plural + " of the " + rk.Noun + " with this id.",
			Schema: &schema{Type: "integer", Minimum: ptr(1)}})
	}
	for _, tf := range f.textFilters()[k.Name] {
		out = append(out, &parameter{Name: tf.param, In: "query", Schema: &schema{Type: "string", Enum: anys(tf.choices)}})
	}
	return out
}

// fieldNamed is the field of k called name.
func fieldNamed(k db.Kind, name string) (db.FieldSpec, bool) {
	for _, f := range k.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return db.FieldSpec{}, false
}

// limitParameter is the query's page size.
func limitParameter(byDefault, most int) *parameter {
	return &parameter{Name: "limit", In: "query", Description: "How many to answer at most.",
		Schema: &schema{Type: "integer", Minimum: ptr(1), Maximum: ptr(most), Default: byDefault}}
}

// kindSchemas are the schemas of one record kind: the record as answers
// give it ({Kind}), the body that creates one ({Kind}Input), the merge
// patch that changes one ({Kind}Patch) and a page of a list ({Kind}Page).
func kindSchemas(k db.Kind) map[string]*schema {
	name := camel(k.Name)
	record := object("A "+k.Noun+", as the list's JSON export gives it.", properties{{"id", &schema{Type: "integer", ReadOnly: true}}})
	input := object("A new "+k.Noun+": its form's fields; those left out are blank.", nil)
	patch := object("A JSON merge patch of a "+k.Noun+"'s form fields: null empties one.", nil)
	for _, f := range k.Fields {
		s := fieldSchema(f)
		if f.Required {
			input.Required = append(input.Required, f.Name)
		}
		if f.Secret {
			s.WriteOnly = true
			s.Description = "Reduced to a fingerprint and its last four characters; never stored or shown again."
		} else {
			record.Properties = append(record.Properties, property{f.Name, fieldSchema(f)})
		}
		input.Properties = append(input.Properties, property{f.Name, s})
		patch.Properties = append(patch.Properties, property{f.Name, nullable(fieldSchema(f))})
	}
	types := exportOnlyTypes[k.Name]
	for _, col := range k.ExportOnly {
		record.Properties = append(record.Properties, property{col, exportOnlySchema(k, col, types[col])})
	}
	for _, x := range apiExtras[k.Name] {
		record.Properties = append(record.Properties, property{x.name, x.schema()})
	}
	record.Required = record.Properties.names()
	return map[string]*schema{
		name:           record,
		name + "Input": input,
		name + "Patch": patch,
		name + "Page": object("A page of "+k.Plural+".", properties{
			{"data", &schema{Type: "array", Items: schemaRef(name)}},
			{"next_cursor", &schema{Type: []string{"string", "null"}, Description: "The cursor of the next page; null on the last."}},
		}),
	}
}

// exportOnlySchema is the schema of k's read-only column col, of JSON type
// typ. A token's effective status takes its status field's values, or
// db.TokenExpiredActive for an active token past its expiry date
// (db.Token.EffectiveStatus).
func exportOnlySchema(k db.Kind, col string, typ any) *schema {
	s := &schema{Type: typ, ReadOnly: true}
	if col == "effective_status" {
		status, _ := fieldNamed(k, "status")
		s.Enum = anys(append(slices.Clone(status.Enum), db.TokenExpiredActive))
		s.Description = "The status to go by today: status, or " + db.TokenExpiredActive + " when the " + k.Noun + " is active past its expiry date."
	}
	return s
}

// fieldSchema is the JSON type of a form field: a record's id (or null), a
// yes or no, one of a few words, or text ("" when empty).
func fieldSchema(f db.FieldSpec) *schema {
	switch {
	case f.Ref != "":
		rk, _ := db.KindNamed(f.Ref)
		return &schema{Type: []string{"integer", "null"}, Description: "The id of " + withArticle(rk.Noun) + "."}
	case f.Flag:
		return &schema{Type: "boolean"}
	case f.Enum != nil:
		return &schema{Type: "string", Enum: anys(f.Enum)}
	}
	return &schema{Type: "string"}
}

// nullable is s that may also be null.
func nullable(s *schema) *schema {
	switch t := s.Type.(type) {
	case string:
		s.Type = []string{t, "null"}
	}
	if s.Enum != nil {
		s.Enum = append(s.Enum, nil)
	}
	return s
}

// sharedSchemas are the schemas of the answers that are not a kind's.
func sharedSchemas() map[string]*schema {
	str := func(desc string) *schema { return &schema{Type: "string", Description: desc} }
	integer := func(desc string) *schema { return &schema{Type: "integer", Description: desc} }
	var kinds []any
	for _, k := range db.Kinds {
		kinds = append(kinds, k.Name)
	}
	return map[string]*schema{
		"Problem": {Type: "object", Description: "An error, as RFC 9457 problem details.", Required: []string{"type", "title", "status"},
			Properties: properties{
				{"type", str("about:blank")},
				{"title", str("The status's name.")},
				{"status", integer("The HTTP status code.")},
				{"detail", str("What went wrong, for a person.")},
				{"errors", &schema{Type: "array", Items: schemaRef("FieldError"), Description: "The fields that need attention, when there are any."}},
			}},
		"FieldError": object("One field that needs attention.", properties{
			{"field", str("The field's name.")},
			{"pointer", str("A JSON pointer to it in the body.")},
			{"detail", str("What to change, as the form says it.")},
		}),
		"FindingList": object("The findings.", properties{{"data", &schema{Type: "array", Items: schemaRef("Finding")}}}),
		"Finding": object("One finding: records that are dangerous in the same way.", properties{
			{"kind", &schema{Type: "string", Enum: anys(db.FindingKinds())}},
			{"severity", &schema{Type: "string", Enum: anys(severityNames())}},
			{"count", integer("How many records it holds.")},
			{"items", &schema{Type: "array", Items: schemaRef("FindingItem"), Description: "The first few of its records."}},
		}),
		"FindingItem": object("One record of a finding.", properties{
			{"record_kind", &schema{Type: "string", Enum: kinds}},
			{"record_id", integer("")},
			{"name", str("")},
			{"reason", str("Why it is in the finding.")},
			{"url", str("Its page.")},
		}),
		"LookupRequest": object("A secret value to look up.", properties{
			{"secret", &schema{Type: "string", MinLength: ptr(1), WriteOnly: true}},
		}),
		"LookupResult": object("The tokens a secret belongs to.", properties{
			{"data", &schema{Type: "array", Items: schemaRef("Token"), Description: "The tokens whose current value it is."}},
			{"former", &schema{Type: "array", Description: "The tokens it was the value of before a rotation.", Items: object("", properties{
				{"token_id", integer("")},
				{"replaced_on", str("The day it was replaced.")},
			})}},
		}),
		"AuditEventPage": object("A page of audit events, oldest first.", properties{
			{"data", &schema{Type: "array", Items: schemaRef("AuditEvent")}},
			{"next_after_id", &schema{Type: []string{"integer", "null"}, Description: "The after_id of the next page; null when there are no more events yet."}},
		}),
		"AuditEvent": auditEventSchema(),
	}
}

// auditEventSchema is an event as the audit export writes it (auditColumns):
// its columns' types read off a zero event.
func auditEventSchema() *schema {
	values := make([]any, len(auditColumns.names))
	auditColumns.filler()(db.AuditEvent{}, values)
	props := make(properties, len(values))
	for i, name := range auditColumns.names {
		if _, ok := values[i].([]db.Change); ok {
			props[i] = property{name, &schema{Type: "array", Description: "The fields it changed.", Items: object("", properties{
				{"field", &schema{Type: "string"}}, {"before", &schema{Type: "string"}}, {"after", &schema{Type: "string"}},
			})}}
			continue
		}
		props[i] = property{name, &schema{Type: jsonType(values[i])}}
	}
	props.named("at").Format = "date-time"
	props.named("actor").Description = "Who did it: a login's email, or an API key's name."
	props.named("hash").Description = "This event's hash (SHA-256, hex), over its content and prev_hash: check the chain with it."
	return object("One audit event, as the audit log's export gives it.", props)
}

// severityNames are the severities as the API says them, most severe first.
func severityNames() []string {
	var out []string
	for s := db.SeverityCritical; s <= db.SeverityLow; s++ {
		out = append(out, apiSeverity(s))
	}
	return out
}

// sharedParameters are the parameters several operations take.
func sharedParameters() map[string]*parameter {
	return map[string]*parameter{
		"ID":     {Name: "id", In: "path", Required: true, Schema: &schema{Type: "integer", Minimum: ptr(1)}},
		"Cursor": {Name: "cursor", In: "query", Description: "The next_cursor of the page before.", Schema: &schema{Type: "string"}},
	}
}

// problemResponses are the error answers, as problem details.
func problemResponses() map[string]*response {
	problem := func(desc string) *response {
		return &response{Description: desc, Content: map[string]mediaType{mimeProblem: {Schema: schemaRef("Problem")}}}
	}
	out := map[string]*response{
		"BadRequest":           problem("Malformed JSON, an unknown field, a wrong type, a bad cursor, limit or query parameter, or a key in the query string."),
		"Unauthorized":         problem("No API key, or one that is unknown, revoked or expired."),
		"Forbidden":            problem("A read key may not write."),
		"NotFound":             problem("No such record."),
		"PayloadTooLarge":      problem("The body is over 1 MiB."),
		"UnsupportedMediaType": problem("The body is not JSON."),
		"UnprocessableContent": problem("The record was not saved: the fields in errors need attention."),
		"TooManyRequests":      problem("The key sent more requests than its rate allows; try again after Retry-After seconds."),
	}
	out["Unauthorized"].Headers = map[string]*header{"WWW-Authenticate": {Description: "Bearer", Schema: &schema{Type: "string"}}}
	out["TooManyRequests"].Headers = map[string]*header{"Retry-After": {Description: "Seconds to wait.", Schema: &schema{Type: "integer"}}}
	return out
}

// object is a closed object schema: props, each of them required.
func object(desc string, props properties) *schema {
	return &schema{Type: "object", Description: desc, Properties: props, Required: props.names(), AdditionalProperties: ptr(false)}
}

// property is one property of an object schema.
type property struct {
	name   string
	schema *schema
}

// properties are an object's properties in the order answers give them
// (a map's would come out sorted).
type properties []property

// MarshalJSON writes the properties as one JSON object, in their order.
func (ps properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(p.name) // a string always encodes
		value, err := json.Marshal(p.schema)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// names are the properties' names.
func (ps properties) names() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

// named is the schema of the property called name; it panics when there is
// none, a mistake in this file that any test finds.
func (ps properties) named(name string) *schema {
	for _, p := range ps {
		if p.name == name {
			return p.schema
		}
	}
	panic("handlers: no property " + name)
}

// schemaRef is a reference to the component schema called name.
func schemaRef(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

// responseRef is a reference to the component response called name.
func responseRef(name string) *response { return &response{Ref: "#/components/responses/" + name} }

func jsonContent(s *schema) map[string]mediaType {
	return map[string]mediaType{"application/json": {Schema: s}}
}

func jsonResponse(desc string, s *schema) *response {
	return &response{Description: desc, Content: jsonContent(s)}
}

// jsonBody is a required body of schema s in each of the media types.
func jsonBody(s *schema, mediaTypes ...string) *requestBody {
	b := &requestBody{Required: true, Content: map[string]mediaType{}}
	for _, mt := range mediaTypes {
		b.Content[mt] = mediaType{Schema: s}
	}
	return b
}

// camel is "system_user" or "system users" as "SystemUser(s)".
func camel(s string) string {
	words := strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == ' ' || r == '-' })
	for i, w := range words {
		words[i] = capitalize(w)
	}
	return strings.Join(words, "")
}

func capitalize(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// withArticle is "a token" or "an owner".
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func ptr[T any](v T) *T { return &v }
