package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listRoles serves the roles list, or just its rows for active search.
func (s *Server) listRoles(c echo.Context) error {
	p := listParams(c)
	var f db.RoleFilter
	narrowed, err := s.narrowing(c, roleNarrowing(&f))
	if err != nil {
		return err
	}
	page, err := s.store.ListRoles(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	l := pages.RoleList{Page: page, Params: p, Narrowed: narrowed, CanEdit: currentUser(c).CanEdit()}
	return renderList(c, pages.RolesPage(s.page(c, "Roles", "roles"), l), pages.RolesList(l))
}

// rolesPanel builds the roles section of an owner's, a system user's or an
// account's page: a holder's page lists its roles and offers accounts, an
// account's page lists its holders and offers people.
func (s *Server) rolesPanel(c echo.Context, context string, id int64, f components.Form) (pages.RolesPanel, error) {
	ctx := c.Request().Context()
	var filter db.RoleFilter
	param := context + "_id" // the role list's filter to this record
	switch context {
	case "account":
		filter = db.RoleFilter{AccountID: id}
	case "system_user":
		filter = db.RoleFilter{SystemUserID: id}
	default:
		filter = db.RoleFilter{OwnerID: id}
	}
	roles, err := s.store.ListRoles(ctx, relatedPage, filter)
	if err != nil {
		return pages.RolesPanel{}, err
	}
	var options []db.Option
	if context == "account" {
		options, err = s.refOptions(ctx, "owner", db.RoleFields.Specs(), f)
	} else {
		options, err = s.refOptions(ctx, "account", db.RoleFields.Specs(), f)
	}
	f.CSRF = csrfToken(c)
	return pages.RolesPanel{Context: context, ContextID: id, Roles: roles.Items, Total: roles.Total, AllHref: narrowedTo("/roles", param, id),
		Form: f, Options: options,
		CanEdit: currentUser(c).CanEdit(), CSRF: f.CSRF}, err
}

// panelContext reads which page an inline role form came from, if any.
func panelContext(c echo.Context) (string, int64) {
	context := c.FormValue("context")
	id, err := strconv.ParseInt(c.FormValue("context_id"), 10, 64)
	if (context != "owner" && context != "system_user" && context != "account") || err != nil || id <= 0 {
		return "", 0
	}
	return context, id
}

// answerPanel answers an inline role change made from an owner's, a system
// user's or an account's page: htmx gets the panel and the fresh timeline, a
// plain form goes back to the page.
func (s *Server) answerPanel(c echo.Context, status int, context string, id int64, f components.Form, flash string) error {
	if !isHTMX(c) {
		if status == http.StatusOK {
			s.flash(c, flash)
		}
		return redirect(c, components.RecordURL(context, id))
	}
	panel, err := s.rolesPanel(c, context, id, f)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, context, id)
	if err != nil {
		return err
	}
	return render(c, status, pages.RolesPanelUpdate(panel, tl))
}

// showRole is a role's page.
func (s *Server) showRole(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	r, err := s.store.RoleByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "role", id)
	if err != nil {
		return err
	}
	d := pages.RoleDetail{Role: r, Timeline: tl, CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c)}
	return render(c, http.StatusOK, pages.RolePage(s.page(c, r.Role+" on "+r.AccountName, "roles"), d))
}

func (s *Server) renderRoleForm(c echo.Context, status int, id int64, f components.Form) error {
	ctx := c.Request().Context()
	accounts, err := s.refOptions(ctx, "account", db.RoleFields.Specs(), f)
	if err != nil {
		return err
	}
	owners, err := s.refOptions(ctx, "owner", db.RoleFields.Specs(), f)
	if err != nil {
		return err
	}
	title := "Grant role"
	if id != 0 {
		title = "Edit role"
	}
	return render(c, status, pages.RoleFormPage(s.page(c, title, "roles"), id, f, accounts, owners))
}

// roleForms are the role form's pages; granting a role has its own
// handler, createRole, as it also answers the roles panel of a record page.
func (s *Server) roleForms() recordForms[db.RoleInput] {
	return recordForms[db.RoleInput]{s: s, kind: "role", fields: db.RoleFields,
		blank:     func() db.RoleInput { return db.RoleInput{GrantedOn: today(), Status: "active"} },
		fromQuery: []string{"account_id", "owner_id", "system_user_id", "admin"},
		load:      inputOf(s.store.RoleByID),
		create:    created(s.store.CreateRole), // the API's; the pages' is createRole, for the roles panel
		update:    updated(s.store.UpdateRole),
		render:    s.renderRoleForm, added: "Role granted.", saved: "Role saved."}
}

// createRole grants a role from the role form or inline from a record page.
func (s *Server) createRole(c echo.Context) error {
	f, in := readRecordForm(c, db.RoleFields)
	context, contextID := panelContext(c)
	if context != "" && in.GrantedOn == "" {
		in.GrantedOn = today()
		f = recordForm(c, db.RoleFields, in)
	}
	id, err := s.store.CreateRole(c.Request().Context(), actor(c), in)
	if invalid(err, &f) {
		if context != "" && isHTMX(c) {
			return s.answerPanel(c, http.StatusUnprocessableEntity, context, contextID, f, "")
		}
		return s.renderRoleForm(c, http.StatusUnprocessableEntity, 0, f)
	}
	if err != nil {
		return err
	}
	if context != "" {
		return s.answerPanel(c, http.StatusOK, context, contextID, components.Form{Values: map[string]string{}}, "Role granted.")
	}
	s.flash(c, "Role granted.")
	return redirect(c, components.RecordURL("role", id))
}
