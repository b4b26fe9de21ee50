package notify

import (
	"context"
	"time"

	"steward/db"
)

// MetaSyncEvery is how often the scheduled Meta sync reads the business.
const MetaSyncEvery = 24 * time.Hour

// MetaBusinessRead reads the connected business with the kept token; ok is
// false when no app is connected or no token is kept (the job then does
// nothing).
type MetaBusinessRead func(ctx context.Context) (snap db.MetaSnapshot, ok bool, err error)

// MetaSyncJob is the scheduled Meta sync (issue #16 item 5): once a day it
// reads the business with the kept token and keeps what it read, which
// refreshes the drift findings on the home page. It applies nothing: an
// admin previews and applies it (/admin/connectors/meta/syncs/{id}). A
// failed read (an expired token, a rate limit) leaves the job due, to try
// again on the next wake.
func MetaSyncJob(store *db.Store, read MetaBusinessRead) Job {
	return Job{Name: "meta.sync", Every: MetaSyncEvery, Run: func(ctx context.Context, _, now time.Time) error {
		snap, ok, err := read(ctx)
		if err != nil || !ok {
			return err
		}
		if snap.ReadAt.IsZero() {
			snap.ReadAt = now
		}
		_, _, err = store.RecordMetaSync(ctx, db.SystemActor("scheduled Meta sync"), snap)
		return err
	}}
}
