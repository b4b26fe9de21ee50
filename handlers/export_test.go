package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"steward/db"
)

// parseCSV checks an export's framing (BOM, CRLF) and parses it into the
// header and rows keyed by column name.
func parseCSV(t *testing.T, body string) ([]string, []map[string]string) {
	t.Helper()
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatalf("CSV does not start with a UTF-8 BOM: %q", body[:min(len(body), 20)])
	}
	body = strings.TrimPrefix(body, "\uFEFF")
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Errorf("CSV lines do not all end in CRLF")
	}
	r := csv.NewReader(strings.NewReader(body))
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, body)
	}
	if len(records) == 0 {
		t.Fatal("CSV has no header")
	}
	header := records[0]
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, v := range rec {
			row[header[i]] = v
		}
		rows = append(rows, row)
	}
	return header, rows
}

// parseJSON parses a list export.
func parseJSON(t *testing.T, body string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, body)
	}
	return rows
}

// expectAttachment checks an export's status and download headers.
func expectAttachment(t *testing.T, r response, contentType, filename string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %.300s", r.status, r.body)
	}
	if got := r.header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	if got, want := r.header.Get("Content-Disposition"), `attachment; filename="`+filename+`"`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
}

// ownerContract is the owners export's columns: the contract's field names
// first, then the read-only labels.
var ownerContract = []string{"id", "name", "email", "title", "department", "manager_id", "status", "leaving_on", "notes"}

func TestExportOwnersEscapesForSpreadsheets(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	ctx := context.Background()
	names := map[string]string{ // stored name → what the CSV cell holds
		`=HYPERLINK("http://x")`: `'=HYPERLINK("http://x")`,
		"+1":                     "'+1",
		"-2":                     "'-2",
		"@cmd":                   "'@cmd",
		`Smith, "Jr."`:           `Smith, "Jr."`,
		"Zoë Ångström 李小龍 🚀":     "Zoë Ångström 李小龍 🚀",
		"Plain Name":             "Plain Name",
	}
	ids := map[string]int64{}
	for name := range names {
		ids[name] = app.createOwner(name, "")
	}
	// Notes may hold newlines and quotes; a leading tab or carriage return
	// cannot come through the forms (they trim), so put them in directly.
	multiline := "line one\nline \"two\", with a comma\r\nline three"
	if err := app.store.UpdateOwner(ctx, db.SystemActor("test"), ids["Plain Name"], db.OwnerInput{Name: "Plain Name", Notes: multiline}); err != nil {
		t.Fatal(err)
	}
	if err := app.store.Exec(ctx, "UPDATE owners SET notes = char(9) || '=1+2' WHERE id = ?", ids["+1"]); err != nil {
		t.Fatal(err)
	}
	if err := app.store.Exec(ctx, "UPDATE owners SET notes = char(13) || 'cr' WHERE id = ?", ids["-2"]); err != nil {
		t.Fatal(err)
	}
	manager := app.createOwner("Boss", "boss@example.com")
	if err := app.store.UpdateOwner(ctx, db.SystemActor("test"), ids["@cmd"], db.OwnerInput{Name: "@cmd", ManagerID: id(manager)}); err != nil {
		t.Fatal(err)
	}
	today := app.store.Today()
	c := app.signedIn("viewer@example.com")

	r := c.get("/owners/export.csv")
	expectAttachment(t, r, "text/csv; charset=utf-8", "steward-owners-"+today+".csv")
	header, rows := parseCSV(t, r.body)
	if !slices.Equal(header[:len(ownerContract)], ownerContract) {
		t.Errorf("CSV header starts %v, want the contract's %v", header, ownerContract)
	}
	if want := append(slices.Clone(ownerContract), exportOnly("owner")...); !slices.Equal(header, want) {
		t.Errorf("CSV header = %v, want %v", header, want)
	}
	if len(rows) != len(names)+1 {
		t.Fatalf("CSV has %d rows, want %d", len(rows), len(names)+1)
	}
	byID := map[string]map[string]string{}
	for _, row := range rows {
		byID[row["id"]] = row
	}
	for name, cell := range names {
		row := byID[id(ids[name])]
		if row["name"] != cell {
			t.Errorf("CSV name of owner %q = %q, want %q", name, row["name"], cell)
		}
	}
	if got := byID[id(ids["Plain Name"])]["notes"]; got != "line one\nline \"two\", with a comma\nline three" {
		// encoding/csv turns a quoted \r\n into \n, as RFC 4180 readers do.
		t.Errorf("multi-line notes came back as %q", got)
	}
	if got := byID[id(ids["+1"])]["notes"]; got != "'\t=1+2" {
		t.Errorf("notes starting with a tab = %q, want the quote prefix", got)
	}
	// encoding/csv's CRLF mode writes line breaks as CRLF and drops a lone
	// CR; the cell still gets its quote prefix.
	if got := byID[id(ids["-2"])]["notes"]; got != "'cr" {
		t.Errorf("notes starting with a carriage return = %q, want the quote prefix", got)
	}
	if row := byID[id(ids["@cmd"])]; row["manager_id"] != id(manager) || row["manager_name"] != "Boss" || row["status"] != "active" {
		t.Errorf("@cmd row = %v, want manager %d (Boss), active", row, manager)
	}
	if got := byID[id(ids["Plain Name"])]["manager_id"]; got != "" {
		t.Errorf("no manager exports as %q, want empty", got)
	}

	r = c.get("/owners/export.json")
	expectAttachment(t, r, "application/json; charset=UTF-8", "steward-owners-"+today+".json")
	objects := parseJSON(t, r.body)
	if len(objects) != len(names)+1 {
		t.Fatalf("JSON has %d objects, want %d", len(objects), len(names)+1)
	}
	jsonByID := map[int64]map[string]any{}
	for _, o := range objects {
		jsonByID[int64(o["id"].(float64))] = o
	}
	for name := range names {
		if got := jsonByID[ids[name]]["name"]; got != name {
			t.Errorf("JSON name = %q, want the raw %q", got, name)
		}
	}
	if got := jsonByID[ids["Plain Name"]]["notes"]; got != multiline {
		t.Errorf("JSON notes = %q, want %q", got, multiline)
	}
	if got := jsonByID[ids["+1"]]["notes"]; got != "\t=1+2" {
		t.Errorf("JSON notes = %q, want the raw value", got)
	}
	if got, ok := jsonByID[ids["Plain Name"]]["manager_id"]; !ok || got != nil {
		t.Errorf("JSON manager_id with no manager = %v (present %v), want null", got, ok)
	}
	if got := jsonByID[ids["@cmd"]]["manager_id"]; got != float64(manager) {
		t.Errorf("JSON manager_id = %v, want %d", got, manager)
	}
	// Keys come in column order.
	first := r.body[strings.Index(r.body, "{"):]
	if !strings.HasPrefix(first, `{"id":`) || strings.Index(first, `"name":`) > strings.Index(first, `"email":`) {
		t.Errorf("JSON keys are not in column order: %.200s", first)
	}
}

func TestExportOwnersRespectsFilters(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	ctx := context.Background()
	ada := app.createOwner("Ada Lovelace", "ada@example.com")
	app.createOwner("Adam Active", "adam@example.com")
	gone := app.createOwner("Adele Departed", "adele@example.com")
	app.createOwner("Grace Hopper", "grace@example.com")
	if err := app.store.UpdateOwner(ctx, db.SystemActor("test"), gone, db.OwnerInput{Name: "Adele Departed", Email: "adele@example.com", Status: "departed"}); err != nil {
		t.Fatal(err)
	}
	c := app.signedIn("viewer@example.com")

	names := func(rows []map[string]string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r["name"])
		}
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"Ada Lovelace", "Adam Active", "Adele Departed", "Grace Hopper"}},
		{"?q=ad", []string{"Ada Lovelace", "Adam Active", "Adele Departed"}},
		{"?q=ad&status=active", []string{"Ada Lovelace", "Adam Active"}},
		{"?status=departed", []string{"Adele Departed"}},
		{"?q=ad&sort=name&desc=1", []string{"Adele Departed", "Adam Active", "Ada Lovelace"}},
		{"?q=nobody", nil},
		// Paging does not apply: an export is every matching row.
		{"?page=2", []string{"Ada Lovelace", "Adam Active", "Adele Departed", "Grace Hopper"}},
	} {
		r := c.get("/owners/export.csv" + tt.query)
		_, rows := parseCSV(t, r.body)
		if got := names(rows); !slices.Equal(got, tt.want) {
			t.Errorf("export.csv%s = %v, want %v", tt.query, got, tt.want)
		}
		r = c.get("/owners/export.json" + tt.query)
		var got []string
		for _, o := range parseJSON(t, r.body) {
			got = append(got, o["name"].(string))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("export.json%s = %v, want %v", tt.query, got, tt.want)
		}
	}
	if r := c.get("/owners/export.json?q=nobody"); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("an empty JSON export is %q, want []", r.body)
	}
	_ = ada
}

// TestExportStreamsEveryRow exports more rows than a list page holds.
func TestExportStreamsEveryRow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	const n = 2500
	if err := app.store.Exec(context.Background(), `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO owners (name, email, created_at, updated_at)
		SELECT printf('Bulk %05d', i), printf('bulk%d@example.com', i), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM seq`, n); err != nil {
		t.Fatal(err)
	}
	c := app.signedIn("viewer@example.com")
	_, rows := parseCSV(t, c.get("/owners/export.csv").body)
	if len(rows) != n {
		t.Fatalf("CSV export has %d rows, want all %d", len(rows), n)
	}
	for i, row := range rows {
		if want := fmt.Sprintf("Bulk %05d", i+1); row["name"] != want {
			t.Fatalf("row %d is %q, want %q (sorted by name)", i, row["name"], want)
		}
	}
	if got := len(parseJSON(t, c.get("/owners/export.json").body)); got != n {
		t.Errorf("JSON export has %d objects, want %d", got, n)
	}
}

func TestExportTokensRespectsFiltersAndHoldsNoSecret(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	ctx := context.Background()
	ada := app.createOwner("Ada", "ada@example.com")
	bob := app.createOwner("Bob", "bob@example.com")
	meta := app.createAccount("Acme BM", "Meta")
	gh := app.createAccount("Acme org", "GitHub")
	const secret = "EAAB-very-secret-token-value-1234"
	today := app.store.Today()
	soon := app.store.Now().AddDate(0, 0, 10).Format("2006-01-02")
	token := func(name string, account, responsible int64, expires, value string) int64 {
		saved, err := app.store.CreateToken(ctx, db.SystemActor("test"), db.TokenInput{Name: name, Kind: "api_key",
			AccountID: id(account), ResponsibleOwnerID: id(responsible), ExpiresOn: expires, Secret: value, Scopes: "-ads_read"})
		if err != nil {
			t.Fatalf("CreateToken(%s): %v", name, err)
		}
		return saved.ID
	}
	never := token("Meta never", meta, ada, "", secret)
	token("Meta soon", meta, bob, soon, "")
	token("GitHub never", gh, bob, "", "")
	c := app.signedIn("viewer@example.com")

	r := c.get("/tokens/export.csv")
	expectAttachment(t, r, "text/csv; charset=utf-8", "steward-tokens-"+today+".csv")
	if strings.Contains(r.body, secret) || strings.Contains(c.get("/tokens/export.json").body, secret) {
		t.Fatal("a token export holds the token's value")
	}
	header, rows := parseCSV(t, r.body)
	contract := []string{"id", "name", "kind", "account_id", "system_user_id", "owner_id", "integration_id", "responsible_owner_id",
		"created_by_owner_id", "scopes", "assets", "issued_on", "expires_on", "last_rotated_on", "last_reviewed_on", "stored_in",
		"status", "notes"}
	if want := append(contract, exportOnly("token")...); !slices.Equal(header, want) {
		t.Errorf("tokens header = %v, want %v", header, want)
	}
	for _, row := range rows {
		if row["id"] == id(never) {
			if row["fingerprint"] != db.Fingerprint(secret) || row["last_four"] != "1234" || row["account_name"] != "Acme BM" ||
				row["responsible_owner_name"] != "Ada" || row["scopes"] != "'-ads_read" || row["effective_status"] != "active" {
				t.Errorf("token row = %v", row)
			}
		}
	}

	names := func(query string) []string {
		var out []string
		_, rows := parseCSV(t, c.get("/tokens/export.csv"+query).body)
		for _, r := range rows {
			out = append(out, r["name"])
		}
		return out
	}
	for query, want := range map[string][]string{
		"?platform=Meta":                   {"Meta never", "Meta soon"},
		"?expiry=never":                    {"GitHub never", "Meta never"},
		"?expiry=soon":                     {"Meta soon"},
		"?responsible_owner_id=" + id(bob): {"GitHub never", "Meta soon"},
		"?platform=Meta&responsible_owner_id=" + id(bob): {"Meta soon"},
		"?q=github":       {"GitHub never"},
		"?status=revoked": nil,
	} {
		if got := names(query); !slices.Equal(got, want) {
			t.Errorf("tokens export%s = %v, want %v", query, got, want)
		}
	}
}

// oneOfEachKind adds an owner, an account, a role, an integration and a
// system user, and returns their IDs but the role's.
func oneOfEachKind(app *testApp) (owner, account, integration, systemUser int64) {
	owner = app.createOwner("Ada", "ada@example.com")
	account = app.createAccount("Acme BM", "Meta")
	app.createRole(account, owner, "Admin")
	integration = app.createIntegrationFor("CRM sync", owner)
	systemUser = app.createSystemUserIn("crm-bot", account)
	return owner, account, integration, systemUser
}

// TestExportEveryKind checks each list's export answers with its own
// contract columns and rows.
func TestExportEveryKind(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	ada, acct, integ, su := oneOfEachKind(app)
	c := app.signedIn("viewer@example.com")
	today := app.store.Today()
	for _, tt := range []struct {
		kind, record string
		contract     []string
		id           int64
	}{
		{"accounts", "account", []string{"id", "name", "platform", "kind", "external_id", "url", "parent_id", "owner_id", "criticality", "status", "notes"}, acct},
		{"roles", "role", []string{"id", "account_id", "owner_id", "system_user_id", "role", "admin", "granted_on", "granted_by", "review_by", "status", "notes"}, 0},
		{"system-users", "system_user", []string{"id", "name", "account_id", "external_id", "admin", "responsible_owner_id", "integration_id", "status", "notes"}, su},
		{"integrations", "integration", []string{"id", "name", "description", "runs_on", "responsible_owner_id", "status", "notes"}, integ},
	} {
		r := c.get("/" + tt.kind + "/export.csv")
		expectAttachment(t, r, "text/csv; charset=utf-8", "steward-"+tt.kind+"-"+today+".csv")
		header, rows := parseCSV(t, r.body)
		if want := append(slices.Clone(tt.contract), exportOnly(tt.record)...); !slices.Equal(header, want) {
			t.Errorf("%s header = %v, want %v", tt.kind, header, want)
		}
		if len(rows) != 1 || (tt.id != 0 && rows[0]["id"] != id(tt.id)) {
			t.Errorf("%s rows = %v, want the one record", tt.kind, rows)
		}
		r = c.get("/" + tt.kind + "/export.json")
		expectAttachment(t, r, "application/json; charset=UTF-8", "steward-"+tt.kind+"-"+today+".json")
		if objs := parseJSON(t, r.body); len(objs) != 1 || len(objs[0]) != len(header) {
			t.Errorf("%s JSON = %v, want one object with %d keys", tt.kind, objs, len(header))
		}
	}
	_, roles := parseCSV(t, c.get("/roles/export.csv").body)
	if r := roles[0]; r["admin"] != "0" || r["owner_id"] != id(ada) || r["system_user_id"] != "" || r["account_name"] != "Acme BM" || r["holder_name"] != "Ada" {
		t.Errorf("role row = %v", r)
	}
	roleJSON := parseJSON(t, c.get("/roles/export.json").body)[0]
	if roleJSON["admin"] != false || roleJSON["system_user_id"] != nil {
		t.Errorf("role JSON = %v, want admin false and system_user_id null", roleJSON)
	}
}

// TestListExportLinksFollowTheFilters: the toolbar's export links carry the
// list's filters, on the full page and, out of band, on htmx's list swaps.
func TestListExportLinksFollowTheFilters(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	app.createUser("editor@example.com", db.RoleEditor)
	app.createOwner("Ada", "ada@example.com")
	viewer := app.signedIn("viewer@example.com")

	links := func(body string) (string, string) {
		var csvHref, jsonHref string
		for _, a := range tagsWith(body, "list-export-csv") {
			csvHref = a["href"]
		}
		for _, a := range tagsWith(body, "list-export-json") {
			jsonHref = a["href"]
		}
		return strings.ReplaceAll(csvHref, "&amp;", "&"), strings.ReplaceAll(jsonHref, "&amp;", "&")
	}
	r := viewer.get("/owners?q=ada&status=active&page=2")
	if csvHref, jsonHref := links(r.body); csvHref != "/owners/export.csv?q=ada&status=active" || jsonHref != "/owners/export.json?q=ada&status=active" {
		t.Errorf("full page export links = %q, %q", csvHref, jsonHref)
	}
	if len(tagsWith(r.body, "list-import")) != 0 {
		t.Error("a viewer sees the Import link")
	}
	r = viewer.get("/owners?q=ad&sort=email", asHTMX("list"))
	if !strings.Contains(r.body, `id="list-export"`) || !strings.Contains(r.body, `data-hx-swap-oob="true"`) {
		t.Fatalf("the list fragment does not refresh the export links out of band:\n%s", r.body)
	}
	if csvHref, _ := links(r.body); csvHref != "/owners/export.csv?q=ad&sort=email" {
		t.Errorf("fragment export link = %q", csvHref)
	}
	r = viewer.get("/tokens?platform=Meta&expiry=never&q=x")
	if csvHref, _ := links(r.body); csvHref != "/tokens/export.csv?q=x&expiry=never&platform=Meta" {
		t.Errorf("tokens export link = %q, want every filter", csvHref)
	}
	editor := app.signedIn("editor@example.com")
	for _, kind := range []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"} {
		imports := tagsWith(editor.get("/"+kind).body, "list-import")
		if len(imports) != 1 || imports[0]["href"] != "/"+kind+"/import" {
			t.Errorf("%s: editor's Import link = %v", kind, imports)
		}
	}
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	app.createUser("viewer@example.com", db.RoleViewer)
	app.createOwner("=cmd|' /C calc'!A0", "")
	app.createOwner("Grace", "")
	admin := app.signedIn("admin@example.com")
	today := app.store.Today()

	r := admin.get("/audit/export.csv?action=owner.created")
	expectAttachment(t, r, "text/csv; charset=utf-8", "steward-audit-"+today+".csv")
	header, rows := parseCSV(t, r.body)
	want := []string{"id", "at", "actor", "user_id", "ip", "action", "record_kind", "record_id", "summary", "changes", "prev_hash", "hash"}
	if !slices.Equal(header, want) {
		t.Errorf("audit header = %v, want %v", header, want)
	}
	if len(rows) != 2 || rows[0]["summary"] != "Created owner Grace" || rows[1]["summary"] != "Created owner =cmd|' /C calc'!A0" {
		t.Fatalf("filtered audit rows = %v, want the two owner.created events, newest first", rows)
	}
	stored := app.text("SELECT hash FROM audit_events WHERE id = ?", rows[0]["id"])
	if rows[0]["hash"] != stored || rows[0]["action"] != "owner.created" || rows[0]["record_kind"] != "owner" {
		t.Errorf("audit row = %v, want the stored event (hash %s)", rows[0], stored)
	}
	var changes []db.Change
	if err := json.Unmarshal([]byte(rows[1]["changes"]), &changes); err != nil || len(changes) == 0 || changes[0].After != "=cmd|' /C calc'!A0" {
		t.Errorf("changes cell %q does not hold the JSON changes (%v)", rows[1]["changes"], err)
	}

	r = admin.get("/audit/export.json?action=owner.created")
	expectAttachment(t, r, "application/json; charset=UTF-8", "steward-audit-"+today+".json")
	events := parseJSON(t, r.body)
	if len(events) != 2 {
		t.Fatalf("audit JSON has %d events, want 2", len(events))
	}
	if ch, ok := events[1]["changes"].([]any); !ok || len(ch) == 0 {
		t.Errorf("JSON changes = %v, want an array", events[1]["changes"])
	}
	if idNum, _ := strconv.ParseInt(rows[0]["id"], 10, 64); events[0]["id"] != float64(idNum) {
		t.Errorf("JSON and CSV disagree on the newest event: %v vs %v", events[0]["id"], rows[0]["id"])
	}

	// Every event without filters; a bad date is refused.
	if _, all := parseCSV(t, admin.get("/audit/export.csv").body); int64(len(all)) != app.count("SELECT COUNT(*) FROM audit_events") {
		t.Errorf("unfiltered audit export has %d rows, want every event", len(all))
	}
	if r := admin.get("/audit/export.csv?from=yesterday"); r.status != http.StatusBadRequest {
		t.Errorf("bad date: status %d, want 400", r.status)
	}
}

func TestExportEverything(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	ada, _, _, _ := oneOfEachKind(app)
	const secret = "ghp_never-in-an-export-9876"
	if _, err := app.store.CreateToken(context.Background(), db.SystemActor("test"), db.TokenInput{Name: "CI token", Kind: "personal_access_token",
		OwnerID: id(ada), ResponsibleOwnerID: id(ada), Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if err := app.store.AddStandingItem(context.Background(), db.SystemActor("test"), "owner", "Collect the laptop"); err != nil {
		t.Fatal(err)
	}
	admin := app.signedIn("admin@example.com")

	r := admin.get("/export.json")
	expectAttachment(t, r, "application/json; charset=UTF-8", "steward-export-"+app.store.Today()+".json")
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &all); err != nil {
		t.Fatalf("export.json does not parse: %v\n%s", err, r.body)
	}
	for key, want := range map[string]int{"owners": 1, "accounts": 1, "roles": 1, "system_users": 1, "integrations": 1, "tokens": 1,
		"standing_items": 1, "users": 1} {
		var rows []map[string]any
		if err := json.Unmarshal(all[key], &rows); err != nil || len(rows) != want {
			t.Errorf("%s = %s (%v), want %d rows", key, all[key], err, want)
		}
	}
	var users []map[string]any
	json.Unmarshal(all["users"], &users)
	if users[0]["email"] != "admin@example.com" || users[0]["role"] != "admin" {
		t.Errorf("users = %v", users)
	}
	for _, leak := range []string{secret, "argon2", "password", "session", app.text("SELECT password_hash FROM users")} {
		if strings.Contains(r.body, leak) {
			t.Errorf("export.json contains %q", leak)
		}
	}
	if !strings.Contains(string(all["exported_at"]), "T") {
		t.Errorf("exported_at = %s", all["exported_at"])
	}
}

func TestExportAdminOnlyEndpointsRefuseOthers(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	app.createUser("editor@example.com", db.RoleEditor)
	app.createOwner("Ada", "ada@example.com")
	for _, who := range []string{"viewer@example.com", "editor@example.com"} {
		c := app.signedIn(who)
		for _, p := range []string{"/export.json", "/audit/export.csv", "/audit/export.json", "/admin"} {
			r := c.get(p)
			if r.status != http.StatusForbidden {
				t.Errorf("%s GET %s: status %d, want 403", who, p, r.status)
			}
			if r.header.Get("Content-Disposition") != "" || strings.Contains(r.body, "Ada") {
				t.Errorf("%s GET %s: the refusal carries data", who, p)
			}
		}
		if r := c.post("/admin/audit/verify", nil); r.status != http.StatusForbidden {
			t.Errorf("%s POST /admin/audit/verify: status %d, want 403", who, r.status)
		}
		if r := c.post("/admin/backup", nil); r.status != http.StatusForbidden || r.header.Get("Content-Disposition") != "" {
			t.Errorf("%s POST /admin/backup: status %d, Content-Disposition %q; want 403 and no download", who, r.status, r.header.Get("Content-Disposition"))
		}
		// Lists are theirs to export.
		if r := c.get("/owners/export.csv"); r.status != http.StatusOK || !strings.Contains(r.body, "Ada") {
			t.Errorf("%s GET /owners/export.csv: status %d", who, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM settings WHERE key = 'audit_verified'"); n != 0 {
		t.Error("a refused verify recorded a verification")
	}
	// Signed out: sent to sign in, no data.
	r := app.newClient().get("/owners/export.csv")
	if r.status != http.StatusSeeOther || strings.Contains(r.body, "Ada") {
		t.Errorf("signed out GET /owners/export.csv: status %d", r.status)
	}
}

// TestExportColumnsMatchTheImport: a list's export starts with exactly the
// columns its import takes, in the same order, then the read-only columns
// an import skips, so an exported file is a filled-in import template.
func TestExportColumnsMatchTheImport(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("editor@example.com", db.RoleEditor)
	c := app.signedIn("editor@example.com")
	for _, k := range db.Kinds {
		template := strings.Split(strings.TrimSpace(c.get("/"+k.Path+"/import/template.csv").body), ",")
		want := append(append([]string{"id"}, template...), k.ExportOnly...)
		header, _ := parseCSV(t, c.get("/"+k.Path+"/export.csv").body)
		if !slices.Equal(header, want) {
			t.Errorf("%s export columns = %v\nwant the import's then the read-only ones: %v", k.Name, header, want)
		}
	}
}

// exportOnly are the read-only columns of kind's export.
func exportOnly(kind string) []string {
	k, _ := db.KindNamed(kind)
	return k.ExportOnly
}
