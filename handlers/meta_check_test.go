package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
)

// metaWorld is a Meta business as Steward records it, with a Meta app
// connected and Meta's Graph API faked (metatest): a Business Manager
// account, two Pages and a system user with their IDs on Meta, and an
// editor signed in.
type metaWorld struct {
	app                *testApp
	c                  *client
	graph              *metatest.Server
	bm, shop, blog, su int64
}

const checkAppSecret = "5e1ec7ab1e0ddba11deadbeefcafe4242"

// newMetaWorld builds the world; graphURL, when not "", is where the
// client looks for Meta instead of the fake; connect is whether an app is
// connected.
func newMetaWorld(t *testing.T, graphURL string, connect bool) metaWorld {
	t.Helper()
	g := metatest.New(t)
	g.SetApp(metaAppID, checkAppSecret)
	if graphURL == "" {
		graphURL = g.URL
	}
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, Meta: &meta.Client{BaseURL: graphURL, HTTP: &http.Client{Timeout: 5 * time.Second}}})
	app.createUser("editor@example.com", db.RoleEditor)
	w := metaWorld{app: app, c: app.signedIn("editor@example.com"), graph: g}
	ctx, actor := context.Background(), db.SystemActor("test")
	for _, a := range []struct {
		id                     *int64
		name, kind, externalID string
	}{{&w.bm, "Northwind BM", "business_manager", "9001"}, {&w.shop, "Northwind Shop", "page", "1111"}, {&w.blog, "Northwind Blog", "page", "2222"}} {
		id, err := app.store.CreateAccount(ctx, actor, db.AccountInput{Name: a.name, Platform: "Meta", Kind: a.kind, ExternalID: a.externalID})
		if err != nil {
			t.Fatal(err)
		}
		*a.id = id
	}
	su, err := app.store.CreateSystemUser(ctx, actor, db.SystemUserInput{Name: "conversions-api", AccountID: id(w.bm), ExternalID: "61550000000001"})
	if err != nil {
		t.Fatal(err)
	}
	w.su = su
	if connect {
		if err := app.store.ConnectMeta(ctx, actor, db.MetaConnectInput{AppID: metaAppID, AppSecret: checkAppSecret, BusinessID: "9001"}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// checks is how many times Meta's debug_token was asked.
func (w metaWorld) checks() int {
	n := 0
	for _, r := range w.graph.Requests() {
		if strings.Contains(r, "/debug_token?") {
			n++
		}
	}
	return n
}

// validNeverExpiring is what debug_token says of a system user's token
// that never expires and reaches both Pages and one asset Steward does not
// record.
func validNeverExpiring() metatest.Token {
	return metatest.Token{Valid: true, Type: "SYSTEM_USER", Application: "Steward reader", UserID: "61550000000001",
		DataAccessExpiresAt: time.Date(2026, 5, 30, 0, 0, 0, 0, time.UTC).Unix(), IssuedAt: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC).Unix(),
		Scopes: []string{"pages_show_list", "pages_read_engagement"},
		GranularScopes: []metatest.GranularScope{{Scope: "pages_show_list", TargetIDs: []string{"1111", "2222"}},
			{Scope: "pages_read_engagement", TargetIDs: []string{"3333"}}}}
}

// register posts the token form for the BM's account with secret pasted.
func (w metaWorld) register(t *testing.T, account int64, secret, expiresOn string) (response, int64) {
	t.Helper()
	r := w.c.post("/tokens", tokenForm("CAPI token", "system_user_token", map[string]string{"account_id": id(account),
		"issued_on": "2026-02-28", "expires_on": expiresOn, "secret": "  " + secret + "\n"}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /tokens: status %d\n%s", r.status, r.body)
	}
	return r, idFromLocation(t, r, "/tokens/")
}

// TestMetaCheckOnRegistration: a token pasted on a Meta account is checked
// with Meta before its value is dropped; the database keeps what Meta said
// (never expires, the Pages matched by external ID, the unknown asset, the
// system user), the token's expiry is honestly "never", the check is on
// the timelines of the token, the Pages and the system user, the page
// shows it, and the value is nowhere in the database's files.
func TestMetaCheckOnRegistration(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	secret := randomSecret("EAAG")
	w.graph.AddToken(secret, validNeverExpiring())
	_, tok := w.register(t, w.bm, secret, "")

	if n := w.checks(); n != 1 {
		t.Fatalf("Meta was asked %d times, want once", n)
	}
	want := fmt.Sprintf(`1|1|2026-05-30T00:00:00.000Z|SYSTEM_USER|`+metaAppID+`|61550000000001|%d|["pages_show_list","pages_read_engagement"]|`+
		`[{"id":"1111","scopes":["pages_show_list"],"account_id":%d},{"id":"2222","scopes":["pages_show_list"],"account_id":%d},{"id":"3333","scopes":["pages_read_engagement"],"account_id":0}]|`,
		w.su, w.shop, w.blog)
	if got := w.app.text(`SELECT valid || '|' || never_expires || '|' || data_access_expires_at || '|' || type || '|' ||
		app_id || '|' || meta_user_id || '|' || system_user_id || '|' || scopes || '|' || assets || '|' || failure FROM token_meta_checks WHERE token_id = ?`, tok); got != want {
		t.Errorf("stored check\n %s\nwant\n %s", got, want)
	}
	if got := w.app.text("SELECT expires_on FROM tokens WHERE id = ?", tok); got != "" {
		t.Errorf("expires_on %q, want empty (never)", got)
	}
	for _, rec := range [][2]any{{"token", tok}, {"account", w.shop}, {"account", w.blog}, {"system_user", w.su}} {
		if n := w.app.count(`SELECT COUNT(*) FROM audit_links WHERE record_kind = ? AND record_id = ? AND event_id IN
			(SELECT id FROM audit_events WHERE action = 'token.checked')`, rec[0], rec[1]); n != 1 {
			t.Errorf("token.checked is on the %s %d's timeline %d times, want 1", rec[0], rec[1], n)
		}
	}
	summary := w.app.text("SELECT summary FROM audit_events WHERE action = 'token.checked'")
	for _, part := range []string{"Checked with Meta: valid", "never expires", "Northwind Shop", "Northwind Blog", "1 asset ID not recorded", "conversions-api"} {
		if !strings.Contains(summary, part) {
			t.Errorf("event summary %q lacks %q", summary, part)
		}
	}

	page := w.c.get(path("/tokens/:id", tok))
	if page.status != http.StatusOK || !strings.Contains(page.body, `Checked with Meta on <span class="whitespace-nowrap">`+utcToday()) ||
		!strings.Contains(page.body, `href="/accounts/`+id(w.shop)+`"`) || !strings.Contains(page.body, `href="/system-users/`+id(w.su)+`"`) ||
		!strings.Contains(page.body, "3333") || len(tagsWith(page.body, "meta-revoke")) != 0 {
		t.Errorf("token page: status %d, checked %v, Page linked %v, system user linked %v, unknown asset %v, revoke offered %v", page.status,
			strings.Contains(page.body, "Checked with Meta on"), strings.Contains(page.body, `href="/accounts/`+id(w.shop)+`"`),
			strings.Contains(page.body, `href="/system-users/`+id(w.su)+`"`), strings.Contains(page.body, "3333"), len(tagsWith(page.body, "meta-revoke")))
	}
	if !strings.Contains(page.body, "Checked with Meta: valid") {
		t.Error("no message after saving says what Meta found")
	}
	if strings.Contains(page.body, secret) || w.app.databaseHolds(secret) || w.app.databaseHolds(secret[4:20]) {
		t.Error("the value is on the page or in the database's files")
	}
}

// TestMetaExpiryWinsOverTheForm: Meta's expiry date replaces the one the
// form gave, and the event says so.
func TestMetaExpiryWinsOverTheForm(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	tok60 := validNeverExpiring()
	tok60.ExpiresAt = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC).Unix()
	secret := randomSecret("EAAG")
	w.graph.AddToken(secret, tok60)
	_, tok := w.register(t, w.bm, secret, "2030-01-01")
	if got := w.app.text("SELECT expires_on FROM tokens WHERE id = ?", tok); got != "2026-06-30" {
		t.Errorf("expires_on %q, want Meta's 2026-06-30", got)
	}
	summary := w.app.text("SELECT summary FROM audit_events WHERE action = 'token.checked'")
	if !strings.Contains(summary, "Meta says it expires on 2026-06-30 (the record said 2030-01-01)") {
		t.Errorf("event summary %q does not say Meta's date replaced the form's", summary)
	}
}

// TestMetaCheckInvalidTokenOffersRevoke: a value Meta says is not valid is
// flagged on the token's page with a button that marks it revoked.
func TestMetaCheckInvalidTokenOffersRevoke(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	secret := randomSecret("EAAG")
	w.graph.AddToken(secret, metatest.Token{Valid: false, Type: "SYSTEM_USER",
		ErrorMessage: "Error validating access token: The session has been invalidated because the user changed their password."})
	_, tok := w.register(t, w.bm, secret, "")
	if got := w.app.text("SELECT valid || '|' || error FROM token_meta_checks WHERE token_id = ?", tok); !strings.HasPrefix(got, "0|Error validating") {
		t.Errorf("stored check %q, want not valid with Meta's message", got)
	}
	page := w.c.get(path("/tokens/:id", tok))
	if page.status != http.StatusOK || !strings.Contains(page.body, "not valid") || len(tagsWith(page.body, "meta-revoke")) != 1 ||
		!strings.Contains(page.body, "Meta says this token") {
		t.Fatalf("token page: status %d, flagged %v, revoke offered %d", page.status, strings.Contains(page.body, "not valid"), len(tagsWith(page.body, "meta-revoke")))
	}
	if r := w.c.post(path("/tokens/:id", tok)+"/revoke", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", r.status)
	}
	if got := w.app.text("SELECT status FROM tokens WHERE id = ?", tok); got != "revoked" {
		t.Errorf("status %q after the offered revoke, want revoked", got)
	}
}

// TestMetaUnreachableStillRegisters: when Meta cannot be reached the token
// is registered (303 from the form, 201 from the API), the answer says the
// check failed and why, the page says "Not checked with Meta", and the
// transport error's URL (which would hold the value) is never repeated.
func TestMetaUnreachableStillRegisters(t *testing.T) {
	t.Parallel()
	secret := randomSecret("EAAG")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more
	w := newMetaWorld(t, closed.URL, true)
	_, tok := w.register(t, w.bm, secret, "")
	if got := w.app.text("SELECT failure FROM token_meta_checks WHERE token_id = ?", tok); got != "Meta could not be reached." {
		t.Errorf("stored failure %q", got)
	}
	page := w.c.get(path("/tokens/:id", tok))
	if page.status != http.StatusOK || !strings.Contains(page.body, "the check with Meta failed: Meta could not be reached.") ||
		!strings.Contains(page.body, "Not checked with Meta") || strings.Contains(page.body, secret) || strings.Contains(page.body, "dial tcp") {
		t.Errorf("token page: status %d, says it failed %v, not checked %v", page.status,
			strings.Contains(page.body, "the check with Meta failed"), strings.Contains(page.body, "Not checked with Meta"))
	}

	key := w.app.apiKey("Deploy pipeline", "write")
	api := w.app.api(http.MethodPost, "/api/v1/tokens", key, fmt.Sprintf(`{"name": "CI token", "kind": "api_key", "account_id": %d, "secret": %q}`,
		w.bm, randomSecret("EAAG")))
	if api.status != http.StatusCreated || !strings.Contains(strings.Join(api.header.Values("Steward-Note"), "\n"), "the check with Meta failed") {
		t.Errorf("API: status %d, notes %q", api.status, api.header.Values("Steward-Note"))
	}
	if n := w.app.count("SELECT COUNT(*) FROM token_meta_checks WHERE failure <> ''"); n != 2 {
		t.Errorf("%d failed checks kept, want 2", n)
	}
}

// TestMetaNotAsked: no value, a non-Meta account, or no app connected: Meta is not asked and nothing is kept.
func TestMetaNotAsked(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	github := w.app.createAccount("Northwind GitHub", "GitHub")
	w.register(t, github, randomSecret("ghp_"), "")
	w.register(t, w.bm, "", "")
	if n := w.checks(); n != 0 {
		t.Errorf("Meta was asked %d times about a GitHub token or no value", n)
	}
	notConnected := newMetaWorld(t, "", false)
	_, tok := notConnected.register(t, notConnected.bm, randomSecret("EAAG"), "")
	if n := notConnected.checks(); n != 0 {
		t.Errorf("Meta was asked %d times with no app connected", n)
	}
	for _, app := range []*testApp{w.app, notConnected.app} {
		if n := app.count("SELECT COUNT(*) FROM token_meta_checks"); n != 0 {
			t.Errorf("%d checks kept, want none", n)
		}
	}
	if page := notConnected.c.get(path("/tokens/:id", tok)); page.status != http.StatusOK || len(tagsWith(page.body, "meta-check")) != 0 {
		t.Error("a token no app could check mentions a check with Meta")
	}
}

// TestMetaCheckOnRotation: a new value pasted on a Meta token's rotate
// form is checked too, and Meta's expiry replaces the old one.
func TestMetaCheckOnRotation(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", false)
	_, tok := w.register(t, w.bm, randomSecret("EAAG"), "2026-04-01")
	if err := w.app.store.ConnectMeta(context.Background(), db.SystemActor("test"),
		db.MetaConnectInput{AppID: metaAppID, AppSecret: checkAppSecret, BusinessID: "9001"}); err != nil {
		t.Fatal(err)
	}
	next := randomSecret("EAAG")
	w.graph.AddToken(next, validNeverExpiring())
	if r := w.c.post(path("/tokens/:id", tok)+"/rotate", url.Values{"secret": {next}}); r.status != http.StatusSeeOther {
		t.Fatalf("rotate: status %d\n%s", r.status, r.body)
	}
	if n := w.checks(); n != 1 {
		t.Errorf("Meta was asked %d times, want once about the new value", n)
	}
	if got := w.app.text(`SELECT t.expires_on || '|' || m.never_expires FROM tokens t JOIN token_meta_checks m ON m.token_id = t.id WHERE t.id = ?`, tok); got != "|1" {
		t.Errorf("after rotation: expiry|never %q, want never", got)
	}
	if got := w.app.text("SELECT group_concat(action, ',') FROM (SELECT action FROM audit_events WHERE record_id = ? AND record_kind = 'token' ORDER BY id)", tok); got != "token.created,token.rotated,token.checked" {
		t.Errorf("token's events %q", got)
	}
	if w.app.databaseHolds(next) {
		t.Error("the new value is in the database's files")
	}
}

// apiMetaCheck is a token's meta_check as the API answers it.
type apiMetaCheck struct {
	CheckedAt       string  `json:"checked_at"`
	Failure         string  `json:"failure"`
	Valid           *bool   `json:"valid"`
	NeverExpires    bool    `json:"never_expires"`
	ExpiresAt       *string `json:"expires_at"`
	SystemUserID    *int64  `json:"system_user_id"`
	Scopes          []string
	ReachedAccounts []struct {
		AccountID   int64  `json:"account_id"`
		AccountName string `json:"account_name"`
		AssetID     string `json:"asset_id"`
	} `json:"reached_accounts"`
	UnknownAssets []struct {
		AssetID string `json:"asset_id"`
	} `json:"unknown_assets"`
}

// apiToken is the part of a token's API record these tests read.
type apiToken struct {
	ID          int64         `json:"id"`
	ExpiresOn   string        `json:"expires_on"`
	Fingerprint string        `json:"fingerprint"`
	MetaCheck   *apiMetaCheck `json:"meta_check"`
}

// TestMetaCheckThroughAPI: a token created through the API with its value
// on a Meta account is checked as the form's is: 201, Steward-Note says
// what Meta found (Meta's expiry replacing the body's), the database keeps
// the check and Meta's date but never the value, and GET answers the
// check in meta_check. A PATCH with a new value is checked and noted the
// same way; a PATCH without one asks Meta nothing and says nothing more.
func TestMetaCheckThroughAPI(t *testing.T) {
	t.Parallel()
	w := newMetaWorld(t, "", true)
	key := w.app.apiKey("Deploy pipeline", "write")
	first := validNeverExpiring()
	first.ExpiresAt = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC).Unix()
	secret := randomSecret("EAAG")
	w.graph.AddToken(secret, first)

	r := w.app.api(http.MethodPost, "/api/v1/tokens", key, fmt.Sprintf(`{"name": "CAPI token", "kind": "system_user_token", "account_id": %d,
		"issued_on": "2026-02-28", "expires_on": "2030-01-01", "secret": %q}`, w.bm, secret))
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/v1/tokens: status %d: %s", r.status, r.body)
	}
	notes := strings.Join(r.header.Values("Steward-Note"), "\n")
	if !strings.Contains(notes, "Checked with Meta: valid, expires 2026-06-30") || !strings.Contains(notes, "Meta says it expires on 2026-06-30 (the record said 2030-01-01)") {
		t.Errorf("Steward-Note %q, want what Meta found and that its date was kept", notes)
	}
	var created apiToken
	decode(t, r, &created)
	if got := w.app.text(`SELECT t.expires_on || '|' || m.valid || '|' || m.expires_at || '|' || m.system_user_id FROM tokens t
		JOIN token_meta_checks m ON m.token_id = t.id WHERE t.id = ?`, created.ID); got != fmt.Sprintf("2026-06-30|1|2026-06-30T12:00:00.000Z|%d", w.su) {
		t.Errorf("token and check %q, want Meta's expiry and verdict", got)
	}
	if w.checks() != 1 || w.app.databaseHolds(secret) || w.app.databaseHolds(secret[4:20]) {
		t.Errorf("Meta asked %d times (want 1), or the value is in the database's files", w.checks())
	}

	var got apiToken
	decode(t, w.app.api(http.MethodGet, path("/api/v1/tokens/:id", created.ID), key, ""), &got)
	c := got.MetaCheck
	if c == nil || c.Valid == nil || !*c.Valid || c.NeverExpires || c.ExpiresAt == nil || *c.ExpiresAt != "2026-06-30T12:00:00.000Z" ||
		!strings.HasPrefix(c.CheckedAt, utcToday()+"T") || c.Failure != "" || c.SystemUserID == nil || *c.SystemUserID != w.su ||
		len(c.ReachedAccounts) != 2 || c.ReachedAccounts[0].AccountID != w.shop || c.ReachedAccounts[0].AccountName != "Northwind Shop" ||
		c.ReachedAccounts[1].AccountID != w.blog || len(c.UnknownAssets) != 1 || c.UnknownAssets[0].AssetID != "3333" {
		t.Errorf("GET: meta_check %+v, want Meta's verdict with the Pages and the unknown asset", c)
	}

	next := randomSecret("EAAG")
	w.graph.AddToken(next, validNeverExpiring())
	r = w.app.api(http.MethodPatch, path("/api/v1/tokens/:id", created.ID), key, fmt.Sprintf(`{"secret": %q}`, next))
	if r.status != http.StatusOK {
		t.Fatalf("PATCH with a new value: status %d: %s", r.status, r.body)
	}
	if notes := strings.Join(r.header.Values("Steward-Note"), "\n"); !strings.Contains(notes, "Checked with Meta: valid, never expires") ||
		!strings.Contains(notes, "Meta says it never expires (the record said 2026-06-30)") {
		t.Errorf("PATCH: Steward-Note %q, want what Meta found of the new value", notes)
	}
	decode(t, r, &got)
	if got.ExpiresOn != "" || got.Fingerprint != db.Fingerprint(next) || got.MetaCheck == nil || !got.MetaCheck.NeverExpires {
		t.Errorf("PATCH answered expires_on %q, fingerprint %s, meta_check %+v; want never, the new value's, never expires", got.ExpiresOn, got.Fingerprint, got.MetaCheck)
	}
	if n := w.app.count("SELECT COUNT(*) FROM token_meta_checks WHERE token_id = ?", created.ID); n != 2 || w.checks() != 2 || w.app.databaseHolds(next) {
		t.Errorf("%d checks kept and Meta asked %d times, want 2 each; value in the database: %v", n, w.checks(), w.app.databaseHolds(next))
	}

	r = w.app.api(http.MethodPatch, path("/api/v1/tokens/:id", created.ID), key, `{"notes": "Rotated by the pipeline."}`)
	if r.status != http.StatusOK || len(r.header.Values("Steward-Note")) != 0 || w.checks() != 2 {
		t.Errorf("PATCH without a value: status %d, notes %q, Meta asked %d times (want 2)", r.status, r.header.Values("Steward-Note"), w.checks())
	}

	// The list gives each token its own latest check, null for one never checked.
	unchecked, err := w.app.store.CreateToken(context.Background(), db.SystemActor("test"), db.TokenInput{Name: "Old token", Kind: "api_key", AccountID: id(w.bm)})
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []apiToken }
	decode(t, w.app.api(http.MethodGet, "/api/v1/tokens?account_id="+id(w.bm), key, ""), &page)
	checkedAt := map[int64]string{}
	for _, tok := range page.Data {
		checkedAt[tok.ID] = "never"
		if tok.MetaCheck != nil {
			checkedAt[tok.ID] = fmt.Sprint(tok.MetaCheck.NeverExpires)
		}
	}
	if len(checkedAt) != 2 || checkedAt[created.ID] != "true" || checkedAt[unchecked.ID] != "never" {
		t.Errorf("list: never_expires of each token's check %v, want the new value's (true) for %d and none for %d", checkedAt, created.ID, unchecked.ID)
	}
}

// TestMetaUnreachableThroughAPIPatch: a new value sent by PATCH when Meta
// cannot be reached is saved all the same (200, the new fingerprint, the
// value nowhere in the database), Steward-Note says the check failed and
// why, and meta_check keeps the failure with no verdict.
func TestMetaUnreachableThroughAPIPatch(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more
	w := newMetaWorld(t, closed.URL, true)
	tok, err := w.app.store.CreateToken(context.Background(), db.SystemActor("test"), db.TokenInput{Name: "CAPI token", Kind: "system_user_token", AccountID: id(w.bm)})
	if err != nil {
		t.Fatal(err)
	}
	key := w.app.apiKey("Deploy pipeline", "write")
	next := randomSecret("EAAG")
	r := w.app.api(http.MethodPatch, path("/api/v1/tokens/:id", tok.ID), key, fmt.Sprintf(`{"secret": %q}`, next))
	if r.status != http.StatusOK {
		t.Fatalf("PATCH: status %d: %s", r.status, r.body)
	}
	if notes := r.header.Values("Steward-Note"); len(notes) != 1 || !strings.Contains(notes[0], "the check with Meta failed: Meta could not be reached.") {
		t.Errorf("Steward-Note %q, want that the check failed", notes)
	}
	var got apiToken
	decode(t, r, &got)
	if got.MetaCheck == nil || got.MetaCheck.Valid != nil || got.MetaCheck.Failure != "Meta could not be reached." {
		t.Errorf("meta_check %+v, want the failure and no verdict", got.MetaCheck)
	}
	if fp := w.app.text("SELECT fingerprint FROM tokens WHERE id = ?", tok.ID); fp != db.Fingerprint(next) || w.app.databaseHolds(next) {
		t.Errorf("fingerprint %s after PATCH, want the new value's; value in the database: %v", fp, w.app.databaseHolds(next))
	}
	if got := w.app.text("SELECT failure FROM token_meta_checks WHERE token_id = ?", tok.ID); got != "Meta could not be reached." {
		t.Errorf("stored failure %q", got)
	}
}
