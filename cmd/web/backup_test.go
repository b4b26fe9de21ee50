package main

// `steward backup FILE` while the real server runs and people keep adding
// owners through it: each backup is whole, holds every owner committed
// before it started, and `steward audit verify` passes on it.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"steward/db"
)

func TestBackupCommandWhileServing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "steward.db")
	srv := startStewardWith(t, "-db", dbPath)
	h := newSecretClient(t, srv.base)
	if status, _ := h.get("/login"); status != http.StatusOK {
		t.Fatalf("GET /login: %d", status)
	}
	if status, loc, _ := h.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign in: %d %q", status, loc)
	}
	u, _ := url.Parse(srv.base)
	var csrf string
	for _, c := range h.hc.Jar.Cookies(u) {
		if c.Name == "steward_csrf" {
			csrf = c.Value
		}
	}

	var (
		mu        sync.Mutex
		committed []string // owners whose POST answered 303
		stop      = make(chan struct{})
		writers   sync.WaitGroup
		failures  = make(chan error, 2)
	)
	snapshot := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), committed...)
	}
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("Writer %d person %d", w, i)
				form := url.Values{"_csrf": {csrf}, "name": {name}, "status": {"active"}}
				req, _ := http.NewRequest(http.MethodPost, srv.base+"/owners", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := h.hc.Do(req)
				if err != nil {
					failures <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					failures <- fmt.Errorf("POST /owners: status %d", resp.StatusCode)
					return
				}
				mu.Lock()
				committed = append(committed, name)
				mu.Unlock()
			}
		}()
	}
	wait := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for len(snapshot()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d owners written in 20s, want %d", len(snapshot()), n)
			}
			select {
			case err := <-failures:
				t.Fatalf("a writer failed: %v", err)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}

	type backup struct {
		path   string
		before []string
	}
	var backups []backup
	for i := range 3 {
		wait(20 * (i + 1))
		b := backup{path: filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)), before: snapshot()}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"steward", "backup", "-db", dbPath, b.path},
			func(string) string { return "" }, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("steward backup: %v (%s)", err, out.String())
		}
		backups = append(backups, b)
	}
	wait(len(snapshot()) + 10) // writes went on after the last backup
	close(stop)
	writers.Wait()
	select {
	case err := <-failures:
		t.Fatalf("a writer failed: %v", err)
	default:
	}

	for i, b := range backups {
		// The backup is private to its owner.
		if info, err := os.Stat(b.path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("backup %d: mode %v (%v), want 0600", i, info.Mode().Perm(), err)
		}
		// Verify a copy, as the verification is recorded in the file, with
		// the audit key, which the backup does not hold.
		cp := filepath.Join(t.TempDir(), "copy.db")
		copyTo(t, b.path, cp)
		if out, err := verify(t, cp, "-audit-key-file", db.AuditKeyFile(dbPath)); err != nil || !strings.Contains(out, "audit chain intact") {
			t.Errorf("backup %d: steward audit verify: %v (%s)", i, err, out)
		}
		copyTo(t, db.AuditKeyFile(dbPath), db.AuditKeyFile(cp)) // restored beside it, as README says
		store, err := db.Open(context.Background(), cp)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if got, _ := store.QueryString(context.Background(), "PRAGMA integrity_check"); got != "ok" {
			t.Errorf("backup %d: integrity_check = %q", i, got)
		}
		for _, name := range b.before {
			if n, _ := store.QueryInt(context.Background(), "SELECT COUNT(*) FROM owners WHERE name = ?", name); n != 1 {
				t.Errorf("backup %d lacks %q, committed before it started", i, name)
				break
			}
		}
		store.Close()
	}
}

// copyTo copies a file byte for byte.
func copyTo(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
