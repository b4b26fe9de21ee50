package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"steward/db"
)

// contentSecurityPolicy forbids inline scripts and styles, framing, plugins
// and form posts to other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"

// securityHeaders sets the headers every response carries, error pages and
// static files included; it runs before the handler so errors keep them.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
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
			attrs := []slog.Attr{
				slog.String("id", v.RequestID), slog.String("method", v.Method), slog.String("path", v.URIPath),
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
	csrfCookie  = "steward_csrf"
	csrfKey     = "csrf"
	userCtxKey  = "user"
	csrfField   = "_csrf"
	csrfHeader  = "X-CSRF-Token"
	csrfTokenSz = 32
)

// csrf protects every state-changing request twice: the browser must say
// the request is same-origin (Fetch Metadata, else Origin), and it must carry
// the token from the CSRF cookie in the _csrf field or X-CSRF-Token header.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) == base64.RawURLEncoding.EncodedLen(csrfTokenSz) {
			token = ck.Value
		} else {
			token = s.setCSRFCookie(c)
		}
		c.Set(csrfKey, token)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if reason := crossSite(c.Request()); reason != "" {
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
		if err = r.ParseMultipartForm(32 << 20); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return nil
}

// setCSRFCookie issues a fresh CSRF token; sign-in calls it too, so a token
// planted before sign-in is worthless after.
func (s *Server) setCSRFCookie(c echo.Context) string {
	b := make([]byte, csrfTokenSz)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(SessionAbsolute.Seconds())})
	c.Set(csrfKey, token)
	return token
}

// crossSite says why a state-changing request looks cross-site, or "".
func crossSite(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site " + site
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
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

// actor is the current user and client address for audit events.
func actor(c echo.Context) db.Actor {
	a := db.Actor{IP: c.RealIP()}
	if u := currentUser(c); u != nil {
		a.UserID, a.Email = u.ID, u.Email
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
// came with a signed-in session; refusals of nobody signed in beyond a few
// (see auditAnonymousDenial) go to the server log only.
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
	if a.UserID == 0 && !s.throttle.auditAnonymousDenial(a.IP) {
		s.log.Warn("request denied", "summary", summary, "ip", a.IP)
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
	}
	if code >= 500 {
		s.log.Error("request failed", "id", c.Response().Header().Get(echo.HeaderXRequestID),
			"path", c.Request().URL.Path, "err", err)
	}
	text, ok := errorPages[code]
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
