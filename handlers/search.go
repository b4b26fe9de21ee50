package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"steward/views/pages"
)

// searchPerKind is how many hits of each kind a search shows.
const searchPerKind = 8

// MaxSearchTerm is the longest search term or filter value, in characters:
// longer ones are a mistake or a probe, and a LIKE pattern past SQLite's
// limit would fail as an internal error.
const MaxSearchTerm = 200

// searchParams are the query parameters that carry search terms and text
// filters: every list's q and the token list's responsible person, the
// search page's, the pickers', and the audit log's filters.
var searchParams = []string{"q", "responsible", "platform", "actor", "action", "kind"}

// errSearchTooLong answers a search term over MaxSearchTerm.
var errSearchTooLong = &echo.HTTPError{Code: http.StatusBadRequest, Message: [2]string{"That search is too long",
	"Search terms and filters can be at most 200 characters. Shorten what you typed and try again."}}

// limitSearchTerms refuses, on every route, a search term or filter over
// MaxSearchTerm characters with 400 and a message saying so.
func limitSearchTerms(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		q := c.QueryParams()
		for _, name := range searchParams {
			for _, v := range q[name] {
				if utf8.RuneCountInString(v) > MaxSearchTerm {
					return errSearchTooLong
				}
			}
		}
		return next(c)
	}
}

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
