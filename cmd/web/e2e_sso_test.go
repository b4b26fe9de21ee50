package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"
)

// TestE2ESingleSignOn: with password sign-in off, the admin named by
// STEWARD_ADMIN_EMAIL signs in in Chromium through a real OpenID provider:
// the sign-in page's one button, the provider, and back on the home page,
// as admin. The sign-in page, Your login and Admin › Users (which then
// adds logins without a password and offers no Reset password), as they
// are with single sign-on, fit both screens and pass the Nu HTML Checker.
func TestE2ESingleSignOn(t *testing.T) {
	chromium := findChromium(t)
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start the OpenID provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	srv := startStewardWith(t, "-oidc-issuer", m.Issuer(), "-oidc-client-id", m.ClientID, "-oidc-client-secret", m.ClientSecret,
		"-oidc-allowed-domains", "example.com", "-oidc-name", "Example ID", "-password-login=false")
	b := startBrowser(t, chromium, srv)
	html := t.TempDir()
	look := func(path string) {
		t.Helper()
		for _, sc := range screens {
			b.setScreen(t, sc)
			b.open(t, path)
			b.checkFits(t, sc)
		}
		b.saveHTML(t, html, path)
	}
	look("/login")

	m.QueueUser(&mockoidc.MockUser{Subject: "admin-1", Email: adminEmail, EmailVerified: true})
	b.open(t, "/login")
	if n := b.count(t, "#password"); n != 0 {
		t.Fatalf("the sign-in page asks for a password with password sign-in off")
	}
	if text := get(t, b, "read the button", chromedp.Text(chromedp.CSS("[data-testid=sso-sign-in]"))); text != "Sign in with Example ID" {
		t.Fatalf("the sign-in button says %q", text)
	}
	resp := b.load(t, "click Sign in with Example ID", chromedp.Click(chromedp.CSS("[data-testid=sso-sign-in]")))
	if resp.Status != http.StatusOK || b.path(t) != "/" {
		t.Fatalf("after single sign-on: status %d on %s, want 200 on /", resp.Status, b.path(t))
	}
	if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Overview" {
		t.Fatalf("home heading %q, want Overview", h1)
	}
	b.open(t, "/admin") // the admin's page: 200 only for an admin
	look("/me")
	if n := b.count(t, "[data-testid=me-sso]"); n != 1 {
		t.Fatal("Your login does not say the admin signs in through single sign-on")
	}
	b.open(t, "/admin/users")
	if n := b.count(t, "#password"); n != 0 {
		t.Fatal("Admin › Users asks for a password with password sign-in off")
	}
	resp = b.load(t, "add a login", chromedp.SendKeys(chromedp.CSS("#email"), "ops@example.com"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button[type=submit]`)))
	if resp.Status != http.StatusOK || b.path(t) != "/admin/users" {
		t.Fatalf("adding a login: status %d on %s", resp.Status, b.path(t))
	}
	look("/admin/users")
	if n := b.count(t, "form[action$='/reset-password']"); n != 0 || b.count(t, "form[action$='/disable']") != 1 {
		t.Fatalf("Admin › Users offers %d Reset password buttons with password sign-in off, or not the new login's Disable", n)
	}
	checkHTML(t, html, 3)
	b.checkConsole(t)
}
