package db

import (
	"context"
	"errors"
	"time"
)

// Password work. Each argon2id hash holds 19 MiB while it runs, so a burst
// of sign-ins (unknown emails too: they hash a dummy to take as long) took
// as much memory as it had requests: 40 at once reached 780 MiB. Every hash
// and check of a password, whatever asks for it (sign-in, setup, a new
// login, a password change, a set-password link), takes one of
// MaxPasswordChecks turns. A hash is one thread of pure computation, so
// more than two at once finish no sooner on a small server, only take more
// memory (measured: 40 sign-ins at once peak at 115 MiB with two, 170 MiB
// with three). A caller waits up to passwordTurnWait for a turn (two clear
// a burst of 40 in about a second), then gets ErrPasswordBusy.
const (
	MaxPasswordChecks = 2
	passwordTurnWait  = 3 * time.Second
)

// ErrPasswordBusy answers a request that found no turn to hash or check a
// password; it is worth trying again in a few seconds.
var ErrPasswordBusy = errors.New("db: every password check is busy")

// passwordTurn waits for a turn at password work and returns its release.
func (s *Store) passwordTurn(ctx context.Context) (release func(), err error) {
	timer := time.NewTimer(passwordTurnWait)
	defer timer.Stop()
	select {
	case s.passwordTurns <- struct{}{}:
	case <-timer.C:
		return nil, ErrPasswordBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	observe := s.passwordWork
	if observe != nil {
		observe(+1)
	}
	return func() {
		if observe != nil {
			observe(-1)
		}
		<-s.passwordTurns
	}, nil
}

// hashPassword is HashPassword in a turn.
func (s *Store) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.passwordTurn(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password)
}

// passwordMatches is checkPassword in a turn.
func (s *Store) passwordMatches(ctx context.Context, hash, password string) (bool, error) {
	release, err := s.passwordTurn(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return checkPassword(hash, password), nil
}

// ObservePasswordWork calls observe with +1 as each password hash or check
// starts and -1 as it ends, so tests can see how many run at once. Call it
// before the store is used.
func (s *Store) ObservePasswordWork(observe func(delta int)) { s.passwordWork = observe }
