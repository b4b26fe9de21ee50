package handlers

import (
	"context"
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
	canEdit := currentUser(c).CanEdit()
	nothingToDo := false
	if o.Status == db.OwnerOffboarding && len(checklists) == 0 && canEdit { // the page offers to start one
		plan, err := s.store.PlanChecklist(ctx, "owner", id)
		if err != nil {
			return err
		}
		nothingToDo = len(plan) == 0
	}
	d := pages.OwnerDetail{Checklists: checklists, NothingToDo: nothingToDo, Today: s.store.Today(), Tokens: tokens, Owner: o, Accounts: accounts, SystemUsers: systemUsers, Integrations: integrations, Logins: logins,
		Roles: panel, Timeline: tl, CanEdit: canEdit}
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

// ownerForms are the owner form's pages.
func (s *Server) ownerForms() recordForms[db.OwnerInput] {
	return recordForms[db.OwnerInput]{s: s, kind: "owner", fields: db.OwnerFields,
		blank:  func() db.OwnerInput { return db.OwnerInput{Status: db.OwnerActive} },
		load:   inputOf(s.store.OwnerByID),
		create: created(s.store.CreateOwner),
		update: func(ctx context.Context, a db.Actor, id int64, in db.OwnerInput) (savedRecord, error) {
			saved := savedRecord{ID: id}
			if in.Status == db.OwnerOffboarding {
				saved.Notes = []string{"They are offboarding: start their checklist from their page to work through their access."}
			}
			return saved, s.store.UpdateOwner(ctx, a, id, in)
		},
		render: s.renderOwnerForm, added: "Owner added.", saved: "Owner saved."}
}
