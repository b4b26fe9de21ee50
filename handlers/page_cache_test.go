package handlers

import (
	"strings"
	"testing"
	"time"
)

// keep renders key at gen in pc if it is the caller's turn, and reports
// whether it was.
func (pc *pageCache) keep(key string, gen uint64, body string, built time.Time) bool {
	p, rendering := pc.lookup(key, gen)
	if p != nil {
		return false
	}
	if rendering != nil {
		pc.done(key, rendering, &cachedPage{status: 200, parts: [][]byte{[]byte(body)}, size: len(body), gen: gen, built: built})
	}
	return true
}

// A page is kept until the next write; one too big to keep is rendered
// every time, and the cache never holds more than its bound.
func TestPageCacheLastsUntilAWriteAndStaysBounded(t *testing.T) {
	pc := newPageCache()
	renders := 0
	get := func(key string, gen uint64, size int) {
		t.Helper()
		if pc.keep(key, gen, strings.Repeat("x", size), time.Now()) {
			renders++
		}
	}
	get("page", 1, 100)
	get("page", 1, 100)
	if renders != 1 {
		t.Fatalf("a small page was rendered %d times for two reads, want once", renders)
	}
	get("page", 2, 100)
	if renders != 2 {
		t.Errorf("after a write the page was rendered %d times in all, want 2", renders)
	}
	get("page", 1, 100) // a reader that began before the write gets the newer page
	if renders != 2 {
		t.Errorf("a reader from before the write rendered the page again: %d renders, want 2", renders)
	}
	get("big", 2, maxCachedPageBytes+1)
	get("big", 2, maxCachedPageBytes+1)
	if renders != 4 {
		t.Errorf("a page over the bound was rendered %d times for two reads, want twice (not kept)", renders-2)
	}
	for i := range 2 * maxPageCacheBytes / maxCachedPageBytes {
		get(strings.Repeat("k", i+1), 2, maxCachedPageBytes)
	}
	for i := range 2 * maxPageCacheEntries {
		get(strings.Repeat("e", i+1), 2, 10)
	}
	if pc.bytes > maxPageCacheBytes || len(pc.entries) > maxPageCacheEntries+1 {
		t.Errorf("the cache holds %d bytes in %d entries, over its bounds", pc.bytes, len(pc.entries))
	}
}

// While a page is rendered after a write, others asking for it get the page
// from before the write if it is recent, and wait for the new one if not.
func TestPageCacheServesARecentPageWhileItsSuccessorRenders(t *testing.T) {
	pc := newPageCache()
	pc.keep("recent", 1, "before", time.Now())
	pc.keep("old", 1, "before", time.Now().Add(-2*maxStale))

	_, rendering := pc.lookup("recent", 2)
	if rendering == nil {
		t.Fatal("the first request after a write does not render the page")
	}
	if p, _ := pc.lookup("recent", 2); p == nil || string(p.parts[0]) != "before" {
		t.Errorf("a request during the render got %v, want the recent page from before the write", p)
	}
	pc.done("recent", rendering, &cachedPage{status: 200, parts: [][]byte{[]byte("after")}, gen: 2, built: time.Now()})
	if p, _ := pc.lookup("recent", 2); p == nil || string(p.parts[0]) != "after" {
		t.Errorf("after the render a request got %v, want the new page", p)
	}

	_, rendering = pc.lookup("old", 2)
	got := make(chan *cachedPage)
	go func() { p, _ := pc.lookup("old", 2); got <- p }()
	pc.done("old", rendering, &cachedPage{status: 200, parts: [][]byte{[]byte("after")}, gen: 2, built: time.Now()})
	if p := <-got; p == nil || string(p.parts[0]) != "after" {
		t.Errorf("a request during the render of a page last rendered long ago got %v, want the new page", p)
	}
}

// TestARenderNotKeptLeavesNoEntry: a page that is not kept (an unknown
// reviewer link's 404) leaves no entry behind, so visitors who try many
// addresses do not fill the cache's map.
func TestARenderNotKeptLeavesNoEntry(t *testing.T) {
	pc := newPageCache()
	for i := range 100 {
		key := "/r/unknown-" + string(rune('a'+i%26)) + strings.Repeat("x", i)
		page, ch := pc.lookup(key, 1)
		if page != nil || ch == nil {
			t.Fatalf("lookup of a new key gave a page or no turn to render")
		}
		pc.done(key, ch, nil)
	}
	if n := len(pc.entries); n != 0 {
		t.Errorf("%d entries left by renders that were not kept", n)
	}
}
