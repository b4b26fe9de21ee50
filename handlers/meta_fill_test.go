package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetaCheckFillsBlankFields: what Meta says of a pasted token fills
// the fields the form left blank (issued on, scopes, the system user it
// is issued to, the accounts it reaches), never one the person filled in,
// and the message after saving says so.
func TestMetaCheckFillsBlankFields(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	blank := randomSecret("EAAG")
	w.graph.AddToken(blank, validNeverExpiring())
	r := w.c.post("/tokens", tokenForm("Blank token", "system_user_token", map[string]string{"account_id": id(w.bm), "secret": blank}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d\n%s", r.status, r.body)
	}
	tok := idFromLocation(t, r, "/tokens/")
	want := "2026-02-28|pages_show_list, pages_read_engagement|" + id(w.su) + "|Northwind Shop, Northwind Blog, Meta asset 3333"
	if got := w.app.text("SELECT issued_on || '|' || scopes || '|' || COALESCE(system_user_id, '') || '|' || assets FROM tokens WHERE id = ?", tok); got != want {
		t.Errorf("token holds %q, want %q", got, want)
	}
	if page := w.c.get(r.location()); !strings.Contains(page.body, "Filled in from Meta: issued on, scopes, issued to, assets it reaches.") {
		t.Error("the message after saving does not say what was filled in from Meta")
	}

	filled := randomSecret("EAAG")
	w.graph.AddToken(filled, validNeverExpiring())
	person := w.app.createOwner("Ana Ruiz", "ana@example.com")
	r = w.c.post("/tokens", tokenForm("Filled token", "system_user_token", map[string]string{"account_id": id(w.bm), "secret": filled,
		"issued_on": "2026-03-01", "scopes": "ads_read", "owner_id": id(person), "assets": "The shop"}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d\n%s", r.status, r.body)
	}
	tok = idFromLocation(t, r, "/tokens/")
	want = "2026-03-01|ads_read||" + id(person) + "|The shop"
	if got := w.app.text("SELECT issued_on || '|' || scopes || '|' || COALESCE(system_user_id, '') || '|' || owner_id || '|' || assets FROM tokens WHERE id = ?", tok); got != want {
		t.Errorf("token holds %q, want the form's %q", got, want)
	}
}

// TestMetaIssueDateAfterMetaExpiry: a form's issue date after the expiry
// Meta gives would make every later save fail ("cannot expire before it
// was issued"), so Meta's issue date replaces it.
func TestMetaIssueDateAfterMetaExpiry(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	expiring := validNeverExpiring()
	expiring.ExpiresAt = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC).Unix()
	secret2 := randomSecret("EAAG")
	w.graph.AddToken(secret2, expiring)
	r := w.c.post("/tokens", tokenForm("Late", "system_user_token", map[string]string{"account_id": id(w.bm), "secret": secret2, "issued_on": "2026-07-15"}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d\n%s", r.status, r.body)
	}
	late := idFromLocation(t, r, "/tokens/")
	if got := w.app.text("SELECT issued_on || '|' || expires_on FROM tokens WHERE id = ?", late); got != "2026-02-28|2026-06-30" {
		t.Errorf("issued_on|expires_on = %q, want Meta's 2026-02-28|2026-06-30", got)
	}
}
