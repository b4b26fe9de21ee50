package handlers

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Sign-in throttling.
//
// Failed sign-ins are counted per pair of account and client address, and
// after a few failures each further attempt of that pair must wait, longer
// each time. Keying by the pair means a third party failing from elsewhere
// cannot lock a user out, and one person failing behind a shared address
// (every user of a proxy run without -trust-proxy) slows only their own
// account. An attempt is counted before its password is hashed, so
// parallel guesses cannot slip past the count.
//
// The numbers: five free failures cover typos and a caps lock; the waits
// then double from one second, so a person who keeps trying waits seconds,
// while a guesser reaches the cap after about ten more and is held to four
// guesses an hour per address, as slow as the old 15-minute lockout without
// its denial of service.
const (
	pairFreeFailures = 5
	pairMaxWait      = 15 * time.Minute
	// Per address, a much higher ceiling against spraying one password over
	// many emails (and filling the audit log with failures): a hundred
	// failures from one address in an hour is no office's typing, and even
	// then the waits stay short. It never applies to an account that has
	// signed in from that address before, so a real user keeps getting in
	// with the right password while someone else sprays from their address.
	addressFreeFailures = 100
	addressMaxWait      = time.Minute
	// A pair or address is forgotten this long after its last failure.
	forgetFailuresAfter = time.Hour
	// A successful sign-in exempts its pair from the address ceiling this long.
	trustSignInFor = 30 * 24 * time.Hour
	// At most this many pairs, addresses and trusted pairs are remembered, so
	// memory stays bounded (about 100 bytes each) under a spray of addresses.
	maxThrottleKeys = 100_000
)

// throttleKey names a pair or an address by a hash, so the map's memory
// does not grow with what was typed and typed text is not kept.
type throttleKey [sha256.Size]byte

func pairKey(account, address string) throttleKey {
	return sha256.Sum256([]byte("pair\x00" + account + "\x00" + address))
}

func addressKey(address string) throttleKey { return sha256.Sum256([]byte("address\x00" + address)) }

// strikes are one key's recent failures and the attempts under way.
type strikes struct {
	failures int
	last     time.Time // of the last failure
	pending  int       // attempts reserved and not yet decided
}

// stale reports whether the strikes no longer hold anything back.
func (k *strikes) stale(now time.Time) bool {
	return k.pending == 0 && (k.failures == 0 || now.Sub(k.last) > forgetFailuresAfter)
}

// wait is how long the next attempt must still wait: zero while fewer than
// free attempts have failed or are under way; then one at a time, each at
// least 1s, 2s, 4s… (at most limit) after the last failure.
func (k *strikes) wait(now time.Time, free int, limit time.Duration) time.Duration {
	if k == nil || k.failures+k.pending < free {
		return 0
	}
	delay := limit
	if n := k.failures + k.pending - free; n < 30 {
		delay = min(time.Second<<n, limit)
	}
	if k.pending > 0 {
		return delay // the attempt under way decides when the next may go
	}
	return max(0, k.last.Add(delay).Sub(now))
}

// throttle counts recent failed sign-ins, and refused requests, in memory.
type throttle struct {
	mu        sync.Mutex
	fails     map[string][]time.Time
	pairs     map[throttleKey]*strikes
	addresses map[throttleKey]*strikes
	trusted   map[throttleKey]time.Time // pairs that signed in, and when
	now       func() time.Time
}

func newThrottle(now func() time.Time) *throttle {
	if now == nil {
		now = time.Now
	}
	return &throttle{fails: map[string][]time.Time{}, pairs: map[throttleKey]*strikes{},
		addresses: map[throttleKey]*strikes{}, trusted: map[throttleKey]time.Time{}, now: now}
}

// signInAttempt is one reserved sign-in attempt. Exactly one of failed and
// succeeded decides it; release gives back an attempt that was not decided
// (the password was never checked).
type signInAttempt struct {
	t             *throttle
	pair, address throttleKey
	done          bool
}

// reserve counts an attempt to sign in to account from address before its
// password is checked. It returns nil and how long to wait when the pair or
// the address must wait first.
func (t *throttle) reserve(account, address string) (*signInAttempt, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	a := &signInAttempt{t: t, pair: pairKey(account, address), address: addressKey(address)}
	forgetIfStale(t.pairs, a.pair, now)
	forgetIfStale(t.addresses, a.address, now)
	wait := t.pairs[a.pair].wait(now, pairFreeFailures, pairMaxWait)
	if trustedAt, ok := t.trusted[a.pair]; !ok || now.Sub(trustedAt) > trustSignInFor {
		wait = max(wait, t.addresses[a.address].wait(now, addressFreeFailures, addressMaxWait))
	}
	if wait > 0 {
		return nil, wait
	}
	strikesOf(t.pairs, a.pair, now).pending++
	strikesOf(t.addresses, a.address, now).pending++
	return a, 0
}

// strikesOf returns key's strikes, adding them. A full map first forgets
// what is stale; if that is not enough, everything not under way: only a
// spray of more addresses than the hashing limit lets through in an hour
// gets there, and bounded memory matters more than those strikes.
func strikesOf(m map[throttleKey]*strikes, key throttleKey, now time.Time) *strikes {
	if k := m[key]; k != nil {
		return k
	}
	if len(m) >= maxThrottleKeys {
		forgetStale(m, now)
	}
	if len(m) >= maxThrottleKeys {
		for key, k := range m {
			if k.pending == 0 {
				delete(m, key)
			}
		}
	}
	k := &strikes{}
	m[key] = k
	return k
}

// forgetIfStale drops key's strikes once they hold nothing back.
func forgetIfStale(m map[throttleKey]*strikes, key throttleKey, now time.Time) {
	if k := m[key]; k != nil && k.stale(now) {
		delete(m, key)
	}
}

// forgetStale drops the strikes that no longer hold anything back.
func forgetStale(m map[throttleKey]*strikes, now time.Time) {
	for key, k := range m {
		if k.stale(now) {
			delete(m, key)
		}
	}
}

// failed counts the attempt as a failure of its pair and its address.
func (a *signInAttempt) failed() {
	a.decide(func(now time.Time) {
		for _, k := range []*strikes{a.t.pairs[a.pair], a.t.addresses[a.address]} {
			k.failures++
			k.last = now
		}
	})
}

// succeeded clears the pair's failures and trusts the pair; the address
// keeps its failures, which may be someone else's.
func (a *signInAttempt) succeeded() {
	a.decide(func(now time.Time) {
		a.t.pairs[a.pair].failures = 0 // kept while other attempts of the pair are under way
		if len(a.t.trusted) >= maxThrottleKeys {
			clear(a.t.trusted) // only logins signing in fill it: never in practice
		}
		a.t.trusted[a.pair] = now
	})
}

// release gives back an attempt that was not decided; it does nothing
// after failed or succeeded, so callers can defer it.
func (a *signInAttempt) release() { a.decide(func(time.Time) {}) }

// decide ends the reservation once, then applies outcome, and forgets
// strikes that no longer hold anything back.
func (a *signInAttempt) decide(outcome func(now time.Time)) {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.done {
		return
	}
	a.done = true
	now := t.now()
	t.pairs[a.pair].pending--
	t.addresses[a.address].pending--
	outcome(now)
	forgetIfStale(t.pairs, a.pair, now)
	forgetIfStale(t.addresses, a.address, now)
}

// Refused requests from nobody signed in are audited too, but only so many
// per address, and in all, within the window: anyone on the internet can
// send them, and each audit event stays for good. The rest go to the server
// log only.
const (
	throttleWindow             = 15 * time.Minute
	anonymousDenialsPerAddress = 10
	anonymousDenialsInAll      = 100
)

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

// Reviewer links (/r/{secret}) are opened without signing in, so guesses
// at their secrets are counted like failed sign-ins, per address: an
// address that asked for reviewerLinkFreeMisses unknown links must wait
// before each next look, up to reviewerLinkMaxWait. A secret has 256
// random bits, so this only keeps a scan from costing the server; a
// reviewer who mistyped waits a second or two at most.
const (
	reviewerLinkFreeMisses = 20
	reviewerLinkMaxWait    = time.Minute
)

// reviewerLinkKey names an address's reviewer link misses.
func reviewerLinkKey(address string) throttleKey {
	return sha256.Sum256([]byte("review-link\x00" + address))
}

// reviewerLinkWait is how long address must still wait before its next
// reviewer link is looked up.
func (t *throttle) reviewerLinkWait(address string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, key := t.now(), reviewerLinkKey(address)
	forgetIfStale(t.addresses, key, now)
	return t.addresses[key].wait(now, reviewerLinkFreeMisses, reviewerLinkMaxWait)
}

// reviewerLinkMissed counts an unknown reviewer link asked for by address.
func (t *throttle) reviewerLinkMissed(address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := strikesOf(t.addresses, reviewerLinkKey(address), now)
	k.failures++
	k.last = now
}
