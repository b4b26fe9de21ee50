package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"steward/db"
)

func parse(t *testing.T, kind, file string) *db.ImportFile {
	t.Helper()
	f, err := db.ParseImport(kind, strings.NewReader(file))
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	return f
}

func TestParseImportNumbersRowsAsASpreadsheetDoes(t *testing.T) {
	t.Parallel()
	f := parse(t, "owner", "\xef\xbb\xbf Name , EMAIL,,notes\r\n"+
		"Ann,ann@example.com,,\"two\r\nlines\"\r\n"+ // row 2 spans two lines of the file
		"\r\n"+ // row 3 is blank
		",,,\r\n"+ // row 4 is blank too
		"Ben,ben@example.com,,\r\n"+ // row 5
		"Cat,cat@example.com,surprise,\r\n"+ // row 6: a value under a column with no name
		"Dan,dan@example.com\r\n"+ // row 7: ragged
		",,,\n,,,\n")
	if !slices.Equal(f.Columns, []string{"name", "email", "notes"}) {
		t.Errorf("columns = %q", f.Columns)
	}
	var rows []string
	for _, r := range f.Rows {
		rows = append(rows, fmt.Sprintf("%d %s|%s|%s", r.Number, r.Cells["name"], r.Cells["email"], r.Cells["notes"]))
	}
	if want := []string{"2 Ann|ann@example.com|two\nlines", "5 Ben|ben@example.com|"}; !slices.Equal(rows, want) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
	if f.Total != 4 {
		t.Errorf("Total = %d, want 4", f.Total)
	}
	want := []db.ImportProblem{
		{Row: 6, Column: "column C", Message: "This cell has a value, but its column has no name in the header row."},
		{Row: 7, Message: "This row has 2 cells but the header has 4 columns. Look for a stray comma or a missing quote mark."},
	}
	if !slices.Equal(f.Problems, want) {
		t.Errorf("problems = %+v", f.Problems)
	}
}

func TestParseImportReadsAnExport(t *testing.T) {
	t.Parallel()
	f := parse(t, "token", "id,name,kind,notes,fingerprint,last_four,account_name,created_at\n"+
		"7,'-leading minus,api_key,\"'=HYPERLINK(\"\"x\"\")\",abc123,wxyz,Main BM,2024-01-01\n"+
		"8,'plain quote,api_key,'@home,,,,\n")
	if !slices.Equal(f.Columns, []string{"id", "name", "kind", "notes"}) {
		t.Errorf("columns = %q: an export's own columns must be skipped", f.Columns)
	}
	want := []map[string]string{
		{"id": "7", "name": "-leading minus", "kind": "api_key", "notes": `=HYPERLINK("x")`},
		{"id": "8", "name": "'plain quote", "kind": "api_key", "notes": "@home"},
	}
	for i, r := range f.Rows {
		if !maps.Equal(r.Cells, want[i]) {
			t.Errorf("row %d cells = %q, want %q", r.Number, r.Cells, want[i])
		}
	}
}

func TestParseImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind, file, message string
	}{
		{"latin-1", "owner", "name\nJos\xe9\n", "The file is not UTF-8 text: save it as CSV UTF-8"},
		{"latin-1 line", "owner", "name\nAnn\nJos\xe9\n", "on line 3"},
		{"empty", "owner", "", "The file is empty"},
		{"only a BOM", "owner", "\xef\xbb\xbf", "The file is empty"},
		{"header only", "account", "name,platform\r\n,\r\n", "no rows of data"},
		{"nameless header", "owner", " , \nAnn,x\n", "The first row must name the columns"},
		{"duplicate column", "owner", "name,Name\nAnn,Ann\n", `The column "name" appears twice`},
		{"unknown column", "role", "account_id,role,colour\n1,Admin,red\n", `Unknown column: "colour". The columns for roles are: account_id, owner_id`},
		{"thousands of unknown columns", "owner", "name," + strings.Join(numbered("col", 5000), ",") + "\nAnn\n",
			`Unknown columns: "col1", "col2", "col3", "col4", "col5" and 4,995 more. The columns for owners are:`},
		{"a long unknown column", "owner", "name," + strings.Repeat("x", 5000) + "\nAnn,1\n",
			`Unknown column: "` + strings.Repeat("x", 40) + `…". The columns`},
		{"secret", "token", "name,kind,Secret\nx,api_key,y\n", "Steward does not import token values; register each value on the token's page"},
		{"bare quote", "owner", "name\nAnn \"the boss\" Lee\n", "Row 2 could not be read"},
		{"open quote", "owner", "name\nAnn\nBen\n\"Cat\n", "Row 4 could not be read"},
		{"too many rows", "owner", "name\n" + strings.Repeat("x\n", db.MaxImportRows+1), "more than 50,000 rows"},
		{"too large", "owner", "name\n" + strings.Repeat("x", db.MaxImportBytes), "over 20 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ParseImport(tc.kind, strings.NewReader(tc.file))
			var ierr *db.ImportError
			if !errors.As(err, &ierr) || !strings.Contains(ierr.Message, tc.message) {
				t.Errorf("err = %v, want an ImportError saying %q", err, tc.message)
			}
		})
	}
	if _, err := db.ParseImport("owner", strings.NewReader("name\n"+strings.Repeat("x\n", db.MaxImportRows))); err != nil {
		t.Errorf("exactly %d rows: %v", db.MaxImportRows, err)
	}
}

// TestImportTakesEveryColumn fills every column of every kind: each must
// reach its input field, and a preview must write nothing.
func TestImportTakesEveryColumn(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for _, kind := range db.ImportKinds {
		spec, ok := db.ImportSpecFor(kind)
		if !ok {
			t.Fatalf("no spec for %s", kind)
		}
		header := append([]string{"id"}, spec.Header()...)
		cells := make([]string, len(header))
		for i, c := range header {
			cells[i] = "value of " + c
		}
		f := parse(t, kind, strings.Join(header, ",")+"\n"+strings.Join(cells, ",")+"\n")
		before := events(t, s)
		res, err := s.PreviewImport(ctx, actor, f)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(res.Problems) == 0 || res.Problems[0].Column != "id" {
			t.Errorf("%s: problems = %+v, want the id column's first", kind, res.Problems)
		}
		if events(t, s) != before {
			t.Errorf("%s: the preview wrote events", kind)
		}
	}
}

func TestImportReferencesByIDOrKey(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	first, err := s.CreateAccount(ctx, actor, db.AccountInput{Name: "First", Platform: "Meta"})
	if err != nil {
		t.Fatal(err)
	}
	// A second account whose external ID is the first one's Steward ID.
	second, err := s.CreateAccount(ctx, actor, db.AccountInput{Name: "Second", Platform: "Meta", ExternalID: id(first)})
	if err != nil {
		t.Fatal(err)
	}
	owner, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "Olga", Email: "olga@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f := parse(t, "role", "account_id,owner_id,role\n"+
		id(first)+",olga@example.com,Ambiguous\n"+
		"#"+id(first)+",olga@example.com,By ID\n"+
		"Second,#"+id(owner)+",By name\n"+
		"#999,Olga,Missing\n")
	res, err := s.PreviewImport(ctx, actor, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []db.ImportProblem{
		{Row: 2, Column: "account_id", Message: fmt.Sprintf(`"%d" could be #%d or #%d: write the one you mean as #ID.`, first, first, second)},
		{Row: 5, Column: "account_id", Message: "No account has ID 999."},
		{Row: 5, Column: "owner_id", Message: `No owner has the ID or email "Olga".`},
	}
	if !slices.Equal(res.Problems, want) {
		t.Errorf("problems = %+v\nwant       %+v", res.Problems, want)
	}
	if res.Created != 2 {
		t.Errorf("Created = %d, want 2", res.Created)
	}
	if _, err := s.ApplyImport(ctx, actor, f, "roles.csv"); !errors.Is(err, db.ErrImportRefused) {
		t.Errorf("ApplyImport with problems: %v", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM roles"); n != 0 {
		t.Errorf("roles after a refused import = %d", n)
	}
}

func TestImportOwnersWithLaterManagersAndDepartures(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	leaver, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "Leaver", Email: "leaver@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, actor, db.UserInput{Email: "leaver-login@example.com", Password: "a long enough password", Role: db.RoleEditor, OwnerID: id(leaver)}); err != nil {
		t.Fatal(err)
	}
	f := parse(t, "owner", "name,email,manager_id,status\n"+
		"Leaver,leaver@example.com,,departed\n"+
		"Report,report@example.com,boss@example.com,\n"+ // the manager comes later: not found
		"Boss,boss@example.com,,\n")
	res, err := s.ApplyImport(ctx, actor, f, "people.csv")
	if !errors.Is(err, db.ErrImportRefused) || len(res.Problems) != 1 || res.Problems[0].Row != 3 {
		t.Fatalf("ApplyImport = %+v, %v; want row 3 refused", res.Problems, err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE owner_id = ?", leaver); n != 0 {
		t.Errorf("a refused import disabled the leaver's login")
	}
	f = parse(t, "owner", "name,email,manager_id,status\n"+
		"Boss,boss@example.com,,\n"+
		"Leaver,leaver@example.com,,departed\n"+
		"Report,report@example.com,boss@example.com,\n")
	res, err = s.ApplyImport(ctx, actor, f, "people.csv")
	if err != nil || res.Created != 2 || res.Updated != 1 {
		t.Fatalf("ApplyImport = %+v, %v", res, err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE owner_id = ?", leaver); n != 1 {
		t.Errorf("importing a departure left the leaver's login enabled")
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'user.disabled'"); n != 1 {
		t.Errorf("user.disabled events = %d", n)
	}
}

// FuzzParseImport feeds ParseImport arbitrary bytes as a file of any kind.
// It must never panic; a file it refuses must be refused with a message for
// the user (an *ImportError), never an internal error, unless the kind is
// not one Steward imports; and a file it accepts must only hold the header's
// known columns, with trimmed UTF-8 cells, rows numbered from 2 upwards in
// file order, and a total that adds up. The committed corpus in
// testdata/fuzz/FuzzParseImport covers byte order marks, CRLF and lone CR
// line ends, quoted newlines and quotes, ragged rows, blank rows, invalid
// UTF-8, NUL bytes, unnamed and duplicate columns, the secret column and an
// export's own columns; `make fuzz` explores from there.
func FuzzParseImport(f *testing.F) {
	f.Add("owner", []byte("name,email\nAnn,ann@example.com\n"))
	f.Add("token", []byte("\xef\xbb\xbfname,kind,notes\r\n\"a\r\nb\",api_key,\"\"\"x\"\"\"\r\n"))
	f.Add("account", []byte("name,platform,,\nx,y,,\n,,z,\n"))
	f.Add("role", []byte("account_id\n\"open"))
	f.Fuzz(func(t *testing.T, kind string, data []byte) {
		file, err := db.ParseImport(kind, bytes.NewReader(data))
		spec, known := db.ImportSpecFor(kind)
		if err != nil {
			var ie *db.ImportError
			if known && !errors.As(err, &ie) {
				t.Fatalf("refused with an internal error: %v", err)
			}
			if ie != nil && (ie.Message == "" || strings.Contains(ie.Message, "db:")) {
				t.Fatalf("refused without a message for the user: %q", ie.Message)
			}
			return
		}
		if !known {
			t.Fatalf("kind %q is not imported, yet the file parsed", kind)
		}
		if file.Total != len(file.Rows)+len(file.Problems) || file.Total == 0 || file.Total > db.MaxImportRows {
			t.Fatalf("Total %d, rows %d, problems %d", file.Total, len(file.Rows), len(file.Problems))
		}
		last := 1 // the header
		for _, r := range file.Rows {
			if r.Number <= last {
				t.Fatalf("row %d follows row %d", r.Number, last)
			}
			last = r.Number
			for col, v := range r.Cells {
				if col != "id" && !slices.Contains(spec.Header(), col) {
					t.Fatalf("row %d has unknown column %q", r.Number, col)
				}
				if !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Fatalf("row %d column %s: cell %q is not trimmed UTF-8", r.Number, col, v)
				}
			}
		}
		for _, p := range file.Problems {
			if p.Row < 2 || p.Message == "" {
				t.Fatalf("problem %+v: no row or no message", p)
			}
		}
	})
}

// BenchmarkImportOwners10k previews and applies 10,000 new owners, a tenth
// of them naming a manager added by an earlier row.
func BenchmarkImportOwners10k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("name,email,department,manager_id\n")
	for i := range 10_000 {
		manager := ""
		if i%10 == 9 {
			manager = fmt.Sprintf("p%d@example.com", i-1)
		}
		fmt.Fprintf(&sb, "Person %d,p%d@example.com,Dept %d,%s\n", i, i, i%7, manager)
	}
	data := []byte(sb.String())
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := db.Open(ctx, b.TempDir()+"/bench.db")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		f, err := db.ParseImport("owner", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if res, err := s.PreviewImport(ctx, actor, f); err != nil || res.Created != 10_000 {
			b.Fatalf("preview: %+v, %v", res.Problems, err)
		}
		if res, err := s.ApplyImport(ctx, actor, f, "bench.csv"); err != nil || res.Created != 10_000 {
			b.Fatalf("apply: %v", err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// numbered is prefix1, prefix2 … prefixN.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}
