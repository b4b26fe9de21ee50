package handlers

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"steward/db"
)

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	for in, want := range map[any]string{
		"=1+2":              "'=1+2",
		"+44 20 7946 0958":  "'+44 20 7946 0958",
		"-2":                "'-2",
		"@SUM(A1)":          "'@SUM(A1)",
		"\tx":               "'\tx",
		"\rx":               "'\rx",
		"a=b":               "a=b",
		" =1":               " =1",
		"":                  "",
		"Zoë":               "Zoë",
		int64(-5):           "-5", // numbers are ours, not text a user typed
		42:                  "42",
		true:                "1",
		false:               "0",
		nil:                 "",
		"2026-11-25":        "2026-11-25",
		"'already quoted":   "'already quoted",
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%#v) = %q, want %q", in, got, want)
		}
	}
	if got := csvCell([]db.Change{{Field: "name", Before: "", After: "=x"}}); got != `[{"field":"name","before":"","after":"=x"}]` {
		t.Errorf("changes cell = %q", got)
	}
}

func TestCSVTableFraming(t *testing.T) {
	var b strings.Builder
	tb := newCSVTable(&b)
	if err := tb.header([]string{"id", "name"}); err != nil {
		t.Fatal(err)
	}
	for _, row := range [][]any{{int64(1), `Smith, "Jr."`}, {int64(2), "two\nlines"}, {int64(3), "=1"}} {
		if err := tb.row(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.end(); err != nil {
		t.Fatal(err)
	}
	want := "\uFEFFid,name\r\n1,\"Smith, \"\"Jr.\"\"\"\r\n2,\"two\r\nlines\"\r\n3,'=1\r\n"
	if b.String() != want {
		t.Errorf("CSV = %q, want %q", b.String(), want)
	}
}

func TestJSONTableFraming(t *testing.T) {
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	tb := jsonFile{newJSONTable(bw)}
	if err := tb.header([]string{"id", "name", "manager_id"}); err != nil {
		t.Fatal(err)
	}
	if err := tb.row([]any{int64(1), "=1 <b>", nil}); err != nil {
		t.Fatal(err)
	}
	if err := tb.end(); err != nil {
		t.Fatal(err)
	}
	if want := "[\n{\"id\":1,\"name\":\"=1 \\u003cb\\u003e\",\"manager_id\":null}\n]\n"; b.String() != want {
		t.Errorf("JSON = %q, want %q", b.String(), want)
	}
}

// BenchmarkTokenExportRows writes 1,000 tokens as CSV: the per-row work of
// a token export (its fields read through the field table), without the
// database.
func BenchmarkTokenExportRows(b *testing.B) {
	toks := make([]db.Token, 1000)
	for i := range toks {
		toks[i] = db.Token{ID: int64(i + 1), Name: "Ads token", Kind: "system_user_token", AccountID: 12, SystemUserID: 340,
			ResponsibleOwnerID: 7, Scopes: "ads_read,business_management", IssuedOn: "2024-01-01", ExpiresOn: "2026-01-01",
			Status: "active", Notes: "Rotated yearly", AccountName: "Acme BM", Platform: "Meta"}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := writeSlice(newTable("csv", io.Discard), tokenColumns, toks); err != nil {
			b.Fatal(err)
		}
	}
}
