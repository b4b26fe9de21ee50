// Command bench measures Steward at scale: it seeds a large database with
// `steward seed`, starts the real server on loopback, signs in and loads
// every page a viewer may GET, taken from the route table (pages.go), with
// records chosen by how many rows relate to them (records.go), each once
// alone and once while a client makes changes through the server
// (writer.go). Every page's captured response is then served from memory by
// a bare net/http handler and loaded the same way, so each result comes with
// the ratio to what this machine can serve at all. `make bench` runs it; see
// docs/benchmarks.md.
//
// It only ever connects to 127.0.0.1, each run stops after -duration or
// -max-requests, and it stops the server it started when it ends.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"steward/db"
	"steward/handlers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// config is what the flags say.
type config struct {
	steward     string
	from        string
	owners      int
	tokens      int
	events      int
	conns       int
	duration    time.Duration
	maxRequests int
	writes      int
	q           string
	pprofDir    string
	keep        bool
	only        *regexp.Regexp
}

// Targets, from issue 11: every page a viewer can GET, with and without
// background changes.
const (
	targetRatio     = 0.25
	targetP99       = 25 * time.Millisecond
	targetPeakBytes = 128 << 20
	targetWritesPS  = 300
)

func run(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	var cfg config
	var only string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.steward, "steward", "./steward", "the steward binary to run (make bench builds it)")
	fs.StringVar(&cfg.from, "from", "", "copy this already seeded database instead of seeding a new one")
	fs.IntVar(&cfg.owners, "owners", 10_000, "owners to seed")
	fs.IntVar(&cfg.tokens, "tokens", 100_000, "tokens to seed")
	fs.IntVar(&cfg.events, "events", 1_000_000, "audit events to seed")
	fs.IntVar(&cfg.conns, "conns", 16, "concurrent connections")
	fs.DurationVar(&cfg.duration, "duration", 2500*time.Millisecond,
		"how long each page loads Steward (and as long the bare handler), once without and once with background changes")
	fs.IntVar(&cfg.maxRequests, "max-requests", 1_000_000, "most requests to Steward in one run")
	fs.IntVar(&cfg.writes, "writes", 10, "background changes per second in the second run of each page")
	fs.StringVar(&cfg.q, "q", "a", "the search term of the searched variants")
	fs.StringVar(&cfg.pprofDir, "pprof", "", "write a CPU profile of the server per page and run, and a heap profile, into this directory")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory (database, server log)")
	fs.StringVar(&only, "only", "", "run only the pages whose names match this regular expression")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if cfg.conns < 1 || cfg.duration <= 0 || cfg.maxRequests < 1 || cfg.writes < 1 {
		return 2, errors.New("-conns, -duration, -max-requests and -writes must be positive")
	}
	var err error
	if cfg.only, err = regexp.Compile(only); err != nil {
		return 2, fmt.Errorf("-only: %w", err)
	}
	steward, err := filepath.Abs(cfg.steward)
	if err != nil {
		return 2, err
	}
	dir, err := os.MkdirTemp("", "steward-bench-")
	if err != nil {
		return 2, err
	}
	if cfg.keep {
		fmt.Fprintln(stdout, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	dbPath := filepath.Join(dir, "steward.db")

	fmt.Fprintf(stdout, "# Steward benchmark, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(stdout, "Machine: %d CPUs (%s), %s, %s/%s, load average %s\n", runtime.NumCPU(), cpuModel(), runtime.Version(),
		runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Fprintf(stdout, "Load: %d connections; per page and run %s or %d requests on Steward, whichever comes first, then as long on a bare\n"+
		"net/http handler serving the same response from memory, in %d alternating rounds; each page runs once alone and once\n"+
		"while a client makes %d changes a second\n\n", cfg.conns, cfg.duration, cfg.maxRequests, rounds, cfg.writes)

	if cfg.from != "" {
		// The audit key beside the database comes along: without it the
		// copy does not open.
		for _, f := range [][2]string{{cfg.from, dbPath}, {db.AuditKeyFile(cfg.from), db.AuditKeyFile(dbPath)}} {
			if err := copyFile(f[0], f[1]); err != nil {
				return 2, err
			}
		}
		fmt.Fprintf(stdout, "Database: copied from %s\n", cfg.from)
	} else {
		start := time.Now()
		out, err := exec.CommandContext(ctx, steward, "seed", "-db", dbPath, "-owners", strconv.Itoa(cfg.owners),
			"-tokens", strconv.Itoa(cfg.tokens), "-events", strconv.Itoa(cfg.events)).CombinedOutput()
		if err != nil {
			return 2, fmt.Errorf("seed: %w\n%s", err, out)
		}
		fmt.Fprintf(stdout, "Seed: %s(wall time %s)\n", out, time.Since(start).Round(100*time.Millisecond))
	}

	routes, err := routeTable(ctx, dbPath)
	if err != nil {
		return 2, err
	}
	apiKey, err := readAPIKey(ctx, dbPath)
	if err != nil {
		return 2, err
	}
	recs, err := openRecords(dbPath)
	if err != nil {
		return 2, err
	}
	defer recs.Close()
	start := time.Now()
	tables, err := recs.tables(ctx)
	if err != nil {
		return 2, err
	}
	audit, err := recs.auditValues(ctx)
	if err != nil {
		return 2, err
	}
	pl, err := planPages(routes, tables, variantValues{q: cfg.q, audit: audit})
	if err != nil {
		return 2, err
	}
	var tokenForm [2]int64 // an active account and owner
	for i, table := range []string{"accounts", "owners"} {
		if tokenForm[i], err = recs.activeID(ctx, table); err != nil {
			return 2, fmt.Errorf("an active row of %s: %w", table, err)
		}
	}

	srv, err := startServer(ctx, steward, dbPath, dir, cfg.pprofDir != "")
	if err != nil {
		return 2, err
	}
	defer srv.stop()
	fmt.Fprintf(stdout, "Server: pid %d on %s, log in %s\n\n", srv.cmd.Process.Pid, srv.base, srv.logPath)

	readSession, err := signIn(ctx, srv.base, srv.email, srv.password)
	if err != nil {
		return 2, err
	}
	readSession.apiKey = apiKey
	// Changes sign in separately: each leaves a flash message in its
	// session, which the pages should not carry around.
	writeSession, err := signIn(ctx, srv.base, srv.email, srv.password)
	if err != nil {
		return 2, err
	}
	changer := browser{base: srv.base, sess: writeSession, client: loadClient(cfg.conns)}
	started, err := startChecklists(ctx, changer, routes, recs)
	if err != nil {
		return 2, err
	}
	reviewerPage, err := startReview(ctx, changer, recs)
	if err != nil {
		return 2, err
	}
	pages, err := resolve(ctx, srv.base, readSession, pl.pages, tables, recs, cfg.only)
	if err != nil {
		return 2, err
	}
	if cfg.only.MatchString(reviewerPage.name) {
		pages = append(pages, reviewerPage)
	}
	newToken := tokenRequest(writeSession, tokenForm[0], tokenForm[1])
	w, err := newWriter(ctx, changer, routes, recs, newToken, started)
	if err != nil {
		return 2, err
	}
	printPlan(stdout, pl, pages, w, time.Since(start))

	scenarios := make([]scenario, 0, len(pages)+1)
	for _, p := range pages {
		scenarios = append(scenarios, scenario{name: p.name, path: p.url})
	}
	if create := "POST /tokens (create a token)"; cfg.only.MatchString(create) {
		scenarios = append(scenarios, scenario{name: create, path: "/tokens", write: newToken})
	}
	if len(scenarios) == 0 {
		return 2, fmt.Errorf("no page matches -only %q", only)
	}
	var results []result
	for _, sc := range scenarios {
		r := result{sc: sc}
		for _, busy := range []bool{false, true} {
			if ctx.Err() != nil {
				return 2, ctx.Err()
			}
			sess := readSession
			if sc.write != nil {
				sess = writeSession
			}
			var stop func() writerStats
			if busy {
				stop = w.start(ctx, cfg.writes)
			}
			m, err := runScenario(ctx, cfg, srv, sess, sc, busy)
			if stop != nil {
				m.changes = stop()
			}
			if err != nil {
				return 2, fmt.Errorf("%s: %w", sc.name, err)
			}
			label := "alone"
			if busy {
				label = "with changes"
				r.busy = m
			} else {
				r.alone = m
			}
			fmt.Fprintf(stdout, "  %-52s %-12s %7.0f req/s  p50 %7s  p99 %7s  bare %7.0f req/s  ratio %.3f  errors %d  (load average %s)\n",
				sc.name, label, m.steward.rps(), pms(m.steward, 50), pms(m.steward, 99), m.bare.rps(), m.ratio(), m.steward.errors, loadAverage())
			if busy {
				fmt.Fprintf(stdout, "  %-52s %-12s %s\n", "", "", m.changes)
			}
		}
		results = append(results, r)
	}
	if err := measureDueWork(ctx, stdout, cfg, srv, changer, readSession, results); err != nil {
		return 2, err
	}
	if cfg.pprofDir != "" {
		if err := srv.saveProfile(ctx, "heap", "", filepath.Join(cfg.pprofDir, "heap.pprof")); err != nil {
			fmt.Fprintln(stdout, "heap profile:", err)
		}
	}
	peak, err := srv.peakMemory()
	if err != nil {
		return 2, err
	}
	return report(stdout, results, peak), nil
}

// routeTable is Steward's route table, as handlers.New builds it.
func routeTable(ctx context.Context, dbPath string) ([]handlers.Route, error) {
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	_, routes := handlers.New(store, slog.New(slog.DiscardHandler), handlers.Config{SessionKey: []byte(randomSecret())})
	return routes, nil
}

// readAPIKey makes the read key the benchmark's scripts load the API with,
// and a disabled webhook, so the webhook's page has one to show (disabled,
// it receives nothing: the due-work phase measures deliveries with its own).
func readAPIKey(ctx context.Context, dbPath string) (string, error) {
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		return "", err
	}
	defer store.Close()
	actor := db.SystemActor("bench")
	id, err := store.CreateWebhook(ctx, actor, db.WebhookInput{URL: "https://hooks.example/steward", Format: db.WebhookJSON,
		Secret: randomSecret(), Events: db.NotificationEvents})
	if err != nil {
		return "", fmt.Errorf("add a webhook: %w", err)
	}
	if err := store.SetWebhookDisabled(ctx, actor, id, true); err != nil {
		return "", err
	}
	_, key, err := store.CreateAPIKey(ctx, actor, db.APIKeyInput{Name: "bench", Scope: "read"})
	return key, err
}

// startChecklists starts the checklist of the busiest record of each kind
// that has one, as a person would with the checklist page's form, and
// returns those pages: the started checklists are benchmarked, and the
// background changes tick their items.
func startChecklists(ctx context.Context, b browser, routes []handlers.Route, recs *records) ([]string, error) {
	var out []string
	for _, r := range routes {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/:id/checklist") {
			continue
		}
		tables, err := idTables(r.Path, nil)
		if err != nil {
			return nil, err
		}
		ids, err := recs.busiest(ctx, tables[0])
		if err != nil {
			return nil, err
		}
		url := fillIDs(r.Path, ids[:1])
		f, err := b.form(ctx, url, func(action string) bool { return action == url })
		if err != nil {
			return nil, fmt.Errorf("start a checklist: %w", err)
		}
		if err := b.post(ctx, f, http.StatusSeeOther); err != nil {
			return nil, fmt.Errorf("start a checklist: %w", err)
		}
		out = append(out, url)
	}
	return out, nil
}

// resolve fills each chosen page's IDs with its records and reads the
// queries of variants that come from the plain page.
func resolve(ctx context.Context, base string, sess *session, pages []page, tables []string, recs *records, only *regexp.Regexp) ([]page, error) {
	var out []page
	for _, p := range pages {
		if !only.MatchString(p.name) {
			continue
		}
		from, err := idTables(p.route, tables)
		if err != nil {
			return nil, err
		}
		var ids []int64
		for _, t := range from {
			ranked, err := recs.busiest(ctx, t)
			if err != nil {
				return nil, err
			}
			if p.rank >= len(ranked) {
				return nil, fmt.Errorf("%s: no record %d of %s", p.name, p.rank+1, t)
			}
			ids = append(ids, ranked[p.rank])
		}
		path := fillIDs(p.route, ids)
		query := p.query
		if p.fromPlain != nil {
			body, err := get(ctx, base+path, sess)
			if err != nil {
				return nil, err
			}
			if query, err = p.fromPlain(body); err != nil {
				return nil, fmt.Errorf("%s: %w", p.name, err)
			}
		}
		p.url = path
		if query != "" {
			p.url += "?" + query
		}
		out = append(out, p)
	}
	return out, nil
}

// printPlan lists the skipped routes by rule, the pages and their URLs and
// the background changes.
func printPlan(w io.Writer, pl plan, pages []page, wr *writer, took time.Duration) {
	fmt.Fprintln(w, "Routes that are not pages, by rule:")
	for _, rule := range skipRules {
		fmt.Fprintf(w, "  %s: %d\n", rule.why, len(pl.skipped[rule.why]))
	}
	fmt.Fprintf(w, "\nPages (%d of %d; records chosen and checklists started in %s):\n", len(pages), len(pl.pages), took.Round(100*time.Millisecond))
	for _, p := range pages {
		fmt.Fprintf(w, "  %-52s %s\n", p.name, p.url)
	}
	fmt.Fprint(w, "\nBackground changes, in turn:")
	for i, c := range wr.changes {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(w, "%s %s", sep, c.name)
	}
	fmt.Fprint(w, "\n\n")
}

// get loads a page in a session and checks it answers 200.
func get(ctx context.Context, u string, sess *session) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	sess.authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return body, err
}

// scenario is one page, or the token form, to load.
type scenario struct {
	name string
	path string
	// write, when set, makes each request: a post instead of loading path.
	write func(base string, n int64) *http.Request
}

// runs holds one load run's latencies and counts.
type runs struct {
	latencies []time.Duration
	errors    int
	elapsed   time.Duration
}

func (r runs) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.latencies)) / r.elapsed.Seconds()
}

// p is the q-th percentile latency; latencies are sorted.
func (r runs) p(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * q / 100)
	return r.latencies[i]
}

// measure is one run of a scenario: Steward's and the bare handler's
// loads, the response's size and the background changes made meanwhile.
type measure struct {
	steward, bare runs
	bytes         int
	changes       writerStats
	dueWork       dueWorkStats
}

func (m measure) ratio() float64 {
	if m.bare.rps() == 0 {
		return 0
	}
	return m.steward.rps() / m.bare.rps()
}

// result is a scenario run alone and while changes are made.
type result struct {
	sc          scenario
	alone, busy measure
	// due is the run while the notifier's due work runs, for the pages of
	// dueWorkPages (nil for the others).
	due *measure
}

// runScenario captures the scenario's response, loads Steward with it, then
// loads a bare handler serving the captured bytes.
func runScenario(ctx context.Context, cfg config, srv *server, sess *session, sc scenario, busy bool) (measure, error) {
	var res measure
	client := loadClient(cfg.conns)
	defer client.CloseIdleConnections()

	var seq atomic.Int64
	newRequest := func(base string) *http.Request {
		if sc.write != nil {
			return sc.write(base, seq.Add(1))
		}
		req, _ := http.NewRequest(http.MethodGet, base+sc.path, nil)
		sess.authorize(req)
		return req
	}
	wantStatus := http.StatusOK
	if sc.write != nil {
		wantStatus = http.StatusSeeOther
	}

	// Capture what the page answers, and check it is what we mean to load.
	resp, err := client.Do(newRequest(srv.base).WithContext(ctx))
	if err != nil {
		return res, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return res, err
	}
	if resp.StatusCode != wantStatus {
		return res, fmt.Errorf("%s: status %d, want %d:\n%.400s", sc.path, resp.StatusCode, wantStatus, body)
	}
	if sc.write == nil && !strings.Contains(string(body), "<html") && !strings.HasPrefix(sc.path, "/api/") {
		return res, fmt.Errorf("%s did not answer a page", sc.path)
	}
	res.bytes = len(body)
	header := resp.Header.Clone()

	profile := make(chan error, 1)
	if cfg.pprofDir != "" {
		name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(sc.name), "-"), "-")
		if busy {
			name += "-with-changes"
		}
		go func() {
			secs := max(1, int(2*cfg.duration.Seconds())-1) // Steward's and the bare handler's turns
			profile <- srv.saveProfile(ctx, "profile", fmt.Sprintf("seconds=%d", secs), filepath.Join(cfg.pprofDir, name+".cpu.pprof"))
		}()
	} else {
		profile <- nil
	}
	// The same bytes from memory, through the same client settings. Steward
	// and the bare handler take turns in short rounds, so that whatever
	// else the machine is doing weighs on both alike.
	bare, err := startBare(body, header, resp.StatusCode)
	if err != nil {
		return res, err
	}
	defer bare.Close()
	round := cfg
	round.duration = cfg.duration / rounds
	round.maxRequests = max(1, cfg.maxRequests/rounds)
	for range rounds {
		res.steward.add(load(ctx, client, round, func() *http.Request { return newRequest(srv.base) }, wantStatus))
		client.CloseIdleConnections()
		res.bare.add(load(ctx, client, round, func() *http.Request { return newRequest(bare.URL) }, wantStatus))
		client.CloseIdleConnections()
	}
	slices.Sort(res.steward.latencies)
	slices.Sort(res.bare.latencies)
	if err := <-profile; err != nil {
		return res, fmt.Errorf("profile: %w", err)
	}
	return res, nil
}

// rounds is how many turns Steward and the bare handler take per scenario.
const rounds = 5

// add merges another run's results into r.
func (r *runs) add(o runs) {
	r.latencies = append(r.latencies, o.latencies...)
	r.errors += o.errors
	r.elapsed += o.elapsed
}

// loadClient is an HTTP client with one kept-alive connection per worker,
// no compression (both servers send the same identity bytes) and no
// redirects followed.
func loadClient(conns int) *http.Client {
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// load runs cfg.conns workers that send requests back to back until the
// duration passes or the request budget is spent.
func load(ctx context.Context, client *http.Client, cfg config, newRequest func() *http.Request, wantStatus int) runs {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		budget atomic.Int64
		mu     sync.Mutex
		all    runs
		wg     sync.WaitGroup
	)
	budget.Store(int64(cfg.maxRequests))
	start := time.Now()
	for range cfg.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			errs := 0
			for ctx.Err() == nil && budget.Add(-1) >= 0 {
				req := newRequest().WithContext(ctx)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs++
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil && ctx.Err() != nil {
					continue // cut off by the end of the run
				}
				lat = append(lat, time.Since(t0))
				if err != nil || resp.StatusCode != wantStatus {
					errs++
				}
			}
			mu.Lock()
			all.latencies = append(all.latencies, lat...)
			all.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	return all
}

// startBare serves body with the captured headers and status from memory.
func startBare(body []byte, header http.Header, status int) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_ = r.ParseForm() // read the body, as any form handler must
		}
		for k, v := range header {
			if k != "Date" && k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	return &bareServer{srv: s, URL: "http://" + ln.Addr().String()}, nil
}

type bareServer struct {
	srv *http.Server
	URL string
}

func (b *bareServer) Close() { _ = b.srv.Close() }

// tokenRequest makes the token form's posts: each a new token on the
// given account and responsible owner, with a fresh secret.
func tokenRequest(sess *session, account, owner int64) func(base string, n int64) *http.Request {
	return func(base string, n int64) *http.Request {
		today := time.Now().UTC()
		form := url.Values{
			"_csrf": {sess.csrf}, "name": {fmt.Sprintf("Bench token %d", n)}, "kind": {"api_key"},
			"account_id": {strconv.FormatInt(account, 10)}, "responsible_owner_id": {strconv.FormatInt(owner, 10)},
			"issued_on": {today.Format(time.DateOnly)}, "expires_on": {today.AddDate(0, 0, 90).Format(time.DateOnly)},
			"scopes": {"read"}, "stored_in": {"bench"}, "status": {"active"}, "secret": {randomSecret()},
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/tokens", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", sess.cookies)
		req.Header.Set("Origin", base)
		return req
	}
}

// server is the steward process under test.
type server struct {
	cmd             *exec.Cmd
	base            string
	pprofBase       string
	logPath         string
	email, password string
	done            chan error
}

// startServer runs `steward` on a free loopback port with a first admin
// from the environment (STEWARD_ADMIN_EMAIL and _PASSWORD, or made up).
func startServer(ctx context.Context, steward, dbPath, dir string, pprof bool) (*server, error) {
	s := &server{email: os.Getenv("STEWARD_ADMIN_EMAIL"), password: os.Getenv("STEWARD_ADMIN_PASSWORD"), done: make(chan error, 1)}
	if s.email == "" || s.password == "" {
		s.email, s.password = "bench@example.com", randomSecret()
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	s.base = "http://" + addr
	env := append(os.Environ(), "STEWARD_ADMIN_EMAIL="+s.email, "STEWARD_ADMIN_PASSWORD="+s.password)
	if pprof {
		paddr, err := freePort()
		if err != nil {
			return nil, err
		}
		s.pprofBase = "http://" + paddr
		env = append(env, "STEWARD_PPROF_ADDR="+paddr)
	}
	s.logPath = filepath.Join(dir, "server.log")
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	// The API key's rate limit would turn the load into 429s: lifted here.
	s.cmd = exec.Command(steward, "-addr", addr, "-db", dbPath, "-api-key-rate", "1000000")
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait(); logFile.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("steward exited early (%v); see %s", err, s.logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("steward did not answer /healthz within 30 s; see %s", s.logPath)
		}
	}
}

// stop asks the server to shut down, and kills it if it does not.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// peakMemory is the server's peak resident set size (VmHWM), in bytes.
func (s *server) peakMemory() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read the server's peak memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// saveProfile fetches one profile from the server's pprof listener.
func (s *server) saveProfile(ctx context.Context, name, query, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.pprofBase+"/debug/pprof/"+name+"?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof %s: status %d", name, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// session is a signed-in browser: its cookies as one header, and the CSRF
// token its forms carry.
type session struct {
	cookies string
	csrf    string
	apiKey  string // a read key, for the API's pages
}

// authorize makes req the session's: its cookies, or for the JSON API its key.
func (s *session) authorize(req *http.Request) {
	if strings.HasPrefix(req.URL.Path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+s.apiKey)
		return
	}
	req.Header.Set("Cookie", s.cookies)
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// signIn signs in like a browser: the form's CSRF token, then the post.
func signIn(ctx context.Context, base, email, password string) (*session, error) {
	jar := map[string]string{}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) (*http.Response, []byte, error) {
		var parts []string
		for k, v := range jar {
			parts = append(parts, k+"="+v)
		}
		slices.Sort(parts)
		req.Header.Set("Cookie", strings.Join(parts, "; "))
		resp, err := client.Do(req.WithContext(ctx))
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		for _, c := range resp.Cookies() {
			jar[c.Name] = c.Value
		}
		return resp, body, err
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/login", nil)
	_, body, err := do(req)
	if err != nil {
		return nil, err
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("no CSRF token on /login")
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
	req, _ = http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, body, err := do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in as %s: status %d:\n%.400s", email, resp.StatusCode, body)
	}
	// The CSRF token changes at sign-in; read it from a page.
	req, _ = http.NewRequest(http.MethodGet, base+"/tokens/new", nil)
	resp, body, err = do(req)
	if err != nil {
		return nil, err
	}
	m = csrfMeta.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, fmt.Errorf("after sign-in, /tokens/new answered %d without a CSRF token", resp.StatusCode)
	}
	var parts []string
	for k, v := range jar {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return &session{cookies: strings.Join(parts, "; "), csrf: string(m[1])}, nil
}

// report prints one Markdown table, each page alone and while changes are
// made, with its verdict, and returns 1 when any target is missed.
func report(w io.Writer, results []result, peak int64) int {
	missed := 0
	fmt.Fprintf(w, "\nTargets: each page in both runs at least %.2f of the bare handler and p99 under %s; token creation %d/s or more\n"+
		"and p99 under %s; no errors (failed requests, or failed background changes during the page's run).\n\n",
		targetRatio, ms(targetP99), targetWritesPS, ms(targetP99))
	fmt.Fprintln(w, "| page | bytes | req/s | p50 | p99 | bare req/s | ratio | changing: req/s | p50 | p99 | bare req/s | ratio | errors | met |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range results {
		missed += reportRow(w, r.sc, r.alone, r.busy)
	}
	if slices.ContainsFunc(results, func(r result) bool { return r.due != nil }) {
		fmt.Fprintln(w, "\nWhile the notifier's due work runs back to back (the same page alone, then with it):")
		fmt.Fprintln(w, "\n| page | bytes | req/s | p50 | p99 | bare req/s | ratio | due work: req/s | p50 | p99 | bare req/s | ratio | errors | met |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
		for _, r := range results {
			if r.due != nil {
				missed += reportRow(w, r.sc, r.alone, *r.due)
			}
		}
	}
	verdict := "yes"
	if peak >= targetPeakBytes {
		verdict, missed = "**no**", missed+1
	}
	fmt.Fprintf(w, "\nServer peak memory (VmHWM): %.1f MiB (target < %d MiB: %s)\n", float64(peak)/(1<<20), targetPeakBytes>>20, verdict)
	if missed > 0 {
		fmt.Fprintf(w, "\n%d target(s) missed.\n", missed)
		return 1
	}
	fmt.Fprintln(w, "\nEvery target met.")
	return 0
}

// reportRow prints a page's row of two runs with its verdict, and returns 1
// when it misses a target.
func reportRow(w io.Writer, sc scenario, a, b measure) int {
	ok, errs := true, 0
	for _, m := range []measure{a, b} {
		errs += m.steward.errors + int(m.changes.failed) + m.dueWork.failed
		if sc.write != nil {
			ok = ok && m.steward.rps() >= targetWritesPS
		} else {
			ok = ok && m.ratio() >= targetRatio
		}
		ok = ok && len(m.steward.latencies) > 0 && m.steward.p(99) < targetP99
	}
	verdict, missed := "yes", 0
	if !ok || errs > 0 {
		verdict, missed = "**no**", 1
	}
	fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %.0f | %.3f | %.0f | %s | %s | %.0f | %.3f | %d | %s |\n", sc.name, a.bytes,
		a.steward.rps(), pms(a.steward, 50), pms(a.steward, 99), a.bare.rps(), a.ratio(),
		b.steward.rps(), pms(b.steward, 50), pms(b.steward, 99), b.bare.rps(), b.ratio(), errs, verdict)
	return missed
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// pms is a run's q-th percentile latency, or "—" when no request finished.
func pms(r runs, q float64) string {
	if len(r.latencies) == 0 {
		return "—"
	}
	return ms(r.p(q))
}

// cpuModel reads the CPU's name from /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage is the machine's one-minute load average: above the number
// of CPUs, something else was running and the numbers are less reliable.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	one, _, _ := strings.Cut(string(b), " ")
	return one
}

// freePort finds a free port on the loopback interface.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b) // nothing of the email in it: passwords may not contain it
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
