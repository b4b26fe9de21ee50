package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
)

const (
	metaAppID     = "1001"
	metaAppSecret = "3f1c0ffee0ddba11deadbeefcafe4242"
	metaToken     = "EAAGmetasystemusertoken0123456789abcdefXYZ"
)

// newMetaApp is a test app whose Graph API is a fake that knows the app
// and one system user token reaching two assets.
func newMetaApp(t *testing.T) (*testApp, *metatest.Server) {
	t.Helper()
	g := metatest.New(t)
	g.SetApp(metaAppID, metaAppSecret)
	g.AddToken(metaToken, metatest.Token{Valid: true, Type: "SYSTEM_USER", UserID: "9001", Application: "Steward",
		IssuedAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Unix(), Scopes: []string{"business_management", "ads_read"},
		GranularScopes: []metatest.GranularScope{{Scope: "ads_read", TargetIDs: []string{"7001", "8001"}}}})
	a := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey,
		Meta: &meta.Client{BaseURL: g.URL, HTTP: &http.Client{Timeout: 500 * time.Millisecond}}})
	return a, g
}

func metaForm(secret, token, keep string) url.Values {
	return url.Values{"app_id": {metaAppID}, "app_secret": {secret}, "business_id": {"555000111"},
		"access_token": {token}, "keep_token": {keep}}
}

// TestConnectMetaKeepingTheToken: an admin connects; Meta checked the
// tokens; the page shows the connector but never a secret.
func TestConnectMetaKeepingTheToken(t *testing.T) {
	a, g := newMetaApp(t)
	owner := a.createOwner("Ada Admin", "ada@example.com")
	a.createUserWith(db.UserInput{Email: "ada@example.com", Password: testPassword, Role: db.RoleAdmin, OwnerID: id(owner)})
	c := a.signedIn("ada@example.com")
	if r := c.get("/admin"); !strings.Contains(r.body, `href="/admin/connectors"`) {
		t.Error("/admin does not link to the connectors")
	}
	if r := c.get("/admin/connectors"); r.status != http.StatusOK || !strings.Contains(r.body, "No Meta app is connected") {
		t.Fatalf("GET /admin/connectors: %d", r.status)
	}
	r := c.post("/admin/connectors/meta", metaForm(metaAppSecret, metaToken, "1"))
	if r.status != http.StatusSeeOther || r.location() != "/admin/connectors" {
		t.Fatalf("connect: %d %s\n%s", r.status, r.location(), r.body)
	}
	if !slices.ContainsFunc(g.Requests(), func(u string) bool { return strings.HasPrefix(u, "/v26.0/debug_token?") }) {
		t.Error("Meta was not asked")
	}
	if got := a.text(`SELECT m.app_id || '|' || m.business_id || '|' || t.responsible_owner_id || '|' || t.fingerprint || '|' || t.assets
		FROM meta_connector m JOIN tokens t ON t.id = m.token_id`); got != metaAppID+"|555000111|"+id(owner)+"|"+db.Fingerprint(metaToken)+"|Meta asset 7001, Meta asset 8001" {
		t.Errorf("stored connector = %q", got)
	}
	page := c.get("/admin/connectors")
	if !strings.Contains(page.body, "data-connected") || !strings.Contains(page.body, metaAppID) || !strings.Contains(page.body, "kept, sealed") {
		t.Errorf("the page does not show the connector:\n%s", page.body)
	}
	for _, secret := range []string{metaAppSecret, metaToken} {
		if strings.Contains(page.body, secret) || strings.Contains(r.body, secret) {
			t.Errorf("a page shows a secret")
		}
	}
	if r := c.post("/admin/connectors/meta/disconnect", url.Values{}); r.status != http.StatusSeeOther || a.count("SELECT COUNT(*) FROM meta_connector") != 0 {
		t.Errorf("disconnect: %d", r.status)
	}
}

// TestConnectMetaRefusals: each way Meta refuses, or cannot answer, is a
// message beside the field or above the form, values kept but secrets
// not, and nothing saved.
func TestConnectMetaRefusals(t *testing.T) {
	a, g := newMetaApp(t)
	a.createUser("admin@example.com", db.RoleAdmin)
	c := a.signedIn("admin@example.com")
	g.AddToken("EAAGexpiredtoken0123456789abcdef", metatest.Token{Valid: false, ErrorMessage: "Error validating access token: Session has expired"})
	for _, tc := range []struct {
		name    string
		form    url.Values
		fault   metatest.Fault
		status  int
		field   string
		problem string
	}{
		{"wrong app secret", metaForm("not-the-secret-0000", metaToken, "1"), metatest.Fault{}, 422, "app_secret", ""},
		{"invalid token", metaForm(metaAppSecret, "EAAGexpiredtoken0123456789abcdef", "1"), metatest.Fault{}, 422, "access_token", ""},
		{"keep without a token", metaForm(metaAppSecret, "", "1"), metatest.Fault{}, 422, "access_token", ""},
		{"bad app id", url.Values{"app_id": {"my app"}, "app_secret": {metaAppSecret}, "business_id": {"1"}}, metatest.Fault{}, 422, "app_id", ""},
		{"rate limited", metaForm(metaAppSecret, metaToken, "1"), metatest.Fault{Code: 613}, 503, "", "slow down"},
		{"Meta does not answer", metaForm(metaAppSecret, metaToken, "1"), metatest.Fault{Hang: true}, 503, "", "could not reach Meta"},
		{"other Graph error", metaForm(metaAppSecret, metaToken, "1"), metatest.Fault{Code: 1, Message: "An unknown error occurred"}, 422, "", "An unknown error occurred"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.Fail("debug_token", tc.fault)
			defer g.Fail("debug_token", metatest.Fault{})
			r := c.post("/admin/connectors/meta", tc.form)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.status, r.body)
			}
			if errs := fieldErrors(r.body); tc.field != "" && !slices.Contains(errs, tc.field) {
				t.Errorf("field errors %v, want one beside %s", errs, tc.field)
			}
			if tc.problem != "" && !strings.Contains(r.body, tc.problem) {
				t.Errorf("no message %q", tc.problem)
			}
			if !strings.Contains(r.body, `value="`+tc.form.Get("app_id")+`"`) {
				t.Error("the app ID typed is not kept")
			}
			for _, secret := range []string{tc.form.Get("app_secret"), tc.form.Get("access_token")} {
				if secret != "" && strings.Contains(r.body, secret) {
					t.Errorf("the page shows a secret typed back")
				}
			}
			if n := a.count("SELECT COUNT(*) FROM meta_connector") + a.count("SELECT COUNT(*) FROM tokens"); n != 0 {
				t.Errorf("a refused connect saved %d rows", n)
			}
		})
	}
}
