package handlers

import (
	"sync"
	"time"
)

// Sign-in throttling: at most this many failures per account, and per client
// address, within the window.
const (
	throttleWindow     = 15 * time.Minute
	throttlePerAccount = 5
	throttlePerAddress = 20
)

// throttle counts recent failed sign-ins per key in memory.
type throttle struct {
	mu    sync.Mutex
	fails map[string][]time.Time
	now   func() time.Time
}

func newThrottle() *throttle {
	return &throttle{fails: map[string][]time.Time{}, now: time.Now}
}

// recent drops failures older than the window and returns the rest.
func (t *throttle) recent(key string) []time.Time {
	cutoff := t.now().Add(-throttleWindow)
	kept := t.fails[key][:0]
	for _, at := range t.fails[key] {
		if at.After(cutoff) {
			kept = append(kept, at)
		}
	}
	if len(kept) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = kept
	}
	return kept
}

// blocked reports whether either the account or the address has failed too often.
func (t *throttle) blocked(account, address string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent("a:"+account)) >= throttlePerAccount || len(t.recent("ip:"+address)) >= throttlePerAddress
}

// fail counts a failed sign-in against both keys.
func (t *throttle) fail(account, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > 100_000 { // bound memory under a spray of addresses
		t.fails = map[string][]time.Time{}
	}
	now := t.now()
	t.fails["a:"+account] = append(t.recent("a:"+account), now)
	t.fails["ip:"+address] = append(t.recent("ip:"+address), now)
}

// succeed clears the account's failures after a good sign-in.
func (t *throttle) succeed(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, "a:"+account)
}

// Refused requests from nobody signed in are audited too, but only so many
// per address, and in all, within the window: anyone on the internet can
// send them, and each audit event stays for good. The rest go to the server
// log only.
const (
	anonymousDenialsPerAddress = 10
	anonymousDenialsInAll      = 100
)

// auditAnonymousDenial reports whether a refused anonymous request from
// address is still to be audited, and counts it.
func (t *throttle) auditAnonymousDenial(address string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.recent("deny-ip:"+address)) >= anonymousDenialsPerAddress || len(t.recent("deny-all")) >= anonymousDenialsInAll {
		return false
	}
	if len(t.fails) > 100_000 {
		t.fails = map[string][]time.Time{}
	}
	now := t.now()
	t.fails["deny-ip:"+address] = append(t.recent("deny-ip:"+address), now)
	t.fails["deny-all"] = append(t.recent("deny-all"), now)
	return true
}
