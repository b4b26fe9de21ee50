package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// issuePasswordLink is POST /admin/users/:id/reset-password: a one-time link
// with which the login sets a new password, shown to the admin this once
// (in this response, never in a cookie or a log) to hand over.
func (s *Server) issuePasswordLink(c echo.Context) error {
	if s.cfg.NoPasswordLogin {
		return s.passwordLoginOff(c)
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	token, expires, err := s.store.IssuePasswordLink(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	link := &pages.PasswordLink{Email: u.Email, URL: s.absoluteURL(c, "/password/set?token="+url.QueryEscape(token)),
		Expires: expires.UTC().Format("2006-01-02T15:04:05Z")}
	return s.renderUsersWith(c, http.StatusOK, components.Form{Values: map[string]string{"role": db.RoleViewer}, CSRF: csrfToken(c)}, link)
}

// absoluteURL is path on Steward's public address: the configured base URL,
// else the scheme and host this request came to.
func (s *Server) absoluteURL(c echo.Context, path string) string {
	if base := strings.TrimRight(s.cfg.BaseURL, "/"); base != "" {
		return base + path
	}
	return c.Scheme() + "://" + c.Request().Host + path
}

// linkGone answers a set-password link that is unknown, expired or used.
func (s *Server) linkGone(c echo.Context) error {
	return render(c, http.StatusGone, errorPage(s.page(c, "This link has expired or was used", ""), http.StatusGone,
		"This link has expired or was used",
		"A set-password link works once, for 24 hours, and only the newest one for a login. Ask an admin for a new link."))
}

// showSetPassword is GET /password/set?token=…: the new-password form of a
// valid set-password link.
func (s *Server) showSetPassword(c echo.Context) error {
	if s.cfg.NoPasswordLogin {
		return s.passwordLoginOff(c)
	}
	// The address holds the token. Referrer-Policy same-origin (see
	// securityHeaders) keeps it from other sites; no-referrer would make
	// browsers send "Origin: null" with the form, which the CSRF check refuses.
	token := c.QueryParam("token")
	u, err := s.store.PasswordLinkLogin(c.Request().Context(), token)
	if errors.Is(err, db.ErrPasswordLinkInvalid) {
		return s.linkGone(c)
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.SetPassword(s.page(c, "Set your password", ""), u.Email, token, components.Form{CSRF: csrfToken(c)}))
}

// setPasswordWithLink is POST /password/set: sets the password and uses the
// link up; the login's sessions end, and they sign in anew.
func (s *Server) setPasswordWithLink(c echo.Context) error {
	if s.cfg.NoPasswordLogin {
		return s.passwordLoginOff(c)
	}
	ctx, token := c.Request().Context(), c.FormValue("token")
	err := s.store.SetPasswordWithLink(ctx, actor(c), token, c.FormValue("password"))
	f := components.Form{CSRF: csrfToken(c)}
	if invalid(err, &f) {
		var u db.User
		if u, err = s.store.PasswordLinkLogin(ctx, token); err == nil {
			return render(c, http.StatusUnprocessableEntity, pages.SetPassword(s.page(c, "Set your password", ""), u.Email, token, f))
		}
	}
	if errors.Is(err, db.ErrPasswordLinkInvalid) {
		return s.linkGone(c)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Password set. Sign in with your new password.")
	return redirect(c, "/login")
}
