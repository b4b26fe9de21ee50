package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestLatestMetaChecksUseIndexes: the checks of a page of tokens are found
// by index, token by token, so an API page costs the same at 100,000
// checked tokens as at ten.
func TestLatestMetaChecksUseIndexes(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := queryPlan(t, s, latestMetaChecksSQL(3), 1, 2, 3)
	for _, step := range strings.Split(plan, "\n") {
		if strings.HasPrefix(step, "SCAN ") {
			t.Errorf("the latest checks' query:\n%s\nwant every table searched by index", plan)
			break
		}
	}
}
