package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// auditPageSize is how many events the audit log shows per page.
const auditPageSize = 50

// auditFilter reads the audit log's filters from the query; the events
// only admins see are left out for everyone else.
func auditFilter(c echo.Context) db.AuditFilter {
	return db.AuditFilter{Actor: c.QueryParam("actor"), RecordKind: c.QueryParam("kind"), Action: c.QueryParam("action"),
		From: c.QueryParam("from"), To: c.QueryParam("to"), ForAdmin: currentUser(c).IsAdmin()}
}

// auditQuery is the filter as a query string.
func auditQuery(f db.AuditFilter) string {
	return components.Query("actor", f.Actor, "kind", f.RecordKind, "action", f.Action, "from", f.From, "to", f.To)
}

// showAudit is GET /audit: every event, filtered, newest first.
func (s *Server) showAudit(c echo.Context) error {
	ctx := c.Request().Context()
	f := auditFilter(c)
	a := pages.AuditLog{Filter: f, Query: auditQuery(f), IsAdmin: currentUser(c).IsAdmin()}
	status := http.StatusOK
	if err := f.Validate(); invalidMap(err, &a.Errors) {
		status = http.StatusUnprocessableEntity
	} else {
		before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
		page, err := s.store.QueryAudit(ctx, f, before, auditPageSize)
		if err != nil {
			return err
		}
		a.Page = page
	}
	actors, err := s.store.AuditActors(ctx)
	if err != nil {
		return err
	}
	a.Actors = actors
	if a.Actions, err = s.store.AuditActions(ctx, f.ForAdmin); err != nil {
		return err
	}
	return render(c, status, pages.AuditPage(s.page(c, "Audit log", "audit"), a))
}

// invalidMap is invalid for pages that keep their errors in a map.
func invalidMap(err error, errs *map[string]string) bool {
	var f components.Form
	if invalid(err, &f) {
		*errs = f.Errors
		return true
	}
	return false
}
