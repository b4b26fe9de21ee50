// Package db is Steward's SQLite store: migrations, queries, transactions and
// the audit writer. It imports nothing else of Steward's.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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
	log   *slog.Logger

	auditKey []byte // keys the audit chain; see audit_seal.go

	secretMu      sync.Mutex // guards secretKey, read or created on first need
	secretKey     []byte     // seals connector secrets; see secret_key.go
	secretKeyFile string
	keyedFrom     int64 // the first event whose hash is keyed, from the seal
	sealing       bool  // Open began to seal the log: its key must stay
	// schemaFrom is the schema version the file had before Open migrated
	// it: 0 for a new file.
	schemaFrom int
	schema     int  // the schema version after migrating, see Ready
	mail       bool // Options.Mail

	writes        chan *writeRequest // changes waiting for the writer (see inTx)
	closing       chan struct{}      // closed by Close
	committerDone chan struct{}      // closed when commitWrites has stopped
	closeOnce     sync.Once
	onBatch       func(size int) // tests watch batches form
	writerStats   writerStats    // what the writer has done, see WriterStats

	passwordTurns chan struct{}   // see passwordTurn
	passwordWork  func(delta int) // tests watch password work, see ObservePasswordWork

	ckpt             *sql.DB       // checkpoints only, see checkpoints
	checkpointWanted chan struct{} // see checkpointSoon
	checkpointerDone chan struct{}

	gen        atomic.Uint64        // see Generation
	sessionGen atomic.Uint64        // see sessionGeneration
	sessions   *memo[Session]       // sessions by their ID's hash, see SessionByID
	findings   *memo[[]Finding]     // the home page's risk findings, by day
	counts     *memo[[]int]         // list totals and the home page's counts, by query and arguments
	options    *memo[[]Option]      // the owner pickers
	pages      *memo[string]        // the IDs on a page of a list, as a JSON array
	searches   *memo[[]SearchGroup] // search results, by words
	platforms  *memo[[]string]      // the platforms accounts are on
	reviews    *reviewCache         // a review page's aggregates, see reviews_cache.go
}

// Options are OpenWith's settings; the zero value gives Open's.
type Options struct {
	// AuditKey keys the audit chain (see ParseAuditKey). When empty the key
	// is read from AuditKeyFile, which is created with a new random key on
	// first start.
	AuditKey []byte
	// AuditKeyFile is the key file; empty means AuditKeyFile(path).
	AuditKeyFile string
	// SecretKey seals the secrets Steward keeps (see ParseSecretKey). When
	// empty the key is read from SecretKeyFile, which is created with a new
	// random key the first time a secret is sealed.
	SecretKey []byte
	// SecretKeyFile is the secret key file; empty means SecretKeyFile(path).
	SecretKeyFile string
	// Log receives warnings about the audit log and the head of every check
	// of it; nil means slog.Default().
	Log *slog.Logger
	// Mail says that Steward can send email (STEWARD_SMTP_URL is set): only
	// then do the notification rules queue emails (see EnqueueAlert).
	Mail bool
}

// Open opens (creating if needed) and migrates the database at path, with
// its audit key in the key file beside it (see OpenWith).
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith opens (creating if needed) and migrates the database at path.
// The database and its key file are readable by their owner alone. At
// start it seals an audit log that has none yet (see audit_seal.go) and
// restores missing append-only triggers.
func OpenWith(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := enableQPSG(); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	key, keyCreated, keyFile := opts.AuditKey, false, opts.AuditKeyFile
	if keyFile == "" {
		keyFile = AuditKeyFile(path)
	}
	keyFrom := "the audit key you gave"
	if len(key) == 0 {
		var err error
		if key, keyCreated, err = loadOrCreateAuditKey(keyFile); err != nil {
			return nil, err
		}
		keyFrom = "the audit key in " + keyFile
		if keyCreated {
			keyFrom = "a new audit key, as there was no key file " + keyFile
		}
	}
	s, err := open(ctx, path, log)
	sealing := false
	if err == nil {
		s.auditKey, s.mail = key, opts.Mail
		s.secretKey, s.secretKeyFile = opts.SecretKey, opts.SecretKeyFile
		if s.secretKeyFile == "" {
			s.secretKeyFile = SecretKeyFile(path)
		}
		err = s.startAuditLog(ctx, keyCreated, keyFrom)
		sealing = s.sealing
		if err != nil {
			s.Close()
		}
	}
	if err != nil && keyCreated && !sealing {
		os.Remove(keyFile) // a key for a database that could not use it
	}
	if err != nil {
		return nil, err
	}
	if keyCreated {
		log.Info("created the audit key; back it up with the database: without it the audit log cannot be verified", "key_file", keyFile)
	}
	return s, nil
}

// open makes the store's connections and migrates the schema.
func open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if err := createPrivateFile(path); err != nil {
		if !errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("db: create %s: %w", path, err)
		}
		log.Warn("db: could not make the database file private", "file", path, "err", err)
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

	s := &Store{write: write, read: read, ckpt: ckpt, path: path, log: log, now: func() time.Time { return time.Now().UTC() },
		findings: newMemo[[]Finding](4), counts: newMemo[[]int](256), options: newMemo[[]Option](8), pages: newMemo[string](256),
		searches: newMemo[[]SearchGroup](64), platforms: newMemo[[]string](1), reviews: newReviewCache(), sessions: newMemo[Session](maxCachedSessions),
		writes: make(chan *writeRequest), closing: make(chan struct{}), committerDone: make(chan struct{}),
		checkpointWanted: make(chan struct{}, 1), checkpointerDone: make(chan struct{}),
		passwordTurns: make(chan struct{}, MaxPasswordChecks)}
	s.sessions.generation = (*Store).sessionGeneration
	go s.commitWrites()
	go s.checkpoints()
	if s.schemaFrom, err = s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	// SQLite gives the -wal and -shm files the database file's mode; files
	// left by an older Steward may be wider.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Warn("db: could not make the file private", "file", path+suffix, "err", err)
		}
	}
	return s, nil
}

// createPrivateFile makes sure the database file exists readable by its
// owner alone, whatever the umask, before SQLite opens it (SQLite would
// create it world-readable): a new file is created with mode 0600 and an
// existing one narrowed to it.
func createPrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Mode().Perm() != 0o600 {
		return f.Chmod(0o600)
	}
	return nil
}

// startAuditLog readies the audit log at Open: its seal (or sealing it,
// see openAuditChain), its append-only triggers and the trigger that
// notices a clock set back.
func (s *Store) startAuditLog(ctx context.Context, keyCreated bool, keyFrom string) error {
	// A file this Open created has nothing to lose; any other without a
	// seal needs its key made now (an upgrade) to be sealed.
	fresh := s.schemaFrom == 0
	if err := s.openAuditChain(ctx, keyCreated, fresh, keyFrom); err != nil {
		return err
	}
	if err := s.restoreAuditTriggers(ctx); err != nil {
		return err
	}
	return s.keepAuditTimeSteps(ctx)
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
	// 8 MB of pages per connection: the four readers, the writer and the
	// checkpointer share the server's memory with the page cache, and the
	// whole server must stay under 128 MiB (see docs/benchmarks.md).
	q.Set("_cache_size", "-4000")
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
	defer s.reviews.gen.Add(1) // it may change anything, reviews too
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
// then rename, so path never holds a half-written copy. The copy is
// readable by its owner alone. It does not hold the audit key: keep the key
// file with the backups, or the copy's audit log cannot be verified.
func (s *Store) Backup(ctx context.Context, path string) error {
	tmp := path + ".partial"
	_ = os.Remove(tmp)
	// VACUUM INTO fills an empty file and keeps its mode; left to itself it
	// would create one world-readable.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("db: backup: %w", err)
	}
	err = f.Chmod(0o600)
	f.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: backup: %w", err)
	}
	// VACUUM INTO writes a file, which the query-only readers refuse, and
	// the writer must stay free for the app: so a connection of its own,
	// reading one snapshot while others keep writing.
	conn, err := sql.Open("sqlite3", dsn(s.path, "deferred", false))
	if err != nil {
		os.Remove(tmp)
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
		os.Remove(tmp)
		return fmt.Errorf("db: open backup: %w", err)
	}
	var result string
	err = check.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result)
	check.Close()
	if err != nil || result != "ok" {
		os.Remove(tmp)
		return fmt.Errorf("db: backup failed its integrity check: %v %s", err, result)
	}
	f, err = os.Open(tmp)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: sync backup: %w", err)
	}
	err = f.Sync()
	if err == nil {
		err = f.Chmod(0o600)
	}
	f.Close()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: sync backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("db: place backup: %w", err)
	}
	// Sync the directory too, so the rename itself survives a power cut.
	syncDir(filepath.Dir(path))
	return nil
}
