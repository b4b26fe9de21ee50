package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"steward/db"
	"steward/handlers"
)

const webhookSecret = "whsec-a-long-shared-secret-9876"

// hookReceiver is a real HTTP receiver on loopback that checks each
// request's signature and answers with status.
type hookReceiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []hookRequest
}

type hookRequest struct {
	event, delivery string
	signed          bool
	body            string
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.status.Store(http.StatusOK)
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(webhookSecret))
		mac.Write(body)
		h.mu.Lock()
		h.got = append(h.got, hookRequest{r.Header.Get("X-Steward-Event"), r.Header.Get("X-Steward-Delivery"),
			r.Header.Get("X-Steward-Signature") == "sha256="+hex.EncodeToString(mac.Sum(nil)), string(body)})
		h.mu.Unlock()
		w.WriteHeader(int(h.status.Load()))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.got...)
}

// deliveries are the delivery log's rows on a page: their data-status.
func deliveries(body string) []string {
	var out []string
	for _, attrs := range tagsWith(body, "delivery") {
		out = append(out, attrs["data-status"])
	}
	return out
}

func webhookForm(u string, events ...string) url.Values {
	return url.Values{"url": {u}, "format": {"json"}, "secret": {webhookSecret}, "events": events}
}

func TestAdminAddsTestsAndChangesAWebhook(t *testing.T) {
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	recv := newHookReceiver(t)

	// Not the digest: "Run now" sends the week's digest to its subscribers.
	r := admin.post("/admin/notifications/webhooks", webhookForm(recv.URL+"/hooks/PATHTOKEN", "token.expiring", "token.expired"))
	if r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("add: status %d, location %q; want 303 to /admin/notifications", r.status, r.location())
	}
	hook := app.count("SELECT id FROM webhooks")
	if got := app.text("SELECT url_shown || ' ' || format || ' ' || events FROM webhooks"); got != recv.URL+` json ["token.expiring","token.expired"]` {
		t.Fatalf("stored %q", got)
	}
	if n := app.count("SELECT COUNT(*) FROM webhooks WHERE url_sealed LIKE '%PATHTOKEN%' OR secret_sealed LIKE '%shared-secret%'"); n != 0 {
		t.Fatal("the webhook's address or secret is stored in clear text")
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'webhook.created' AND record_kind = 'webhook' AND record_id = ? AND changes NOT LIKE '%PATHTOKEN%' AND changes NOT LIKE '%shared-secret%'", hook); n != 1 {
		t.Fatalf("%d webhook.created events without the address's path or the secret, want 1", n)
	}

	page := admin.get("/admin/notifications")
	edit := admin.get("/admin/notifications/webhooks/" + id(hook))
	for _, p := range []response{page, edit} {
		if p.status != http.StatusOK {
			t.Fatalf("status %d", p.status)
		}
		if strings.Contains(p.body, "PATHTOKEN") || strings.Contains(p.body, "shared-secret") {
			t.Fatal("a page shows the webhook's whole address or its secret")
		}
	}
	if !strings.Contains(page.body, recv.URL) || !strings.Contains(page.body, "••••9876") {
		t.Fatal("the page does not show the webhook's scheme and host and its masked secret")
	}

	// Send a test: queued, then delivered by "Run now", signed.
	if r := admin.post("/admin/notifications/webhooks/"+id(hook)+"/test", nil); r.status != http.StatusSeeOther {
		t.Fatalf("test: status %d", r.status)
	}
	if got := deliveries(admin.get("/admin/notifications").body); !slices.Equal(got, []string{"pending"}) {
		t.Fatalf("delivery log after the test %v, want one pending", got)
	}
	if r := admin.post("/admin/notifications/run", nil); r.status != http.StatusSeeOther || r.location() != "/admin/notifications" {
		t.Fatalf("run: status %d, location %q", r.status, r.location())
	}
	got := recv.requests()
	if len(got) != 1 || got[0].event != "test" || !got[0].signed || !strings.Contains(got[0].body, `"id":"`+got[0].delivery+`"`) {
		t.Fatalf("the receiver got %+v; want one signed test event", got)
	}
	if got := deliveries(admin.get("/admin/notifications").body); !slices.Equal(got, []string{"sent"}) {
		t.Fatalf("delivery log after the run %v, want one sent", got)
	}
	if r := admin.post("/admin/notifications/run", nil); r.status != http.StatusSeeOther || len(recv.requests()) != 1 {
		t.Fatalf("a second run sent again: %d requests", len(recv.requests()))
	}

	// Edit with the address and secret left empty: they are kept.
	r = admin.post("/admin/notifications/webhooks/"+id(hook), url.Values{"url": {""}, "format": {"slack"}, "secret": {""}, "events": {"token.expired"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d", r.status)
	}
	target, err := app.store.WebhookTarget(context.Background(), hook)
	if err != nil || target.URL != recv.URL+"/hooks/PATHTOKEN" || target.Secret != webhookSecret || target.Format != "slack" {
		t.Fatalf("after editing: %+v, %v; want the address and secret kept, the format changed", target, err)
	}

	// Disabled, it is sent nothing, not even a test.
	if r := admin.post("/admin/notifications/webhooks/"+id(hook)+"/disable", nil); r.status != http.StatusSeeOther {
		t.Fatalf("disable: status %d", r.status)
	}
	admin.post("/admin/notifications/webhooks/"+id(hook)+"/test", nil)
	admin.post("/admin/notifications/run", nil)
	if n := app.count("SELECT COUNT(*) FROM outbox"); n != 1 || len(recv.requests()) != 1 {
		t.Fatalf("a disabled webhook: %d messages queued, %d requests; want nothing new", n, len(recv.requests()))
	}
	if r := admin.post("/admin/notifications/webhooks/"+id(hook)+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: status %d", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM webhooks"); n != 0 {
		t.Fatal("the webhook was not deleted")
	}
	want := []string{"webhook.created", "webhook.test_queued", "webhook.updated", "webhook.disabled", "webhook.deleted"}
	if got := strings.Split(app.text("SELECT group_concat(action, ',') FROM (SELECT action FROM audit_events WHERE action LIKE 'webhook.%' ORDER BY id)"), ","); !slices.Equal(got, want) {
		t.Fatalf("audit events %v, want %v", got, want)
	}
}

func TestWebhookAddressesThatAreNotWebOrAreStewardAreRefused(t *testing.T) {
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, BaseURL: "http://steward.test:8080", ListenAddr: "127.0.0.1:18513"})
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	events := app.count("SELECT COUNT(*) FROM audit_events")
	for _, u := range []string{"ftp://hooks.example.com/x", "file:///etc/passwd", "hooks.example.com/x", "http://steward.test:8080/admin",
		"http://localhost:18513/hook", "http://127.0.0.1:18513/hook", "http://[::1]:18513/"} {
		r := admin.post("/admin/notifications/webhooks", webhookForm(u, "digest"))
		if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{"url"}) {
			t.Errorf("%s: status %d, errors %v; want 422 beside url", u, r.status, fieldErrors(r.body))
		}
		if strings.Contains(r.body, "shared-secret") {
			t.Errorf("%s: the refused form shows the secret back", u)
		}
	}
	r := admin.post("/admin/notifications/webhooks", webhookForm("https://hooks.example.com/x"))
	if r.status != http.StatusUnprocessableEntity || !slices.Equal(fieldErrors(r.body), []string{"events"}) {
		t.Errorf("no events: status %d, errors %v; want 422 beside events", r.status, fieldErrors(r.body))
	}
	if n := app.count("SELECT COUNT(*) FROM webhooks"); n != 0 || app.count("SELECT COUNT(*) FROM audit_events") != events {
		t.Fatalf("refused webhooks wrote %d rows or audit events", n)
	}
}

func TestFailedDeliveryShowsInTheLogAndIsRetriedNow(t *testing.T) {
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	admin := app.signedIn("admin@example.com")
	now := time.Now().UTC()
	var mu sync.Mutex
	app.store.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	later := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	recv := newHookReceiver(t)
	recv.status.Store(http.StatusInternalServerError)
	admin.post("/admin/notifications/webhooks", webhookForm(recv.URL, "token.expired"))
	hook := app.count("SELECT id FROM webhooks")
	admin.post("/admin/notifications/webhooks/"+id(hook)+"/test", nil)

	admin.post("/admin/notifications/run", nil)
	page := admin.get("/admin/notifications")
	if got := deliveries(page.body); !slices.Equal(got, []string{"pending"}) || !strings.Contains(page.body, "500 Internal Server Error") {
		t.Fatalf("after a failed attempt: %v; want pending with the receiver's error shown", got)
	}
	later(25 * time.Hour)                     // past the day of retries: the next failure is final
	admin = app.signedIn("admin@example.com") // the session has ended meanwhile
	admin.post("/admin/notifications/run", nil)
	if got := deliveries(admin.get("/admin/notifications?status=failed").body); !slices.Equal(got, []string{"failed"}) {
		t.Fatalf("failed filter: %v, want the failed delivery", got)
	}
	if got := deliveries(admin.get("/admin/notifications?status=sent").body); len(got) != 0 {
		t.Fatalf("sent filter: %v, want none", got)
	}

	recv.status.Store(http.StatusOK)
	delivery := app.count("SELECT id FROM outbox")
	if r := admin.post("/admin/notifications/deliveries/"+id(delivery)+"/retry", nil); r.status != http.StatusSeeOther {
		t.Fatalf("retry now: status %d", r.status)
	}
	admin.post("/admin/notifications/run", nil)
	got := recv.requests()
	if len(got) != 3 || got[0].delivery != got[2].delivery || !got[2].signed {
		t.Fatalf("requests %+v; want 3 attempts of one delivery ID", got)
	}
	if st := app.text("SELECT status || ':' || attempts FROM outbox"); st != "sent:3" {
		t.Fatalf("outbox %q, want sent:3", st)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery.retried'"); n != 1 {
		t.Fatalf("%d delivery.retried events, want 1", n)
	}
}
