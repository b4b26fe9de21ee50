package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Group commit.
//
// Every change waits for its transaction to reach the disk (synchronous =
// FULL), and a disk sync takes milliseconds: one transaction per sync capped
// writes at a few hundred a second, however many people were saving at once,
// and each waited for all those queued before it. So changes that arrive
// while the writer is busy are run together: each in a savepoint of one
// transaction, with one commit and one sync for all of them. A change that
// fails is rolled back to its savepoint alone, so it still leaves nothing
// behind and the others still commit; nobody is told "saved" before the
// commit has reached the disk.

// maxBatch is the most changes committed together.
const maxBatch = 64

// errClosed answers writes after Close.
var errClosed = errors.New("db: the store is closed")

// writeRequest is one transaction waiting for the writer.
type writeRequest struct {
	ctx      context.Context
	fn       func(tx *sql.Tx) error
	session  bool // session bookkeeping only: cached reads stay true
	err      error
	panicked bool
	panicVal any
	done     chan struct{}
}

// inTx runs fn in a write transaction, committing when fn returns nil; fn's
// changes are rolled back when it returns an error. fn may share the
// transaction with other changes (see above), so it must do nothing outside
// the database that cannot be done twice: when SQLite ends a shared
// transaction by itself (a full disk, an interrupted statement), each of its
// changes runs again on its own.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.enqueue(ctx, &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{})})
}

// sessionExec runs one statement on the sessions table through the writer,
// like inTx but without making cached reads stale (except the kept
// sessions). Sessions are written on the writer's turn like every change: a
// statement of their own on its connection would wait for whole batches to
// finish, and a form post, which saves its record and then its "saved"
// message, twice as long.
func (s *Store) sessionExec(ctx context.Context, query string, args ...any) error {
	return s.enqueue(ctx, &writeRequest{ctx: ctx, session: true, done: make(chan struct{}), fn: func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}})
}

// enqueue hands req to the writer and waits for its outcome.
func (s *Store) enqueue(ctx context.Context, req *writeRequest) error {
	s.writerStats.waiting.Add(1)
	defer s.writerStats.waiting.Add(-1)
	select {
	case s.writes <- req:
	case <-ctx.Done():
		return fmt.Errorf("db: begin: %w", ctx.Err())
	case <-s.closing:
		return errClosed
	}
	<-req.done
	if req.panicked {
		panic(req.panicVal)
	}
	return req.err
}

// commitWrites is the writer: it takes the changes waiting for it, runs them
// and commits them, until Close.
func (s *Store) commitWrites() {
	defer close(s.committerDone)
	for {
		var first *writeRequest
		select {
		case first = <-s.writes:
		case <-s.closing:
			return
		}
		batch := []*writeRequest{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch runs a batch of changes and tells each how it went.
func (s *Store) commitBatch(batch []*writeRequest) {
	if s.onBatch != nil {
		s.onBatch(len(batch))
	}
	start := time.Now()
	defer func() {
		s.writerStats.observe(len(batch), time.Since(start))
		// Cached reads go stale before anyone hears "saved".
		if slices.ContainsFunc(batch, func(r *writeRequest) bool { return !r.session }) {
			s.bumpGeneration()
		} else {
			s.sessionGen.Add(1)
		}
		s.checkpointSoon()
		for _, r := range batch {
			close(r.done)
		}
	}()
	if len(batch) == 1 || !s.runTogether(batch) {
		for _, r := range batch {
			if !r.panicked {
				r.err = s.runAlone(r)
			}
		}
	}
}

// runAlone runs one change in a transaction of its own.
func (s *Store) runAlone(r *writeRequest) error {
	tx, err := s.write.BeginTx(r.ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := call(r, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// runTogether runs the batch in one transaction, each change in a savepoint,
// and commits once. It reports false when the transaction could not be
// carried on to the end (SQLite rolled it back by itself, or a change
// panicked): then nothing of it was kept and the caller runs each change on
// its own.
func (s *Store) runTogether(batch []*writeRequest) bool {
	tx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("db: begin: %w", err)
		}
		return true
	}
	abandon := func() bool {
		_ = tx.Rollback()
		return false
	}
	kept := 0
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("db: begin: %w", err)
			continue
		}
		if _, err := tx.Exec("SAVEPOINT steward_change"); err != nil {
			return abandon()
		}
		if r.err = call(r, tx); r.err != nil {
			if r.panicked {
				return abandon()
			}
			if _, err := tx.Exec("ROLLBACK TO steward_change"); err != nil {
				return abandon() // the transaction is gone: SQLite rolled it back
			}
		}
		if _, err := tx.Exec("RELEASE steward_change"); err != nil {
			return abandon()
		}
		if r.err == nil {
			kept++
		}
	}
	if kept == 0 {
		_ = tx.Rollback()
		return true
	}
	if err := tx.Commit(); err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = fmt.Errorf("db: commit: %w", err)
			}
		}
	}
	return true
}

// call runs r's change, turning a panic into an error here and a panic
// again in the goroutine that asked for the change.
func call(r *writeRequest, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked, r.panicVal = true, v
			err = fmt.Errorf("db: change panicked: %v", v)
		}
	}()
	return r.fn(tx)
}
