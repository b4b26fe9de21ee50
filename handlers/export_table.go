package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// utf8BOM starts every CSV export. RFC 4180 does not need it, but without it
// Excel reads a CSV file as the local code page and garbles non-ASCII names;
// with it Excel, LibreOffice and Numbers all detect UTF-8. Go's encoding/csv,
// Python's "utf-8-sig" and Steward's own import skip it.
const utf8BOM = "\uFEFF"

// table writes an export's rows: a header of column names, then one row of
// values per record. A value is nil (empty), a string, an int64, a bool, or
// anything else encoding/json can encode.
type table interface {
	header(columns []string) error
	row(values []any) error
	// end finishes the file and flushes it.
	end() error
}

// csvTable writes RFC 4180 CSV: UTF-8 with a byte order mark, CRLF line
// ends, fields quoted where needed, and every text cell made safe to open in
// a spreadsheet. It is the one CSV writer every export uses.
type csvTable struct {
	w     *csv.Writer
	out   io.Writer
	cells []string
	begun bool
}

func newCSVTable(w io.Writer) *csvTable {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvTable{w: cw, out: w}
}

func (t *csvTable) header(columns []string) error {
	if err := t.begin(); err != nil {
		return err
	}
	t.cells = make([]string, len(columns))
	return t.w.Write(columns)
}

func (t *csvTable) begin() error {
	if t.begun {
		return nil
	}
	t.begun = true
	_, err := io.WriteString(t.out, utf8BOM)
	return err
}

func (t *csvTable) row(values []any) error {
	for i, v := range values {
		t.cells[i] = csvCell(v)
	}
	return t.w.Write(t.cells[:len(values)])
}

func (t *csvTable) end() error {
	t.w.Flush()
	return t.w.Error()
}

// csvCell formats one value: IDs and counts as decimals, booleans as 1 or 0
// (what the import and the forms take), nil as empty, and text neutralised.
func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return neutralise(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case bool:
		if v {
			return "1"
		}
		return "0"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return neutralise(string(b))
	}
}

// neutralise stops a spreadsheet from running a cell as a formula (OWASP's
// CSV injection advice): a value starting with =, +, -, @, a tab or a
// carriage return gets a leading single quote, which spreadsheets show as
// text and do not evaluate. A reader of the file sees the quote; JSON
// exports carry the raw value.
func neutralise(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// jsonTable writes an array of objects whose keys are the column names, in
// column order, with raw values (no neutralising: JSON is not run by
// spreadsheets). Several arrays can share one writer, as in the export of
// everything.
type jsonTable struct {
	w    *bufio.Writer
	keys [][]byte // the column names, JSON-encoded with their colon
	rows int
}

func newJSONTable(w *bufio.Writer) *jsonTable { return &jsonTable{w: w} }

func (t *jsonTable) header(columns []string) error {
	t.keys = objectKeys(columns)
	_, err := t.w.WriteString("[")
	return err
}

// objectKeys are the column names JSON-encoded with their colon, for writeObject.
func objectKeys(columns []string) [][]byte {
	keys := make([][]byte, len(columns))
	for i, c := range columns {
		k, _ := json.Marshal(c) // a string always encodes
		keys[i] = append(k, ':')
	}
	return keys
}

func (t *jsonTable) row(values []any) error {
	if t.rows > 0 {
		t.w.WriteString(",")
	}
	t.rows++
	t.w.WriteString("\n")
	return writeObject(t.w, t.keys, values)
}

// objectWriter is where writeObject writes: a bufio.Writer or a bytes.Buffer.
type objectWriter interface {
	io.Writer
	io.ByteWriter
}

// writeObject writes one row as a JSON object: keys are the column names,
// JSON-encoded with their colon, in column order.
func writeObject(w objectWriter, keys [][]byte, values []any) error {
	w.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(keys[i])
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return w.WriteByte('}')
}

// end closes the array; the caller flushes the shared writer.
func (t *jsonTable) end() error {
	if t.rows > 0 {
		t.w.WriteString("\n")
	}
	_, err := t.w.WriteString("]")
	return err
}

// jsonFile is a jsonTable that is the whole file: it ends with a newline and
// flushes.
type jsonFile struct{ *jsonTable }

func (t jsonFile) end() error {
	if err := t.jsonTable.end(); err != nil {
		return err
	}
	if _, err := t.w.WriteString("\n"); err != nil {
		return err
	}
	return t.w.Flush()
}
