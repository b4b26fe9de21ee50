package main

// Accessibility: axe-core (pinned in package.json, read from node_modules)
// runs in real Chromium on every main page of the demo company, on screen
// and in print, light and dark, and fails the test on serious or critical violations. Two
// keyboard-only walks prove that a person without a mouse can sign in and
// grant a role, and that they can see where the focus is.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axePath is axe-core's browser bundle, installed by npm ci.
const axePath = "../../node_modules/axe-core/axe.min.js"

// a11yBudget bounds the accessibility test's browser session: it visits
// some forty pages and runs axe on each, light and dark.
const a11yBudget = 7 * time.Minute

// axeSource reads axe-core, or skips (fails with STEWARD_E2E=1) when npm
// has not installed it.
func axeSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axePath)
	if err == nil {
		return string(src)
	}
	msg := fmt.Sprintf("axe-core not found at %s (%v); run npm ci to install it", axePath, err)
	if errors.Is(err, os.ErrNotExist) && os.Getenv("STEWARD_E2E") != "1" {
		t.Skip(msg + "; set STEWARD_E2E=1 to make this a failure")
	}
	t.Fatal(msg)
	return ""
}

// TestA11y runs axe on the sign-in page, signs in with the keyboard alone,
// runs axe on every main page and print view of the demo company, and grants
// a role with the keyboard alone.
func TestA11y(t *testing.T) {
	chromium := findChromium(t)
	axe := axeSource(t)
	srv := startStewardWith(t, "-demo")
	b := startBrowserFor(t, chromium, srv, a11yBudget)
	a := &axeRunner{b: b, src: axe}

	t.Run("sign-in page", func(t *testing.T) {
		b.open(t, "/login")
		a.check(t)
	})
	if !t.Run("sign in with the keyboard", b.keyboardSignIn) && b.path(t) != "/" {
		// The pages below need a session: sign in with the mouse instead,
		// so they are still checked.
		t.Run("sign in with the mouse", func(t *testing.T) { b.signIn(t) })
	}

	pages := b.a11yPages(t)
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			p.visit(t, b)
			if p.print {
				a.checkPrint(t)
			} else {
				a.check(t)
			}
		})
	}
	// Dark mode follows the system: the same pages, dark, keep their
	// contrast (axe checks it on screen media).
	a.setColorScheme(t, "dark")
	for _, p := range pages {
		if p.print {
			continue
		}
		t.Run("dark "+p.name, func(t *testing.T) {
			p.visit(t, b)
			if bg := get(t, b, "read the page's background", chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`)); bg == "rgb(248, 250, 252)" {
				t.Fatalf("with a dark system setting the page is still light (background %s)", bg)
			}
			a.check(t)
		})
	}
	a.setColorScheme(t, "")
	if t.Run("grant a role with the keyboard", b.keyboardGrantRole) {
		// The roles panel and the timeline htmx swapped in pass too.
		t.Run("owner page after the inline grant", a.check)
	}
	t.Run("no CSP violations in the console", b.checkConsole)
}

// a11yPage is one page to check and how to get there.
type a11yPage struct {
	name  string
	visit func(t *testing.T, b *browser)
	print bool // check it as printed (print media) instead of on screen
}

// at is a page reached by opening path, answering 200.
func at(name, path string) a11yPage {
	return a11yPage{name: name, visit: func(t *testing.T, b *browser) { b.open(t, path) }}
}

// a11yPages lists the pages to check, finding a record of each kind in the
// demo company. Jake Morrison, departed with access left over, has the
// fullest owner page and checklist.
func (b *browser) a11yPages(t *testing.T) []a11yPage {
	t.Helper()
	pages := []a11yPage{at("home", "/")}
	kinds := []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"}
	records := map[string]string{}
	for _, kind := range kinds {
		pages = append(pages, at(kind+" list", "/"+kind))
	}
	for _, kind := range kinds {
		records[kind] = b.firstRecord(t, kind)
	}
	records["owners"] = b.findOwner(t, "Jake Morrison")
	for _, kind := range kinds {
		rec := records[kind]
		pages = append(pages,
			at(kind+" record", rec),
			at(kind+" timeline", rec+"/timeline"),
			at(kind+" new form", "/"+kind+"/new"),
			at(kind+" edit form", rec+"/edit"),
			at(kind+" checklist", rec+"/checklist"),
			at(kind+" import", "/"+kind+"/import"),
		)
	}
	jake := records["owners"]
	pages = append(pages,
		a11yPage{name: "owner form with errors (422)", visit: func(t *testing.T, b *browser) {
			b.open(t, "/owners/new")
			b.do(t, "fill only the email", chromedp.SendKeys(chromedp.CSS("#email"), "kept@example.com"))
			if resp := b.load(t, "submit without a name", chromedp.Click(chromedp.CSS(submit))); resp.Status != http.StatusUnprocessableEntity {
				t.Fatalf("owner form without a name: status %d, want 422", resp.Status)
			}
		}},
		a11yPage{name: "token form with errors (422)", visit: func(t *testing.T, b *browser) {
			b.open(t, "/tokens/new")
			if resp := b.load(t, "submit the empty form", chromedp.Click(chromedp.CSS(submit))); resp.Status != http.StatusUnprocessableEntity {
				t.Fatalf("empty token form: status %d, want 422", resp.Status)
			}
		}},
		at("search", "/search?q=meta"),
		at("whose token is this", "/tokens/lookup"),
		a11yPage{name: "whose token is this: found", visit: func(t *testing.T, b *browser) {
			b.open(t, "/tokens/lookup")
			b.do(t, "paste a demo token", chromedp.SendKeys(chromedp.CSS("#secret"), "EAAGdemoCAPI0000000000000000000000000000capiTokenNW01"))
			if resp := b.load(t, "look it up", chromedp.Click(chromedp.CSS(submit))); resp.Status != http.StatusOK {
				t.Fatalf("lookup: status %d", resp.Status)
			}
			if n := b.count(t, `[data-testid=lookup-result] [data-match=found]`); n != 1 {
				t.Fatalf("the demo token was not found (%d answers)", n)
			}
		}},
		at("audit log", "/audit"),
		at("admin", "/admin"),
		at("admin users", "/admin/users"),
		at("standing checklist items", "/admin/checklists"),
		a11yPage{name: "notifications with a webhook and its delivery", visit: func(t *testing.T, b *browser) {
			b.open(t, "/admin/notifications")
			if b.count(t, `[data-testid=webhook]`) == 0 {
				// Port 9 on loopback: the test message goes nowhere else.
				b.do(t, "fill the webhook form", chromedp.SendKeys(chromedp.CSS("#url"), "http://127.0.0.1:9/steward"),
					chromedp.SendKeys(chromedp.CSS("#secret"), "a-long-shared-secret-1234"), chromedp.Click(chromedp.CSS("#event-digest")))
				if resp := b.load(t, "add it", chromedp.Click(chromedp.Search(`//button[normalize-space()="Add webhook"]`))); resp.Status != http.StatusOK {
					t.Fatalf("add a webhook: status %d", resp.Status)
				}
				b.load(t, "send a test", chromedp.Click(chromedp.Search(`//button[normalize-space()="Send a test"]`)))
			}
			if b.count(t, `[data-testid=delivery]`) == 0 {
				t.Fatal("the delivery log shows no delivery")
			}
		}},
		a11yPage{name: "webhook form with errors (422)", visit: func(t *testing.T, b *browser) {
			b.open(t, "/admin/notifications")
			if resp := b.load(t, "submit the empty form", chromedp.Click(chromedp.Search(`//button[normalize-space()="Add webhook"]`))); resp.Status != http.StatusUnprocessableEntity {
				t.Fatalf("empty webhook form: status %d, want 422", resp.Status)
			}
		}},
		a11yPage{name: "import preview", visit: func(t *testing.T, b *browser) {
			csv := filepath.Join(t.TempDir(), "owners.csv")
			if err := os.WriteFile(csv, []byte("name,email,status\nImported Person,imported@example.com,active\n,no-name@example.com,sideways\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			b.open(t, "/owners/import")
			b.do(t, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{csv}))
			if resp := b.load(t, "upload it", chromedp.Click(chromedp.CSS(submit))); resp.Status >= 400 && resp.Status != http.StatusUnprocessableEntity {
				t.Fatalf("import preview: status %d", resp.Status)
			}
		}},
		a11yPage{name: "started checklist", visit: func(t *testing.T, b *browser) {
			b.open(t, jake+"/checklist")
			if b.count(t, `[data-testid=checklist-item] form`) == 0 {
				b.load(t, "start the checklist", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start checklist"]`)))
			}
			if b.count(t, `[data-testid=checklist-item] form`) == 0 {
				t.Fatal("the started checklist has no items to tick")
			}
		}},
		a11yPage{name: "started checklist printed", print: true, visit: func(t *testing.T, b *browser) { b.open(t, jake+"/checklist") }},
		a11yPage{name: "owner record printed", print: true, visit: func(t *testing.T, b *browser) { b.open(t, jake) }},
		a11yPage{name: "page not found (404)", visit: func(t *testing.T, b *browser) {
			if resp := b.load(t, "open a missing record", chromedp.Navigate(b.base+"/owners/999999")); resp.Status != http.StatusNotFound {
				t.Fatalf("missing owner: status %d, want 404", resp.Status)
			}
		}},
	)
	return pages
}

var recordLink = regexp.MustCompile(`^/[a-z-]+/[0-9]+$`)

// firstRecord opens a list and returns the path of its first record.
func (b *browser) firstRecord(t *testing.T, kind string) string {
	t.Helper()
	b.open(t, "/"+kind)
	href := get(t, b, "read the first "+kind+" link", chromedp.Evaluate[string](fmt.Sprintf(
		`(a => a ? a.getAttribute("href") : "")([...document.querySelectorAll("main table a")].find(a => /^\/%s\/[0-9]+$/.test(a.getAttribute("href"))))`, kind)))
	if !recordLink.MatchString(href) {
		t.Fatalf("the %s list links to no record (found %q)", kind, href)
	}
	return href
}

// axeRunner injects axe-core into pages and runs it.
type axeRunner struct {
	b   *browser
	src string
}

// axeResult is the part of an axe violation the test reports.
type axeResult struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeRun runs every axe rule (WCAG 2.x A and AA, and best practices) on the
// document and returns the violations, trimmed to what a report needs.
const axeRun = `(async () => {
	const r = await axe.run(document, {resultTypes: ["violations"]});
	return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({target: n.target.map(String).join(" "), html: n.html.slice(0, 200),
			summary: (n.failureSummary || "").replace(/\s+/g, " ")}))}));
})()`

// check runs axe on the current page as shown on screen.
func (a *axeRunner) check(t *testing.T) {
	t.Helper()
	// The page forbids inline scripts, but code the DevTools protocol
	// evaluates is not subject to its Content-Security-Policy. (Registering
	// axe once with page.AddScriptToEvaluateOnNewDocument works too; this
	// way each check injects what it runs.)
	ctx, cancel := context.WithTimeout(a.b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](a.src+"\n;typeof axe === 'object'")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe on %s: %v", a.b.path(t), err)
	}
	var found []axeResult
	if err := json.Unmarshal(raw, &found); err != nil {
		t.Fatalf("read axe's results: %v", err)
	}
	for _, v := range found {
		var where strings.Builder
		for i, n := range v.Nodes {
			if i == 5 {
				fmt.Fprintf(&where, "\n    … and %d more", len(v.Nodes)-i)
				break
			}
			fmt.Fprintf(&where, "\n    %s\n      %s\n      %s", n.Target, n.HTML, n.Summary)
		}
		report := fmt.Sprintf("%s: %s [%s] %s (%s)%s", a.b.path(t), v.ID, v.Impact, v.Help, v.HelpURL, where.String())
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(report)
		} else {
			t.Log("not failing on a " + report)
		}
	}
}

// checkPrint runs axe on the current page with print media emulated, as
// it is when printed or saved as PDF, then goes back to screen media.
func (a *axeRunner) checkPrint(t *testing.T) {
	t.Helper()
	a.setMedia(t, "print")
	defer a.setMedia(t, "")
	if shown := get(t, a.b, "see the print rules apply", chromedp.Evaluate[string](
		`getComputedStyle(document.querySelector("header.site-header")).display`)); shown != "none" {
		t.Fatalf("with print media emulated the site header is display %q: the print rules did not apply", shown)
	}
	a.check(t)
}

// setColorScheme emulates the system's light or dark setting ("" for the
// browser's own).
func (a *axeRunner) setColorScheme(t *testing.T, scheme string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.b.ctx, stepTimeout)
	defer cancel()
	params := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, params); err != nil {
		t.Fatalf("emulate prefers-color-scheme %q: %v", scheme, err)
	}
}

func (a *axeRunner) setMedia(t *testing.T, media string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		t.Fatalf("emulate %q media: %v", media, err)
	}
}

// focused describes the element that has the keyboard focus.
type focused struct {
	Tag     string `json:"tag"`
	ID      string `json:"id"`
	Href    string `json:"href"`
	Text    string `json:"text"`
	Visible bool   `json:"visible"` // has a size and is inside the viewport
	Ring    bool   `json:"ring"`    // shows an outline, or looks different than unfocused
	InMain  bool   `json:"inMain"`
}

// describeFocus reads the focused element and whether the focus shows:
// an outline that is not transparent, or a change in its look (a ring, a colour) between focused and
// not, found by blurring it for a moment. A button's resting shadow alone
// does not count.
const describeFocus = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return {tag: "body"};
	const transparent = c => c === "transparent" || /^rgba\(.*,\s*0\)$/.test(c);
	const outlined = s => s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && !transparent(s.outlineColor);
	// What can be seen of the element: an invisible outline or shadow (no
	// colour, no size) is left out, as it changes nothing on screen.
	const look = () => {
		const s = getComputedStyle(e);
		const shadows = s.boxShadow.split(/,(?![^(]*\))/).filter(p => !/rgba\([^)]*,\s*0\)/.test(p) &&
			!(p.match(/-?[\d.]+px/g) || []).every(x => parseFloat(x) === 0));
		return [outlined(s) ? s.outlineStyle + " " + s.outlineWidth + " " + s.outlineColor : "no outline",
			shadows.join(","), s.backgroundColor, s.color, s.borderColor, s.textDecorationLine, s.clip, s.width].join("|");
	};
	const r = e.getBoundingClientRect();
	const outline = outlined(getComputedStyle(e));
	const focusedLook = look();
	e.blur();
	const restingLook = look();
	e.focus();
	return {tag: e.tagName.toLowerCase(), id: e.id, href: e.getAttribute("href") || "",
		text: (e.textContent || e.value || "").trim().slice(0, 60),
		visible: r.width > 1 && r.height > 1 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
		ring: outline || focusedLook !== restingLook, inMain: !!e.closest("main")};
})()`

// tab presses Tab and returns what has the focus then.
func (b *browser) tab(t *testing.T) focused {
	t.Helper()
	b.do(t, "press Tab", chromedp.KeyEvent(kb.Tab))
	return get(t, b, "read the focus", chromedp.Evaluate[focused](describeFocus))
}

// tabTo presses Tab until the focus is on the element matching selector,
// at most limit times, and fails if the focus does not show on the way.
func (b *browser) tabTo(t *testing.T, selector string, limit int) focused {
	t.Helper()
	for range limit {
		f := b.tab(t)
		if !f.Visible || !f.Ring {
			t.Errorf("focus on <%s id=%q> %q: visible %v, focus ring %v; keyboard users cannot see where they are",
				f.Tag, f.ID, f.Text, f.Visible, f.Ring)
		}
		if get(t, b, "match the focus", chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement.matches(%q)`, selector))) {
			return f
		}
	}
	t.Fatalf("%d presses of Tab did not reach %s", limit, selector)
	return focused{}
}

// keyboardSignIn signs in from the sign-in page with the keyboard alone:
// the page opens in the email field (autofocus), which shows its focus, as
// does every stop after it. (That the skip link comes first is checked on
// the owner page, which opens with nothing focused.)
func (b *browser) keyboardSignIn(t *testing.T) {
	b.open(t, "/login")
	b.waitFor(t, "wait for the focus in the email field", `document.activeElement && document.activeElement.id === "email"`)
	// Typed straight away: the keys land in the email field. (A headless
	// window only counts as focused, showing :focus styles, once it has
	// had a key.)
	b.do(t, "type the email", chromedp.KeyEvent(adminEmail))
	if v := get(t, b, "read the email field", chromedp.Evaluate[string](`document.querySelector("#email").value`)); v != adminEmail {
		t.Fatalf("typing on the sign-in page put %q in the email field, want %q", v, adminEmail)
	}
	if f := get(t, b, "read the focus", chromedp.Evaluate[focused](describeFocus)); !f.Visible || !f.Ring {
		t.Errorf("the focused email field is not shown with a focus ring: visible %v, ring %v", f.Visible, f.Ring)
	}
	b.tabTo(t, "#password", 1)
	b.do(t, "type the password", chromedp.KeyEvent(adminPassword))
	b.tabTo(t, submit, 3)
	resp := b.load(t, "press Enter on Sign in", chromedp.KeyEvent(kb.Enter))
	if resp.Status != http.StatusOK || b.path(t) != "/" {
		t.Fatalf("after signing in with the keyboard: status %d on %s, want 200 on /", resp.Status, b.path(t))
	}
}

// keyboardGrantRole grants a role on an owner's page with the keyboard
// alone: skip to the content, Tab to the grant form, choose an account with
// the arrow keys, type the role, tick admin with Space, press Enter.
func (b *browser) keyboardGrantRole(t *testing.T) {
	const role = "Keyboard-granted analyst"
	b.open(t, b.findOwner(t, "Hannah Schmidt"))
	before := b.count(t, `[data-testid=role-row]`)

	if f := b.tab(t); f.Href != "#main" {
		t.Fatalf("the first Tab stop is <%s href=%q>, want the skip link", f.Tag, f.Href)
	}
	b.do(t, "follow the skip link", chromedp.KeyEvent(kb.Enter))
	if f := b.tab(t); !f.InMain {
		t.Errorf("after the skip link, Tab went to <%s> %q outside the main content", f.Tag, f.Text)
	}

	b.tabTo(t, `#roles-panel select#account_id`, 80)
	b.do(t, "choose an account with the arrow keys", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
	account := get(t, b, "read the account", chromedp.Evaluate[string](`document.querySelector("#roles-panel select#account_id").value`))
	if account == "" {
		t.Fatal("the arrow keys chose no account")
	}
	b.tabTo(t, `#roles-panel #role`, 1)
	b.do(t, "type the role", chromedp.KeyEvent(role))
	b.tabTo(t, `#roles-panel #admin`, 2)
	b.do(t, "tick admin with Space", chromedp.KeyEvent(" "))
	if !get(t, b, "read the admin box", chromedp.Evaluate[bool](`document.querySelector("#roles-panel #admin").checked`)) {
		t.Error("Space did not tick the admin box")
	}
	b.markPage(t)
	if f := b.tabTo(t, `#roles-panel button[type=submit]`, 2); f.Text != "Grant role" {
		t.Fatalf("the focus is on %q, want the Grant role button", f.Text)
	}
	b.do(t, "press Enter on Grant role", chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "wait for the new role row", fmt.Sprintf(
		`[...document.querySelectorAll("[data-testid=role-row]")].some(r => r.textContent.includes(%q))`, role))
	b.expectSamePage(t)
	if n := b.count(t, `[data-testid=role-row]`); n != before+1 {
		t.Errorf("%d role rows after the grant, want %d", n, before+1)
	}
	row := get(t, b, "read the new row", chromedp.Evaluate[string](fmt.Sprintf(
		`[...document.querySelectorAll("[data-testid=role-row]")].find(r => r.textContent.includes(%q)).textContent`, role)))
	if !strings.Contains(row, "admin") {
		t.Errorf("the granted role %q is not admin-level", row)
	}
	// The newest event on the page's timeline is this grant.
	b.waitFor(t, "wait for role.created on the timeline", fmt.Sprintf(
		`(e => e !== null && e.dataset.action === "role.created" && e.textContent.includes(%q))(document.querySelector("#timeline [data-testid=timeline-event]"))`, role))
}
