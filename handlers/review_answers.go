package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// Answers to access reviews and reviewers' links (issue #14 item 3).

// reviewerPageItems is how many items a reviewer's page shows before
// "Show all".
const reviewerPageItems = 50

// reviewerOfLink finds the reviewer of the link in the request's path. An
// address that asked for too many unknown links waits (429); an unknown,
// revoked or used-up link answers the plain "no longer valid" page.
func (s *Server) reviewerOfLink(c echo.Context) (db.Reviewer, string, error) {
	ip, secret := c.RealIP(), c.Param("secret")
	if wait := s.throttle.reviewerLinkWait(ip); wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)+1))
		return db.Reviewer{}, "", echo.NewHTTPError(http.StatusTooManyRequests)
	}
	r, err := s.store.ReviewerOfLink(c.Request().Context(), secret)
	if errors.Is(err, db.ErrNotFound) {
		s.throttle.reviewerLinkMissed(ip)
		return r, "", render(c, http.StatusNotFound, pages.ReviewLinkGonePage(s.page(c, "This link is no longer valid", "")))
	}
	return r, secret, err
}

// showReviewerAnswers is GET /r/:secret: the reviewer's own items, without
// signing in.
func (s *Server) showReviewerAnswers(c echo.Context) error {
	r, secret, err := s.reviewerOfLink(c)
	if err != nil || secret == "" {
		return err
	}
	return s.renderReviewerAnswers(c, http.StatusOK, r, secret, 0, components.Form{CSRF: csrfToken(c)})
}

// renderReviewerAnswers renders a reviewer's page; errorItem and f are a
// refused answer's.
func (s *Server) renderReviewerAnswers(c echo.Context, status int, r db.Reviewer, secret string, errorItem int64, f components.Form) error {
	ctx := c.Request().Context()
	all := c.QueryParam("all") == "1" || c.FormValue("all") == "1"
	limit := reviewerPageItems
	if all {
		limit = -1 // SQLite: no limit
	}
	items, total, err := s.store.ReviewerItems(ctx, r.ReviewID, r.OwnerID, limit)
	if err != nil {
		return err
	}
	org, err := s.store.OrganisationName(ctx)
	if err != nil {
		return err
	}
	return render(c, status, pages.ReviewerAnswersPage(s.page(c, "Access review: "+r.ReviewName, ""), pages.ReviewerAnswers{
		Reviewer: r, Organisation: org, Path: db.ReviewLinkPrefix + secret, Items: items, Total: total, All: all,
		ErrorItem: errorItem, Form: f}))
}

// answerByLink is POST /r/:secret/items/:item_id: a reviewer's answer to
// one of their items, back to it on their page.
func (s *Server) answerByLink(c echo.Context) error {
	r, secret, err := s.reviewerOfLink(c)
	if err != nil || secret == "" {
		return err
	}
	itemID, err := pathID(c, "item_id")
	if err != nil {
		return err
	}
	decision, note := c.FormValue("decision"), c.FormValue("note")
	err = s.store.AnswerByLink(c.Request().Context(), actor(c), secret, itemID, decision, note)
	f := components.Form{CSRF: csrfToken(c), Values: map[string]string{"decision": decision, "note": note}}
	if invalid(err, &f) {
		return s.renderReviewerAnswers(c, http.StatusUnprocessableEntity, r, secret, itemID, f)
	}
	if err != nil {
		return err // ErrNotFound: not their item, or the review closed meanwhile
	}
	s.flash(c, answerSaved(decision))
	back := db.ReviewLinkPrefix + secret
	if c.FormValue("all") == "1" {
		back += "?all=1"
	}
	return redirect(c, back+"#item-"+strconv.FormatInt(itemID, 10))
}

// answerSaved confirms an answer.
func answerSaved(decision string) string {
	if decision == db.ReviewRemove {
		return "Saved: remove. The access will be removed when the review closes."
	}
	return "Saved: keep."
}

// answerReviewItem is POST /reviews/:id/items/:item_id: an editor's answer
// to any item of the review, back to it on the review's page.
func (s *Server) answerReviewItem(c echo.Context) error {
	reviewID, err := idParam(c)
	if err != nil {
		return err
	}
	itemID, err := pathID(c, "item_id")
	if err != nil {
		return err
	}
	decision := c.FormValue("decision")
	err = s.store.AnswerReviewItem(c.Request().Context(), actor(c), reviewID, itemID, decision, c.FormValue("note"))
	var f components.Form
	if invalid(err, &f) {
		msg := f.Errors["decision"]
		if msg == "" {
			msg = f.Errors["note"]
		}
		return render(c, http.StatusUnprocessableEntity, errorPage(s.page(c, "The answer was not saved", ""), http.StatusUnprocessableEntity,
			"The answer was not saved", msg+" Go back to the review and try again."))
	}
	if errors.Is(err, db.ErrReviewClosed) {
		s.flash(c, "This review is closed: its answers can no longer change.")
	} else if err != nil {
		return err
	} else {
		s.flash(c, answerSaved(decision))
	}
	return redirect(c, reviewPath(reviewID)+"#item-"+strconv.FormatInt(itemID, 10))
}

// reviewPath is a review's page.
func reviewPath(id int64) string { return "/reviews/" + strconv.FormatInt(id, 10) }

// issueReviewLink is POST /reviews/:id/links/:owner_id: the reviewer's
// link, issued when they have none, to copy from the review's page.
func (s *Server) issueReviewLink(c echo.Context) error {
	reviewID, ownerID, err := reviewAndOwner(c)
	if err != nil {
		return err
	}
	_, issued, err := s.store.ReviewLinkFor(c.Request().Context(), actor(c), reviewID, ownerID)
	switch {
	case errors.Is(err, db.ErrReviewClosed):
		s.flash(c, "This review is closed: its links no longer work.")
	case err != nil:
		return err
	case issued:
		s.flash(c, "Link issued: copy it from the list of reviewers and send it to them.")
	default:
		s.flash(c, "This reviewer already has a link: copy it from the list of reviewers.")
	}
	return redirect(c, reviewPath(reviewID)+"#reviewers")
}

// revokeReviewLink is POST /reviews/:id/links/:owner_id/revoke: the
// reviewer's link stops working at once.
func (s *Server) revokeReviewLink(c echo.Context) error {
	reviewID, ownerID, err := reviewAndOwner(c)
	if err != nil {
		return err
	}
	err = s.store.RevokeReviewLink(c.Request().Context(), actor(c), reviewID, ownerID)
	if errors.Is(err, db.ErrNotFound) {
		s.flash(c, "This reviewer has no working link.")
	} else if err != nil {
		return err
	} else {
		s.flash(c, "Link revoked: it no longer works. Issue a new one when needed.")
	}
	return redirect(c, reviewPath(reviewID)+"#reviewers")
}

// reviewAndOwner reads a review link route's IDs.
func reviewAndOwner(c echo.Context) (reviewID, ownerID int64, err error) {
	if reviewID, err = idParam(c); err != nil {
		return 0, 0, err
	}
	ownerID, err = pathID(c, "owner_id")
	return reviewID, ownerID, err
}

// reviewLinksOf is the reviewers' links section of review reviewID for the
// review's page (open: the review takes answers).
func (s *Server) reviewLinksOf(c echo.Context, reviewID int64, open bool) (pages.ReviewLinksData, error) {
	// The busiest reviewers, unless all are asked for: a review of the
	// whole inventory can have thousands.
	limit := pages.ReviewLinksShown + 1
	if c.QueryParam("reviewers") == "all" {
		limit = -1
	}
	links, err := s.store.ReviewLinks(c.Request().Context(), reviewID, limit)
	if err != nil {
		return pages.ReviewLinksData{}, err
	}
	more := limit > 0 && len(links) == limit
	if more {
		links = links[:limit-1]
	}
	u := currentUser(c)
	d := pages.ReviewLinksData{ReviewID: reviewID, Open: open, CanEdit: u != nil && u.CanEdit(), CSRF: csrfToken(c), More: more}
	for _, l := range links {
		row := pages.ReviewerLinkRow{OwnerID: l.ReviewerOwnerID, Reviewer: l.Reviewer, Email: l.Email,
			Issued: dayOf(l.Issued), Revoked: dayOf(l.Revoked), OpenItems: l.OpenItems, Items: l.Items}
		if l.Path != "" && open {
			row.URL = s.absoluteURL(c, l.Path)
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// dayOf is the date of a stored time, "" for none.
func dayOf(t string) string { return t[:min(len(t), 10)] }
