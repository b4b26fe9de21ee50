package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listIntegrations serves the integrations list, or just its rows for active search.
func (s *Server) listIntegrations(c echo.Context) error {
	p := listParams(c)
	var f db.IntegrationFilter
	narrowed, err := s.narrowing(c, integrationNarrowing(&f))
	if err != nil {
		return err
	}
	page, err := s.store.ListIntegrations(c.Request().Context(), p, f)
	if err != nil {
		return err
	}
	l := pages.IntegrationList{Page: page, Params: p, Narrowed: narrowed, CanEdit: currentUser(c).CanEdit()}
	return renderList(c, pages.IntegrationsPage(s.page(c, "Integrations", "integrations"), l), pages.IntegrationsList(l))
}

// showIntegration is an integration's page: details, its system users, timeline.
func (s *Server) showIntegration(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	in, err := s.store.IntegrationByID(ctx, id)
	if err != nil {
		return err
	}
	page, err := s.store.ListSystemUsers(ctx, relatedPage, db.SystemUserFilter{IntegrationID: id})
	users, err := related(page, err, "/system-users", "integration_id", id)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "integration", id)
	if err != nil {
		return err
	}
	tokens, err := s.relatedTokens(c, "Tokens it uses", db.TokenFilter{IntegrationID: id}, "integration_id="+components.ID(id))
	if err != nil {
		return err
	}
	d := pages.IntegrationDetail{Tokens: tokens, Integration: in, SystemUsers: users, Timeline: tl, CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c)}
	return render(c, http.StatusOK, pages.IntegrationPage(s.page(c, in.Name, "integrations"), d))
}

func (s *Server) renderIntegrationForm(c echo.Context, status int, id int64, f components.Form) error {
	owners, err := s.refOptions(c.Request().Context(), "owner", db.IntegrationFields.Specs(), f)
	if err != nil {
		return err
	}
	title := "Add integration"
	if id != 0 {
		title = "Edit integration"
	}
	return render(c, status, pages.IntegrationFormPage(s.page(c, title, "integrations"), id, f, owners))
}

// integrationForms are the integration form's pages.
func (s *Server) integrationForms() recordForms[db.IntegrationInput] {
	return recordForms[db.IntegrationInput]{s: s, kind: "integration", fields: db.IntegrationFields,
		blank:     func() db.IntegrationInput { return db.IntegrationInput{Status: db.IntegrationActive} },
		fromQuery: []string{"responsible_owner_id"},
		load:      inputOf(s.store.IntegrationByID),
		create:    created(s.store.CreateIntegration),
		update:    updated(s.store.UpdateIntegration),
		render:    s.renderIntegrationForm, added: "Integration added.", saved: "Integration saved."}
}
