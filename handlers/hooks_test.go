package handlers

import "time"

// WithTestHooks returns cfg with the sign-in throttle reading now as its
// clock and passwordWork called with +1 as each password check starts and
// -1 as it ends.
func WithTestHooks(cfg Config, now func() time.Time, passwordWork func(delta int)) Config {
	cfg.now, cfg.passwordWork = now, passwordWork
	return cfg
}
