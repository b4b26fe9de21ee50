package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
)

// TestChangeOwnPassword: /me shows the login and changes its password only
// with the current one; a change ends every other session of the login and
// keeps this one, with its audit event.
func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	owner := app.createOwner("Vera Viewer", "vera@example.com")
	uid := app.createUserWith(db.UserInput{Email: "vera@example.com", Password: testPassword, Role: db.RoleViewer, OwnerID: id(owner)})
	here, elsewhere := app.signedIn("vera@example.com"), app.signedIn("vera@example.com")
	hash := func() string { return app.text("SELECT password_hash FROM users WHERE id = ?", uid) }
	changed := func() int64 {
		return app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password_changed' AND record_id = ?", uid)
	}
	before := hash()

	r := here.get("/me")
	if r.status != http.StatusOK {
		t.Fatalf("GET /me: status %d", r.status)
	}
	for _, want := range []string{"vera@example.com", "viewer", `href="/owners/` + id(owner) + `"`, "Vera Viewer",
		`action="/me/password"`, `name="current_password"`, `name="new_password"`, `name="_csrf"`, `href="/me"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("GET /me does not show %q", want)
		}
	}

	for _, tc := range []struct {
		name, current, next, field string
	}{
		{"wrong current password", "not my password at all", "a fresh passphrase for me", "current_password"},
		{"no current password", "", "a fresh passphrase for me", "current_password"},
		{"common new password", testPassword, "qwerty123456", "new_password"},
		{"new password with the email", testPassword, "I am vera@example.com", "new_password"},
		{"short new password", testPassword, "short", "new_password"},
	} {
		r := here.post("/me/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}})
		if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), tc.field) {
			t.Errorf("%s: status %d, errors beside %v; want 422 beside %s", tc.name, r.status, fieldErrors(r.body), tc.field)
		}
		if strings.Contains(r.body, `value="`+tc.current+`"`) && tc.current != "" {
			t.Errorf("%s: the page shows the password typed back", tc.name)
		}
		if hash() != before || changed() != 0 {
			t.Fatalf("%s: the password changed", tc.name)
		}
	}
	if r := elsewhere.get("/"); r.status != http.StatusOK {
		t.Fatalf("the other session after refused changes: status %d, want 200", r.status)
	}

	r = here.post("/me/password", url.Values{"current_password": {testPassword}, "new_password": {"a fresh passphrase for me"}})
	if r.status != http.StatusSeeOther || r.location() != "/me" {
		t.Fatalf("change: status %d, location %q; want 303 to /me", r.status, r.location())
	}
	if hash() == before || changed() != 1 {
		t.Errorf("after the change: hash changed %v, %d password_changed events; want changed and 1", hash() != before, changed())
	}
	if r := elsewhere.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("the other session after the change: status %d, location %q; want sent to sign in", r.status, r.location())
	}
	if r := here.get("/me"); r.status != http.StatusOK || !strings.Contains(r.body, "Password changed.") {
		t.Errorf("this session after the change: status %d, flash shown %v; want 200 and the flash", r.status, strings.Contains(r.body, "Password changed."))
	}
	if n := app.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", uid); n != 1 {
		t.Errorf("%d sessions of the login left, want 1", n)
	}
	if r := app.newClient().signIn("vera@example.com", testPassword); r.status != http.StatusUnauthorized {
		t.Errorf("sign in with the old password: status %d, want 401", r.status)
	}
	if r := app.newClient().signIn("vera@example.com", "a fresh passphrase for me"); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: status %d, want 303", r.status)
	}
}

var passwordLink = regexp.MustCompile(`<[a-z]+[^>]*data-testid="password-link"[^>]*>([^<]*)<`)

// issuedLink is the set-password link a users page shows, and its token.
func issuedLink(t *testing.T, r response) (link, token string) {
	t.Helper()
	m := passwordLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no set-password link on the page (status %d)", r.status)
	}
	link = html.UnescapeString(m[1])
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	return link, u.Query().Get("token")
}

// TestPasswordResetLink: only an admin issues a set-password link, shown
// once as a full URL; it sets the password once, ends the login's
// sessions, and stops working when used, replaced or expired.
func TestPasswordResetLink(t *testing.T) {
	t.Parallel()
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, BaseURL: "http://steward.example.com/"})
	app.createUser("admin@example.com", db.RoleAdmin)
	app.createUser("editor@example.com", db.RoleEditor)
	uid := app.createUser("tom@example.com", db.RoleViewer)
	admin, editor, tom := app.signedIn("admin@example.com"), app.signedIn("editor@example.com"), app.signedIn("tom@example.com")
	reset := path("/admin/users/:id/reset-password", uid)
	links := func() int64 { return app.count("SELECT COUNT(*) FROM password_links") }
	hash := func() string { return app.text("SELECT password_hash FROM users WHERE id = ?", uid) }

	if r := editor.post(reset, nil); r.status != http.StatusForbidden || links() != 0 {
		t.Fatalf("editor: status %d, %d links; want 403 and none", r.status, links())
	}

	r := admin.post(reset, nil)
	if r.status != http.StatusOK {
		t.Fatalf("admin: status %d, want 200", r.status)
	}
	first, firstToken := issuedLink(t, r)
	if !strings.HasPrefix(first, "http://steward.example.com/password/set?token=") || len(firstToken) < 43 {
		t.Errorf("link %q: want the base URL's /password/set with a token of 32 bytes or more", first)
	}
	r = admin.post(reset, nil)
	link, token := issuedLink(t, r)
	if token == firstToken || links() != 1 {
		t.Errorf("a second link: same token %v, %d links stored; want a new token and 1", token == firstToken, links())
	}
	sum := sha256.Sum256([]byte(token))
	if n := app.count("SELECT COUNT(*) FROM password_links WHERE user_id = ? AND token_hash = ?", uid, hex.EncodeToString(sum[:])); n != 1 {
		t.Error("the link's hash is not what is stored")
	}
	if strings.Contains(app.wholeSnapshot(), token) || strings.Contains(app.wholeSnapshot(), firstToken) {
		t.Error("a link's token is stored in the database")
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password_reset_issued' AND record_id = ?", uid); n != 2 {
		t.Errorf("%d password_reset_issued events, want 2", n)
	}
	if r := admin.get("/admin/users"); strings.Contains(r.body, token) {
		t.Error("the users page shows the link again")
	}

	anon := app.newClient()
	setPath := strings.TrimPrefix(link, "http://steward.example.com")
	if r := anon.get("/password/set?token=" + url.QueryEscape(firstToken)); r.status != http.StatusGone {
		t.Errorf("the replaced link: status %d, want 410", r.status)
	}
	r = anon.get(setPath)
	if r.status != http.StatusOK || !strings.Contains(r.body, "tom@example.com") || !strings.Contains(r.body, `name="password"`) {
		t.Fatalf("GET the link: status %d; want 200 and a form for tom@example.com", r.status)
	}
	if p := r.header.Get("Referrer-Policy"); p != "same-origin" {
		t.Errorf("the link's page sends Referrer-Policy %q: want same-origin, which keeps the token from other sites and lets the form post", p)
	}
	before := hash()
	r = anon.post("/password/set", url.Values{"token": {token}, "password": {"password1234"}})
	if r.status != http.StatusUnprocessableEntity || !slices.Contains(fieldErrors(r.body), "password") || hash() != before {
		t.Errorf("a common password: status %d, errors %v; want 422 beside password and nothing changed", r.status, fieldErrors(r.body))
	}

	r = anon.post("/password/set", url.Values{"token": {token}, "password": {"tom chose this one himself"}})
	if r.status != http.StatusSeeOther || r.location() != "/login" {
		t.Fatalf("set the password: status %d, location %q; want 303 to /login", r.status, r.location())
	}
	if hash() == before || app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password_set' AND record_id = ?", uid) != 1 {
		t.Error("the password was not changed with its audit event")
	}
	if r := anon.get("/login"); !strings.Contains(r.body, "Password set.") {
		t.Error("the sign-in page does not say the password was set")
	}
	if r := tom.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/login") {
		t.Errorf("tom's earlier session: status %d, location %q; want sent to sign in", r.status, r.location())
	}
	if r := app.newClient().signIn("tom@example.com", "tom chose this one himself"); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password: status %d, want 303", r.status)
	}

	after := hash()
	if r := anon.get(setPath); r.status != http.StatusGone || !strings.Contains(r.body, "expired or was used") {
		t.Errorf("GET the used link: status %d; want 410 saying it expired or was used", r.status)
	}
	if r := anon.post("/password/set", url.Values{"token": {token}, "password": {"someone else's passphrase"}}); r.status != http.StatusGone || hash() != after {
		t.Errorf("POST the used link: status %d, hash changed %v; want 410 and unchanged", r.status, hash() != after)
	}

	// An expired link: the store's clock moves past its 24 hours.
	expiring, _, err := app.store.IssuePasswordLink(context.Background(), db.SystemActor("test"), uid)
	if err != nil {
		t.Fatal(err)
	}
	app.store.SetClock(func() time.Time { return time.Now().Add(db.PasswordLinkLifetime + time.Minute) })
	if r := anon.get("/password/set?token=" + url.QueryEscape(expiring)); r.status != http.StatusGone {
		t.Errorf("GET an expired link: status %d, want 410", r.status)
	}
	if r := anon.post("/password/set", url.Values{"token": {expiring}, "password": {"too late for this one"}}); r.status != http.StatusGone || hash() != after {
		t.Errorf("POST an expired link: status %d, hash changed %v; want 410 and unchanged", r.status, hash() != after)
	}
}

// TestPasswordLinkUsedOnce sends one link from several browsers at once:
// exactly one sets the password.
func TestPasswordLinkUsedOnce(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	uid := app.createUser("una@example.com", db.RoleViewer)
	token, _, err := app.store.IssuePasswordLink(context.Background(), db.SystemActor("test"), uid)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = app.newClient()
		clients[i].csrf()
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"_csrf": {c.cookie(csrfCookie)}, "token": {token}, "password": {"parallel passphrase " + id(int64(i))}}
			req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/password/set", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res, err := c.hc.Do(req); err == nil {
				statuses[i] = res.StatusCode
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	won := -1
	for i, st := range statuses {
		switch {
		case st == http.StatusSeeOther && won < 0:
			won = i
		case st != http.StatusGone:
			t.Errorf("use %d: status %d; want one 303 and the rest 410 (all: %v)", i, st, statuses)
		}
	}
	if won < 0 {
		t.Fatalf("no use succeeded: %v", statuses)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password_set'"); n != 1 {
		t.Errorf("%d password_set events, want 1", n)
	}
	if r := app.newClient().signIn("una@example.com", "parallel passphrase "+id(int64(won))); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the winner's password: status %d, want 303", r.status)
	}
}

// Wrong current passwords on /me slow down like failed sign-ins: a stolen
// session cannot guess the password at argon2's speed.
func TestChangeOwnPasswordGuessesSlowDown(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	app := newThrottledApp(t, clock)
	uid := app.createUser("vera@example.com", db.RoleViewer)
	vera := app.signedIn("vera@example.com")
	hash := app.text("SELECT password_hash FROM users WHERE id = ?", uid)
	change := func(current string) response {
		return vera.post("/me/password", url.Values{"current_password": {current}, "new_password": {"a fresh passphrase for me"}})
	}
	for i := range 5 {
		if r := change(fmt.Sprintf("guess number %d", i)); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong guess %d: status %d, want 422", i+1, r.status)
		}
	}
	for _, current := range []string{"guess number 6", testPassword} {
		r := change(current)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" ||
			!strings.Contains(r.body, "Too many wrong passwords. Try again in 1 second.") {
			t.Errorf("after five wrong guesses, %q: status %d, Retry-After %q; want 429 saying to wait a second",
				current, r.status, r.header.Get("Retry-After"))
		}
	}
	if app.text("SELECT password_hash FROM users WHERE id = ?", uid) != hash {
		t.Fatal("a refused change changed the password")
	}
	clock.advance(2 * time.Second)
	if r := change(testPassword); r.status != http.StatusSeeOther {
		t.Fatalf("the right password after the wait: status %d, want 303", r.status)
	}
	if app.text("SELECT password_hash FROM users WHERE id = ?", uid) == hash {
		t.Error("the password was not changed")
	}
}
