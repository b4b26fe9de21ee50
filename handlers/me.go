package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/views/components"
	"steward/views/pages"
)

// renderMe renders the signed-in login's own page with its password form
// and its calendar feed.
func (s *Server) renderMe(c echo.Context, status int, f components.Form) error {
	u, err := s.store.UserByID(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	feed, err := s.calendarFeedOf(c)
	if err != nil {
		return err
	}
	m := pages.MyLogin{User: u, Form: f, Calendar: feed}
	if s.cfg.SSO != nil && (!u.HasPassword || s.cfg.NoPasswordLogin) {
		m.SignsInWith = s.cfg.SSO.Name()
	}
	return render(c, status, pages.MePage(s.page(c, "Your login", "me"), m))
}

// showMe is GET /me: the signed-in login's own page.
func (s *Server) showMe(c echo.Context) error {
	return s.renderMe(c, http.StatusOK, components.Form{CSRF: csrfToken(c)})
}

// changeMyPassword is POST /me/password: with the current password, sets a
// new one; every other session of the login ends, this one goes on.
func (s *Server) changeMyPassword(c echo.Context) error {
	sess, err := s.sessions.Get(c.Request(), sessionCookie)
	if err != nil {
		return err
	}
	f := components.Form{CSRF: csrfToken(c)} // passwords are never shown back
	// Wrong current passwords count like failed sign-ins of the login from
	// this address: a stolen session must not guess at argon2's speed.
	attempt, refusal := s.reservePasswordAttempt(c, currentUser(c).Email)
	if attempt == nil {
		f.Errors = map[string]string{"current_password": "Too many wrong passwords. " + refusal}
		return s.renderMe(c, http.StatusTooManyRequests, f)
	}
	defer attempt.release()
	err = s.store.ChangePassword(c.Request().Context(), actor(c), currentUser(c).ID,
		c.FormValue("current_password"), c.FormValue("new_password"), sess.ID)
	if invalid(err, &f) {
		if f.Errors["current_password"] != "" {
			attempt.failed()
		}
		return s.renderMe(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	attempt.succeeded()
	s.flash(c, "Password changed. You were signed out everywhere else.")
	return redirect(c, "/me")
}
