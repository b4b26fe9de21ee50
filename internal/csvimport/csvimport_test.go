package csvimport_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"steward/db"
	"steward/internal/csvimport"
)

// specOf is the import of kind, as the import page describes it.
func specOf(kind string) (csvimport.Spec, bool) {
	k, ok := db.KindNamed(kind)
	return csvimport.Spec{Noun: k.Noun, Plural: k.Plural, Columns: k.Columns(),
		ExportOnly: k.ExportOnly, Secret: k.SecretColumns()}, ok
}

// parseAs parses file as an import of kind.
func parseAs(kind string, r io.Reader) (*csvimport.File, error) {
	spec, _ := specOf(kind)
	return csvimport.Parse(spec, r)
}

func parse(t *testing.T, kind, file string) *csvimport.File {
	t.Helper()
	f, err := parseAs(kind, strings.NewReader(file))
	if err != nil {
		t.Fatalf("Parse: %v", err)
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
	want := []csvimport.Problem{
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
		{"too many rows", "owner", "name\n" + strings.Repeat("x\n", csvimport.MaxRows+1), "more than 50,000 rows"},
		{"too large", "owner", "name\n" + strings.Repeat("x", csvimport.MaxBytes), "over 20 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAs(tc.kind, strings.NewReader(tc.file))
			var ierr *csvimport.Error
			if !errors.As(err, &ierr) || !strings.Contains(ierr.Message, tc.message) {
				t.Errorf("err = %v, want an ImportError saying %q", err, tc.message)
			}
		})
	}
	if _, err := parseAs("owner", strings.NewReader("name\n"+strings.Repeat("x\n", csvimport.MaxRows))); err != nil {
		t.Errorf("exactly %d rows: %v", csvimport.MaxRows, err)
	}
}

// FuzzParseImport feeds Parse arbitrary bytes as a file of any kind Steward
// imports. It must never panic; a file it refuses must be refused with a
// message for the user (an *Error), never an internal error; and a file it accepts must only hold the header's
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
		spec, known := specOf(kind)
		if !known {
			return // only a kind's import page parses files
		}
		file, err := csvimport.Parse(spec, bytes.NewReader(data))
		if err != nil {
			var ie *csvimport.Error
			if !errors.As(err, &ie) {
				t.Fatalf("refused with an internal error: %v", err)
			}
			if ie.Message == "" || strings.Contains(ie.Message, "csvimport:") {
				t.Fatalf("refused without a message for the user: %q", ie.Message)
			}
			return
		}
		if file.Total != len(file.Rows)+len(file.Problems) || file.Total == 0 || file.Total > csvimport.MaxRows {
			t.Fatalf("Total %d, rows %d, problems %d", file.Total, len(file.Rows), len(file.Problems))
		}
		last := 1 // the header
		for _, r := range file.Rows {
			if r.Number <= last {
				t.Fatalf("row %d follows row %d", r.Number, last)
			}
			last = r.Number
			for col, v := range r.Cells {
				if col != "id" && !slices.Contains(spec.Columns, col) {
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

// numbered is prefix1, prefix2 … prefixN.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}
