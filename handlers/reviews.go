package handlers

import (
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// reviewsShown is how many reviews the list shows.
const reviewsShown = 200

// listReviews is GET /reviews: open reviews first, then closed ones.
func (s *Server) listReviews(c echo.Context) error {
	reviews, err := s.store.ListReviews(c.Request().Context(), reviewsShown)
	if err != nil {
		return err
	}
	v := pages.ReviewListView{Reviews: reviews, CanEdit: currentUser(c).CanEdit(), Today: s.store.Today()}
	return render(c, http.StatusOK, pages.ReviewListPage(s.page(c, "Access reviews", "reviews"), v))
}

// renderReviewForm renders the form that starts a review.
func (s *Server) renderReviewForm(c echo.Context, status int, f components.Form, chosen map[string]bool) error {
	ctx := c.Request().Context()
	platforms, err := s.store.AccountPlatforms(ctx)
	if err != nil {
		return err
	}
	accounts, err := s.store.AccountOptions(ctx, "", pickerLimit)
	if err != nil {
		return err
	}
	v := pages.ReviewFormView{Form: f.FocusFirst("name", "scope", "platform", "account_id", "include", "due_on", "repeat"),
		Platforms: platforms, Accounts: accounts, Chosen: chosen}
	return render(c, status, pages.ReviewFormPage(s.page(c, "Start an access review", "reviews"), v))
}

// newReview is GET /reviews/new: every record kind ticked, due in a month.
func (s *Server) newReview(c echo.Context) error {
	f := components.Form{CSRF: csrfToken(c), Values: map[string]string{"scope": "all", "repeat": "quarterly",
		"due_on": s.store.Now().AddDate(0, 1, 0).Format("2006-01-02")}}
	chosen := map[string]bool{}
	for _, what := range db.ReviewIncludes {
		chosen["include:"+what] = true
	}
	return s.renderReviewForm(c, http.StatusOK, f, chosen)
}

// createReview is POST /reviews: start the review and its snapshot.
func (s *Server) createReview(c echo.Context) error {
	f := formOf(c, "name", "scope", "platform", "due_on", "repeat")
	form, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest
	}
	in := db.ReviewInput{Name: f.Value("name"), Scope: f.Value("scope"), Platform: f.Value("platform"),
		AccountIDs: form["account_id"], Include: form["include"], DueOn: f.Value("due_on"), Repeat: f.Value("repeat")}
	id, err := s.store.StartReview(c.Request().Context(), actor(c), in)
	if invalid(err, &f) {
		chosen := map[string]bool{}
		for _, a := range in.AccountIDs {
			chosen["account:"+a] = true
		}
		for _, what := range in.Include {
			chosen["include:"+what] = true
		}
		return s.renderReviewForm(c, http.StatusUnprocessableEntity, f, chosen)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Review started.")
	return redirect(c, pages.ReviewURL(id))
}

// reviewView loads what a review's page shows: counts by grouped queries
// and one page of items.
func (s *Server) reviewView(c echo.Context, id int64, f components.Form) (pages.ReviewView, error) {
	ctx := c.Request().Context()
	v := pages.ReviewView{CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c), Today: s.store.Today(), Form: f}
	var err error
	if v.Review, err = s.store.ReviewByID(ctx, id); err != nil {
		return v, err
	}
	if v.ByReviewer, err = s.store.ReviewProgressByReviewer(ctx, id, pages.ReviewProgressShown); err != nil {
		return v, err
	}
	if v.ByAccount, err = s.store.ReviewProgressByAccount(ctx, id, pages.ReviewProgressShown); err != nil {
		return v, err
	}
	if v.Links, err = s.reviewLinksOf(c, id, v.Review.Status == "open"); err != nil {
		return v, err
	}
	if v.Review.Status == "open" {
		if v.Changed, err = s.store.ReviewHolderChanged(ctx, id, pages.ReviewProgressShown); err != nil {
			return v, err
		}
	}
	if c.QueryParam("decision") == "pending" {
		v.Decision = "pending"
	}
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	if v.Items, err = s.store.ReviewItems(ctx, id, v.Decision, after, db.ReviewItemsShown+1); err != nil {
		return v, err
	}
	if len(v.Items) > db.ReviewItemsShown {
		v.Items = v.Items[:db.ReviewItemsShown]
		v.MoreURL = pages.ReviewURL(id) + "?" + components.Query("decision", v.Decision, "after", components.ID(v.Items[len(v.Items)-1].ID))
	}
	if v.Form.Values == nil {
		v.Form = components.Form{Values: map[string]string{"undecided": "keep"}}
	}
	return v, nil
}

// showReview is GET /reviews/:id.
func (s *Server) showReview(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	v, err := s.reviewView(c, id, components.Form{})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.ReviewPage(s.page(c, v.Review.Name, "reviews"), v))
}

// closeReview is POST /reviews/:id/close: carry out the answers, after a
// tick that says the answers were checked.
func (s *Server) closeReview(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f := formOf(c, "undecided", "confirm")
	var next int64
	if f.Value("confirm") != "1" {
		err = db.ValidationError{"confirm": "Tick this to confirm: closing carries out every answer at once."}
	} else {
		next, err = s.store.CloseReview(c.Request().Context(), actor(c), id, f.Value("undecided"))
	}
	if invalid(err, &f) {
		// The refusal is beside the close form, at the page's end: the
		// focus takes the eye there.
		v, verr := s.reviewView(c, id, f.FocusFirst("confirm"))
		if verr != nil {
			return verr
		}
		return render(c, http.StatusUnprocessableEntity, pages.ReviewPage(s.page(c, v.Review.Name, "reviews"), v))
	}
	if err != nil {
		return err
	}
	if next != 0 {
		s.flash(c, "Review closed and its answers carried out. The next review has started.")
	} else {
		s.flash(c, "Review closed and its answers carried out.")
	}
	return redirect(c, pages.ReviewURL(id))
}

// showReviewReport is GET /reviews/:id/report: the signable document.
func (s *Server) showReviewReport(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := pages.ReviewReportView{PrintedBy: currentUser(c).Email, PrintedAt: printedAtFor(c)}
	if v.Review, err = s.store.ReviewByID(ctx, id); err != nil {
		return err
	}
	if v.Organisation, err = s.store.OrganisationName(ctx); err != nil {
		return err
	}
	// A part at a time, so a review of 100,000 items prints (and loads) in
	// parts; the CSV export holds every row at once.
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	if v.Items, err = s.store.ReviewItems(ctx, id, "", after, pages.ReviewReportPart+1); err != nil {
		return err
	}
	v.Continued = after > 0
	if len(v.Items) > pages.ReviewReportPart {
		v.Items = v.Items[:pages.ReviewReportPart]
		v.NextURL = pages.ReviewURL(id) + "/report?" + components.Query("after", components.ID(v.Items[len(v.Items)-1].ID))
	}
	return render(c, http.StatusOK, pages.ReviewReportPage(s.page(c, "Access review report — "+v.Review.Name, "reviews"), v))
}

// reviewItemColumns are the columns of a review's CSV: the report's rows.
var reviewItemColumns = plainColumns([]column[db.ReviewItem]{
	{"item_id", func(it db.ReviewItem) any { return it.ID }},
	{"account", func(it db.ReviewItem) any { return it.AccountName }},
	{"record_kind", func(it db.ReviewItem) any { return it.RecordKind }},
	{"record_id", func(it db.ReviewItem) any { return it.RecordID }},
	{"what", func(it db.ReviewItem) any { return it.Detail }},
	{"holder", func(it db.ReviewItem) any { return it.Holder }},
	{"since", func(it db.ReviewItem) any { return it.Since }},
	{"last_seen", func(it db.ReviewItem) any { return it.LastSeen }},
	{"reviewer", func(it db.ReviewItem) any { return pages.ReviewerName(it.ReviewerName) }},
	{"routed_because", func(it db.ReviewItem) any { return it.RoutedBecause }},
	{"decision", func(it db.ReviewItem) any { return it.Decision }},
	{"note", func(it db.ReviewItem) any { return it.Note }},
	{"decided_by", func(it db.ReviewItem) any { return it.DecidedBy }},
	{"decided_at", func(it db.ReviewItem) any { return it.DecidedAt }},
	{"outcome", func(it db.ReviewItem) any { return it.Outcome }},
})

// exportReview is GET /reviews/:id/export.csv, streamed.
func (s *Server) exportReview(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.ReviewByID(ctx, id); err != nil {
		return err
	}
	return s.download(c, "steward-review-"+components.ID(id)+"-"+s.store.Today()+".csv", "csv", func(w io.Writer) error {
		return writeTable(newTable("csv", w), reviewItemColumns, nil, func(fn func(db.ReviewItem) error) error {
			return s.store.EachReviewItem(ctx, id, fn)
		})
	})
}

// reviewTimeline is GET /reviews/:id/timeline: the review's own history,
// or (htmx) the next events for "load more".
func (s *Server) reviewTimeline(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.store.ReviewByID(ctx, id)
	if err != nil {
		return err
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	page, err := s.store.Timeline(ctx, db.Ref{Kind: "review", ID: id}, before, timelineSize)
	if err != nil {
		return err
	}
	more := pages.ReviewURL(id) + "/timeline"
	c.Response().Header().Add("Vary", "HX-Request")
	if isHTMX(c) {
		return render(c, http.StatusOK, components.TimelineEvents(page, more))
	}
	return render(c, http.StatusOK, pages.ReviewTimelinePage(s.page(c, "Timeline of the access review "+r.Name, "reviews"), r, more, page))
}
