package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/securecookie"

	"steward/db"
	"steward/handlers"
)

// signInMessage is the one answer for any failed sign-in.
const signInMessage = "That email and password do not match an enabled login."

func TestSignIn(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	long := strings.Repeat("Ab3$efghij", 7) // 70 characters
	unicode := "pässwörd-日本語-🔑-Ωμέγα"
	if utf8.RuneCountInString(long) != 70 {
		t.Fatal("long password is not 70 characters")
	}
	alice := app.createUser("alice@example.com", db.RoleEditor)
	app.createUserWith(db.UserInput{Email: "long@example.com", Password: long, Role: db.RoleViewer})
	app.createUserWith(db.UserInput{Email: "unicode@example.com", Password: unicode, Role: db.RoleViewer})

	t.Run("good password starts a session and is audited", func(t *testing.T) {
		c := app.newClient()
		r := c.signIn("Alice@Example.com ", testPassword)
		if r.status != http.StatusSeeOther || r.location() != "/" {
			t.Fatalf("status %d location %q, want 303 to /", r.status, r.location())
		}
		if c.cookie(sessionCookie) == "" {
			t.Fatal("no session cookie after sign-in")
		}
		if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", alice); n != 1 {
			t.Errorf("sessions for alice = %d, want 1", n)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_in' AND user_id = ? AND record_id = ?", alice, alice); n != 1 {
			t.Errorf("user.signed_in events = %d, want 1", n)
		}
		if app.text("SELECT last_login_at FROM users WHERE id = ?", alice) == "" {
			t.Error("last_login_at not set")
		}
		if home := c.get("/"); home.status != http.StatusOK || !strings.Contains(home.body, "alice@example.com") {
			t.Errorf("GET / after sign-in: status %d, signed-in email shown: %v", home.status, strings.Contains(home.body, "alice@example.com"))
		}
	})

	t.Run("long and non-ASCII passwords", func(t *testing.T) {
		for _, tc := range []struct{ email, password string }{
			{"long@example.com", long},
			{"unicode@example.com", unicode},
		} {
			c := app.newClient()
			if r := c.signIn(tc.email, tc.password); r.status != http.StatusSeeOther {
				t.Errorf("%s: status %d, want 303", tc.email, r.status)
			}
			// A prefix of the password must not do: nothing is truncated.
			runes := []rune(tc.password)
			if r := c.signIn(tc.email, string(runes[:len(runes)-1])); r.status != http.StatusUnauthorized {
				t.Errorf("%s without its last character: status %d, want 401", tc.email, r.status)
			}
		}
	})

	t.Run("wrong password and unknown email get the same answer", func(t *testing.T) {
		failedBefore := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed'")
		sessionsBefore := app.count("SELECT COUNT(*) FROM sessions")
		c := app.newClient()
		wrong := c.signIn("alice@example.com", "not the password at all")
		unknown := c.signIn("nobody@example.com", testPassword)
		for name, r := range map[string]response{"wrong password": wrong, "unknown email": unknown} {
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, r.status)
			}
			if !strings.Contains(r.body, signInMessage) {
				t.Errorf("%s: body lacks %q", name, signInMessage)
			}
			if c.cookie(sessionCookie) != "" {
				t.Errorf("%s: a session cookie was set", name)
			}
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed'"); n != failedBefore+2 {
			t.Errorf("user.sign_in_failed events = %d, want %d", n, failedBefore+2)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed' AND summary = 'Failed sign-in for an unknown email' AND record_id IS NULL"); n != 1 {
			t.Errorf("failed sign-ins of an unknown email audited as such: %d, want 1", n)
		}
		if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed' AND summary = 'Failed sign-in as alice@example.com' AND record_kind = 'user' AND record_id = ?", alice); n != 1 {
			t.Errorf("failed sign-ins of alice audited on her login: %d, want 1", n)
		}
		if n := app.count("SELECT COUNT(*) FROM sessions"); n != sessionsBefore {
			t.Errorf("sessions = %d after failed sign-ins, want %d", n, sessionsBefore)
		}
	})
}

// testClock is a clock tests move by hand.
type testClock struct{ nanos atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.nanos.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) now() time.Time          { return time.Unix(0, c.nanos.Load()).UTC() }
func (c *testClock) advance(d time.Duration) { c.nanos.Add(int64(d)) }

// newThrottledApp is a test app behind a trusted proxy, so each request can
// claim its client address, with the sign-in throttle on clock.
func newThrottledApp(t *testing.T, clock *testClock) *testApp {
	return newTestAppWith(t, handlers.WithTestHooks(handlers.Config{SessionKey: testSessionKey, TrustProxy: true}, clock.now))
}

// signInFrom posts the sign-in form from the client address addr.
func (c *client) signInFrom(addr, email, password string) response {
	c.app.t.Helper()
	return c.post("/login", url.Values{"email": {email}, "password": {password}}, withHeader("X-Forwarded-For", addr))
}

// After five failures of one account from one address, each further attempt
// of that pair waits 1s, 2s, 4s… after the last failure, even with the right
// password; the answer says how long.
func TestSignInDelaysGrow(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := newThrottledApp(t, clock)
	bob := app.createUser("bob@example.com", db.RoleViewer)
	const home = "198.51.100.7"
	for i := 1; i <= 5; i++ {
		if r := app.newClient().signInFrom(home, "bob@example.com", "wrong password number "+id(int64(i))); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, r.status)
		}
	}
	waitFor := func(what string, wantSeconds int, wantText string) {
		t.Helper()
		r := app.newClient().signInFrom(home, "BOB@example.com", testPassword)
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s: status %d, want 429", what, r.status)
		}
		if got := r.header.Get("Retry-After"); got != strconv.Itoa(wantSeconds) {
			t.Errorf("%s: Retry-After %q, want %d", what, got, wantSeconds)
		}
		if !strings.Contains(r.body, "Try again in "+wantText+".") {
			t.Errorf("%s: the page does not say to try again in %s", what, wantText)
		}
	}
	waitFor("right password right after five failures", 1, "1 second")
	for _, wait := range []int{1, 2, 4, 8} {
		clock.advance(time.Duration(wait)*time.Second - time.Millisecond)
		waitFor(fmt.Sprintf("a millisecond before the %ds wait ends", wait), 1, "1 second")
		clock.advance(time.Millisecond)
		if r := app.newClient().signInFrom(home, "bob@example.com", "still wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("after the %ds wait: status %d, want 401", wait, r.status)
		}
		waitFor(fmt.Sprintf("after the failure that follows the %ds wait", wait), 2*wait, waitText(2*wait))
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", bob); n != 0 {
		t.Errorf("a throttled sign-in created %d sessions", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed'"); n != 9 {
		t.Errorf("user.sign_in_failed events = %d, want 9 (refused attempts are not failures)", n)
	}
	// The waits stop growing at 15 minutes.
	for range 12 {
		clock.advance(time.Hour - time.Minute)
		app.newClient().signInFrom(home, "bob@example.com", "still wrong")
	}
	waitFor("after 21 failures", 15*60, "15 minutes")
	// The right password, once the wait is over, signs in and clears the
	// pair's failures: the next mistake costs nothing.
	clock.advance(15 * time.Minute)
	if r := app.newClient().signInFrom(home, "bob@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("right password after the wait: status %d, want 303", r.status)
	}
	if r := app.newClient().signInFrom(home, "bob@example.com", "a typo"); r.status != http.StatusUnauthorized {
		t.Errorf("a typo after signing in: status %d, want 401", r.status)
	}
	if r := app.newClient().signInFrom(home, "bob@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Errorf("right password after one typo: status %d, want 303", r.status)
	}
}

// waitText is how the sign-in page says a wait of n seconds.
func waitText(n int) string {
	if n == 1 {
		return "1 second"
	}
	return strconv.Itoa(n) + " seconds"
}

// Failures from another address, or for another account from the same
// address, never keep a user with the right password out.
func TestSignInCannotBeLockedOutByOthers(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := newThrottledApp(t, clock)
	bob := app.createUser("bob@example.com", db.RoleViewer)
	app.createUser("eve@example.com", db.RoleViewer)
	const office, attacker = "198.51.100.7", "203.0.113.66"
	for i := range 40 {
		app.newClient().signInFrom(attacker, "bob@example.com", "guess "+id(int64(i)))
		clock.advance(time.Second)
	}
	if r := app.newClient().signInFrom(attacker, "bob@example.com", "one more guess"); r.status != http.StatusTooManyRequests {
		t.Fatalf("the attacker's next guess: status %d, want 429", r.status)
	}
	if r := app.newClient().signInFrom(office, "bob@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Errorf("bob from his own address after another address failed for him: status %d, want 303", r.status)
	}
	// Eve, behind the same office address, fails on her own account until
	// she must wait; bob, and everyone else behind it, still gets in.
	for i := range 8 {
		app.newClient().signInFrom(office, "eve@example.com", "forgot it "+id(int64(i)))
	}
	if r := app.newClient().signInFrom(office, "eve@example.com", "forgot it"); r.status != http.StatusTooManyRequests {
		t.Fatalf("eve's next try: status %d, want 429", r.status)
	}
	for i := range 20 {
		app.newClient().signInFrom(office, fmt.Sprintf("guess%02d@example.com", i), testPassword)
	}
	if r := app.newClient().signInFrom(office, "bob@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Errorf("bob behind the office address after others failed there: status %d, want 303", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", bob); n != 2 {
		t.Errorf("bob's sessions = %d, want 2", n)
	}
}

// Thirty parallel wrong passwords for one account: the attempts are counted
// before their passwords are hashed, so only the free five are checked and
// the rest are refused, not thirty 401s.
func TestSignInThrottleCannotBeRaced(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := newThrottledApp(t, clock)
	app.createUser("bob@example.com", db.RoleViewer)
	statuses := parallelSignIns(app, 30, func(i int) (string, string) { return "bob@example.com", "parallel guess " + id(int64(i)) })
	if statuses[http.StatusTooManyRequests] < 25 || statuses[http.StatusUnauthorized] == 0 ||
		statuses[http.StatusUnauthorized]+statuses[http.StatusServiceUnavailable]+statuses[http.StatusTooManyRequests] != 30 {
		t.Errorf("statuses of 30 parallel wrong passwords = %v, want at least 25 × 429 and the rest 401 (or 503)", statuses)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed'"); n != int64(statuses[http.StatusUnauthorized]) {
		t.Errorf("user.sign_in_failed events = %d, want one per 401 (%d)", n, statuses[http.StatusUnauthorized])
	}
}

// parallelSignIns posts n sign-ins at once, each from a client of its own,
// and counts the answers by status.
func parallelSignIns(app *testApp, n int, form func(i int) (email, password string)) map[int]int {
	app.t.Helper()
	statuses := map[int]int{}
	for _, r := range parallelPosts(app, "/login", n, func(i int) url.Values {
		email, password := form(i)
		return url.Values{"email": {email}, "password": {password}}
	}) {
		statuses[r.status]++
		if r.status == http.StatusServiceUnavailable && (r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Steward is busy checking other sign-ins")) {
			app.t.Errorf("a busy answer without Retry-After or its message: %q %.200q", r.header.Get("Retry-After"), r.body)
		}
	}
	return statuses
}

// parallelPosts posts n forms to path at once, each from a client of its own
// that fetched its CSRF token beforehand.
func parallelPosts(app *testApp, path string, n int, form func(i int) url.Values) []response {
	app.t.Helper()
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = app.newClient()
		clients[i].csrf()
	}
	var wg sync.WaitGroup
	results := make([]response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = clients[i].post(path, form(i))
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// A burst of sign-ins, unknown emails too, hashes at most a few passwords at
// once (each hash holds 19 MiB); the rest wait their turn or are told to
// retry.
func TestPasswordChecksAreBounded(t *testing.T) {
	t.Parallel()
	var running, most atomic.Int32
	hook := func(delta int) {
		n := running.Add(int32(delta))
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
	}
	app := newTestApp(t)
	app.store.ObservePasswordWork(hook)
	for i := range 4 {
		app.createUser(fmt.Sprintf("user%d@example.com", i), db.RoleViewer)
	}
	statuses := parallelSignIns(app, 24, func(i int) (string, string) {
		if i < 4 {
			return fmt.Sprintf("user%d@example.com", i), testPassword
		}
		return fmt.Sprintf("stranger%02d@example.com", i), testPassword
	})
	if got := most.Load(); got < 1 || got > 2 {
		t.Errorf("at most %d password checks ran at once, want 1 or 2", got)
	}
	if statuses[http.StatusSeeOther]+statuses[http.StatusUnauthorized]+statuses[http.StatusServiceUnavailable] != 24 ||
		statuses[http.StatusUnauthorized] == 0 {
		t.Errorf("statuses = %v, want only 303, 401 and 503, some 401", statuses)
	}
	if n := app.count("SELECT COUNT(*) FROM sessions"); n != int64(statuses[http.StatusSeeOther]) {
		t.Errorf("sessions = %d, want one per 303 (%d)", n, statuses[http.StatusSeeOther])
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed'"); n != int64(statuses[http.StatusUnauthorized]) {
		t.Errorf("user.sign_in_failed events = %d, want one per 401 (%d)", n, statuses[http.StatusUnauthorized])
	}
}

// sessionRow counts the session rows stored for a cookie's session ID.
func sessionRow(t *testing.T, app *testApp, cookieValue string) int64 {
	t.Helper()
	var sid string
	if err := securecookie.DecodeMulti(sessionCookie, cookieValue, &sid,
		securecookie.CodecsFromPairs(testSessionKey)...); err != nil {
		t.Fatalf("decode session cookie: %v", err)
	}
	sum := sha256.Sum256([]byte(sid))
	return app.count("SELECT COUNT(*) FROM sessions WHERE id_hash = ?", hex.EncodeToString(sum[:]))
}

func TestSessionIDChangesOnSignIn(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	carol := app.createUser("carol@example.com", db.RoleEditor)

	// An attacker plants a valid anonymous session cookie before sign-in.
	planted := db.NewSessionID()
	var data bytes.Buffer
	if err := gob.NewEncoder(&data).Encode(map[any]any{}); err != nil {
		t.Fatal(err)
	}
	if err := app.store.SaveSession(context.Background(), planted, 0, data.Bytes()); err != nil {
		t.Fatal(err)
	}
	plantedCookie, err := securecookie.EncodeMulti(sessionCookie, planted,
		securecookie.CodecsFromPairs(testSessionKey)...)
	if err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	c.setCookie(sessionCookie, plantedCookie)
	csrfBefore := c.csrf()
	if r := c.signIn("carol@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", r.status)
	}
	first := c.cookie(sessionCookie)
	if first == "" || first == plantedCookie {
		t.Fatalf("session cookie after sign-in is the planted one (or none): %q", first)
	}
	if sessionRow(t, app, plantedCookie) != 0 {
		t.Error("the planted pre-login session still exists")
	}
	if sessionRow(t, app, first) != 1 {
		t.Error("the new session is not stored")
	}
	if c.cookie(csrfCookie) == csrfBefore {
		t.Error("the CSRF token did not change on sign-in")
	}
	// The planted cookie does not carry the signed-in user.
	attacker := app.newClient()
	attacker.setCookie(sessionCookie, plantedCookie)
	if r := attacker.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("planted cookie after victim's sign-in: status %d location %q, want redirect to /login", r.status, r.location())
	}

	// Signing in again while signed in also gets a fresh ID and ends the old one.
	if r := c.signIn("carol@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("second sign in: status %d", r.status)
	}
	second := c.cookie(sessionCookie)
	if second == first {
		t.Error("session cookie unchanged by a second sign-in")
	}
	if sessionRow(t, app, first) != 0 || sessionRow(t, app, second) != 1 {
		t.Error("the second sign-in did not replace the first session")
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", carol); n != 1 {
		t.Errorf("carol has %d sessions, want 1", n)
	}
}

func TestAnonymousIsSentToSignIn(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.newClient()
	r := c.get("/owners?q=ann&page=2")
	want := "/login?next=" + url.QueryEscape("/owners?q=ann&page=2")
	if r.status != http.StatusSeeOther || r.location() != want {
		t.Fatalf("status %d location %q, want 303 to %q", r.status, r.location(), want)
	}
	// Every non-public route refuses an anonymous visitor.
	ownerID := app.createOwner("Anon Check", "")
	reviewed := reviewedAccess(t)
	for _, rt := range app.routes {
		if reviewed[rt.Method+" "+rt.Path] == "public" {
			continue
		}
		p := path(rt.Path, ownerID)
		before := app.snapshot()
		var r response
		if isAPIRoute(rt.Path) {
			// A script is told to send a key, not sent to a sign-in page.
			problemOf(t, "anonymous "+rt.Method+" "+p, c.do(rt.Method, p, strings.NewReader(`{"name": "Anonymous write"}`), "application/json"),
				http.StatusUnauthorized)
		} else if rt.Method == http.MethodGet {
			r = c.get(p)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login?next=") {
				t.Errorf("anonymous GET %s: status %d location %q, want 303 to /login?next=…", p, r.status, r.location())
			}
		} else {
			r = c.post(p, url.Values{"name": {"Anonymous write"}, "platform": {"Meta"}, "role": {"admin"}})
			if r.status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s: status %d, want 401", rt.Method, p, r.status)
			}
		}
		if app.snapshot() != before {
			t.Errorf("anonymous %s %s changed the database", rt.Method, p)
		}
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	dave := app.createUser("dave@example.com", db.RoleViewer)
	c := app.signedIn("dave@example.com")
	old := c.cookie(sessionCookie)

	// Without the token, logout is refused and the session lives on.
	if r := c.post("/logout", url.Values{"_csrf": {""}}); r.status != http.StatusForbidden {
		t.Errorf("logout without CSRF token: status %d, want 403", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", dave); n != 1 {
		t.Fatalf("sessions after refused logout = %d, want 1", n)
	}

	r := c.post("/logout", nil)
	if r.status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("logout: status %d location %q, want 303 to /login", r.status, r.location())
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", dave); n != 0 {
		t.Errorf("sessions after logout = %d, want 0", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_out' AND user_id = ?", dave); n != 1 {
		t.Errorf("user.signed_out events = %d, want 1", n)
	}
	// Replaying the old cookie no longer works.
	replay := app.newClient()
	replay.setCookie(sessionCookie, old)
	if r := replay.get("/owners"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("old cookie after logout: status %d location %q, want redirect to /login", r.status, r.location())
	}
}

func TestAdminChangesEndSessions(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	erin := app.createUser("erin@example.com", db.RoleEditor)
	frank := app.createUser("frank@example.com", db.RoleEditor)
	admin := app.signedIn("admin@example.com")
	erinC := app.signedIn("erin@example.com")
	frankC := app.signedIn("frank@example.com")

	cases := []struct {
		name   string
		user   int64
		client *client
		route  string
		form   url.Values
		check  string // SQL that must give 1 afterwards
	}{
		{"disable", erin, erinC, "/admin/users/:id/disable", nil, "SELECT disabled = 1 FROM users WHERE id = ?"},
		{"change role", frank, frankC, "/admin/users/:id/role", url.Values{"role": {db.RoleViewer}}, "SELECT role = 'viewer' FROM users WHERE id = ?"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := tc.client.get("/owners"); r.status != http.StatusOK {
				t.Fatalf("before: GET /owners status %d", r.status)
			}
			r := admin.post(path(tc.route, tc.user), tc.form)
			if r.status != http.StatusSeeOther || r.location() != "/admin/users" {
				t.Fatalf("POST %s: status %d location %q", tc.route, r.status, r.location())
			}
			if app.count(tc.check, tc.user) != 1 {
				t.Errorf("%s not applied", tc.name)
			}
			if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", tc.user); n != 0 {
				t.Errorf("sessions left = %d, want 0", n)
			}
			if r := tc.client.get("/owners"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
				t.Errorf("next request: status %d location %q, want redirect to /login", r.status, r.location())
			}
		})
	}

	// A disabled login cannot sign in again; the one whose role changed
	// comes back with the new role.
	if r := app.newClient().signIn("erin@example.com", testPassword); r.status != http.StatusUnauthorized {
		t.Errorf("disabled user signs in: status %d, want 401", r.status)
	}
	frankC = app.signedIn("frank@example.com")
	if r := frankC.post("/owners", ownerForm("Not allowed", "", "active", "", "")); r.status != http.StatusForbidden {
		t.Errorf("demoted user creates an owner: status %d, want 403", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM owners"); n != 0 {
		t.Errorf("owners = %d, want 0", n)
	}
	// The admin's own session is untouched.
	if r := admin.get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("admin after changes: status %d", r.status)
	}
}

// TestDepartedOwnerLosesLogin: an admin marking someone departed disables
// their login and ends its sessions (an editor's departure leaves it to an
// admin: TestOnlyAdminsDisableLogins).
func TestDepartedOwnerLosesLogin(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	gina := app.createOwner("Gina Linked", "gina@example.com")
	login := app.createUserWith(db.UserInput{Email: "gina@example.com", Password: testPassword, Role: db.RoleEditor, OwnerID: id(gina)})
	editor := app.signedIn("admin@example.com")
	ginaC := app.signedIn("gina@example.com")

	r := editor.post(path("/owners/:id", gina), ownerForm("Gina Linked", "gina@example.com", "offboarding", "2030-01-31", ""))
	if r.status != http.StatusSeeOther {
		t.Fatalf("offboarding: status %d", r.status)
	}
	if app.count("SELECT disabled FROM users WHERE id = ?", login) != 0 {
		t.Fatal("offboarding alone disabled the login")
	}
	if r := ginaC.get("/"); r.status != http.StatusOK {
		t.Fatalf("offboarding owner's login: status %d, want 200", r.status)
	}

	r = editor.post(path("/owners/:id", gina), ownerForm("Gina Linked", "gina@example.com", "departed", "2030-01-31", ""))
	if r.status != http.StatusSeeOther || r.location() != path("/owners/:id", gina) {
		t.Fatalf("departed: status %d location %q", r.status, r.location())
	}
	if app.text("SELECT status FROM owners WHERE id = ?", gina) != db.OwnerDeparted {
		t.Error("owner not departed")
	}
	if app.count("SELECT disabled FROM users WHERE id = ?", login) != 1 {
		t.Error("linked login not disabled")
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", login); n != 0 {
		t.Errorf("linked login keeps %d sessions", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.disabled' AND record_id = ?", login); n != 1 {
		t.Errorf("user.disabled events = %d, want 1", n)
	}
	if r := ginaC.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("departed owner's next request: status %d location %q, want redirect to /login", r.status, r.location())
	}
}

func TestSetupLink(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	code, err := app.store.NewSetupCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	if r := c.get("/setup?code=" + url.QueryEscape(code)); r.status != http.StatusOK || !strings.Contains(r.body, `name="code"`) {
		t.Fatalf("GET /setup with the code: status %d", r.status)
	}
	if r := c.get("/setup?code=wrong"); r.status != http.StatusNotFound {
		t.Errorf("GET /setup with a wrong code: status %d, want 404", r.status)
	}
	if r := c.get("/setup"); r.status != http.StatusNotFound {
		t.Errorf("GET /setup without a code: status %d, want 404", r.status)
	}
	// A short password is refused and nothing is created.
	r := c.post("/setup", url.Values{"code": {code}, "email": {"root@example.com"}, "password": {"short"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-testid="field-error"`) {
		t.Errorf("short password: status %d, want 422 with a field error", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM users"); n != 0 {
		t.Fatalf("users after a refused setup = %d", n)
	}

	// The new admin is signed in at once: a session, and the home page.
	r = c.post("/setup", url.Values{"code": {code}, "email": {"root@example.com"}, "password": {testPassword}})
	if r.status != http.StatusSeeOther || r.location() != "/" {
		t.Fatalf("POST /setup: status %d location %q, want 303 to /", r.status, r.location())
	}
	if n := app.count("SELECT COUNT(*) FROM users WHERE email = 'root@example.com' AND role = 'admin' AND disabled = 0"); n != 1 {
		t.Fatalf("admins created = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.created'"); n != 1 {
		t.Errorf("user.created events = %d, want 1", n)
	}
	if c.cookie(sessionCookie) == "" {
		t.Fatal("POST /setup set no session cookie")
	}
	if n := app.count("SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'root@example.com'"); n != 1 {
		t.Errorf("sessions of the new admin = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.signed_in' AND actor = 'root@example.com'"); n != 1 {
		t.Errorf("user.signed_in events of the new admin = %d, want 1", n)
	}
	home := c.get("/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "Admin created") || !strings.Contains(home.body, "root@example.com") {
		t.Errorf("GET / after setup: status %d, want 200 saying the admin was created and who is signed in", home.status)
	}
	if r := c.get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("new admin GET /admin/users: status %d", r.status)
	}

	// The code is used up.
	if r := c.get("/setup?code=" + url.QueryEscape(code)); r.status != http.StatusNotFound {
		t.Errorf("reused code GET: status %d, want 404", r.status)
	}
	r = app.newClient().post("/setup", url.Values{"code": {code}, "email": {"second@example.com"}, "password": {testPassword}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("reused code POST: status %d, want 422", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM users"); n != 1 {
		t.Errorf("users after reusing the code = %d, want 1", n)
	}
}

func TestSignInNextAndCookies(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.createUser("kim@example.com", db.RoleViewer)
	for _, tc := range []struct{ next, want string }{
		{"/owners?q=ann", "/owners?q=ann"},
		{"//evil.example/", "/"},
		{"https://evil.example/", "/"},
		{`/\evil.example`, "/"},
	} {
		c := app.newClient()
		r := c.post("/login", url.Values{"email": {"kim@example.com"}, "password": {testPassword}, "next": {tc.next}})
		if r.status != http.StatusSeeOther || r.location() != tc.want {
			t.Errorf("next %q: status %d location %q, want 303 to %q", tc.next, r.status, r.location(), tc.want)
		}
		if tc.want != "/" {
			continue
		}
		// Cookie attributes, checked once.
		cookies := map[string]*http.Cookie{}
		for _, line := range r.header.Values("Set-Cookie") {
			ck, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("Set-Cookie %q: %v", line, err)
			}
			cookies[ck.Name] = ck
		}
		for _, name := range []string{sessionCookie, csrfCookie} {
			ck := cookies[name]
			if ck == nil {
				t.Fatalf("sign-in did not set %s", name)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Path != "/" {
				t.Errorf("%s: HttpOnly %v SameSite %v Secure %v Path %q; want HttpOnly, Lax, not Secure over http, /",
					name, ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
			}
		}
		if strings.Contains(cookies[sessionCookie].Value, "kim") {
			t.Error("the session cookie carries user data")
		}
	}
}

func TestSecureCookiesAndProxyAddress(t *testing.T) {
	t.Parallel()
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, BaseURL: "https://steward.example", TrustProxy: true})
	lee := app.createUser("lee@example.com", db.RoleViewer)
	c := app.newClient()
	r := c.post("/login", url.Values{"email": {"lee@example.com"}, "password": {testPassword}},
		withHeader("X-Forwarded-For", "203.0.113.7"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", r.status)
	}
	// __Host- names: browsers keep such a cookie only when it is Secure, for
	// Path=/ and without Domain, so a sibling subdomain cannot plant one.
	secure := 0
	for _, line := range r.header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if ck.Name == "__Host-"+sessionCookie || ck.Name == "__Host-"+csrfCookie {
			if ck.Secure && ck.Path == "/" && ck.Domain == "" {
				secure++
			}
		} else {
			t.Errorf("cookie %q with an https base URL, want a __Host- name", ck.Name)
		}
	}
	if secure != 2 {
		t.Errorf("%d of the session and CSRF cookies are __Host-, Secure, Path=/ without Domain with an https base URL, want 2", secure)
	}
	if got := r.header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security %q with an https base URL, want max-age=31536000", got)
	}
	// The flash cookie too.
	app.createUser("ed@example.com", db.RoleEditor)
	ed := app.signedIn("ed@example.com")
	r = ed.post("/owners", ownerForm("Flash Gordon", "", "active", "", ""))
	if r.status != http.StatusSeeOther || !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), "__Host-steward_flash=") {
		t.Errorf("create an owner: status %d, Set-Cookie %q; want 303 and a __Host-steward_flash cookie", r.status, r.header.Values("Set-Cookie"))
	}
	// HSTS on every response, static files and error pages included.
	for _, p := range []string{"/login", "/static/css/app.css", "/no-such-page"} {
		if got := c.get(p).header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s: Strict-Transport-Security %q, want max-age=31536000", p, got)
		}
	}
	plain := newTestApp(t)
	if got := plain.newClient().get("/login").header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("Strict-Transport-Security %q over plain http, want none", got)
	}

	if ip := app.text("SELECT ip FROM audit_events WHERE action = 'user.signed_in' AND user_id = ?", lee); ip != "203.0.113.7" {
		t.Errorf("behind a trusted proxy the audited address is %q, want 203.0.113.7", ip)
	}
}

// Twenty failures from one address on other accounts (the old lockout of
// the address) do not keep a user behind it out.
func TestSignInFailuresOfOthersFromTheAddress(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	mia := app.createUser("mia@example.com", db.RoleViewer)
	c := app.newClient()
	// Each failure claims another address: X-Forwarded-For is not trusted
	// unless configured.
	for i := 1; i <= 20; i++ {
		r := c.signIn(fmt.Sprintf("guess%02d@example.com", i), testPassword)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, r.status)
		}
		c.hc.Transport = spoof{fmt.Sprintf("198.51.100.%d", i)}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed' AND ip = '127.0.0.1'"); n != 20 {
		t.Errorf("failed sign-ins audited from the real address = %d, want 20", n)
	}
	if r := c.signIn("mia@example.com", testPassword); r.status != http.StatusSeeOther {
		t.Errorf("right password after 20 failures of others from the address: status %d, want 303", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", mia); n != 1 {
		t.Errorf("sessions = %d, want 1", n)
	}
}

// spoof adds an X-Forwarded-For header to every request.
type spoof struct{ addr string }

func (s spoof) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", s.addr)
	return http.DefaultTransport.RoundTrip(r)
}

func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	nina := app.createUser("nina@example.com", db.RoleViewer)
	ctx := context.Background()
	for _, tc := range []struct {
		name, age string
	}{
		{"idle for 13 hours", "UPDATE sessions SET last_seen_at = last_seen_at - 13*3600 WHERE user_id = ?"},
		{"signed in 8 days ago, active now", "UPDATE sessions SET created_at = created_at - 8*86400 WHERE user_id = ?"},
	} {
		c := app.signedIn("nina@example.com")
		if err := app.store.Exec(ctx, "UPDATE sessions SET last_seen_at = last_seen_at - 11*3600 WHERE user_id = ?", nina); err != nil {
			t.Fatal(err)
		}
		if r := c.get("/"); r.status != http.StatusOK {
			t.Fatalf("%s: idle 11 hours: status %d, want 200", tc.name, r.status)
		}
		if err := app.store.Exec(ctx, tc.age, nina); err != nil {
			t.Fatal(err)
		}
		if r := c.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
			t.Errorf("%s: status %d location %q, want redirect to /login", tc.name, r.status, r.location())
		}
		if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", nina); n != 0 {
			t.Errorf("%s: expired session row kept", tc.name)
		}
	}
}

// Ten parallel uses of the setup link create exactly one admin; the others
// are told the link is used up.
func TestSetupCodeSpentOnce(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	code, err := app.store.NewSetupCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	results := parallelPosts(app, "/setup", 10, func(i int) url.Values {
		return url.Values{"code": {code}, "email": {fmt.Sprintf("root%d@example.com", i)}, "password": {testPassword}}
	})
	created := 0
	for i, r := range results {
		switch {
		case r.status == http.StatusSeeOther:
			created++
		case r.status == http.StatusUnprocessableEntity && strings.Contains(r.body, "This setup link has been used"):
		case r.status == http.StatusServiceUnavailable && strings.Contains(r.body, "nothing was changed"):
			// Two passwords are hashed at a time; on a slow or loaded
			// machine a setup that waits longer than its turn allows is
			// refused as busy, with nothing written: also a refusal.
		default:
			t.Errorf("setup %d: status %d, want 303, 422 saying the link is used, or 503 busy: %.300q", i, r.status, r.body)
		}
	}
	if created != 1 {
		t.Errorf("%d setups succeeded, want 1", created)
	}
	if n := app.count("SELECT COUNT(*) FROM users"); n != 1 {
		t.Errorf("users = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM users WHERE role = 'admin'"); n != 1 {
		t.Errorf("admins = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM setup_codes"); n != 0 {
		t.Errorf("setup codes left = %d, want 0", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.created'"); n != 1 {
		t.Errorf("user.created events = %d, want 1", n)
	}
}

// A failed sign-in keeps what was typed as the email only when it is a
// login's, and only admins see failed sign-ins: on /audit, its filters and
// exports, and the home page's recent activity.
func TestFailedSignInsAreForAdminsOnly(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	alice := app.createUser("alice@example.com", db.RoleViewer)
	app.createUser("admin@example.com", db.RoleAdmin)
	app.createUser("viewer@example.com", db.RoleViewer)
	app.createUser("editor@example.com", db.RoleEditor)
	admin, viewer, editor := app.signedIn("admin@example.com"), app.signedIn("viewer@example.com"), app.signedIn("editor@example.com")

	// A password typed into the email field, and alice's email in capitals.
	const typedPassword = "Hunter2-Secret-Passphrase"
	anon := app.newClient()
	for _, email := range []string{typedPassword, " ALICE@example.com"} {
		if r := anon.signIn(email, "wrong password"); r.status != http.StatusUnauthorized {
			t.Fatalf("sign-in as %q: status %d, want 401", email, r.status)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE instr(lower(summary || changes || actor || ip), lower(?)) > 0", typedPassword); n != 0 {
		t.Errorf("the typed text is in %d audit events", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed' AND summary = 'Failed sign-in for an unknown email' AND record_id IS NULL AND user_id IS NULL AND ip = '127.0.0.1'"); n != 1 {
		t.Errorf("failed sign-ins for an unknown email = %d, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.sign_in_failed' AND summary = 'Failed sign-in as alice@example.com' AND record_kind = 'user' AND record_id = ? AND user_id IS NULL", alice); n != 1 {
		t.Errorf("failed sign-ins recorded on alice's login = %d, want 1", n)
	}
	// An event everyone may see, newer than the failures.
	app.createOwner("Visible Owner", "")

	for _, page := range []string{"/audit", "/audit?action=user.sign_in_failed", "/audit?kind=user", "/"} {
		for name, c := range map[string]*client{"viewer": viewer, "editor": editor} {
			r := c.get(page)
			if r.status != http.StatusOK {
				t.Fatalf("%s GET %s: status %d", name, page, r.status)
			}
			if strings.Contains(r.body, "Failed sign-in") {
				t.Errorf("%s GET %s shows failed sign-ins", name, page)
			}
			if page != "/audit?action=user.sign_in_failed" && page != "/audit?kind=user" && !strings.Contains(r.body, "Visible Owner") {
				t.Errorf("%s GET %s does not show the owner created after the failures", name, page)
			}
		}
		r := admin.get(page)
		if r.status != http.StatusOK {
			t.Fatalf("admin GET %s: status %d", page, r.status)
		}
		if !strings.Contains(r.body, "Failed sign-in as alice@example.com") {
			t.Errorf("admin GET %s does not show the failed sign-in on alice's login", page)
		}
		if page != "/audit?kind=user" && !strings.Contains(r.body, "Failed sign-in for an unknown email") {
			t.Errorf("admin GET %s does not show the failed sign-in for an unknown email", page)
		}
	}
	for _, export := range []string{"/audit/export.csv", "/audit/export.json?action=user.sign_in_failed"} {
		if r := admin.get(export); r.status != http.StatusOK || strings.Count(r.body, "Failed sign-in") != 2 {
			t.Errorf("admin GET %s: status %d, %d failed sign-ins, want 200 and 2", export, r.status, strings.Count(r.body, "Failed sign-in"))
		}
		if r := viewer.get(export); r.status != http.StatusForbidden || strings.Contains(r.body, "Failed sign-in") {
			t.Errorf("viewer GET %s: status %d, want 403 without the events", export, r.status)
		}
	}
}
