package handlers

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"steward/db"
	"steward/static"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = "1M"

// Route is one entry of Steward's URL surface with who may use it.
type Route struct {
	Method  string
	Path    string
	Access  access
	Handler echo.HandlerFunc
}

// AccessName says who may use a route: public, viewer, editor or admin.
func (r Route) AccessName() string {
	return [...]string{"public", "viewer", "editor", "admin"}[r.Access]
}

// routes is every URL Steward answers, in one table.
func (s *Server) routes() []Route {
	routes := append(s.recordRoutes(), s.checklistRoutes()...)
	routes = append(routes, s.exportRoutes()...)
	return append(routes, s.importRoutes()...)
}

// checklistRoutes are every record kind's checklist page and its start.
func (s *Server) checklistRoutes() []Route {
	var out []Route
	for _, kind := range []string{"owners", "accounts", "roles", "system-users", "integrations", "tokens"} {
		out = append(out,
			Route{http.MethodGet, "/" + kind + "/:id/checklist", viewer, s.showChecklist(kind)},
			Route{http.MethodPost, "/" + kind + "/:id/checklist", editor, s.startChecklist(kind)})
	}
	return out
}

// recordRoutes are the rest of the URL surface.
func (s *Server) recordRoutes() []Route {
	return []Route{
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/login", public, s.showLogin},
		{http.MethodPost, "/login", public, s.signIn},
		{http.MethodPost, "/logout", public, s.signOut},
		{http.MethodGet, "/setup", public, s.showSetup},
		{http.MethodPost, "/setup", public, s.createFirstAdmin},
		{http.MethodGet, "/password/set", public, s.showSetPassword},
		{http.MethodPost, "/password/set", public, s.setPasswordWithLink},

		{http.MethodGet, "/", viewer, s.showHome},
		{http.MethodGet, "/me", viewer, s.showMe},
		{http.MethodPost, "/me/password", viewer, s.changeMyPassword},

		{http.MethodGet, "/owners", viewer, s.listOwners},
		{http.MethodGet, "/owners/new", editor, s.newOwner},
		{http.MethodPost, "/owners", editor, s.createOwner},
		{http.MethodGet, "/owners/:id", viewer, s.showOwner},
		{http.MethodGet, "/owners/:id/edit", editor, s.editOwner},
		{http.MethodPost, "/owners/:id", editor, s.updateOwner},
		{http.MethodGet, "/owners/:id/timeline", viewer, s.timeline("owner")},

		{http.MethodGet, "/accounts", viewer, s.listAccounts},
		{http.MethodGet, "/accounts/new", editor, s.newAccount},
		{http.MethodPost, "/accounts", editor, s.createAccount},
		{http.MethodGet, "/accounts/:id", viewer, s.showAccount},
		{http.MethodGet, "/accounts/:id/edit", editor, s.editAccount},
		{http.MethodPost, "/accounts/:id", editor, s.updateAccount},
		{http.MethodGet, "/accounts/:id/timeline", viewer, s.timeline("account")},

		{http.MethodGet, "/roles", viewer, s.listRoles},
		{http.MethodGet, "/roles/new", editor, s.newRole},
		{http.MethodPost, "/roles", editor, s.createRole},
		{http.MethodGet, "/roles/:id", viewer, s.showRole},
		{http.MethodGet, "/roles/:id/edit", editor, s.editRole},
		{http.MethodPost, "/roles/:id", editor, s.updateRole},
		{http.MethodPost, "/roles/:id/remove", editor, s.removeRole},
		{http.MethodPost, "/roles/:id/review", editor, s.reviewRole},
		{http.MethodGet, "/roles/:id/timeline", viewer, s.timeline("role")},

		{http.MethodGet, "/system-users", viewer, s.listSystemUsers},
		{http.MethodGet, "/system-users/new", editor, s.newSystemUser},
		{http.MethodPost, "/system-users", editor, s.createSystemUser},
		{http.MethodGet, "/system-users/:id", viewer, s.showSystemUser},
		{http.MethodGet, "/system-users/:id/edit", editor, s.editSystemUser},
		{http.MethodPost, "/system-users/:id", editor, s.updateSystemUser},
		{http.MethodPost, "/system-users/:id/remove", editor, s.removeSystemUser},
		{http.MethodGet, "/system-users/:id/timeline", viewer, s.timeline("system_user")},

		{http.MethodGet, "/integrations", viewer, s.listIntegrations},
		{http.MethodGet, "/integrations/new", editor, s.newIntegration},
		{http.MethodPost, "/integrations", editor, s.createIntegration},
		{http.MethodGet, "/integrations/:id", viewer, s.showIntegration},
		{http.MethodGet, "/integrations/:id/edit", editor, s.editIntegration},
		{http.MethodPost, "/integrations/:id", editor, s.updateIntegration},
		{http.MethodPost, "/integrations/:id/retire", editor, s.retireIntegration},
		{http.MethodGet, "/integrations/:id/timeline", viewer, s.timeline("integration")},

		{http.MethodGet, "/tokens", viewer, s.listTokens},
		{http.MethodGet, "/tokens/new", editor, s.newToken},
		{http.MethodPost, "/tokens", editor, s.createToken},
		{http.MethodGet, "/tokens/lookup", viewer, s.showLookup},
		{http.MethodPost, "/tokens/lookup", viewer, s.lookupToken},
		{http.MethodGet, "/tokens/:id", viewer, s.showToken},
		{http.MethodGet, "/tokens/:id/edit", editor, s.editToken},
		{http.MethodPost, "/tokens/:id", editor, s.updateToken},
		{http.MethodPost, "/tokens/:id/review", editor, s.reviewToken},
		{http.MethodPost, "/tokens/:id/revoke", editor, s.revokeToken},
		{http.MethodGet, "/tokens/:id/timeline", viewer, s.timeline("token")},

		{http.MethodGet, "/search", viewer, s.search},
		{http.MethodGet, "/options/owners", viewer, s.findOptions("owners")},
		{http.MethodGet, "/options/accounts", viewer, s.findOptions("accounts")},
		{http.MethodGet, "/options/system-users", viewer, s.findOptions("system_users")},
		{http.MethodGet, "/options/integrations", viewer, s.findOptions("integrations")},
		{http.MethodGet, "/audit", viewer, s.showAudit},

		{http.MethodPost, "/checklists/:id/items/:iid", editor, s.tickChecklistItem},
		{http.MethodPost, "/checklists/:id/complete", editor, s.completeChecklist},
		{http.MethodGet, "/checklists/:id/timeline", viewer, s.checklistTimeline},

		{http.MethodGet, "/admin/checklists", admin, s.listStandingItems},
		{http.MethodPost, "/admin/checklists", admin, s.addStandingItem},
		{http.MethodPost, "/admin/checklists/:id/delete", admin, s.deleteStandingItem},

		{http.MethodGet, "/admin/users", admin, s.listUsers},
		{http.MethodPost, "/admin/users", admin, s.createUser},
		{http.MethodPost, "/admin/users/:id/role", admin, s.changeUserRole},
		{http.MethodPost, "/admin/users/:id/disable", admin, s.disableUser},
		{http.MethodPost, "/admin/users/:id/enable", admin, s.enableUser},
		{http.MethodPost, "/admin/users/:id/reset-password", admin, s.issuePasswordLink},
	}
}

// New builds the HTTP handler: middleware, every route, static files and
// the error pages.
func New(store *db.Store, log *slog.Logger, cfg Config) (*echo.Echo, []Route) {
	s := newServer(store, log, cfg)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.RequestID())
	e.Use(s.securityHeaders)
	e.Use(s.requestLogger())
	e.Use(middleware.Recover())
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024}))
	e.Use(bodyLimit())

	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	routes := s.routes()
	for _, r := range routes {
		e.Add(r.Method, r.Path, r.Handler, s.csrf, s.loadUser, s.require(r.Access), limitSearchTerms)
	}
	// Unknown paths get echo's default 404, which handleError renders. Do not
	// set echo.NotFoundHandler: it is a package global, a data race when two
	// servers are built at once (the handler tests do).
	return e, routes
}

// healthz answers ok while the database answers.
func (s *Server) healthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "database")
	}
	return c.String(http.StatusOK, "ok")
}
