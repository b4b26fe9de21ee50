// Package db is Steward's SQLite store: migrations, queries, transactions and
// the audit writer. It imports nothing else of Steward's.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("db: not found")

// ErrConflict is returned when a change breaks a uniqueness rule, such as a
// second owner with the same email.
var ErrConflict = errors.New("db: conflict")

// Store holds one writer connection and a pool of readers over one SQLite file.
// SQLite allows a single writer at a time; funnelling writes through one
// connection with BEGIN IMMEDIATE turns "database is locked" into queueing.
type Store struct {
	write *sql.DB
	read  *sql.DB
	path  string
	now   func() time.Time

	writes        chan *writeRequest // changes waiting for the writer (see inTx)
	closing       chan struct{}      // closed by Close
	committerDone chan struct{}      // closed when commitWrites has stopped
	closeOnce     sync.Once
	onBatch       func(size int) // tests watch batches form

	ckpt             *sql.DB       // checkpoints only, see checkpoints
	checkpointWanted chan struct{} // see checkpointSoon
	checkpointerDone chan struct{}

	gen       atomic.Uint64        // see Generation
	findings  *memo[[]Finding]     // the home page's risk findings, by day
	counts    *memo[[]int]         // list totals and the home page's counts, by query and arguments
	options   *memo[[]Option]      // the owner pickers
	pages     *memo[string]        // the IDs on a page of a list, as a JSON array
	searches  *memo[[]SearchGroup] // search results, by words
	platforms *memo[[]string]      // the platforms accounts are on
	views     *memo[View]          // rendered page content, see CachedView
}

// Open opens (creating if needed) and migrates the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := enableQPSG(); err != nil {
		return nil, err
	}
	write, err := sql.Open(writerDriver(), dsn(path, "immediate", false))
	if err != nil {
		return nil, fmt.Errorf("db: open writer: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	read, err := sql.Open("sqlite3", dsn(path, "deferred", true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("db: open readers: %w", err)
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	read.SetMaxIdleConns(max(4, runtime.NumCPU()*2))

	ckpt, err := sql.Open("sqlite3", dsn(path, "deferred", false))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("db: open checkpointer: %w", err)
	}
	ckpt.SetMaxOpenConns(1)

	s := &Store{write: write, read: read, ckpt: ckpt, path: path, now: func() time.Time { return time.Now().UTC() },
		findings: newMemo[[]Finding](4), counts: newMemo[[]int](256), options: newMemo[[]Option](8), pages: newMemo[string](256),
		searches: newMemo[[]SearchGroup](64), platforms: newMemo[[]string](1), views: newMemo[View](maxCachedViews),
		writes: make(chan *writeRequest), closing: make(chan struct{}), committerDone: make(chan struct{}),
		checkpointWanted: make(chan struct{}, 1), checkpointerDone: make(chan struct{})}
	s.views.keep = func(v View) bool { return v.size() <= maxCachedViewBytes }
	go s.commitWrites()
	go s.checkpoints()
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn sets every pragma in the connection string so that each pooled
// connection gets them, not only the first.
func dsn(path, txlock string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", txlock)
	q.Set("_cache_size", "-16000")
	// Each connection keeps its most used prepared statements; see
	// enableQPSG for why they can be reused.
	q.Set("_stmt_cache_size", "128")
	if readOnly {
		q.Set("_query_only", "true")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close stops the writer, once the changes it is running are committed,
// stops the checkpoints and closes the connections. Changes asked for
// after Close fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	<-s.committerDone
	<-s.checkpointerDone
	return errors.Join(s.read.Close(), s.ckpt.Close(), s.write.Close())
}

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// SetClock replaces the clock; tests use it to move time.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Now is the store's current time in UTC.
func (s *Store) Now() time.Time { return s.now() }

// today is the store's current date as YYYY-MM-DD.
func (s *Store) today() string { return s.now().Format("2006-01-02") }

// daysFromToday is the date n days from today as YYYY-MM-DD.
func (s *Store) daysFromToday(n int) string { return s.now().AddDate(0, 0, n).Format("2006-01-02") }

// Exec runs a statement on the writer outside any record logic; tests use it
// to change the file behind Steward's back.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	defer s.bumpGeneration()
	_, err := s.write.ExecContext(ctx, query, args...)
	return err
}

// QueryInt runs a single-value query on a reader; tests use it to assert
// what the database holds.
func (s *Store) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n sql.NullInt64
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&n)
	return n.Int64, err
}

// QueryString runs a single-value text query on a reader.
func (s *Store) QueryString(ctx context.Context, query string, args ...any) (string, error) {
	var v sql.NullString
	err := s.read.QueryRowContext(ctx, query, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v.String, err
}

// SessionKey returns the key that signs cookies, creating and keeping it on
// first use so sessions survive restarts.
func (s *Store) SessionKey(ctx context.Context) ([]byte, error) {
	var key string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'session_key'").Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			key = randomToken(48)
			_, err = tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('session_key', ?)", key)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: session key: %w", err)
	}
	return []byte(key), nil
}

// Backup writes a consistent copy of the database to path while the server
// keeps running: VACUUM INTO a temporary file beside it, check it, sync it,
// then rename, so path never holds a half-written copy.
func (s *Store) Backup(ctx context.Context, path string) error {
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	// VACUUM INTO writes a file, which the query-only readers refuse, and
	// the writer must stay free for the app: so a connection of its own,
	// reading one snapshot while others keep writing.
	conn, err := sql.Open("sqlite3", dsn(s.path, "deferred", false))
	if err != nil {
		return fmt.Errorf("db: backup: %w", err)
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", tmp)
	conn.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: backup: %w", err)
	}
	check, err := sql.Open("sqlite3", "file:"+tmp+"?mode=ro")
	if err != nil {
		return fmt.Errorf("db: open backup: %w", err)
	}
	var result string
	err = check.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result)
	check.Close()
	if err != nil || result != "ok" {
		os.Remove(tmp)
		return fmt.Errorf("db: backup failed its integrity check: %v %s", err, result)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("db: sync backup: %w", err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("db: sync backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: place backup: %w", err)
	}
	// Sync the directory too, so the rename itself survives a power cut.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
