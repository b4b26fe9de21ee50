package handlers_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"steward/db"
)

// The store keeps sessions in memory between writes (db.Store.SessionByID),
// so every change to a session or its login must be seen by the very next
// request. The tests of sign-out, disabling, role changes, departures and
// password changes (auth_test.go, passwords_test.go) load the session before
// the change and check the request after it; these cover the other writers:
// a second sign-in, and the last-seen time.

// TestSignInAgainEndsTheFirstSession: after a second sign-in in the same
// browser, the first session's cookie is refused at once.
func TestSignInAgainEndsTheFirstSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("carol@example.com", db.RoleViewer)
	c := app.signedIn("carol@example.com")
	first := c.cookie(sessionCookie)
	replay := app.newClient()
	replay.setCookie(sessionCookie, first)
	if r := replay.get("/owners"); r.status != http.StatusOK {
		t.Fatalf("the first session before the second sign-in: status %d, want 200", r.status)
	}
	if r := c.signIn("carol@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("second sign-in: status %d", r.status)
	}
	if r := replay.get("/owners"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("the first session after the second sign-in: status %d location %q, want sent to sign in", r.status, r.location())
	}
	if r := c.get("/owners"); r.status != http.StatusOK {
		t.Errorf("the second session: status %d, want 200", r.status)
	}
}

// TestLastSeenMovesTheIdleClock: a request more than a minute after the last
// one records it, and the idle limit counts from there; requests within the
// minute write nothing.
func TestLastSeenMovesTheIdleClock(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	var later atomic.Int64 // how far the store's clock is ahead
	app.store.SetClock(func() time.Time { return time.Now().UTC().Add(time.Duration(later.Load())) })
	nina := app.createUser("nina@example.com", db.RoleViewer)
	c := app.signedIn("nina@example.com")
	lastSeen := func() int64 { return app.count("SELECT last_seen_at FROM sessions WHERE user_id = ?", nina) }
	get := func(after time.Duration, want int) {
		t.Helper()
		later.Store(int64(after))
		if r := c.get("/"); r.status != want {
			t.Fatalf("GET / %s after sign-in: status %d location %q, want %d", after, r.status, r.location(), want)
		}
	}
	get(0, http.StatusOK)
	signedIn := lastSeen()

	get(11*time.Hour, http.StatusOK)
	seen := lastSeen()
	if seen < signedIn+11*3600 {
		t.Fatalf("last seen %d s after sign-in, want 11 hours", seen-signedIn)
	}
	get(11*time.Hour+30*time.Second, http.StatusOK)
	if lastSeen() != seen {
		t.Errorf("a request 30 s after the last one moved last seen by %d s, want no write", lastSeen()-seen)
	}
	// 13 hours after sign-in but 2 after the last request: still signed in.
	get(13*time.Hour, http.StatusOK)
	// 12 hours and more without a request: the session has ended.
	get(26*time.Hour, http.StatusSeeOther)
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", nina); n != 0 {
		t.Errorf("idle session kept: %d rows", n)
	}
}

// TestSessionCookieMustBeSigned: only the very cookie the server signed
// carries its session, also once the server has seen it (it remembers the
// cookies that passed the check).
func TestSessionCookieMustBeSigned(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("carol@example.com", db.RoleViewer)
	c := app.signedIn("carol@example.com")
	good := c.cookie(sessionCookie)
	if r := c.get("/owners"); r.status != http.StatusOK {
		t.Fatalf("the signed cookie: status %d, want 200", r.status)
	}
	var sid string
	if err := securecookie.DecodeMulti(sessionCookie, good, &sid, securecookie.CodecsFromPairs(testSessionKey)...); err != nil {
		t.Fatal(err)
	}
	otherKey, err := securecookie.EncodeMulti(sessionCookie, sid, securecookie.CodecsFromPairs([]byte("another key, of thirty-two bytes or more"))...)
	if err != nil {
		t.Fatal(err)
	}
	changed := []byte(good)
	if changed[len(changed)/2] = 'A'; good[len(good)/2] == 'A' {
		changed[len(changed)/2] = 'B'
	}
	for name, value := range map[string]string{"signed with another key": otherKey, "one letter changed": string(changed),
		"cut short": good[:len(good)-4]} {
		x := app.newClient()
		x.setCookie(sessionCookie, value)
		if r := x.get("/owners"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("%s: status %d location %q, want sent to sign in", name, r.status, r.location())
		}
	}
}
