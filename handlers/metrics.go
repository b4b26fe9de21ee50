package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"steward/db"
)

// Metrics: GET /metrics in Prometheus's text format, from a registry of
// this server's own (the default one is global: two servers in one process,
// as the tests build, would collide), with the Go runtime's and the
// process's metrics, the requests by route, and what the store already
// knows (see storeCollector).

// metrics is the registry /metrics serves and the request counters.
type metrics struct {
	handler  http.Handler
	requests *requestMetrics
}

func newMetrics(store *db.Store, log *slog.Logger, routes []Route) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newStoreCollector(store))
	return &metrics{
		requests: newRequestMetrics(reg, routes),
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
			// A metric that cannot be read is left out and logged; its error
			// (SQL, say) is not sent to the scraper.
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
			// The gzip middleware compresses it already.
			DisableCompression: true,
		}),
	}
}

// showMetrics serves the metrics to a client metricsAllowed lets in; anyone
// else gets the 404 of an unknown address, so the page is not advertised to
// the internet and a scanner learns nothing from it.
func (s *Server) showMetrics(c echo.Context) error {
	if !s.metricsAllowed(c.Request()) {
		return echo.ErrNotFound
	}
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// metricsAllowed lets in a request with the metrics token (Authorization:
// Bearer), and a request with none from this machine itself: its peer (the
// connection's address, never X-Forwarded-For) is loopback, it carries no
// forwarding header, and Steward is not told to trust a proxy. Behind a
// proxy on the same machine every visitor's connection comes from loopback,
// so then only the token lets in. A wrong token is refused even from
// loopback: it is a scraper set up wrong, better told than let in.
func (s *Server) metricsAllowed(r *http.Request) bool {
	if auth := r.Header.Get(echo.HeaderAuthorization); auth != "" {
		return s.cfg.MetricsToken != "" && bearerIs(auth, s.cfg.MetricsToken)
	}
	if s.cfg.TrustProxy {
		return false
	}
	for _, h := range []string{echo.HeaderXForwardedFor, echo.HeaderXRealIP, "Forwarded"} {
		if _, ok := r.Header[h]; ok {
			return false
		}
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && peer.Addr().Unmap().IsLoopback()
}

// bearerIs reports whether the Authorization header auth carries token, in
// constant time: both are hashed first, so not even the length leaks.
func bearerIs(auth, token string) bool {
	scheme, sent, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(sent))), sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// requestMetrics counts requests by route, method and status class and
// times them by route and method. Every route's series are made when the
// server is built, so counting a request is a map lookup and two atomic
// adds: no labels are formatted or allocated per request, and a path's
// secrets (a reviewer's link) never become a label, only the route's
// pattern.
type requestMetrics struct {
	byRoute   map[routeKey]*routeSeries
	unmatched *routeSeries // requests no route answered (404, 405)
}

// routeKey is a route as echo names it: the method and the pattern
// (c.Path()).
type routeKey struct{ method, path string }

// routeSeries are one route's counters, by status class (2xx, 3xx, 4xx,
// 5xx), and its latency histogram.
type routeSeries struct {
	byClass  [4]prometheus.Counter
	duration prometheus.Observer
}

// statusClasses are the status classes counted; a status outside them
// (Steward sends no 1xx) counts in the nearest.
var statusClasses = [4]string{"2xx", "3xx", "4xx", "5xx"}

func newRequestMetrics(reg prometheus.Registerer, routes []Route) *requestMetrics {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "steward_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status class.",
	}, []string{"route", "method", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "steward_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route pattern and method.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5},
	}, []string{"route", "method"})
	reg.MustRegister(requests, duration)
	series := func(route, method string) *routeSeries {
		s := &routeSeries{duration: duration.WithLabelValues(route, method)}
		for i, class := range statusClasses {
			s.byClass[i] = requests.WithLabelValues(route, method, class)
		}
		return s
	}
	m := &requestMetrics{byRoute: map[routeKey]*routeSeries{}, unmatched: series("unmatched", "any")}
	for _, r := range routes {
		m.byRoute[routeKey{r.Method, r.Path}] = series(r.Path, r.Method)
	}
	m.byRoute[routeKey{http.MethodGet, staticRoute}] = series(staticRoute, http.MethodGet)
	return m
}

// count is the middleware that counts and times each request. It runs
// outside the request logger, which has already turned an error into its
// page, so the status it reads is the one sent.
func (m *requestMetrics) count(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		s, ok := m.byRoute[routeKey{c.Request().Method, c.Path()}]
		if !ok {
			s = m.unmatched
		}
		s.byClass[min(max(c.Response().Status/100-2, 0), len(statusClasses)-1)].Inc()
		s.duration.Observe(time.Since(start).Seconds())
		return err
	}
}

// storeCollector reads, on each scrape, what the store already knows: the
// writer's counters, the risk findings it keeps until the next write, the
// audit log's size from its last ID, and the outbox's deliveries by status
// (counted with its index and kept until the next write). Nothing is
// recounted per scrape that the home page does not count anyway.
type storeCollector struct {
	store                                                 *db.Store
	queue, commits, changes, findings, events, deliveries *prometheus.Desc
}

func newStoreCollector(store *db.Store) *storeCollector {
	return &storeCollector{
		store: store,
		queue: prometheus.NewDesc("steward_db_writer_queue",
			"Changes handed to the database writer and not yet committed: queued, or in the batch being committed.", nil, nil),
		commits: prometheus.NewDesc("steward_db_commit_duration_seconds",
			"Time each group commit took, from its first change to the commit on disk.", nil, nil),
		changes: prometheus.NewDesc("steward_db_writer_changes_total",
			"Changes the database writer has run, committed or refused.", nil, nil),
		findings: prometheus.NewDesc("steward_findings",
			"Records in each risk finding, as the home page counts them.", []string{"kind"}, nil),
		events: prometheus.NewDesc("steward_audit_events_total",
			"Events in the audit log.", nil, nil),
		deliveries: prometheus.NewDesc("steward_notification_deliveries",
			"Notification deliveries in the outbox, by status.", []string{"status"}, nil),
	}
}

// Describe sends the descriptions of every metric Collect sends.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.queue, c.commits, c.changes, c.findings, c.events, c.deliveries} {
		ch <- d
	}
}

// Collect reads the store's metrics; one that cannot be read is sent as an
// invalid metric, which the handler logs and leaves out.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	w := c.store.WriterStats()
	ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(w.Waiting))
	ch <- prometheus.MustNewConstMetric(c.changes, prometheus.CounterValue, float64(w.Changes))
	buckets := make(map[float64]uint64, len(db.CommitBounds))
	for i, bound := range db.CommitBounds {
		buckets[bound] = w.Buckets[i]
	}
	ch <- prometheus.MustNewConstHistogram(c.commits, w.Batches, w.CommitSeconds, buckets)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if findings, err := c.store.Findings(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.findings, err)
	} else {
		for _, f := range findings {
			ch <- prometheus.MustNewConstMetric(c.findings, prometheus.GaugeValue, float64(f.Count), f.Kind)
		}
	}
	if n, err := c.store.AuditEventCount(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.events, err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(n))
	}
	if counts, err := c.store.DeliveryCounts(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(c.deliveries, err)
	} else {
		for i, status := range db.DeliveryStatuses {
			ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.GaugeValue, float64(counts[i]), status)
		}
	}
}
