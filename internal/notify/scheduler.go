package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"steward/db"
)

// Job is a piece of work the scheduler runs on its own.
//
// A job runs when it never has, or when Every has passed since its last
// run; a job with Every 0 runs on every wake (and on every "Run now").
// Its last run is kept in the database only once it has run to the end, so
// a restart neither repeats a job that finished nor skips one that did
// not. After downtime a due job runs once, told since when: a job that
// looks at what became due (a reminder threshold crossed) must cover the
// whole time since its last run, and queue each message under its key
// (db.Message) so that running again queues nothing twice.
type Job struct {
	Name  string
	Every time.Duration
	// Run does the work; since is the last run's time (zero when it never
	// ran) and now the store's clock at this run.
	Run func(ctx context.Context, since, now time.Time) error
}

// ErrNotYet is what a job answers when it is due by the clock but holds
// back on its own (waiting out a failure): it is left due, and nothing is
// logged.
var ErrNotYet = errors.New("notify: not yet")

// Jobs are the jobs every Steward runs: the registration point of the
// rules (reminders, alerts and the digest of issue #13 item 5), each a Job
// that queues its messages with db.Store.Enqueue or EnqueueToWebhooks.
// Webhooks need no job of their own: the sender delivers what is queued.
func Jobs(store *db.Store) []Job {
	return append(ruleJobs(store), alertJobs(store)...)
}

// Register adds jobs to those the scheduler runs.
func (s *Service) Register(jobs ...Job) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	s.jobs = append(s.jobs, jobs...)
}

// RunDue runs every job whose time has come, one after the other, and
// records each that ran to the end. A job that fails is logged and left
// due, to run again on the next wake.
func (s *Service) RunDue(ctx context.Context) (Outcome, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.jobsMu.Lock()
	jobs := append([]Job(nil), s.jobs...)
	s.jobsMu.Unlock()
	var out Outcome
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		last, err := s.store.JobLastRun(ctx, j.Name)
		if err != nil {
			return out, err
		}
		now := s.store.Now()
		if !last.IsZero() && now.Before(last.Add(j.Every)) {
			continue
		}
		if err := j.Run(ctx, last, now); errors.Is(err, ErrNotYet) {
			continue
		} else if err != nil {
			out.JobErrs++
			s.cfg.Log.Error("notify: job failed; it runs again on the next wake", "job", j.Name, "err", err)
			continue
		}
		if err := s.store.RecordJobRun(ctx, j.Name, now); err != nil {
			return out, fmt.Errorf("notify: job %s ran but its run could not be recorded: %w", j.Name, err)
		}
		out.Jobs++
	}
	return out, nil
}
