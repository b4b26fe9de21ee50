package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"steward/db"
)

// TestFormsUseTheFieldTable renders every kind's new and edit forms, the
// forms on its record page, its import page and its import template, and fails when one names a field
// that is not in the kind's field table (db.Kind.Fields, from OwnerFields
// and the others), or a table field is missing from all its forms: a misspelt
// field name in a template or handler would otherwise post nothing. The
// new form has every reference chosen, so fields shown only then count.
func TestFormsUseTheFieldTable(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	records := oneRecordOfEachKind(t, app)
	for _, k := range db.Kinds {
		var fields []string
		chosen := url.Values{} // as links from related records' pages choose them
		for _, f := range k.Fields {
			fields = append(fields, f.Name)
			if f.Ref != "" {
				chosen.Set(f.Name, id(records[f.Ref]))
			}
		}
		base := "/" + k.Path
		shown := map[string]bool{} // a form may show a field only with some values, such as a role's holder
		for page, action := range map[string]string{base + "/new?" + chosen.Encode(): base, path(base+"/:id/edit", records[k.Name]): path(base+"/:id", records[k.Name])} {
			r := c.get(page)
			if r.status != http.StatusOK {
				t.Errorf("GET %s: status %d", page, r.status)
				continue
			}
			for _, n := range formInputNames(r.body, action) {
				if !slices.Contains(fields, n) {
					t.Errorf("%s: the form has a field %q that %s's field table lacks", page, n, k.Name)
				}
				shown[n] = true
			}
		}
		for _, f := range fields {
			if !shown[f] {
				t.Errorf("%s's forms lack the field %q of its field table", k.Name, f)
			}
		}
		// Forms on the record's page that add records of any kind, such
		// as the roles panel's grant form, name only that kind's fields
		// (and the page the form came from).
		page := path(base+"/:id", records[k.Name])
		body := c.get(page).body
		for _, other := range db.Kinds {
			for _, n := range formInputNames(body, "/"+other.Path) {
				if !slices.ContainsFunc(other.Fields, func(f db.FieldSpec) bool { return f.Name == n }) && n != "context" && n != "context_id" {
					t.Errorf("%s: the form adding %s has a field %q its field table lacks", page, other.Plural, n)
				}
			}
		}
		want := k.Columns()
		if template := strings.Split(strings.TrimSpace(c.get(base+"/import/template.csv").body), ","); !slices.Equal(template, want) {
			t.Errorf("%s import template = %q, want the field table's %q", k.Name, template, want)
		}
		if cols := importPageColumns(c.get(base + "/import").body); !slices.Equal(cols, append([]string{"id"}, want...)) {
			t.Errorf("%s import page columns = %q, want id and the field table's %q", k.Name, cols, want)
		}
	}
}

// oneRecordOfEachKind adds a record of every kind, by kind name.
func oneRecordOfEachKind(t *testing.T, app *testApp) map[string]int64 {
	t.Helper()
	ctx, sys := context.Background(), db.SystemActor("test")
	owner := app.createOwner("Olga Owner", "olga@example.com")
	account := app.createAccount("Acme", "Meta")
	ids := map[string]int64{"owner": owner, "account": account, "role": app.createRole(account, owner, "Admin")}
	var err error
	if ids["integration"], err = app.store.CreateIntegration(ctx, sys, db.IntegrationInput{Name: "CRM sync"}); err != nil {
		t.Fatal(err)
	}
	if ids["system_user"], err = app.store.CreateSystemUser(ctx, sys, db.SystemUserInput{Name: "bot", AccountID: id(account)}); err != nil {
		t.Fatal(err)
	}
	saved, err := app.store.CreateToken(ctx, sys, db.TokenInput{Name: "Ads token", Kind: "api_key", ResponsibleOwnerID: id(owner)})
	if err != nil {
		t.Fatal(err)
	}
	ids["token"] = saved.ID
	return ids
}

// formInputNames lists the names of the inputs, selects and text areas of
// the page's form posting to action, but for its CSRF token.
func formInputNames(body, action string) []string {
	var names []string
	inForm := false
	z := html.NewTokenizer(strings.NewReader(body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		tok := z.Token()
		switch {
		case tok.Data == "form" && tt == html.StartTagToken:
			inForm = attr(tok, "action") == action && attr(tok, "method") == "post"
		case tok.Data == "form" && tt == html.EndTagToken:
			inForm = false
		case inForm && (tt == html.StartTagToken || tt == html.SelfClosingTagToken) &&
			(tok.Data == "input" || tok.Data == "select" || tok.Data == "textarea"):
			if name := attr(tok, "name"); name != "" && name != "_csrf" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

// importPageColumns lists the columns an import page explains, in order.
func importPageColumns(body string) []string {
	var cols []string
	z := html.NewTokenizer(strings.NewReader(body))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tok := z.Token(); tt == html.StartTagToken && attr(tok, "data-testid") == "import-column" {
			cols = append(cols, attr(tok, "data-column"))
		}
	}
	return cols
}
