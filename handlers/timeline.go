package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// timelineSize is how many events a timeline shows per page.
const timelineSize = 20

// recordTimeline loads the first page of a record's timeline.
func (s *Server) recordTimeline(c echo.Context, kind string, id int64) (db.TimelinePage, error) {
	return s.store.Timeline(c.Request().Context(), db.Ref{Kind: kind, ID: id}, 0, timelineSize)
}

// timeline serves GET /{kind}/:id/timeline: older events for "load more"
// (an htmx fragment) or a page of the record's history.
func (s *Server) timeline(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		name, err := s.store.RecordName(c.Request().Context(), kind, id)
		if err != nil {
			return err
		}
		before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
		page, err := s.store.Timeline(c.Request().Context(), db.Ref{Kind: kind, ID: id}, before, timelineSize)
		if err != nil {
			return err
		}
		href := components.RecordURL(kind, id)
		c.Response().Header().Add("Vary", "HX-Request")
		if isHTMX(c) {
			return render(c, http.StatusOK, components.TimelineEvents(page, href+"/timeline"))
		}
		return render(c, http.StatusOK, pages.TimelinePage(s.page(c, "Timeline of "+name, ""), name, href, page))
	}
}
