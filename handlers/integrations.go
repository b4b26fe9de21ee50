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

// newIntegration shows an empty integration form, optionally with the
// responsible owner chosen.
func (s *Server) newIntegration(c echo.Context) error {
	return s.renderIntegrationForm(c, http.StatusOK, 0, newRecordForm(c, db.IntegrationFields, db.IntegrationInput{Status: db.IntegrationActive},
		"responsible_owner_id"))
}

// createIntegration saves a new integration, or re-renders the form with its errors.
func (s *Server) createIntegration(c echo.Context) error {
	f, in := readRecordForm(c, db.IntegrationFields)
	id, err := s.store.CreateIntegration(c.Request().Context(), actor(c), in)
	if invalid(err, &f) {
		return s.renderIntegrationForm(c, http.StatusUnprocessableEntity, 0, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Integration added.")
	return redirect(c, components.RecordURL("integration", id))
}

// editIntegration shows the integration's form filled in.
func (s *Server) editIntegration(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	in, err := s.store.IntegrationByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.renderIntegrationForm(c, http.StatusOK, id, recordForm(c, db.IntegrationFields, in.Input()))
}

// updateIntegration saves changes to an integration.
func (s *Server) updateIntegration(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f, in := readRecordForm(c, db.IntegrationFields)
	err = s.store.UpdateIntegration(c.Request().Context(), actor(c), id, in)
	if invalid(err, &f) {
		return s.renderIntegrationForm(c, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Integration saved.")
	return redirect(c, components.RecordURL("integration", id))
}
