package db

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Checkpoints.
//
// SQLite appends each commit to its write-ahead log and now and then copies
// the log back into the database file, a checkpoint. Left to itself it does
// that inside a commit, every thousand pages, and the change that happens to
// cross the line waits for the copy and a sync of the whole file: that was
// most of the slowest saves under load. So the writer never checkpoints
// ("sqlite3_steward_writer" turns it off) and a connection of its own copies
// the log back a second after changes, beside the writer rather than in its
// way: a passive checkpoint waits for nobody and nobody waits for it.

// checkpointDelay gathers the changes of a second into one checkpoint: each
// syncs the whole file, which slows the writer's own syncs meanwhile (at 200
// ms the slowest saves under load took a quarter longer).
const checkpointDelay = time.Second

var registerWriterDriver sync.Once

// writerDriver is the driver name of the writer's connections.
func writerDriver() string {
	registerWriterDriver.Do(func() {
		sql.Register("sqlite3_steward_writer", &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil)
			return err
		}})
	})
	return "sqlite3_steward_writer"
}

// checkpointSoon asks for a checkpoint after the changes just committed.
func (s *Store) checkpointSoon() {
	select {
	case s.checkpointWanted <- struct{}{}:
	default: // one is asked for already
	}
}

// checkpoints runs the checkpoints asked for, until Close.
func (s *Store) checkpoints() {
	defer close(s.checkpointerDone)
	for {
		select {
		case <-s.checkpointWanted:
		case <-s.closing:
			return
		}
		select {
		case <-time.After(checkpointDelay):
		case <-s.closing:
			return
		}
		var busy, frames, copied int
		err := s.ckpt.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		var serr sqlite3.Error
		if errors.As(err, &serr) && (serr.Code == sqlite3.ErrBusy || serr.Code == sqlite3.ErrLocked) {
			continue // someone holds the file (a seed, a backup): next time
		}
		if err != nil {
			// A full disk, say: the log keeps the changes, and the next
			// checkpoint tries again.
			slog.Warn("db: checkpoint", "err", err)
		}
	}
}
