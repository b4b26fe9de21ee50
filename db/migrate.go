package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies every embedded migration newer than the database's
// user_version, each in its own transaction, in file-name order. It
// returns the version the database had before.
func (s *Store) migrate(ctx context.Context) (int, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("db: list migrations: %w", err)
	}
	sort.Strings(names)
	var current int
	if err := s.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return 0, fmt.Errorf("db: read schema version: %w", err)
	}
	from := current
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return from, fmt.Errorf("db: migration %s has no numeric prefix", name)
		}
		if version <= current {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return from, fmt.Errorf("db: read migration %s: %w", name, err)
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("db: apply migration %s: %w", name, err)
			}
			// PRAGMA takes no placeholders; version is an integer we parsed.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return from, err
		}
		current = version
	}
	s.schema = current
	return from, nil
}

// Ready says whether the database answers reads with the schema this
// Steward migrated it to (GET /readyz): a file swapped or rolled back
// underneath a running server is not ready.
func (s *Store) Ready(ctx context.Context) error {
	var v int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("db: read schema version: %w", err)
	}
	if v != s.schema {
		return fmt.Errorf("db: schema version %d, want %d", v, s.schema)
	}
	return nil
}
