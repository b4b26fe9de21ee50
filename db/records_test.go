package db_test

import (
	"context"
	"errors"
	"testing"

	"steward/db"
)

func TestOwnerValidation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada Lovelace", Email: "ada@example.com"})
	tests := []struct {
		name  string
		in    db.OwnerInput
		field string
	}{
		{"missing name", db.OwnerInput{Email: "x@example.com"}, "name"},
		{"blank name", db.OwnerInput{Name: " \t "}, "name"},
		{"bad email", db.OwnerInput{Name: "X", Email: "x at example"}, "email"},
		{"email with display name", db.OwnerInput{Name: "X", Email: "X <x@example.com>"}, "email"},
		{"duplicate email in other case", db.OwnerInput{Name: "Imposter", Email: "ADA@Example.COM"}, "email"},
		{"offboarding without leaving date", db.OwnerInput{Name: "X", Status: "offboarding"}, "leaving_on"},
		{"bad leaving date", db.OwnerInput{Name: "X", Status: "offboarding", LeavingOn: "31/12/2026"}, "leaving_on"},
		{"unknown status", db.OwnerInput{Name: "X", Status: "fired"}, "status"},
		{"missing manager", db.OwnerInput{Name: "X", ManagerID: "999"}, "manager_id"},
		{"manager not a number", db.OwnerInput{Name: "X", ManagerID: "ada"}, "manager_id"},
		{"name with a newline", db.OwnerInput{Name: "X\nY"}, "name"},
		{"control character", db.OwnerInput{Name: "X\x00Y"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := events(t, s)
			_, err := s.CreateOwner(ctx, actor, tt.in)
			validationError(t, err, tt.field)
			if n := count(t, s, "SELECT COUNT(*) FROM owners"); n != 1 {
				t.Errorf("owners = %d, want 1", n)
			}
			if n := events(t, s) - before; n != 0 {
				t.Errorf("refused owner wrote %d events", n)
			}
		})
	}

	// Updates: a person cannot manage themselves, nor take another's email.
	validationError(t, s.UpdateOwner(ctx, actor, ada, db.OwnerInput{Name: "Ada Lovelace", ManagerID: id(ada)}), "manager_id")
	grace := mustOwner(t, s, db.OwnerInput{Name: "Grace Hopper", Email: "grace@example.com"})
	validationError(t, s.UpdateOwner(ctx, actor, grace, db.OwnerInput{Name: "Grace Hopper", Email: "Ada@example.com"}), "email")
	if got := str(t, s, "SELECT email FROM owners WHERE id = ?", grace); got != "grace@example.com" {
		t.Errorf("Grace's email = %q after a refused update", got)
	}
	if err := s.UpdateOwner(ctx, actor, 999, db.OwnerInput{Name: "Nobody"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("UpdateOwner(999) = %v, want ErrNotFound", err)
	}
	if _, err := s.OwnerByID(ctx, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("OwnerByID(999) = %v, want ErrNotFound", err)
	}
	// Keeping one's own email (in another case) is not a duplicate.
	if err := s.UpdateOwner(ctx, actor, grace, db.OwnerInput{Name: "Grace Hopper", Email: "Grace@example.com"}); err != nil {
		t.Errorf("changing the case of one's own email: %v", err)
	}
}

func TestOwnerStoresHostileTextVerbatim(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	hostile := `<script>alert("x")</script> O'Brien & Sons; DROP TABLE owners;--`
	notes := "Line one\n<img src=x onerror=alert(1)>\n\tindented"
	oid := mustOwner(t, s, db.OwnerInput{Name: hostile, Title: "%_\\", Notes: notes})
	o, err := s.OwnerByID(ctx, oid)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != hostile || o.Notes != notes || o.Title != "%_\\" {
		t.Errorf("stored %q / %q / %q, want the input unchanged", o.Name, o.Title, o.Notes)
	}
	if got := str(t, s, "SELECT name FROM owners WHERE id = ?", oid); got != hostile {
		t.Errorf("database holds %q", got)
	}
	// The list search treats % and _ as text, not wildcards.
	mustOwner(t, s, db.OwnerInput{Name: "Plain", Title: "Manager"})
	page, err := s.ListOwners(ctx, db.ListParams{Q: "%_"})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || page.Items[0].ID != oid {
		t.Errorf("search for %%_ found %d owners, want only the one whose title holds it", page.Total)
	}
}

func TestDepartedOwnerLosesLoginsAndSessions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	jake := mustOwner(t, s, db.OwnerInput{Name: "Jake", Email: "jake@example.com"})
	stay := mustOwner(t, s, db.OwnerInput{Name: "Stays", Email: "stays@example.com"})
	admin, err := s.CreateUser(ctx, actor, db.UserInput{Email: "admin@example.com", Password: "correct horse battery", Role: db.RoleAdmin, OwnerID: id(stay)})
	if err != nil {
		t.Fatal(err)
	}
	login, err := s.CreateUser(ctx, actor, db.UserInput{Email: "jake@example.com", Password: "correct horse battery", Role: db.RoleEditor, OwnerID: id(jake)})
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{"jake-laptop", "jake-phone"} {
		if err := s.SaveSession(ctx, sid, login, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveSession(ctx, "admin-laptop", admin, []byte("{}")); err != nil {
		t.Fatal(err)
	}

	// Offboarding alone keeps the login.
	if err := s.UpdateOwner(ctx, actor, jake, db.OwnerInput{Name: "Jake", Email: "jake@example.com", Status: "offboarding", LeavingOn: "2026-12-01"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE id = ?", login); n != 0 {
		t.Fatal("an offboarding owner's login was disabled")
	}

	if err := s.UpdateOwner(ctx, actor, jake, db.OwnerInput{Name: "Jake", Email: "jake@example.com", Status: "departed", LeavingOn: "2026-12-01"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE id = ?", login); n != 1 {
		t.Errorf("departed owner's login disabled = %d, want 1", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", login); n != 0 {
		t.Errorf("departed owner's login still has %d sessions", n)
	}
	if _, err := s.SessionByID(ctx, "jake-phone"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("SessionByID(jake-phone) = %v, want ErrNotFound", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", admin); n != 1 {
		t.Errorf("another user's sessions = %d, want 1 kept", n)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE id = ?", admin); n != 0 {
		t.Error("another owner's login was disabled")
	}
	if _, err := s.Authenticate(ctx, "jake@example.com", "correct horse battery"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("departed owner's login can still sign in: %v", err)
	}
	// The disabling is on the owner's timeline.
	page, err := s.Timeline(ctx, db.Ref{Kind: "owner", ID: jake}, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) < 2 || page.Events[0].Action != "user.disabled" || page.Events[0].RecordID != login ||
		page.Events[1].Action != "owner.updated" {
		t.Errorf("owner timeline starts %+v, want user.disabled then owner.updated", page.Events[:min(2, len(page.Events))])
	}
}

func TestAccountParentLoopRefused(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	bm := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta", Kind: "Business Manager"})
	ad := mustAccount(t, s, db.AccountInput{Name: "Ads", Platform: "Meta", Kind: "Ad account", ParentID: id(bm)})
	pixel := mustAccount(t, s, db.AccountInput{Name: "Pixel", Platform: "Meta", Kind: "Pixel", ParentID: id(ad)})

	before := events(t, s)
	validationError(t, s.UpdateAccount(ctx, actor, bm, db.AccountInput{Name: "BM", Platform: "Meta", ParentID: id(bm)}), "parent_id")
	validationError(t, s.UpdateAccount(ctx, actor, bm, db.AccountInput{Name: "BM", Platform: "Meta", ParentID: id(pixel)}), "parent_id")
	validationError(t, s.UpdateAccount(ctx, actor, ad, db.AccountInput{Name: "Ads", Platform: "Meta", ParentID: id(pixel)}), "parent_id")
	if n := count(t, s, "SELECT COUNT(*) FROM accounts WHERE id = ? AND parent_id IS NULL", bm); n != 1 {
		t.Error("the Business Manager got a parent")
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused loops wrote %d events", n)
	}
	// Moving a leaf elsewhere in the tree is fine.
	if err := s.UpdateAccount(ctx, actor, pixel, db.AccountInput{Name: "Pixel", Platform: "Meta", ParentID: id(bm)}); err != nil {
		t.Fatalf("moving the pixel under the BM: %v", err)
	}
	children, err := s.ListAccounts(ctx, db.ListParams{}, db.AccountFilter{ParentID: bm})
	if err != nil {
		t.Fatal(err)
	}
	if len(children.Items) != 2 || children.Total != 2 {
		t.Errorf("BM has %d children (total %d), want 2", len(children.Items), children.Total)
	}

	// Other account checks.
	_, err = s.CreateAccount(ctx, actor, db.AccountInput{Name: "X", Platform: "AWS", URL: "javascript:alert(1)"})
	validationError(t, err, "url")
	_, err = s.CreateAccount(ctx, actor, db.AccountInput{Name: "X", Platform: "AWS", Criticality: "extreme"})
	validationError(t, err, "criticality")
	_, err = s.CreateAccount(ctx, actor, db.AccountInput{Name: "X", Platform: "AWS", ParentID: "999"})
	validationError(t, err, "parent_id")
}

func TestRoleRules(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ada := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	org := mustAccount(t, s, db.AccountInput{Name: "Org", Platform: "GitHub"})
	first := mustRole(t, s, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Owner", Admin: "1", GrantedOn: "2024-01-10"})

	before := events(t, s)
	_, err := s.CreateRole(ctx, actor, db.RoleInput{AccountID: id(org), Role: "Owner"})
	validationError(t, err, "owner_id") // no holder
	_, err = s.CreateRole(ctx, actor, db.RoleInput{AccountID: id(org), OwnerID: id(ada), SystemUserID: "1", Role: "Owner"})
	validationError(t, err, "owner_id") // two holders
	_, err = s.CreateRole(ctx, actor, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "owner"})
	validationError(t, err, "role") // the same role again, in another case
	_, err = s.CreateRole(ctx, actor, db.RoleInput{OwnerID: id(ada), Role: "Member"})
	validationError(t, err, "account_id")
	_, err = s.CreateRole(ctx, actor, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Member", GrantedOn: "2024-05-01", ReviewBy: "2024-04-01"})
	validationError(t, err, "review_by")
	if n := count(t, s, "SELECT COUNT(*) FROM roles"); n != 1 {
		t.Errorf("roles = %d, want 1", n)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused roles wrote %d events", n)
	}

	// Removing keeps the row and writes role.removed on the owner's and the account's timelines.
	if err := s.RemoveRole(ctx, actor, first); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT status FROM roles WHERE id = ?", first); got != "removed" {
		t.Errorf("removed role status = %q", got)
	}
	for _, ref := range []db.Ref{{Kind: "owner", ID: ada}, {Kind: "account", ID: org}} {
		page, err := s.Timeline(ctx, ref, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		ev := page.Events[0]
		c, ok := change(ev, "status")
		if ev.Action != "role.removed" || ev.RecordID != first || !ok || c.Before != "active" || c.After != "removed" {
			t.Errorf("%s timeline newest = %s on role %d with %+v, want role.removed active → removed", ref.Kind, ev.Action, ev.RecordID, ev.Changes)
		}
	}
	if o, err := s.OwnerByID(ctx, ada); err != nil || o.ActiveRoles != 0 {
		t.Errorf("owner active roles = %d, %v; want 0", o.ActiveRoles, err)
	}
	// With the old grant removed, the same role may be granted again.
	again := mustRole(t, s, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Owner", Admin: "1"})
	if n := count(t, s, "SELECT COUNT(*) FROM roles WHERE account_id = ? AND owner_id = ?", org, ada); n != 2 || again == first {
		t.Errorf("roles for the pair = %d, want the removed one and the new one", n)
	}
	// Reactivating the removed one would duplicate the active grant.
	validationError(t, s.UpdateRole(ctx, actor, first, db.RoleInput{AccountID: id(org), OwnerID: id(ada), Role: "Owner", Status: "active"}), "role")
	if err := s.RemoveRole(ctx, actor, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RemoveRole(999) = %v, want ErrNotFound", err)
	}
	a, err := s.AccountByID(ctx, org)
	if err != nil || a.ActiveRoles != 1 || a.AdminHolders != 1 {
		t.Errorf("account roles = %d active, %d admin, %v; want 1 and 1", a.ActiveRoles, a.AdminHolders, err)
	}
}

// Departing the person behind the only enabled admin login would lock
// everyone out of managing logins: it is refused, and nothing changes, until
// another login is admin.
func TestDepartingTheOnlyAdminsOwnerIsRefused(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ann := mustOwner(t, s, db.OwnerInput{Name: "Ann", Email: "ann@example.com"})
	admin, err := s.CreateUser(ctx, actor, db.UserInput{Email: "ann@example.com", Password: "correct horse battery", Role: db.RoleAdmin, OwnerID: id(ann)})
	if err != nil {
		t.Fatal(err)
	}
	depart := db.OwnerInput{Name: "Ann", Email: "ann@example.com", Status: db.OwnerDeparted, LeavingOn: "2026-12-01"}
	var verr db.ValidationError
	if err := s.UpdateOwner(ctx, actor, ann, depart); !errors.As(err, &verr) || verr["status"] == "" {
		t.Fatalf("departing the only admin's owner: %v, want a message on status", err)
	}
	if o, err := s.OwnerByID(ctx, ann); err != nil || o.Status != "active" {
		t.Errorf("the refused departure left the owner %q (%v)", o.Status, err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE id = ?", admin); n != 0 {
		t.Error("the refused departure disabled the admin")
	}
	if _, err := s.CreateUser(ctx, actor, db.UserInput{Email: "bo@example.com", Password: "correct horse battery", Role: db.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateOwner(ctx, actor, ann, depart); err != nil {
		t.Fatalf("departing with another admin: %v", err)
	}
	if n := count(t, s, "SELECT disabled FROM users WHERE id = ?", admin); n != 1 {
		t.Error("with another admin, the departed owner's admin login stays enabled")
	}
}
