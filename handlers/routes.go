package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"steward/db"
	"steward/internal/sso"
	"steward/static"
)

// staticRoute serves the embedded CSS, JavaScript and icons.
const staticRoute = "/static/*"

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

// kindHandlers are the handlers of one record kind's own pages.
type kindHandlers struct {
	list, new, create, show, edit, update echo.HandlerFunc
	// input is the kind's recordForms, for the API's create and patch.
	input apiInput
}

// kindHandlers are each record kind's page handlers, by db.Kind name.
func (s *Server) kindHandlers() map[string]kindHandlers {
	owners, accounts, roles := s.ownerForms(), s.accountForms(), s.roleForms()
	systemUsers, integrations, tokens := s.systemUserForms(), s.integrationForms(), s.tokenForms()
	return map[string]kindHandlers{
		"owner":       {s.listOwners, owners.newForm, owners.createRecord, s.showOwner, owners.editForm, owners.updateRecord, owners},
		"account":     {s.listAccounts, accounts.newForm, accounts.createRecord, s.showAccount, accounts.editForm, accounts.updateRecord, accounts},
		"role":        {s.listRoles, roles.newForm, s.createRole, s.showRole, roles.editForm, roles.updateRecord, roles},
		"system_user": {s.listSystemUsers, systemUsers.newForm, systemUsers.createRecord, s.showSystemUser, systemUsers.editForm, systemUsers.updateRecord, systemUsers},
		"integration": {s.listIntegrations, integrations.newForm, integrations.createRecord, s.showIntegration, integrations.editForm, integrations.updateRecord, integrations},
		"token":       {s.listTokens, tokens.newForm, tokens.createRecord, s.showToken, tokens.editForm, tokens.updateRecord, tokens},
	}
}

// kindRoutes are the pages every record kind of db.Kinds has, at
// /{kind.Path}: its list, form, record page, timeline, checklist, exports,
// import and, for kinds that forms pick, the picker's options. A kind
// without handlers gets no routes (and fails TestKindRoutes).
func (s *Server) kindRoutes() []Route {
	byKind, writers := s.kindHandlers(), s.listWriters()
	var out []Route
	for _, k := range db.Kinds {
		h, ok := byKind[k.Name]
		write, exports := writers[k.Name]
		if !ok || !exports {
			continue
		}
		base, one, imp := "/"+k.Path, "/"+k.Path+"/:id", "/"+k.Path+"/import"
		out = append(out,
			Route{http.MethodGet, base, viewer, h.list},
			Route{http.MethodGet, base + "/new", editor, h.new},
			Route{http.MethodPost, base, editor, h.create},
			Route{http.MethodGet, one, viewer, h.show},
			Route{http.MethodGet, one + "/edit", editor, h.edit},
			Route{http.MethodPost, one, editor, h.update},
			Route{http.MethodGet, one + "/timeline", viewer, s.timeline(k.Name)},
			Route{http.MethodGet, one + "/checklist", viewer, s.showChecklist(k.Path)},
			Route{http.MethodPost, one + "/checklist", editor, s.startChecklist(k.Path)},
			Route{http.MethodGet, base + "/export.csv", viewer, s.exportList(k, write, "csv")},
			Route{http.MethodGet, base + "/export.json", viewer, s.exportList(k, write, "json")},
			Route{http.MethodGet, imp, editor, s.showImport(k.Path)},
			Route{http.MethodGet, imp + "/template.csv", editor, s.importTemplate(k.Path)},
			Route{http.MethodPost, imp, editor, s.previewImport(k.Path)},
			Route{http.MethodPost, imp + "/apply", editor, s.applyImport(k.Path)})
		if k.Picker {
			out = append(out, Route{http.MethodGet, "/options/" + k.Path, viewer, s.findOptions(k.Table)})
		}
	}
	for _, a := range s.statusChanges() {
		k, _ := db.KindNamed(a.kind)
		out = append(out, Route{http.MethodPost, "/" + k.Path + "/:id/" + a.verb, editor, s.statusAction(a)})
	}
	return out
}

// statusChange is one status action on a record, which its page's button
// and the API both offer, at /{kind.Path}/{id}/{verb}.
type statusChange struct {
	kind, verb string // the db.Kind name, and the action's path segment
	change     func(ctx context.Context, a db.Actor, id int64) error
	done       string // the page's message afterwards
	// panel says the button may be on another record's roles panel, which
	// the answer then updates (see answerPanel).
	panel bool
}

// apply makes the change to the record at the request's :id, as the
// request's actor, and returns its ID.
func (a statusChange) apply(c echo.Context) (int64, error) {
	id, err := idParam(c)
	if err != nil {
		return 0, err
	}
	return id, a.change(c.Request().Context(), actor(c), id)
}

// statusChanges are the status actions of every kind, in one table.
func (s *Server) statusChanges() []statusChange {
	return []statusChange{
		{"role", "remove", s.store.RemoveRole, "Role removed.", true},
		{"role", "review", s.store.ReviewRole, "Marked reviewed today.", false},
		{"system_user", "remove", s.store.RemoveSystemUser, "System user removed.", false},
		{"integration", "retire", s.store.RetireIntegration, "Integration retired.", false},
		{"token", "review", s.store.ReviewToken, "Marked reviewed today.", false},
		{"token", "revoke", s.store.RevokeToken, "Token marked revoked.", false},
	}
}

// routes is every URL Steward answers, in one table.
func (s *Server) routes() []Route {
	return append(append(s.kindRoutes(), s.apiRoutes()...), []Route{
		// Signing in, and the load balancer's check: open to anyone.
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		// Prometheus's scrape: public in the table, but showMetrics lets in
		// only this machine itself or the metrics token.
		{http.MethodGet, "/metrics", public, s.showMetrics},
		{http.MethodGet, "/login", public, s.showLogin},
		{http.MethodPost, "/login", public, s.signIn},
		{http.MethodPost, "/logout", public, s.signOut},
		{http.MethodGet, "/setup", public, s.showSetup},
		{http.MethodPost, "/setup", public, s.createFirstAdmin},
		{http.MethodGet, "/password/set", public, s.showSetPassword},
		// Single sign-on (OpenID Connect), when configured: off to the
		// provider, and back with its code.
		{http.MethodGet, "/auth/oidc/login", public, s.startSSO},
		{http.MethodGet, sso.CallbackPath, public, s.finishSSO},
		{http.MethodPost, "/password/set", public, s.setPasswordWithLink},
		// A login's calendar feed, for calendar apps: the secret in the
		// address ({secret}.ics) is its only key.
		{http.MethodGet, "/calendar/:feed", public, s.calendarFeed},
		// A reviewer's personal link to their items in an access review:
		// the secret in the address is its only key.
		{http.MethodGet, "/r/:secret", public, s.showReviewerAnswers},
		{http.MethodPost, "/r/:secret/items/:item_id", public, s.answerByLink},
		// The JSON API's OpenAPI document, for its clients.
		{http.MethodGet, apiPrefix + "/openapi.json", public, s.openAPIDocument},

		// Reading: home, one's own login, search, the audit log.
		{http.MethodGet, "/", viewer, s.showHome},
		{http.MethodGet, "/me", viewer, s.showMe},
		{http.MethodPost, "/me/password", viewer, s.changeMyPassword},
		{http.MethodPost, "/me/calendar-feed", viewer, s.renewCalendarFeed},
		{http.MethodGet, "/search", viewer, s.search},
		{http.MethodGet, "/tokens/lookup", viewer, s.showLookup},
		{http.MethodPost, "/tokens/lookup", viewer, s.lookupToken},
		{http.MethodGet, "/audit", viewer, s.showAudit},

		// Rotating a token (its status actions are kindRoutes).
		{http.MethodGet, "/tokens/:id/rotate", editor, s.showRotateForm},
		{http.MethodPost, "/tokens/:id/rotate", editor, s.rotateToken},

		// Saved checklists.
		{http.MethodPost, "/checklists/:id/items/:iid", editor, s.tickChecklistItem},
		{http.MethodPost, "/checklists/:id/complete", editor, s.completeChecklist},
		{http.MethodGet, "/checklists/:id/timeline", viewer, s.checklistTimeline},

		// Access reviews: start, follow, close, print and export.
		{http.MethodGet, "/reviews", viewer, s.listReviews},
		{http.MethodGet, "/reviews/new", editor, s.newReview},
		{http.MethodPost, "/reviews", editor, s.createReview},
		{http.MethodGet, "/reviews/:id", viewer, s.showReview},
		{http.MethodPost, "/reviews/:id/close", editor, s.closeReview},
		{http.MethodGet, "/reviews/:id/report", viewer, s.showReviewReport},
		{http.MethodGet, "/reviews/:id/export.csv", viewer, s.exportReview},
		{http.MethodGet, "/reviews/:id/timeline", viewer, s.reviewTimeline},
		// Access reviews: answers from the review's page, reviewers' links.
		{http.MethodPost, "/reviews/:id/items/:item_id", editor, s.answerReviewItem},
		{http.MethodPost, "/reviews/:id/links/:owner_id", editor, s.issueReviewLink},
		{http.MethodPost, "/reviews/:id/links/:owner_id/revoke", editor, s.revokeReviewLink},

		// Administration: exports of everything, the audit chain, backups,
		// settings, standing checklist items, logins, API keys and
		// notifications.
		{http.MethodGet, "/admin", admin, s.showAdmin},
		{http.MethodGet, "/export.json", admin, s.exportEverything},
		{http.MethodGet, "/audit/export.csv", admin, s.exportAudit("csv")},
		{http.MethodGet, "/audit/export.json", admin, s.exportAudit("json")},
		{http.MethodPost, "/admin/audit/verify", admin, s.verifyAudit},
		{http.MethodPost, "/admin/backup", admin, s.downloadBackup},
		{http.MethodPost, "/admin/organisation", admin, s.saveOrganisation},
		{http.MethodPost, "/admin/calendar-feeds", admin, s.setCalendarFeeds},
		{http.MethodGet, "/admin/checklists", admin, s.listStandingItems},
		{http.MethodPost, "/admin/checklists", admin, s.addStandingItem},
		{http.MethodPost, "/admin/checklists/:id/delete", admin, s.deleteStandingItem},
		{http.MethodGet, "/admin/users", admin, s.listUsers},
		{http.MethodPost, "/admin/users", admin, s.createUser},
		{http.MethodPost, "/admin/users/:id/role", admin, s.changeUserRole},
		{http.MethodPost, "/admin/users/:id/disable", admin, s.disableUser},
		{http.MethodPost, "/admin/users/:id/enable", admin, s.enableUser},
		{http.MethodPost, "/admin/users/:id/reset-password", admin, s.issuePasswordLink},
		{http.MethodGet, "/admin/connectors/meta/sync", admin, s.showMetaSyncForm},
		{http.MethodPost, "/admin/connectors/meta/sync", admin, s.startMetaSync},
		{http.MethodPost, "/admin/connectors/meta/sync/apply", admin, s.applyMetaSync},
		{http.MethodGet, "/admin/connectors/meta/syncs/:id", admin, s.showMetaSync},
		{http.MethodPost, "/findings/drift/:id/dismiss", editor, s.dismissDrift},
		{http.MethodGet, "/admin/api-keys", admin, s.listAPIKeys},
		{http.MethodPost, "/admin/api-keys", admin, s.createAPIKey},
		{http.MethodPost, "/admin/api-keys/:id/revoke", admin, s.revokeAPIKey},

		// Connectors: the Meta app Steward checks tokens with.
		{http.MethodGet, "/admin/connectors", admin, s.showConnectors},
		{http.MethodPost, "/admin/connectors/meta", admin, s.connectMeta},
		{http.MethodPost, "/admin/connectors/meta/disconnect", admin, s.disconnectMeta},

		// Notifications: the scheduler's work on demand, webhooks and the
		// delivery log.
		{http.MethodGet, "/admin/notifications", admin, s.showNotifications},
		{http.MethodPost, "/admin/notifications/run", admin, s.runNotifications},
		{http.MethodPost, "/admin/notifications/test-email", admin, s.testEmail},
		{http.MethodPost, "/admin/notifications/rules", admin, s.saveNotificationRules},
		{http.MethodPost, "/admin/notifications/webhooks", admin, s.createWebhook},
		{http.MethodGet, "/admin/notifications/webhooks/:id", admin, s.editWebhook},
		{http.MethodPost, "/admin/notifications/webhooks/:id", admin, s.updateWebhook},
		{http.MethodPost, "/admin/notifications/webhooks/:id/disable", admin, s.webhookAction(s.disableWebhook, "Webhook disabled: it receives nothing until enabled.")},
		{http.MethodPost, "/admin/notifications/webhooks/:id/enable", admin, s.webhookAction(s.enableWebhook, "Webhook enabled.")},
		{http.MethodPost, "/admin/notifications/webhooks/:id/delete", admin, s.webhookAction(s.deleteWebhook, "Webhook deleted.")},
		{http.MethodPost, "/admin/notifications/webhooks/:id/test", admin, s.webhookAction(s.testWebhook, "Test message queued; it appears in the delivery log below.")},
		{http.MethodPost, "/admin/notifications/deliveries/:id/retry", admin, s.webhookAction(s.retryDelivery, "The delivery will be tried again now.")},
	}...)
}

// New builds the HTTP handler: middleware, every route, static files and
// the error pages.
func New(store *db.Store, log *slog.Logger, cfg Config) (*echo.Echo, []Route) {
	s := newServer(store, log, cfg)
	routes := s.routes()
	s.metrics = newMetrics(store, log, routes)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.RequestID())
	e.Use(s.securityHeaders)
	e.Use(s.metrics.requests.count)
	e.Use(s.requestLogger())
	e.Use(middleware.Recover())
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024}))
	e.Use(bodyLimit())

	e.GET(staticRoute, echo.WrapHandler(static.Handler()))
	var undescribed []string
	if s.openAPI, undescribed = s.buildOpenAPI(routes); undescribed != nil {
		log.Warn("the OpenAPI document lacks API routes", "routes", undescribed) // TestOpenAPIDescribesEveryRoute fails
	}
	for _, r := range routes {
		h := r.Handler
		if cachedRoute(r) {
			h = s.cachePages(h, r.Access == admin)
		}
		if strings.HasPrefix(r.Path, apiPrefix+"/") {
			// The API: a key, never a cookie, and no CSRF token to send.
			e.Add(r.Method, r.Path, h, s.apiAuth(r.Access), limitSearchTerms)
			continue
		}
		e.Add(r.Method, r.Path, h, s.csrf, s.loadUser, s.require(r.Access), limitSearchTerms)
	}
	// Unknown paths get echo's default 404, which handleError renders. Do not
	// set echo.NotFoundHandler: it is a package global, a data race when two
	// servers are built at once (the handler tests do).
	return e, routes
}

// readyz answers ready while the database answers reads with the schema
// this Steward expects, for a load balancer or an orchestrator; it says no
// more than "not ready" to whoever asks (the log has why).
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.String(http.StatusServiceUnavailable, "not ready")
	}
	return c.String(http.StatusOK, "ready")
}

// healthz answers ok while the database answers.
func (s *Server) healthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "database")
	}
	return c.String(http.StatusOK, "ok")
}
