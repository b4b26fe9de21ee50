package db

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// TestWriterStatsCountQueueAndBatches holds the writer while three changes
// wait for it, and checks WriterStats counts them as waiting, then the two
// batches (the holding change's and the three together) with their changes
// and commit times, and nothing waiting once all are answered.
func TestWriterStatsCountQueueAndBatches(t *testing.T) {
	s := openCommitStore(t)
	ctx := context.Background()
	before := s.WriterStats()
	release, sizes := holdWriter(t, s)
	var done sync.WaitGroup
	for _, key := range []string{"a", "b", "c"} {
		done.Go(func() {
			if err := s.inTx(ctx, insertNote(ctx, key, false)); err != nil {
				t.Error(err)
			}
		})
	}
	for s.WriterStats().Waiting != 4 { // the holding change and the three
		runtime.Gosched()
	}
	release()
	done.Wait()
	if n := <-sizes; n != 3 {
		t.Fatalf("the three changes ran in a batch of %d", n)
	}
	after := s.WriterStats()
	if after.Waiting != 0 || after.Batches != before.Batches+2 || after.Changes != before.Changes+4 {
		t.Errorf("after: %d waiting, %d batches, %d changes; want 0, %d, %d", after.Waiting, after.Batches, after.Changes,
			before.Batches+2, before.Changes+4)
	}
	if after.CommitSeconds <= before.CommitSeconds || !slices.IsSorted(after.Buckets) || after.Buckets[len(after.Buckets)-1] > after.Batches {
		t.Errorf("commit times: %v s in buckets %v of %d batches", after.CommitSeconds, after.Buckets, after.Batches)
	}
}
