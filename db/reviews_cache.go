package db

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// A review page's aggregates (its counts, the progress per reviewer and per
// account, the reviewers' links) each read every item of the review: tens of
// milliseconds at 100,000 items. Every write in Steward moves the store's
// generation, which would make the page read them again after any change
// anywhere. So they are kept until a review, its items or its links change
// (inReviewTx), and for reviewCacheSeconds at most, so that a person or
// account renamed meanwhile shows under its new name soon after.

// reviewCacheSeconds bounds how long a review's aggregates are kept.
const reviewCacheSeconds = 5

type reviewCache struct {
	gen      atomic.Uint64 // moved by every change to reviews, their items or links
	review   *memo[Review]
	progress *memo[[]ReviewProgress]
	links    *memo[[]ReviewLink]
}

func newReviewCache() *reviewCache {
	c := &reviewCache{review: newMemo[Review](16), progress: newMemo[[]ReviewProgress](32), links: newMemo[[]ReviewLink](16)}
	for _, gen := range []*func(*Store) uint64{&c.review.generation, &c.progress.generation, &c.links.generation} {
		*gen = (*Store).reviewGeneration
	}
	return c
}

// reviewGeneration is the reviews' own generation, moving also every
// reviewCacheSeconds.
func (s *Store) reviewGeneration() uint64 {
	return s.reviews.gen.Load()<<32 | uint64(s.now().Unix()/reviewCacheSeconds)&(1<<32-1)
}

// inReviewTx is inTx for changes to reviews, their items or their links:
// once it returns (committed or not), the kept aggregates are stale.
func (s *Store) inReviewTx(ctx context.Context, fn func(*sql.Tx) error) error {
	err := s.inTx(ctx, fn)
	s.reviews.gen.Add(1)
	return err
}
