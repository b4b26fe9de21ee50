package handlers

import (
	"bytes"
	"crypto/rand"
	"html"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
)

// Cached pages.
//
// The pages a viewer reads show what the database holds, which changes far
// less often than it is read, and building them (a dozen queries over a
// large inventory, then thousands of escaped strings) was most of a
// request's cost. So every such page is rendered once per change of the
// data and served from memory after that: cachePages wraps the handler of
// every viewer and admin GET route (see New and cachedRoute) and keeps the
// whole answer, keyed by what it depends on besides the data: the URL with
// its query, the viewer's role (and, on admin pages, the admin), whether
// htmx asks for a fragment and which, and today's date. A write
// moves the store's generation on, which makes every kept page stale.
//
// What differs between requests inside a page, the CSRF token of its forms,
// the signed-in user's email in the header and on a printout, and when it
// was printed, is rendered as a marker and filled in for each request.
// Flash messages are shown once: a request that has some is rendered fresh.
//
// After a write, the first request for a page renders it anew and any
// request for it meanwhile waits for that render, except that one arriving
// while it renders gets the page as it was before the write, if that was
// rendered less than maxStale ago: with a change every 100 ms, a page that
// takes 30 ms to build would otherwise hold up every reader of it for a
// third of the time. Who made the change sees it at once: a request with a
// message is rendered fresh, and so is the first one after a write.
//
// Not cached, by rule (see cachedRoute): pages about the signed-in user
// (/me), exports (downloads, streamed), editors' routes (forms) and admin
// pages not named in cachedAdminPages (API keys). Admin pages are kept for each admin,
// since some mark their own login. The API's
// GET answers are kept the same way, one for every key.

// markerPrefix begins every marker. It is random, so no text anyone stores
// can contain one, and HTML escaping leaves it as it is.
var markerPrefix = "steward" + rand.Text() + "-"

// Markers for the per-request values of a cached page.
var (
	csrfMarker      = markerPrefix + "csrf"
	emailMarker     = markerPrefix + "email"
	printedAtMarker = markerPrefix + "printed-at"
)

// buildingCacheKey marks a request whose page is being rendered for the
// cache, with markers instead of its own values.
const buildingCacheKey = "steward.building-cached-page"

// Bounds of the page cache: pages are some 10 to 60 KB.
const (
	maxCachedPageBytes  = 512 << 10 // a bigger page is rendered each time
	maxPageCacheBytes   = 16 << 20  // all pages kept at once
	maxPageCacheEntries = 1024
	maxStale            = time.Second
)

// cachedRoute reports whether r's answers are kept by the page cache.
func cachedRoute(r Route) bool {
	return r.Method == http.MethodGet && (r.Access == viewer || r.Access == admin && cachedAdminPage(r.Path) || anonymousCached(r.Path)) && r.Path != "/me" &&
		!strings.HasSuffix(r.Path, ".csv") && !strings.HasSuffix(r.Path, ".json")
}

// cachedAdminPages are the admin pages kept, each for every admin on their
// own (some mark the admin's own login). Each shows only what the database
// holds, so a write makes it stale; a page is added here only once that
// is checked. API keys are not: their last use is written without moving
// the store's generation on.
var cachedAdminPages = map[string]bool{
	"/admin": true, "/admin/checklists": true, "/admin/users": true, "/admin/notifications": true,
	"/admin/notifications/webhooks/:id": true, "/admin/connectors": true, "/admin/connectors/meta/sync": true,
	"/admin/connectors/meta/syncs/:id": true,
}

// cachedAdminPage says whether the admin page at route path is kept.
func cachedAdminPage(path string) bool { return cachedAdminPages[path] }

// anonymousCached says whether the page at route path is kept for visitors
// who have not signed in too: a reviewer's link page (/r/{secret}), which
// owners without a login open, shows only what the database holds.
func anonymousCached(path string) bool { return path == "/r/:secret" }

// cachedPage is a kept answer.
type cachedPage struct {
	status int
	header http.Header // what the handler set: content type, Vary
	// parts is the body cut where each request fills in a value of its own:
	// the even ones are HTML, the odd ones the marker of the value.
	// Bytes, not strings, so that writing a page copies nothing.
	parts [][]byte
	size  int
	gen   uint64    // the store's generation before it was rendered
	built time.Time // when its render began
}

// pageEntry is one key's latest page and the render of it under way, if any.
type pageEntry struct {
	page      *cachedPage
	rendering chan struct{} // closed when the render ends
}

// pageCache holds the latest page of each key.
type pageCache struct {
	mu      sync.Mutex
	bytes   int
	entries map[string]*pageEntry
}

func newPageCache() *pageCache { return &pageCache{entries: map[string]*pageEntry{}} }

// lookup returns a page for key that is current at generation gen, or one
// from before it under maxStale old while a newer one renders. Without
// either it waits for a render under way, or, if there is none, hands the
// caller the turn to render: the caller must then call done with the
// channel returned.
func (pc *pageCache) lookup(key string, gen uint64) (*cachedPage, chan struct{}) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for {
		e := pc.entries[key]
		if e == nil {
			e = &pageEntry{}
			pc.entries[key] = e
		}
		if e.page != nil && e.page.gen >= gen {
			return e.page, nil
		}
		if e.rendering == nil {
			e.rendering = make(chan struct{})
			return nil, e.rendering
		}
		if e.page != nil && time.Since(e.page.built) < maxStale {
			return e.page, nil
		}
		wait := e.rendering
		pc.mu.Unlock()
		<-wait
		pc.mu.Lock()
	}
}

// done ends the render lookup handed out, keeping p if it may be kept.
func (pc *pageCache) done(key string, ch chan struct{}, p *cachedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	defer close(ch)
	e := pc.entries[key]
	if e == nil || e.rendering != ch {
		return // dropped to make room meanwhile
	}
	e.rendering = nil
	if p == nil || p.size > maxCachedPageBytes || (e.page != nil && e.page.gen > p.gen) {
		if e.page == nil {
			delete(pc.entries, key) // nothing to keep: an unknown link's 404 leaves no entry behind
		}
		return
	}
	if e.page != nil {
		pc.bytes -= e.page.size
	}
	e.page = nil
	// Make room by dropping pages at random (map order is random), but not
	// an entry whose render is under way: its renderer will call done.
	for k, old := range pc.entries {
		if pc.bytes+p.size <= maxPageCacheBytes && len(pc.entries) <= maxPageCacheEntries {
			break
		}
		if old.page != nil {
			pc.bytes -= old.page.size
			old.page = nil
		}
		if old.rendering == nil && k != key {
			delete(pc.entries, k)
		}
	}
	e.page = p
	pc.bytes += p.size
}

// cachePages serves next's pages from the page cache.
// perUser keys the pages by the signed-in user as well as by role.
func (s *Server) cachePages(next echo.HandlerFunc, perUser bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, key := currentUser(c), currentAPIKey(c)
		if u == nil && key == nil && !anonymousCached(c.Path()) {
			return next(c)
		}
		role := ""
		switch {
		case u != nil && perUser:
			role = u.Role + strconv.FormatInt(u.ID, 10)
		case u != nil:
			role = u.Role
		case key != nil:
			role = "api" // every key reads the same records
		}
		if _, err := c.Cookie(cookieName(s.secure, flashCookie)); err == nil && key == nil {
			return next(c) // messages to show once
		}
		// The generation is read before any query, so a page built now is
		// no older than it.
		gen := s.store.Generation()
		r := c.Request()
		pageKey := strings.Join([]string{s.store.Today(), role, r.Header.Get("HX-Request"), r.Header.Get("HX-Target"), r.URL.RequestURI()}, "\x00")
		p, building := s.pageCache.lookup(pageKey, gen)
		if p == nil {
			finished := building == nil
			defer func() {
				if !finished { // a panic: others must not wait for this page
					s.pageCache.done(pageKey, building, nil)
				}
			}()
			var err error
			p, err = s.buildPage(c, next, gen)
			if !finished {
				keep := p
				if err != nil || p == nil || p.status != http.StatusOK || p.header.Get("Set-Cookie") != "" {
					keep = nil
				}
				s.pageCache.done(pageKey, building, keep)
				finished = true
			}
			if err != nil {
				if p != nil { // the handler wrote part of an answer
					_ = s.writePage(c, p, u)
				}
				return err
			}
		}
		return s.writePage(c, p, u)
	}
}

// buildPage runs next with markers for the request's own values and keeps
// what it answers. It returns no page when next answered nothing.
func (s *Server) buildPage(c echo.Context, next echo.HandlerFunc, gen uint64) (*cachedPage, error) {
	start := time.Now()
	u := currentUser(c) // nil for a visitor who has not signed in
	csrf := csrfToken(c)
	if u != nil {
		marked := *u
		marked.Email = emailMarker
		c.Set(userCtxKey, &marked)
	}
	c.Set(csrfKey, csrfMarker)
	c.Set(buildingCacheKey, true)
	orig := c.Response()
	capture := &captureWriter{header: http.Header{}}
	// A response of its own, so the hooks of the real one run only once,
	// when the page is written out.
	c.SetResponse(echo.NewResponse(capture, c.Echo()))
	defer func() {
		c.SetResponse(orig)
		c.Set(userCtxKey, u)
		c.Set(csrfKey, csrf)
		c.Set(buildingCacheKey, false)
	}()
	err := next(c)
	if !c.Response().Committed {
		// An error page is rendered on the real response: keep the
		// headers the handler set for it (a 429's Retry-After).
		for k, vs := range capture.header {
			orig.Header()[k] = vs
		}
		return nil, err
	}
	p := &cachedPage{status: capture.status, header: capture.header, parts: cutAtMarkers(capture.body.String()), size: capture.body.Len(), gen: gen, built: start}
	return p, err
}

// writePage writes p out with this request's values filled in.
func (s *Server) writePage(c echo.Context, p *cachedPage, u *db.User) error {
	resp := c.Response()
	for k, vs := range p.header {
		resp.Header()[k] = append(resp.Header()[k], vs...)
	}
	// The page goes out in one write of known length: written part by
	// part, it took twice the system calls of the same bytes written at once.
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	for i, part := range p.parts {
		switch {
		case i%2 == 0:
			buf.Write(part)
		case string(part) == csrfMarker:
			buf.WriteString(csrfToken(c))
		case string(part) == emailMarker && u != nil:
			buf.WriteString(html.EscapeString(u.Email))
		case string(part) == printedAtMarker:
			buf.WriteString(printedAt())
		}
	}
	resp.Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	resp.WriteHeader(p.status)
	_, err := resp.Write(buf.Bytes())
	return err
}

// captureWriter keeps an answer in memory.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *captureWriter) Header() http.Header         { return w.header }
func (w *captureWriter) WriteHeader(status int)      { w.status = status }
func (w *captureWriter) Write(b []byte) (int, error) { return w.body.Write(b) }

// cutAtMarkers cuts rendered HTML into the parts of a cachedPage.
func cutAtMarkers(h string) [][]byte {
	var parts [][]byte
	for {
		i := strings.Index(h, markerPrefix)
		if i < 0 {
			return append(parts, []byte(h))
		}
		marker := ""
		for _, m := range []string{csrfMarker, emailMarker, printedAtMarker} {
			if strings.HasPrefix(h[i:], m) {
				marker = m
			}
		}
		parts = append(parts, []byte(h[:i]), []byte(marker))
		h = h[i+max(len(marker), len(markerPrefix)):]
	}
}

// printedAtFor is when this request prints a page, or its marker while the
// page is rendered for the cache.
func printedAtFor(c echo.Context) string {
	if building, _ := c.Get(buildingCacheKey).(bool); building {
		return printedAtMarker
	}
	return printedAt()
}

// printedAt is the time a printout shows.
func printedAt() string { return time.Now().UTC().Format("2006-01-02 15:04") }
