package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listOwners serves the owners list, or just its rows for active search.
func (s *Server) listOwners(c echo.Context) error {
	p := listParams(c)
	page, err := s.store.ListOwners(c.Request().Context(), p)
	if err != nil {
		return err
	}
	l := pages.OwnerList{Page: page, Params: p, CanEdit: currentUser(c).CanEdit()}
	return renderList(c, pages.OwnersPage(s.page(c, "Owners", "owners"), l), pages.OwnersList(l))
}

// showOwner is an owner's page: details, roles, the accounts, system users and
// integrations they answer for, logins, timeline.
func (s *Server) showOwner(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	o, err := s.store.OwnerByID(ctx, id)
	if err != nil {
		return err
	}
	panel, err := s.rolesPanel(c, "owner", id, components.Form{Values: map[string]string{}})
	if err != nil {
		return err
	}
	accountPage, err := s.store.ListAccounts(ctx, db.ListParams{PerPage: relatedShown}, db.AccountFilter{OwnerID: id})
	accounts, err := related(accountPage, err, "/accounts", "owner_id", id)
	if err != nil {
		return err
	}
	suPage, err := s.store.ListSystemUsers(ctx, relatedPage, db.SystemUserFilter{OwnerID: id})
	systemUsers, err := related(suPage, err, "/system-users", "responsible_owner_id", id)
	if err != nil {
		return err
	}
	integrationPage, err := s.store.ListIntegrations(ctx, relatedPage, db.IntegrationFilter{OwnerID: id})
	integrations, err := related(integrationPage, err, "/integrations", "responsible_owner_id", id)
	if err != nil {
		return err
	}
	logins, err := s.store.UsersLinkedTo(ctx, id)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "owner", id)
	if err != nil {
		return err
	}
	tokens, err := s.relatedTokens(c, "Tokens issued to, answered for or created by them", db.TokenFilter{InvolvesOwnerID: id},
		"responsible_owner_id="+components.ID(id))
	if err != nil {
		return err
	}
	checklists, err := s.store.OpenChecklists(ctx, "owner", id, 5)
	if err != nil {
		return err
	}
	d := pages.OwnerDetail{Checklists: checklists, Today: s.store.Today(), Tokens: tokens, Owner: o, Accounts: accounts, SystemUsers: systemUsers, Integrations: integrations, Logins: logins,
		Roles: panel, Timeline: tl, CanEdit: currentUser(c).CanEdit()}
	return render(c, http.StatusOK, pages.OwnerPage(s.page(c, o.Name, "owners"), d))
}

func (s *Server) renderOwnerForm(c echo.Context, status int, id int64, f components.Form) error {
	managers, err := s.refOptions(c.Request().Context(), "owner", db.OwnerFields.Specs(), f)
	if err != nil {
		return err
	}
	title := "Add owner"
	if id != 0 {
		title = "Edit owner"
	}
	return render(c, status, pages.OwnerFormPage(s.page(c, title, "owners"), id, f, managers))
}

// newOwner shows an empty owner form.
func (s *Server) newOwner(c echo.Context) error {
	return s.renderOwnerForm(c, http.StatusOK, 0, recordForm(c, db.OwnerFields, db.OwnerInput{Status: db.OwnerActive}))
}

// createOwner saves a new owner, or re-renders the form with its errors.
func (s *Server) createOwner(c echo.Context) error {
	f, in := readRecordForm(c, db.OwnerFields)
	id, err := s.store.CreateOwner(c.Request().Context(), actor(c), in)
	if invalid(err, &f) {
		return s.renderOwnerForm(c, http.StatusUnprocessableEntity, 0, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Owner added.")
	return redirect(c, components.RecordURL("owner", id))
}

// editOwner shows the owner's form filled in.
func (s *Server) editOwner(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	o, err := s.store.OwnerByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.renderOwnerForm(c, http.StatusOK, id, recordForm(c, db.OwnerFields, o.Input()))
}

// updateOwner saves changes to an owner.
func (s *Server) updateOwner(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, in := readRecordForm(c, db.OwnerFields)
	err = s.store.UpdateOwner(c.Request().Context(), actor(c), id, in)
	if invalid(err, &f) {
		return s.renderOwnerForm(c, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Owner saved.")
	if f.Value("status") == db.OwnerOffboarding {
		s.flash(c, "They are offboarding: start their checklist from their page to work through their access.")
	}
	return redirect(c, components.RecordURL("owner", id))
}
