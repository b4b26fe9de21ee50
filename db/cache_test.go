package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"steward/db"
)

// The home page's findings and counts, list totals and pages, the owner
// pickers, the platforms and search results are kept between writes. These
// tests read each, change the database, and expect the change at once.
func TestCachedReadsSeeEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	acc := mustAccount(t, s, db.AccountInput{Name: "Main BM", Platform: "Meta"})
	mkToken(t, s, safeToken("Reporting key", ada))

	// Read everything once, so each value is cached.
	read := func() (findings map[string]db.Finding, owners db.OwnerCounts, accounts int, list db.Page[db.Token],
		picker []db.Option, platforms []string, search []db.SearchGroup) {
		t.Helper()
		var err error
		findings = findingsByKind(t, s)
		if owners, err = s.CountOwners(ctx); err != nil {
			t.Fatal(err)
		}
		if accounts, err = s.CountAccounts(ctx); err != nil {
			t.Fatal(err)
		}
		if list, err = s.ListTokens(ctx, db.ListParams{Status: "active", PerPage: 1, Page: 2}, db.TokenFilter{}); err != nil {
			t.Fatal(err)
		}
		if picker, err = s.OwnerOptions(ctx, "", 50); err != nil {
			t.Fatal(err)
		}
		if platforms, err = s.AccountPlatforms(ctx); err != nil {
			t.Fatal(err)
		}
		if search, err = s.Search(ctx, "zebra", 8); err != nil {
			t.Fatal(err)
		}
		return
	}
	findings, owners, accounts, list, picker, platforms, search := read()
	if findings["never-expires"].Count != 0 || owners.Active != 1 || accounts != 1 || list.Total != 1 || len(list.Items) != 0 ||
		len(picker) != 1 || len(platforms) != 1 || len(search) != 0 {
		t.Fatalf("before: findings %v, owners %+v, accounts %d, list %d/%d, picker %d, platforms %v, search %v",
			findings["never-expires"], owners, accounts, list.Total, len(list.Items), len(picker), platforms, search)
	}

	// Writes through the store's own methods.
	bob := mustOwner(t, s, db.OwnerInput{Name: "Bob Zebra", Email: "bob@example.com"})
	mustAccount(t, s, db.AccountInput{Name: "Code", Platform: "GitHub"})
	never := safeToken("Zebra deploy key", bob)
	never.ExpiresOn, never.AccountID = "", id(acc)
	mkToken(t, s, never)

	findings, owners, accounts, list, picker, platforms, search = read()
	if findings["never-expires"].Count != 1 {
		t.Errorf("never-expires after a new never-expiring token: %d, want 1", findings["never-expires"].Count)
	}
	if owners.Active != 2 || accounts != 2 {
		t.Errorf("counts after new owner and account: owners %+v, accounts %d", owners, accounts)
	}
	if list.Total != 2 || len(list.Items) != 1 {
		t.Errorf("token list page 2 of 1 per page: total %d, %d items, want 2 and 1", list.Total, len(list.Items))
	}
	if len(picker) != 2 || len(platforms) != 2 {
		t.Errorf("picker %v, platforms %v: want the new owner and platform", picker, platforms)
	}
	if len(search) != 2 { // the owner Bob Zebra and the token
		t.Errorf("search zebra after writes: %+v, want an owner and a token", search)
	}

	// A change behind the store's methods (Exec, as tests and repairs do).
	if err := s.Exec(ctx, "UPDATE tokens SET status = 'revoked' WHERE expires_on = ''"); err != nil {
		t.Fatal(err)
	}
	if n := findingsByKind(t, s)["never-expires"].Count; n != 0 {
		t.Errorf("never-expires after revoking through Exec: %d, want 0", n)
	}
}

// Findings depend on the date: a token expiring tomorrow is "expiring soon"
// today and "expired" the day after, with no write in between.
func TestCachedFindingsFollowTheClock(t *testing.T) {
	s := openStore(t)
	setDay(s, 0)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	tok := safeToken("Short-lived", ada)
	tok.ExpiresOn = day(1)
	mkToken(t, s, tok)
	if got := findingsByKind(t, s); got["expiring-soon"].Count != 1 || got["expired-active"].Count != 0 {
		t.Fatalf("day 0: expiring-soon %d, expired-active %d, want 1 and 0", got["expiring-soon"].Count, got["expired-active"].Count)
	}
	setDay(s, 2)
	if got := findingsByKind(t, s); got["expiring-soon"].Count != 0 || got["expired-active"].Count != 1 {
		t.Errorf("day 2: expiring-soon %d, expired-active %d, want 0 and 1", got["expiring-soon"].Count, got["expired-active"].Count)
	}
}

// Many readers and a writer at once: every read after a write returns sees
// it (run with -race, this also checks the caches' locking).
func TestCachedReadsUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	const writes = 20
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Findings(ctx); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListTokens(ctx, db.ListParams{}, db.TokenFilter{Expiry: db.ExpiryNever}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range writes {
		tok := safeToken(fmt.Sprintf("Key %d", i), ada)
		tok.ExpiresOn = ""
		mkToken(t, s, tok)
		if n := findingsByKind(t, s)["never-expires"].Count; n != i+1 {
			t.Errorf("after %d never-expiring tokens the finding counts %d", i+1, n)
		}
		page, err := s.ListTokens(ctx, db.ListParams{}, db.TokenFilter{Expiry: db.ExpiryNever})
		if err != nil || page.Total != i+1 || len(page.Items) != i+1 {
			t.Errorf("after %d tokens the list holds %d of %d (%v)", i+1, len(page.Items), page.Total, err)
		}
	}
	close(stop)
	wg.Wait()
}
