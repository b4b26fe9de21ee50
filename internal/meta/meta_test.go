package meta_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"steward/db"
	"steward/internal/meta"
	"steward/internal/meta/metatest"
)

const (
	appID     = "1001"
	appSecret = "s3cret-app-secret-value"
	sysToken  = "EAAGsystemusertoken0123456789"
	business  = "555000111"
)

// fixture is a fake Graph API with a business that spans several pages
// of every edge, and a client pointed at it.
func fixture(t *testing.T) (*metatest.Server, *meta.Client) {
	t.Helper()
	g := metatest.New(t)
	g.SetApp(appID, appSecret)
	g.AddToken(sysToken, metatest.Token{
		Valid: true, Type: "SYSTEM_USER", Application: "Steward reader", UserID: "9001",
		ExpiresAt: 0, DataAccessExpiresAt: 1893456000, IssuedAt: 1764000000,
		Scopes: []string{"business_management", "ads_read", "pages_show_list"},
		GranularScopes: []metatest.GranularScope{
			{Scope: "ads_read", TargetIDs: []string{"7001", "7002"}},
			{Scope: "pages_show_list", TargetIDs: []string{"8001", "7001"}},
			{Scope: "business_management"},
		},
	})
	g.SetBusiness(wantSnapshot())
	return g, &meta.Client{BaseURL: g.URL}
}

func wantSnapshot() db.MetaSnapshot {
	return db.MetaSnapshot{
		BusinessID: business, BusinessName: "Northwind Outfitters",
		SystemUsers: []db.MetaSystemUser{
			{ID: "9001", Name: "Steward reader", Role: "EMPLOYEE"},
			{ID: "9002", Name: "Ads bot", Role: "ADMIN"},
			{ID: "9003", Name: "Feed sync", Role: "EMPLOYEE"},
		},
		People: []db.MetaPerson{
			{ID: "6001", Name: "Ada Lovelace", Email: "ada@example.com", Role: "ADMIN"},
			{ID: "6002", Name: "Alan Turing", Email: "alan@example.com", Role: "EMPLOYEE"},
			{ID: "6003", Name: "Grace Hopper", Email: "grace@example.com", Role: "EMPLOYEE"},
		},
		AdAccounts: []db.MetaAsset{{ID: "7001", Name: "Brand EU"}, {ID: "7002", Name: "Brand US"}, {ID: "7003", Name: "Tests"}},
		Pages:      []db.MetaAsset{{ID: "8001", Name: "Brand"}, {ID: "8002", Name: "Brand Jobs"}, {ID: "8003", Name: "Brand Help"}},
		Assignments: []db.MetaAssignment{
			{SystemUserID: "9001", AssetID: "7001", AssetKind: "ad_account", Tasks: []string{"ANALYZE"}},
			{SystemUserID: "9001", AssetID: "8001", AssetKind: "page", Tasks: []string{"ANALYZE"}},
			{SystemUserID: "9002", AssetID: "7001", AssetKind: "ad_account", Tasks: []string{"MANAGE", "ADVERTISE", "ANALYZE"}},
			{SystemUserID: "9002", AssetID: "7002", AssetKind: "ad_account", Tasks: []string{"ADVERTISE"}},
			{SystemUserID: "9002", AssetID: "7003", AssetKind: "ad_account", Tasks: []string{"ANALYZE"}},
			{SystemUserID: "9002", AssetID: "8002", AssetKind: "page", Tasks: []string{"MANAGE"}},
		},
	}
}

func TestCheckTokenFillsEveryField(t *testing.T) {
	_, c := fixture(t)
	got, err := c.CheckToken(context.Background(), appID, appSecret, sysToken)
	if err != nil {
		t.Fatal(err)
	}
	if got.CheckedAt.IsZero() || time.Since(got.CheckedAt) > time.Hour {
		t.Errorf("CheckedAt = %v", got.CheckedAt)
	}
	got.CheckedAt = time.Time{}
	want := db.MetaTokenCheck{
		Valid: true, NeverExpires: true,
		DataAccessExpiresAt: time.Unix(1893456000, 0).UTC(), IssuedAt: time.Unix(1764000000, 0).UTC(),
		Type: "SYSTEM_USER", AppID: appID, Application: "Steward reader", UserID: "9001",
		Scopes: []string{"business_management", "ads_read", "pages_show_list"},
		Assets: []db.MetaGrantedAsset{
			{ID: "7001", Scopes: []string{"ads_read", "pages_show_list"}},
			{ID: "7002", Scopes: []string{"ads_read"}},
			{ID: "8001", Scopes: []string{"pages_show_list"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CheckToken =\n%+v\nwant\n%+v", got, want)
	}
}

func TestCheckTokenWithExpiry(t *testing.T) {
	g, c := fixture(t)
	g.AddToken("EAAGuser", metatest.Token{Valid: true, Type: "USER", ExpiresAt: 1800000000, Scopes: []string{"public_profile"}})
	got, err := c.CheckToken(context.Background(), appID, appSecret, "EAAGuser")
	if err != nil {
		t.Fatal(err)
	}
	if got.NeverExpires || !got.ExpiresAt.Equal(time.Unix(1800000000, 0)) || !got.DataAccessExpiresAt.IsZero() {
		t.Errorf("expiry = never %v, at %v, data access %v", got.NeverExpires, got.ExpiresAt, got.DataAccessExpiresAt)
	}
}

func TestCheckTokenInvalidTokenIsACheckNotAnError(t *testing.T) {
	g, c := fixture(t)
	g.AddToken("EAAGexpired", metatest.Token{Valid: false, Type: "USER", ExpiresAt: 1700000000,
		ErrorMessage: "Error validating access token: Session has expired on Tuesday, 14-Nov-23."})
	for value, wantMsg := range map[string]string{
		"EAAGexpired": "Session has expired",
		"garbage":     "Cannot parse access token",
	} {
		got, err := c.CheckToken(context.Background(), appID, appSecret, value)
		if err != nil {
			t.Fatalf("%s: %v", value, err)
		}
		if got.Valid || got.NeverExpires || !strings.Contains(got.Error, wantMsg) {
			t.Errorf("%s: valid %v, never %v, error %q", value, got.Valid, got.NeverExpires, got.Error)
		}
	}
}

func TestCheckTokenWrongAppSecretIsInvalidTokenError(t *testing.T) {
	_, c := fixture(t)
	_, err := c.CheckToken(context.Background(), appID, "wrong-secret-xyz", sysToken)
	var e *meta.Error
	if !errors.As(err, &e) || e.Kind != meta.InvalidToken || e.Code != 190 {
		t.Fatalf("err = %#v, want InvalidToken 190", err)
	}
	for _, secret := range []string{"wrong-secret-xyz", sysToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q holds a secret", err)
		}
	}
}

func TestCheckTokenSendsTheAppTokenInTheHeader(t *testing.T) {
	g, c := fixture(t)
	if _, err := c.CheckToken(context.Background(), appID, appSecret, sysToken); err != nil {
		t.Fatal(err)
	}
	for _, r := range g.Requests() {
		if strings.Contains(r, appSecret) || strings.Contains(r, "access_token") {
			t.Errorf("request %q carries the app token in its URL", r)
		}
	}
}

func TestReadBusinessReadsEveryEdgeAndPage(t *testing.T) {
	g, c := fixture(t)
	got, err := c.ReadBusiness(context.Background(), sysToken, business)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReadAt.IsZero() {
		t.Error("ReadAt is zero")
	}
	got.ReadAt = time.Time{}
	if want := wantSnapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReadBusiness =\n%+v\nwant\n%+v", got, want)
	}
	pages := 0
	for _, r := range g.Requests() {
		if strings.Contains(r, "after=") {
			pages++
		}
		if strings.Contains(r, "access_token") || strings.Contains(r, sysToken) {
			t.Errorf("request %q carries the token in its URL", r)
		}
	}
	if pages < 4 {
		t.Errorf("followed %d next pages, want every edge's (page size 2)", pages)
	}
}

func TestReadBusinessErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint string
		fault    metatest.Fault
		token    string
		want     meta.ErrorKind
		code     int
	}{
		{"expired token", "system_users", metatest.Fault{Code: 190, Subcode: 463}, sysToken, meta.InvalidToken, 190},
		{"unknown token", "", metatest.Fault{}, "EAAGnotknown", meta.InvalidToken, 190},
		{"permission 10", "business_users", metatest.Fault{Code: 10}, sysToken, meta.Permission, 10},
		{"permission 200", "owned_pages", metatest.Fault{Code: 200}, sysToken, meta.Permission, 200},
		{"app rate limit 4", "owned_ad_accounts", metatest.Fault{Code: 4}, sysToken, meta.RateLimited, 4},
		{"user rate limit 17", "system_users", metatest.Fault{Code: 17}, sysToken, meta.RateLimited, 17},
		{"page rate limit 32", "assigned_pages", metatest.Fault{Code: 32}, sysToken, meta.RateLimited, 32},
		{"api rate limit 613", "assigned_ad_accounts", metatest.Fault{Code: 613}, sysToken, meta.RateLimited, 613},
		{"other", "business_users", metatest.Fault{Code: 1, Message: "An unknown error occurred"}, sysToken, meta.Other, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, c := fixture(t)
			if tc.endpoint != "" {
				g.Fail(tc.endpoint, tc.fault)
			}
			got, err := c.ReadBusiness(context.Background(), tc.token, business)
			var e *meta.Error
			if !errors.As(err, &e) || e.Kind != tc.want || e.Code != tc.code || e.Type != "OAuthException" || e.Subcode != tc.fault.Subcode || meta.KindOf(err) != tc.want {
				t.Fatalf("err = %#v, want kind %v code %d", err, tc.want, tc.code)
			}
			if !reflect.DeepEqual(got, db.MetaSnapshot{}) {
				t.Errorf("a failed read returned part of the business: %+v", got)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q holds the token", err)
			}
		})
	}
}

func TestReadBusinessWithoutBusinessManagementIsPermission(t *testing.T) {
	g, c := fixture(t)
	g.AddToken("EAAGpagesonly", metatest.Token{Valid: true, Type: "SYSTEM_USER", Scopes: []string{"pages_show_list"}})
	_, err := c.ReadBusiness(context.Background(), "EAAGpagesonly", business)
	if meta.KindOf(err) != meta.Permission {
		t.Fatalf("err = %v, want Permission", err)
	}
}

func TestTimeout(t *testing.T) {
	g, _ := fixture(t)
	// A short client timeout stands in for the 10 s one.
	c := &meta.Client{BaseURL: g.URL, HTTP: &http.Client{Timeout: 50 * time.Millisecond}}
	g.Fail("debug_token", metatest.Fault{Hang: true})
	_, err := c.CheckToken(context.Background(), appID, appSecret, sysToken)
	if meta.KindOf(err) != meta.Timeout {
		t.Fatalf("CheckToken err = %v, want Timeout", err)
	}
	assertNoSecret(t, err.Error())
	g.Fail("assigned_pages", metatest.Fault{Hang: true})
	_, err = c.ReadBusiness(context.Background(), sysToken, business)
	if meta.KindOf(err) != meta.Timeout {
		t.Fatalf("ReadBusiness err = %v, want Timeout", err)
	}
	assertNoSecret(t, err.Error())
}

func TestUnreachable(t *testing.T) {
	c := &meta.Client{BaseURL: "http://127.0.0.1:1/v26.0"}
	_, err := c.CheckToken(context.Background(), appID, appSecret, sysToken)
	if meta.KindOf(err) != meta.Unreachable {
		t.Fatalf("err = %v, want Unreachable", err)
	}
	assertNoSecret(t, err.Error())
}

func TestMetaMessageRepeatingTheTokenIsScrubbed(t *testing.T) {
	g, c := fixture(t)
	g.Fail("system_users", metatest.Fault{Code: 190, Message: "Malformed access token " + sysToken + " in https://graph.facebook.com/x?access_token=" + sysToken})
	_, err := c.ReadBusiness(context.Background(), sysToken, business)
	if meta.KindOf(err) != meta.InvalidToken {
		t.Fatalf("err = %v", err)
	}
	assertNoSecret(t, err.Error())
}

func TestDefaultGraphURLIsVersioned(t *testing.T) {
	if !strings.HasPrefix(meta.DefaultGraphURL, "https://graph.facebook.com/v") {
		t.Errorf("DefaultGraphURL = %q", meta.DefaultGraphURL)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://graph.facebook.com/v26.0/debug_token?input_token=EAAG123&access_token=1001|abc":       "https://graph.facebook.com/v26.0/debug_token?input_token=REDACTED&access_token=REDACTED",
		"https://graph.facebook.com/v26.0/1/system_users?fields=id&access_token=EAAG123&after=QVFI":    "https://graph.facebook.com/v26.0/1/system_users?fields=id&access_token=REDACTED&after=QVFI",
		"/me?appsecret_proof=deadbeef&ACCESS_TOKEN=x#frag":                                             "/me?appsecret_proof=REDACTED&ACCESS_TOKEN=REDACTED#frag",
		`Get "https://graph.facebook.com/debug_token?input_token=EAAG%7C1": context deadline exceeded`: `Get "https://graph.facebook.com/debug_token?input_token=REDACTED": context deadline exceeded`,
		"https://graph.facebook.com/v26.0/1/owned_pages?fields=id,name":                                "https://graph.facebook.com/v26.0/1/owned_pages?fields=id,name",
	} {
		if got := meta.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func assertNoSecret(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{appSecret, sysToken} {
		if strings.Contains(text, s) {
			t.Errorf("%q holds a secret", text)
		}
	}
}
