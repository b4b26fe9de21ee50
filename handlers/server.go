// Package handlers is Steward's HTTP layer: routes, middleware, sessions and
// one handler file per record kind or action.
package handlers

import (
	"log/slog"
	"net/url"
	"time"

	"github.com/gorilla/securecookie"

	"steward/db"
	"steward/internal/meta"
	"steward/internal/notify"
	"steward/internal/sso"
)

// Config is what the handlers need to know about how Steward is deployed.
type Config struct {
	// BaseURL is the public address; cookies are Secure when it is https.
	BaseURL string
	// TrustProxy makes the client address come from X-Forwarded-For set by a
	// reverse proxy on a private or loopback address.
	TrustProxy bool
	// SessionKey signs session and CSRF cookies; 32 bytes or more.
	SessionKey []byte
	// ListenAddr is the address the server listens on: a webhook may not
	// point at it (nor at BaseURL).
	ListenAddr string
	// Notifier runs the scheduler and sends the outbox (its loops are
	// started by the caller); nil makes one over the store whose work runs
	// only when asked (POST /admin/notifications/run), as in tests.
	Notifier *notify.Service
	// Mail is the mail settings the notifications page shows (never the
	// password); the zero value is mail off.
	Mail notify.MailSettings
	// SSO is the OpenID provider people may sign in with; nil is single
	// sign-on off.
	SSO *sso.Provider
	// NoPasswordLogin turns password sign-in off (only with SSO): the
	// sign-in form, POST /login, set-password links and /setup refuse.
	NoPasswordLogin bool

	// MetricsToken, when set, lets a scraper that sends it as
	// "Authorization: Bearer …" read GET /metrics from anywhere (without
	// it, only this machine may; see metricsAllowed).
	MetricsToken string

	// APIKeyRate and APIKeyBurst limit each API key's requests per second
	// and its bursts; zero is 20 a second with bursts of 40.
	APIKeyRate  float64
	APIKeyBurst int

	// Meta is the Graph API client that checks tokens and reads a business
	// (-meta-graph-url); nil is Meta's own API.
	Meta *meta.Client

	// The sign-in throttle's clock (nil is time.Now), a test hook set
	// through hooks_test.go.
	now func() time.Time
}

// Server holds what every handler needs.
type Server struct {
	store    *db.Store
	log      *slog.Logger
	cfg      Config
	secure   bool
	sessions *sessionStore
	flashes  *securecookie.SecureCookie // signs the flash cookie, see flash.go
	throttle *throttle
	// userDenials limits the audited refusals of each signed-in user.
	userDenials *denialCounter
	imports     *importStash // uploaded files between their preview and their apply
	// importSlot holds the one import being read and checked, see importing.
	importSlot chan struct{}
	pageCache  *pageCache // pages rendered since the last write, see cachePages
	notifier   *notify.Service
	metrics    *metrics   // GET /metrics and the request counters, see metrics.go
	ssoFlows   *ssoFlows  // single sign-ons under way, see sso.go
	apiLimits  *keyLimits // each API key's rate limit
	openAPI    []byte     // the API's OpenAPI document, see openapi.go
}

// Session lifetimes: a session ends after this long without a request, or
// this long after sign-in, whichever comes first.
const (
	SessionIdle     = 12 * time.Hour
	SessionAbsolute = 7 * 24 * time.Hour
)

func newServer(store *db.Store, log *slog.Logger, cfg Config) *Server {
	u, _ := url.Parse(cfg.BaseURL)
	secure := u != nil && u.Scheme == "https"
	notifier := cfg.Notifier
	if notifier == nil {
		notifier = notify.New(store, notify.Config{BaseURL: cfg.BaseURL, Log: log})
	}
	return &Server{
		store:    store,
		log:      log,
		cfg:      cfg,
		secure:   secure,
		sessions: newSessionStore(store, cfg.SessionKey, secure),
		// JSON, not the default gob: gob describes its types anew in every
		// cookie, a twentieth of a form post's time.
		flashes:     securecookie.New(cfg.SessionKey, nil).SetSerializer(securecookie.JSONEncoder{}).MaxAge(flashMaxAge),
		throttle:    newThrottle(cfg.now),
		userDenials: newDenialCounter(),
		imports:     newImportStash(),
		importSlot:  make(chan struct{}, 1),
		pageCache:   newPageCache(),
		notifier:    notifier,
		ssoFlows:    newSSOFlows(),
		apiLimits:   newKeyLimits(cfg.APIKeyRate, cfg.APIKeyBurst),
	}
}
