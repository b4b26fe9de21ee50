package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openCommitStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "commit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// insertNote is a change that adds a settings row; fail makes it fail after
// writing, so a leftover row would show a missing rollback.
func insertNote(ctx context.Context, key string, fail bool) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, 'x')", key); err != nil {
			return err
		}
		if fail {
			return errors.New("refused after writing")
		}
		return nil
	}
}

func noteExists(t *testing.T, s *Store, key string) bool {
	t.Helper()
	n, err := s.QueryInt(context.Background(), "SELECT COUNT(*) FROM settings WHERE key = ?", key)
	if err != nil {
		t.Fatal(err)
	}
	if n > 1 {
		t.Fatalf("%s written %d times", key, n)
	}
	return n == 1
}

// holdWriter blocks the writer until the returned func is called, so that
// the changes asked for meanwhile are committed as one batch.
func holdWriter(t *testing.T, s *Store) (release func(), sizes chan int) {
	t.Helper()
	sizes = make(chan int, 16)
	s.onBatch = func(n int) { sizes <- n }
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.inTx(context.Background(), func(*sql.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	if n := <-sizes; n != 1 {
		t.Fatalf("the holding change ran in a batch of %d", n)
	}
	return func() { close(hold) }, sizes
}

// waitQueued waits until n changes are waiting for the writer.
func waitQueued(t *testing.T, started *sync.WaitGroup) {
	t.Helper()
	started.Wait()
	time.Sleep(50 * time.Millisecond) // each has reached its send on s.writes
}

func TestGroupCommitKeepsEachChangeWhole(t *testing.T) {
	s := openCommitStore(t)
	ctx := context.Background()
	release, sizes := holdWriter(t, s)

	cancelled, cancel := context.WithCancel(ctx)
	type outcome struct {
		key      string
		err      error
		panicked any
	}
	results := make(chan outcome, 8)
	var started sync.WaitGroup
	ask := func(key string, c context.Context, fn func(*sql.Tx) error) {
		started.Add(1)
		go func() {
			o := outcome{key: key}
			defer func() {
				o.panicked = recover()
				results <- o
			}()
			started.Done()
			o.err = s.inTx(c, fn)
		}()
	}
	ask("ok-1", ctx, insertNote(ctx, "ok-1", false))
	ask("fails", ctx, insertNote(ctx, "fails", true))
	ask("ok-2", ctx, insertNote(ctx, "ok-2", false))
	ask("duplicate", ctx, func(tx *sql.Tx) error { // a constraint error mid-change
		if err := insertNote(ctx, "duplicate", false)(tx); err != nil {
			return err
		}
		return insertNote(ctx, "duplicate", false)(tx)
	})
	ask("ok-3", ctx, insertNote(ctx, "ok-3", false))
	waitQueued(t, &started)
	ask("cancelled", cancelled, insertNote(cancelled, "cancelled", false))
	waitQueued(t, &started)
	cancel()
	release()

	got := map[string]outcome{}
	for range 6 {
		o := <-results
		got[o.key] = o
	}
	for _, key := range []string{"ok-1", "ok-2", "ok-3"} {
		if got[key].err != nil || !noteExists(t, s, key) {
			t.Errorf("%s: err %v, written %v; want saved", key, got[key].err, noteExists(t, s, key))
		}
	}
	for _, key := range []string{"fails", "duplicate", "cancelled"} {
		if got[key].err == nil || noteExists(t, s, key) {
			t.Errorf("%s: err %v, written %v; want an error and nothing written", key, got[key].err, noteExists(t, s, key))
		}
	}
	if !errors.Is(got["cancelled"].err, context.Canceled) {
		t.Errorf("cancelled: err %v, want context.Canceled", got["cancelled"].err)
	}
	if n := <-sizes; n < 5 {
		t.Errorf("the waiting changes ran in a batch of %d, want them together", n)
	}
}

// When a shared transaction ends early (SQLite rolls back by itself after a
// full disk or an interrupted statement; here a change ends it on purpose),
// nothing of it is kept and every other change runs again on its own, once.
func TestGroupCommitRerunsWhenTheTransactionEnds(t *testing.T) {
	s := openCommitStore(t)
	ctx := context.Background()
	release, _ := holdWriter(t, s)
	var started sync.WaitGroup
	errs := make(chan error, 4)
	for _, fn := range []func(*sql.Tx) error{
		insertNote(ctx, "before", false),
		func(tx *sql.Tx) error {
			_, _ = tx.ExecContext(ctx, "ROLLBACK")
			return errors.New("transaction ended")
		},
		insertNote(ctx, "after", false),
	} {
		started.Add(1)
		go func() { started.Done(); errs <- s.inTx(ctx, fn) }()
		waitQueued(t, &started)
	}
	release()
	failed := 0
	for range 3 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	if failed != 1 || !noteExists(t, s, "before") || !noteExists(t, s, "after") {
		t.Errorf("%d failed, before written %v, after written %v; want 1, true, true", failed, noteExists(t, s, "before"), noteExists(t, s, "after"))
	}
}

// A panicking change panics in the goroutine that asked for it, and the
// others it shared a batch with are still saved.
func TestGroupCommitPanicStaysWithItsCaller(t *testing.T) {
	s := openCommitStore(t)
	ctx := context.Background()
	release, _ := holdWriter(t, s)
	var started sync.WaitGroup
	panics, errs := make(chan any, 1), make(chan error, 1)
	started.Add(2)
	go func() {
		defer func() { panics <- recover() }()
		started.Done()
		_ = s.inTx(ctx, func(tx *sql.Tx) error {
			_ = insertNote(ctx, "panics", false)(tx)
			panic("boom")
		})
	}()
	go func() { started.Done(); errs <- s.inTx(ctx, insertNote(ctx, "survives", false)) }()
	waitQueued(t, &started)
	release()
	if v := <-panics; v != "boom" {
		t.Errorf("recovered %v, want boom", v)
	}
	if err := <-errs; err != nil || !noteExists(t, s, "survives") || noteExists(t, s, "panics") {
		t.Errorf("survives: err %v, written %v; panics written %v", err, noteExists(t, s, "survives"), noteExists(t, s, "panics"))
	}
}

// Many writers at once: every change is saved once, with its audit event,
// and the chain holds.
func TestGroupCommitUnderManyWriters(t *testing.T) {
	s := openCommitStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32*10)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				_, err := s.CreateOwner(ctx, SystemActor("test"), OwnerInput{Name: fmt.Sprintf("Writer %d-%d", w, i),
					Email: fmt.Sprintf("w%d.%d@example.com", w, i)})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM owners"); n != 320 {
		t.Errorf("%d owners, want 320", n)
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil || res.BrokenID != 0 || res.Checked != 320 {
		t.Errorf("VerifyAudit = %+v, %v; want 320 intact", res, err)
	}
}

func TestWritesAfterCloseFail(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.inTx(context.Background(), func(*sql.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("inTx after Close: %v, want errClosed", err)
	}
	s.Close() // a second Close is harmless
}
