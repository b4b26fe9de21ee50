package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"steward/db"
)

// The notifier's due work at scale (issue #13 item 9): a webhook that
// subscribes to every event points at a receiver here, the first "Run now"
// finds and sends what the seeded inventory calls for, and then a few pages
// are loaded again while "Run now" runs over and over, to show that reads
// and writes stay as fast while the rules look for due work.

// dueWorkPages are the pages loaded while the due work runs: the home page
// (findings), the list and timeline the rules read and write, the audit
// log, and token creation (a write).
var dueWorkPages = []string{"/", "/tokens", "/tokens/:id/timeline", "/audit", "POST /tokens (create a token)"}

// dueWork is the receiver and the admin session that runs the due work.
type dueWork struct {
	b        browser
	received atomic.Int64
	srv      *http.Server
}

// startDueWork starts the receiver and adds the webhook to it.
func startDueWork(ctx context.Context, b browser) (*dueWork, error) {
	d := &dueWork{b: b}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = d.srv.Serve(ln) }()
	f, err := b.form(ctx, "/admin/notifications", func(action string) bool { return action == "/admin/notifications/webhooks" })
	if err != nil {
		d.close()
		return nil, err
	}
	f.values.Set("url", "http://"+ln.Addr().String()+"/hook")
	f.values.Set("format", db.WebhookJSON)
	f.values.Set("secret", randomSecret())
	f.values["events"] = db.NotificationEvents
	if err := b.post(ctx, f, http.StatusSeeOther); err != nil {
		d.close()
		return nil, fmt.Errorf("add the webhook: %w", err)
	}
	return d, nil
}

func (d *dueWork) close() { _ = d.srv.Close() }

// runOnce is one "Run now": every due job, then every due delivery.
func (d *dueWork) runOnce(ctx context.Context) (time.Duration, error) {
	f, err := d.b.form(ctx, "/admin/notifications", func(action string) bool { return action == "/admin/notifications/run" })
	if err != nil {
		return 0, err
	}
	start := time.Now()
	err = d.b.post(ctx, f, http.StatusSeeOther)
	return time.Since(start), err
}

// dueWorkStats is what the repeated runs did during one page's load.
type dueWorkStats struct {
	runs, failed int
	took         time.Duration
	firstErr     error
}

func (s dueWorkStats) String() string {
	out := fmt.Sprintf("%d runs of the due work", s.runs)
	if s.runs > 0 {
		out += fmt.Sprintf(" (%s each on average)", (s.took / time.Duration(s.runs)).Round(time.Millisecond))
	}
	if s.failed > 0 {
		out += fmt.Sprintf(", %d failed, first: %v", s.failed, s.firstErr)
	}
	return out
}

// start runs the due work back to back until the returned stop is called.
func (d *dueWork) start(ctx context.Context) (stop func() dueWorkStats) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var st dueWorkStats
	wg.Go(func() {
		for ctx.Err() == nil {
			took, err := d.runOnce(ctx)
			switch {
			case err == nil:
				st.runs++
				st.took += took
			case ctx.Err() == nil:
				st.failed++
				if st.firstErr == nil {
					st.firstErr = err
				}
			}
		}
	})
	return func() dueWorkStats {
		cancel()
		wg.Wait()
		return st
	}
}

// measureDueWork runs the due work once on its own and reports what it
// found and sent, then loads each of dueWorkPages again while it runs over
// and over, keeping the measures in results. Pages load in readSession;
// b (another session) runs the due work.
func measureDueWork(ctx context.Context, w io.Writer, cfg config, srv *server, b browser, readSession *session, results []result) error {
	var todo []int
	for i, r := range results {
		if slices.Contains(dueWorkPages, r.sc.name) {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	d, err := startDueWork(ctx, b)
	if err != nil {
		return err
	}
	defer d.close()
	took, err := d.runOnce(ctx)
	if err != nil {
		return fmt.Errorf("the first run of the due work: %w", err)
	}
	fmt.Fprintf(w, "\nDue work: the first \"Run now\" took %s and delivered %d webhook messages; the pages again while it runs back to back:\n",
		took.Round(time.Millisecond), d.received.Load())
	for _, i := range todo {
		r := &results[i]
		stop := d.start(ctx)
		m, err := runScenario(ctx, cfg, srv, readSession, r.sc, true)
		m.dueWork = stop()
		if err != nil {
			return fmt.Errorf("%s with due work: %w", r.sc.name, err)
		}
		r.due = &m
		fmt.Fprintf(w, "  %-52s %-12s %7.0f req/s  p50 %7s  p99 %7s  bare %7.0f req/s  ratio %.3f  errors %d  (load average %s)\n",
			r.sc.name, "with due work", m.steward.rps(), pms(m.steward, 50), pms(m.steward, 99), m.bare.rps(), m.ratio(), m.steward.errors, loadAverage())
		fmt.Fprintf(w, "  %-52s %-12s %s\n", "", "", m.dueWork)
	}
	return nil
}

// startReview starts an access review of the whole inventory, as a person
// would with /reviews/new, so that the review pages show a review of every
// role, token and system user; and issues the busiest reviewer's link,
// returning their page (/r/{secret}, public, so not in the route plan).
func startReview(ctx context.Context, b browser, recs *records) (page, error) {
	f, err := b.form(ctx, "/reviews/new", func(action string) bool { return action == "/reviews" })
	if err != nil {
		return page{}, fmt.Errorf("start a review: %w", err)
	}
	f.values.Set("name", "Benchmark review")
	f.values.Set("scope", "all")
	f.values["include"] = []string{"roles", "tokens", "system_users"}
	f.values.Set("due_on", time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02"))
	f.values.Set("repeat", "quarterly")
	if err := b.post(ctx, f, http.StatusSeeOther); err != nil {
		return page{}, fmt.Errorf("start a review: %w", err)
	}
	var review, reviewer int64
	err = recs.db.QueryRowContext(ctx, `SELECT review_id, reviewer_owner_id FROM review_items
		WHERE reviewer_owner_id IS NOT NULL GROUP BY 1, 2 ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&review, &reviewer)
	if err != nil {
		return page{}, fmt.Errorf("the busiest reviewer: %w", err)
	}
	reviewPath := fmt.Sprintf("/reviews/%d", review)
	issue := fmt.Sprintf("%s/links/%d", reviewPath, reviewer)
	if f, err = b.form(ctx, reviewPath, func(action string) bool { return action == issue }); err != nil {
		return page{}, fmt.Errorf("issue a reviewer's link: %w", err)
	}
	if err := b.post(ctx, f, http.StatusSeeOther); err != nil {
		return page{}, fmt.Errorf("issue a reviewer's link: %w", err)
	}
	body, err := get(ctx, b.base+reviewPath, b.sess)
	if err != nil {
		return page{}, err
	}
	link := regexp.MustCompile(`value="https?://[^/"]+(/r/[A-Za-z0-9_-]+)"`).FindSubmatch(body)
	if link == nil {
		return page{}, fmt.Errorf("%s shows no reviewer's link", reviewPath)
	}
	return page{name: "/r/:secret (the busiest reviewer's link)", route: "/r/:secret", url: string(link[1])}, nil
}
