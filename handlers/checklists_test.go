package handlers_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"steward/db"
	"steward/internal/seed"
	"steward/views/pages"
)

// clWorld is an offboarding to work through the real router: Ada leaves,
// holding a Meta role, answering for a token and with a Steward login; Bob
// stays and can take things over.
type clWorld struct {
	app           *testApp
	ada, bob      int64
	account, role int64
	token, login  int64
	clients       map[string]*client
}

// as is a client signed in as a user of the role, created on first use:
// password hashing is slow under the race detector.
func (w *clWorld) as(role string) *client {
	w.app.t.Helper()
	if c := w.clients[role]; c != nil {
		return c
	}
	email := role + "@example.com"
	w.app.createUser(email, role)
	w.clients[role] = w.app.signedIn(email)
	return w.clients[role]
}

func (w *clWorld) admin() *client  { return w.as(db.RoleAdmin) }
func (w *clWorld) editor() *client { return w.as(db.RoleEditor) }
func (w *clWorld) viewer() *client { return w.as(db.RoleViewer) }

func newClWorld(t *testing.T) *clWorld {
	t.Helper()
	app := newTestApp(t)
	ctx := context.Background()
	w := &clWorld{app: app, clients: map[string]*client{}}
	w.ada = app.createOwner("Ada Leaver", "ada@example.com")
	w.bob = app.createOwner("Bob Stayer", "bob@example.com")
	w.account = app.createAccount("Acme BM", "Meta")
	w.role = app.createRole(w.account, w.ada, "Admin")
	saved, err := app.store.CreateToken(ctx, db.SystemActor("test"), db.TokenInput{Name: "CRM token", Kind: "api_key",
		AccountID: id(w.account), ResponsibleOwnerID: id(w.ada), IssuedOn: "2025-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	w.token = saved.ID
	w.login = app.createUserWith(db.UserInput{Email: "ada.login@example.com", Password: testPassword, Role: db.RoleEditor,
		OwnerID: id(w.ada)})
	return w
}

// setOffboarding marks Ada offboarding with a leaving date.
func (w *clWorld) setOffboarding(t *testing.T, leavingOn string) {
	t.Helper()
	ctx := context.Background()
	o, err := w.app.store.OwnerByID(ctx, w.ada)
	if err != nil {
		t.Fatal(err)
	}
	in := o.Input()
	in.Status, in.LeavingOn = db.OwnerOffboarding, leavingOn
	if err := w.app.store.UpdateOwner(ctx, db.SystemActor("test"), w.ada, in); err != nil {
		t.Fatal(err)
	}
}

// checklistItems lists the data-action of every checklist item on a page.
func checklistItems(body string) []map[string]string { return tagsWith(body, "checklist-item") }

// start starts Ada's checklist as the editor and returns its ID.
func (w *clWorld) start(t *testing.T) int64 {
	t.Helper()
	r := w.editor().post(path("/owners/:id/checklist", w.ada), url.Values{"due_on": {""}})
	if r.status != http.StatusSeeOther || r.location() != path("/owners/:id/checklist", w.ada) {
		t.Fatalf("start: status %d, location %q", r.status, r.location())
	}
	return w.app.count("SELECT id FROM checklists WHERE subject_kind = 'owner' AND subject_id = ? AND status = 'open'", w.ada)
}

// item is the saved item of the open checklist acting on a target.
func (w *clWorld) item(t *testing.T, cid int64, action string, target int64) int64 {
	t.Helper()
	return w.app.count("SELECT id FROM checklist_items WHERE checklist_id = ? AND action = ? AND COALESCE(target_id, 0) = ?", cid, action, target)
}

// checklistSnapshot adds the checklists, their items and the tokens to the
// app's snapshot.
func (w *clWorld) checklistSnapshot() string {
	return w.app.snapshot() + w.app.text(`SELECT json_group_array(json_array(id, status, completed_by, reason)) FROM checklists`) +
		w.app.text(`SELECT json_group_array(json_array(id, done, done_by, note)) FROM checklist_items`) +
		w.app.text(`SELECT json_group_array(json_array(id, status, responsible_owner_id, updated_at)) FROM tokens`)
}

func tickPath(cid, iid int64) string {
	return "/checklists/" + strconv.FormatInt(cid, 10) + "/items/" + strconv.FormatInt(iid, 10)
}

func completePath(cid int64) string { return "/checklists/" + strconv.FormatInt(cid, 10) + "/complete" }

func TestChecklistPageAndStart(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	page := path("/owners/:id/checklist", w.ada)

	planned, err := app.store.PlanChecklist(context.Background(), "owner", w.ada)
	if err != nil {
		t.Fatal(err)
	}
	if len(planned) != 3 { // the role, the token, the login
		t.Fatalf("planned %d items, want 3: %+v", len(planned), planned)
	}
	r := w.editor().get(page)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", page, r.status)
	}
	items := checklistItems(r.body)
	if len(items) != len(planned) {
		t.Errorf("%d checklist items on the page, want %d", len(items), len(planned))
	}
	for i, it := range planned {
		if !strings.Contains(r.body, html.EscapeString(it.Title)) {
			t.Errorf("page lacks item %q", it.Title)
		}
		if i < len(items) && items[i]["data-action"] != it.Action {
			t.Errorf("item %d action %q, want %q", i, items[i]["data-action"], it.Action)
		}
	}
	if !strings.Contains(r.body, `action="`+page+`"`) || !strings.Contains(r.body, "Start checklist") {
		t.Error("no Start form on the checklist page")
	}
	if !strings.Contains(r.body, "Done by") || !strings.Contains(r.body, "Checked by") {
		t.Error("no sign-off lines")
	}
	// Links to the records it names.
	if !strings.Contains(r.body, `href="`+path("/roles/:id", w.role)+`"`) || !strings.Contains(r.body, `href="`+path("/tokens/:id", w.token)+`"`) {
		t.Error("items do not link to their records")
	}
	// A viewer reads and prints it, without the Start form.
	if r := w.viewer().get(page); r.status != http.StatusOK || strings.Contains(r.body, "Start checklist") || len(checklistItems(r.body)) != 3 {
		t.Errorf("viewer: status %d, start form %v", r.status, strings.Contains(r.body, "Start checklist"))
	}
	// An unknown record is 404 on every kind.
	for _, kind := range []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"} {
		if r := w.editor().get("/" + kind + "/9999/checklist"); r.status != http.StatusNotFound {
			t.Errorf("GET /%s/9999/checklist: status %d, want 404", kind, r.status)
		}
		if r := w.editor().post("/"+kind+"/9999/checklist", nil); r.status != http.StatusNotFound {
			t.Errorf("POST /%s/9999/checklist: status %d, want 404", kind, r.status)
		}
	}

	// A bad due date is a form error, and nothing is started.
	r = w.editor().post(page, url.Values{"due_on": {"next week"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(fieldErrors(r.body), ","), "due_on") {
		t.Errorf("bad due date: status %d, field errors %v", r.status, fieldErrors(r.body))
	}
	if n := app.count("SELECT COUNT(*) FROM checklists"); n != 0 {
		t.Fatalf("%d checklists after a refused start", n)
	}

	// Ada is offboarding: her page offers to start the checklist.
	w.setOffboarding(t, "2099-01-31")
	owner := w.editor().get(path("/owners/:id", w.ada)).body
	if len(tagsWith(owner, "offer-checklist")) != 1 || !strings.Contains(owner, `action="`+page+`"`) {
		t.Error("the offboarding owner's page does not offer the checklist")
	}

	cid := w.start(t)
	if due := app.text("SELECT due_on FROM checklists WHERE id = ?", cid); due != "2099-01-31" {
		t.Errorf("due on %q, want the leaving date", due)
	}
	// Her page and the home page show it in progress, with a link to it.
	for _, p := range []string{path("/owners/:id", w.ada), "/"} {
		body := w.viewer().get(p).body
		if len(tagsWith(body, "open-checklists")) != 1 || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, "0 of 3 done") {
			t.Errorf("%s does not show the open checklist and its progress", p)
		}
	}
	if len(tagsWith(w.editor().get(path("/owners/:id", w.ada)).body, "offer-checklist")) != 0 {
		t.Error("the owner page still offers to start a started checklist")
	}
	if n := app.count("SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ?", cid); n != 3 {
		t.Errorf("%d saved items, want 3", n)
	}
	if by := app.text("SELECT started_by FROM checklists WHERE id = ?", cid); by != "editor@example.com" {
		t.Errorf("started by %q", by)
	}
	// Starting again keeps the one checklist.
	w.start(t)
	if n := app.count("SELECT COUNT(*) FROM checklists"); n != 1 {
		t.Errorf("%d checklists after starting twice", n)
	}

	r = w.editor().get(page)
	if r.status != http.StatusOK || len(checklistItems(r.body)) != 3 || strings.Contains(r.body, "Start checklist") {
		t.Fatalf("started page: status %d, %d items", r.status, len(checklistItems(r.body)))
	}
	// Every item has a tick form, but disabling Ada's login: only an admin
	// does that, and the editor sees it left for one.
	for _, it := range checklistItems(r.body) {
		hasForm := strings.Contains(r.body, `action="`+tickPath(cid, mustInt(t, it["data-item-id"]))+`#item-`)
		if isLogin := it["data-action"] == db.ActDisableLogin; hasForm == isLogin {
			t.Errorf("item %s (%s): tick form shown to the editor %v", it["data-item-id"], it["data-action"], hasForm)
		}
	}
	if len(tagsWith(r.body, "left-for-admin")) != 1 {
		t.Error("the editor is not told the login is left for an admin")
	}
	if !strings.Contains(r.body, `action="`+completePath(cid)+`"`) {
		t.Error("no Complete form")
	}
	if acts := timelineActions(r.body); len(acts) == 0 || acts[0] != "checklist.started" {
		t.Errorf("checklist timeline %v", acts)
	}
	// The owner page's timeline shows the start.
	if acts := timelineActions(w.editor().get(path("/owners/:id", w.ada)).body); len(acts) == 0 || acts[0] != "checklist.started" {
		t.Errorf("owner timeline %v does not start with checklist.started", acts)
	}
	// The viewer sees the saved checklist without controls.
	if r := w.viewer().get(page); r.status != http.StatusOK || strings.Contains(r.body, "Mark done") || strings.Contains(r.body, completePath(cid)) {
		t.Errorf("viewer sees controls on a started checklist (status %d)", r.status)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is no number", s)
	}
	return n
}

func TestChecklistTick(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	cid := w.start(t)
	page := path("/owners/:id/checklist", w.ada)

	t.Run("plain form carries out", func(t *testing.T) {
		iid := w.item(t, cid, db.ActRemoveRole, w.role)
		r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}, "note": {"removed in BM"}})
		if r.status != http.StatusSeeOther || r.location() != page {
			t.Fatalf("tick: status %d, location %q", r.status, r.location())
		}
		if st := app.text("SELECT status FROM roles WHERE id = ?", w.role); st != "removed" {
			t.Errorf("role %s, want removed", st)
		}
		if app.count("SELECT done FROM checklist_items WHERE id = ?", iid) != 1 ||
			app.text("SELECT done_by FROM checklist_items WHERE id = ?", iid) != "editor@example.com" {
			t.Error("item not done by the editor")
		}
		for _, action := range []string{"role.removed", "checklist.item_done"} {
			if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = ?", action); n != 1 {
				t.Errorf("%d %s events", n, action)
			}
		}
		body := w.editor().get(page).body
		if !strings.Contains(body, "Note: removed in BM") || !strings.Contains(body, `data-done="yes"`) {
			t.Error("the page does not show the done item and its note")
		}
	})

	t.Run("reassign without an owner is refused on the item", func(t *testing.T) {
		iid := w.item(t, cid, db.ActReassignToken, w.token)
		anchor := "item-" + id(iid)
		before := w.checklistSnapshot()
		// A plain form posts to a URL ending in the item's anchor, so the
		// page that answers opens at the item, which shows the error.
		if !strings.Contains(w.editor().get(page).body, `action="`+tickPath(cid, iid)+`#`+anchor+`"`) {
			t.Error("the item's form does not post to the item's anchor")
		}
		r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}, "note": {"kept"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "<html") {
			t.Errorf("plain refusal: status %d; want 422 with the whole page", r.status)
		}
		expectErrorInItem(t, "plain refusal", r.body, iid, "owner_id")
		if !strings.Contains(itemHTML(r.body, iid), `value="kept"`) {
			t.Error("the refused item does not keep the note typed")
		}
		r = w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}, asHTMX("checklist"))
		if r.status != http.StatusUnprocessableEntity || strings.Contains(r.body, "<html") || strings.Contains(r.body, `id="checklist"`) {
			t.Errorf("htmx refusal: status %d; want 422 with the item alone", r.status)
		}
		if got := r.header.Get("HX-Retarget"); got != "#"+anchor || r.header.Get("HX-Reswap") != "outerHTML" {
			t.Errorf("htmx refusal retargets %q with %q; want the item #%s swapped whole", got, r.header.Get("HX-Reswap"), anchor)
		}
		if items := checklistItems(r.body); len(items) != 1 || items[0]["data-item-id"] != id(iid) {
			t.Errorf("htmx refusal answers items %v; want the refused one", items)
		}
		expectErrorInItem(t, "htmx refusal", r.body, iid, "owner_id")
		// The focus goes to the field to fix.
		if !regexp.MustCompile(`<select[^>]*name="owner_id"[^>]*autofocus|<select[^>]*autofocus[^>]*name="owner_id"`).MatchString(itemHTML(r.body, iid)) {
			t.Error("the owner picker of the refused item does not take the focus")
		}
		if w.checklistSnapshot() != before {
			t.Error("a refused tick changed the database")
		}
	})

	t.Run("htmx tick answers the fragment", func(t *testing.T) {
		iid := w.item(t, cid, db.ActReassignToken, w.token)
		r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}, "owner_id": {id(w.bob)}}, asHTMX("checklist"))
		if r.status != http.StatusOK {
			t.Fatalf("htmx tick: status %d", r.status)
		}
		if strings.Contains(r.body, "<html") || !strings.Contains(r.body, `id="checklist"`) {
			t.Error("the answer is not the checklist fragment")
		}
		if !regexp.MustCompile(`<section[^>]*id="timeline"[^>]*data-hx-swap-oob="true"|<section[^>]*data-hx-swap-oob="true"[^>]*id="timeline"`).MatchString(r.body) {
			t.Error("no out-of-band timeline in the fragment")
		}
		if acts := timelineActions(r.body); len(acts) == 0 || acts[0] != "checklist.item_done" {
			t.Errorf("fragment timeline %v", acts)
		}
		if got := app.count("SELECT responsible_owner_id FROM tokens WHERE id = ?", w.token); got != w.bob {
			t.Errorf("token answered for by %d, want Bob %d", got, w.bob)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.reassigned' AND record_id = ?", w.token); n != 1 {
			t.Errorf("%d token.reassigned events", n)
		}
		for _, it := range checklistItems(r.body) {
			if it["data-item-id"] == id(iid) && it["data-done"] != "yes" {
				t.Error("the fragment shows the item not done")
			}
		}
	})

	t.Run("disable login", func(t *testing.T) {
		// Ada's login is signed in.
		ada := app.signedIn("ada.login@example.com")
		iid := w.item(t, cid, db.ActDisableLogin, w.login)
		// Only an admin disables a login: an editor's tick, carried out or
		// not, is refused with a message and writes nothing.
		page := path("/owners/:id/checklist", w.ada)
		if items := tagsWith(w.editor().get(page).body, "left-for-admin"); len(items) != 1 {
			t.Errorf("an editor's checklist shows %d items left for an admin, want the login's", len(items))
		}
		if items := tagsWith(w.admin().get(page).body, "left-for-admin"); len(items) != 0 {
			t.Errorf("an admin's checklist leaves %d items for an admin instead of offering them", len(items))
		}
		before := w.checklistSnapshot() + app.wholeSnapshot()
		for _, form := range []url.Values{{"done": {"1"}, "carry_out": {"1"}}, {"done": {"1"}}} {
			r := w.editor().post(tickPath(cid, iid), form)
			if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), "carry_out") || !strings.Contains(r.body, "Only an admin can disable a Steward login") {
				t.Errorf("editor ticks %v: status %d, errors %v; want 422 saying only an admin can", form, r.status, fieldErrors(r.body))
			}
		}
		if w.checklistSnapshot()+app.wholeSnapshot() != before {
			t.Error("an editor's refused tick changed the database")
		}
		if r := w.admin().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}); r.status != http.StatusSeeOther {
			t.Fatalf("admin carries it out: status %d", r.status)
		}
		if app.count("SELECT disabled FROM users WHERE id = ?", w.login) != 1 || app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", w.login) != 0 {
			t.Error("login still enabled or signed in")
		}
		if r := ada.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("Ada's session still works: status %d", r.status)
		}
	})

	t.Run("unknown item", func(t *testing.T) {
		if r := w.editor().post(tickPath(cid, 9999), url.Values{"done": {"1"}}); r.status != http.StatusNotFound {
			t.Errorf("status %d, want 404", r.status)
		}
		if r := w.editor().post(tickPath(9999, 1), url.Values{"done": {"1"}}); r.status != http.StatusNotFound {
			t.Errorf("status %d, want 404", r.status)
		}
	})
}

// itemHTML is the element of the checklist item iid in body.
func itemHTML(body string, iid int64) string {
	return regexp.MustCompile(`(?s)<li[^>]*data-item-id="` + strconv.FormatInt(iid, 10) + `".*?</li>`).FindString(body)
}

// expectErrorInItem checks a page or fragment shows an error on field
// inside item iid, and nowhere else.
func expectErrorInItem(t *testing.T, what, body string, iid int64, field string) {
	t.Helper()
	if got := fieldErrors(itemHTML(body, iid)); !slices.Equal(got, []string{field}) {
		t.Errorf("%s: item %d shows errors on %v, want %s", what, iid, got, field)
	}
	if got := fieldErrors(body); len(got) != 1 {
		t.Errorf("%s: the answer shows %d errors %v, want one, on the item", what, len(got), got)
	}
}

// "Reassign or revoke" with revoke chosen revokes the token, keeps who
// answered for it, and does not ask for a new owner; an owner chosen as well
// is ignored, since the token is gone.
func TestChecklistRevokeInsteadOfReassign(t *testing.T) {
	t.Parallel()
	for _, form := range []url.Values{
		{"done": {"1"}, "carry_out": {"1"}, "revoke": {"1"}},
		{"done": {"1"}, "carry_out": {"1"}, "revoke": {"1"}, "owner_id": {"bob"}}, // filled in below
	} {
		w := newClWorld(t)
		app := w.app
		w.setOffboarding(t, "2030-01-31")
		finding := "/tokens?finding=owner-departed"
		if !strings.Contains(w.editor().get(finding).body, "CRM token") {
			t.Fatal("Ada's token is not listed as answered for by someone leaving")
		}
		cid := w.start(t)
		iid := w.item(t, cid, db.ActReassignToken, w.token)
		if iid == 0 {
			t.Fatal("no reassign-or-revoke item for Ada's token")
		}
		page := path("/owners/:id/checklist", w.ada)
		if body := w.editor().get(page).body; !strings.Contains(body, `name="revoke"`) || !strings.Contains(body, "Revoke it instead") {
			t.Fatal("the checklist offers no way to revoke instead")
		}
		if form.Has("owner_id") {
			form.Set("owner_id", id(w.bob))
		}
		r := w.editor().post(tickPath(cid, iid), form)
		if r.status != http.StatusSeeOther || r.location() != page {
			t.Fatalf("revoke instead (%v): status %d, location %q", form, r.status, r.location())
		}
		if st := app.text("SELECT status FROM tokens WHERE id = ?", w.token); st != "revoked" {
			t.Errorf("token %s, want revoked", st)
		}
		if got := app.count("SELECT responsible_owner_id FROM tokens WHERE id = ?", w.token); got != w.ada {
			t.Errorf("token answered for by %d, want still Ada %d (revoked, not reassigned)", got, w.ada)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.revoked' AND record_id = ?", w.token); n != 1 {
			t.Errorf("%d token.revoked events, want 1", n)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.reassigned'"); n != 0 {
			t.Errorf("%d token.reassigned events, want none", n)
		}
		if app.count("SELECT done FROM checklist_items WHERE id = ?", iid) != 1 {
			t.Error("the item is not done")
		}
		// Revoked, the token leaves the "answered for by someone leaving" finding.
		if strings.Contains(w.editor().get(finding).body, "CRM token") {
			t.Error("the revoked token is still listed as answered for by someone leaving")
		}
	}
}

func TestChecklistComplete(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	w.setOffboarding(t, "2020-01-31") // long gone, the work not done
	cid := w.start(t)
	page := path("/owners/:id/checklist", w.ada)
	if n := findingCount(t, w.viewer().get("/").body, "offboarding-overdue"); n != "1" {
		t.Errorf("offboarding-overdue shows %s, want 1", n)
	}
	if !strings.Contains(w.viewer().get("/").body, "Overdue since 2020-01-31") {
		t.Error("the home page's open checklist is not marked overdue")
	}

	before := w.checklistSnapshot()
	r := w.editor().post(completePath(cid), url.Values{"reason": {""}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(strings.Join(fieldErrors(r.body), ","), "reason") {
		t.Errorf("complete without a reason: status %d, field errors %v", r.status, fieldErrors(r.body))
	}
	if w.checklistSnapshot() != before {
		t.Error("a refused completion changed the database")
	}

	r = w.editor().post(completePath(cid), url.Values{"reason": {"Handled by IT on paper"}})
	if r.status != http.StatusSeeOther || r.location() != page {
		t.Fatalf("complete: status %d, location %q", r.status, r.location())
	}
	if st := app.text("SELECT status FROM checklists WHERE id = ?", cid); st != "completed" {
		t.Errorf("checklist %s", st)
	}
	if st := app.text("SELECT status FROM owners WHERE id = ?", w.ada); st != "departed" {
		t.Errorf("owner %s, want departed", st)
	}
	// An editor completed it: Ada's login stays enabled for an admin, and
	// the home page says so.
	if app.count("SELECT disabled FROM users WHERE id = ?", w.login) != 0 {
		t.Error("an editor's completion disabled the departed owner's login")
	}
	if n := findingCount(t, w.viewer().get("/").body, "departed-with-login"); n != "1" {
		t.Errorf("departed-with-login shows %s, want 1", n)
	}
	changes := app.text("SELECT changes FROM audit_events WHERE action = 'checklist.completed'")
	if !strings.Contains(changes, "Handled by IT on paper") {
		t.Errorf("checklist.completed changes %s lack the reason", changes)
	}
	if n := findingCount(t, w.viewer().get("/").body, "offboarding-overdue"); n != "0" {
		t.Errorf("offboarding-overdue shows %s after completing, want 0", n)
	}
	if len(tagsWith(w.viewer().get(path("/owners/:id", w.ada)).body, "open-checklists")) != 0 {
		t.Error("the owner page still lists the completed checklist in progress")
	}
	body := w.editor().get(page).body
	if !strings.Contains(body, "completed") || strings.Contains(body, "Mark done") || !strings.Contains(body, "Start a new checklist") {
		t.Error("the completed checklist page still offers ticks, or no new start")
	}
	// Completing again is refused.
	if r := w.editor().post(completePath(cid), url.Values{"reason": {"again"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("completing twice: status %d", r.status)
	}
}

// TestChecklistViewerCannotWork: a viewer may read and print a checklist but
// not start, tick or complete it.
func TestChecklistViewerCannotWork(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	cid := w.start(t)
	iid := w.item(t, cid, db.ActRemoveRole, w.role)
	acc := path("/accounts/:id/checklist", w.account)
	viewer := w.viewer()
	for _, req := range []struct {
		path string
		form url.Values
	}{
		{path("/owners/:id/checklist", w.bob), url.Values{"due_on": {""}}},
		{acc, nil},
		{tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}},
		{completePath(cid), url.Values{"reason": {"because"}}},
	} {
		before := w.checklistSnapshot()
		for _, opts := range [][]reqOpt{nil, {asHTMX("checklist")}} {
			if r := viewer.post(req.path, req.form, opts...); r.status != http.StatusForbidden {
				t.Errorf("viewer POST %s: status %d, want 403", req.path, r.status)
			}
		}
		if w.checklistSnapshot() != before {
			t.Errorf("viewer POST %s changed the database", req.path)
		}
	}
	if st := app.text("SELECT status FROM roles WHERE id = ?", w.role); st != "active" {
		t.Errorf("role %s after the viewer's tick", st)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'request.denied'"); n != 8 {
		t.Errorf("%d request.denied events, want 8", n)
	}
	if r := w.viewer().get(path("/owners/:id/checklist", w.ada)); r.status != http.StatusOK {
		t.Errorf("viewer GET checklist: status %d", r.status)
	}
}

func TestStandingItemsAdmin(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	if r := w.admin().get("/admin/checklists"); r.status != http.StatusOK || !strings.Contains(r.body, "No standing items yet") {
		t.Fatalf("GET /admin/checklists: status %d", r.status)
	}
	for _, c := range []*client{w.editor(), w.viewer()} {
		before := w.checklistSnapshot()
		if r := c.get("/admin/checklists"); r.status != http.StatusForbidden {
			t.Errorf("non-admin GET: status %d", r.status)
		}
		if r := c.post("/admin/checklists", url.Values{"kind": {"owner"}, "text": {"Sneaky"}}); r.status != http.StatusForbidden {
			t.Errorf("non-admin add: status %d", r.status)
		}
		if w.checklistSnapshot() != before || app.count("SELECT COUNT(*) FROM standing_items") != 0 {
			t.Error("a non-admin changed the standing items")
		}
	}
	r := w.admin().post("/admin/checklists", url.Values{"kind": {"nonsense"}, "text": {""}})
	if r.status != http.StatusUnprocessableEntity || len(fieldErrors(r.body)) != 2 {
		t.Errorf("invalid standing item: status %d, errors %v", r.status, fieldErrors(r.body))
	}
	r = w.admin().post("/admin/checklists", url.Values{"kind": {"owner"}, "text": {"Collect the laptop"}})
	if r.status != http.StatusSeeOther || r.location() != "/admin/checklists" {
		t.Fatalf("add: status %d, location %q", r.status, r.location())
	}
	sid := app.count("SELECT id FROM standing_items WHERE text = 'Collect the laptop'")
	if n := len(tagsWith(w.admin().get("/admin/checklists").body, "standing-item")); n != 1 {
		t.Errorf("%d standing items listed", n)
	}

	// A new owner checklist includes it.
	carol := app.createOwner("Carol New", "carol@example.com")
	body := w.editor().get(path("/owners/:id/checklist", carol)).body
	if items := checklistItems(body); len(items) != 1 || items[0]["data-action"] != db.ActStanding || !strings.Contains(body, "Collect the laptop") {
		t.Errorf("Carol's checklist items %v", items)
	}
	cid := w.start(t)
	if n := app.count("SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ? AND title = 'Collect the laptop'", cid); n != 1 {
		t.Errorf("started checklist has %d standing items", n)
	}

	del := "/admin/checklists/" + strconv.FormatInt(sid, 10) + "/delete"
	if r := w.editor().post(del, nil); r.status != http.StatusForbidden {
		t.Errorf("editor delete: status %d, want 403", r.status)
	}
	if app.count("SELECT COUNT(*) FROM standing_items") != 1 {
		t.Error("the editor's delete went through")
	}
	if r := w.admin().post(del, nil); r.status != http.StatusSeeOther {
		t.Errorf("admin delete: status %d", r.status)
	}
	if app.count("SELECT COUNT(*) FROM standing_items") != 0 {
		t.Error("not deleted")
	}
	if r := w.admin().post(del, nil); r.status != http.StatusNotFound {
		t.Errorf("deleting again: status %d, want 404", r.status)
	}
	// The started checklist keeps its copy.
	if n := app.count("SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ? AND title = 'Collect the laptop'", cid); n != 1 {
		t.Error("the saved checklist lost its standing item")
	}
	for _, action := range []string{"standing_item.added", "standing_item.removed"} {
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = ?", action); n != 1 {
			t.Errorf("%d %s events", n, action)
		}
	}
}

func TestChecklistEscaping(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	const standing = `<script>alert("standing")</script>`
	const note = `"><img src=x onerror=alert(1)>`
	if r := w.admin().post("/admin/checklists", url.Values{"kind": {"owner"}, "text": {standing}}); r.status != http.StatusSeeOther {
		t.Fatalf("add standing item: status %d", r.status)
	}
	cid := w.start(t)
	iid := w.item(t, cid, db.ActStanding, 0)
	if r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "note": {note}}); r.status != http.StatusSeeOther {
		t.Fatalf("tick with note: status %d", r.status)
	}
	if got := app.text("SELECT note FROM checklist_items WHERE id = ?", iid); got != note {
		t.Fatalf("note stored as %q", got)
	}
	for where, r := range map[string]response{
		"checklist page": w.editor().get(path("/owners/:id/checklist", w.ada)),
		"htmx fragment":  w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "note": {note}}, asHTMX("checklist")),
		"admin page":     w.admin().get("/admin/checklists"),
		"timeline":       w.editor().get("/checklists/" + id(cid) + "/timeline"),
	} {
		if r.status != http.StatusOK {
			t.Errorf("%s: status %d", where, r.status)
			continue
		}
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s: raw %q in the page", where, raw)
			}
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(&#34;standing&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the escaped standing item is not shown", where)
		}
	}
	if body := w.editor().get(path("/owners/:id/checklist", w.ada)).body; !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the escaped note is not shown")
	}
}

var checklistMore = regexp.MustCompile(`href="([^"]*\?before=\d+)"`)

func TestChecklistTimeline(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	cid := w.start(t)
	tl := "/checklists/" + id(cid) + "/timeline"
	r := w.viewer().get(tl)
	if r.status != http.StatusOK || len(timelineActions(r.body)) != 1 || timelineActions(r.body)[0] != "checklist.started" {
		t.Fatalf("GET %s: status %d, events %v", tl, r.status, timelineActions(r.body))
	}
	if !strings.Contains(r.body, `href="`+path("/owners/:id/checklist", w.ada)+`"`) {
		t.Error("the checklist's timeline page does not link back to the checklist")
	}
	// Enough ticks for a second page on the checklist page (50 events) and
	// a third on the timeline's (20 a page); "load more" leads to the rest.
	iid := w.item(t, cid, db.ActRemoveRole, w.role)
	for i := range 51 {
		done := "1"
		if i%2 == 1 {
			done = "0"
		}
		if r := w.editor().post(tickPath(cid, iid), url.Values{"done": {done}}); r.status != http.StatusSeeOther {
			t.Fatalf("tick %d: status %d", i, r.status)
		}
	}
	seen := 0
	next := tl
	for range 6 {
		r := w.viewer().get(next)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", next, r.status)
		}
		seen += len(timelineActions(r.body))
		m := checklistMore.FindStringSubmatch(r.body)
		if m == nil {
			break
		}
		next = html.UnescapeString(m[1])
		if !strings.HasPrefix(next, tl+"?before=") {
			t.Fatalf("load more leads to %q, want %s?before=…", next, tl)
		}
	}
	if seen != 52 {
		t.Errorf("%d events over the timeline's pages, want 52", seen)
	}
	// And from the checklist page itself.
	body := w.editor().get(path("/owners/:id/checklist", w.ada)).body
	if m := checklistMore.FindStringSubmatch(body); m == nil || !strings.HasPrefix(html.UnescapeString(m[1]), tl+"?before=") {
		t.Errorf("the checklist page's load more is %v", m)
	}
	if r := w.viewer().get("/checklists/9999/timeline"); r.status != http.StatusNotFound {
		t.Errorf("unknown checklist timeline: status %d", r.status)
	}
	// htmx's "load more" gets the events alone.
	if r := w.viewer().get(tl+"?before=999999", asHTMX("timeline-more")); r.status != http.StatusOK || strings.Contains(r.body, "<html") ||
		len(timelineActions(r.body)) != 20 {
		t.Errorf("htmx load more: status %d, %d events", r.status, len(timelineActions(r.body)))
	}
	if n := app.count("SELECT COUNT(*) FROM audit_links WHERE record_kind = 'checklist' AND record_id = ?", cid); n != 52 {
		t.Errorf("%d events linked to the checklist, want 52", n)
	}
}

// findingCount is the count the home page shows for a finding.
func findingCount(t *testing.T, body, kind string) string {
	t.Helper()
	for _, f := range tagsWith(body, "finding") {
		if f["data-finding"] == kind {
			return f["data-count"]
		}
	}
	t.Fatalf("the home page has no finding %s", kind)
	return ""
}

// TestDecommissionLegacyCRM works the demo's retired integration through the
// router: its checklist revokes the token it still holds.
func TestDecommissionLegacyCRM(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := context.Background()
	if err := seed.Demo(ctx, app.store); err != nil {
		t.Fatal(err)
	}
	app.createUser("ops@example.com", db.RoleEditor)
	c := app.signedIn("ops@example.com")
	crm := app.count("SELECT id FROM integrations WHERE name = 'Legacy CRM sync'")
	tok := app.count("SELECT id FROM tokens WHERE integration_id = ? AND status = 'active'", crm)
	if crm == 0 || tok == 0 || app.text("SELECT status FROM integrations WHERE id = ?", crm) != "retired" {
		t.Fatalf("demo: integration %d, active token %d", crm, tok)
	}
	if findingCount(t, c.get("/").body, "retired-integration-active-token") != "1" {
		t.Fatal("the home page does not show the retired integration's token")
	}
	page := path("/integrations/:id/checklist", crm)
	r := c.get(page)
	if r.status != http.StatusOK || !strings.Contains(r.body, "CRM audience upload") || !strings.Contains(r.body, "Business Settings") {
		t.Fatalf("GET %s: status %d, or no revoke item with Meta steps", page, r.status)
	}
	if r := c.post(page, nil); r.status != http.StatusSeeOther {
		t.Fatalf("start: status %d", r.status)
	}
	cid := app.count("SELECT id FROM checklists WHERE subject_kind = 'integration' AND subject_id = ?", crm)
	iid := app.count("SELECT id FROM checklist_items WHERE checklist_id = ? AND action = ? AND target_id = ?", cid, db.ActRevokeToken, tok)
	if iid == 0 {
		t.Fatal("no revoke item for the token")
	}
	r = c.post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}, asHTMX("checklist"))
	if r.status != http.StatusOK {
		t.Fatalf("tick: status %d", r.status)
	}
	if st := app.text("SELECT status FROM tokens WHERE id = ?", tok); st != "revoked" {
		t.Errorf("token %s, want revoked", st)
	}
	if n := app.count("SELECT COUNT(*) FROM tokens WHERE integration_id = ? AND status = 'active'", crm); n != 0 {
		t.Errorf("%d active tokens left on the retired integration", n)
	}
	if findingCount(t, c.get("/").body, "retired-integration-active-token") != "0" {
		t.Error("the finding is still on the home page")
	}
	// The revocation is on the token's and the integration's timelines.
	for _, p := range []string{path("/tokens/:id", tok), path("/integrations/:id", crm)} {
		acts := timelineActions(c.get(p).body)
		if !strings.Contains(strings.Join(acts, ","), "token.revoked") {
			t.Errorf("%s timeline %v lacks token.revoked", p, acts)
		}
	}
	// Everything else done by hand, it completes without a reason.
	open := app.count("SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ? AND done = 0", cid)
	for i := int64(0); i < open; i++ {
		next := app.count("SELECT id FROM checklist_items WHERE checklist_id = ? AND done = 0 ORDER BY position LIMIT 1", cid)
		if r := c.post(tickPath(cid, next), url.Values{"done": {"1"}}); r.status != http.StatusSeeOther {
			t.Fatalf("tick %d: status %d", next, r.status)
		}
	}
	if r := c.post(completePath(cid), nil); r.status != http.StatusSeeOther {
		t.Errorf("complete: status %d", r.status)
	}
	if st := app.text("SELECT status FROM integrations WHERE id = ?", crm); st != "retired" {
		t.Errorf("integration %s", st)
	}
}

// A busy record's checklist page shows its first items with a count and a
// link to all of them, and printing goes through the page with all: no page
// grows with the record, and a printout still lists everything to sign.
func TestLongChecklistShowsItsFirstItemsAndPrintsThemAll(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("val@example.com", db.RoleViewer)
	val := app.signedIn("val@example.com")
	owner := app.createOwner("Ada Lovelace", "ada@example.com")
	n := pages.ChecklistItemsShown + 5
	for i := range n {
		app.storeToken(db.TokenInput{Name: fmt.Sprintf("Key %03d", i), Kind: "api_key", ResponsibleOwnerID: id(owner)})
	}
	items := regexp.MustCompile(`data-testid="checklist-item"`)
	page := val.get("/owners/" + id(owner) + "/checklist")
	if page.status != http.StatusOK {
		t.Fatalf("checklist: status %d", page.status)
	}
	if got := len(items.FindAllString(page.body, -1)); got != pages.ChecklistItemsShown {
		t.Errorf("the checklist page shows %d items, want the first %d", got, pages.ChecklistItemsShown)
	}
	all := fmt.Sprintf("Show all %d items", n)
	if !strings.Contains(page.body, all) || strings.Contains(page.body, "js-print") {
		t.Errorf("the capped page does not link to all %d items, or offers to print only some", n)
	}
	full := val.get("/owners/" + id(owner) + "/checklist?all=1")
	if got := len(items.FindAllString(full.body, -1)); got != n || !strings.Contains(full.body, "js-print") {
		t.Errorf("the page with all items shows %d items (want %d) or cannot be printed", got, n)
	}
}

// twoAdmins makes Ada and Bob the two admins of a new account, Northwind
// Outfitters, and returns it and Ada's admin role.
func (w *clWorld) twoAdmins(t *testing.T) (account, adaAdmin int64) {
	t.Helper()
	account = w.app.createAccount("Northwind Outfitters", "Meta")
	for _, holder := range []int64{w.ada, w.bob} {
		rid, err := w.app.store.CreateRole(context.Background(), db.SystemActor("test"),
			db.RoleInput{AccountID: id(account), OwnerID: id(holder), Role: "Admin", Admin: "1"})
		if err != nil {
			t.Fatal(err)
		}
		if holder == w.ada {
			adaAdmin = rid
		}
	}
	return account, adaAdmin
}

// A completed checklist's open items are past acting on: no warnings.
func TestCompletedChecklistDoesNotWarn(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	w.twoAdmins(t)
	cid := w.start(t)
	page := path("/owners/:id/checklist", w.ada)
	if n := len(tagsWith(w.editor().get(page).body, "admin-risk")); n != 1 {
		t.Fatalf("the open checklist shows %d warnings, want 1", n)
	}
	if r := w.editor().post(completePath(cid), url.Values{"reason": {"handled elsewhere"}}); r.status != http.StatusSeeOther {
		t.Fatalf("complete: status %d", r.status)
	}
	if n := len(tagsWith(w.editor().get(page).body, "admin-risk")); n != 0 {
		t.Errorf("the completed checklist shows %d warnings", n)
	}
}

// An item that would leave an account with one admin (or none) says so on
// the item before it is done, with a link to grant a second admin; once done
// it no longer warns.
func TestChecklistWarnsBeforeLeavingOneAdmin(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	ctx := context.Background()
	northwind, adaAdmin := w.twoAdmins(t)
	page := path("/owners/:id/checklist", w.ada)
	grant := "/roles/new?admin=1&amp;account_id=" + id(northwind)
	warned := func(body string) []map[string]string { return tagsWith(body, "admin-risk") }

	// The plan warns already, before the checklist starts.
	body := w.editor().get(page).body
	if risks := warned(body); len(risks) != 1 || risks[0]["data-account-id"] != id(northwind) {
		t.Fatalf("the plan shows admin risks %v, want one on Northwind Outfitters", risks)
	}
	cid := w.start(t)
	iid := w.item(t, cid, db.ActRemoveRole, adaAdmin)
	body = w.editor().get(page).body
	item := itemHTML(body, iid)
	if !strings.Contains(item, `data-testid="admin-risk"`) || !strings.Contains(item, "Northwind Outfitters would be left with one admin.") ||
		!strings.Contains(item, `href="`+grant+`"`) {
		t.Errorf("the admin role's item does not warn and suggest a second admin:\n%s", item)
	}
	if n := len(warned(body)); n != 1 {
		t.Errorf("%d warnings on the page, want only the admin role's", n)
	}
	// The suggested link opens the role form with the account and admin chosen.
	form := w.editor().get(html.UnescapeString(grant)).body
	if !regexp.MustCompile(`<option[^>]*value="`+id(northwind)+`"[^>]*selected`).MatchString(form) ||
		!regexp.MustCompile(`<input[^>]*name="admin"[^>]*checked`).MatchString(form) {
		t.Error("the new role form is not prefilled with the account and admin")
	}

	// With Bob's admin role gone as well, nobody would be left.
	if err := app.store.RemoveRole(ctx, db.SystemActor("test"), w.app.count("SELECT id FROM roles WHERE owner_id = ? AND account_id = ?", w.bob, northwind)); err != nil {
		t.Fatal(err)
	}
	if item := itemHTML(w.editor().get(page).body, iid); !strings.Contains(item, "Northwind Outfitters would be left with no admin.") {
		t.Errorf("removing the last admin does not say so:\n%s", item)
	}

	// Done, the item no longer warns.
	if r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("tick: status %d", r.status)
	}
	if n := len(warned(w.editor().get(page).body)); n != 0 {
		t.Errorf("%d warnings once the item is done", n)
	}
}

// Each carried-out item says what happened, on the item and on the
// checklist's timeline; one ticked by hand says who marked it done.
func TestChecklistSaysWhatWasCarriedOut(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	cid := w.start(t)
	page := path("/owners/:id/checklist", w.ada)
	tokenItem := w.item(t, cid, db.ActReassignToken, w.token)
	roleItem := w.item(t, cid, db.ActRemoveRole, w.role)
	if r := w.editor().post(tickPath(cid, tokenItem), url.Values{"done": {"1"}, "carry_out": {"1"}, "owner_id": {id(w.bob)}}); r.status != http.StatusSeeOther {
		t.Fatalf("reassign: status %d", r.status)
	}
	if r := w.editor().post(tickPath(cid, roleItem), url.Values{"done": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("tick by hand: status %d", r.status)
	}
	if got := app.text("SELECT outcome FROM checklist_items WHERE id = ?", tokenItem); got != "Reassigned to Bob Stayer" {
		t.Errorf("the reassigned item keeps %q", got)
	}
	body := w.editor().get(page).body
	if item := itemHTML(body, tokenItem); !strings.Contains(item, "Reassigned to Bob Stayer") {
		t.Errorf("the reassigned item does not say to whom:\n%s", item)
	}
	if item := itemHTML(body, roleItem); !strings.Contains(item, "Marked done by editor@example.com") {
		t.Errorf("the item ticked by hand does not say who marked it:\n%s", item)
	}
	if !strings.Contains(body, "Reassign or revoke CRM token: they answer for it — Reassigned to Bob Stayer") {
		t.Error("the checklist's timeline does not say what the tick did")
	}
}

// The checklist is titled by its kind and subject, and carries the
// organisation's name, which only an admin sets, with an audit event.
func TestChecklistTitleAndOrganisation(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	page := path("/owners/:id/checklist", w.ada)
	body := w.editor().get(page).body
	if !strings.Contains(body, "<title>Offboarding checklist — Ada Leaver · Steward</title>") ||
		!strings.Contains(body, `data-testid="checklist-title">Offboarding checklist — <a`) || len(tagsWith(body, "organisation")) != 0 {
		t.Errorf("the checklist is not titled “Offboarding checklist — Ada Leaver”, or shows an organisation not set: %.300s", regexp.MustCompile(`<title>.*?</title>|<h1.*?</h1>`).FindAllString(body, -1))
	}
	if body := w.editor().get(path("/tokens/:id/checklist", w.token)).body; !strings.Contains(body, "Revocation checklist — CRM token") {
		t.Error("a token's checklist is not a revocation checklist")
	}

	w.admin() // signed in before the snapshot
	before := app.wholeSnapshot()
	if r := w.editor().post("/admin/organisation", url.Values{"organisation_name": {"Northwind Outfitters Ltd"}}); r.status != http.StatusForbidden {
		t.Errorf("an editor sets the organisation's name: status %d", r.status)
	}
	r := w.admin().post("/admin/organisation", url.Values{"organisation_name": {"Bad\u200bName"}})
	if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), "organisation_name") || !strings.Contains(r.body, "Bad\u200bName") {
		t.Errorf("an invalid name: status %d, errors %v; want 422 beside the field, value kept", r.status, fieldErrors(r.body))
	}
	if app.wholeSnapshot() != before {
		t.Error("refused changes of the organisation's name wrote something")
	}
	if r := w.admin().post("/admin/organisation", url.Values{"organisation_name": {"Northwind Outfitters Ltd"}}); r.status != http.StatusSeeOther || r.location() != "/admin" {
		t.Fatalf("saving the name: status %d, location %q", r.status, r.location())
	}
	if got := app.text("SELECT value FROM settings WHERE key = 'organisation_name'"); got != "Northwind Outfitters Ltd" {
		t.Errorf("stored name %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'settings.changed'"); n != 1 {
		t.Errorf("%d settings.changed events, want 1", n)
	}
	if body := w.admin().get("/admin").body; !strings.Contains(body, `value="Northwind Outfitters Ltd"`) {
		t.Error("the admin page does not show the name")
	}
	if org := tagsWith(w.editor().get(page).body, "organisation"); len(org) != 1 {
		t.Error("the checklist does not show the organisation's name")
	} else if body := w.editor().get(page).body; !strings.Contains(body, ">Northwind Outfitters Ltd<") {
		t.Error("the checklist shows another organisation name")
	}
}
