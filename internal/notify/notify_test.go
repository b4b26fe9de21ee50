package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/db"
	"steward/internal/notify"
)

const secret = "a-long-shared-secret-1234"

var admin = db.Actor{Email: "admin@example.com", Role: db.RoleAdmin}

// clock is a test clock the store reads; tests move it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openAt opens the store at path on clock c.
func openAt(t *testing.T, path string, c *clock) *db.Store {
	t.Helper()
	s, err := db.OpenWith(context.Background(), path, db.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetClock(c.Now)
	return s
}

// request is what a receiver was sent.
type request struct {
	event, delivery, signature string
	body                       []byte
}

// receiver is a real HTTP server on loopback that records what it is
// sent and answers with the status its answer function gives (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []request
	answer func(n int) int // the status for the n-th request, from 1
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, request{req.Header.Get("X-Steward-Event"), req.Header.Get("X-Steward-Delivery"),
			req.Header.Get("X-Steward-Signature"), body})
		n := len(r.got)
		r.mu.Unlock()
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(n)
		}
		w.WriteHeader(status)
		if status >= 300 {
			io.WriteString(w, "receiver is down for maintenance")
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.got...)
}

// signedBy reports whether req's signature is the HMAC-SHA256 of its body
// under key, computed here apart from the code under test.
func (req request) signedBy(key string) bool {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(req.body)
	return req.signature == "sha256="+hex.EncodeToString(mac.Sum(nil))
}

// addWebhook adds a webhook to url in format for the token.expiring event.
func addWebhook(t *testing.T, s *db.Store, url, format string) int64 {
	t.Helper()
	id, err := s.CreateWebhook(context.Background(), admin, db.WebhookInput{URL: url, Format: format, Secret: secret,
		Events: []string{"token.expiring"}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// queue queues a token.expiring message for webhook id, keyed on threshold.
func queue(t *testing.T, s *db.Store, id int64, threshold string) {
	t.Helper()
	n, err := s.Queue(context.Background(), db.Message{Rule: "token.expiring", Record: db.Ref{Kind: "token", ID: 42},
		Threshold: threshold, Recipient: db.WebhookRecipient(id), Event: "token.expiring", RecordName: "CRM token",
		Summary: "CRM token expires in 7 days", Details: map[string]any{"expires_on": "2026-03-08"},
		Channel: db.ChannelWebhook, WebhookID: id})
	if err != nil || n != 1 {
		t.Fatalf("queue: %d, %v", n, err)
	}
}

func state(t *testing.T, s *db.Store) string {
	t.Helper()
	v, err := s.QueryString(context.Background(), "SELECT group_concat(status || ':' || attempts, ',') FROM (SELECT * FROM outbox ORDER BY id)")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func TestWebhookArrivesSignedWithTheContractsBody(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	r := newReceiver(t, nil)
	id := addWebhook(t, s, r.URL+"/hooks/steward?key=abc", db.WebhookJSON)
	queue(t, s, id, "7d")
	n := notify.New(s, notify.Config{BaseURL: "https://steward.example/"})
	out, err := n.Drain(context.Background())
	if err != nil || out.Sent != 1 {
		t.Fatalf("drain: %+v, %v; want 1 sent", out, err)
	}
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	req := got[0]
	if !req.signedBy(secret) {
		t.Errorf("signature %q does not match the body under the secret", req.signature)
	}
	var body struct {
		ID         string `json:"id"`
		Event      string `json:"event"`
		OccurredAt string `json:"occurred_at"`
		Record     struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"record"`
		Summary string            `json:"summary"`
		Details map[string]string `json:"details"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil {
		t.Fatalf("body %s: %v", req.body, err)
	}
	if body.ID == "" || body.ID != req.delivery || req.event != "token.expiring" || body.Event != "token.expiring" ||
		body.OccurredAt != "2026-03-01T09:00:00Z" || body.Record.Kind != "token" || body.Record.ID != 42 ||
		body.Record.Name != "CRM token" || body.Record.URL != "https://steward.example/tokens/42" ||
		body.Summary != "CRM token expires in 7 days" || body.Details["expires_on"] != "2026-03-08" {
		t.Errorf("headers event %q delivery %q, body %s", req.event, req.delivery, req.body)
	}
	if st := state(t, s); st != "sent:1" {
		t.Fatalf("outbox %q, want sent:1", st)
	}
	c.Add(48 * time.Hour)
	if out, _ := n.Drain(context.Background()); out.Sent != 0 || len(r.requests()) != 1 {
		t.Fatalf("a second drain sent %d more", out.Sent)
	}
}

func TestSlackWebhookGetsText(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	r := newReceiver(t, nil)
	id := addWebhook(t, s, r.URL+"/services/T0/B0/X", db.WebhookSlack)
	queue(t, s, id, "7d")
	if _, err := notify.New(s, notify.Config{BaseURL: "https://steward.example"}).Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	var msg map[string]string
	if err := json.Unmarshal(got[0].body, &msg); err != nil || len(msg) != 1 {
		t.Fatalf("Slack body %s: %v; want only text", got[0].body, err)
	}
	if want := "*token.expiring*: CRM token expires in 7 days\n<https://steward.example/tokens/42|CRM token>"; msg["text"] != want {
		t.Fatalf("text %q, want %q", msg["text"], want)
	}
}

func TestFailingReceiverIsRetriedWithTheSameDeliveryID(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	r := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	id := addWebhook(t, s, r.URL, db.WebhookJSON)
	queue(t, s, id, "7d")
	n := notify.New(s, notify.Config{})
	ctx := context.Background()
	if out, err := n.Drain(ctx); err != nil || out.Retry != 1 {
		t.Fatalf("first attempt: %+v, %v; want 1 to retry", out, err)
	}
	lastError, _ := s.QueryString(ctx, "SELECT last_error FROM outbox")
	if !strings.Contains(lastError, "503") || !strings.Contains(lastError, "down for maintenance") {
		t.Errorf("last error %q, want the receiver's answer", lastError)
	}
	if out, _ := n.Drain(ctx); out.Sent+out.Retry != 0 {
		t.Fatalf("tried again before its backoff: %+v", out)
	}
	c.Add(time.Minute)
	if out, _ := n.Drain(ctx); out.Retry != 1 {
		t.Fatalf("second attempt: %+v, want 1 to retry", out)
	}
	c.Add(time.Minute)
	if out, _ := n.Drain(ctx); out.Sent+out.Retry != 0 {
		t.Fatalf("the second backoff is not longer than the first: %+v", out)
	}
	c.Add(time.Minute)
	if out, _ := n.Drain(ctx); out.Sent != 1 {
		t.Fatalf("third attempt: %+v, want sent", out)
	}
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	for _, req := range got {
		if req.delivery != got[0].delivery || !strings.Contains(string(req.body), `"id":"`+got[0].delivery+`"`) || !req.signedBy(secret) {
			t.Errorf("attempt with delivery %q, body %s: want the same delivery ID, signed, every time", req.delivery, req.body)
		}
	}
	if st := state(t, s); st != "sent:3" {
		t.Fatalf("outbox %q, want sent:3", st)
	}
}

func TestUnreachableReceiverGivesUpAfterADay(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close() // nothing listens there now
	id := addWebhook(t, s, url, db.WebhookJSON)
	queue(t, s, id, "7d")
	n := notify.New(s, notify.Config{})
	ctx := context.Background()
	start := c.Now()
	for i := 0; i < 40 && !strings.HasPrefix(state(t, s), "failed"); i++ {
		if _, err := n.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		next, err := s.QueryString(ctx, "SELECT next_attempt_at FROM outbox")
		if err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.RFC3339, next)
		if at.After(c.Now()) {
			c.Add(at.Sub(c.Now())) // straight to the next attempt
		}
	}
	if st := state(t, s); st != "failed:12" {
		t.Fatalf("after %s the delivery is %q, want failed for good after 12 attempts", c.Now().Sub(start), st)
	}
	if took := c.Now().Sub(start); took > 24*time.Hour || took < 20*time.Hour {
		t.Errorf("gave up after %s, want within a day", took)
	}
	lastError, _ := s.QueryString(ctx, "SELECT last_error FROM outbox")
	if !strings.Contains(lastError, "could not reach the receiver") || strings.Contains(lastError, url) {
		t.Errorf("last error %q: want why, without the address", lastError)
	}
	c.Add(72 * time.Hour)
	if out, _ := n.Drain(ctx); out.Sent+out.Retry+out.Failed != 0 {
		t.Fatalf("a delivery failed for good was tried again: %+v", out)
	}
}

func TestPendingDeliveryIsSentOnceAfterARestart(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openAt(t, path, c)
	var mu sync.Mutex
	up := true
	r := newReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		if up {
			return http.StatusOK
		}
		return http.StatusBadGateway
	})
	id := addWebhook(t, s, r.URL, db.WebhookJSON)
	ctx := context.Background()
	queue(t, s, id, "30d")
	if out, _ := notify.New(s, notify.Config{}).Drain(ctx); out.Sent != 1 {
		t.Fatalf("first message: %+v", out)
	}
	mu.Lock()
	up = false
	mu.Unlock()
	queue(t, s, id, "7d")
	if out, _ := notify.New(s, notify.Config{}).Drain(ctx); out.Retry != 1 {
		t.Fatalf("second message while the receiver is down: %+v", out)
	}
	// Steward stops with the second message pending, and starts again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	c.Add(10 * time.Minute)
	s2 := openAt(t, path, c)
	n2 := notify.New(s2, notify.Config{})
	if out, err := n2.Drain(ctx); err != nil || out.Sent != 1 {
		t.Fatalf("after the restart: %+v, %v; want the pending message sent", out, err)
	}
	c.Add(72 * time.Hour)
	if out, _ := n2.Drain(ctx); out.Sent != 0 {
		t.Fatalf("a later drain sent %d again", out.Sent)
	}
	delivered := map[string]int{}
	for _, req := range r.requests() {
		delivered[req.delivery]++
	}
	if len(delivered) != 2 || state(t, s2) != "sent:1,sent:2" {
		t.Fatalf("requests by delivery ID %v, outbox %q; want two deliveries, the second sent on its second attempt", delivered, state(t, s2))
	}
}

func TestShutdownFinishesTheSendUnderWay(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openAt(t, path, c)
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := newReceiver(t, func(int) int {
		once.Do(func() { close(arrived) })
		<-release
		return http.StatusOK
	})
	id := addWebhook(t, s, r.URL, db.WebhookJSON)
	queue(t, s, id, "7d")
	ctx, stop := context.WithCancel(context.Background())
	n := notify.New(s, notify.Config{})
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	<-arrived
	stop() // the server shuts down while the receiver is still answering
	close(release)
	<-done
	if got := state(t, s); got != "sent:1" {
		t.Fatalf("after shutdown the delivery is %q, want sent:1: the answer was recorded", got)
	}
	s.Close()
	s2 := openAt(t, path, c)
	if out, _ := notify.New(s2, notify.Config{}).Drain(context.Background()); out.Sent != 0 || len(r.requests()) != 1 {
		t.Fatalf("after restarting, sent %d again", out.Sent)
	}
}

func TestDisabledWebhookReceivesNothing(t *testing.T) {
	c := newClock()
	s := openAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	r := newReceiver(t, nil)
	ctx := context.Background()
	id := addWebhook(t, s, r.URL, db.WebhookJSON)
	queue(t, s, id, "7d")
	if err := s.SetWebhookDisabled(ctx, admin, id, true); err != nil {
		t.Fatal(err)
	}
	var verr db.ValidationError
	if err := s.QueueWebhookTest(ctx, admin, id); !errors.As(err, &verr) {
		t.Fatalf("a test for a disabled webhook: %v, want refused", err)
	}
	n := notify.New(s, notify.Config{})
	if _, err := n.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// Enabled again, it gets what is queued from now on, not what waited.
	if err := s.SetWebhookDisabled(ctx, admin, id, false); err != nil {
		t.Fatal(err)
	}
	c.Add(48 * time.Hour)
	if _, err := n.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(r.requests()); got != 0 {
		t.Fatalf("the disabled webhook received %d requests", got)
	}
	if got := state(t, s); got != "failed:0" {
		t.Fatalf("outbox %q, want the waiting message failed, never attempted", got)
	}
}

func TestSchedulerNeitherRepeatsNorSkipsAcrossRestarts(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	s := openAt(t, path, c)
	ctx := context.Background()
	var runs []string // "since→now" of each run
	fail := false
	job := notify.Job{Name: "digest", Every: 24 * time.Hour, Run: func(_ context.Context, since, now time.Time) error {
		if fail {
			return errors.New("mail server down")
		}
		runs = append(runs, since.Format("01-02 15:04")+"→"+now.Format("01-02 15:04"))
		return nil
	}}
	n := notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	n.Register(job)
	runDue := func(n *notify.Service) {
		t.Helper()
		if _, err := n.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runDue(n)
	runDue(n)
	c.Add(23 * time.Hour)
	runDue(n)
	if len(runs) != 1 {
		t.Fatalf("runs %v, want one: the first wake runs it, the next ones are before its time", runs)
	}
	// A restart within the day does not repeat it.
	s.Close()
	s = openAt(t, path, c)
	n = notify.New(s, notify.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	n.Register(job)
	runDue(n)
	if len(runs) != 1 {
		t.Fatalf("after a restart: runs %v, want still one", runs)
	}
	// Three days down: it runs once on the next wake, told since when.
	c.Add(3 * 24 * time.Hour)
	fail = true
	runDue(n)
	fail = false
	runDue(n)
	runDue(n)
	want := []string{"01-01 00:00→03-01 09:00", "03-01 09:00→03-05 08:00"}
	if len(runs) != 2 || runs[1] != want[1] || !strings.HasSuffix(runs[0], "→03-01 09:00") {
		t.Fatalf("runs %v, want %v: a failed run is not recorded, and the catch-up runs once", runs, want)
	}
}

func TestWebhookMayNotPointAtStewardItself(t *testing.T) {
	cases := []struct {
		url  string
		self bool
	}{
		{"https://steward.example.com/hook", true},
		{"https://STEWARD.example.com:443/x", true},
		{"http://steward.example.com/hook", false}, // port 80: not Steward's
		{"http://127.0.0.1:8080/admin", true},
		{"http://localhost:8080/", true},
		{"http://[::1]:8080/", true},
		{"http://0.0.0.0:8080/", true},
		{"http://127.0.0.1:9090/hook", false},
		{"https://hooks.slack.com/services/T/B/X", false},
	}
	for _, tc := range cases {
		if got := notify.PointsAt(tc.url, "https://steward.example.com", "127.0.0.1:8080"); got != tc.self {
			t.Errorf("PointsAt(%s) = %v, want %v", tc.url, got, tc.self)
		}
	}
	if !notify.PointsAt("http://localhost:8080/", "", ":8080") {
		t.Error("a server listening on all addresses is reached through localhost")
	}
}
