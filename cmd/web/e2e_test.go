package main

// Browser tests: the real server, started in-process through run, driven by
// Debian's Chromium through chromedp. They skip when no Chromium is found,
// unless STEWARD_E2E=1, when a missing browser fails them.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const (
	// stepTimeout bounds every browser action, so a broken page fails the
	// test instead of hanging it.
	stepTimeout = 10 * time.Second
	// browserBudget bounds the whole browser session.
	browserBudget = 90 * time.Second

	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery staple"
)

// TestE2EBrowser walks the foundation as a user would: sign in, add an owner,
// see a form error, grant and remove a role inline without a reload, search
// the owners list, all with no Content-Security-Policy violation.
func TestE2EBrowser(t *testing.T) {
	chromium := findChromium(t)
	srv := startSteward(t)
	b := startBrowser(t, chromium, srv)

	var st e2eState
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"sign in", func(t *testing.T) { b.signIn(t) }},
		{"create owner", func(t *testing.T) { st.ownerURL = b.createOwner(t, "Ada Lovelace", "ada@example.com") }},
		{"owner form error keeps values", func(t *testing.T) { b.ownerFormError(t) }},
		{"grant role inline", func(t *testing.T) { b.grantRole(t, st.ownerURL) }},
		{"remove role inline", func(t *testing.T) { b.removeRole(t) }},
		{"active search", func(t *testing.T) { b.activeSearch(t) }},
	}
	for i, s := range steps {
		if !t.Run(s.name, s.fn) {
			b.screenshot(t, "failed-"+strings.ReplaceAll(s.name, " ", "-")+".png")
			if i < len(steps)-1 {
				t.Errorf("stopping: the steps after %q build on it", s.name)
			}
			break
		}
	}
	// Runs even when a step failed: the pages visited so far must not have
	// broken the Content-Security-Policy.
	t.Run("no CSP violations in the console", b.checkConsole)
}

// e2eState carries what one step made to the steps after it.
type e2eState struct {
	ownerURL string
}

// findChromium returns the browser to drive, or skips (fails with
// STEWARD_E2E=1) when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	if info, err := os.Stat("/usr/bin/chromium"); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "no Chromium found (looked for /usr/bin/chromium and chromium, chromium-browser, google-chrome on PATH); " +
		"install it (apt-get install chromium) to run the browser tests"
	if os.Getenv("STEWARD_E2E") == "1" {
		t.Fatal("STEWARD_E2E=1 but " + msg)
	}
	t.Skip(msg + "; set STEWARD_E2E=1 to make this a failure")
	return ""
}

// steward is a server started in-process.
type steward struct {
	base string
	log  *syncBuffer
	db   string // the database file
}

// startSteward runs the real server on a free port with a fresh database
// and a first admin, and stops it when the test ends.
func startSteward(t *testing.T) *steward {
	t.Helper()
	return startStewardWith(t)
}

// waitHealthy polls base's /healthz until it answers ok, failing the test
// when exited reports that the server stopped, or after within. logs is the
// server's log so far, shown with a failure.
func waitHealthy(t *testing.T, base string, within time.Duration, exited func() (bool, error), logs func() string) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(within); ; {
		if gone, err := exited(); gone {
			t.Fatalf("server exited before it was ready: %v\n%s", err, logs())
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s not healthy after %s (last error %v)\n%s", base, within, err, logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freeAddr finds a free local port. run cannot report the port it picked
// for :0, so the test picks one and hands it over.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("free the port: %v", err)
	}
	return addr
}

// syncBuffer is a log the server writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// browser is one headless Chromium tab, with everything the page wrote to
// its console and every dialog it opened.
type browser struct {
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	dialogs []string
}

// startBrowser starts Chromium with a fresh profile, and closes it (before
// the server stops and the profile is deleted) when the test ends.
func startBrowser(t *testing.T, chromium string, srv *steward) *browser {
	t.Helper()
	return startBrowserFor(t, chromium, srv, browserBudget)
}

// startBrowserFor is startBrowser for a session that may take up to budget.
func startBrowserFor(t *testing.T, chromium string, srv *steward, budget time.Duration) *browser {
	t.Helper()
	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1024),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	budgetCtx, cancelBudget := context.WithTimeout(context.Background(), budget)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(budgetCtx, opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		cancelBudget()
		wg.Wait()
	})

	// The first action starts the browser; its life is bound to ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	b := &browser{ctx: ctx, base: srv.base}

	// Console reads runtime.ConsoleAPICalled, runtime.ExceptionThrown and
	// log.EntryAdded (where Chromium reports CSP violations).
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	})
	// A confirm() blocks the page and the click that opened it, so dialogs
	// are answered from here: every one is accepted and remembered.
	wg.Go(func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message)
			b.mu.Unlock()
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil {
				return
			}
		}
	})
	return b
}

// do runs actions with a timeout, failing the test on an error.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action with a timeout and returns its value.
func get[T any](t *testing.T, b *browser, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// load runs actions that navigate (a click on a submit button) and waits
// for the new page, returning its response after any redirect.
func (b *browser) load(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		t.Fatalf("%s: no response for the new page", what)
	}
	return resp
}

// open navigates to a path and expects 200.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	if resp.Status != http.StatusOK {
		t.Fatalf("open %s: status %d, want 200", path, resp.Status)
	}
	if got := b.path(t); got != path {
		t.Fatalf("open %s: landed on %s", path, got)
	}
}

// path is the current page's path and query.
func (b *browser) path(t *testing.T) string {
	t.Helper()
	return strings.TrimPrefix(get(t, b, "read the location", chromedp.Location()), b.base)
}

// waitFor polls a JavaScript predicate until it is true.
func (b *browser) waitFor(t *testing.T, what, predicate string) {
	t.Helper()
	get(t, b, what, chromedp.Poll[bool](predicate,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
}

// count is how many elements match a CSS selector.
func (b *browser) count(t *testing.T, selector string) int {
	t.Helper()
	return get(t, b, "count "+selector,
		chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, selector)))
}

// markPage sets a value that only survives while no page load happens.
func (b *browser) markPage(t *testing.T) {
	t.Helper()
	if v := get(t, b, "set the no-reload marker", chromedp.Evaluate[int](`window.__noReload = 42`)); v != 42 {
		t.Fatalf("marker set to %d", v)
	}
}

// expectSamePage fails if the page was reloaded since markPage.
func (b *browser) expectSamePage(t *testing.T) {
	t.Helper()
	v := get(t, b, "read the no-reload marker", chromedp.Evaluate[int](`typeof window.__noReload === "number" ? window.__noReload : -1`))
	if v != 42 {
		t.Fatalf("the page was reloaded: window.__noReload = %d, want 42", v)
	}
}

// screenshot saves the whole page under STEWARD_SCREENSHOT_DIR, if set.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("STEWARD_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot dir: %v", err)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("write screenshot: %v", err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// submit is the submit button of the form in the page's main content (the
// header's sign-out form has one too).
const submit = `main form[method=post] button[type=submit]`

func (b *browser) signIn(t *testing.T) {
	b.open(t, "/login")
	b.do(t, "fill the login form",
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword))
	resp := b.load(t, "submit the login form", chromedp.Click(chromedp.CSS(submit)))
	if resp.Status != http.StatusOK {
		t.Fatalf("after sign-in: status %d, want 200", resp.Status)
	}
	if got := b.path(t); got != "/" {
		t.Fatalf("after sign-in: on %s, want /", got)
	}
	if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Overview" {
		t.Fatalf("home heading %q, want Overview", h1)
	}
}

var ownerPath = regexp.MustCompile(`^/owners/[0-9]+$`)

// createOwner adds an owner through the form and returns its page's path.
func (b *browser) createOwner(t *testing.T, name, email string) string {
	b.open(t, "/owners/new")
	b.do(t, "fill the owner form",
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), email))
	resp := b.load(t, "submit the owner form", chromedp.Click(chromedp.CSS(submit)))
	if resp.Status != http.StatusOK {
		t.Fatalf("after saving the owner: status %d, want 200", resp.Status)
	}
	path := b.path(t)
	if !ownerPath.MatchString(path) {
		t.Fatalf("after saving the owner: on %s, want /owners/{id}", path)
	}
	if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != name {
		t.Fatalf("owner page heading %q, want %q", h1, name)
	}
	if n := b.count(t, `#timeline [data-testid=timeline-event][data-action="owner.created"]`); n != 1 {
		t.Fatalf("timeline has %d owner.created events, want 1", n)
	}
	return path
}

func (b *browser) ownerFormError(t *testing.T) {
	b.open(t, "/owners/new")
	const email = "kept@example.com"
	b.do(t, "fill only the email", chromedp.SendKeys(chromedp.CSS("#email"), email))
	resp := b.load(t, "submit the owner form without a name", chromedp.Click(chromedp.CSS(submit)))
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("owner form without a name: status %d, want 422", resp.Status)
	}
	if n := b.count(t, `[data-testid=field-error][data-field=name]`); n != 1 {
		t.Fatalf("%d field errors beside the name, want 1", n)
	}
	b.do(t, "see the error", chromedp.WaitVisible(chromedp.CSS(`[data-testid=field-error]`)))
	if got := get(t, b, "read the email field", chromedp.Value(chromedp.CSS("#email"))); got != email {
		t.Fatalf("email field holds %q after the error, want the typed %q", got, email)
	}
}

var accountPath = regexp.MustCompile(`^/accounts/([0-9]+)$`)

func (b *browser) grantRole(t *testing.T, ownerURL string) {
	const account, role = "Acme Business Manager", "Finance editor"
	b.open(t, "/accounts/new")
	b.do(t, "fill the account form",
		chromedp.SendKeys(chromedp.CSS("#name"), account),
		chromedp.SendKeys(chromedp.CSS("#platform"), "Meta"))
	resp := b.load(t, "submit the account form", chromedp.Click(chromedp.CSS(submit)))
	if resp.Status != http.StatusOK {
		t.Fatalf("after saving the account: status %d, want 200", resp.Status)
	}
	m := accountPath.FindStringSubmatch(b.path(t))
	if m == nil {
		t.Fatalf("after saving the account: on %s, want /accounts/{id}", b.path(t))
	}
	accountID := m[1]

	b.open(t, ownerURL)
	if n := b.count(t, `[data-testid=role-row]`); n != 0 {
		t.Fatalf("new owner already shows %d roles", n)
	}
	b.markPage(t)
	b.do(t, "fill the grant-role form",
		chromedp.SetValue(chromedp.CSS("#roles-panel select#account_id"), accountID),
		chromedp.SendKeys(chromedp.CSS("#roles-panel #role"), role),
		chromedp.Click(chromedp.CSS("#roles-panel #admin")))
	chosen := get(t, b, "read the chosen account",
		chromedp.Evaluate[string](`(s => s.value + "|" + s.selectedOptions[0].textContent)(document.querySelector("#roles-panel select#account_id"))`))
	if !strings.HasPrefix(chosen, accountID+"|") || !strings.Contains(chosen, account) {
		t.Fatalf("account select holds %q, want %s (%s)", chosen, accountID, account)
	}
	if !get(t, b, "read the admin box", chromedp.Evaluate[bool](`document.querySelector("#roles-panel #admin").checked`)) {
		t.Fatal("the admin box is not ticked after clicking it")
	}

	b.do(t, "click Grant role", chromedp.Click(chromedp.Search(`//button[normalize-space()="Grant role"]`)))
	b.do(t, "wait for the role row", chromedp.WaitVisible(chromedp.CSS(`[data-testid=role-row]`)))
	b.waitFor(t, "wait for role.created on the timeline",
		`document.querySelectorAll('#timeline [data-testid=timeline-event][data-action="role.created"]').length === 1`)
	b.expectSamePage(t)
	if got := b.path(t); got != ownerURL {
		t.Fatalf("granting a role moved the page to %s", got)
	}
	row := get(t, b, "read the role row", chromedp.Text(chromedp.CSS(`[data-testid=role-row]`)))
	for _, want := range []string{account, role, "admin", "active"} {
		if !strings.Contains(row, want) {
			t.Errorf("role row %q lacks %q", row, want)
		}
	}
	// The form is ready for the next grant.
	if v := get(t, b, "read the role field", chromedp.Value(chromedp.CSS("#roles-panel #role"))); v != "" {
		t.Errorf("role field still holds %q after the grant", v)
	}
	// The owner.created event is still there: the timeline was replaced
	// with the whole history, not just the new event.
	if n := b.count(t, `#timeline [data-testid=timeline-event][data-action="owner.created"]`); n != 1 {
		t.Errorf("timeline has %d owner.created events after the grant, want 1", n)
	}
	if n := b.count(t, `#timeline`); n != 1 {
		t.Errorf("%d elements with id timeline after the swap, want 1", n)
	}
}

func (b *browser) removeRole(t *testing.T) {
	ownerURL := b.path(t)
	b.markPage(t)
	b.do(t, "click Remove", chromedp.Click(chromedp.CSS(`[data-testid=role-row] button[type=submit]`)))
	b.waitFor(t, "wait for the row to show removed",
		`(r => r !== null && [...r.querySelectorAll('.badge')].some(b => b.textContent.trim() === 'removed'))(document.querySelector('[data-testid=role-row]'))`)
	b.waitFor(t, "wait for role.removed on the timeline",
		`document.querySelectorAll('#timeline [data-testid=timeline-event][data-action="role.removed"]').length === 1`)
	b.expectSamePage(t)
	if got := b.path(t); got != ownerURL {
		t.Fatalf("removing a role moved the page to %s", got)
	}

	b.mu.Lock()
	dialogs := append([]string(nil), b.dialogs...)
	b.mu.Unlock()
	if len(dialogs) != 1 || !strings.HasPrefix(dialogs[0], "confirm: Remove the role") {
		t.Errorf("dialogs shown %q, want one confirm asking to remove the role", dialogs)
	}
	if n := b.count(t, `[data-testid=role-row] button[type=submit]`); n != 0 {
		t.Errorf("a removed role still offers %d Remove buttons", n)
	}
	b.screenshot(t, "owner-page.png")
}

func (b *browser) activeSearch(t *testing.T) {
	b.createOwner(t, "Grace Hopper", "grace@example.com")
	b.open(t, "/owners")
	// Two owners: the invalid form in an earlier step saved nothing.
	if n := b.count(t, `[data-testid=owner-row]`); n != 2 {
		t.Fatalf("owners list shows %d rows, want 2", n)
	}
	b.markPage(t)
	b.do(t, "type into the search box", chromedp.SendKeys(chromedp.CSS("#q"), "Lovel"))
	b.waitFor(t, "wait for the list to narrow", `document.querySelectorAll('[data-testid=owner-row]').length === 1`)
	b.expectSamePage(t)
	row := get(t, b, "read the remaining row", chromedp.Text(chromedp.CSS(`[data-testid=owner-row]`)))
	if !strings.Contains(row, "Ada Lovelace") {
		t.Fatalf("search for Lovel left %q", row)
	}
	// The search is in the address bar, so it can be shared and reloaded.
	got, err := url.Parse(b.path(t))
	if err != nil || got.Path != "/owners" || got.Query().Get("q") != "Lovel" {
		t.Errorf("address after searching is %s, want /owners with q=Lovel", got)
	}
}

// cspProblem reports whether a console message is a CSP violation.
func cspProblem(m chromedp.ConsoleMessage) bool {
	return strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Refused to")
}

func (b *browser) checkConsole(t *testing.T) {
	// The canary below needs a Steward page (with its CSP) loaded, whatever
	// page a failed step left behind.
	b.load(t, "open a Steward page", chromedp.Navigate(b.base+"/"))
	b.mu.Lock()
	seen := append([]chromedp.ConsoleMessage(nil), b.console...)
	b.mu.Unlock()
	for _, m := range seen {
		switch {
		case cspProblem(m):
			t.Errorf("CSP violation at %s: %s", m.URL, m.Text)
		case m.IsException():
			t.Errorf("uncaught exception at %s:%d: %s", m.URL, m.Line, m.Text)
		default:
			t.Logf("console %s", m)
		}
	}

	// Prove the listener hears violations: an inline script must be refused
	// and reported, or the check above proves nothing.
	b.do(t, "add an inline script", chromedp.Evaluate[chromedp.Void](
		`(() => { const s = document.createElement("script"); s.textContent = "window.__inline = 1"; document.head.appendChild(s) })()`,
		chromedp.EvalIgnoreExceptions))
	if get(t, b, "check the inline script did not run", chromedp.Evaluate[bool](`window.__inline === 1`)) {
		t.Error("an inline script ran: the page has no strict Content-Security-Policy")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		heard := false
		for _, m := range b.console[len(seen):] {
			if cspProblem(m) {
				heard = true
				t.Logf("the deliberate inline script was reported: %s", m.Text)
				break
			}
		}
		b.mu.Unlock()
		if heard {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the console listener did not report a deliberate CSP violation within 5s, so it cannot vouch for the pages")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
