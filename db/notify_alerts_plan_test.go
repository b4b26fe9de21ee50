package db

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWhatADepartedOwnerHoldsIsFoundByIndex: the departed-with-access alert
// finds a person's roles, tokens and system users by index, never walking a
// table of 100,000 tokens (the final sort of a few rows is fine).
// walksATable is a plan step that reads a table whole, or every active
// token (by the status indexes) to pick a person's.
var walksATable = regexp.MustCompile(`^SCAN (r|t|su|a|roles|tokens|system_users|accounts)\b|INDEX tokens_status`)

func TestWhatADepartedOwnerHoldsIsFoundByIndex(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := queryPlan(t, s, ownerHoldingsSQL, 7, alertItemsMax)
	for _, step := range strings.Split(plan, "\n") {
		if walksATable.MatchString(strings.TrimSpace(step)) {
			t.Errorf("the holdings query walks a table:\n%s", plan)
			break
		}
	}
}
