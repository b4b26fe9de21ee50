package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestE2EChecklistPDF walks issue 4's "done means" in Chromium over the demo
// company: open the departed Jake Morrison's checklist, start it, tick an
// item with htmx (no reload), then print the page to PDF on A4 and US Letter
// and read the PDF's text back with pdftotext.
func TestE2EChecklistPDF(t *testing.T) {
	chromium := findChromium(t)
	pdftotext := findPoppler(t, "pdftotext")
	pdfinfo := findPoppler(t, "pdfinfo")
	srv := startStewardWith(t, "-demo")
	b := startBrowser(t, chromium, srv)

	var st struct {
		checklistPath string
		titles        []string
		reassigned    string // "Reassigned to …", which the PDF must say
	}
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"sign in", func(t *testing.T) { b.signIn(t) }},
		{"name the organisation", func(t *testing.T) { b.nameOrganisation(t, organisation) }},
		{"find Jake Morrison", func(t *testing.T) {
			st.checklistPath = b.findOwner(t, "Jake Morrison") + "/checklist"
		}},
		{"start his checklist", func(t *testing.T) { b.startChecklist(t, st.checklistPath) }},
		{"a refused tick shows its error in the item", func(t *testing.T) { b.refusedTickInItem(t) }},
		{"without JavaScript the refused tick opens at the item", func(t *testing.T) { b.refusedTickWithoutJS(t, st.checklistPath) }},
		{"reassign to someone who stays", func(t *testing.T) { st.reassigned = b.reassignItem(t) }},
		{"tick an item without a reload", func(t *testing.T) { b.tickRoleItem(t) }},
		{"read the item titles", func(t *testing.T) {
			st.titles = get(t, b, "read the item titles", chromedp.Evaluate[[]string](
				`[...document.querySelectorAll('[data-testid=checklist-item] [data-testid=checklist-item-title]')].map(e => e.textContent.trim())`))
			if n := b.count(t, `[data-testid=checklist-item]`); len(st.titles) != n || n < 3 {
				t.Fatalf("%d titles for %d items; Jake's checklist should name his role, token and integration", len(st.titles), n)
			}
		}},
		{"print to PDF on A4", func(t *testing.T) {
			b.checkPDF(t, pdftotext, pdfinfo, "a4", 8.27, 11.69, append(st.titles, st.reassigned))
		}},
		{"print to PDF on US Letter", func(t *testing.T) {
			b.checkPDF(t, pdftotext, pdfinfo, "letter", 8.5, 11, append(st.titles, st.reassigned))
		}},
	}
	for i, s := range steps {
		if !t.Run(s.name, s.fn) {
			b.screenshot(t, "checklist-failed-"+strings.ReplaceAll(s.name, " ", "-")+".png")
			if i < len(steps)-1 {
				t.Errorf("stopping: the steps after %q build on it", s.name)
			}
			break
		}
	}
	t.Run("no CSP violations in the console", b.checkConsole)
}

// findPoppler returns a poppler-utils tool, or skips (fails with
// STEWARD_E2E=1) when it is not installed.
func findPoppler(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	msg := name + " not found; install poppler-utils (apt-get install poppler-utils) to check the printed checklist"
	if os.Getenv("STEWARD_E2E") == "1" {
		t.Fatal("STEWARD_E2E=1 but " + msg)
	}
	t.Skip(msg + "; set STEWARD_E2E=1 to make this a failure")
	return ""
}

// startStewardWith is startSteward with extra command-line flags.
func startStewardWith(t *testing.T, flags ...string) *steward {
	t.Helper()
	addr := freeAddr(t)
	env := map[string]string{"STEWARD_ADMIN_EMAIL": adminEmail, "STEWARD_ADMIN_PASSWORD": adminPassword}
	dbFile := filepath.Join(t.TempDir(), "steward.db")
	args := append([]string{"steward", "-addr", addr, "-db", dbFile}, flags...)
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), logs, logs)
	}()
	s := &steward{base: "http://" + addr, log: logs, db: dbFile}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with an error: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15s of its context ending")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	waitHealthy(t, s.base, 20*time.Second, func() (bool, error) {
		select {
		case err := <-done:
			done <- err // for the cleanup, which waits for it
			return true, err
		default:
			return false, nil
		}
	}, logs.String)
	return s
}

// findOwner searches the owners list and returns the owner's page path.
func (b *browser) findOwner(t *testing.T, name string) string {
	t.Helper()
	b.open(t, "/owners?q="+strings.ReplaceAll(name, " ", "+"))
	href := get(t, b, "read the owner's link", chromedp.Evaluate[string](fmt.Sprintf(
		`(a => a ? a.getAttribute("href") : "")([...document.querySelectorAll("[data-testid=owner-row] a")].find(a => a.textContent.trim() === %q))`, name)))
	if !ownerPath.MatchString(href) {
		t.Fatalf("owners list for %q links to %q", name, href)
	}
	return href
}

var checklistPage = regexp.MustCompile(`^/owners/[0-9]+/checklist$`)

func (b *browser) startChecklist(t *testing.T, path string) {
	t.Helper()
	b.open(t, path)
	if h1 := get(t, b, "read the heading", chromedp.Text(chromedp.CSS("main h1"))); h1 != "Offboarding checklist — Jake Morrison" {
		t.Fatalf("checklist heading %q", h1)
	}
	planned := b.count(t, `[data-testid=checklist-item]`)
	if planned == 0 {
		t.Fatal("the departed admin's checklist is empty")
	}
	if n := b.count(t, `[data-testid=checklist-item] form`); n != 0 {
		t.Fatalf("a checklist not yet started offers %d tick forms", n)
	}
	resp := b.load(t, "click Start checklist", chromedp.Click(chromedp.Search(`//button[normalize-space()="Start checklist"]`)))
	if resp.Status != http.StatusOK || !checklistPage.MatchString(b.path(t)) || b.path(t) != path {
		t.Fatalf("after starting: status %d on %s", resp.Status, b.path(t))
	}
	if n := b.count(t, `[data-testid=checklist-item]`); n != planned {
		t.Errorf("started checklist has %d items, the plan had %d", n, planned)
	}
	if n := b.count(t, `[data-testid=checklist-item] form`); n != planned {
		t.Errorf("%d tick forms for %d items", n, planned)
	}
	if n := b.count(t, `#timeline [data-testid=timeline-event][data-action="checklist.started"]`); n != 1 {
		t.Errorf("timeline has %d checklist.started events", n)
	}
}

// tickRoleItem ticks the first "remove role" item, letting Steward mark the
// role removed, and checks it happened in place.
func (b *browser) tickRoleItem(t *testing.T) {
	t.Helper()
	const item = `[data-testid=checklist-item][data-action=remove_role][data-done=no]`
	iid := get(t, b, "find a role item", chromedp.Evaluate[string](`(e => e ? e.dataset.itemId : "")(document.querySelector('`+item+`'))`))
	if iid == "" {
		t.Fatal("Jake's checklist has no open remove-role item: the demo says he is still an admin of the Business Manager")
	}
	sel := fmt.Sprintf(`[data-testid=checklist-item][data-item-id="%s"]`, iid)
	if !get(t, b, "read the carry-out box", chromedp.Evaluate[bool](`document.querySelector('`+sel+` input[name=carry_out]').checked`)) {
		t.Fatal("the carry-out box is not ticked by default")
	}
	// Jake is one of the Business Manager's two admins: the item says what
	// removing his role leaves, before it is done.
	risk := get(t, b, "read the item's warning", chromedp.Evaluate[string](`(e => e ? e.textContent : "")(document.querySelector('`+sel+` [data-testid=admin-risk]'))`))
	if !strings.Contains(risk, "Northwind Outfitters would be left with one admin.") || !strings.Contains(risk, "Grant a second admin") {
		t.Errorf("the role item warns %q; want Northwind Outfitters left with one admin and a second admin suggested", risk)
	}
	roleHref := get(t, b, "read the role link", chromedp.Evaluate[string](`document.querySelector('`+sel+` a[data-testid=checklist-item-title]').getAttribute("href")`))
	path := b.path(t)
	doneEvents := b.count(t, `#timeline [data-testid=timeline-event][data-action="checklist.item_done"]`)
	b.markPage(t)
	b.do(t, "type a note", chromedp.SendKeys(chromedp.CSS(sel+` input[name=note]`), "Removed in Business Settings"))
	b.do(t, "click Mark done", chromedp.Click(chromedp.CSS(sel+` button[type=submit]`)))
	b.waitFor(t, "wait for the item to show done", `(e => e !== null && e.dataset.done === "yes")(document.querySelector('`+sel+`'))`)
	b.waitFor(t, "wait for item_done on the timeline",
		fmt.Sprintf(`document.querySelectorAll('#timeline [data-testid=timeline-event][data-action="checklist.item_done"]').length === %d`, doneEvents+1))
	b.expectSamePage(t)
	if got := b.path(t); got != path {
		t.Fatalf("ticking moved the page to %s", got)
	}
	text := get(t, b, "read the item", chromedp.Text(chromedp.CSS(sel)))
	for _, want := range []string{"Role removed in Steward · by " + adminEmail, "Note: Removed in Business Settings", "done"} {
		if !strings.Contains(text, want) {
			t.Errorf("done item %q lacks %q", text, want)
		}
	}
	if n := b.count(t, `#checklist`); n != 1 {
		t.Errorf("%d #checklist elements after the swap", n)
	}
	if n := b.count(t, `#timeline`); n != 1 {
		t.Errorf("%d #timeline elements after the swap", n)
	}
	// The role is removed, and its page says so.
	b.open(t, roleHref)
	main := get(t, b, "read the role page", chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(main, "removed") {
		t.Errorf("role page %s does not show it removed", roleHref)
	}
	if n := b.count(t, `#timeline [data-testid=timeline-event][data-action="role.removed"]`); n != 1 {
		t.Errorf("role timeline has %d role.removed events", n)
	}
	b.open(t, path)
}

// organisation is the name the test gives the demo company, which the
// printed checklist carries.
const organisation = "Northwind Outfitters Ltd"

// nameOrganisation sets the organisation's name on the admin page.
func (b *browser) nameOrganisation(t *testing.T, name string) {
	t.Helper()
	b.open(t, "/admin")
	b.do(t, "type the organisation's name", chromedp.SendKeys(chromedp.CSS("#organisation_name"), name))
	resp := b.load(t, "save the name", chromedp.Click(chromedp.Search(`//button[normalize-space()="Save name"]`)))
	if resp.Status != http.StatusOK || b.path(t) != "/admin" {
		t.Fatalf("after saving the name: status %d on %s", resp.Status, b.path(t))
	}
}

// firstOpenReassign is the selector of the first open item that reassigns
// a record, which needs a new owner.
func (b *browser) firstOpenReassign(t *testing.T) string {
	t.Helper()
	iid := get(t, b, "find a reassign item", chromedp.Evaluate[string](
		`(e => e ? e.dataset.itemId : "")(document.querySelector('[data-testid=checklist-item][data-action^=reassign_][data-done=no]'))`))
	if iid == "" {
		t.Fatal("Jake's checklist has no open item reassigning a record")
	}
	return fmt.Sprintf(`[data-testid=checklist-item][data-item-id="%s"]`, iid)
}

// refusedTickInItem marks a reassigning item done without choosing who
// takes it over: the error shows inside that item, which has the focus, and
// the page stays.
func (b *browser) refusedTickInItem(t *testing.T) {
	t.Helper()
	sel := b.firstOpenReassign(t)
	b.markPage(t)
	b.do(t, "click Mark done without an owner", chromedp.Click(chromedp.CSS(sel+` button[type=submit]`)))
	b.waitFor(t, "wait for the error in the item", `document.querySelector('`+sel+` [data-testid=field-error][data-field=owner_id]') !== null`)
	b.expectSamePage(t)
	if n := b.count(t, `[data-testid=field-error]`); n != 1 {
		t.Errorf("%d errors on the page, want the item's one", n)
	}
	if !get(t, b, "read the focus", chromedp.Evaluate[bool](`document.querySelector('`+sel+`').contains(document.activeElement)`)) {
		t.Errorf("the focus is on %q, not in the refused item", get(t, b, "read the focused element", chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 120)`)))
	}
	if done := get(t, b, "read the item", chromedp.Evaluate[string](`document.querySelector('`+sel+`').dataset.done`)); done != "no" {
		t.Errorf("the refused item shows done=%s", done)
	}
	if n := b.count(t, `#checklist`); n != 1 {
		t.Errorf("%d #checklist elements after the refusal", n)
	}
	b.screenshot(t, "checklist-refused-tick.png")
}

// reassignItem chooses who takes over the first open reassigning item and
// marks it done; the item then says who took it over, which it returns.
func (b *browser) reassignItem(t *testing.T) string {
	t.Helper()
	sel := b.firstOpenReassign(t)
	name := get(t, b, "choose the first owner", chromedp.Evaluate[string](`(s => { s.selectedIndex = 1; return s.options[1].textContent.split(" <")[0].trim(); })(document.querySelector('`+sel+` select[name=owner_id]'))`))
	if name == "" {
		t.Fatal("the owner picker offers nobody")
	}
	b.markPage(t)
	b.do(t, "click Mark done", chromedp.Click(chromedp.CSS(sel+` button[type=submit]`)))
	b.waitFor(t, "wait for the item to show done", `(e => e !== null && e.dataset.done === "yes")(document.querySelector('`+sel+`'))`)
	b.expectSamePage(t)
	want := "Reassigned to " + name
	if text := get(t, b, "read the item", chromedp.Text(chromedp.CSS(sel))); !strings.Contains(text, want) {
		t.Errorf("the reassigned item says %q, not %q", text, want)
	}
	return want
}

// refusedTickWithoutJS does the same with JavaScript off: the plain form's
// answer is the page, opened at the item, which shows the error.
func (b *browser) refusedTickWithoutJS(t *testing.T, path string) {
	t.Helper()
	setJS := func(disabled bool) {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: disabled}); err != nil {
			t.Fatalf("turn JavaScript %v: %v", map[bool]string{true: "off", false: "on"}[disabled], err)
		}
	}
	setJS(true)
	defer func() {
		setJS(false)
		b.open(t, path)
	}()
	b.open(t, path)
	sel := b.firstOpenReassign(t)
	iid := get(t, b, "read the item's ID", chromedp.Evaluate[string](`document.querySelector('`+sel+`').id`))
	resp := b.load(t, "click Mark done without an owner", chromedp.Click(chromedp.CSS(sel+` button[type=submit]`)))
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("plain refused tick: status %d, want 422", resp.Status)
	}
	if hash := get(t, b, "read the location", chromedp.Evaluate[string](`location.hash`)); hash != "#"+iid {
		t.Errorf("the answer opened at %q, want the item's anchor #%s", hash, iid)
	}
	if n := b.count(t, sel+` [data-testid=field-error][data-field=owner_id]`); n != 1 {
		t.Errorf("the item shows %d owner errors, want 1", n)
	}
	if !get(t, b, "is the item in view", chromedp.Evaluate[bool](`(r => r.top >= 0 && r.top < innerHeight)(document.querySelector('`+sel+`').getBoundingClientRect())`)) {
		t.Error("the refused item is not in view")
	}
}

// checkPDF prints the checklist page to a PDF of the given paper size and
// checks its text: everything a signed paper copy needs, nothing of the
// screen's navigation or buttons.
func (b *browser) checkPDF(t *testing.T, pdftotext, pdfinfo, name string, width, height float64, titles []string) {
	t.Helper()
	file, pdfSize := b.printPDF(t, "checklist-"+name+".pdf", width, height)

	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	// Line breaks and the layout's padding do not matter to a reader.
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range append([]string{"Offboarding checklist — Jake Morrison", organisation, "Role removed in Steward", "Done by", "Checked by", "Date", "Sign-off",
		"Generated ", "by " + adminEmail, "Page 1 of"}, titles...) {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("%s PDF lacks %q", name, want)
		}
	}
	if !regexp.MustCompile(`Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by ` + regexp.QuoteMeta(adminEmail)).MatchString(flat) {
		t.Errorf("%s PDF has no “Generated <date> UTC by %s” line", name, adminEmail)
	}
	for _, unwanted := range []string{"Sign out", "Owners Accounts", "Mark done", "Start checklist", "Print or save as PDF",
		"Complete checklist", "Back to the record", "Search…", "Load more"} {
		if strings.Contains(flat, unwanted) {
			t.Errorf("%s PDF contains %q, which belongs on screen only", name, unwanted)
		}
	}
	if strings.Contains(text, "Owners  Accounts") {
		t.Errorf("%s PDF contains the navigation", name)
	}

	info, err := exec.Command(pdfinfo, file).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(string(info))
	if m == nil {
		t.Fatalf("pdfinfo gave no page count:\n%s", info)
	}
	pages, _ := strconv.Atoi(m[1])
	if pages < 1 {
		t.Errorf("%s PDF has %d pages", name, pages)
	}
	if !strings.Contains(flat, fmt.Sprintf("Page %d of %d", pages, pages)) {
		t.Errorf("%s PDF's last page is not numbered “Page %d of %d”", name, pages, pages)
	}
	// Every page after the first is headed with the checklist and its number.
	if pages < 2 {
		t.Errorf("%s PDF has %d page; the demo's checklist with its timeline should fill two or more, to check the running header", name, pages)
	}
	for n := 2; n <= pages; n++ {
		out, err := exec.Command(pdftotext, "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), file, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %d: %v", n, err)
		}
		head := strings.Join(strings.Fields(string(out)), " ")
		if !strings.Contains(head, "Offboarding checklist — Jake Morrison") || !strings.Contains(head, fmt.Sprintf("Page %d of %d", n, pages)) {
			t.Errorf("%s PDF page %d is not headed “Offboarding checklist — Jake Morrison … Page %d of %d”: %.200q", name, n, n, pages, head)
		}
	}
	size := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindStringSubmatch(string(info))
	if size == nil {
		t.Fatalf("pdfinfo gave no page size:\n%s", info)
	}
	w, _ := strconv.ParseFloat(size[1], 64)
	h, _ := strconv.ParseFloat(size[2], 64)
	if abs(w-width*72) > 2 || abs(h-height*72) > 2 {
		t.Errorf("%s PDF pages are %.0fx%.0f pt, want %.0fx%.0f", name, w, h, width*72, height*72)
	}
	t.Logf("%s PDF: %d page(s), %d bytes", name, pages, pdfSize)
}

// printPDF prints the page to a PDF file of the given paper size (inches),
// also kept under STEWARD_SCREENSHOT_DIR when set, and returns its path and
// size.
func (b *browser) printPDF(t *testing.T, name string, width, height float64) (string, int) {
	t.Helper()
	no := false
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: width, PaperHeight: height,
		DisplayHeaderFooter: &no, PreferCSSPageSize: &no})
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	if len(res.Data) < 1000 || !strings.HasPrefix(string(res.Data), "%PDF-") {
		t.Fatalf("PrintToPDF returned %d bytes, not a PDF", len(res.Data))
	}
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("STEWARD_SCREENSHOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), res.Data, 0o644); err == nil {
			t.Logf("PDF: %s", filepath.Join(dir, name))
		}
	}
	return file, len(res.Data)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
