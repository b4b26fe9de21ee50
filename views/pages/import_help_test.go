package pages

import (
	"slices"
	"testing"

	"steward/db"
)

// TestImportHelpCoversEveryField: every kind's import page explains how a
// row matches a record and what each of its columns holds, and explains no
// column its field table lacks.
func TestImportHelpCoversEveryField(t *testing.T) {
	for _, k := range db.Kinds {
		help, ok := importHelps[k.Name]
		if !ok || help.Match == "" {
			t.Errorf("%s: no import help", k.Name)
			continue
		}
		for _, c := range importColumns(k) {
			if c.Help == "" {
				t.Errorf("%s: no help for the column %s", k.Name, c.Name)
			}
		}
		columns := k.Columns()
		for name := range help.Columns {
			if !slices.Contains(columns, name) {
				t.Errorf("%s: help for %q, which is not a column of its field table", k.Name, name)
			}
		}
	}
}
