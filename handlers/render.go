package handlers

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"steward/views/layout"
)

// render writes a component with the given status. It renders into a buffer
// first, so a failure can still become a clean 500 page.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// renderBuffers keeps render's buffers for the next page: a list page is
// some 80 KB, and growing a fresh buffer to that size for every request
// cost a twentieth of its time. HTMLBlob has written the bytes out before
// render returns the buffer.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept; a rare huge page is let go.
const maxPooledBuffer = 1 << 20

// putRenderBuffer gives a buffer of renderBuffers back once its bytes are
// written out.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBuffer {
		buf.Reset()
		renderBuffers.Put(buf)
	}
}

// isHTMX reports whether htmx sent the request, and so wants a fragment.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// htmxTarget is the ID of the element htmx will swap, if any.
func htmxTarget(c echo.Context) string {
	if !isHTMX(c) {
		return ""
	}
	return c.Request().Header.Get("HX-Target")
}

// page builds the shell data every page needs, taking the flash messages.
func (s *Server) page(c echo.Context, title, nav string) layout.Page {
	return layout.Page{Title: title, Nav: nav, User: currentUser(c), CSRF: csrfToken(c), Flashes: s.takeFlashes(c)}
}

// redirect answers a form post with 303 See Other.
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}
