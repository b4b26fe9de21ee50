package notify

import (
	"context"
	"errors"
	"time"

	"steward/db"
	"steward/internal/meta"
)

// MetaSyncEvery is how often the scheduled Meta sync reads the business.
const MetaSyncEvery = 24 * time.Hour

// MetaReader reads a Business Manager from Meta's Graph API; the server
// passes its *meta.Client.
type MetaReader interface {
	ReadBusiness(ctx context.Context, token, businessID string) (db.MetaSnapshot, error)
}

// scheduledSync is who the daily job's syncs are read by.
var scheduledSync = db.SystemActor("scheduled Meta sync")

// metaRetryAfter is how long the scheduled sync waits after failed reads
// in a row before it reads again: an hour after the first, doubling, at
// most a day. A rate limit is backed off, and a token Meta refuses leaves
// about one failed sync a day in the history, not one a wake.
func metaRetryAfter(failures int) time.Duration {
	return min(time.Hour<<min(failures-1, 5), MetaSyncEvery)
}

// MetaSyncJob is the scheduled Meta sync (issue #16 item 5): once a day,
// when an app is connected with a kept token, it reads the business and
// keeps what it read, which refreshes the drift findings on the home page.
// It applies nothing: an admin previews and applies it
// (/admin/connectors/meta/syncs/{id}). A failed read (an expired token, a
// rate limit) is kept as a failed sync in the connector page's history and
// leaves the job due, to try again once metaRetryAfter has passed.
func MetaSyncJob(store *db.Store, reader MetaReader) Job {
	return Job{Name: "meta.sync", Every: MetaSyncEvery, Run: func(ctx context.Context, _, now time.Time) error {
		business, token, err := store.MetaSyncAccess(ctx)
		if err != nil || token == "" {
			return err
		}
		history, err := store.MetaSyncHistory(ctx)
		if err != nil {
			return err
		}
		failures := 0
		for failures < len(history) && history[failures].Status == "failed" {
			failures++
		}
		if failures > 0 && now.Before(history[0].ReadAt.Add(metaRetryAfter(failures))) {
			return ErrNotYet
		}
		snap, err := reader.ReadBusiness(ctx, token, business)
		if err != nil {
			// Kept for the connector page's history, in words; the job stays
			// due, and the scheduler logs err (a meta.Error never holds a token).
			if kerr := store.RecordMetaSyncFailure(ctx, scheduledSync, business, now, meta.Problem(err)); kerr != nil {
				return errors.Join(err, kerr)
			}
			return err
		}
		if snap.ReadAt.IsZero() {
			snap.ReadAt = now
		}
		_, _, err = store.RecordMetaSync(ctx, scheduledSync, snap)
		return err
	}}
}
