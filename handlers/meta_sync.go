package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/internal/meta"
	"steward/views/components"
	"steward/views/pages"
)

// showMetaSyncForm is GET /admin/connectors/meta/sync.
func (s *Server) showMetaSyncForm(c echo.Context) error {
	return s.renderMetaSyncForm(c, http.StatusOK, components.Form{CSRF: csrfToken(c)})
}

func (s *Server) renderMetaSyncForm(c echo.Context, status int, f components.Form) error {
	business, kept, err := s.store.MetaSyncAccess(c.Request().Context())
	if err != nil {
		return err
	}
	if f.Values != nil {
		delete(f.Values, "access_token") // never shown back
	}
	v := pages.MetaSyncForm{Form: f.FocusFirst("business_id", "access_token"), BusinessID: business, TokenKept: kept != ""}
	return render(c, status, pages.MetaSyncFormPage(s.page(c, "Discover from Meta", "admin"), v))
}

// startMetaSync is POST /admin/connectors/meta/sync: it reads the business
// with the pasted token (used for this sync only) or the kept one, keeps
// what Meta answered and shows the preview. A Graph error is named and
// nothing is kept.
func (s *Server) startMetaSync(c echo.Context) error {
	ctx := c.Request().Context()
	f := formOf(c, "business_id", "access_token")
	f.Errors = map[string]string{}
	business, kept, err := s.store.MetaSyncAccess(ctx)
	if err != nil {
		return err
	}
	if business == "" {
		business = strings.TrimSpace(f.Value("business_id"))
		if business == "" || strings.Trim(business, "0123456789") != "" {
			f.Errors["business_id"] = "Write the business ID: the number in Business Settings › Business info."
		}
	}
	token := strings.TrimSpace(f.Value("access_token"))
	if token == "" {
		token = kept
	}
	if token == "" {
		f.Errors["access_token"] = "Paste a system user token with business_management: no token is kept."
	}
	if len(f.Errors) > 0 {
		return s.renderMetaSyncForm(c, http.StatusUnprocessableEntity, f)
	}
	snap, err := s.metaClient().ReadBusiness(ctx, token, business)
	if err != nil {
		status, msg := metaErrorText(err)
		slog.Warn("meta sync: reading the business failed", "business_id", business, "err", meta.Redact(err.Error()))
		f.Errors[""] = msg
		if status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", "60")
		}
		return s.renderMetaSyncForm(c, status, f)
	}
	if snap.BusinessID == "" {
		snap.BusinessID = business
	}
	if snap.ReadAt.IsZero() {
		snap.ReadAt = s.store.Now()
	}
	id, _, err := s.store.RecordMetaSync(ctx, actor(c), snap)
	if err != nil {
		return err
	}
	return redirect(c, "/admin/connectors/meta/syncs/"+strconv.FormatInt(id, 10))
}

// metaErrorText is a failed read of the business in words (meta.Problem),
// with the status to answer: nothing was read, so nothing is applied.
func metaErrorText(err error) (int, string) {
	status := http.StatusBadGateway
	switch meta.KindOf(err) {
	case meta.InvalidToken, meta.Permission:
		status = http.StatusUnprocessableEntity
	case meta.RateLimited, meta.Timeout, meta.Unreachable:
		status = http.StatusServiceUnavailable
	}
	return status, meta.Problem(err) + " Nothing was read or changed."
}

// showMetaSync is GET /admin/connectors/meta/syncs/{id}: a sync's preview
// while pending; once applied, what is left (records gone from Meta).
func (s *Server) showMetaSync(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := s.store.MetaSyncByID(ctx, id)
	if err != nil {
		return err
	}
	plan, err := s.store.PreviewMetaSync(ctx, m.Snapshot)
	if err != nil {
		return err
	}
	v := pages.MetaSyncPreview{SyncID: id, Name: db.MetaSyncName(m.Snapshot.ReadAt), Applied: m.Status == "applied", Plan: plan, CSRF: csrfToken(c)}
	return render(c, http.StatusOK, pages.MetaSyncPreviewPage(s.page(c, "Meta sync", "admin"), v))
}

// applyMetaSync is POST /admin/connectors/meta/sync/apply: the kept sync
// named by the form's sync, all or nothing.
func (s *Server) applyMetaSync(c echo.Context) error {
	id, err := strconv.ParseInt(c.FormValue("sync"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	to := "/admin/connectors/meta/syncs/" + strconv.FormatInt(id, 10)
	plan, err := s.store.ApplyMetaSync(c.Request().Context(), actor(c), id)
	var refused *db.MetaSyncRefusedError
	switch {
	case errors.As(err, &refused):
		s.flash(c, fmt.Sprintf("Nothing was applied: Meta's %s “%s” has a value Steward cannot hold (%s). Fix it on Meta and read the business again.",
			kindNoun(refused.Kind), refused.Name, refused.Problem))
		return redirect(c, to)
	case errors.Is(err, db.ErrMetaSyncApplied):
		s.flash(c, "This sync was applied before.")
		return redirect(c, to)
	case errors.Is(err, db.ErrMetaSyncStale):
		s.flash(c, "Nothing was applied: the business was read again since this preview. Apply the latest reading instead.")
		return redirect(c, to)
	case err != nil:
		return err
	}
	s.flash(c, fmt.Sprintf("Applied %s from Meta: %d created, %d updated. Records gone from Meta were left as they are.",
		components.Count(len(plan.Create)+len(plan.Update), "change"), len(plan.Create), len(plan.Update)))
	return redirect(c, to)
}

// dismissDrift is POST /findings/drift/{id}/dismiss: one item of a Meta
// drift finding leaves the home page.
func (s *Server) dismissDrift(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.store.DismissDrift(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.flash(c, "Dismissed: it no longer shows on the home page.")
	return redirect(c, "/")
}

// kindNoun is a db.Kinds name as UI text says it.
func kindNoun(kind string) string {
	k, _ := db.KindNamed(kind)
	return k.Noun
}
