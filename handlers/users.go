package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

func (s *Server) renderUsers(c echo.Context, status int, f components.Form) error {
	return s.renderUsersWith(c, status, f, nil)
}

// renderUsersWith renders the users page, showing link if one was just issued.
func (s *Server) renderUsersWith(c echo.Context, status int, f components.Form, link *pages.PasswordLink) error {
	ctx := c.Request().Context()
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	owners, err := s.pickerOptions(ctx, "owners", f, "owner_id")
	if err != nil {
		return err
	}
	a := pages.UsersAdmin{Users: users, Form: f, Owners: owners, SelfID: currentUser(c).ID, Link: link, PasswordLogin: !s.cfg.NoPasswordLogin}
	return render(c, status, pages.UsersPage(s.page(c, "Users", "admin"), a))
}

// listUsers is the admin page of dashboard logins.
func (s *Server) listUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, components.Form{Values: map[string]string{"role": db.RoleViewer}, CSRF: csrfToken(c)})
}

// createUser adds a login.
func (s *Server) createUser(c echo.Context) error {
	f := formOf(c, "email", "role", "owner_id")
	_, err := s.store.CreateUser(c.Request().Context(), actor(c), db.UserInput{Email: f.Value("email"),
		Password: c.FormValue("password"), Role: f.Value("role"), OwnerID: f.Value("owner_id"), NoPassword: s.cfg.NoPasswordLogin})
	if invalid(err, &f) {
		return s.renderUsers(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "User added.")
	return redirect(c, "/admin/users")
}

// changeUser applies an admin's change to a login and reports the result.
func (s *Server) changeUser(c echo.Context, change func(id int64) error, done string) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return s.flashOutcome(c, change(id), done, "/admin/users")
}

// flashOutcome answers an admin's one-button change with a flash and a
// redirect to to: why it was refused, or done. Any other error is the
// error page's.
func (s *Server) flashOutcome(c echo.Context, err error, done, to string) error {
	var f components.Form
	if invalid(err, &f) {
		for _, msg := range f.Errors {
			s.flash(c, msg)
		}
		return redirect(c, to)
	}
	if err != nil {
		return err
	}
	s.flash(c, done)
	return redirect(c, to)
}

// changeUserRole sets a login's role; their sessions end.
func (s *Server) changeUserRole(c echo.Context) error {
	return s.changeUser(c, func(id int64) error {
		return s.store.SetUserRole(c.Request().Context(), actor(c), id, c.FormValue("role"))
	}, "Role changed. Their sessions have ended.")
}

// disableUser disables a login; their sessions end.
func (s *Server) disableUser(c echo.Context) error {
	return s.changeUser(c, func(id int64) error {
		return s.store.SetUserDisabled(c.Request().Context(), actor(c), id, true)
	}, "User disabled. Their sessions have ended.")
}

// enableUser enables a login again.
func (s *Server) enableUser(c echo.Context) error {
	return s.changeUser(c, func(id int64) error {
		return s.store.SetUserDisabled(c.Request().Context(), actor(c), id, false)
	}, "User enabled.")
}
