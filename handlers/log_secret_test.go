package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"steward/db"
	"steward/handlers"
)

// lockedBuffer is a log sink the server's goroutines may write at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// loggedServer serves the real router over a new database, logging into
// the buffer it returns.
func loggedServer(t *testing.T) (*db.Store, *httptest.Server, *lockedBuffer) {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logged := &lockedBuffer{}
	e, _ := handlers.New(store, slog.New(slog.NewTextHandler(logged, nil)), handlers.Config{SessionKey: bytes.Repeat([]byte("k"), 64)})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return store, srv, logged
}

// TestSecretLinksStayOutOfTheLog: a reviewer's link and a calendar feed
// carry their secret in the path; the request log names the route instead.
func TestSecretLinksStayOutOfTheLog(t *testing.T) {
	_, srv, logged := loggedServer(t)
	for _, secret := range []string{"/r/Zq9secretReviewerLinkValue123", "/calendar/Zq9secretFeedValue456.ics"} {
		resp, err := http.Get(srv.URL + secret)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", secret, resp.StatusCode)
		}
	}
	out := logged.String()
	if strings.Contains(out, "Zq9secret") {
		t.Errorf("the request log holds a link's secret:\n%s", out)
	}
	if !strings.Contains(out, "path=/r/:secret") || !strings.Contains(out, "path=/calendar/:feed") {
		t.Errorf("the request log does not name the routes:\n%s", out)
	}
}
