package db

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// What the metrics page (GET /metrics) reads from the store. Each answer is
// cheap at any size: counters the writer keeps as it goes, or counts kept
// until the next write (the audit log's size is AuditEventCount).

// CommitBounds are the upper bounds, in seconds, of the buckets
// WriterStats counts batch commit times in.
var CommitBounds = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// writerStats are kept by the writer with atomics only, so neither a change
// nor a scrape waits for the other.
type writerStats struct {
	waiting atomic.Int64 // changes handed to enqueue and not yet answered
	changes atomic.Uint64
	nanos   atomic.Int64                         // time spent on batches
	buckets [len(CommitBounds) + 1]atomic.Uint64 // batches by duration; the last is over every bound
}

// observe counts one batch of size changes that took d.
func (w *writerStats) observe(size int, d time.Duration) {
	w.changes.Add(uint64(size))
	w.nanos.Add(int64(d))
	i := 0
	for i < len(CommitBounds) && d.Seconds() > CommitBounds[i] {
		i++
	}
	w.buckets[i].Add(1)
}

// WriterStats is what the writer (see commit.go) has done since Open.
type WriterStats struct {
	// Waiting is the changes handed to the writer and not yet answered:
	// those queued and those in the batch being committed.
	Waiting int64
	// Batches is the batches run, each with one commit; Changes the changes
	// in them.
	Batches, Changes uint64
	// CommitSeconds is the time all batches took, from the first change's
	// start to the commit on disk.
	CommitSeconds float64
	// Buckets holds, for each of CommitBounds, the batches that took no
	// longer (cumulative, as Prometheus histograms count).
	Buckets []uint64
}

// WriterStats reads the writer's counters; it takes no lock and runs no
// query.
func (s *Store) WriterStats() WriterStats {
	w := &s.writerStats
	st := WriterStats{Waiting: w.waiting.Load(), Changes: w.changes.Load(),
		CommitSeconds: time.Duration(w.nanos.Load()).Seconds(), Buckets: make([]uint64, len(CommitBounds))}
	for i := range w.buckets {
		st.Batches += w.buckets[i].Load()
		if i < len(CommitBounds) {
			st.Buckets[i] = st.Batches
		}
	}
	return st
}

// DeliveryCounts is how many outbox deliveries have each of
// DeliveryStatuses, in that order; counted with the outbox's status index and
// kept until the next write.
func (s *Store) DeliveryCounts(ctx context.Context) ([]int, error) {
	args := make([]any, len(DeliveryStatuses))
	for i, status := range DeliveryStatuses {
		args[i] = status
	}
	counts, err := s.countRow(ctx, deliveryCountsQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("db: count deliveries: %w", err)
	}
	return counts, nil
}

// deliveryCountsQuery counts the deliveries of each status it is given.
var deliveryCountsQuery = "SELECT " + strings.TrimSuffix(strings.Repeat("(SELECT COUNT(*) FROM outbox WHERE status = ?), ", len(DeliveryStatuses)), ", ")
