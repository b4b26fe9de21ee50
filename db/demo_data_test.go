package db_test

import (
	"context"
	"testing"
	"time"

	"steward/db"
	"steward/internal/seed"
)

// seeded returns a store filled with the demo company (internal/seed) on a
// fixed clock: data for tests of lists and findings.
func seeded(t *testing.T) *db.Store {
	t.Helper()
	s := openStore(t)
	s.SetClock(func() time.Time { return time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC) })
	if err := seed.Demo(context.Background(), s); err != nil {
		t.Fatalf("seed.Demo: %v", err)
	}
	return s
}

func TestListsOverDemoData(t *testing.T) {
	ctx := context.Background()
	s := seeded(t)

	departed, err := s.ListOwners(ctx, db.ListParams{Status: db.OwnerDeparted})
	if err != nil {
		t.Fatal(err)
	}
	if departed.Total != 1 || len(departed.Items) != 1 || departed.Items[0].ActiveRoles < 1 || departed.Items[0].ManagerName == "" {
		t.Fatalf("departed owners = %+v, want one with active roles and a manager", departed)
	}
	roles, err := s.ListRoles(ctx, db.ListParams{Status: "active"}, db.RoleFilter{OwnerID: departed.Items[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if roles.Total != 1 || !roles.Items[0].Admin || roles.Items[0].HolderStatus != db.OwnerDeparted {
		t.Errorf("departed owner's active roles = %+v, want one admin role", roles.Items)
	}
	search, err := s.ListOwners(ctx, db.ListParams{Q: "engineer"})
	if err != nil {
		t.Fatal(err)
	}
	if search.Total < 4 {
		t.Errorf("search for engineer found %d owners", search.Total)
	}

	// Paging through every sort, both ways, visits each record exactly once.
	total := int(count(t, s, "SELECT COUNT(*) FROM accounts"))
	for _, sort := range []string{"name", "platform", "kind", "criticality", "status", "updated", "bogus"} {
		for _, desc := range []bool{false, true} {
			seen := map[int64]bool{}
			for page := 1; page <= 10; page++ {
				p, err := s.ListAccounts(ctx, db.ListParams{Sort: sort, Desc: desc, Page: page, PerPage: 3}, db.AccountFilter{})
				if err != nil {
					t.Fatalf("ListAccounts(sort %s): %v", sort, err)
				}
				for _, a := range p.Items {
					if seen[a.ID] {
						t.Fatalf("sort %s desc %v: account %d on two pages", sort, desc, a.ID)
					}
					seen[a.ID] = true
				}
				if page >= p.Pages() {
					break
				}
			}
			if len(seen) != total {
				t.Errorf("sort %s desc %v: visited %d accounts, want %d", sort, desc, len(seen), total)
			}
		}
	}
	allRoles, err := s.ListRoles(ctx, db.ListParams{Sort: "holder", PerPage: 200}, db.RoleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if allRoles.Total != int(count(t, s, "SELECT COUNT(*) FROM roles")) || len(allRoles.Items) != allRoles.Total {
		t.Errorf("ListRoles returned %d of %d roles", len(allRoles.Items), allRoles.Total)
	}
}
