package notify

import (
	"context"
	"fmt"
	"time"

	"steward/db"
)

// The scheduled rules of issue #13 item 5: reminders of dates, found by the
// store's due queries (db/notify_due.go) and queued in batches.

// QueueBatch is how many alerts one transaction queues: the writer is
// never held for long, whatever the backlog after downtime.
const QueueBatch = 500

// ruleJobs are the reminder rules as jobs. Each runs on every wake (and on
// "Run now"): its query returns only what is not queued yet, so a run
// with nothing new due costs one indexed query.
func ruleJobs(store *db.Store) []Job {
	job := func(name string, due func(ctx context.Context, since time.Time) ([]db.Alert, error)) Job {
		return Job{Name: name, Run: func(ctx context.Context, since, _ time.Time) error {
			alerts, err := due(ctx, since)
			if err != nil {
				return err
			}
			_, err = QueueInBatches(ctx, store, alerts)
			return err
		}}
	}
	return []Job{
		job(db.EventTokenExpiring, func(ctx context.Context, _ time.Time) ([]db.Alert, error) { return store.DueExpiryReminders(ctx) }),
		job("token.expired", store.DueExpiredAlerts),
		job("review.due", store.DueReviewReminders),
		job("offboarding.overdue", func(ctx context.Context, _ time.Time) ([]db.Alert, error) {
			return store.DueOffboardingReminders(ctx)
		}),
		job(db.EventReviewReminder, func(ctx context.Context, _ time.Time) ([]db.Alert, error) { return store.DueReviewerReminders(ctx) }),
		job(db.EventReviewOverdue, func(ctx context.Context, _ time.Time) ([]db.Alert, error) { return store.DueReviewOverdue(ctx) }),
	}
}

// QueueInBatches queues alerts QueueBatch at a time, each batch in its own
// transaction, and returns how many messages were new. A batch that fails
// leaves the later ones for the job's next run (their keys make the
// earlier ones no-ops then).
func QueueInBatches(ctx context.Context, store *db.Store, alerts []db.Alert) (int, error) {
	queued := 0
	for start := 0; start < len(alerts); start += QueueBatch {
		n, err := store.QueueAlerts(ctx, alerts[start:min(start+QueueBatch, len(alerts))]...)
		queued += n
		if err != nil {
			return queued, fmt.Errorf("notify: queue alerts: %w", err)
		}
	}
	return queued, nil
}
