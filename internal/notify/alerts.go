package notify

import (
	"context"
	"time"

	"steward/db"
	"steward/views/components"
)

// alertJobs are the scheduled parts of the admins' alerts (issue #13 item
// 5): the digest and a daily check of the audit chain, whose failure
// queues audit.verify_failed. The other alerts are queued by the changes
// that cause them, in the store.
func alertJobs(store *db.Store) []Job {
	return []Job{
		{Name: "digest.make", Every: time.Hour, Run: func(ctx context.Context, _, _ time.Time) error {
			// A digest is once per period (db.QueueDigest); looking hourly
			// sends it within an hour of its period's start.
			_, err := store.QueueDigest(ctx, components.FindingTitle)
			return err
		}},
		{Name: "audit.verify", Every: 24 * time.Hour, Run: func(ctx context.Context, _, _ time.Time) error {
			// About five seconds per million events, on a reading
			// connection: the writer is held only to record the outcome.
			_, err := store.VerifyAndRecordAudit(ctx)
			return err
		}},
	}
}
