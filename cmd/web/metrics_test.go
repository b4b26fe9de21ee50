package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsTokenFromTheCommandLine runs the server with -metrics-token:
// a scrape with a wrong token is refused, one with the token is served,
// and the token appears nowhere in the server's log.
func TestMetricsTokenFromTheCommandLine(t *testing.T) {
	t.Parallel()
	const token = "metrics-Quartz-7d1f00c2"
	srv := startStewardWith(t, "-metrics-token", token)
	scrape := func(auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.base+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if status, _ := scrape("Bearer " + token[1:]); status != http.StatusNotFound {
		t.Errorf("a wrong token: status %d, want 404", status)
	}
	if status, body := scrape("Bearer " + token); status != http.StatusOK || !strings.Contains(body, "steward_http_requests_total") {
		t.Errorf("the token: status %d, want 200 with the request counts:\n%.300s", status, body)
	}
	if strings.Contains(srv.log.String(), token[1:]) {
		t.Error("the server's log holds the metrics token")
	}
}
