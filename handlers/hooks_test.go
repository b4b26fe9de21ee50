package handlers

import "time"

// WithTestHooks returns cfg with the sign-in throttle reading now as its
// clock.
func WithTestHooks(cfg Config, now func() time.Time) Config {
	cfg.now = now
	return cfg
}
