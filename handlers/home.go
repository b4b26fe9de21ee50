package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/views/pages"
)

// showHome is the dashboard: counts and the latest activity.
func (s *Server) showHome(c echo.Context) error {
	ctx := c.Request().Context()
	owners, err := s.store.CountOwners(ctx)
	if err != nil {
		return err
	}
	accounts, err := s.store.CountAccounts(ctx)
	if err != nil {
		return err
	}
	roles, adminRoles, err := s.store.CountActiveRoles(ctx)
	if err != nil {
		return err
	}
	findings, err := s.store.Findings(ctx)
	if err != nil {
		return err
	}
	recent, err := s.store.RecentEvents(ctx, 15)
	if err != nil {
		return err
	}
	h := pages.Home{Findings: findings, Owners: owners, Accounts: accounts, Roles: roles, AdminRoles: adminRoles, Recent: recent,
		Empty: owners.Active+owners.Offboarding+owners.Departed == 0 && accounts == 0, CanEdit: currentUser(c).CanEdit()}
	return render(c, http.StatusOK, pages.HomePage(s.page(c, "Overview", "home"), h))
}
