package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A script that posts without ever loading a page piles up "saved" messages
// in its session; only the newest few are kept, and they show once.
func TestFlashMessagesAreCapped(t *testing.T) {
	a := newTestApp(t)
	a.createUser("ed@example.com", "editor")
	c := a.signedIn("ed@example.com")
	for i := range 12 {
		r := c.post("/owners", ownerForm(fmt.Sprintf("Person %d", i), "", "active", "", ""))
		if r.status != http.StatusSeeOther {
			t.Fatalf("create owner %d: status %d", i, r.status)
		}
	}
	page := c.get("/owners")
	if n := strings.Count(page.body, `class="flash`); n != 5 {
		t.Errorf("after 12 posts the next page shows %d messages, want the newest 5", n)
	}
	if n := strings.Count(c.get("/owners").body, `class="flash`); n != 0 {
		t.Errorf("the page after that shows %d messages, want none", n)
	}
}

// Sessions decode their stored values from a shared cache; one session's
// messages must never show in another's page, even for the same user.
func TestSessionsOfOneUserKeepTheirOwnMessages(t *testing.T) {
	a := newTestApp(t)
	a.createUser("ed@example.com", "editor")
	first, second := a.signedIn("ed@example.com"), a.signedIn("ed@example.com")
	second.get("/owners") // both sessions are now loaded (and cached) alike
	if r := first.post("/owners", ownerForm("Only First", "", "active", "", "")); r.status != http.StatusSeeOther {
		t.Fatalf("create owner: status %d", r.status)
	}
	if body := second.get("/owners").body; strings.Contains(body, `class="flash`) {
		t.Error("the second session shows the first session's message")
	}
	if body := first.get("/owners").body; !strings.Contains(body, `class="flash`) {
		t.Error("the first session does not show its own message")
	}
	// Both are still signed in as the same user.
	for _, c := range []*client{first, second} {
		if r := c.get("/owners"); r.status != http.StatusOK {
			t.Errorf("GET /owners: status %d, want 200 (signed in)", r.status)
		}
	}
}

// A flash cookie Steward did not sign shows nothing and is cleared.
func TestForgedFlashIsNotShown(t *testing.T) {
	a := newTestApp(t)
	a.createUser("ed@example.com", "editor")
	c := a.signedIn("ed@example.com")
	c.setCookie("steward_flash", "forged-message")
	r := c.get("/owners")
	if r.status != http.StatusOK || strings.Contains(r.body, `class="flash`) || strings.Contains(r.body, "forged") {
		t.Errorf("a forged flash cookie: status %d, shown %v", r.status, strings.Contains(r.body, `class="flash`))
	}
	if c.cookie("steward_flash") != "" {
		t.Error("the forged flash cookie was not cleared")
	}
}
