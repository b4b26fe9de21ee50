package handlers

import (
	"context"
	"crypto/rand"
	"html"
	"io"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"steward/db"
)

// Cached views.
//
// Record pages, lists and checklists show what the database holds, which
// changes far less often than it is read, and building them (a dozen queries
// over a large inventory, then thousands of escaped strings) was most of a
// request's cost. So their content, everything inside the page shell with its
// menu and messages, is rendered once per change of the data and served from
// memory after that (db.Store.CachedView drops it at the next write). What
// differs between requests inside that content, the CSRF token of its forms
// and who prints it when, is rendered as a marker and filled in for each
// request.

// viewValues are one request's values that cached content shows.
type viewValues struct{ CSRF, PrintedBy, PrintedAt string }

// markerPrefix begins every marker. It is random, so no text anyone stores
// can contain one, and HTML escaping leaves it as it is.
var markerPrefix = "steward" + rand.Text() + "-"

// viewMarkers stand for viewValues in cached HTML.
var viewMarkers = viewValues{CSRF: markerPrefix + "csrf", PrintedBy: markerPrefix + "printed-by", PrintedAt: markerPrefix + "printed-at"}

// cachedView returns what build renders for key, with this request's values
// filled in, and the title build gave. key must name everything the content
// depends on besides the data, today's date and the viewer's role, which
// cachedView adds.
func (s *Server) cachedView(c echo.Context, key string, build func(v viewValues) (title string, content templ.Component, err error)) (string, templ.Component, error) {
	role := ""
	if u := currentUser(c); u != nil {
		role = u.Role
	}
	view, err := s.store.CachedView(role+"\x00"+key, func() (db.View, error) {
		title, content, err := build(viewMarkers)
		if err != nil {
			return db.View{}, err
		}
		var b strings.Builder
		if err := content.Render(c.Request().Context(), &b); err != nil {
			return db.View{}, err
		}
		return db.View{Title: title, Parts: cutAtMarkers(b.String())}, nil
	})
	if err != nil {
		return "", nil, err
	}
	now := s.viewValues(c)
	values := map[string]string{viewMarkers.CSRF: now.CSRF, viewMarkers.PrintedBy: html.EscapeString(now.PrintedBy),
		viewMarkers.PrintedAt: now.PrintedAt}
	return view.Title, templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range view.Parts {
			if i%2 == 1 {
				part = values[part]
			}
			if _, err := io.WriteString(w, part); err != nil {
				return err
			}
		}
		return nil
	}), nil
}

// cutAtMarkers cuts rendered HTML into the parts of a db.View.
func cutAtMarkers(h string) []string {
	var parts []string
	for {
		i := strings.Index(h, markerPrefix)
		if i < 0 {
			return append(parts, h)
		}
		marker := ""
		for _, m := range []string{viewMarkers.CSRF, viewMarkers.PrintedBy, viewMarkers.PrintedAt} {
			if strings.HasPrefix(h[i:], m) {
				marker = m
			}
		}
		parts = append(parts, h[:i], marker)
		h = h[i+max(len(marker), len(markerPrefix)):]
	}
}

// viewValues are this request's values for content rendered now.
func (s *Server) viewValues(c echo.Context) viewValues {
	v := viewValues{CSRF: csrfToken(c), PrintedAt: time.Now().UTC().Format("2006-01-02 15:04")}
	if u := currentUser(c); u != nil {
		v.PrintedBy = u.Email
	}
	return v
}
