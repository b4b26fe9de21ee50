package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestE2EHeaderSearchEscape: Escape closes the header search's results,
// keeping what was typed; with the focus on a result it goes back to the
// search box; a second Escape clears the box, as browsers do.
func TestE2EHeaderSearchEscape(t *testing.T) {
	chromium := findChromium(t)
	srv := startStewardWith(t, "-demo")
	b := startBrowser(t, chromium, srv)
	b.signIn(t)

	const (
		hits   = `document.querySelectorAll("#header-results [data-testid=search-hit]").length`
		closed = `document.querySelector("#header-results").childElementCount === 0`
		box    = `document.querySelector("#header-q").value`
	)
	b.do(t, "type into the header search", chromedp.SendKeys(chromedp.CSS("#header-q"), "North"))
	b.waitFor(t, "wait for the results", hits+" > 0")
	b.do(t, "press Escape in the search box", chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "wait for the results to close", closed)
	if v := get(t, b, "read the search box", chromedp.Evaluate[string](box)); v != "North" {
		t.Errorf("after Escape the search box holds %q, want North: Escape closes the results, it does not clear", v)
	}

	b.do(t, "type more", chromedp.SendKeys(chromedp.CSS("#header-q"), "wind"))
	b.waitFor(t, "wait for the results again", hits+" > 0")
	b.do(t, "focus the first result", chromedp.Focus(chromedp.CSS("#header-results a")))
	b.do(t, "press Escape on a result", chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "wait for the results to close", closed)
	if id := get(t, b, "read the focus", chromedp.Evaluate[string](`document.activeElement.id`)); id != "header-q" {
		t.Errorf("after Escape on a result the focus is on %q, want the search box", id)
	}

	b.do(t, "press Escape again", chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "wait for the box to clear", box+` === ""`)
	t.Run("no CSP violations in the console", b.checkConsole)
}
