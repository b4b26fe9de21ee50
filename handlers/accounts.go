package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listAccounts serves the accounts list, or just its rows for active search.
func (s *Server) listAccounts(c echo.Context) error {
	p := listParams(c)
	var f db.AccountFilter
	narrowed, err := s.narrowing(c, accountNarrowing(&f))
	if err != nil {
		return err
	}
	page, err := s.store.ListAccounts(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	l := pages.AccountList{Page: page, Params: p, Narrowed: narrowed, CanEdit: currentUser(c).CanEdit()}
	return renderList(c, pages.AccountsPage(s.page(c, "Accounts", "accounts"), l), pages.AccountsList(l))
}

// showAccount is an account's page: details, holders, its system users,
// child assets, timeline.
func (s *Server) showAccount(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.store.AccountByID(ctx, id)
	if err != nil {
		return err
	}
	panel, err := s.rolesPanel(c, "account", id, components.Form{Values: map[string]string{}})
	if err != nil {
		return err
	}
	page, err := s.store.ListAccounts(ctx, db.ListParams{PerPage: relatedShown}, db.AccountFilter{ParentID: id})
	children, err := related(page, err, "/accounts", "parent_id", id)
	if err != nil {
		return err
	}
	suPage, err := s.store.ListSystemUsers(ctx, relatedPage, db.SystemUserFilter{AccountID: id})
	systemUsers, err := related(suPage, err, "/system-users", "account_id", id)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "account", id)
	if err != nil {
		return err
	}
	tokens, err := s.relatedTokens(c, "Tokens on this account", db.TokenFilter{AccountID: id}, "account_id="+components.ID(id))
	if err != nil {
		return err
	}
	d := pages.AccountDetail{Tokens: tokens, Account: a, Children: children, SystemUsers: systemUsers, Roles: panel, Timeline: tl, CanEdit: currentUser(c).CanEdit()}
	return render(c, http.StatusOK, pages.AccountPage(s.page(c, a.Name, "accounts"), d))
}

func (s *Server) renderAccountForm(c echo.Context, status int, id int64, f components.Form) error {
	ctx := c.Request().Context()
	owners, err := s.refOptions(ctx, "owner", db.AccountFields.Specs(), f)
	if err != nil {
		return err
	}
	parents, err := s.refOptions(ctx, "account", db.AccountFields.Specs(), f)
	if err != nil {
		return err
	}
	title := "Add account"
	if id != 0 {
		title = "Edit account"
	}
	return render(c, status, pages.AccountFormPage(s.page(c, title, "accounts"), id, f, owners, parents))
}

// accountForms are the account form's pages.
func (s *Server) accountForms() recordForms[db.AccountInput] {
	return recordForms[db.AccountInput]{s: s, kind: "account", fields: db.AccountFields,
		blank:     func() db.AccountInput { return db.AccountInput{Criticality: "medium", Status: "active"} },
		fromQuery: []string{"parent_id"},
		load:      inputOf(s.store.AccountByID),
		create:    created(s.store.CreateAccount),
		update:    updated(s.store.UpdateAccount),
		render:    s.renderAccountForm, added: "Account added.", saved: "Account saved."}
}
