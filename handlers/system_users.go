package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listSystemUsers serves the system users list, or just its rows for active search.
func (s *Server) listSystemUsers(c echo.Context) error {
	p := listParams(c)
	var f db.SystemUserFilter
	narrowed, err := s.narrowing(c, systemUserNarrowing(&f))
	if err != nil {
		return err
	}
	page, err := s.store.ListSystemUsers(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	l := pages.SystemUserList{Page: page, Params: p, Narrowed: narrowed, CanEdit: currentUser(c).CanEdit()}
	return renderList(c, pages.SystemUsersPage(s.page(c, "System users", "system-users"), l), pages.SystemUsersList(l))
}

// showSystemUser is a system user's page: details, the roles it holds, timeline.
func (s *Server) showSystemUser(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u, err := s.store.SystemUserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	panel, err := s.rolesPanel(c, "system_user", id, components.Form{Values: map[string]string{}})
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "system_user", id)
	if err != nil {
		return err
	}
	tokens, err := s.relatedTokens(c, "Tokens issued to this system user", db.TokenFilter{SystemUserID: id},
		"system_user_id="+components.ID(id)+"&account_id="+components.ID(u.AccountID))
	if err != nil {
		return err
	}
	d := pages.SystemUserDetail{Tokens: tokens, SystemUser: u, Roles: panel, Timeline: tl, CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c)}
	return render(c, http.StatusOK, pages.SystemUserPage(s.page(c, u.Name, "system-users"), d))
}

func (s *Server) renderSystemUserForm(c echo.Context, status int, id int64, f components.Form) error {
	ctx := c.Request().Context()
	accounts, err := s.refOptions(ctx, "account", db.SystemUserFields.Specs(), f)
	if err != nil {
		return err
	}
	owners, err := s.refOptions(ctx, "owner", db.SystemUserFields.Specs(), f)
	if err != nil {
		return err
	}
	integrations, err := s.refOptions(ctx, "integration", db.SystemUserFields.Specs(), f)
	if err != nil {
		return err
	}
	title := "Add system user"
	if id != 0 {
		title = "Edit system user"
	}
	return render(c, status, pages.SystemUserFormPage(s.page(c, title, "system-users"), id, f, accounts, owners, integrations))
}

// newSystemUser shows an empty system user form, optionally with its
// account, responsible owner or integration chosen.
func (s *Server) newSystemUser(c echo.Context) error {
	return s.renderSystemUserForm(c, http.StatusOK, 0, newRecordForm(c, db.SystemUserFields, db.SystemUserInput{Status: db.SystemUserActive},
		"account_id", "responsible_owner_id", "integration_id"))
}

// createSystemUser saves a new system user, or re-renders the form with its errors.
func (s *Server) createSystemUser(c echo.Context) error {
	f, in := readRecordForm(c, db.SystemUserFields)
	id, err := s.store.CreateSystemUser(c.Request().Context(), actor(c), in)
	if invalid(err, &f) {
		return s.renderSystemUserForm(c, http.StatusUnprocessableEntity, 0, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "System user added.")
	return redirect(c, components.RecordURL("system_user", id))
}

// editSystemUser shows the system user's form filled in.
func (s *Server) editSystemUser(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u, err := s.store.SystemUserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.renderSystemUserForm(c, http.StatusOK, id, recordForm(c, db.SystemUserFields, u.Input()))
}

// updateSystemUser saves changes to a system user.
func (s *Server) updateSystemUser(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, in := readRecordForm(c, db.SystemUserFields)
	err = s.store.UpdateSystemUser(c.Request().Context(), actor(c), id, in)
	if invalid(err, &f) {
		return s.renderSystemUserForm(c, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "System user saved.")
	return redirect(c, components.RecordURL("system_user", id))
}
