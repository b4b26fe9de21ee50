package handlers

import (
	"strings"
	"testing"
	"time"
)

// A page is kept until the next write; one too big to keep is rendered
// every time, and the cache never holds more than its bound.
func TestPageCacheLastsUntilAWriteAndStaysBounded(t *testing.T) {
	pc := newPageCache()
	renders := 0
	get := func(key string, gen uint64, size int) {
		t.Helper()
		p, building := pc.lookup(key, gen)
		if p != nil {
			return
		}
		renders++
		if building != nil {
			pc.done(key, gen, building, &cachedPage{status: 200, parts: []string{strings.Repeat("x", size)}, size: size, built: time.Now()})
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
	get("page", 1, 100) // a reader that began before the write keeps nothing
	get("page", 2, 100)
	if renders != 3 {
		t.Errorf("a stale reader's render was served or the page dropped: %d renders, want 3", renders)
	}
	get("big", 2, maxCachedPageBytes+1)
	get("big", 2, maxCachedPageBytes+1)
	if renders != 5 {
		t.Errorf("a page over the bound was rendered %d times for two reads, want twice (not kept)", renders-3)
	}
	for i := range 2 * maxPageCacheBytes / maxCachedPageBytes {
		get(strings.Repeat("k", i+1), 2, maxCachedPageBytes)
	}
	if pc.bytes > maxPageCacheBytes || len(pc.pages) > maxPageCacheEntries {
		t.Errorf("the cache holds %d bytes in %d pages, over its bounds", pc.bytes, len(pc.pages))
	}
}

// While a page is rendered after a write, others asking for it get the page
// from before the write if it is recent, and wait for the new one if not.
func TestPageCacheServesARecentPageWhileItsSuccessorRenders(t *testing.T) {
	pc := newPageCache()
	keep := func(key string, gen uint64, body string, built time.Time) {
		t.Helper()
		p, building := pc.lookup(key, gen)
		if p != nil || building == nil {
			t.Fatalf("lookup %s at %d: a page or no turn to render", key, gen)
		}
		pc.done(key, gen, building, &cachedPage{status: 200, parts: []string{body}, built: built})
	}
	keep("recent", 1, "before", time.Now())
	keep("old", 1, "before", time.Now().Add(-2*maxStale))

	_, building := pc.lookup("recent", 2)
	if building == nil {
		t.Fatal("the first request after a write does not render the page")
	}
	if p, _ := pc.lookup("recent", 2); p == nil || p.parts[0] != "before" {
		t.Errorf("a request during the render got %v, want the recent page from before the write", p)
	}
	pc.done("recent", 2, building, &cachedPage{status: 200, parts: []string{"after"}, built: time.Now()})
	if p, _ := pc.lookup("recent", 2); p == nil || p.parts[0] != "after" {
		t.Errorf("after the render a request got %v, want the new page", p)
	}

	_, building = pc.lookup("old", 2)
	got := make(chan *cachedPage)
	go func() { p, _ := pc.lookup("old", 2); got <- p }()
	pc.done("old", 2, building, &cachedPage{status: 200, parts: []string{"after"}, built: time.Now()})
	if p := <-got; p == nil || p.parts[0] != "after" {
		t.Errorf("a request during the render of a page last rendered long ago got %v, want the new page", p)
	}
}
