package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkRequestMetrics serves a page-sized answer on a route with a
// parameter, bare and with the request metrics counting it, to show what
// counting costs a page (pages must stay at 0.25 of a bare handler or
// better). Counting allocates nothing itself; echo allocates the
// middleware's closure, one small allocation per request.
func BenchmarkRequestMetrics(b *testing.B) {
	page := bytes.Repeat([]byte("<tr><td>Olga Owner</td><td>olga@example.com</td></tr>\n"), 400) // about a list page's 20 KB
	serve := func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, page) }
	routes := []Route{{http.MethodGet, "/owners/:id", viewer, serve}}
	for _, counted := range []bool{false, true} {
		name := "bare"
		if counted {
			name = "with request metrics"
		}
		b.Run(name, func(b *testing.B) {
			e := echo.New()
			if counted {
				e.Use(newRequestMetrics(prometheus.NewRegistry(), routes).count)
			}
			e.GET("/owners/:id", serve)
			req := httptest.NewRequest(http.MethodGet, "/owners/42", nil)
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
