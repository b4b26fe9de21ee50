package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"steward/db"
)

// TestKilledMidSendDeliversAfterRestart kills the steward binary while a
// webhook's receiver is still answering, and starts it again: the message
// is not lost, it arrives again with the same delivery ID (so the receiver
// can drop the repeat), and it is then recorded as sent, once.
func TestKilledMidSendDeliversAfterRestart(t *testing.T) {
	bin := buildSteward(t)
	dbPath := filepath.Join(t.TempDir(), "steward.db")

	var mu sync.Mutex
	var deliveries []string
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	first := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		deliveries = append(deliveries, r.Header.Get("X-Steward-Delivery"))
		hold := first
		first = false
		mu.Unlock()
		arrived <- struct{}{}
		if hold {
			<-release // answer only once the sender has been killed
		}
	}))
	defer recv.Close()
	defer close(release)

	srv := startProc(t, bin, dbPath)
	c := newFaultClient(srv.base)
	if err := c.signIn(); err != nil {
		t.Fatal(err)
	}
	r, err := c.post("/admin/notifications/webhooks", url.Values{"url": {recv.URL + "/hook"}, "format": {"json"},
		"secret": {"a-long-shared-secret-1234"}, "events": {"token.expired"}})
	if err != nil || r.status != http.StatusSeeOther {
		t.Fatalf("add webhook: %d, %v", r.status, err)
	}
	if r, err := c.post("/admin/notifications/webhooks/1/test", url.Values{}); err != nil || r.status != http.StatusSeeOther {
		t.Fatalf("send a test: %d, %v", r.status, err)
	}
	waitArrival(t, arrived, srv)
	srv.signal(syscall.SIGKILL) // mid-send: the receiver has the message, Steward never hears back

	srv = startProc(t, bin, dbPath)
	waitArrival(t, arrived, srv) // the sender catches up at start
	c = newFaultClient(srv.base)
	if err := c.signIn(); err != nil {
		t.Fatal(err)
	}
	if r, err := c.post("/admin/notifications/run", url.Values{}); err != nil || r.status != http.StatusSeeOther {
		t.Fatalf("run: %d, %v", r.status, err)
	}
	srv.stop(t)

	mu.Lock()
	got := append([]string(nil), deliveries...)
	mu.Unlock()
	if len(got) != 2 || got[0] == "" || got[0] != got[1] {
		t.Fatalf("the receiver got deliveries %q; want the one message twice, with the same delivery ID", got)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if st, err := store.QueryString(context.Background(), "SELECT group_concat(status || ':' || attempts) FROM outbox"); err != nil || st != "sent:1" {
		t.Fatalf("outbox %q, %v; want the message sent, its one recorded attempt", st, err)
	}
}

// waitArrival waits for the receiver to be sent a message.
func waitArrival(t *testing.T, arrived <-chan struct{}, srv *stewardProc) {
	t.Helper()
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("no message reached the receiver; server log:\n%s", logDigest(srv.log.String()))
	}
}
