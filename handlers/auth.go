package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

var errorPage = pages.ErrorPage

// showLogin renders the sign-in form.
func (s *Server) showLogin(c echo.Context) error {
	if currentUser(c) != nil {
		return redirect(c, "/")
	}
	f := components.Form{Values: map[string]string{"next": safeNext(c.QueryParam("next"))}, CSRF: csrfToken(c), Focus: "email"}
	return s.renderLogin(c, http.StatusOK, f, "")
}

// renderLogin shows the sign-in page with message, if any. While no login
// exists (a fresh install) it says how to create the first admin instead,
// as no sign-in could succeed.
func (s *Server) renderLogin(c echo.Context, status int, f components.Form, message string) error {
	n, err := s.store.CountUsers(c.Request().Context())
	if err != nil {
		return err
	}
	ways := pages.SignInWays{Password: !s.cfg.NoPasswordLogin, SSOLink: s.ssoLink(f.Value("next"))}
	if s.cfg.SSO != nil {
		ways.SSOName = s.cfg.SSO.Name()
	}
	return render(c, status, pages.Login(s.page(c, "Sign in", ""), f, message, n == 0, ways))
}

// passwordLoginOff answers what only password sign-in uses (the password
// form's post, /setup, set-password links) while it is turned off.
func (s *Server) passwordLoginOff(c echo.Context) error {
	return render(c, http.StatusNotFound, errorPage(s.page(c, "Password sign-in is off", ""), http.StatusNotFound,
		"Password sign-in is off", "Steward signs people in through single sign-on only. Use “Sign in with …” on the sign-in page."))
}

// signIn checks the password, throttles failures per account and address,
// and starts a fresh session.
func (s *Server) signIn(c echo.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	ip := c.RealIP()
	f := components.Form{Values: map[string]string{"email": email, "next": safeNext(c.FormValue("next"))}, CSRF: csrfToken(c), Focus: "email"}
	if email != "" { // kept, so a refused sign-in opens at the password
		f.Focus = "password"
	}
	refuse := func(status int, wait time.Duration, message string) error {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		return s.renderLogin(c, status, f, message)
	}
	if s.cfg.NoPasswordLogin {
		return s.renderLogin(c, http.StatusForbidden, f, "Password sign-in is turned off. Sign in with single sign-on below.")
	}
	attempt, refusal := s.reservePasswordAttempt(c, email)
	if attempt == nil {
		return s.renderLogin(c, http.StatusTooManyRequests, f, "Too many failed sign-ins. "+refusal)
	}
	defer attempt.release() // when the password was never checked
	u, err := s.store.Authenticate(c.Request().Context(), email, password)
	if errors.Is(err, db.ErrPasswordBusy) {
		return refuse(http.StatusServiceUnavailable, passwordBusyRetry,
			"Steward is busy checking other sign-ins. Try again in a few seconds.")
	}
	if errors.Is(err, db.ErrNotFound) {
		attempt.failed()
		if aerr := s.store.RecordFailedSignIn(c.Request().Context(), ip, email); aerr != nil {
			return aerr
		}
		return s.renderLogin(c, http.StatusUnauthorized, f, "That email and password do not match an enabled login.")
	}
	if err != nil {
		return err
	}
	attempt.succeeded()
	if err := s.startSession(c, u, ""); err != nil {
		return err
	}
	return redirect(c, safeNext(c.FormValue("next")))
}

// startSession signs u in on this browser: a session with a fresh ID (which
// defeats session fixation), a fresh CSRF token, and a sign-in event, whose
// summary ends with how, when it was not by password.
func (s *Server) startSession(c echo.Context, u db.User, how string) error {
	sess, err := s.sessions.Get(c.Request(), sessionCookie)
	if err != nil {
		return err
	}
	if sess.ID != "" {
		if err := s.store.DeleteSession(c.Request().Context(), sess.ID); err != nil {
			return err
		}
	}
	sess.ID, sess.Values = "", map[any]any{userIDKey: u.ID}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	s.setCSRFCookie(c)
	return s.store.RecordSignIn(c.Request().Context(), db.Actor{UserID: u.ID, Email: u.Email, IP: c.RealIP(), Cause: how})
}

// reservePasswordAttempt reserves an attempt to check email's password from
// the client's address (see throttle). When the pair must wait first it
// returns nil, with Retry-After set and a sentence saying how long.
func (s *Server) reservePasswordAttempt(c echo.Context, email string) (*signInAttempt, string) {
	attempt, wait := s.throttle.reserve(email, c.RealIP())
	if attempt != nil {
		return attempt, ""
	}
	wait = (wait + time.Second - 1).Truncate(time.Second) // whole seconds, rounded up: retrying then is not too early
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
	return nil, "Try again in " + waitText(wait) + "."
}

// waitText says a wait in words: "1 second", "8 seconds", "4 minutes".
func waitText(d time.Duration) string {
	n, unit := int(d/time.Second), "second"
	if d >= 2*time.Minute {
		n, unit = int((d+time.Minute-1)/time.Minute), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from a URL and read a backslash as a
	// slash, so "/\t/evil.example" would lead off the site: any control
	// character refuses next.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

// signOut ends the session in the database and clears the cookie.
func (s *Server) signOut(c echo.Context) error {
	sess, err := s.sessions.Get(c.Request(), sessionCookie)
	if err != nil {
		return err
	}
	if u := currentUser(c); u != nil {
		if err := s.store.Audit(c.Request().Context(), actor(c), db.Event{Action: "user.signed_out",
			Subject: db.Ref{Kind: "user", ID: u.ID}, Summary: "Signed out"}); err != nil {
			return err
		}
	}
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/login")
}

// showSetup is the one-time first-admin form from the link in the log.
func (s *Server) showSetup(c echo.Context) error {
	if s.cfg.NoPasswordLogin {
		return s.passwordLoginOff(c)
	}
	code := c.QueryParam("code")
	if !s.store.SetupCodeValid(c.Request().Context(), code) {
		return echo.NewHTTPError(http.StatusNotFound, "setup")
	}
	f := components.Form{Values: map[string]string{"code": code}, CSRF: csrfToken(c), Focus: "email"}
	return render(c, http.StatusOK, pages.Setup(s.page(c, "Set up", ""), f))
}

// createFirstAdmin uses the setup code up, creates the first admin and
// signs them in: they just chose the password, asking for it again would
// only add a step.
func (s *Server) createFirstAdmin(c echo.Context) error {
	if s.cfg.NoPasswordLogin {
		return s.passwordLoginOff(c)
	}
	f := components.Form{Values: map[string]string{"code": c.FormValue("code"), "email": c.FormValue("email")}, CSRF: csrfToken(c)}
	id, err := s.store.CreateFirstAdmin(c.Request().Context(), actor(c), c.FormValue("code"), c.FormValue("email"), c.FormValue("password"))
	var verr db.ValidationError
	if errors.As(err, &verr) {
		f.Errors = verr
		return render(c, http.StatusUnprocessableEntity, pages.Setup(s.page(c, "Set up", ""), f.FocusFirst("email", "password")))
	}
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := s.startSession(c, u, ""); err != nil {
		return err
	}
	s.flash(c, "Admin created: you are signed in as "+u.Email+". Add the people, accounts and tokens you look after, or other logins on the Admin page.")
	return redirect(c, "/")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
