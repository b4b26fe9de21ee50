package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"steward/db"
	"steward/handlers"
)

// TestKindRoutes walks the kind registry and fails when a kind lacks any of
// the routes every kind has in the real route table: a kind added to
// db.Kinds without its handlers, or a per-kind route dropped from one kind.
func TestKindRoutes(t *testing.T) {
	t.Parallel()
	store, err := db.Open(t.Context(), t.TempDir()+"/steward.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	_, routes := handlers.New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), handlers.Config{SessionKey: testSessionKey})
	have := map[string]bool{}
	for _, r := range routes {
		have[r.Method+" "+r.Path] = true
	}
	get, post := http.MethodGet, http.MethodPost
	for _, k := range db.Kinds {
		base := "/" + k.Path
		want := [][2]string{
			{get, base}, // list
			{get, base + "/new"},
			{post, base}, // create
			{get, base + "/:id"},
			{get, base + "/:id/edit"},
			{post, base + "/:id"}, // update
			{get, base + "/:id/timeline"},
			{get, base + "/:id/checklist"},
			{post, base + "/:id/checklist"},
			{get, base + "/export.csv"},
			{get, base + "/export.json"},
			{get, base + "/import"},
			{post, base + "/import"},
			{get, base + "/import/template.csv"},
			{post, base + "/import/apply"},
		}
		if k.Picker {
			want = append(want, [2]string{get, "/options/" + k.Path})
		}
		for _, w := range want {
			if !have[w[0]+" "+w[1]] {
				t.Errorf("kind %s has no route %s %s", k.Name, w[0], w[1])
			}
		}
	}
}
