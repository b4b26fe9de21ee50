package handlers

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"steward/views/pages"
)

// showHome is the dashboard: counts and the latest activity.
func (s *Server) showHome(c echo.Context) error {
	content, err := s.homeContent(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.Framed(s.page(c, "Overview", "home"), content))
}

// homeContent is the dashboard inside the page shell.
func (s *Server) homeContent(c echo.Context) (templ.Component, error) {
	ctx := c.Request().Context()
	owners, err := s.store.CountOwners(ctx)
	if err != nil {
		return nil, err
	}
	accounts, err := s.store.CountAccounts(ctx)
	if err != nil {
		return nil, err
	}
	roles, adminRoles, err := s.store.CountActiveRoles(ctx)
	if err != nil {
		return nil, err
	}
	findings, err := s.store.Findings(ctx)
	if err != nil {
		return nil, err
	}
	checklists, err := s.store.OpenChecklists(ctx, "", 0, 20)
	if err != nil {
		return nil, err
	}
	recent, err := s.store.RecentEvents(ctx, 15, currentUser(c).IsAdmin())
	if err != nil {
		return nil, err
	}
	// Empty shows the welcome instead of the findings; a token registered
	// before any owner or account still raises findings, and they must show.
	empty := owners.Active+owners.Offboarding+owners.Departed == 0 && accounts == 0
	for _, f := range findings {
		if f.Count > 0 {
			empty = false
		}
	}
	h := pages.Home{Checklists: checklists, Today: s.store.Today(), Findings: findings, Owners: owners, Accounts: accounts, Roles: roles, AdminRoles: adminRoles, Recent: recent,
		Empty: empty, CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c)}
	return pages.HomeContent(h), nil
}
