// Package csvimport reads the CSV files people import records from: UTF-8
// text with or without a byte order mark, a header row naming columns, then
// one record per row, numbered as a spreadsheet numbers them. It only
// splits a file into cells and says what is wrong with it; checking the
// cells against the records, and writing them, is the store's work.
package csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxBytes is the largest file Parse reads (20 MB).
const MaxBytes = 20 << 20

// MaxRows is the most rows of data one file may have.
const MaxRows = 50_000

// Spec is what the parser needs to know of the kind of record a file holds.
type Spec struct {
	Noun   string // one record, for messages: "system user"
	Plural string // several records: "system users"
	// Columns are the columns a file may have besides the optional id, in
	// the template's order.
	Columns []string
	// ExportOnly are the read-only columns of the list's export, which an
	// import of an exported file skips.
	ExportOnly []string
	// Secret are columns of secret values, such as a token's: a file with
	// one is refused, since Steward never stores them.
	Secret []string
}

// Error is a problem with a whole file, worded for the person who uploaded
// it; nothing in the file was imported.
type Error struct{ Message string }

// Error says what is wrong with the file, for logs.
func (e *Error) Error() string { return "csvimport: " + e.Message }

func fileErr(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// File is a CSV file read and split into rows, not yet checked against the
// records.
type File struct {
	Columns  []string // the header's column names, in file order
	Total    int      // rows of data, blank rows left out
	Rows     []Row
	Problems []Problem // rows that could not be split into cells
}

// Row is one row of data: its spreadsheet row number (the header is row 1)
// and its cells by column name, trimmed.
type Row struct {
	Number int
	Cells  map[string]string
}

// Problem is what is wrong with one row and, when it concerns one cell, its
// column.
type Problem struct {
	Row     int
	Column  string
	Message string
}

// utf8BOM is what spreadsheets put before "CSV UTF-8" files.
var utf8BOM = []byte("\xef\xbb\xbf")

// Parse reads a CSV file of the records spec describes. A list's export
// imports as it is: its ExportOnly columns are skipped and its neutralised
// cells restored. A problem with the whole file is an *Error; a row with
// the wrong number of cells is one of the file's Problems. It reads at most
// MaxBytes and nothing but r, so it is safe to call on any input.
func Parse(spec Spec, r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("csvimport: read file: %w", err)
	}
	return ParseData(spec, data)
}

// ParseData is Parse of a file already in memory, which it reads in place
// rather than copy: a 20 MB file is then held once.
func ParseData(spec Spec, data []byte) (*File, error) {
	if len(data) > MaxBytes {
		return nil, fileErr("The file is over 20 MB. Split it into smaller files and import them one after another.")
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if bad := firstInvalidUTF8(data); bad >= 0 {
		return nil, fileErr("The file is not UTF-8 text: save it as CSV UTF-8 (in Excel: Save As, then \"CSV UTF-8\") and upload it again. "+
			"The first character that is not UTF-8 is on line %d.", 1+bytes.Count(data[:bad], []byte("\n")))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileErr("The file is empty. Download the template, add one row per %s below its header, and upload it.", spec.Noun)
	}

	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	row, offset := 0, int64(0)
	next := func() ([]string, error) {
		rec, err := cr.Read()
		if err != nil {
			return nil, err
		}
		end := cr.InputOffset()
		// The reader skips empty lines; a spreadsheet shows each as a row.
		row += 1 + leadingBlankLines(data[offset:end])
		offset = end
		return rec, nil
	}
	readErr := func(err error) error {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return fmt.Errorf("csvimport: read file: %w", err)
		}
		what := "it is not valid CSV"
		switch {
		case errors.Is(pe.Err, csv.ErrQuote):
			what = `a quote mark (") opens a cell but does not close it, or text follows the closing one`
		case errors.Is(pe.Err, csv.ErrBareQuote):
			what = `a quote mark (") is inside a cell that does not start with one; put the whole cell in quotes and double the quote mark ("")`
		}
		return fileErr("Row %d could not be read: %s (line %d of the file).", row+1, what, pe.StartLine)
	}

	header, err := next()
	if err != nil {
		return nil, readErr(err)
	}
	cols, err := readHeader(spec, header)
	if err != nil {
		return nil, err
	}
	f := &File{}
	for _, c := range cols {
		if c != "" && c != skipColumn {
			f.Columns = append(f.Columns, c)
		}
	}
	for {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue // a blank row, such as the empty rows a spreadsheet adds at the end
		}
		f.Total++
		if f.Total > MaxRows {
			return nil, fileErr("The file has more than %s rows. Split it into files of at most %s rows each.",
				Thousands(MaxRows), Thousands(MaxRows))
		}
		if len(rec) != len(cols) {
			f.Problems = append(f.Problems, Problem{Row: row, Message: fmt.Sprintf(
				"This row has %d cells but the header has %d columns. Look for a stray comma or a missing quote mark.", len(rec), len(cols))})
			continue
		}
		cells := make(map[string]string, len(f.Columns))
		unnamed := -1
		for i, v := range rec {
			v = unneutralise(strings.TrimSpace(v))
			if cols[i] == skipColumn {
				continue
			}
			if cols[i] == "" {
				if v != "" && unnamed < 0 {
					unnamed = i
				}
				continue
			}
			cells[cols[i]] = v
		}
		if unnamed >= 0 {
			f.Problems = append(f.Problems, Problem{Row: row, Column: "column " + columnLetter(unnamed),
				Message: "This cell has a value, but its column has no name in the header row."})
			continue
		}
		f.Rows = append(f.Rows, Row{Number: row, Cells: cells})
	}
	if f.Total == 0 {
		return nil, fileErr("The file has a header row but no rows of data below it.")
	}
	return f, nil
}

// unknownColumnsNamed is how many unknown columns an error names.
const unknownColumnsNamed = 5

// skipColumn marks a column of an exported file that the import skips.
const skipColumn = "\x00skip"

// readHeader checks the header row and returns its column names, lower
// case. A column with no name is "" (its cells must stay empty); a column
// only an export has, such as owners' manager_name, is skipColumn.
func readHeader(spec Spec, header []string) ([]string, error) {
	cols := make([]string, len(header))
	seen := map[string]bool{}
	var unknown []string
	for i, h := range header {
		c := strings.ToLower(strings.TrimSpace(h))
		cols[i] = c
		switch {
		case c == "":
			continue
		case seen[c]:
			return nil, fileErr("The column %q appears twice in the header row.", c)
		case slices.Contains(spec.Secret, c):
			return nil, fileErr("Steward does not import %s values; register each value on the %s's page. Remove the %s column and upload the file again.",
				spec.Noun, spec.Noun, c)
		}
		seen[c] = true
		if slices.Contains(spec.ExportOnly, c) {
			cols[i] = skipColumn
			continue
		}
		if c != "id" && !slices.Contains(spec.Columns, c) {
			if r := []rune(c); len(r) > 40 {
				c = string(r[:40]) + "…"
			}
			unknown = append(unknown, strconv.Quote(c))
		}
	}
	if len(seen) == 0 {
		return nil, fileErr("The first row must name the columns, as the template's header row does.")
	}
	if len(unknown) > 0 {
		s := ""
		if len(unknown) > 1 {
			s = "s"
		}
		// A few names say what is wrong; a file of thousands of columns
		// must not make a message of thousands.
		named := strings.Join(unknown[:min(len(unknown), unknownColumnsNamed)], ", ")
		if more := len(unknown) - unknownColumnsNamed; more > 0 {
			named += fmt.Sprintf(" and %s more", Thousands(more))
		}
		return nil, fileErr("Unknown column%s: %s. The columns for %s are: %s, and an optional id.", s, named,
			spec.Plural, strings.Join(spec.Columns, ", "))
	}
	return cols, nil
}

// unneutralise undoes what an export does to a cell a spreadsheet could run
// as a formula: it drops the single quote put before a leading =, +, -, @,
// tab or carriage return, so an exported file imports its values unchanged.
func unneutralise(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.IndexByte("=+-@\t\r", v[1]) >= 0 {
		return strings.TrimSpace(v[1:])
	}
	return v
}

// firstInvalidUTF8 is the offset of the first byte that is not UTF-8, or -1.
func firstInvalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// leadingBlankLines counts the empty lines at the start of b.
func leadingBlankLines(b []byte) int {
	n := 0
	for {
		switch {
		case bytes.HasPrefix(b, []byte("\n")):
			b = b[1:]
		case bytes.HasPrefix(b, []byte("\r\n")):
			b = b[2:]
		default:
			return n
		}
		n++
	}
}

// columnLetter names a column as a spreadsheet does: A, B, … Z, AA, AB …
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// Thousands writes n with thousands separators: 50,000.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
