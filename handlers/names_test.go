package handlers_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"

	"steward/db"
)

// A token past its date but still marked active reads the same on its page
// (banner and status), in the token list, in search and on the home page.
func TestExpiredActiveTokenReadsTheSameEverywhere(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	ada := app.createOwner("Ada", "ada@example.com")
	past := app.storeToken(db.TokenInput{Name: "Weekly report key", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: "2020-06-01"})
	app.storeToken(db.TokenInput{Name: "Weekly export key", Kind: "api_key", ResponsibleOwnerID: id(ada), ExpiresOn: "2020-06-01", Status: "revoked"})

	const label = "Expired — still marked active"
	page := c.get("/tokens/" + id(past))
	if page.status != http.StatusOK {
		t.Fatalf("GET token: status %d", page.status)
	}
	if n := strings.Count(page.body, label); n != 2 {
		t.Errorf("the token page says %q %d times, want 2 (banner and status)", label, n)
	}
	if n := strings.Count(page.body, ">expired<"); n != 1 {
		t.Errorf("the token page shows the word expired alone %d times, want 1: beside its expiry date, not as its status", n)
	}
	for _, path := range []string{"/tokens", "/search?q=Weekly", "/owners/" + id(ada)} {
		r := c.get(path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, r.status)
		}
		if n := strings.Count(r.body, label); n != 1 {
			t.Errorf("GET %s says %q %d times, want 1: the active one, not the revoked one", path, label, n)
		}
	}
	home := c.get("/")
	if !strings.Contains(home.body, "Tokens expired — still marked active") {
		t.Error("the home page's finding does not use the same words")
	}
}

// createAccountWith adds an account with in's fields straight through the store.
func (a *testApp) createAccountWith(in db.AccountInput) int64 {
	a.t.Helper()
	id, err := a.store.CreateAccount(context.Background(), db.SystemActor("test"), in)
	if err != nil {
		a.t.Fatalf("CreateAccount(%s): %v", in.Name, err)
	}
	return id
}

// Two accounts with one name, and two people with one name, are told apart
// wherever they are named; a name nobody shares stands alone.
func TestNamesakesAreToldApart(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := context.Background()
	sys := db.SystemActor("test")
	app.createUser("viewer@example.com", db.RoleViewer)
	c := app.signedIn("viewer@example.com")
	account := func(name, kind string) int64 {
		return app.createAccountWith(db.AccountInput{Name: name, Platform: "Meta", Kind: kind})
	}
	bm := account("Northwind Outfitters", "Business Manager")
	page := account("Northwind Outfitters", "Page")
	solo := account("Northwind – Retargeting", "Ad account")
	alex := app.createOwner("Alex Kim", "alex@example.com")
	other := app.createOwner("Alex Kim", "alex.kim@example.com")
	app.createRole(bm, alex, "Admin")
	app.createRole(page, other, "Editor")
	app.createRole(solo, alex, "Advertiser")
	bot := app.tokenSystemUser("capi-bot", page, false)
	app.storeToken(db.TokenInput{Name: "Page token", Kind: "api_key", AccountID: id(page), ResponsibleOwnerID: id(other), ExpiresOn: "2999-01-01"})

	const bmName, pageName = "Northwind Outfitters (Meta Business Manager)", "Northwind Outfitters (Meta Page)"
	const alexName, otherName = "Alex Kim (alex@example.com)", "Alex Kim (alex.kim@example.com)"
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{bmName, pageName}}, // findings: accounts with one admin, or none
		{"/roles", []string{bmName, pageName, alexName, otherName, ">Northwind – Retargeting<"}},
		{"/tokens", []string{pageName, otherName}},
		{"/system-users", []string{pageName}},
		{"/search?q=Northwind", []string{bmName, pageName, ">Northwind – Retargeting<"}},
		{"/search?q=Alex", []string{alexName, otherName}},
		{"/owners/" + id(alex), []string{bmName}},
		{"/options/accounts?field=account_id&q=Northwind", []string{bmName, pageName, "Northwind – Retargeting — Meta Ad account"}},
		{"/options/system-users?field=system_user_id&q=capi", []string{"capi-bot — " + pageName}},
		{"/accounts/" + id(page) + "/checklist", []string{"“Editor” on " + pageName}},
	} {
		r := c.get(tc.path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", tc.path, r.status)
		}
		body := html.UnescapeString(r.body)
		for _, want := range tc.want {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s does not name %q", tc.path, want)
			}
		}
	}

	// Renamed, the Page no longer shares a name: both names stand alone.
	if err := app.store.UpdateAccount(ctx, sys, page, db.AccountInput{Name: "Northwind Outfitters Page", Platform: "Meta", Kind: "Page"}); err != nil {
		t.Fatal(err)
	}
	body := html.UnescapeString(c.get("/system-users/" + id(bot)).body)
	if !strings.Contains(body, ">Northwind Outfitters Page<") {
		t.Error("the renamed account is not named by its new name alone")
	}
	if body := html.UnescapeString(c.get("/roles").body); strings.Contains(body, bmName) || !strings.Contains(body, ">Northwind Outfitters<") {
		t.Error("the Business Manager still carries its platform and kind after its namesake was renamed")
	}
}

// When the platform and kind are shared too, the external ID tells accounts
// apart, or Steward's ID when there is none; names compare in any case.
func TestNamesakesWithTheSameKind(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := context.Background()
	var ids []int64
	for _, in := range []db.AccountInput{
		{Name: "Acme", Platform: "Meta", Kind: "Page", ExternalID: "111"},
		{Name: "ACME", Platform: "Meta", Kind: "Page"},
		{Name: "Acme", Platform: "GitHub", Kind: "Organization"},
	} {
		ids = append(ids, app.createAccountWith(in))
	}
	for i, want := range []string{"Acme (Meta Page, 111)", "ACME (Meta Page, #" + id(ids[1]) + ")", "Acme (GitHub Organization)"} {
		if got, err := app.store.RecordName(ctx, "account", ids[i]); err != nil || got != want {
			t.Errorf("account %d is named %q (%v), want %q", i, got, err, want)
		}
	}
}
