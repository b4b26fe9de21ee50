package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"steward/db"
)

// GiveUpAfter is how long after it was queued a message stops being
// retried: it has then failed for good (an admin can still retry it).
const GiveUpAfter = 24 * time.Hour

// backoff is the wait after a delivery's attempts-th failed attempt: a
// minute, doubling each time, at most six hours. About twelve attempts fit
// in GiveUpAfter.
func backoff(attempts int) time.Duration {
	wait := time.Minute
	for i := 1; i < attempts && wait < 6*time.Hour; i++ {
		wait *= 2
	}
	return min(wait, 6*time.Hour)
}

// permanent is a failure that retrying cannot mend, such as a deleted
// webhook or mail that is not set up.
type permanent struct{ error }

// Drain sends every delivery that is due, a batch at a time: it reads a
// batch (without the database writer), sends each delivery outside any
// transaction, and records each outcome before the next. It returns when
// nothing more is due, or when ctx ends (after recording the delivery under
// way). Only one drain runs at a time, so no delivery is sent twice.
func (s *Service) Drain(ctx context.Context) (Outcome, error) {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	var out Outcome
	for {
		batch, err := s.store.DueDeliveries(ctx, s.cfg.Batch)
		if err != nil || len(batch) == 0 {
			return out, err
		}
		for _, d := range batch {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			if err := s.attempt(ctx, d, &out); err != nil {
				return out, err
			}
		}
	}
}

// attempt sends d once and records how it went. Shutting down does not cut
// an attempt short: it ends within SendTimeout and is recorded, so a
// delivery that reached its receiver is not sent again after a restart.
func (s *Service) attempt(ctx context.Context, d db.Delivery, out *Outcome) error {
	ctx = context.WithoutCancel(ctx)
	sendCtx, cancel := context.WithTimeout(ctx, SendTimeout)
	err := s.send(sendCtx, d)
	cancel()
	if err == nil {
		out.Sent++
		return s.store.MarkSent(ctx, d.ID)
	}
	wait := backoff(d.Attempts + 1)
	var p permanent
	if errors.As(err, &p) || s.store.Now().Add(wait).After(d.CreatedAt.Add(GiveUpAfter)) {
		wait = 0
		out.Failed++
	} else {
		out.Retry++
	}
	return s.store.MarkFailed(ctx, d.ID, err.Error(), wait)
}

// send delivers d on its channel.
func (s *Service) send(ctx context.Context, d db.Delivery) error {
	switch d.Channel {
	case db.ChannelWebhook:
		return s.sendWebhook(ctx, d)
	case db.ChannelEmail:
		return s.sendEmail(ctx, d)
	default:
		return permanent{fmt.Errorf("Steward cannot send %s messages yet", d.Channel)}
	}
}
