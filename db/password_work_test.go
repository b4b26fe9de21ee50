package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"steward/db"
)

// Every way a password is hashed or checked takes a turn: creating logins,
// signing in (known and unknown emails), changing a password and using a
// set-password link, all at once, never run more than MaxPasswordChecks
// argon2id hashes together.
func TestPasswordWorkIsBounded(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	var running, most, turns, busy atomic.Int32
	s.ObservePasswordWork(func(delta int) {
		if delta > 0 {
			turns.Add(1)
		}
		n := running.Add(int32(delta))
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
	})
	const password = "Tulip-Orbit-Quartz-9142"
	// The hook is set first, so the first login's hash counts too.
	admin := db.Actor{Role: db.RoleAdmin, Email: "admin@example.com"}
	id, err := s.CreateUser(ctx, admin, db.UserInput{Email: "base@example.com", Password: password, Role: db.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	link, _, err := s.IssuePasswordLink(ctx, admin, id)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	work := []func(i int) error{
		func(i int) error {
			_, err := s.CreateUser(ctx, admin, db.UserInput{Email: fmt.Sprintf("new%d@example.com", i), Password: password, Role: db.RoleViewer})
			return err
		},
		func(int) error { _, err := s.Authenticate(ctx, "base@example.com", password); return err },
		func(i int) error {
			_, err := s.Authenticate(ctx, fmt.Sprintf("nobody%d@example.com", i), password)
			if errors.Is(err, db.ErrNotFound) {
				return nil
			}
			return err
		},
		func(int) error {
			err := s.ChangePassword(ctx, admin, id, "wrong password here", "Another-Long-Phrase-77", "")
			if _, ok := err.(db.ValidationError); ok {
				return nil
			}
			return err
		},
	}
	for i := range 6 {
		for _, w := range work {
			wg.Go(func() {
				if err := w(i); errors.Is(err, db.ErrPasswordBusy) {
					busy.Add(1)
				} else if err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Go(func() {
		if err := s.SetPasswordWithLink(ctx, db.Actor{IP: "127.0.0.1"}, link, "Yet-Another-Phrase-42"); errors.Is(err, db.ErrPasswordBusy) {
			busy.Add(1)
		} else if err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := most.Load(); got < 1 || got > db.MaxPasswordChecks {
		t.Errorf("at most %d password hashes ran at once, want 1 to %d", got, db.MaxPasswordChecks)
	}
	// One hash or check each: the first login, 6 × 4 calls above and the
	// link. A path that hashed outside a turn would come up short.
	if got := turns.Load() + busy.Load(); got != 1+6*4+1 {
		t.Errorf("%d password turns taken or refused, want %d: some password work ran outside a turn", got, 1+6*4+1)
	}
	if running.Load() != 0 {
		t.Errorf("%d password turns were never given back", running.Load())
	}
}
