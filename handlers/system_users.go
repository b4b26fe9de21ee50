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

// systemUserForms are the system user form's pages.
func (s *Server) systemUserForms() recordForms[db.SystemUserInput] {
	return recordForms[db.SystemUserInput]{s: s, kind: "system_user", fields: db.SystemUserFields,
		blank:     func() db.SystemUserInput { return db.SystemUserInput{Status: db.SystemUserActive} },
		fromQuery: []string{"account_id", "responsible_owner_id", "integration_id"},
		load:      inputOf(s.store.SystemUserByID),
		create:    created(s.store.CreateSystemUser),
		update:    updated(s.store.UpdateSystemUser),
		render:    s.renderSystemUserForm, added: "System user added.", saved: "System user saved."}
}
