package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestE2ETokens walks issue 3's "done means" in Chromium: register a system
// user token that never expires with a responsible owner and a pasted value;
// see it under the never-expires finding; mark the owner departed and see it
// move under owner-departed; paste the value into "Whose token is this?".
func TestE2ETokens(t *testing.T) {
	chromium := findChromium(t)
	srv := startSteward(t)
	b := startBrowser(t, chromium, srv)

	secret := "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32])
	var st struct {
		ownerPath, accountID, systemUserID, tokenPath, tokenID string
	}
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"sign in", func(t *testing.T) { b.signIn(t) }},
		{"create the owner, account and system user", func(t *testing.T) {
			st.ownerPath = b.createOwner(t, "Rita Responsible", "rita@example.com")
			st.accountID = b.tokensCreateRecord(t, "/accounts/new", accountPath, map[string]string{"#name": "Northwind BM", "#platform": "Meta"}, nil)
			st.systemUserID = b.tokensCreateRecord(t, "/system-users/new", e2eSystemUserPath,
				map[string]string{"#name": "conversions-api"}, map[string]string{"#account_id": st.accountID})
		}},
		{"register a never-expiring token with its value", func(t *testing.T) {
			st.tokenPath, st.tokenID = b.tokensRegister(t, secret, st.systemUserID, strings.TrimPrefix(st.ownerPath, "/owners/"))
		}},
		{"home lists it under never-expires", func(t *testing.T) {
			b.tokensExpectFinding(t, "never-expires", st.tokenPath, true)
			b.tokensExpectFinding(t, "owner-departed", st.tokenPath, false)
		}},
		{"the owner departs", func(t *testing.T) {
			b.open(t, st.ownerPath+"/edit")
			b.do(t, "choose departed", chromedp.SetValue(chromedp.CSS("#status"), "departed"))
			resp := b.load(t, "save the owner", chromedp.Click(chromedp.CSS(submit)))
			if resp.Status != http.StatusOK || b.path(t) != st.ownerPath {
				t.Fatalf("after saving the owner: status %d on %s, want 200 on %s", resp.Status, b.path(t), st.ownerPath)
			}
		}},
		{"home lists it under owner-departed", func(t *testing.T) {
			b.tokensExpectFinding(t, "owner-departed", st.tokenPath, true)
			b.tokensExpectFinding(t, "never-expires", st.tokenPath, true)
		}},
		{"whose token is this finds it", func(t *testing.T) { b.tokensLookup(t, secret, st.tokenID) }},
	}
	for i, s := range steps {
		if !t.Run(s.name, s.fn) {
			b.screenshot(t, "tokens-failed-"+strings.ReplaceAll(s.name, " ", "-")+".png")
			if i < len(steps)-1 {
				t.Errorf("stopping: the steps after %q build on it", s.name)
			}
			break
		}
	}
	t.Run("the value is on no page or log", func(t *testing.T) {
		if strings.Contains(srv.log.String(), secret) {
			t.Error("the server log contains the pasted value")
		}
	})
	t.Run("no CSP violations in the console", b.checkConsole)
}

var (
	e2eSystemUserPath = regexp.MustCompile(`^/system-users/([0-9]+)$`)
	e2eTokenPath      = regexp.MustCompile(`^/tokens/([0-9]+)$`)
)

// tokensCreateRecord fills a form (text fields typed, selects set), submits
// it and returns the new record's ID from the page it lands on.
func (b *browser) tokensCreateRecord(t *testing.T, formPath string, landing *regexp.Regexp, typed, selected map[string]string) string {
	t.Helper()
	b.open(t, formPath)
	var actions []chromedp.Action[chromedp.Void]
	for sel, v := range typed {
		actions = append(actions, chromedp.SendKeys(chromedp.CSS(sel), v))
	}
	for sel, v := range selected {
		actions = append(actions, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	b.do(t, "fill "+formPath, actions...)
	resp := b.load(t, "submit "+formPath, chromedp.Click(chromedp.CSS(submit)))
	m := landing.FindStringSubmatch(b.path(t))
	if resp.Status != http.StatusOK || m == nil {
		t.Fatalf("after submitting %s: status %d on %s", formPath, resp.Status, b.path(t))
	}
	return m[1]
}

// tokensRegister fills /tokens/new as a user would and returns the token's
// page path and ID.
func (b *browser) tokensRegister(t *testing.T, secret, systemUserID, ownerID string) (string, string) {
	t.Helper()
	b.open(t, "/tokens/new")
	if v := get(t, b, "read the expiry field", chromedp.Value(chromedp.CSS("#expires_on"))); v != "" {
		t.Fatalf("a new token's expiry is %q, want empty (never expires)", v)
	}
	if typ := get(t, b, "read the secret field's type", chromedp.Evaluate[string](`document.querySelector("#secret").type`)); typ != "password" {
		t.Errorf("the secret field is a %q input, want password so the value is not shown", typ)
	}
	b.do(t, "fill the token form",
		chromedp.SendKeys(chromedp.CSS("#name"), "CAPI system user token"),
		chromedp.SetValue(chromedp.CSS("#kind"), "system_user_token"),
		chromedp.SetValue(chromedp.CSS("#system_user_id"), systemUserID),
		chromedp.SetValue(chromedp.CSS("#responsible_owner_id"), ownerID),
		chromedp.SendKeys(chromedp.CSS("#scopes"), "ads_management, business_management"),
		chromedp.SendKeys(chromedp.CSS("#secret"), secret))
	resp := b.load(t, "submit the token form", chromedp.Click(chromedp.CSS(submit)))
	path := b.path(t)
	m := e2eTokenPath.FindStringSubmatch(path)
	if resp.Status != http.StatusOK || m == nil {
		t.Fatalf("after registering the token: status %d on %s, want 200 on /tokens/{id}", resp.Status, path)
	}
	if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "CAPI system user token" {
		t.Errorf("token page heading %q", h1)
	}
	main := get(t, b, "read the token page", chromedp.Text(chromedp.CSS("main")))
	sum := sha256.Sum256([]byte(secret))
	for _, want := range []string{"never expires", "sha256:" + hex.EncodeToString(sum[:]), "conversions-api", "Rita Responsible"} {
		if !strings.Contains(main, want) {
			t.Errorf("token page lacks %q", want)
		}
	}
	html := get(t, b, "read the page source", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if strings.Contains(html, secret) {
		t.Error("the token page contains the pasted value")
	}
	if n := b.count(t, `#timeline [data-testid=timeline-event][data-action="token.created"]`); n != 1 {
		t.Errorf("timeline has %d token.created events, want 1", n)
	}
	return path, m[1]
}

// tokensExpectFinding checks whether the home page lists the token under a finding.
func (b *browser) tokensExpectFinding(t *testing.T, finding, tokenPath string, listed bool) {
	t.Helper()
	b.open(t, "/")
	sel := fmt.Sprintf(`[data-testid=finding][data-finding=%q] a[href=%q]`, finding, tokenPath)
	n := b.count(t, sel)
	if listed && n != 1 {
		t.Errorf("home lists %s under %s %d times, want once", tokenPath, finding, n)
	}
	if !listed && n != 0 {
		t.Errorf("home lists %s under %s, want it absent", tokenPath, finding)
	}
}

func (b *browser) tokensLookup(t *testing.T, secret, tokenID string) {
	t.Helper()
	b.open(t, "/tokens/lookup")
	b.do(t, "paste the value", chromedp.SendKeys(chromedp.CSS("#secret"), secret))
	resp := b.load(t, "submit the lookup", chromedp.Click(chromedp.CSS(submit)))
	if resp.Status != http.StatusOK {
		t.Fatalf("lookup: status %d", resp.Status)
	}
	if n := b.count(t, `[data-testid=lookup-result] [data-match=found]`); n != 1 {
		t.Fatalf("lookup shows %d found answers, want 1", n)
	}
	if n := b.count(t, fmt.Sprintf(`[data-testid=token-row][data-token-id=%q]`, tokenID)); n != 1 {
		t.Errorf("lookup lists token %s %d times, want once", tokenID, n)
	}
	html := get(t, b, "read the page source", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if strings.Contains(html, secret) {
		t.Error("the lookup result page contains the pasted value")
	}
	if v := get(t, b, "read the secret field", chromedp.Value(chromedp.CSS("#secret"))); v != "" {
		t.Error("the lookup form is filled with the pasted value again")
	}
}
