package db_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"steward/db"
)

// committedLog is the IDs of owners whose CreateOwner has returned.
type committedLog struct {
	mu  sync.Mutex
	ids []int64
}

func (l *committedLog) add(id int64) {
	l.mu.Lock()
	l.ids = append(l.ids, id)
	l.mu.Unlock()
}

func (l *committedLog) snapshot() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.ids...)
}

// TestBackupUnderConcurrentWrites backs up several times while writers keep
// creating owners on the same store, then checks each backup: it passes
// integrity_check, holds every owner committed before it started, and its
// audit chain verifies. Then it restores the last one (stop, replace the
// file, start) and checks the same of the restored database.
func TestBackupUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "steward.db")
	s, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	// Some 30 MB of filler, so each backup takes long enough for writes to
	// land while it runs.
	if err := s.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
		INSERT INTO settings (key, value) SELECT 'filler-' || i, hex(randomblob(5000)) FROM n`); err != nil {
		t.Fatal(err)
	}

	var committed committedLog
	stop := make(chan struct{})
	var writers sync.WaitGroup
	writeErr := make(chan error, 4)
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: fmt.Sprintf("Writer %d owner %d", w, i),
					Email: fmt.Sprintf("w%d-%d@example.com", w, i), Notes: "written during a backup"})
				if err != nil {
					writeErr <- err
					return
				}
				committed.add(id)
			}
		}()
	}
	waitFor(t, func() bool { return len(committed.snapshot()) >= 50 })

	type backup struct {
		path   string
		before []int64
	}
	var backups []backup
	during := 0 // owners committed while a backup ran
	for i := range 3 {
		b := backup{path: filepath.Join(dir, fmt.Sprintf("backup-%d.db", i)), before: committed.snapshot()}
		if err := s.Backup(ctx, b.path); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		during += len(committed.snapshot()) - len(b.before)
		backups = append(backups, b)
		n := len(committed.snapshot())
		waitFor(t, func() bool { return len(committed.snapshot()) >= n+20 }) // writes went on during and after
	}
	close(stop)
	writers.Wait()
	close(writeErr)
	for err := range writeErr {
		t.Fatalf("a writer failed during the backups: %v", err)
	}
	if during == 0 {
		t.Error("no owner was committed while a backup ran: the test did not exercise concurrent writes")
	}
	t.Logf("%d owners committed while backups ran", during)
	total := len(committed.snapshot())
	if total < 110 {
		t.Fatalf("only %d owners written: the writers did not run alongside the backups", total)
	}

	for i, b := range backups {
		if _, err := os.Stat(b.path + ".partial"); !os.IsNotExist(err) {
			t.Errorf("backup %d left its .partial file behind (%v)", i, err)
		}
		checkBackup(t, fmt.Sprintf("backup %d", i), b.path, db.AuditKeyFile(path), b.before)
	}

	// Restore the last backup: stop, replace the file, start.
	last := backups[len(backups)-1]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	copyFile(t, last.path, path)
	s, err = db.Open(ctx, path)
	if err != nil {
		t.Fatalf("start on the restored file: %v", err)
	}
	restored := count(t, s, "SELECT COUNT(*) FROM owners")
	if restored < int64(len(last.before)) || restored >= int64(total) {
		t.Errorf("restored %d owners; want at least the %d committed before the backup and fewer than the %d written in all",
			restored, len(last.before), total)
	}
	for _, id := range last.before {
		if count(t, s, "SELECT COUNT(*) FROM owners WHERE id = ?", id) != 1 {
			t.Fatalf("restored database lacks owner %d, committed before the backup", id)
		}
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 || res.Checked != restored {
		t.Errorf("restored audit chain: %+v, %v; want intact with one event per owner (%d)", res, err, restored)
	}
	// And the restored database takes new writes on the same chain.
	if _, err := s.CreateOwner(ctx, actor, db.OwnerInput{Name: "After the restore"}); err != nil {
		t.Fatal(err)
	}
	if res, err := s.VerifyAudit(ctx); err != nil || res.BrokenID != 0 {
		t.Errorf("audit chain after a write on the restored database: %+v, %v", res, err)
	}
}

// checkBackup opens a copy of a backup, restored with its audit key as
// Steward would, and checks it holds every owner in want, passes
// integrity_check and verifies its audit chain.
func checkBackup(t *testing.T, name, path, keyFile string, want []int64) {
	t.Helper()
	ctx := context.Background()
	cp := filepath.Join(t.TempDir(), "copy.db")
	copyFile(t, path, cp)
	copyFile(t, keyFile, db.AuditKeyFile(cp))
	b, err := db.Open(ctx, cp)
	if err != nil {
		t.Fatalf("%s: open: %v", name, err)
	}
	defer b.Close()
	if got := str(t, b, "PRAGMA integrity_check"); got != "ok" {
		t.Errorf("%s: integrity_check = %q", name, got)
	}
	for _, id := range want {
		if count(t, b, "SELECT COUNT(*) FROM owners WHERE id = ?", id) != 1 {
			t.Fatalf("%s lacks owner %d, committed before it started", name, id)
		}
	}
	owners := count(t, b, "SELECT COUNT(*) FROM owners")
	res, err := b.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 {
		t.Fatalf("%s: audit chain %+v, %v; want intact", name, res, err)
	}
	if res.Checked != owners {
		t.Errorf("%s: %d audit events for %d owners: an owner and its event must be in the backup together", name, res.Checked, owners)
	}
}

func TestBackupReplacesOnlyWhenDone(t *testing.T) {
	// A failed backup leaves neither a half-written file under the final
	// name nor its temporary file.
	s := openStore(t)
	mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	dir := filepath.Join(t.TempDir(), "missing-dir")
	target := filepath.Join(dir, "backup.db")
	if err := s.Backup(context.Background(), target); err == nil {
		t.Fatal("backup into a missing directory succeeded")
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s (%v)", target, err)
	}
	if _, err := os.Stat(target + ".partial"); !os.IsNotExist(err) {
		t.Errorf("a failed backup left its .partial file (%v)", err)
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the writers")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
