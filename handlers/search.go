package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/views/pages"
)

// searchPerKind is how many hits of each kind a search shows.
const searchPerKind = 8

// search finds records of every kind: the header's drop-down (htmx) or the
// full results page.
func (s *Server) search(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	groups, err := s.store.Search(c.Request().Context(), q, searchPerKind)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if htmxTarget(c) == "header-results" {
		if q == "" {
			return c.HTML(http.StatusOK, "")
		}
		return render(c, http.StatusOK, pages.SearchResults(q, groups, true))
	}
	p := s.page(c, "Search", "")
	p.Query = q
	return render(c, http.StatusOK, pages.SearchPage(p, q, groups))
}
