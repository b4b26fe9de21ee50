package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"steward/db"
)

// TestOnlyAdminsDisableLoginsInTheStore: the store itself, not only the
// routes, keeps disabling a login an admin's (or Steward's own) act. A
// departure by anyone else leaves the linked login enabled and raises the
// departed-with-login finding; ticking the checklist's "Disable their
// Steward login" item is refused with nothing written.
func TestOnlyAdminsDisableLoginsInTheStore(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		actor    db.Actor
		disables bool
	}{
		{"admin", db.Actor{UserID: 1, Email: "root@example.com", Role: db.RoleAdmin}, true},
		{"Steward itself", db.SystemActor("command line"), true},
		{"editor", db.Actor{UserID: 2, Email: "ed@example.com", Role: db.RoleEditor}, false},
		{"viewer", db.Actor{UserID: 3, Email: "vi@example.com", Role: db.RoleViewer}, false},
		{"no role", db.Actor{Email: "someone"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			if _, err := s.CreateUser(ctx, actor, db.UserInput{Email: "root@example.com", Password: "a long enough password", Role: db.RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			leaver := mustOwner(t, s, db.OwnerInput{Name: "Lee Leaver", Email: "lee@example.com"})
			login, err := s.CreateUser(ctx, actor, db.UserInput{Email: "lee@example.com", Password: "a long enough password",
				Role: db.RoleAdmin, OwnerID: id(leaver)})
			if err != nil {
				t.Fatal(err)
			}
			disabled := func() int64 {
				n, err := s.QueryInt(ctx, "SELECT disabled FROM users WHERE id = ?", login)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}

			// The checklist item first, while Lee is still offboarding.
			saveOwnerWith(t, s, leaver, func(in *db.OwnerInput) { in.Status, in.LeavingOn = db.OwnerOffboarding, "2030-01-31" })
			cid, err := s.StartChecklist(ctx, actor, "owner", leaver, "")
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.ChecklistByID(ctx, cid)
			if err != nil {
				t.Fatal(err)
			}
			item := find(t, c.Items, db.ActDisableLogin, "user", login).ID
			err = s.TickItem(ctx, tc.actor, cid, item, db.TickInput{Done: true, CarryOut: true})
			var verr db.ValidationError
			if tc.disables {
				if err != nil || disabled() != 1 {
					t.Fatalf("%s carries out Disable their Steward login: %v, disabled=%d; want it disabled", tc.name, err, disabled())
				}
				if err := s.SetUserDisabled(ctx, actor, login, false); err != nil {
					t.Fatal(err)
				}
			} else {
				if !errors.As(err, &verr) || verr["carry_out"] == "" || disabled() != 0 {
					t.Fatalf("%s carries out Disable their Steward login: %v, disabled=%d; want a carry_out error and the login enabled", tc.name, err, disabled())
				}
				if c, _ := s.ChecklistByID(ctx, cid); find(t, c.Items, db.ActDisableLogin, "user", login).Done {
					t.Error("the refused item is marked done")
				}
			}

			// Then the departure itself.
			o, _ := s.OwnerByID(ctx, leaver)
			in := o.Input()
			in.Status = db.OwnerDeparted
			if err := s.UpdateOwner(ctx, tc.actor, leaver, in); err != nil {
				t.Fatalf("UpdateOwner as %s: %v", tc.name, err)
			}
			want := map[string]int{}
			if tc.disables {
				if disabled() != 1 {
					t.Errorf("%s's departure left the login enabled", tc.name)
				}
			} else {
				if disabled() != 0 {
					t.Errorf("%s's departure disabled the login", tc.name)
				}
				want["departed-with-login"] = 1
				f := findingsByKind(t, s)["departed-with-login"]
				if !hasItem(f, "owner", leaver, "Lee Leaver") {
					t.Errorf("departed-with-login items %+v, want Lee Leaver", f.Items)
				}
			}
			expectFindings(t, s, want, "offboarding-overdue")
		})
	}
}

// TestOnlyAdminsChangeLoginsInTheStore: adding a login, changing its role,
// disabling or enabling it and issuing a set-password link are refused in
// the store itself for anyone but an admin or Steward, with nothing written,
// whichever path calls them.
func TestOnlyAdminsChangeLoginsInTheStore(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	admin := db.Actor{UserID: 1, Email: "root@example.com", Role: db.RoleAdmin}
	if _, err := s.CreateUser(ctx, admin, db.UserInput{Email: "root@example.com", Password: "a long enough password", Role: db.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	lee, err := s.CreateUser(ctx, db.SystemActor("command line"), db.UserInput{Email: "lee@example.com", Password: "a long enough password", Role: db.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	state := func() string {
		t.Helper()
		var b strings.Builder
		for _, q := range []string{"SELECT COUNT(*) FROM users", "SELECT COUNT(*) FROM users WHERE role = 'admin'",
			"SELECT COUNT(*) FROM users WHERE disabled = 1", "SELECT COUNT(*) FROM password_links", "SELECT COUNT(*) FROM audit_events"} {
			n, err := s.QueryInt(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%d ", n)
		}
		return b.String()
	}
	for _, who := range []db.Actor{
		{UserID: 2, Email: "ed@example.com", Role: db.RoleEditor},
		{UserID: 3, Email: "vi@example.com", Role: db.RoleViewer},
		{Email: "nobody"},
	} {
		before := state()
		_, createErr := s.CreateUser(ctx, who, db.UserInput{Email: "new@example.com", Password: "a long enough password", Role: db.RoleAdmin})
		_, _, linkErr := s.IssuePasswordLink(ctx, who, lee)
		for what, err := range map[string]error{
			"CreateUser":        createErr,
			"SetUserRole":       s.SetUserRole(ctx, who, lee, db.RoleAdmin),
			"SetUserDisabled":   s.SetUserDisabled(ctx, who, lee, true),
			"IssuePasswordLink": linkErr,
		} {
			var verr db.ValidationError
			if !errors.As(err, &verr) || !strings.Contains(fmt.Sprint(verr), "Only an admin") {
				t.Errorf("%s as %q: %v, want refused: only an admin", what, who.Role, err)
			}
		}
		if after := state(); after != before {
			t.Errorf("refused login changes as %q changed the database: %s -> %s", who.Role, before, after)
		}
	}
	// An admin may.
	if err := s.SetUserRole(ctx, admin, lee, db.RoleEditor); err != nil {
		t.Errorf("an admin changing a role: %v", err)
	}
}
