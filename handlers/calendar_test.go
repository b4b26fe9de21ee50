package handlers_test

import (
	"context"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"steward/db"
	"steward/handlers"
)

// calendarURL is the feed address /me shows, "" when it shows none.
var calendarURL = regexp.MustCompile(`<[a-z]+[^>]*data-testid="calendar-url"[^>]*>([^<]*)<`)

// myCalendarURL reads the calendar feed address off the client's /me page.
func (c *client) myCalendarURL() string {
	c.app.t.Helper()
	r := c.get("/me")
	if r.status != http.StatusOK {
		c.app.t.Fatalf("GET /me: status %d", r.status)
	}
	m := calendarURL.FindStringSubmatch(r.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// feedEvent is what a test reads of one event of a parsed feed.
type feedEvent struct {
	start, end, summary, description, link string
	dateOnly                               bool
}

// fetchFeed fetches a feed without any session and parses it with the
// iCalendar library; its events by UID.
func (a *testApp) fetchFeed(address string) (response, map[string]feedEvent) {
	a.t.Helper()
	r := a.newClient().get(address)
	if r.status != http.StatusOK {
		return r, nil
	}
	cal, err := ics.ParseCalendar(strings.NewReader(r.body))
	if err != nil {
		a.t.Fatalf("GET %s: the feed does not parse: %v\n%s", address, err, r.body)
	}
	out := map[string]feedEvent{}
	for _, e := range cal.Events() {
		start, end := e.GetProperty(ics.ComponentPropertyDtStart), e.GetProperty(ics.ComponentPropertyDtEnd)
		if start == nil || end == nil {
			a.t.Fatalf("event %s has no DTSTART or DTEND", e.Id())
		}
		get := func(p ics.ComponentProperty) string {
			if v := e.GetProperty(p); v != nil {
				return ics.FromText(v.Value)
			}
			return ""
		}
		out[e.Id()] = feedEvent{start: start.Value, end: end.Value, summary: get(ics.ComponentPropertySummary),
			description: get(ics.ComponentPropertyDescription), link: get(ics.ComponentPropertyUrl),
			dateOnly: slices.Equal(start.ICalParameters["VALUE"], []string{"DATE"}) && slices.Equal(end.ICalParameters["VALUE"], []string{"DATE"})}
	}
	return r, out
}

// icsDay is the day n days from the store's today, as DTSTART writes it.
func icsDay(s *db.Store, n int) string { return s.Now().AddDate(0, 0, n).Format("20060102") }

// isoDay is the same day as forms take it.
func isoDay(s *db.Store, n int) string { return s.Now().AddDate(0, 0, n).Format(time.DateOnly) }

// TestCalendarFeed: a login makes its feed address on /me; the feed, fetched
// without a session, holds each date that calls for action in its window as
// an all-day event with a stable UID, and nothing else.
func TestCalendarFeed(t *testing.T) {
	t.Parallel()
	ctx, sys := context.Background(), db.SystemActor("test")
	app := newTestAppWith(t, handlers.Config{SessionKey: testSessionKey, BaseURL: "http://steward.test"})
	s := app.store
	app.createUser("viewer@example.com", db.RoleViewer)

	// A namesake makes the account's display name say which one it is.
	account := app.createAccountWith(db.AccountInput{Name: "Northwind Outfitters", Platform: "Meta", Kind: "Business Manager"})
	app.createAccountWith(db.AccountInput{Name: "Northwind Outfitters", Platform: "Meta", Kind: "Page"})
	expiring := app.storeToken(db.TokenInput{Name: "Catalog sync – Meta", Kind: "system_user_token", AccountID: id(account), ExpiresOn: isoDay(s, 10)})
	reviewDue := app.storeToken(db.TokenInput{Name: `Reporting key, EU; v2 \ "raw"`, Kind: "api_key", LastReviewedOn: isoDay(s, -80)})
	app.storeToken(db.TokenInput{Name: "Revoked soon", Kind: "api_key", ExpiresOn: isoDay(s, 5), Status: "revoked"})
	// Outside the window, or never: no expiry event. Like every active token
	// (reviewed today when recorded), each is due for review in 90 days.
	farOff := app.storeToken(db.TokenInput{Name: "Far off", Kind: "api_key", ExpiresOn: isoDay(s, db.CalendarDaysAhead+1)})
	longExpired := app.storeToken(db.TokenInput{Name: "Long expired", Kind: "api_key", ExpiresOn: isoDay(s, -db.CalendarDaysBack-1)})
	never := app.storeToken(db.TokenInput{Name: "Never expires", Kind: "api_key"})

	leaving, err := s.CreateOwner(ctx, sys, db.OwnerInput{Name: "Ana Ruiz", Department: "Marketing", Status: "offboarding", LeavingOn: isoDay(s, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOwner(ctx, sys, db.OwnerInput{Name: "Gone Already", Status: "departed", LeavingOn: isoDay(s, -3)}); err != nil {
		t.Fatal(err)
	}
	// A role with a review-by date, and one due 90 days after it was
	// recorded (today); a removed role has none.
	reviewBy, err := s.CreateRole(ctx, sys, db.RoleInput{AccountID: id(account), OwnerID: id(leaving), Role: "Admin", ReviewBy: isoDay(s, 20)})
	if err != nil {
		t.Fatal(err)
	}
	// Her offboarding checklist, due in two weeks, removes that role.
	checklist, err := s.StartChecklist(ctx, sys, "owner", leaving, isoDay(s, 14))
	if err != nil {
		t.Fatal(err)
	}
	cadence := app.createRole(account, app.createOwner("Bo Berg", "bo@example.com"), "Analyst")
	removed := app.createRole(account, app.createOwner("Cy Cole", "cy@example.com"), "Editor")
	if err := s.RemoveRole(ctx, sys, removed); err != nil {
		t.Fatal(err)
	}

	c := app.signedIn("viewer@example.com")
	if u := c.myCalendarURL(); u != "" {
		t.Fatalf("/me shows a feed address %q before the login made one", u)
	}
	if !strings.Contains(c.get("/me").body, "Create calendar link") {
		t.Fatal("/me has no button to create a calendar link")
	}
	if r := c.post("/me/calendar-feed", nil); r.status != http.StatusSeeOther || r.location() != "/me" {
		t.Fatalf("POST /me/calendar-feed: status %d location %q, want 303 to /me", r.status, r.location())
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.calendar_feed_created' AND actor = 'viewer@example.com'"); n != 1 {
		t.Errorf("%d user.calendar_feed_created events, want 1", n)
	}
	address := c.myCalendarURL()
	if !regexp.MustCompile(`^http://steward\.test/calendar/[A-Za-z0-9_-]{43}\.ics$`).MatchString(address) {
		t.Fatalf("/me shows the feed address %q, want it on the base URL", address)
	}
	if c.myCalendarURL() != address {
		t.Fatal("/me shows another address on a second visit")
	}
	feedPath := strings.TrimPrefix(address, "http://steward.test")

	r, events := app.fetchFeed(feedPath)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("GET the feed: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	if strings.Count(r.body, "\n") != strings.Count(r.body, "\r\n") {
		t.Error("the feed's lines do not all end in CRLF (RFC 5545)")
	}
	want := map[string]string{ // UID → DTSTART
		"token-" + id(expiring) + "-expires@steward":  icsDay(s, 10),
		"token-" + id(reviewDue) + "-review@steward":  icsDay(s, 10),
		"owner-" + id(leaving) + "-leaving@steward":   icsDay(s, 7),
		"checklist-" + id(checklist) + "-due@steward": icsDay(s, 14),
		"role-" + id(reviewBy) + "-review@steward":    icsDay(s, 20),
		"role-" + id(cadence) + "-review@steward":     icsDay(s, db.ReviewEveryDays),
	}
	for _, tok := range []int64{expiring, farOff, longExpired, never} {
		want["token-"+id(tok)+"-review@steward"] = icsDay(s, db.ReviewEveryDays)
	}
	got := map[string]string{}
	for uid, e := range events {
		got[uid] = e.start
		if !e.dateOnly {
			t.Errorf("%s: DTSTART and DTEND are not VALUE=DATE", uid)
		}
		start, _ := time.Parse("20060102", e.start)
		if e.end != start.AddDate(0, 0, 1).Format("20060102") {
			t.Errorf("%s: DTEND %s, want the day after DTSTART %s", uid, e.end, e.start)
		}
		if !strings.HasPrefix(e.link, "http://steward.test/") || !strings.Contains(e.description, e.link) {
			t.Errorf("%s: URL %q and description %q, want an absolute link to the record in both", uid, e.link, e.description)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("the feed's events (UID → day):\n %v\nwant\n %v", got, want)
	}
	tokenEvent := events["token-"+id(expiring)+"-expires@steward"]
	if tokenEvent.summary != "Token expires: Catalog sync – Meta (Northwind Outfitters (Meta Business Manager))" ||
		tokenEvent.link != "http://steward.test/tokens/"+id(expiring) || !strings.Contains(tokenEvent.description, "Rotate") {
		t.Errorf("the token's event: %+v", tokenEvent)
	}
	if e := events["checklist-"+id(checklist)+"-due@steward"]; e.summary != "Checklist due: Offboarding checklist for Ana Ruiz" ||
		e.link != "http://steward.test/owners/"+id(leaving)+"/checklist" {
		t.Errorf("the checklist's event: %+v", e)
	}
	if e := events["token-"+id(reviewDue)+"-review@steward"]; e.summary != `Token review due: Reporting key, EU; v2 \ "raw"` {
		t.Errorf("a name with commas, a semicolon and a backslash reads back as %q", e.summary)
	}
	if e := events["role-"+id(reviewBy)+"-review@steward"]; !strings.Contains(e.summary, "Admin of Ana Ruiz") {
		t.Errorf("the role's event: %+v", e)
	}

	// The same UIDs on the next fetch, and after the record changes its date.
	if err := s.Exec(ctx, "UPDATE tokens SET expires_on = ? WHERE id = ?", isoDay(s, 11), expiring); err != nil {
		t.Fatal(err)
	}
	_, again := app.fetchFeed(feedPath)
	if e, ok := again["token-"+id(expiring)+"-expires@steward"]; !ok || e.start != icsDay(s, 11) || len(again) != len(events) {
		t.Errorf("second fetch: %d events, the token's %+v; want the same UIDs, the token on its new day", len(again), e)
	}
}

// TestCalendarFeedAddressEnds: a new address ends the old one at once; a
// disabled login's feed and every feed while an admin has turned feeds off
// answer 404; turned on again, the same addresses work.
func TestCalendarFeedAddressEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := newTestApp(t)
	app.createUser("admin@example.com", db.RoleAdmin)
	leaver := app.createUser("leaver@example.com", db.RoleEditor)
	app.createUser("viewer@example.com", db.RoleViewer)
	admin, c, v := app.signedIn("admin@example.com"), app.signedIn("leaver@example.com"), app.signedIn("viewer@example.com")
	for _, cl := range []*client{c, v} {
		cl.post("/me/calendar-feed", nil)
	}
	viewerFeed := strings.TrimPrefix(v.myCalendarURL(), app.srv.URL)

	old := strings.TrimPrefix(c.myCalendarURL(), app.srv.URL)
	if r, _ := app.fetchFeed(old); r.status != http.StatusOK {
		t.Fatalf("GET the feed: status %d", r.status)
	}
	if r := c.post("/me/calendar-feed", nil); r.status != http.StatusSeeOther {
		t.Fatalf("POST /me/calendar-feed again: status %d", r.status)
	}
	renewed := strings.TrimPrefix(c.myCalendarURL(), app.srv.URL)
	if renewed == old || renewed == "" {
		t.Fatalf("after a new link, /me shows %q (before %q)", renewed, old)
	}
	if r, _ := app.fetchFeed(old); r.status != http.StatusNotFound {
		t.Errorf("the old address answers %d, want 404", r.status)
	}
	if r, _ := app.fetchFeed(renewed); r.status != http.StatusOK {
		t.Errorf("the new address answers %d, want 200", r.status)
	}
	if n := app.count("SELECT COUNT(*) FROM calendar_feeds WHERE user_id = ?", leaver); n != 1 {
		t.Errorf("the login has %d feed rows, want 1", n)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.calendar_feed_renewed' AND record_id = ?", leaver); n != 1 {
		t.Errorf("%d user.calendar_feed_renewed events, want 1", n)
	}
	for _, bad := range []string{"/calendar/" + strings.TrimSuffix(strings.TrimPrefix(renewed, "/calendar/"), ".ics"), "/calendar/nope.ics"} {
		if r, _ := app.fetchFeed(bad); r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", bad, r.status)
		}
	}

	if err := app.store.SetUserDisabled(ctx, db.SystemActor("test"), leaver, true); err != nil {
		t.Fatal(err)
	}
	if r, _ := app.fetchFeed(renewed); r.status != http.StatusNotFound {
		t.Errorf("a disabled login's feed answers %d, want 404", r.status)
	}

	// Feeds off: every address answers 404, /me says so, and nothing offers a link.
	if r := v.post("/admin/calendar-feeds", url.Values{"on": {"0"}}); r.status != http.StatusForbidden {
		t.Errorf("a viewer turning feeds off: status %d, want 403", r.status)
	}
	if r := admin.post("/admin/calendar-feeds", url.Values{"on": {"0"}}); r.status != http.StatusSeeOther || r.location() != "/admin" {
		t.Fatalf("POST /admin/calendar-feeds on=0: status %d location %q", r.status, r.location())
	}
	if got := app.text("SELECT value FROM settings WHERE key = 'calendar_feeds'"); got != "off" {
		t.Errorf("the setting holds %q, want off", got)
	}
	if n := app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'settings.changed' AND summary = 'Turned calendar feeds off'"); n != 1 {
		t.Errorf("%d events for turning feeds off, want 1", n)
	}
	if r, _ := app.fetchFeed(viewerFeed); r.status != http.StatusNotFound {
		t.Errorf("with feeds off, a feed answers %d, want 404", r.status)
	}
	me := v.get("/me").body
	if len(tagsWith(me, "calendar-off")) != 1 || v.myCalendarURL() != "" || strings.Contains(me, `action="/me/calendar-feed"`) {
		t.Error("with feeds off, /me does not say so, or still shows the address or its button")
	}
	if !strings.Contains(admin.get("/admin").body, "Turn feeds on") {
		t.Error("with feeds off, the admin page offers no way to turn them on")
	}
	before := app.count("SELECT COUNT(*) FROM calendar_feeds")
	if r := v.post("/me/calendar-feed", nil); r.status != http.StatusSeeOther || app.count("SELECT COUNT(*) FROM calendar_feeds") != before {
		t.Errorf("with feeds off, POST /me/calendar-feed: status %d, and it may not make an address", r.status)
	}

	admin.post("/admin/calendar-feeds", url.Values{"on": {"1"}})
	if r, _ := app.fetchFeed(viewerFeed); r.status != http.StatusOK {
		t.Errorf("feeds on again: the viewer's feed answers %d, want 200", r.status)
	}
}
