package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Generation counts the store's finished writes: inTx (every change with its
// audit event) and Exec move it on once they are done. A value computed from
// the database after reading generation g stays true while the generation
// is still g, which is what the caches below rely on. Session writes do not
// move it: no page depends on sessions.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// sessionGeneration counts every finished write, session bookkeeping
// included: the kept sessions (see SessionByID) rely on it as the other
// caches rely on Generation.
func (s *Store) sessionGeneration() uint64 { return s.sessionGen.Load() }

// bumpGeneration marks the cached values stale. It runs after a commit (or
// a rollback, to be safe), so no reader can cache a value older than the
// generation it read.
func (s *Store) bumpGeneration() {
	s.gen.Add(1)
	s.sessionGen.Add(1)
}

// memo caches values computed from the database until the next write: the
// risk findings, the counts of lists. It holds at most max keys, and lets
// one caller compute a missing key while the others wait for its result
// instead of running the same queries at once.
type memo[T any] struct {
	mu  sync.Mutex
	max int
	// generation is the counter whose move makes the values stale; nil is
	// Store.Generation.
	generation func(*Store) uint64
	gen        uint64
	values     map[string]T
	inflight   map[string]*memoCall[T]
}

type memoCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

func newMemo[T any](max int) *memo[T] {
	return &memo[T]{max: max, values: map[string]T{}, inflight: map[string]*memoCall[T]{}}
}

// get returns the value for key at the store's current generation,
// computing it with fn when there is none.
func (m *memo[T]) get(s *Store, key string, fn func() (T, error)) (T, error) {
	gen := s.Generation() // read before any query, so the value is no older than gen
	if m.generation != nil {
		gen = m.generation(s)
	}
	m.mu.Lock()
	if m.gen != gen {
		m.gen = gen
		clear(m.values)
		clear(m.inflight)
	}
	if v, ok := m.values[key]; ok {
		m.mu.Unlock()
		return v, nil
	}
	if c, ok := m.inflight[key]; ok {
		m.mu.Unlock()
		<-c.done
		if c.err != nil {
			// Its request may have been cancelled; that is no reason to
			// fail this one.
			return fn()
		}
		return c.val, nil
	}
	c := &memoCall[T]{done: make(chan struct{}), err: errMemoAbandoned}
	m.inflight[key] = c
	m.mu.Unlock()

	defer func() {
		close(c.done)
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen == gen && m.inflight[key] == c {
			delete(m.inflight, key)
			if c.err == nil && len(m.values) < m.max {
				m.values[key] = c.val
			}
		}
	}()
	c.val, c.err = fn()
	return c.val, c.err
}

// errMemoAbandoned is what waiters see when the computation they waited for
// panicked; they then compute the value themselves.
var errMemoAbandoned = errors.New("db: cached computation abandoned")

// countRow runs a query that answers one row of counts, and keeps the
// answer until the next write.
func (s *Store) countRow(ctx context.Context, query string, args ...any) ([]int, error) {
	return s.counts.get(s, cacheKey(query, args), func() ([]int, error) {
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, err
			}
			return nil, sql.ErrNoRows
		}
		counts := make([]int, len(cols))
		dest := make([]any, len(cols))
		for i := range counts {
			dest[i] = &counts[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		return counts, rows.Err()
	})
}
