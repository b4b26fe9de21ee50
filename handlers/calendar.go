package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/pages"
)

// calendarFeedPath is where a login's calendar feed is, for its secret.
func calendarFeedPath(secret string) string { return "/calendar/" + secret + ".ics" }

// calendarFeedOf is what /me shows of the signed-in login's calendar feed.
func (s *Server) calendarFeedOf(c echo.Context) (pages.CalendarFeed, error) {
	ctx := c.Request().Context()
	on, err := s.store.CalendarFeedsOn(ctx)
	if err != nil || !on {
		return pages.CalendarFeed{}, err
	}
	feed := pages.CalendarFeed{On: true, DaysBack: db.CalendarDaysBack, DaysAhead: db.CalendarDaysAhead}
	secret, err := s.store.CalendarSecret(ctx, currentUser(c).ID)
	if errors.Is(err, db.ErrNotFound) {
		return feed, nil
	}
	if err != nil {
		return feed, err
	}
	feed.URL = s.absoluteURL(c, calendarFeedPath(secret))
	return feed, nil
}

// renewCalendarFeed is POST /me/calendar-feed: a calendar feed address for
// the signed-in login, its first or a new one in place of the old.
func (s *Server) renewCalendarFeed(c echo.Context) error {
	ctx := c.Request().Context()
	on, err := s.store.CalendarFeedsOn(ctx)
	if err != nil {
		return err
	}
	if !on {
		s.flash(c, "Calendar feeds are turned off: an admin can turn them on again.")
		return redirect(c, "/me")
	}
	renewed, err := s.store.RenewCalendarFeed(ctx, actor(c))
	if err != nil {
		return err
	}
	if renewed {
		s.flash(c, "Your calendar feed has a new address; the old one no longer works. Subscribe to the new one.")
	} else {
		s.flash(c, "Your calendar feed is ready: subscribe to its address in your calendar app.")
	}
	return redirect(c, "/me")
}

// setCalendarFeeds is POST /admin/calendar-feeds: on=1 turns every login's
// calendar feed on, on=0 off.
func (s *Server) setCalendarFeeds(c echo.Context) error {
	on := c.FormValue("on") == "1"
	if err := s.store.SetCalendarFeedsOn(c.Request().Context(), actor(c), on); err != nil {
		return err
	}
	if on {
		s.flash(c, "Calendar feeds are on.")
	} else {
		s.flash(c, "Calendar feeds are off: every feed address answers “not found” until they are on again.")
	}
	return redirect(c, "/admin")
}

// calendarFeed is GET /calendar/:feed, the address {secret}.ics: a login's
// calendar of the dates that call for action, for calendar apps, which
// fetch it without a session or a CSRF token. An unknown or replaced
// secret, a disabled login and feeds turned off all answer 404.
//
// Failures are not throttled like sign-ins: the secret has 256 random bits,
// so guessing gets nowhere, while calendar services go on fetching an old
// address after a new one was made, from addresses they share with
// everyone's feeds, which a throttle per address would lock out.
func (s *Server) calendarFeed(c echo.Context) error {
	secret, ok := strings.CutSuffix(c.Param("feed"), ".ics")
	if !ok {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	dates, err := s.store.CalendarFeed(ctx, secret)
	if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrCalendarFeedsOff) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	cal, err := s.calendar(c, dates)
	if err != nil {
		return err
	}
	// RFC 5545 ends lines with CRLF; the library's default is the system's.
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", []byte(cal.Serialize(ics.WithNewLineWindows)))
}

// calendar is the iCalendar of dates: each an all-day event whose UID
// stays the same as long as the date is for the same record and reason
// ("token-12-expires@steward"), so calendar apps update it in place when
// its day moves.
func (s *Server) calendar(c echo.Context, dates []db.CalendarDate) (*ics.Calendar, error) {
	org, err := s.store.OrganisationName(c.Request().Context())
	if err != nil {
		return nil, err
	}
	name := "Steward"
	if org != "" {
		name += " – " + org
	}
	cal := ics.NewCalendarFor("Steward")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName(name) // NAME and X-WR-CALNAME
	const about = "Token expiries, reviews, people leaving and checklists due, from Steward."
	cal.SetDescription(about)
	cal.SetXWRCalDesc(about)
	// Calendar apps that honour either fetch the feed again every few hours.
	cal.SetRefreshInterval("PT4H") // the library writes its VALUE=DURATION
	cal.SetXPublishedTTL("PT4H")
	stamp := s.store.Now()
	for _, d := range dates {
		day, err := time.Parse(time.DateOnly, d.On)
		if err != nil {
			continue // not a date: the store's validation keeps these out
		}
		e := cal.AddEvent(calendarUID(d))
		e.SetDtStampTime(stamp)
		e.SetAllDayStartAt(day)
		e.SetAllDayEndAt(day.AddDate(0, 0, 1))
		// A reminder, not a meeting: the day stays free.
		e.SetTimeTransparency(ics.TransparencyTransparent)
		link := s.absoluteURL(c, calendarLink(d))
		summary, todo := calendarText(d)
		e.SetSummary(summary)
		e.SetDescription(todo + "\n\n" + link)
		e.SetURL(link)
	}
	return cal, nil
}

// calendarUID is the date's stable UID: its record, its ID and what falls due.
func calendarUID(d db.CalendarDate) string {
	return d.Record.Kind + "-" + strconv.FormatInt(d.Record.ID, 10) + "-" + d.What + "@steward"
}

// calendarLink is the page of the date's record: a checklist's own page.
func calendarLink(d db.CalendarDate) string {
	if d.Record.Kind == "checklist" {
		k, _ := db.KindNamed(d.Subject.Kind)
		return k.URL(d.Subject.ID) + "/checklist"
	}
	k, _ := db.KindNamed(d.Record.Kind)
	return k.URL(d.Record.ID)
}

// calendarText is a date's summary, which says what and where, and what to
// do about it.
func calendarText(d db.CalendarDate) (summary, todo string) {
	where := ""
	if d.Where != "" {
		where = " (" + d.Where + ")"
	}
	switch d.Record.Kind + " " + d.What {
	case "token " + db.CalendarExpires:
		return "Token expires: " + d.Name + where,
			"Rotate the token before it expires, or revoke it if nothing uses it any more, then record its new expiry date in Steward."
	case "token " + db.CalendarReview:
		return "Token review due: " + d.Name + where,
			"Review the token: is it still needed, and are its scopes, its responsible owner and where it is stored still right? Then mark it reviewed in Steward."
	case "role " + db.CalendarReview:
		return "Role review due: " + d.Role + " of " + d.Name + where,
			"Review the role: should " + d.Name + " still hold " + d.Role + " there? Remove it, or mark it reviewed in Steward."
	case "owner " + db.CalendarLeaving:
		return "Leaving: " + d.Name + where,
			d.Name + " leaves on this day. Work through their offboarding checklist: remove their roles, reassign or revoke the tokens they answer for, and rotate the ones they created."
	default: // a checklist due
		k, _ := db.KindNamed(d.Subject.Kind)
		return "Checklist due: " + k.ChecklistTitle + " for " + d.Name,
			"The " + strings.ToLower(k.ChecklistTitle) + " for " + d.Name + " is due. Finish its open items in Steward."
	}
}
