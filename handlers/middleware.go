package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"steward/db"
)

// contentSecurityPolicy forbids inline scripts and styles, framing, plugins
// and form posts to other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"

// hsts tells browsers to use only https for a year, once they have seen it
// over https; sent only when the base URL is https.
const hsts = "max-age=31536000"

// securityHeaders sets the headers every response carries, error pages and
// static files included; it runs before the handler so errors keep them.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if s.secure {
			h.Set("Strict-Transport-Security", hsts)
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// requestLogger logs one structured line per request with its request ID.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true,
		LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			path := v.URIPath
			if strings.Contains(c.Path(), ":secret") || strings.Contains(c.Path(), ":feed") {
				// A reviewer's link and a calendar feed carry their secret
				// in the path: the log names the route, never the secret.
				path = c.Path()
			}
			attrs := []slog.Attr{
				slog.String("id", v.RequestID), slog.String("method", v.Method), slog.String("path", path),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency), slog.String("ip", v.RemoteIP),
			}
			if u := currentUser(c); u != nil {
				attrs = append(attrs, slog.Int64("user", u.ID))
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// bodyLimit refuses request bodies over MaxBodyBytes with 413, except an
// import's file upload, which may be up to MaxImportBody.
func bodyLimit() echo.MiddlewareFunc {
	small := middleware.BodyLimit(MaxBodyBytes)
	large := middleware.BodyLimit(MaxImportBody)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		smallNext, largeNext := small(next), large(next)
		return func(c echo.Context) error {
			if isImportUpload(c.Request()) {
				return largeNext(c)
			}
			return smallNext(c)
		}
	}
}

const (
	csrfCookie = "steward_csrf"
	csrfKey    = "csrf"
	userCtxKey = "user"
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	csrfRandSz = 32
)

// cookieName is the name a cookie goes by. With an https base URL it takes
// the __Host- prefix: browsers then accept it only Secure, for Path=/ and
// without Domain, so neither a sibling subdomain nor plain http can plant
// one.
func cookieName(secure bool, name string) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// csrf protects every state-changing request twice: the browser must say
// the request is same-origin (Fetch Metadata, else Origin), and it must send
// this browser's CSRF token in the _csrf field or X-CSRF-Token header. The
// token is bound to the session (see csrfFor), so one lifted from another
// session is worthless here.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, err := s.csrfFor(c)
		if err != nil {
			return err
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if reason := s.crossSite(c); reason != "" {
			s.deny(c, "cross-site request refused: "+reason)
			return echo.NewHTTPError(http.StatusForbidden, "cross-site request")
		}
		if err := readForm(c.Request()); err != nil {
			return err
		}
		sent := c.Request().Header.Get(csrfHeader)
		if sent == "" {
			sent = c.FormValue(csrfField)
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			s.deny(c, "missing or wrong CSRF token")
			return echo.NewHTTPError(http.StatusForbidden, "csrf")
		}
		return next(c)
	}
}

// readForm parses a state-changing request's form before anything reads a
// field. A body sent without Content-Length passes BodyLimit's first check
// and fails only while being read, and FormValue hides that error: the form
// would arrive empty instead of answering 413.
func readForm(r *http.Request) error {
	err := r.ParseForm()
	if err == nil {
		// Files over 1 MiB wait in temporary files, which the server removes
		// after the request, rather than in memory: a 20 MB import upload
		// must not be held once per request while it waits its turn.
		if err = r.ParseMultipartForm(1 << 20); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return nil
}

// csrfFor returns the CSRF token this request must carry, and makes it the
// page's. With a session it is an HMAC of the session's ID under the
// server's key, so it changes at sign-in and is worthless with any other
// session. Before sign-in it is a random value with its HMAC, kept in the
// CSRF cookie: only a token the server made, sent back with the same cookie,
// passes. The cookie always holds the current token.
func (s *Server) csrfFor(c echo.Context) (string, error) {
	sess, err := s.sessions.Get(c.Request(), sessionCookie)
	if err != nil {
		return "", fmt.Errorf("load session: %w", err)
	}
	var token string
	if sess.ID != "" && sess.Options.MaxAge >= 0 {
		token = s.csrfMAC("session", sess.ID)
	} else if ck, err := c.Cookie(cookieName(s.secure, csrfCookie)); err == nil && s.validAnonymousToken(ck.Value) {
		token = ck.Value
	} else {
		b := make([]byte, csrfRandSz)
		_, _ = rand.Read(b)
		r := base64.RawURLEncoding.EncodeToString(b)
		token = r + "." + s.csrfMAC("anonymous", r)
	}
	if ck, err := c.Cookie(cookieName(s.secure, csrfCookie)); err != nil || ck.Value != token {
		c.SetCookie(&http.Cookie{Name: cookieName(s.secure, csrfCookie), Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
			SameSite: http.SameSiteLaxMode, MaxAge: int(SessionAbsolute.Seconds())})
	}
	c.Set(csrfKey, token)
	return token, nil
}

// setCSRFCookie gives the page the token of the session just started or
// ended; sign-in calls it, so a token from before sign-in is worthless after.
func (s *Server) setCSRFCookie(c echo.Context) string {
	token, err := s.csrfFor(c)
	if err != nil {
		s.log.Error("csrf token", "err", err)
	}
	return token
}

// csrfMAC is the HMAC of value under the server's key, for kind of binding.
func (s *Server) csrfMAC(kind, value string) string {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte("steward csrf\x00" + kind + "\x00" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validAnonymousToken reports whether t is a pre-sign-in token this server made.
func (s *Server) validAnonymousToken(t string) bool {
	r, mac, ok := strings.Cut(t, ".")
	return ok && len(r) == base64.RawURLEncoding.EncodedLen(csrfRandSz) &&
		hmac.Equal([]byte(mac), []byte(s.csrfMAC("anonymous", r)))
}

// crossSite says why a state-changing request looks cross-site, or "". An
// Origin must match this site's scheme and host: the base URL's when set,
// else the request's own.
func (s *Server) crossSite(c echo.Context) string {
	r := c.Request()
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site " + site
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	scheme, host := "http", r.Host
	if r.TLS != nil || (s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")) {
		scheme = "https"
	}
	if base, err := url.Parse(s.cfg.BaseURL); err == nil && base.Host != "" {
		scheme, host = base.Scheme, base.Host
	}
	u, err := url.Parse(origin)
	if err != nil || !strings.EqualFold(u.Scheme, scheme) || u.Host == "" || !strings.EqualFold(u.Host, host) {
		return "Origin " + origin
	}
	return ""
}

func csrfToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// loadUser finds the signed-in user from the session, if any. A disabled
// user's session is ended.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.sessions.Get(c.Request(), sessionCookie)
		if err != nil {
			return fmt.Errorf("load session: %w", err)
		}
		if u, ok := sess.Values[userKey].(*db.User); ok {
			if u.Disabled {
				sess.Options.MaxAge = -1
				_ = sess.Save(c.Request(), c.Response())
			} else {
				c.Set(userCtxKey, u)
				s.sessions.touch(c.Request().Context(), sess)
			}
		}
		return next(c)
	}
}

func currentUser(c echo.Context) *db.User {
	u, _ := c.Get(userCtxKey).(*db.User)
	return u
}

// actor is the current user, or the API key, and the client address for
// audit events.
func actor(c echo.Context) db.Actor {
	if k := currentAPIKey(c); k != nil {
		return k.Actor(c.RealIP())
	}
	a := db.Actor{IP: c.RealIP()}
	if u := currentUser(c); u != nil {
		a.UserID, a.Email, a.Role = u.ID, u.Email, u.Role
	}
	return a
}

// access levels for routes.
type access int

const (
	public access = iota
	viewer
	editor
	admin
)

// require lets a request through only for users at level or above.
// Anonymous visitors are sent to sign in; others get 403 and an audit event.
func (s *Server) require(level access) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if level == public {
				return next(c)
			}
			u := currentUser(c)
			if u == nil {
				if c.Request().Method == http.MethodGet && !isHTMX(c) {
					return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				if isHTMX(c) {
					c.Response().Header().Set("HX-Redirect", "/login")
				}
				return echo.NewHTTPError(http.StatusUnauthorized, "sign in")
			}
			allowed := level == viewer || (level == editor && u.CanEdit()) || (level == admin && u.IsAdmin())
			if !allowed {
				s.deny(c, "role "+u.Role+" may not "+c.Request().Method+" "+c.Path())
				return echo.NewHTTPError(http.StatusForbidden, "forbidden")
			}
			return next(c)
		}
	}
}

// deny records a refused request in the audit log, under the user when it
// came with a signed-in session. Beyond a few per user (userDenials) or per
// address of nobody signed in (auditAnonymousDenial) within the window,
// refusals go to the server log only: audit events stay for good, and a
// scan must not grow the log without limit.
func (s *Server) deny(c echo.Context, why string) {
	summary := fmt.Sprintf("Refused %s %s: %s", c.Request().Method, c.Request().URL.Path, why)
	a := actor(c)
	if a.UserID == 0 {
		// The CSRF checks run before loadUser: find the session's user here.
		if sess, err := s.sessions.Get(c.Request(), sessionCookie); err == nil {
			if u, ok := sess.Values[userKey].(*db.User); ok && !u.Disabled {
				a.UserID, a.Email = u.ID, u.Email
			}
		}
	}
	var audited bool
	if a.UserID == 0 {
		audited = s.throttle.auditAnonymousDenial(a.IP)
	} else {
		audited = s.userDenials.allow(a.UserID)
	}
	if !audited {
		s.log.Warn("request denied", "summary", summary, "ip", a.IP, "user", a.UserID)
		return
	}
	if err := s.store.Audit(c.Request().Context(), a, db.Event{Action: "request.denied", Summary: summary}); err != nil {
		s.log.Error("audit denied request", "err", err)
	}
}

// errorPages maps status codes to what the user reads.
var errorPages = map[int][2]string{
	http.StatusBadRequest:            {"That request could not be understood", "Check what you entered and try again."},
	http.StatusUnauthorized:          {"Please sign in", "Your session has ended. Sign in again to continue."},
	http.StatusForbidden:             {"You can't do that", "Your role does not allow this, or the form was out of date. Go back, reload the page and try again; ask an admin if you need more access."},
	http.StatusNotFound:              {"Page not found", "There is nothing at this address. It may have been mistyped, or the record does not exist."},
	http.StatusMethodNotAllowed:      {"Not allowed here", "This address does not accept that kind of request."},
	http.StatusRequestEntityTooLarge: {"That was too large", "The request was over 1 MiB. Shorten what you entered and try again."},
	http.StatusTooManyRequests:       {"Too many attempts", "Wait a few minutes, then try again."},
	http.StatusServiceUnavailable:    {"Steward is busy", "The database is not answering. Try again in a moment."},
	http.StatusInsufficientStorage: {"The disk is full", "Steward could not save this change because the disk that holds its database is full. " +
		"Nothing of this change was saved, and everything saved before is safe. Free some space on the server (or ask your admin to), then try again."},
}

// passwordBusyRetry is when a request that found no turn to check a
// password (db.ErrPasswordBusy) is told to try again.
const passwordBusyRetry = 2 * time.Second

// errPasswordBusy is the page for db.ErrPasswordBusy.
var errPasswordBusy = &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: [2]string{"Steward is busy",
	"Steward is checking other passwords right now. Try again in a few seconds: nothing was changed."}}

// handleError is the one place errors become pages. Unexpected errors are
// logged with the request ID and shown as a generic 500, never their text.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
	case errors.Is(err, db.ErrNotFound):
		code = http.StatusNotFound
	case db.DiskFull(err):
		// 507 Insufficient Storage: the change was refused whole, and the
		// same request works once an admin frees space, without a restart.
		code = http.StatusInsufficientStorage
	case errors.Is(err, db.ErrPasswordBusy):
		code, he = http.StatusServiceUnavailable, errPasswordBusy
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(passwordBusyRetry/time.Second)))
	}
	if isAPI(c) {
		p := apiProblemOf(err, code)
		if p.Status >= 500 {
			s.log.Error("request failed", "id", c.Response().Header().Get(echo.HeaderXRequestID), "path", c.Request().URL.Path, "err", err)
		}
		if perr := writeProblem(c, p); perr != nil {
			s.log.Error("write problem", "err", perr)
		}
		return
	}
	if he == errPasswordBusy || he == errImportBusy {
		s.log.Warn("busy", "path", c.Request().URL.Path, "err", err) // expected under load; the client is told to retry
	} else if code >= 500 {
		s.log.Error("request failed", "id", c.Response().Header().Get(echo.HeaderXRequestID),
			"path", c.Request().URL.Path, "err", err)
	}
	text, ok := errorPages[code]
	if he != nil {
		if t, own := he.Message.([2]string); own {
			text, ok = t, true // a refusal that says why in its own words
		}
	}
	if code == http.StatusRequestEntityTooLarge && isImportUpload(c.Request()) {
		text = [2]string{"That file is too large", "An import file can be at most 20 MB. Split the spreadsheet into smaller files and import them one after another."}
	}
	if !ok {
		text = [2]string{"Something went wrong", "Steward could not finish this request. It has been logged; try again, and tell your admin if it keeps happening."}
		if code < 500 {
			text[0] = http.StatusText(code)
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if rerr := render(c, code, errorPage(s.page(c, text[0], ""), code, text[0], text[1])); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(code, text[0])
	}
}

// deniedPerUser is how many refused requests of one signed-in user are
// audited within throttleWindow; the rest go to the server log only.
const deniedPerUser = 10

// denialCounter counts recently audited refusals per signed-in user.
type denialCounter struct {
	mu  sync.Mutex
	at  map[int64][]time.Time
	now func() time.Time
}

func newDenialCounter() *denialCounter {
	return &denialCounter{at: map[int64][]time.Time{}, now: time.Now}
}

// allow reports whether another refusal of user is still to be audited,
// and counts it.
func (d *denialCounter) allow(user int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	cutoff := now.Add(-throttleWindow)
	kept := d.at[user][:0]
	for _, at := range d.at[user] {
		if at.After(cutoff) {
			kept = append(kept, at)
		}
	}
	if len(kept) >= deniedPerUser {
		d.at[user] = kept
		return false
	}
	if len(d.at) > 100_000 { // bound memory, as the sign-in throttle does
		clear(d.at)
	}
	d.at[user] = append(kept, now)
	return true
}
