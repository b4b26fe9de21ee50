package handlers

import (
	"strings"
	"testing"
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
			pc.done(key, gen, building, &cachedPage{status: 200, parts: []string{strings.Repeat("x", size)}, size: size})
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
