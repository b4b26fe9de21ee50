package handlers

import (
	"fmt"
	"testing"
	"time"
)

// A hundred failures from one address on other accounts (spraying) make
// that address wait before trying a new account, but not for an account
// that signed in from it before: its user keeps getting in.
func TestThrottleAddressCeiling(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	const office = "198.51.100.7"
	a, _ := th.reserve("bob@example.com", office)
	a.succeeded()
	for i := range addressFreeFailures {
		a, wait := th.reserve(fmt.Sprintf("spray%03d@example.com", i), office)
		if a == nil {
			t.Fatalf("failure %d of the address refused early (wait %v)", i+1, wait)
		}
		a.failed()
	}
	if a, wait := th.reserve("new@example.com", office); a != nil || wait != time.Second {
		t.Errorf("a new account after %d failures from the address: reserved %v, wait %v; want a 1s wait", addressFreeFailures, a != nil, wait)
	}
	if a, _ := th.reserve("bob@example.com", office); a == nil {
		t.Error("bob, who signed in from the address before, must wait for others' failures")
	} else {
		a.succeeded()
	}
	if a, _ := th.reserve("new@example.com", "203.0.113.1"); a == nil {
		t.Error("another address must wait for the office's failures")
	} else {
		a.release()
	}
	now = now.Add(time.Second)
	if a, _ := th.reserve("new@example.com", office); a == nil {
		t.Error("a new account after the address's wait is still refused")
	} else {
		a.failed()
	}
	// An hour after the last failure the address is forgotten.
	now = now.Add(forgetFailuresAfter + time.Second)
	for i := range 3 {
		if a, _ := th.reserve(fmt.Sprintf("later%d@example.com", i), office); a == nil {
			t.Fatal("the address's failures were not forgotten after an hour")
		} else {
			a.release()
		}
	}
}

// However many pairs and addresses fail, the throttle remembers a bounded
// number of them.
func TestThrottleMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	for i := range maxThrottleKeys + 10 {
		a, _ := th.reserve("victim@example.com", fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255))
		if a == nil {
			t.Fatalf("attempt %d refused", i)
		}
		a.failed()
	}
	if len(th.pairs) > maxThrottleKeys || len(th.addresses) > maxThrottleKeys {
		t.Errorf("remembered %d pairs and %d addresses, want at most %d each", len(th.pairs), len(th.addresses), maxThrottleKeys)
	}
	// Undecided attempts are given back: nothing is left to remember.
	th = newThrottle(func() time.Time { return now })
	a, _ := th.reserve("bob@example.com", "198.51.100.7")
	a.release()
	a.failed() // after release: no effect
	if len(th.pairs) != 0 || len(th.addresses) != 0 {
		t.Errorf("after a released attempt the throttle holds %d pairs and %d addresses, want none", len(th.pairs), len(th.addresses))
	}
}

// Parallel attempts of one pair can end in any order: a success among
// failures neither loses the others' reservations nor their outcome.
func TestThrottleParallelAttemptsOfAPair(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	var attempts []*signInAttempt
	for range pairFreeFailures {
		a, _ := th.reserve("bob@example.com", "198.51.100.7")
		if a == nil {
			t.Fatal("one of the free attempts was refused")
		}
		attempts = append(attempts, a)
	}
	if a, _ := th.reserve("bob@example.com", "198.51.100.7"); a != nil {
		t.Error("a sixth attempt while five are under way was reserved")
	}
	attempts[0].succeeded()
	for _, a := range attempts[1:] {
		a.failed()
	}
	// Four failures after the success: one attempt is still free.
	if a, _ := th.reserve("bob@example.com", "198.51.100.7"); a == nil {
		t.Error("the fifth attempt after a success and four failures was refused")
	} else {
		a.failed()
	}
	if a, wait := th.reserve("bob@example.com", "198.51.100.7"); a != nil || wait != time.Second {
		t.Errorf("after five failures: reserved %v, wait %v; want a 1s wait", a != nil, wait)
	}
}
