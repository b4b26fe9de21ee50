package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"github.com/labstack/echo/v4"
)

// diskHash hashes the file as it is in the source tree, independently of the
// package's own bookkeeping.
func diskHash(t *testing.T, name string) (data []byte, hash string) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return data, hex.EncodeToString(sum[:])[:12]
}

func TestURLCarriesContentHash(t *testing.T) {
	tests := []struct {
		name string
		want *regexp.Regexp
	}{
		{"css/app.css", regexp.MustCompile(`^/static/css/app\.([0-9a-f]{12})\.css$`)},
		{"js/htmx.min.js", regexp.MustCompile(`^/static/js/htmx\.min\.([0-9a-f]{12})\.js$`)},
		{"js/app.js", regexp.MustCompile(`^/static/js/app\.([0-9a-f]{12})\.js$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := URL(tt.name)
			m := tt.want.FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("URL(%q) = %q, want match for %s", tt.name, got, tt.want)
			}
			if _, hash := diskHash(t, tt.name); m[1] != hash {
				t.Errorf("URL(%q) hash = %s, want %s (sha256 of the file)", tt.name, m[1], hash)
			}
		})
	}
}

func TestURLPanicsOnUnknownName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("URL(\"css/nope.css\") did not panic")
		}
	}()
	URL("css/nope.css")
}

func TestHandlerServesHashedAsset(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
	}{
		{"css/app.css", "text/css; charset=utf-8"},
		{"js/htmx.min.js", "text/javascript; charset=utf-8"},
		{"js/app.js", "text/javascript; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := diskHash(t, tt.name)
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, URL(tt.name), nil))

			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from %s on disk (%d bytes, want %d)", tt.name, rec.Body.Len(), len(want))
			}
			if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestHandlerAnswersNotModifiedForMatchingETag(t *testing.T) {
	url := URL("js/app.js")
	first := httptest.NewRecorder()
	Handler().ServeHTTP(first, httptest.NewRequest(http.MethodGet, url, nil))
	etag := first.Header().Get("ETag")

	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("If-None-Match", etag)
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("status = %d, want 304", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("304 carried a %d-byte body", rec.Body.Len())
	}
}

func TestHandlerNotFound(t *testing.T) {
	tests := []struct {
		name, path string
	}{
		{"wrong hash", "/static/css/app.000000000000.css"},
		{"no hash", "/static/css/app.css"},
		{"unknown file", "/static/js/nope.0123456789ab.js"},
		{"build input not served", "/static/css/input.css"},
		{"directory", "/static/css/"},
		{"prefix only", "/static/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: status = %d, want 404", tt.path, rec.Code)
			}
			if got := rec.Header().Get("Cache-Control"); got != "" {
				t.Errorf("GET %s: 404 sent Cache-Control %q; a stale URL must not be cached", tt.path, got)
			}
		})
	}
}

// TestHandlerMountsInEcho checks the mounting the package doc promises: echo
// passes the full path, prefix included.
func TestHandlerMountsInEcho(t *testing.T) {
	e := echo.New()
	e.GET("/static/*", echo.WrapHandler(Handler()))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, URL("css/app.css"), nil))
	if rec.Code != http.StatusOK {
		t.Errorf("hashed URL through echo: status = %d, want 200", rec.Code)
	}

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/css/app.000000000000.css", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("stale URL through echo: status = %d, want 404", rec.Code)
	}
}
