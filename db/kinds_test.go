package db_test

import (
	"errors"
	"testing"

	"steward/db"
)

// TestKindsMatchTheSchema checks each kind's table and name column against
// the real schema (a wrong one is an SQL error, not "not found"), and that
// every kind can be imported, has a checklist that ends it and, when forms
// pick it, a picker.
func TestKindsMatchTheSchema(t *testing.T) {
	s := openStore(t)
	for _, k := range db.Kinds {
		if _, err := s.RecordName(t.Context(), k.Name, 1); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("RecordName(%s) of a missing record: %v, want ErrNotFound", k.Name, err)
		}
		if _, err := s.PreviewImport(t.Context(), actor, &db.ImportFile{Kind: k.Name}); err != nil {
			t.Errorf("import of %s: %v", k.Name, err)
		}
		for _, f := range k.Fields {
			if _, ok := db.KindNamed(f.Ref); f.Ref != "" && !ok {
				t.Errorf("field %s of %s names records of an unknown kind %q", f.Name, k.Name, f.Ref)
			}
		}
		if db.ChecklistKinds[k.Name] == "" || k.Ended == "" {
			t.Errorf("kind %s has no status its checklist ends it with", k.Name)
		}
		if _, err := s.PickerOptions(t.Context(), k.Table, "", 1, []int64{1}); k.Picker && err != nil {
			t.Errorf("kind %s is picked in forms but has no picker: %v", k.Name, err)
		}
		if got, ok := db.KindAtPath(k.Path); !ok || got.Name != k.Name {
			t.Errorf("KindAtPath(%q) = %v, %v", k.Path, got, ok)
		}
	}
	if _, ok := db.KindNamed("user"); ok {
		t.Error("logins are not a record kind")
	}
}
