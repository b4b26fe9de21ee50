package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

// multiLine are the textarea fields, where line breaks belong.
var multiLine = map[string]bool{"notes": true, "description": true, "scopes": true, "assets": true}

// TestInvisibleFormattingRefused: single-line fields of every kind refuse
// Unicode format characters (text-direction overrides and isolates,
// zero-width spaces and joiners, the byte order mark) and line and paragraph
// separators; multi-line fields refuse the text-direction ones. Each with a
// message beside the field, 422, nothing written; in forms, in imports and
// in an import's file name.
func TestInvisibleFormattingRefused(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	c := app.signedIn("admin@example.com")
	owner := app.createOwner("Olga Owner", "olga@example.com")
	account := app.createAccount("Acme BM", "Meta")
	invisible := map[string]string{
		"right-to-left override": "evil\u202ecod.exe", "left-to-right embedding": "a\u202ab", "first strong isolate": "a\u2068b",
		"zero-width space": "Ada\u200bLovelace", "zero-width joiner": "a\u200db", "byte order mark": "a\ufeffb",
		"line separator": "one\u2028two", "paragraph separator": "one\u2029two",
	}
	bidi := []string{"right-to-left override", "left-to-right embedding", "first strong isolate"}
	before := app.wholeSnapshot()
	for _, f := range hostileForms(account, owner) {
		for _, field := range f.fields {
			for name, v := range invisible {
				if multiLine[field] && !slices.Contains(bidi, name) {
					continue
				}
				form := cloneValues(f.valid)
				form.Set(field, v)
				r := c.post(f.path, form)
				if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), field) || !strings.Contains(r.body, "invisible") {
					t.Errorf("POST %s %s with a %s: status %d, errors beside %v; want 422 with a message beside %s",
						f.path, field, name, r.status, fieldErrors(r.body), field)
				}
			}
		}
	}
	// An update goes through the same check.
	if r := c.post(path("/owners/:id", owner), ownerForm("Olga\u200bOwner", "olga@example.com", "active", "", "")); r.status != http.StatusUnprocessableEntity ||
		!slices.Contains(fieldErrors(r.body), "name") {
		t.Errorf("owner updated with a zero-width space in the name: status %d, errors %v; want 422 beside name", r.status, fieldErrors(r.body))
	}
	if after := app.wholeSnapshot(); after != before {
		t.Error("a refused form changed the database")
	}

	// Imports: a cell with one is a problem of its row; nothing written.
	for _, file := range []string{"name,email\n\"Ada\u200bLovelace\",ada@example.com\n", "name,title\nAda,\"CTO\u202e\"\n"} {
		r := c.upload("/owners/import", "people.csv", []byte(file))
		if r.status != http.StatusUnprocessableEntity || len(tagsWith(r.body, "import-confirm")) != 0 || !strings.Contains(r.body, "invisible") {
			t.Errorf("import of %q: status %d; want 422 naming the invisible characters, no confirm", file, r.status)
		}
	}
	// A file name with them is refused with a message saying so.
	for name, v := range invisible {
		fileName := fmt.Sprintf("people%s.csv", v)
		r := c.upload("/owners/import", fileName, []byte("name\nAda\n"))
		if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), "file") || !strings.Contains(r.body, "Rename the file") {
			t.Errorf("import of a file named with a %s: status %d, errors %v; want 422 asking to rename it", name, r.status, fieldErrors(r.body))
		}
	}
	if after := app.wholeSnapshot(); after != before {
		t.Error("a refused import changed the database")
	}
	// Visible text in any script is fine.
	if r := c.post("/owners", url.Values{"name": {"مريم العربية — 李小龍 — Zoë"}, "status": {"active"}}); r.status != http.StatusSeeOther {
		t.Errorf("a name in Arabic, Chinese and Latin script: status %d, want 303", r.status)
	}
}
