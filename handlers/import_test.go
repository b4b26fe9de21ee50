package handlers_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/internal/csvimport"
)

// upload posts content as the multipart file field of an import form.
func (c *client) upload(path, fileName string, content []byte) response {
	c.app.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("_csrf", c.csrf()); err != nil {
		c.app.t.Fatal(err)
	}
	fw, err := w.CreateFormFile("file", fileName)
	if err != nil {
		c.app.t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		c.app.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		c.app.t.Fatal(err)
	}
	return c.do(http.MethodPost, path, &body, w.FormDataContentType())
}

// inputValue is the value of the page's input named name, or "".
func inputValue(body, name string) string {
	for _, tag := range tagPattern.FindAllString(body, -1) {
		attrs := map[string]string{}
		for _, m := range attrPattern.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = m[2]
		}
		if strings.HasPrefix(tag, "<input") && attrs["name"] == name {
			return html.UnescapeString(attrs["value"])
		}
	}
	return ""
}

// confirmImport posts a preview's confirm form to the URL in its action.
func (c *client) confirmImport(preview response) response {
	c.app.t.Helper()
	forms := tagsWith(preview.body, "import-confirm")
	if len(forms) != 1 {
		c.app.t.Fatalf("preview has %d confirm forms, want 1 (status %d)", len(forms), preview.status)
	}
	return c.post(forms[0]["action"], url.Values{"import": {inputValue(preview.body, "import")}, "sha256": {inputValue(preview.body, "sha256")}})
}

// previewCounts reads the preview's data-create, data-update and
// data-problems counts.
func previewCounts(t *testing.T, r response) (create, update, problems int) {
	t.Helper()
	p := tagsWith(r.body, "import-preview")
	if len(p) != 1 {
		t.Fatalf("page has %d import previews, want 1 (status %d)", len(p), r.status)
	}
	n := func(attr string) int {
		v, err := strconv.Atoi(p[0][attr])
		if err != nil {
			t.Fatalf("import-preview %s=%q", attr, p[0][attr])
		}
		return v
	}
	return n("data-create"), n("data-update"), n("data-problems")
}

// rowErrors lists a page's errors as "row:column".
func rowErrors(body string) []string {
	var out []string
	for _, attrs := range tagsWith(body, "field-error") {
		out = append(out, attrs["data-row"]+":"+attrs["data-field"])
	}
	return out
}

// importSnapshot is snapshot plus the records snapshot leaves out.
func (a *testApp) importSnapshot() string {
	a.t.Helper()
	s := a.snapshot()
	for _, q := range []string{
		`SELECT json_group_array(json_array(id, name, account_id, external_id, admin, owner_id, integration_id, status, updated_at)) FROM system_users`,
		`SELECT json_group_array(json_array(id, name, owner_id, status, updated_at)) FROM integrations`,
		`SELECT json_group_array(json_array(id, name, kind, account_id, system_user_id, owner_id, status, updated_at)) FROM tokens`,
		`SELECT COUNT(*) FROM audit_links`,
	} {
		s += a.text(q) + "\n"
	}
	return s
}

func csvFile(lines ...string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

func TestImportTemplates(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	for kind, header := range map[string]string{
		"owners":       "name,email,title,department,manager_id,status,leaving_on,notes",
		"accounts":     "name,platform,kind,external_id,url,parent_id,owner_id,criticality,status,notes",
		"roles":        "account_id,owner_id,system_user_id,role,admin,granted_on,granted_by,review_by,status,notes",
		"system-users": "name,account_id,external_id,admin,responsible_owner_id,integration_id,status,notes",
		"integrations": "name,description,runs_on,responsible_owner_id,status,notes",
		"tokens": "name,kind,account_id,system_user_id,owner_id,integration_id,responsible_owner_id,created_by_owner_id," +
			"scopes,assets,issued_on,expires_on,last_rotated_on,last_reviewed_on,stored_in,status,notes",
	} {
		r := c.get("/" + kind + "/import/template.csv")
		if r.status != http.StatusOK || r.body != header+"\n" {
			t.Errorf("%s template: status %d, body %q", kind, r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("%s template: Content-Type %q", kind, ct)
		}
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="steward-`+kind+`-template.csv"` {
			t.Errorf("%s template: Content-Disposition %q", kind, cd)
		}
		page := c.get("/" + kind + "/import")
		if page.status != http.StatusOK || !strings.Contains(page.body, `href="/`+kind+`/import/template.csv"`) ||
			!strings.Contains(page.body, `enctype="multipart/form-data"`) || !strings.Contains(page.body, `name="_csrf"`) ||
			len(tagsWith(page.body, "import-column")) != strings.Count(header, ",")+2 {
			t.Errorf("GET /%s/import: status %d, or the template link, upload form or column list is missing", kind, page.status)
		}
	}
}

func TestImportOwnersPreviewThenApply(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	editorID := app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	boss := app.createOwner("Bea Boss", "bea@example.com")
	existing := app.createOwner("Old Name", "kim@example.com")
	if err := app.store.Exec(t.Context(), "UPDATE owners SET title = 'Kept title', department = 'Ops' WHERE id = ?", existing); err != nil {
		t.Fatal(err)
	}
	file := csvFile(
		"name,email,manager_id,status,leaving_on,notes",
		"Kim Updated,KIM@Example.com,bea@example.com,,,",                                                // matches by email in any case; status kept
		"Lee Lead,lee@example.com,"+id(boss)+",active,,",                                                // manager by ID
		"Max Member,max@example.com,LEE@example.com,offboarding,2030-01-31,\"first line\nsecond line\"", // manager added two rows up
	)

	before := app.importSnapshot()
	r := c.upload("/owners/import", "people.csv", file)
	if r.status != http.StatusOK {
		t.Fatalf("preview: status %d, errors %v", r.status, rowErrors(r.body))
	}
	if create, update, problems := previewCounts(t, r); create != 2 || update != 1 || problems != 0 {
		t.Errorf("preview counts: create %d, update %d, problems %d; want 2, 1, 0", create, update, problems)
	}
	if got := app.importSnapshot(); got != before {
		t.Fatalf("the preview wrote to the database:\nbefore %s\nafter  %s", before, got)
	}

	r = c.confirmImport(r)
	if r.status != http.StatusSeeOther || r.location() != "/owners" {
		t.Fatalf("apply: status %d, location %q", r.status, r.location())
	}
	if page := c.get("/owners"); !strings.Contains(page.body, "Imported people.csv: 2 owners created, 1 updated, 0 unchanged.") {
		t.Errorf("the owners list does not show the import's flash")
	}
	if got := app.text("SELECT name || '|' || title || '|' || department || '|' || manager_id || '|' || status FROM owners WHERE id = ?", existing); got != "Kim Updated|Kept title|Ops|"+id(boss)+"|active" {
		t.Errorf("updated owner = %q: left-out columns must keep their values", got)
	}
	lee := app.count("SELECT id FROM owners WHERE email = 'lee@example.com'")
	if got := app.text("SELECT name || '|' || manager_id || '|' || status || '|' || leaving_on || '|' || notes FROM owners WHERE email = 'max@example.com'"); got != "Max Member|"+id(lee)+"|offboarding|2030-01-31|first line\nsecond line" {
		t.Errorf("new owner = %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'import.applied' AND user_id = ? AND summary LIKE '%people.csv%2 created, 1 updated%'", editorID); n != 1 {
		t.Errorf("import.applied events = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'owner.created' AND user_id = ?", editorID); n != 2 {
		t.Errorf("owner.created events by the editor = %d, want 2", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'owner.updated' AND record_id = ? AND user_id = ?", existing, editorID); n != 1 {
		t.Errorf("owner.updated events = %d, want 1", n)
	}
	if res, err := app.store.VerifyAudit(t.Context()); err != nil || res.BrokenID != 0 {
		t.Errorf("audit chain after the import: %+v, %v", res, err)
	}

	// Importing the same file again matches every row and changes nothing.
	if r := c.confirmImport(c.upload("/owners/import", "people.csv", file)); r.status != http.StatusSeeOther {
		t.Fatalf("re-import: status %d", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 4 {
		t.Errorf("owners after importing the same file twice = %d, want 4: rows must match by email", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action IN ('owner.created', 'owner.updated')"); n != 5 {
		t.Errorf("owner events after an unchanged re-import = %d, want 5", n)
	}
}

func TestImportBadRowsWriteNothing(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	app.createOwner("Taken", "taken@example.com")
	before := app.importSnapshot()

	r := c.upload("/owners/import", "bad.csv", csvFile(
		"name,email,manager_id,leaving_on",
		"Good Row,good@example.com,,",
		",nobody@example.com,,",                            // row 3: no name
		"Bad Date,date@example.com,,31/01/2030",            // row 4
		"Lost Manager,lost@example.com,ghost@example.com,", // row 5
		"Dup,good@example.com,,",                           // row 6: same email as row 2
	))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("preview with bad rows: status %d", r.status)
	}
	want := []string{"3:name", "4:leaving_on", "5:manager_id", "6:"}
	if got := rowErrors(r.body); !slices.Equal(got, want) {
		t.Errorf("errors = %v, want %v", got, want)
	}
	if !strings.Contains(r.body, "Row 2 already imports this owner") || !strings.Contains(r.body, `No owner has the ID or email &#34;ghost@example.com&#34;`) {
		t.Errorf("the preview does not explain the duplicate row or the unknown manager")
	}
	if len(tagsWith(r.body, "import-confirm")) != 0 {
		t.Errorf("a preview with problems offers to import")
	}
	// Confirming without a previewed file is refused too.
	if r := c.post("/owners/import/apply", url.Values{"import": {"made-up"}, "sha256": {"00"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("apply without a preview: status %d", r.status)
	}
	if got := app.importSnapshot(); got != before {
		t.Fatalf("a refused import wrote to the database:\nbefore %s\nafter  %s", before, got)
	}
}

func TestImportConfirmNeedsItsOwnPreview(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	app.createUser("other@example.com", db.RoleEditor)
	c, other := app.signedIn("editor@example.com"), app.signedIn("other@example.com")
	preview := c.upload("/owners/import", "team.csv", csvFile("name,email", "Ann,ann@example.com", "Ben,ben@example.com"))
	if preview.status != http.StatusOK {
		t.Fatalf("preview: status %d", preview.status)
	}
	token, sum := inputValue(preview.body, "import"), inputValue(preview.body, "sha256")
	if token == "" || len(sum) != 64 {
		t.Fatalf("confirm form: import %q, sha256 %q", token, sum)
	}
	before := app.importSnapshot()
	for name, r := range map[string]response{
		"wrong checksum": c.post("/owners/import/apply", url.Values{"import": {token}, "sha256": {strings.Repeat("0", 64)}}),
		"another editor": other.post("/owners/import/apply", url.Values{"import": {token}, "sha256": {sum}}),
		"another list":   c.post("/accounts/import/apply", url.Values{"import": {token}, "sha256": {sum}}),
		"made-up token":  c.post("/owners/import/apply", url.Values{"import": {"made-up"}, "sha256": {sum}}),
	} {
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Upload the file again") {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	if got := app.importSnapshot(); got != before {
		t.Fatalf("a confirm that was not the uploader's own wrote to the database")
	}
	// Those attempts leave the uploader's preview alone; it imports once.
	if r := c.confirmImport(preview); r.status != http.StatusSeeOther {
		t.Fatalf("confirm: status %d", r.status)
	}
	if r := c.confirmImport(preview); r.status != http.StatusUnprocessableEntity {
		t.Errorf("confirming the same preview twice: status %d", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 2 {
		t.Errorf("owners = %d, want 2", n)
	}
}

func TestImportRefusedOnApplyWritesNothing(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	acct := app.createAccount("Main BM", "Meta")
	preview := c.upload("/system-users/import", "bots.csv", csvFile("name,account_id,external_id",
		"Reporting bot,Main BM,1001", "Sync bot,Main BM,1002"))
	if preview.status != http.StatusOK {
		t.Fatalf("preview: status %d %v", preview.status, rowErrors(preview.body))
	}
	// After the preview, the account is renamed: its name no longer finds it.
	if err := app.store.UpdateAccount(t.Context(), db.SystemActor("test"), acct, db.AccountInput{Name: "Renamed BM", Platform: "Meta"}); err != nil {
		t.Fatal(err)
	}
	before := app.importSnapshot()
	r := c.confirmImport(preview)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Nothing was imported") {
		t.Fatalf("apply after the account was renamed: status %d", r.status)
	}
	if got := rowErrors(r.body); !slices.Equal(got, []string{"2:account_id", "3:account_id"}) {
		t.Errorf("errors = %v", got)
	}
	if got := app.importSnapshot(); got != before {
		t.Fatalf("a refused apply wrote to the database:\nbefore %s\nafter  %s", before, got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'import.applied'"); n != 0 {
		t.Errorf("import.applied events = %d", n)
	}
}

func TestImportEncodingsRoundTrip(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	file := []byte("\xef\xbb\xbfname,email,department,notes\r\n" +
		"Zoë Ångström,zoe@example.com,Forschung & Entwicklung,\"Zeile eins\r\nZeile \"\"zwei\"\"\"\r\n" +
		"\r\n" + // a blank line: a spreadsheet row of its own
		"山田 太郎,taro@example.jp,営業,\r\n")
	r := c.upload("/owners/import", "unicode.csv", file)
	if r.status != http.StatusOK {
		t.Fatalf("preview: status %d %v", r.status, rowErrors(r.body))
	}
	if rows := tagsWith(r.body, "import-row"); len(rows) != 2 || rows[0]["data-row"] != "2" || rows[1]["data-row"] != "4" {
		t.Errorf("preview rows = %v, want rows 2 and 4", rows)
	}
	if r := c.confirmImport(r); r.status != http.StatusSeeOther {
		t.Fatalf("apply: status %d", r.status)
	}
	if got := app.text("SELECT name || '|' || department || '|' || notes FROM owners WHERE email = 'zoe@example.com'"); got != "Zoë Ångström|Forschung & Entwicklung|Zeile eins\nZeile \"zwei\"" {
		t.Errorf("owner = %q", got)
	}
	if got := app.text("SELECT name || '|' || department FROM owners WHERE email = 'taro@example.jp'"); got != "山田 太郎|営業" {
		t.Errorf("owner = %q", got)
	}
}

func TestImportBadFiles(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	app.createOwner("Someone", "someone@example.com")

	many := []string{"name"}
	for i := range csvimport.MaxRows + 1 {
		many = append(many, "Person "+strconv.Itoa(i))
	}
	big := bytes.Repeat([]byte("Person,person@example.com\n"), csvimport.MaxBytes/26+1)

	for _, tc := range []struct {
		name, kind string
		file       []byte
		status     int
		message    string
		errors     []string // row:column of each error shown, when they matter
	}{
		{"latin-1", "owners", []byte("name,email\nJos\xe9 Garc\xeda,jose@example.com\n"), 422,
			"The file is not UTF-8 text: save it as CSV UTF-8", []string{":file"}},
		{"utf-16", "owners", []byte("\xff\xfen\x00a\x00m\x00e\x00\n\x00"), 422, "The file is not UTF-8 text: save it as CSV UTF-8", nil},
		{"ragged row", "owners", csvFile("name,email", "Ann,ann@example.com", "Ben,ben@example.com,extra", "Cat,cat@example.com"), 422,
			"This row has 3 cells but the header has 2 columns", []string{"3:"}},
		{"unknown columns", "owners", csvFile("name,email,phone,Favourite Colour", "Ann,ann@example.com,1,red"), 422,
			`Unknown columns: &#34;phone&#34;, &#34;favourite colour&#34;`, []string{":file"}},
		{"secret column", "tokens", csvFile("name,kind,secret", "Ads API,api_key,EAAB123"), 422,
			"Steward does not import token values; register each value on the token&#39;s page", []string{":file"}},
		{"empty file", "owners", []byte(""), 422, "The file is empty", nil},
		{"blank file", "owners", []byte("\r\n\r\n  \n"), 422, "The file is empty", nil},
		{"header only", "owners", csvFile("name,email"), 422, "The file has a header row but no rows of data", nil},
		{"open quote", "owners", csvFile("name,email", `"Ann,ann@example.com`), 422, "Row 2 could not be read", nil},
		{"too many rows", "owners", csvFile(many...), 422, "The file has more than 50,000 rows", nil},
		{"over 20 MB", "owners", big, http.StatusRequestEntityTooLarge, "An import file can be at most 20 MB", nil},
		{"over the body limit", "owners", bytes.Repeat(big, 2), http.StatusRequestEntityTooLarge, "An import file can be at most 20 MB", nil},
		// Over the 1 MiB limit of other forms: the file reaches the import
		// and its too-long cell is refused by the row's validation.
		{"over 1 MiB", "owners", []byte("name,notes\nLong Notes," + strings.Repeat("x", 2<<20) + "\n"), 422,
			"At most 10000 characters", []string{"2:notes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := app.importSnapshot()
			r := c.upload("/"+tc.kind+"/import", tc.name+".csv", tc.file)
			if r.status != tc.status || !strings.Contains(r.body, tc.message) {
				t.Errorf("status %d (want %d), message %q shown: %v", r.status, tc.status, tc.message, strings.Contains(r.body, tc.message))
			}
			if got := rowErrors(r.body); tc.errors != nil && !slices.Equal(got, tc.errors) {
				t.Errorf("errors = %v, want %v", got, tc.errors)
			}
			if strings.Contains(r.body, "db: ") {
				t.Errorf("the page shows an internal error")
			}
			if len(tagsWith(r.body, "import-confirm")) != 0 {
				t.Errorf("a bad file is offered for import")
			}
			if got := app.importSnapshot(); got != before {
				t.Errorf("a bad file wrote to the database")
			}
		})
	}
	t.Run("confirm form over 1 MiB", func(t *testing.T) {
		r := c.post("/owners/import/apply", url.Values{"import": {strings.Repeat("x", 2<<20)}})
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "That was too large") {
			t.Errorf("status %d: only the upload may exceed 1 MiB", r.status)
		}
	})
	t.Run("no file", func(t *testing.T) {
		r := c.post("/owners/import", url.Values{})
		if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{"file"}) {
			t.Errorf("upload without a file: status %d, errors %v", r.status, fieldErrors(r.body))
		}
	})
}

func TestImportOtherKindsResolveReferences(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	ops := app.createOwner("Olga Ops", "olga@example.com")
	apply := func(kind, file string) {
		t.Helper()
		r := c.upload("/"+kind+"/import", kind+".csv", []byte(file))
		if r.status != http.StatusOK {
			t.Fatalf("%s preview: status %d, errors %v", kind, r.status, rowErrors(r.body))
		}
		if r := c.confirmImport(r); r.status != http.StatusSeeOther || r.location() != "/"+kind {
			t.Fatalf("%s apply: status %d, location %q", kind, r.status, r.location())
		}
	}

	apply("accounts", "name,platform,kind,external_id,parent_id,owner_id,criticality\n"+
		"Acme BM,Meta,Business Manager,111,,olga@example.com,High\n"+
		"Acme Ads,Meta,Ad account,act_222,Acme BM,,\n"+ // parent by exact name, added a row earlier
		"Acme GitHub,GitHub,Organization,,,"+id(ops)+",\n")
	bm := app.count("SELECT id FROM accounts WHERE external_id = '111'")
	if got := app.text("SELECT owner_id || '|' || criticality FROM accounts WHERE id = ?", bm); got != id(ops)+"|high" {
		t.Errorf("Acme BM = %q", got)
	}
	if n := app.count("SELECT parent_id FROM accounts WHERE external_id = 'act_222'"); n != bm {
		t.Errorf("Acme Ads parent = %d, want %d", n, bm)
	}

	apply("integrations", "name,runs_on,responsible_owner_id\nCRM sync,Zapier,olga@example.com\n")
	apply("system-users", "name,account_id,external_id,admin,integration_id,responsible_owner_id\n"+
		"Sync bot,111,9001,yes,CRM sync,olga@example.com\n") // account by external ID
	bot := app.count("SELECT id FROM system_users WHERE name = 'Sync bot'")
	if got := app.text("SELECT account_id || '|' || admin || '|' || integration_id || '|' || owner_id FROM system_users WHERE id = ?", bot); got != id(bm)+"|1|"+
		id(app.count("SELECT id FROM integrations WHERE name = 'CRM sync'"))+"|"+id(ops) {
		t.Errorf("Sync bot = %q", got)
	}

	apply("roles", "account_id,owner_id,system_user_id,role,admin\n"+
		"Acme BM,olga@example.com,,Admin,1\n"+
		"Acme BM,,Sync bot,Employee,0\n")
	if n := app.count("SELECT COUNT(*) FROM roles WHERE account_id = ? AND owner_id = ? AND role = 'Admin' AND admin = 1", bm, ops); n != 1 {
		t.Errorf("Olga's admin role: %d", n)
	}
	// The same grant again, differently cased, updates it instead of adding another.
	apply("roles", "account_id,owner_id,role,admin,notes\nAcme BM,OLGA@example.com,admin,1,Checked in March\n")
	if n := app.count("SELECT COUNT(*) FROM roles WHERE owner_id = ?", ops); n != 1 {
		t.Errorf("Olga's roles after re-importing the grant = %d, want 1", n)
	}

	apply("tokens", "name,kind,account_id,system_user_id,responsible_owner_id,created_by_owner_id,expires_on\n"+
		"CRM token,System_User_Token,Acme BM,Sync bot,olga@example.com,olga@example.com,\n")
	if got := app.text("SELECT kind || '|' || account_id || '|' || system_user_id || '|' || expires_on || '|' || fingerprint FROM tokens WHERE name = 'CRM token'"); got != "system_user_token|"+id(bm)+"|"+id(bot)+"||" {
		t.Errorf("CRM token = %q", got)
	}
	for _, action := range []string{"account.created", "integration.created", "system_user.created", "role.created", "role.updated", "token.created"} {
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = ?", action); n == 0 {
			t.Errorf("no %s event", action)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'import.applied'"); n != 6 {
		t.Errorf("import.applied events = %d, want 6", n)
	}

	// An id column wins over the name, and an ambiguous name is refused.
	app.createAccount("Acme BM", "GitHub")
	r := c.upload("/roles/import", "ambiguous.csv", csvFile("account_id,owner_id,role", "Acme BM,olga@example.com,Viewer"))
	if r.status != http.StatusUnprocessableEntity || !slices.Equal(rowErrors(r.body), []string{"2:account_id"}) || !strings.Contains(r.body, "write the one you mean as #ID") {
		t.Errorf("ambiguous account: status %d, errors %v", r.status, rowErrors(r.body))
	}
	apply("accounts", "id,name,platform\n"+id(bm)+",Acme Business Manager,Meta\n")
	if got := app.text("SELECT name FROM accounts WHERE id = ?", bm); got != "Acme Business Manager" {
		t.Errorf("renamed by id: %q", got)
	}
}

func TestImportAnExportedList(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	boss := app.createOwner("Bea Boss", "bea@example.com")
	if _, err := app.store.CreateOwner(t.Context(), db.SystemActor("test"), db.OwnerInput{Name: "-Minus Person", Email: "minus@example.com",
		ManagerID: id(boss), Notes: "=SUM(A1:A9)\nsecond line", Status: db.OwnerOffboarding, LeavingOn: "2030-06-30"}); err != nil {
		t.Fatal(err)
	}
	owners := `SELECT json_group_array(json_array(id, name, email, title, department, manager_id, status, leaving_on, notes, updated_at)) FROM owners`
	before := app.text(owners)

	export := c.get("/owners/export.csv")
	if export.status != http.StatusOK || !strings.Contains(export.body, "'-Minus Person") {
		t.Fatalf("export: status %d, body %q", export.status, export.body)
	}
	r := c.upload("/owners/import", "steward-owners.csv", []byte(export.body))
	if r.status != http.StatusOK {
		t.Fatalf("importing the export: status %d, errors %v", r.status, rowErrors(r.body))
	}
	if create, update, problems := previewCounts(t, r); create != 0 || update != 0 || problems != 0 ||
		tagsWith(r.body, "import-preview")[0]["data-unchanged"] != "2" {
		t.Errorf("preview of an unedited export: create %d, update %d, problems %d, want every row unchanged", create, update, problems)
	}
	if r := c.confirmImport(r); r.status != http.StatusSeeOther {
		t.Fatalf("apply: status %d", r.status)
	}
	if got := app.text(owners); got != before {
		t.Errorf("re-importing an export changed the owners:\nbefore %s\nafter  %s", before, got)
	}
}

func TestImportForbiddenToViewers(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	before := app.importSnapshot()
	for _, kind := range []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"} {
		for _, r := range []response{
			c.get("/" + kind + "/import"),
			c.get("/" + kind + "/import/template.csv"),
			c.upload("/"+kind+"/import", "x.csv", csvFile("name", "Someone")),
			c.post("/"+kind+"/import/apply", url.Values{"import": {"x"}, "sha256": {"y"}}),
		} {
			if r.status != http.StatusForbidden {
				t.Errorf("viewer on /%s/import…: status %d, want 403", kind, r.status)
			}
		}
	}
	if got := app.importSnapshot(); got != before {
		t.Errorf("a viewer's import wrote to the database")
	}
	// Anonymous visitors are sent to sign in.
	if r := app.newClient().get("/owners/import"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("anonymous GET /owners/import: status %d, location %q", r.status, r.location())
	}
}

// TestImportManyOwnersTimed times the preview and apply of 10,000 owner
// rows, logging the times rather than asserting them; under the race
// detector, which slows it several times over, it takes 2,000.
func TestImportManyOwnersTimed(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of rows")
	}
	t.Parallel()
	rows := 10_000
	if raceEnabled {
		rows = 2_000
	}
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	for i := range 100 {
		app.createOwner(fmt.Sprintf("Existing %d", i), fmt.Sprintf("person%d@example.com", i))
	}
	var b strings.Builder
	b.WriteString("name,email,title,department,manager_id,status,notes\n")
	for i := range rows {
		manager := ""
		if i > 0 {
			manager = fmt.Sprintf("person%d@example.com", i/10)
		}
		fmt.Fprintf(&b, "Person %d,person%d@example.com,Engineer,Dept %d,%s,active,\"imported\nrow %d\"\n", i, i, i%20, manager, i)
	}

	start := time.Now()
	r := c.upload("/owners/import", "big.csv", []byte(b.String()))
	preview := time.Since(start)
	if r.status != http.StatusOK {
		t.Fatalf("preview: status %d, errors %v", r.status, rowErrors(r.body)[:min(10, len(rowErrors(r.body)))])
	}
	if create, update, _ := previewCounts(t, r); create != rows-100 || update != 100 {
		t.Errorf("preview counts: create %d, update %d", create, update)
	}
	start = time.Now()
	r = c.confirmImport(r)
	apply := time.Since(start)
	if r.status != http.StatusSeeOther {
		t.Fatalf("apply: status %d", r.status)
	}
	t.Logf("%d owner rows (%d KB): preview %v, apply %v", rows, b.Len()/1024, preview.Round(time.Millisecond), apply.Round(time.Millisecond))
	if n := app.count("SELECT COUNT(*) FROM owners"); n != int64(rows) {
		t.Errorf("owners = %d, want %d", n, rows)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action IN ('owner.created', 'owner.updated')"); n != int64(100+rows) {
		t.Errorf("owner events = %d, want %d", n, 100+rows)
	}
	if n := app.count("SELECT COUNT(*) FROM owners WHERE manager_id IS NULL"); n != 1 {
		t.Errorf("owners without a manager = %d, want 1", n)
	}
}

// previewRow is the HTML of the preview's row for spreadsheet row n.
func previewRow(t *testing.T, body string, n int) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, `data-row="`+strconv.Itoa(n)+`" data-action=`)
	row, _, _ := strings.Cut(rest, "</tr>")
	if !ok {
		t.Fatalf("the preview has no row %d", n)
	}
	return row
}

// TestImportPreviewShowsEachChange: an update row that changes a title and
// leaves the manager cell blank shows both changes, before → after, the
// manager as cleared; a row that changes nothing says so; applying the file
// writes exactly what the preview showed.
func TestImportPreviewShowsEachChange(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	kenji := app.createOwner("Kenji Watanabe", "kenji@example.com")
	dana := app.createOwner("Dana Reyes", "dana@example.com")
	if err := app.store.Exec(t.Context(), "UPDATE owners SET title = 'Analyst', manager_id = ? WHERE id = ?", kenji, dana); err != nil {
		t.Fatal(err)
	}
	r := c.upload("/owners/import", "people.csv", csvFile(
		"email,title,manager_id",
		"dana@example.com,Lead analyst,",
		"kenji@example.com,,",
	))
	if create, update, problems := previewCounts(t, r); create != 0 || update != 1 || problems != 0 {
		t.Fatalf("preview counts: create %d, update %d, problems %d; want 0, 1, 0", create, update, problems)
	}
	row := html.UnescapeString(previewRow(t, r.body, 2))
	for _, want := range []string{`data-field="title"`, "Analyst</del> →", "Lead analyst", `data-field="manager"`,
		"Kenji Watanabe (#" + id(kenji) + ")</del> →", "(cleared)"} {
		if !strings.Contains(row, want) {
			t.Errorf("the preview's update row lacks %q:\n%s", want, row)
		}
	}
	if row := previewRow(t, r.body, 3); !strings.Contains(row, "no changes") || strings.Contains(row, `data-testid="change"`) {
		t.Errorf("the preview's unchanged row does not say it changes nothing:\n%s", row)
	}

	if r := c.confirmImport(r); r.status != http.StatusSeeOther {
		t.Fatalf("apply: status %d", r.status)
	}
	if got := app.text("SELECT title || '|' || COALESCE(manager_id, 'none') FROM owners WHERE id = ?", dana); got != "Lead analyst|none" {
		t.Errorf("updated owner = %q, want the new title and no manager", got)
	}
	want := `[{"field":"title","before":"Analyst","after":"Lead analyst"},{"field":"manager","before":"Kenji Watanabe (#` + id(kenji) + `)","after":""}]`
	if got := app.text("SELECT group_concat(changes, ';') FROM audit_events WHERE action = 'owner.updated' AND record_id = ?", dana); got != want {
		t.Errorf("the update's audit changes = %s, want what the preview showed: %s", got, want)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'owner.updated' AND record_id = ?", kenji); n != 0 {
		t.Errorf("the unchanged row wrote %d events", n)
	}
}
