//go:build linux

package main

// Fault tests: the real steward binary, built once for the run, on a real
// SQLite file, driven over loopback the way browsers drive it.
//
//   - SIGKILL while 16 clients write: every write a client saw acknowledged
//     (303) is there after a restart, with its audit event; the file passes
//     PRAGMA integrity_check and the audit chain verifies.
//   - A full disk (a small tmpfs filled with a ballast file): writes get a
//     clear "disk is full" page, nothing committed is lost, and the same
//     process writes again once the ballast is gone.
//   - 32 concurrent writers: no 5xx, and no "database is locked" anywhere.
//
// CI runs a trimmed version (3 kill rounds, 5 seconds of load). The full one
// (20 rounds, 30 seconds) runs with STEWARD_FAULTS_FULL=1: make test-faults.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"steward/db"
)

// faultsFullEnv turns on the full fault tests.
const faultsFullEnv = "STEWARD_FAULTS_FULL"

// requireFullDiskEnv=1 (set by .ci/run, which runs as root) makes the
// full-disk test fail instead of skipping when it cannot mount its tmpfs, so
// CI never passes without it. Elsewhere handlers' TestFullDiskAnswers507
// still covers the 507 answer without a mount.
const requireFullDiskEnv = "STEWARD_REQUIRE_FULL_DISK"

// faultPlan is how hard the fault tests push.
type faultPlan struct {
	killRounds int           // SIGKILL-and-restart rounds
	loadFor    time.Duration // how long the 32 writers run
}

// planFaults is CI's trimmed plan, or the full one when STEWARD_FAULTS_FULL=1.
func planFaults() faultPlan {
	if os.Getenv(faultsFullEnv) == "1" {
		return faultPlan{killRounds: 20, loadFor: 30 * time.Second}
	}
	return faultPlan{killRounds: 3, loadFor: 5 * time.Second}
}

// TestFaults runs the fault scenarios against one freshly built binary.
func TestFaults(t *testing.T) {
	plan := planFaults()
	if os.Getenv(faultsFullEnv) != "1" {
		t.Logf("trimmed run: %d kill rounds, %s of load; %s=1 (make test-faults) runs the full one",
			plan.killRounds, plan.loadFor, faultsFullEnv)
	}
	bin := buildSteward(t)
	t.Run("SIGKILL while 16 clients write", func(t *testing.T) { testKillWhileWriting(t, bin, plan.killRounds) })
	t.Run("full disk", func(t *testing.T) { testFullDisk(t, bin) })
	t.Run("32 concurrent writers", func(t *testing.T) { testConcurrentWriters(t, bin, plan.loadFor) })
}

// buildSteward builds ./cmd/web into the test's temp directory. A race
// test run builds a race binary, which reuses the packages already compiled.
func buildSteward(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "steward")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	out, err := exec.Command(goTool, append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build the steward binary: %v\n%s", err, out)
	}
	t.Logf("built %s in %s (race %v)", bin, time.Since(start).Round(time.Millisecond), raceEnabled)
	return bin
}

// stewardProc is the steward binary serving one database in a child process.
type stewardProc struct {
	base   string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{}
	err    error // how the process ended; read after exited is closed
}

// startProc starts the binary on dbPath with the first admin from the
// environment and waits until /healthz answers. The process is killed when
// the test ends, if it still runs.
func startProc(t *testing.T, bin, dbPath string) *stewardProc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-addr", addr, "-db", dbPath)
	cmd.Env = append(environWithout("STEWARD_"),
		"STEWARD_ADMIN_EMAIL="+adminEmail, "STEWARD_ADMIN_PASSWORD="+adminPassword)
	p := &stewardProc{base: "http://" + addr, cmd: cmd, log: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("log of the server at %s (last lines, and every warning or error):\n%s", p.base, logDigest(p.log.String()))
		}
	})

	waitHealthy(t, p.base, 30*time.Second, func() (bool, error) {
		if p.running() {
			return false, nil
		}
		return true, p.err
	}, p.log.String)
	return p
}

// signal sends sig unless the process has ended, then waits for it to end.
func (p *stewardProc) signal(sig os.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	<-p.exited
}

// running reports whether the process is still alive.
func (p *stewardProc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop shuts the server down gracefully and expects a clean exit.
func (p *stewardProc) stop(t *testing.T) {
	t.Helper()
	if !p.running() {
		t.Fatalf("server at %s had already exited: %v", p.base, p.err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("server at %s stopped with %v", p.base, p.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("server at %s did not stop within 20s of SIGTERM", p.base)
	}
}

// environWithout is this process's environment less the variables with
// prefix, so the developer's own STEWARD_DB and friends cannot leak in.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// logDigest keeps the last 40 lines of a server log plus every line at
// warning level or above, so a long load test's log stays readable.
func logDigest(log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	var b strings.Builder
	tail := max(0, len(lines)-40)
	for i, l := range lines {
		if i >= tail || strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// faultClient is one browser: its own cookie jar and session. It does not
// follow redirects, and it reports errors instead of failing the test, so
// writer goroutines can use it. Cookies ignore the port, so a client keeps
// its session when the server restarts on another port.
type faultClient struct {
	base string
	hc   *http.Client
}

func newFaultClient(base string) *faultClient {
	jar, _ := cookiejar.New(nil)
	return &faultClient{base: base, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// reply is what a request got back.
type reply struct {
	status   int
	location string
	body     string
}

func (c *faultClient) do(req *http.Request) (reply, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", req.Method, req.URL.Path, err)
	}
	return reply{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}, nil
}

func (c *faultClient) get(path string) (reply, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return reply{}, err
	}
	return c.do(req)
}

// post sends a form with the CSRF token the client's cookie holds.
func (c *faultClient) post(path string, form url.Values) (reply, error) {
	u, _ := url.Parse(c.base)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "steward_csrf" {
			form.Set("_csrf", ck.Value)
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// signIn fetches the sign-in page (for the CSRF cookie) and signs in as the
// first admin.
func (c *faultClient) signIn() error {
	if r, err := c.get("/login"); err != nil || r.status != http.StatusOK {
		return fmt.Errorf("GET /login: %d %v", r.status, err)
	}
	r, err := c.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if err != nil || r.status != http.StatusSeeOther || r.location != "/" {
		return fmt.Errorf("POST /login: %d to %q %v", r.status, r.location, err)
	}
	return nil
}

// signedInClients signs n clients in, four at a time: each sign-in hashes
// the password with argon2id, which takes memory.
func signedInClients(t *testing.T, base string, n int) []*faultClient {
	t.Helper()
	clients := make([]*faultClient, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range clients {
		clients[i] = newFaultClient(base)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = clients[i].signIn()
		})
	}
	start := time.Now()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("sign in %d clients: %v", n, err)
	}
	t.Logf("signed in %d clients in %s", n, time.Since(start).Round(time.Millisecond))
	return clients
}

// ack is a write the server acknowledged: a record of kind with a unique
// name, and its ID when the redirect named it.
type ack struct {
	kind string // owner, account or role
	name string
	id   int64
}

var recordPath = regexp.MustCompile(`^/(owners|accounts)/([0-9]+)$`)

// idFrom reads the new record's ID from a 303's Location.
func idFrom(location string) int64 {
	m := recordPath.FindStringSubmatch(location)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[2], 10, 64)
	return id
}

// createOwner posts the owner form and returns the acknowledged write.
func (c *faultClient) createOwner(name string) (ack, reply, error) {
	slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	r, err := c.post("/owners", url.Values{"name": {name}, "email": {slug + "@fault.test"}, "status": {"active"}})
	if err != nil || r.status != http.StatusSeeOther {
		return ack{}, r, err
	}
	a := ack{kind: "owner", name: name, id: idFrom(r.location)}
	if a.id == 0 {
		return ack{}, r, fmt.Errorf("POST /owners answered 303 to %q, not to the new owner", r.location)
	}
	return a, r, nil
}

// testKillWhileWriting kills the server with SIGKILL while 16 clients add
// owners, restarts it on the same file, and checks every acknowledged owner
// and its audit event survived; rounds times over.
func testKillWhileWriting(t *testing.T, bin string, rounds int) {
	start := time.Now()
	dbPath := filepath.Join(t.TempDir(), "steward.db")
	srv := startProc(t, bin, dbPath)
	clients := signedInClients(t, srv.base, 16)

	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var acked []ack
	for round := range rounds {
		// Kill after a random number of acknowledged writes, then a random
		// moment later, so the kill lands mid-transaction, mid-commit or
		// mid-response in different rounds.
		killAfter := 5 + rng.IntN(60)
		delay := time.Duration(rng.IntN(20)) * time.Millisecond
		got := writeUntilKilled(t, srv, clients, round, killAfter, delay)
		acked = append(acked, got...)

		srv = startProc(t, bin, dbPath)
		for _, c := range clients {
			c.base = srv.base
		}
		// The restarted server serves the last acknowledged owner to a
		// session that was signed in before the crash.
		last := got[len(got)-1]
		if r, err := clients[0].get(fmt.Sprintf("/owners/%d", last.id)); err != nil || r.status != http.StatusOK ||
			!strings.Contains(r.body, last.name) {
			t.Fatalf("round %d: after the restart GET /owners/%d: %d %v", round, last.id, r.status, err)
		}
		checkDatabase(t, bin, dbPath, acked, nil)
		if t.Failed() {
			t.Fatalf("round %d of %d failed", round+1, rounds)
		}
		t.Logf("round %d: killed after %d acknowledged writes (+%s); all %d so far survived",
			round+1, len(got), delay, len(acked))
	}
	srv.stop(t)
	t.Logf("%d rounds, %d acknowledged writes checked, in %s", rounds, len(acked), time.Since(start).Round(time.Millisecond))
}

// writeUntilKilled has every client add owners until killAfter writes are
// acknowledged, kills the server delay later, and returns what was
// acknowledged. Any answer but 303 before the kill fails the test.
func writeUntilKilled(t *testing.T, srv *stewardProc, clients []*faultClient, round, killAfter int, delay time.Duration) []ack {
	t.Helper()
	var (
		mu       sync.Mutex
		acked    []ack
		wrong    []string
		count    atomic.Int64
		enough   = make(chan struct{})
		signaled sync.Once
		wg       sync.WaitGroup
	)
	for ci, c := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				a, r, err := c.createOwner(fmt.Sprintf("Crash r%02d c%02d n%04d", round, ci, i))
				if err != nil {
					return // the server is gone: this write was not acknowledged
				}
				if r.status != http.StatusSeeOther {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("POST /owners: %d %.200q", r.status, r.body))
					mu.Unlock()
					signaled.Do(func() { close(enough) })
					return
				}
				mu.Lock()
				acked = append(acked, a)
				mu.Unlock()
				if count.Add(1) == int64(killAfter) {
					signaled.Do(func() { close(enough) })
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Errorf("round %d: only %d writes acknowledged in 60s", round, count.Load())
	}
	time.Sleep(delay)
	srv.signal(syscall.SIGKILL)
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("round %d: %d writes answered other than 303, first: %s", round, len(wrong), wrong[0])
	}
	if len(acked) == 0 {
		t.Fatalf("round %d: no write was acknowledged", round)
	}
	return acked
}

// recordTables maps a record kind to its table and the column the tests
// make unique.
var recordTables = map[string][2]string{
	"owner":   {"owners", "name"},
	"account": {"accounts", "name"},
	"role":    {"roles", "role"},
}

// checkDatabase opens the file and checks it: integrity_check is ok, every
// acknowledged record is there with exactly one "<kind>.created" event, no
// record of those kinds lacks its event, none of the refused names was
// written, and `steward audit verify` finds the chain intact.
func checkDatabase(t *testing.T, bin, dbPath string, acked []ack, refused []string) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, dbPath)
	if err != nil {
		t.Fatalf("open %s: %v", dbPath, err)
	}
	defer store.Close()
	if got, err := store.QueryString(ctx, "PRAGMA integrity_check"); err != nil || got != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, %v", got, err)
	}
	for kind, tc := range recordTables {
		table, col := tc[0], tc[1]
		// name -> id of every record, and id -> how many creation events.
		ids := map[string]int64{}
		jsonQuery(t, store, &ids, `SELECT json_group_object(`+col+`, id) FROM `+table)
		events := map[string]int{}
		jsonQuery(t, store, &events, `SELECT json_group_object(record_id, n) FROM
			(SELECT record_id, COUNT(*) AS n FROM audit_events WHERE action = ? AND record_kind = ? GROUP BY record_id)`,
			kind+".created", kind)
		missing := 0
		for _, a := range acked {
			if a.kind != kind {
				continue
			}
			id, ok := ids[a.name]
			switch {
			case !ok:
				missing++
				if missing <= 5 {
					t.Errorf("acknowledged %s %q is missing", kind, a.name)
				}
			case a.id != 0 && id != a.id:
				t.Errorf("acknowledged %s %q has id %d, the redirect said %d", kind, a.name, id, a.id)
			case events[strconv.FormatInt(id, 10)] != 1:
				t.Errorf("acknowledged %s %q (#%d) has %d %s.created events, want 1", kind, a.name, id, events[strconv.FormatInt(id, 10)], kind)
			}
		}
		if missing > 5 {
			t.Errorf("... %d acknowledged %ss missing in all", missing, kind)
		}
		orphans, err := store.QueryInt(ctx, `SELECT COUNT(*) FROM `+table+` r WHERE NOT EXISTS
			(SELECT 1 FROM audit_events e WHERE e.action = ? AND e.record_kind = ? AND e.record_id = r.id)`, kind+".created", kind)
		if err != nil || orphans != 0 {
			t.Errorf("%d %s without a %s.created event (%v)", orphans, table, kind, err)
		}
		for _, name := range refused {
			if _, ok := ids[name]; ok {
				t.Errorf("%s %q was written although the server refused it", kind, name)
			}
		}
	}
	out, err := exec.Command(bin, "audit", "verify", "-db", dbPath).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit chain intact") {
		t.Errorf("steward audit verify: %v\n%s", err, out)
	}
}

// jsonQuery runs a query returning one JSON value and decodes it into v.
func jsonQuery(t *testing.T, store *db.Store, v any, query string, args ...any) {
	t.Helper()
	s, err := store.QueryString(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%s: decode %q: %v", query, s, err)
	}
}

// testFullDisk puts the database on a 4 MiB tmpfs, fills the rest with a
// ballast file, and checks that writes fail with a clear page while reads
// and everything committed stay, then that the same process writes again
// once the ballast is deleted.
func testFullDisk(t *testing.T, bin string) {
	start := time.Now()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		if os.Getenv(requireFullDiskEnv) == "1" {
			t.Fatalf("cannot mount a 4 MiB tmpfs to fill (%v), and %s=1 requires this test", err, requireFullDiskEnv)
		}
		t.Skipf("cannot mount a 4 MiB tmpfs to fill (%v): the full-disk test needs root or CAP_SYS_ADMIN", err)
	}
	// Registered before the server starts, so it runs after the server is
	// stopped (cleanups run last in, first out).
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount the test tmpfs %s: %v", dir, err)
		}
	})
	dbPath := filepath.Join(dir, "steward.db")
	srv := startProc(t, bin, dbPath)
	c := newFaultClient(srv.base)
	if err := c.signIn(); err != nil {
		t.Fatal(err)
	}

	var acked []ack
	for i := range 10 {
		a, r, err := c.createOwner(fmt.Sprintf("Before full n%02d", i))
		if err != nil || r.status != http.StatusSeeOther {
			t.Fatalf("owner before the disk filled: %d %v", r.status, err)
		}
		acked = append(acked, a)
	}

	ballast := filepath.Join(dir, "ballast")
	fillDisk(t, ballast)

	// Reads go on: committed records are served from a full disk.
	for _, a := range acked[:3] {
		r, err := c.get(fmt.Sprintf("/owners/%d", a.id))
		if err != nil || r.status != http.StatusOK || !strings.Contains(r.body, a.name) {
			t.Fatalf("GET /owners/%d on a full disk: %d %v", a.id, r.status, err)
		}
	}

	// Writes are refused whole, with a page that says why. A write may still
	// fit in space SQLite already holds; it must then be kept like any other.
	var refused []string
	for i := 0; i < 40 && len(refused) < 3; i++ {
		name := fmt.Sprintf("While full n%02d", i)
		a, r, err := c.createOwner(name)
		switch {
		case err != nil:
			t.Fatalf("POST /owners on a full disk: %v", err)
		case r.status == http.StatusSeeOther:
			acked = append(acked, a)
		case r.status == http.StatusInsufficientStorage:
			expectDiskFullPage(t, "POST /owners", r)
			refused = append(refused, name)
		default:
			t.Fatalf("POST /owners on a full disk: status %d, want 507 with a clear page:\n%.2000s", r.status, r.body)
		}
	}
	if len(refused) == 0 {
		t.Fatalf("40 writes succeeded on a full disk: the ballast did not fill it")
	}
	r, err := c.post("/accounts", url.Values{"name": {"While full account"}, "platform": {"Meta"}})
	if err != nil || r.status != http.StatusInsufficientStorage {
		t.Fatalf("POST /accounts on a full disk: %d %v, want 507", r.status, err)
	}
	expectDiskFullPage(t, "POST /accounts", r)
	refused = append(refused, "While full account")
	if !strings.Contains(srv.log.String(), "database or disk is full") {
		t.Errorf("the server log does not name the full disk for the admin")
	}

	// Space comes back; the same process writes again, no restart.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		a, r, err := c.createOwner(fmt.Sprintf("After full n%02d", i))
		if err != nil || r.status != http.StatusSeeOther {
			t.Fatalf("owner %d after space came back: %d %v\n%.2000s", i, r.status, err, r.body)
		}
		acked = append(acked, a)
	}
	if !srv.running() {
		t.Fatalf("the server exited: %v", srv.err)
	}
	srv.stop(t)
	checkDatabase(t, bin, dbPath, acked, refused)
	t.Logf("%d writes refused while full, %d kept, in %s", len(refused), len(acked), time.Since(start).Round(time.Millisecond))
}

// fillDisk writes path until the file system has no byte left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{64 << 10, 4 << 10, 1} {
		buf := make([]byte, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill the disk: %v", err)
				}
				break
			}
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	if st.Bavail != 0 {
		t.Fatalf("the disk still has %d blocks free after the ballast", st.Bavail)
	}
}

// expectDiskFullPage checks a refused write's page says the disk is full,
// in words, with none of SQLite's or Go's.
func expectDiskFullPage(t *testing.T, what string, r reply) {
	t.Helper()
	if !strings.Contains(r.body, "The disk is full") || !strings.Contains(r.body, "Nothing of this change was saved") {
		t.Errorf("%s on a full disk: the page does not say the disk is full:\n%.2000s", what, r.body)
	}
	for _, leak := range []string{"sqlite", "SQLITE", "database or disk is full", "db:", "goroutine", ".go:"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("%s on a full disk: the page shows internal text %q", what, leak)
		}
	}
}

// testConcurrentWriters runs 32 signed-in clients adding owners, accounts
// and roles, with a list read between, for d; no request may fail with a
// 5xx and the log must not mention a locked database.
func testConcurrentWriters(t *testing.T, bin string, d time.Duration) {
	dbPath := filepath.Join(t.TempDir(), "steward.db")
	srv := startProc(t, bin, dbPath)
	clients := signedInClients(t, srv.base, 32)

	type tally struct {
		acked    []ack
		requests int
		writes   int
		problems []string
	}
	tallies := make([]tally, len(clients))
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w, c := range clients {
		tl := &tallies[w]
		wg.Go(func() {
			var ownerID, accountID int64
			for i := 0; time.Now().Before(deadline); i++ {
				var (
					r     reply
					err   error
					a     ack
					write = true
				)
				switch i % 4 {
				case 0:
					a, r, err = c.createOwner(fmt.Sprintf("Load w%02d n%05d", w, i))
					ownerID = a.id
				case 1:
					name := fmt.Sprintf("Load account w%02d n%05d", w, i)
					r, err = c.post("/accounts", url.Values{"name": {name}, "platform": {"Meta"}})
					if err == nil && r.status == http.StatusSeeOther {
						a = ack{kind: "account", name: name, id: idFrom(r.location)}
						accountID = a.id
					}
				case 2:
					name := fmt.Sprintf("Load role w%02d n%05d", w, i)
					r, err = c.post("/roles", url.Values{"account_id": {strconv.FormatInt(accountID, 10)},
						"owner_id": {strconv.FormatInt(ownerID, 10)}, "role": {name}})
					if err == nil && r.status == http.StatusSeeOther {
						a = ack{kind: "role", name: name}
					}
				case 3:
					write = false
					r, err = c.get(fmt.Sprintf("/owners?q=Load+w%02d", w))
				}
				tl.requests++
				switch {
				case err != nil:
					tl.problems = append(tl.problems, err.Error())
				case write && r.status != http.StatusSeeOther, !write && r.status != http.StatusOK:
					tl.problems = append(tl.problems, fmt.Sprintf("request %d: status %d: %.300q", i, r.status, r.body))
				case write:
					tl.writes++
					tl.acked = append(tl.acked, a)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var acked []ack
	var requests, writes int
	var problems []string
	for _, tl := range tallies {
		acked = append(acked, tl.acked...)
		requests += tl.requests
		writes += tl.writes
		problems = append(problems, tl.problems...)
	}
	t.Logf("32 writers for %s: %d requests, %d writes acknowledged (%.0f writes/s)",
		elapsed.Round(time.Millisecond), requests, writes, float64(writes)/elapsed.Seconds())
	if len(problems) > 0 {
		t.Errorf("%d of %d requests failed; the first ones:\n%s", len(problems), requests,
			strings.Join(problems[:min(5, len(problems))], "\n"))
	}
	if writes < 32 {
		t.Errorf("only %d writes in %s", writes, elapsed)
	}
	srv.stop(t)
	log := srv.log.String()
	for _, bad := range []string{"database is locked", "SQLITE_BUSY", "level=ERROR", "DATA RACE"} {
		if strings.Contains(log, bad) {
			t.Errorf("the server log contains %q", bad)
		}
	}
	if n := strings.Count(log, "status=5"); n > 0 {
		t.Errorf("the server log has %d responses with a 5xx status", n)
	}
	checkDatabase(t, bin, dbPath, acked, nil)
}
