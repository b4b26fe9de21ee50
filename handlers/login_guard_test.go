package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"steward/db"
)

// leaver is an owner with a linked login, signed in.
type leaver struct {
	owner, login int64
	email        string
	session      *client
}

func (a *testApp) leaver(name, role string) leaver {
	a.t.Helper()
	email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
	o := a.createOwner(name, email)
	u := a.createUserWith(db.UserInput{Email: email, Password: testPassword, Role: role, OwnerID: id(o)})
	return leaver{owner: o, login: u, email: email, session: a.signedIn(email)}
}

// expectLogin checks the leaver's login is enabled (with its session) or
// disabled (signed out), in the users table and to its browser.
func (a *testApp) expectLogin(where string, l leaver, enabled bool) {
	a.t.Helper()
	disabled := a.count("SELECT disabled FROM users WHERE id = ?", l.login)
	sessions := a.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", l.login)
	r := l.session.get("/")
	switch {
	case enabled && (disabled != 0 || sessions == 0 || r.status != http.StatusOK):
		a.t.Errorf("%s: %s disabled=%d sessions=%d home %d; want the login enabled and still signed in", where, l.email, disabled, sessions, r.status)
	case !enabled && (disabled != 1 || sessions != 0 || r.status != http.StatusSeeOther):
		a.t.Errorf("%s: %s disabled=%d sessions=%d home %d; want the login disabled and signed out", where, l.email, disabled, sessions, r.status)
	}
}

// TestOnlyAdminsDisableLogins: disabling a login is an admin's alone,
// whatever the path. When an editor marks someone departed, in the owner
// form, by importing a file or by completing their checklist, the person's
// login stays enabled (an admin's login included) and the home page shows
// the departed-with-login finding linking to them; when an admin does the
// same, the login is disabled and signed out. Carrying out the checklist's
// "Disable their Steward login" item is TestChecklistTick's.
func TestOnlyAdminsDisableLogins(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("root@example.com", db.RoleAdmin)
	app.createUser("ed@example.com", db.RoleEditor)
	app.createUser("vi@example.com", db.RoleViewer)
	admin, editor, viewer := app.signedIn("root@example.com"), app.signedIn("ed@example.com"), app.signedIn("vi@example.com")
	departViaForm := func(c *client, l leaver) response {
		name := app.text("SELECT name FROM owners WHERE id = ?", l.owner)
		return c.post(path("/owners/:id", l.owner), ownerForm(name, l.email, db.OwnerDeparted, "2030-01-31", ""))
	}
	departViaImport := func(c *client, l leaver) response {
		name := app.text("SELECT name FROM owners WHERE id = ?", l.owner)
		preview := c.upload("/owners/import", "leavers.csv", fmt.Appendf(nil, "id,name,status,leaving_on\n%d,%s,departed,2030-01-31\n", l.owner, name))
		if preview.status != http.StatusOK {
			t.Fatalf("import preview: status %d", preview.status)
		}
		return c.confirmImport(preview)
	}
	departViaChecklist := func(c *client, l leaver) response {
		r := c.post(path("/owners/:id/checklist", l.owner), nil)
		if r.status != http.StatusSeeOther {
			t.Fatalf("start checklist: status %d", r.status)
		}
		cid := app.count("SELECT id FROM checklists WHERE subject_kind = 'owner' AND subject_id = ? AND status = 'open'", l.owner)
		return c.post(completePath(cid), url.Values{"reason": {"Left; done on paper"}})
	}
	for _, path := range []struct {
		name   string
		depart func(*client, leaver) response
	}{{"owner form", departViaForm}, {"import", departViaImport}, {"checklist completion", departViaChecklist}} {
		t.Run(path.name, func(t *testing.T) {
			// An editor: the logins stay, an admin's and an editor's.
			tag := strings.ReplaceAll(path.name, " ", "")
			bossy := app.leaver("Boss"+tag+" Admin", db.RoleAdmin)
			eddie := app.leaver("Eddie"+tag+" Editor", db.RoleEditor)
			disabledEvents := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.disabled'")
			for _, l := range []leaver{bossy, eddie} {
				if r := path.depart(editor, l); r.status != http.StatusSeeOther {
					t.Fatalf("editor departs %s by %s: status %d", l.email, path.name, r.status)
				}
				if st := app.text("SELECT status FROM owners WHERE id = ?", l.owner); st != db.OwnerDeparted {
					t.Fatalf("owner %s after an editor's %s, want departed", st, path.name)
				}
				app.expectLogin("editor's "+path.name, l, true)
			}
			if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.disabled'"); n != disabledEvents {
				t.Errorf("%d user.disabled events after an editor's departures, want none", n-disabledEvents)
			}
			home := viewer.get("/").body
			var listed []string
			for _, f := range tagsWith(home, "finding") {
				if f["data-finding"] == "departed-with-login" && f["data-count"] == "0" {
					t.Error("departed-with-login shows nothing")
				}
			}
			for _, it := range tagsWith(home, "finding-item") {
				if it["data-kind"] == "owner" {
					listed = append(listed, it["data-id"])
				}
			}
			for _, l := range []leaver{bossy, eddie} {
				if !strings.Contains(home, `href="/owners/`+id(l.owner)+`"`) || !strings.Contains(strings.Join(listed, ","), id(l.owner)) {
					t.Errorf("the home page's findings do not link to departed %s, whose login is enabled", l.email)
				}
			}
			if !strings.Contains(home, `data-finding="departed-with-login"`) {
				t.Fatal("no departed-with-login finding on the home page")
			}

			// An admin: the login is disabled and signed out.
			gone := app.leaver("Gone"+tag+" Editor", db.RoleEditor)
			if r := path.depart(admin, gone); r.status != http.StatusSeeOther {
				t.Fatalf("admin departs %s by %s: status %d", gone.email, path.name, r.status)
			}
			app.expectLogin("admin's "+path.name, gone, false)
			if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.disabled' AND record_id = ?", gone.login); n != 1 {
				t.Errorf("%d user.disabled events for the admin's departure, want 1", n)
			}
		})
	}
	// What remains for an admin: each departed editor-path leaver, the
	// finding's count says so; disabling them under Admin clears it.
	if n := findingCount(t, viewer.get("/").body, "departed-with-login"); n != "6" {
		t.Errorf("departed-with-login shows %s, want 6", n)
	}
	rows := app.count("SELECT COUNT(*) FROM users WHERE disabled = 0 AND owner_id IN (SELECT id FROM owners WHERE status = 'departed')")
	for i := range rows {
		uid := app.count("SELECT MIN(id) FROM users WHERE disabled = 0 AND owner_id IN (SELECT id FROM owners WHERE status = 'departed')")
		if r := admin.post(fmt.Sprintf("/admin/users/%d/disable", uid), nil); r.status != http.StatusSeeOther {
			t.Fatalf("admin disables login %d (#%d): status %d", uid, i, r.status)
		}
	}
	if n := findingCount(t, viewer.get("/").body, "departed-with-login"); n != "0" {
		t.Errorf("departed-with-login shows %s after an admin disabled the logins, want 0", n)
	}
}
