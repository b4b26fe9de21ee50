package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"steward/db"
	"steward/internal/csvimport"
)

// parse splits file as an import of kind, as the import page does.
func parse(t testing.TB, kind, file string) *db.ImportFile {
	t.Helper()
	k, _ := db.KindNamed(kind)
	f, err := csvimport.Parse(csvimport.Spec{Noun: k.Noun, Plural: k.Plural, Columns: k.Columns(),
		ExportOnly: k.ExportOnly, Secret: k.SecretColumns()}, strings.NewReader(file))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	out := &db.ImportFile{Kind: kind, Columns: f.Columns, Total: f.Total}
	for _, r := range f.Rows {
		out.Rows = append(out.Rows, db.ImportRow(r))
	}
	for _, p := range f.Problems {
		out.Problems = append(out.Problems, db.ImportProblem(p))
	}
	return out
}

// TestImportTakesEveryColumn fills every column of every kind: each must
// reach its input field, and a preview must write nothing.
func TestImportTakesEveryColumn(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	for _, k := range db.Kinds {
		kind := k.Name
		header := append([]string{"id"}, k.Columns()...)
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
		f := parse(b, "owner", string(data))
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
