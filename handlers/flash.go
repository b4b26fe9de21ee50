package handlers

import (
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Flash messages ("Token registered.") wait for the next page in a signed
// cookie of their own, not in the session's row: a form post then writes
// its record and nothing else, and the page after it reads its message
// without writing anything either.

const (
	flashCookie = "steward_flash"
	flashCtxKey = "steward.flashes"
	// maxFlashes is how many messages wait for the next page at most,
	// newest kept: a script that posts without ever loading a page must not
	// grow the cookie past what browsers keep.
	maxFlashes = 5
	// maxFlashBytes cuts a long message, for the same reason.
	maxFlashBytes = 400
	// flashMaxAge lets a message nobody came back for go.
	flashMaxAge = 10 * 60
)

// flashes are this request's pending messages: those its cookie brought,
// then those added. The cookie is written with the response, once.
type flashes struct {
	messages []string
	changed  bool
}

// pendingFlashes loads the request's messages on first use.
func (s *Server) pendingFlashes(c echo.Context) *flashes {
	if f, ok := c.Get(flashCtxKey).(*flashes); ok {
		return f
	}
	f := &flashes{}
	if ck, err := c.Cookie(cookieName(s.secure, flashCookie)); err == nil {
		// A cookie that does not decode is dropped, never shown.
		f.changed = true
		_ = s.flashes.Decode(flashCookie, ck.Value, &f.messages)
	}
	c.Set(flashCtxKey, f)
	c.Response().Before(func() { s.writeFlashCookie(c, f) })
	return f
}

func (s *Server) writeFlashCookie(c echo.Context, f *flashes) {
	if !f.changed {
		return
	}
	ck := &http.Cookie{Name: cookieName(s.secure, flashCookie), Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1}
	if len(f.messages) > 0 {
		encoded, err := s.flashes.Encode(flashCookie, f.messages)
		if err != nil {
			s.log.Error("save flash", "err", err)
			return
		}
		ck.Value, ck.MaxAge = encoded, flashMaxAge
	}
	c.SetCookie(ck)
}

// flash adds a message shown on the next page.
func (s *Server) flash(c echo.Context, msg string) {
	if len(msg) > maxFlashBytes {
		cut := maxFlashBytes
		for !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	f := s.pendingFlashes(c)
	f.messages = append(f.messages, msg)
	if len(f.messages) > maxFlashes {
		f.messages = f.messages[len(f.messages)-maxFlashes:]
	}
	f.changed = true
}

// takeFlashes returns the waiting messages, which are then gone.
func (s *Server) takeFlashes(c echo.Context) []string {
	f := s.pendingFlashes(c)
	out := f.messages
	if len(out) > 0 {
		f.messages, f.changed = nil, true
	}
	return out
}
