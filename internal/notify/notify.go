// Package notify is how Steward speaks up (issue #13): a scheduler that
// runs registered jobs and remembers their last run, and a sender that
// drains the store's outbox to webhooks and email, retrying with backoff. Both run
// inside the server; nothing needs cron.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"steward/db"
)

// Defaults of Config.
const (
	DefaultEvery     = 5 * time.Minute
	DefaultSendEvery = 30 * time.Second
	DefaultBatch     = 50
	// SendTimeout bounds one attempt to deliver.
	SendTimeout = 10 * time.Second
)

// Config is how the notifier runs.
type Config struct {
	// BaseURL is Steward's public address, for links to records.
	BaseURL string
	// Every is how often the scheduler wakes; 0 is DefaultEvery.
	Every time.Duration
	// SendEvery is how often the sender looks for deliveries that came due
	// (retries); new messages are sent as soon as Kick is called. 0 is
	// DefaultSendEvery.
	SendEvery time.Duration
	// Batch is how many due deliveries the sender reads at once; 0 is
	// DefaultBatch.
	Batch int
	// Client sends webhooks; nil is a client with SendTimeout that follows
	// no redirects.
	Client *http.Client
	// Log receives the errors the loops meet; nil is slog.Default().
	Log *slog.Logger
	// Mail is the mail server emails go through (ParseMailURL); the zero
	// value is mail off, and an email then fails for good.
	Mail Mail
}

// Service is the scheduler and the sender over one store.
type Service struct {
	store  *db.Store
	cfg    Config
	client *http.Client

	jobsMu sync.Mutex
	jobs   []Job

	runMu   sync.Mutex // one pass of the scheduler at a time
	drainMu sync.Mutex // one drain at a time, so no delivery is sent twice
	kick    chan struct{}
}

// New makes the notifier for store. Start its loops with Run.
func New(store *db.Store, cfg Config) *Service {
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.SendEvery <= 0 {
		cfg.SendEvery = DefaultSendEvery
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{
			Timeout: SendTimeout,
			// A redirect is an answer, not a place to send the message on
			// to: a receiver must not steer Steward to another address.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	s := &Service{store: store, cfg: cfg, client: client, kick: make(chan struct{}, 1)}
	s.Register(Jobs(store)...)
	return s
}

// Run runs the scheduler and the sender until ctx ends, then returns once
// the delivery under way (if any) is sent and recorded.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.scheduleLoop(ctx) })
	wg.Go(func() { s.sendLoop(ctx) })
	wg.Wait()
}

// Kick tells the sender there may be something new to send.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Outcome is what a pass of work did.
type Outcome struct {
	Jobs    int // jobs that ran
	Sent    int // deliveries sent
	Retry   int // deliveries that failed and will be tried again
	Failed  int // deliveries that failed for good
	JobErrs int // jobs that failed (logged; they run again on the next wake)
}

// RunNow does all due work at once: the jobs whose time has come, then
// every delivery that is due ("Run now" on the admin page).
func (s *Service) RunNow(ctx context.Context) (Outcome, error) {
	out, err := s.RunDue(ctx)
	if err != nil {
		return out, err
	}
	sent, err := s.Drain(ctx)
	sent.Jobs, sent.JobErrs = out.Jobs, out.JobErrs
	return sent, err
}

// sendLoop drains the outbox at start, whenever kicked, and every SendEvery.
func (s *Service) sendLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.SendEvery)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.cfg.Log.Error("notify: send", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// scheduleLoop runs the due jobs at start (catching up after downtime) and
// every Every, and kicks the sender after each pass.
func (s *Service) scheduleLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && !errors.Is(err, context.Canceled) {
			s.cfg.Log.Error("notify: scheduler", "err", err)
		}
		s.Kick()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
