// Package static embeds Steward's browser assets (stylesheet and scripts) and
// serves them under content-hashed URLs.
//
// Each file's URL carries the first 12 hex digits of its SHA-256, so a browser
// may cache it forever: a changed file gets a new URL, and an old URL stops
// resolving instead of serving stale bytes under a fresh name.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"time"
)

// Only the built files are embedded; css/input.css is a build input and is
// deliberately not served.
//
//go:embed css/app.css js/htmx.min.js js/app.js
var files embed.FS

// prefix is where Handler expects to be mounted.
const prefix = "/static/"

// contentTypes covers every extension we embed. Set explicitly rather than
// through mime.TypeByExtension, whose answer depends on the host's mime tables.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

type asset struct {
	data        []byte
	contentType string
	etag        string
	url         string // "/static/css/app.<hash>.css"
}

var (
	byName = map[string]*asset{} // "css/app.css" → asset
	byURL  = map[string]*asset{} // "/static/css/app.<hash>.css" → asset
)

func init() {
	for _, name := range []string{"css/app.css", "js/htmx.min.js", "js/app.js"} {
		data, err := files.ReadFile(name)
		if err != nil {
			panic("static: embedded file missing: " + name)
		}
		ext := path.Ext(name)
		contentType, ok := contentTypes[ext]
		if !ok {
			panic("static: no content type for " + name)
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])[:12]
		a := &asset{
			data:        data,
			contentType: contentType,
			etag:        `"` + hash + `"`,
			url:         prefix + strings.TrimSuffix(name, ext) + "." + hash + ext,
		}
		byName[name] = a
		byURL[a.url] = a
	}
}

// URL returns the content-hashed URL of the embedded file name, for example
// "css/app.css" → "/static/css/app.1a2b3c4d5e6f.css". It panics for a name that
// is not embedded: that is a typo in a template, and tests that render the
// page should fail loudly rather than ship a broken link.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: unknown asset " + name)
	}
	return a.url
}

// Handler serves the embedded files at the URLs that URL returns. It expects
// the full request path, /static/ prefix included, so it mounts in echo as
// e.GET("/static/*", echo.WrapHandler(static.Handler())). Unknown paths, and
// paths whose hash does not match the current content, answer 404. Responses
// are marked immutable for a year and carry an ETag.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		a, ok := byURL[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		// ServeContent answers If-None-Match with 304, handles HEAD and
		// Range, and keeps the Content-Type set above.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
	})
}
