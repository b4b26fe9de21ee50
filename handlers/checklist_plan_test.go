package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

// TestChecklistRotateItemTakesTheNewValue: the "Rotate …" item of an
// offboarding takes the new value in its tick form and carries it out.
func TestChecklistRotateItemTakesTheNewValue(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	old := randomSecret("ghp_")
	tok := app.storeToken(db.TokenInput{Name: "Deploy key", Kind: "api_key", ResponsibleOwnerID: id(w.bob), CreatedByOwnerID: id(w.ada), Secret: old})
	cid := w.start(t)
	iid := w.item(t, cid, db.ActRotateToken, tok)
	if iid == 0 {
		t.Fatal("no rotate item for the token Ada created")
	}
	page := w.editor().get(path("/owners/:id/checklist", w.ada))
	form := regexp.MustCompile(`(?s)<form[^>]*action="` + tickPath(cid, iid) + `[#"].*?</form>`).FindString(page.body)
	if !regexp.MustCompile(`<input[^>]*name="secret"[^>]*type="password"[^>]*autocomplete="off"`).MatchString(form) {
		t.Errorf("the rotate item's tick form has no value field:\n%s", form)
	}

	before := w.checklistSnapshot() + app.formerValues()
	for _, opts := range [][]reqOpt{nil, {asHTMX("checklist")}} {
		r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}}, opts...)
		item := regexp.MustCompile(`(?s)<li[^>]*data-item-id="` + id(iid) + `".*?</li>`).FindString(r.body)
		if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(item), []string{"secret"}) ||
			!regexp.MustCompile(`<input[^>]*name="secret"[^>]*autofocus`).MatchString(item) {
			t.Errorf("carrying out a rotation without the value (htmx %v): status %d, errors on the item %v, or the value field not focused",
				opts != nil, r.status, fieldErrors(item))
		}
	}
	if w.checklistSnapshot()+app.formerValues() != before {
		t.Error("a refused rotation wrote to the database")
	}
	fresh := randomSecret("ghp_")
	if r := w.editor().post(tickPath(cid, iid), url.Values{"done": {"1"}, "carry_out": {"1"}, "secret": {fresh}}); r.status != http.StatusSeeOther {
		t.Fatalf("tick: status %d", r.status)
	}
	if got := app.text("SELECT fingerprint FROM tokens WHERE id = ?", tok); got != fingerprintOf(fresh) {
		t.Error("the tick did not register the new value")
	}
	if n := app.count("SELECT COUNT(*) FROM token_former_values WHERE token_id = ? AND fingerprint = ?", tok, fingerprintOf(old)); n != 1 {
		t.Error("the old value is not kept as a former value")
	}
	if n := app.count("SELECT done FROM checklist_items WHERE id = ?", iid); n != 1 {
		t.Error("the item is not done")
	}
}

// TestChecklistsThatMakeSense: the reassign picker never offers the person
// leaving, a checklist with nothing to do says so instead of starting, and
// a due date in the past is flagged on the checklist and in the lists.
func TestChecklistsThatMakeSense(t *testing.T) {
	t.Parallel()
	w := newClWorld(t)
	app := w.app
	cid := w.start(t)
	page := w.editor().get(path("/owners/:id/checklist", w.ada)).body
	picker := regexp.MustCompile(`(?s)<select[^>]*name="owner_id".*?</select>`).FindString(page)
	if picker == "" || !strings.Contains(picker, `value="`+id(w.bob)+`"`) || strings.Contains(picker, `value="`+id(w.ada)+`"`) {
		t.Errorf("the reassign picker offers Ada %v or lacks Bob %v", strings.Contains(picker, `value="`+id(w.ada)+`"`),
			strings.Contains(picker, `value="`+id(w.bob)+`"`))
	}
	if len(tagsWith(page, "overdue")) != 0 {
		t.Error("a checklist with no due date is flagged overdue")
	}

	// Overdue: due yesterday, flagged with its date here and in the lists.
	if err := app.store.Exec(context.Background(), "UPDATE checklists SET due_on = '2020-01-31' WHERE id = ?", cid); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path("/owners/:id/checklist", w.ada), path("/owners/:id", w.ada), "/"} {
		body := w.viewer().get(p).body
		if len(tagsWith(body, "overdue")) != 1 || !regexp.MustCompile(`data-testid="overdue"[^>]*>\s*Overdue since 2020-01-31`).MatchString(body) {
			t.Errorf("%s does not flag the checklist overdue since 2020-01-31", p)
		}
	}

	// Someone with nothing: no Start button, and starting answers why.
	idle := app.createOwner("Idle Person", "idle@example.com")
	page = w.editor().get(path("/owners/:id/checklist", idle)).body
	if strings.Contains(page, "Start checklist") || strings.Contains(page, "Sign-off") || len(tagsWith(page, "nothing-to-do")) != 1 ||
		!strings.Contains(page, "Nothing to do: Idle Person holds no access Steward knows of.") {
		t.Error("an empty checklist offers Start or does not say there is nothing to do")
	}
	before := app.count("SELECT COUNT(*) FROM checklists")
	r := w.editor().post(path("/owners/:id/checklist", idle), url.Values{"due_on": {""}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Nothing to do: Idle Person holds no access Steward knows of.") {
		t.Errorf("starting an empty checklist: status %d", r.status)
	}
	if app.count("SELECT COUNT(*) FROM checklists") != before {
		t.Error("an empty checklist was started")
	}
	// Their page, once they are leaving, says so instead of offering to start one.
	if err := app.store.Exec(context.Background(), "UPDATE owners SET status = 'offboarding' WHERE id = ?", idle); err != nil {
		t.Fatal(err)
	}
	owner := w.editor().get(path("/owners/:id", idle)).body
	if len(tagsWith(owner, "offer-checklist")) != 1 || strings.Contains(owner, "Start offboarding checklist") ||
		!strings.Contains(owner, "Nothing to do: Idle Person holds no access Steward knows of.") {
		t.Error("the page of a leaving person with nothing to do offers to start their checklist")
	}

	// On screen no box is drawn that is not a control; print keeps one.
	for _, box := range regexp.MustCompile(`<span[^>]*border-2[^>]*>`).FindAllString(page+w.viewer().get(path("/owners/:id/checklist", w.ada)).body, -1) {
		if !strings.Contains(box, "hidden") || !strings.Contains(box, "print:inline-flex") {
			t.Errorf("a box drawn on screen: %s", box)
		}
	}
}
