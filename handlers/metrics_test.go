package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"steward/db"
	"steward/handlers"
)

// metricsToken is the test servers' STEWARD_METRICS_TOKEN.
const metricsToken = "scrape-token-4f7c1e9a0b2d"

// scrape parses a /metrics answer, failing the test unless it is a valid
// Prometheus exposition.
func scrape(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%.300q", err, body)
	}
	return families
}

// metricValue is the value of family's series with exactly labels (name,
// value pairs), and whether there is one. A histogram's value is its count.
func metricValue(families map[string]*dto.MetricFamily, family string, labels ...string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		for i, l := range m.GetLabel() {
			if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsScrapedFromLoopback scrapes /metrics the way a Prometheus on the
// same machine does, after some requests and writes, and checks each family
// counts what happened: requests by route pattern (never the path's
// secret), findings by kind as the store counts them, the audit log's size,
// the writer's batches and the outbox's deliveries.
func TestMetricsScrapedFromLoopback(t *testing.T) {
	t.Parallel()
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, MetricsToken: metricsToken})
	ctx := context.Background()
	account := app.createAccount("Acme Business Manager", "Meta")
	for _, name := range []string{"CRM token", "Ads token", "Pixel token"} {
		app.storeToken(db.TokenInput{Name: name, Kind: "api_key", AccountID: id(account)})
	}
	app.storeToken(db.TokenInput{Name: "Old token", Kind: "api_key", AccountID: id(account), ExpiresOn: "2020-01-31"})
	app.queueWebhookTest()

	anon := app.newClient()
	for range 3 {
		if r := anon.get("/healthz"); r.status != http.StatusOK {
			t.Fatalf("GET /healthz: %d", r.status)
		}
	}
	anon.get("/owners")                          // 303 to the sign-in page
	anon.get("/r/stwr_not-a-real-review-secret") // a reviewer's link: its secret must not become a label
	anon.get("/no-such-page")

	r := anon.get("/metrics")
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics from loopback: status %d, want 200", r.status)
	}
	if strings.Contains(r.body, "not-a-real-review-secret") || strings.Contains(r.body, "no-such-page") {
		t.Error("/metrics names a request's path instead of its route")
	}
	families := scrape(t, r.body)

	wantCounts := []struct {
		family string
		labels []string
		want   float64
	}{
		{"steward_http_requests_total", []string{"code", "2xx", "method", "GET", "route", "/healthz"}, 3},
		{"steward_http_requests_total", []string{"code", "3xx", "method", "GET", "route", "/owners"}, 1},
		{"steward_http_requests_total", []string{"code", "4xx", "method", "GET", "route", "/r/:secret"}, 1},
		{"steward_http_requests_total", []string{"code", "4xx", "method", "any", "route", "unmatched"}, 1},
		{"steward_http_request_duration_seconds", []string{"method", "GET", "route", "/healthz"}, 3},
		{"steward_findings", []string{"kind", "never-expires"}, 3},
		{"steward_findings", []string{"kind", "expired-active"}, 1},
		{"steward_audit_events_total", nil, float64(app.count("SELECT COUNT(*) FROM audit_events"))},
		{"steward_notification_deliveries", []string{"status", "pending"}, float64(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"))},
		{"steward_notification_deliveries", []string{"status", "sent"}, 0},
		{"steward_db_writer_queue", nil, 0},
	}
	for _, w := range wantCounts {
		got, ok := metricValue(families, w.family, w.labels...)
		if !ok || got != w.want {
			t.Errorf("%s%v = %v (present %v), want %v", w.family, w.labels, got, ok, w.want)
		}
	}
	if n := app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"); n != 1 {
		t.Errorf("the outbox holds %d pending deliveries, want the webhook test's 1", n)
	}
	// Every finding the home page shows has its series, with its count.
	findings, err := app.store.Findings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if got, ok := metricValue(families, "steward_findings", "kind", f.Kind); !ok || got != float64(f.Count) {
			t.Errorf("steward_findings{kind=%q} = %v (present %v), want %d", f.Kind, got, ok, f.Count)
		}
	}
	// The writer ran every change above (tokens, webhook, its test
	// delivery, the sessions of the requests) in batches it timed.
	changes, _ := metricValue(families, "steward_db_writer_changes_total")
	batches, _ := metricValue(families, "steward_db_commit_duration_seconds")
	if changes < 6 || batches < 1 || batches > changes {
		t.Errorf("writer: %v changes in %v batches, want at least 6 changes in at least one batch", changes, batches)
	}
	for _, family := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if families[family] == nil {
			t.Errorf("/metrics has no %s", family)
		}
	}
}

// TestMetricsRefusedToOthers sends /metrics requests from elsewhere and
// through a proxy: without the token, or with a wrong one, each gets the 404
// of an unknown address and no metric; with the token each is served.
func TestMetricsRefusedToOthers(t *testing.T) {
	t.Parallel()
	direct := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, MetricsToken: metricsToken})
	proxied := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, MetricsToken: metricsToken, TrustProxy: true})
	noToken := newTestApp(t)
	const remote, loopback = "203.0.113.7:41000", "127.0.0.1:41000"
	cases := []struct {
		name   string
		app    *testApp
		peer   string
		header []string // name, value
		want   int
	}{
		{"from another machine", direct, remote, nil, http.StatusNotFound},
		{"from another machine, wrong token", direct, remote, []string{"Authorization", "Bearer " + metricsToken + "x"}, http.StatusNotFound},
		{"from another machine, token as Basic", direct, remote, []string{"Authorization", "Basic " + metricsToken}, http.StatusNotFound},
		{"from another machine, the token", direct, remote, []string{"Authorization", "Bearer " + metricsToken}, http.StatusOK},
		{"from another machine, no token configured", noToken, remote, []string{"Authorization", "Bearer "}, http.StatusNotFound},
		{"from loopback, wrong token", direct, loopback, []string{"Authorization", "Bearer wrong"}, http.StatusNotFound},
		{"from loopback, forwarded by a proxy", direct, loopback, []string{"X-Forwarded-For", "203.0.113.7"}, http.StatusNotFound},
		{"from loopback with -trust-proxy", proxied, loopback, nil, http.StatusNotFound},
		{"from loopback with -trust-proxy, the token", proxied, loopback, []string{"Authorization", "bearer " + metricsToken}, http.StatusOK},
		{"from IPv6 loopback", noToken, "[::1]:41000", nil, http.StatusOK},
	}
	for _, c := range cases {
		before := c.app.wholeSnapshot()
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = c.peer
		if c.header != nil {
			req.Header.Set(c.header[0], c.header[1])
		}
		rec := httptest.NewRecorder()
		c.app.srv.Config.Handler.ServeHTTP(rec, req)
		body := rec.Body.String()
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.want)
		}
		if c.want == http.StatusOK {
			scrape(t, body)
		} else if strings.Contains(body, "steward_") || !strings.Contains(body, `data-status="404"`) {
			t.Errorf("%s: not the 404 page of an unknown address: %.200q", c.name, body)
		}
		if c.app.wholeSnapshot() != before {
			t.Errorf("%s: a scrape changed the database", c.name)
		}
	}
}
