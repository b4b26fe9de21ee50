package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"steward/db"
)

// With more people than a select offers, a form still shows, and so sends
// back, the person a record already names: saving it unchanged keeps the link.
func TestFormsKeepAChosenRecordBeyondThePicker(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("ed@example.com", db.RoleEditor)
	c := app.signedIn("ed@example.com")
	addPeople(t, app, 600)
	zed := app.createOwner("Zed Last", "zed@example.com") // sorts after the first 500
	token := app.storeToken(db.TokenInput{Name: "Zed's key", Kind: "api_key", ResponsibleOwnerID: id(zed)})

	edit := c.get("/tokens/" + id(token) + "/edit")
	if edit.status != http.StatusOK {
		t.Fatalf("GET edit: status %d", edit.status)
	}
	selected := selectedOption(t, edit.body, "responsible_owner_id")
	if selected != id(zed) {
		t.Fatalf("the edit form's responsible owner is %q, want Zed (%s)", selected, id(zed))
	}
	if !strings.Contains(edit.body, "Zed Last &lt;zed@example.com&gt;") {
		t.Error("Zed's option is not labelled like the others")
	}
	// Saved as shown, the token keeps its owner.
	form := tokenForm("Zed's key", "api_key", map[string]string{"responsible_owner_id": selected})
	if r := c.post("/tokens/"+id(token), form); r.status != http.StatusSeeOther {
		t.Fatalf("save: status %d", r.status)
	}
	if got := app.count("SELECT responsible_owner_id FROM tokens WHERE id = ?", token); got != zed {
		t.Errorf("after saving the form as shown, responsible owner = %d, want %d", got, zed)
	}
}

// selectedOption is the value of the selected option of the select named name.
func selectedOption(t *testing.T, body, name string) string {
	t.Helper()
	start := strings.Index(body, `<select id="`+name+`"`)
	if start < 0 {
		t.Fatalf("no select %s", name)
	}
	sel := body[start : start+strings.Index(body[start:], "</select>")]
	for _, opt := range strings.Split(sel, "<option")[1:] {
		if strings.Contains(opt, " selected") {
			v := opt[strings.Index(opt, `value="`)+len(`value="`):]
			return v[:strings.Index(v, `"`)]
		}
	}
	return ""
}

// A select with more records than it holds gets a search box; what is typed
// there comes back as the matching options, the chosen one kept and selected.
func TestPickerSearchFindsRecordsBeyondTheFirst(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("val@example.com", db.RoleViewer)
	app.createUser("ed@example.com", db.RoleEditor)
	c := app.signedIn("ed@example.com")
	addPeople(t, app, 600)
	zed := app.createOwner("Zed Last", "zed@example.com")
	first := app.count("SELECT id FROM owners WHERE name = 'Person 001'")

	form := c.get("/tokens/new")
	if !strings.Contains(form.body, `id="responsible_owner_id-find"`) || !strings.Contains(form.body, `data-hx-get="/options/owners"`) {
		t.Fatal("the token form's owner select, with 601 people, has no search box")
	}
	if strings.Contains(form.body, "Zed Last") {
		t.Fatal("Zed is in the first 500; the test needs more people")
	}

	r := c.get("/options/owners?q=zed&field=responsible_owner_id&responsible_owner_id="+id(first)+"&blank=Nobody+yet", asHTMX("responsible_owner_id"))
	if r.status != http.StatusOK {
		t.Fatalf("GET /options/owners: status %d", r.status)
	}
	if !strings.HasPrefix(r.body, `<option value="">Nobody yet</option>`) {
		t.Errorf("the options do not start with the empty choice: %.80q", r.body)
	}
	if !strings.Contains(r.body, `<option value="`+id(zed)+`">Zed Last &lt;zed@example.com&gt;</option>`) {
		t.Error("searching zed does not offer Zed Last")
	}
	if !strings.Contains(r.body, `<option value="`+id(first)+`" selected>Person 001</option>`) {
		t.Error("the person chosen before the search is not kept selected")
	}
	if strings.Contains(r.body, "Person 002") {
		t.Error("the search offers people who do not match")
	}
	// Readers may search too (the lists' filters are theirs); strangers may not.
	if r := app.signedIn("val@example.com").get("/options/owners?q=zed"); r.status != http.StatusOK {
		t.Errorf("viewer GET /options/owners: status %d", r.status)
	}
	if r := app.newClient().get("/options/owners?q=zed"); r.status == http.StatusOK {
		t.Error("an anonymous visitor can list owners")
	}
}

// addPeople adds n owners, "Person 001" on, straight into the database:
// more than a select offers.
func addPeople(t *testing.T, app *testApp, n int) {
	t.Helper()
	if err := app.store.Exec(context.Background(), `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO owners (name, created_at, updated_at) SELECT printf('Person %03d', i), '2026-01-01', '2026-01-01' FROM n`, n); err != nil {
		t.Fatal(err)
	}
}
