package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// checklistSubject describes the record a checklist is about: its name and
// the key facts printed in the header.
func (s *Server) checklistSubject(c echo.Context, kind string, id int64) (string, [][2]string, string, error) {
	ctx := c.Request().Context()
	today := s.store.Today()
	switch kind {
	case "owner":
		o, err := s.store.OwnerByID(ctx, id)
		return o.Name, [][2]string{{"Email", o.Email}, {"Title", o.Title}, {"Department", o.Department}, {"Status", o.Status},
			{"Leaving on", o.LeavingOn}, {"Manager", o.ManagerName}}, o.LeavingOn, err
	case "account":
		a, err := s.store.AccountByID(ctx, id)
		return a.Name, [][2]string{{"Platform", a.Platform}, {"Kind", a.Kind}, {"External ID", a.ExternalID},
			{"Accountable owner", a.OwnerName}, {"Criticality", a.Criticality}, {"Status", a.Status}}, "", err
	case "role":
		r, err := s.store.RoleByID(ctx, id)
		return r.Role + " on " + r.AccountName, [][2]string{{"Holder", r.HolderName}, {"Account", r.AccountName},
			{"Platform", r.Platform}, {"Admin-level", yesNo(r.Admin)}, {"Granted on", r.GrantedOn}, {"Status", r.Status}}, "", err
	case "system_user":
		u, err := s.store.SystemUserByID(ctx, id)
		return u.Name, [][2]string{{"Account", u.AccountName}, {"External ID", u.ExternalID}, {"Admin", yesNo(u.Admin)},
			{"Responsible owner", u.ResponsibleOwnerName}, {"Integration", u.IntegrationName}, {"Status", u.Status}}, "", err
	case "integration":
		in, err := s.store.IntegrationByID(ctx, id)
		return in.Name, [][2]string{{"Runs on", in.RunsOn}, {"Responsible owner", in.ResponsibleOwnerName}, {"Status", in.Status}}, "", err
	case "token":
		t, err := s.store.TokenByID(ctx, id)
		expires := t.ExpiresOn
		if t.NeverExpires() {
			expires = "never"
		}
		return t.Name, [][2]string{{"Kind", components.TokenKindLabel(t.Kind)}, {"Account", t.AccountName}, {"Issued to", t.HolderName()},
			{"Used by", t.IntegrationName}, {"Responsible owner", t.ResponsibleName}, {"Expires", expires},
			{"Stored in", t.StoredIn}, {"Status", components.StatusLabel(t.EffectiveStatus(today))}}, "", err
	}
	return "", nil, "", echo.ErrNotFound
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// checklistView loads everything a checklist page shows.
func (s *Server) checklistView(c echo.Context, kindPath string, id int64, f components.Form) (pages.ChecklistView, error) {
	k := kindAt(kindPath)
	ctx := c.Request().Context()
	name, facts, due, err := s.checklistSubject(c, k.Name, id)
	if err != nil {
		return pages.ChecklistView{}, err
	}
	v := pages.ChecklistView{KindPath: kindPath, SubjectKind: k.Name, SubjectID: id, SubjectName: name, SubjectNoun: k.ChecklistNoun,
		Title: k.ChecklistTitle, Facts: facts, DueOn: due, CanEdit: currentUser(c).CanEdit(), IsAdmin: currentUser(c).IsAdmin(), Today: s.store.Today()}
	if c.FormValue("all") != "1" { // the query's, or a tick's from the page with all
		v.Limit = pages.ChecklistItemsShown
	}
	v.CSRF, v.PrintedBy, v.PrintedAt = csrfToken(c), currentUser(c).Email, printedAtFor(c)
	if f.Values == nil {
		f = components.Form{Values: map[string]string{"due_on": due}}
	}
	v.Form = f
	if v.Organisation, err = s.store.OrganisationName(ctx); err != nil {
		return v, err
	}
	saved, err := s.store.LatestChecklist(ctx, k.Name, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
		if v.Planned, err = s.store.PlanChecklist(ctx, k.Name, id); err != nil {
			return v, err
		}
	case err != nil:
		return v, err
	default:
		v.Checklist = &saved
		if v.Timeline, err = s.store.Timeline(ctx, db.Ref{Kind: "checklist", ID: saved.ID}, 0, 50); err != nil {
			return v, err
		}
		owners, err := s.store.ActiveOwnerOptions(ctx, pickerLimit)
		if err != nil {
			return v, err
		}
		for _, o := range owners {
			if k.Name != "owner" || o.ID != id { // the person leaving never takes anything over
				v.Owners = append(v.Owners, o)
			}
		}
	}
	if v.Checklist == nil || v.Checklist.Status == "open" { // a completed one's open items are past acting on
		v.Risks, err = s.store.ChecklistRisks(ctx, db.Ref{Kind: k.Name, ID: id}, v.Items())
	}
	return v, err
}

// renderChecklist renders a checklist's whole page.
func (s *Server) renderChecklist(c echo.Context, status int, v pages.ChecklistView) error {
	return render(c, status, pages.ChecklistPage(s.page(c, v.Heading(), v.KindPath), v))
}

// showChecklist is GET /{kind}/:id/checklist: printable, built from live data.
func (s *Server) showChecklist(kindPath string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		v, err := s.checklistView(c, kindPath, id, components.Form{})
		if err != nil {
			return err
		}
		return s.renderChecklist(c, http.StatusOK, v)
	}
}

// startChecklist is POST /{kind}/:id/checklist: it saves the checklist.
func (s *Server) startChecklist(kindPath string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		k := kindAt(kindPath)
		if _, _, _, err := s.checklistSubject(c, k.Name, id); err != nil {
			return err
		}
		f := formOf(c, "due_on")
		_, err = s.store.StartChecklist(c.Request().Context(), actor(c), k.Name, id, f.Value("due_on"))
		nothing := errors.Is(err, db.ErrNothingToDo)
		if invalid(err, &f) || nothing {
			v, verr := s.checklistView(c, kindPath, id, f)
			if verr != nil {
				return verr
			}
			v.NothingToDo = nothing
			return s.renderChecklist(c, http.StatusUnprocessableEntity, v)
		}
		if err != nil {
			return err
		}
		s.flash(c, "Checklist started.")
		return redirect(c, "/"+kindPath+"/"+components.ID(id)+"/checklist")
	}
}

// checklistPath finds the saved checklist of the :id path parameter and
// the page it lives on: its subject's kind path and ID.
func (s *Server) checklistPath(c echo.Context) (cid int64, kindPath string, subjectID int64, err error) {
	if cid, err = idParam(c); err != nil {
		return 0, "", 0, err
	}
	subject, err := s.store.ChecklistSubject(c.Request().Context(), cid)
	if err != nil {
		return 0, "", 0, err
	}
	k, ok := db.KindNamed(subject.Kind)
	if !ok {
		return 0, "", 0, echo.ErrNotFound
	}
	return cid, k.Path, subject.ID, nil
}

// tickChecklistItem is POST /checklists/:cid/items/:iid: done or not, a
// note, and optionally Steward carrying out the item's action. A refused
// tick shows its error on the item itself: htmx swaps just that item, and a
// plain form's page opens at the item (the form's action ends in its anchor).
func (s *Server) tickChecklistItem(c echo.Context) error {
	cid, kindPath, subjectID, err := s.checklistPath(c)
	if err != nil {
		return err
	}
	iid, err := pathID(c, "iid")
	if err != nil {
		return err
	}
	f := formOf(c, "note", "owner_id")
	err = s.store.TickItem(c.Request().Context(), actor(c), cid, iid, db.TickInput{Done: c.FormValue("done") == "1",
		Note: f.Value("note"), CarryOut: c.FormValue("carry_out") == "1", OwnerID: f.Value("owner_id"), Revoke: c.FormValue("revoke") == "1",
		Secret: c.FormValue("secret")})
	if invalid(err, &f) {
		v, verr := s.checklistView(c, kindPath, subjectID, f)
		if verr != nil {
			return verr
		}
		v.ErrorItem = iid
		if !isHTMX(c) {
			return s.renderChecklist(c, http.StatusUnprocessableEntity, v)
		}
		if it, ok := v.Item(iid); ok {
			c.Response().Header().Set("HX-Retarget", "#"+pages.ItemAnchor(iid))
			c.Response().Header().Set("HX-Reswap", "outerHTML")
			return render(c, http.StatusUnprocessableEntity, pages.ChecklistItem(v, it))
		}
		return render(c, http.StatusUnprocessableEntity, pages.ChecklistItemsUpdate(v))
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return redirect(c, "/"+kindPath+"/"+components.ID(subjectID)+"/checklist")
	}
	v, err := s.checklistView(c, kindPath, subjectID, f)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.ChecklistItemsUpdate(v))
}

// completeChecklist is POST /checklists/:cid/complete.
func (s *Server) completeChecklist(c echo.Context) error {
	cid, kindPath, subjectID, err := s.checklistPath(c)
	if err != nil {
		return err
	}
	f := formOf(c, "reason")
	err = s.store.CompleteChecklist(c.Request().Context(), actor(c), cid, f.Value("reason"))
	if invalid(err, &f) {
		v, verr := s.checklistView(c, kindPath, subjectID, f)
		if verr != nil {
			return verr
		}
		return s.renderChecklist(c, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Checklist completed.")
	return redirect(c, "/"+kindPath+"/"+components.ID(subjectID)+"/checklist")
}

// checklistTimeline is GET /checklists/:id/timeline: the checklist's own
// history as a page, or (htmx) the next events for "load more". Both lead
// back to the checklist page, which is the checklist's only page.
func (s *Server) checklistTimeline(c echo.Context) error {
	cid, kindPath, subjectID, err := s.checklistPath(c)
	if err != nil {
		return err
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	page, err := s.store.Timeline(c.Request().Context(), db.Ref{Kind: "checklist", ID: cid}, before, timelineSize)
	if err != nil {
		return err
	}
	more := "/checklists/" + components.ID(cid) + "/timeline"
	c.Response().Header().Add("Vary", "HX-Request")
	if isHTMX(c) {
		return render(c, http.StatusOK, components.TimelineEvents(page, more))
	}
	name, _, _, err := s.checklistSubject(c, kindAt(kindPath).Name, subjectID)
	if err != nil {
		return err
	}
	back := "/" + kindPath + "/" + components.ID(subjectID) + "/checklist"
	return render(c, http.StatusOK, pages.ChecklistTimelinePage(s.page(c, "Timeline of the checklist for "+name, kindPath), name, back, more, page))
}

// standingKinds are the checklist kinds for the standing items form.
var standingKinds = []components.Choice{{Value: "owner", Label: "Person (offboarding)"}, {Value: "integration", Label: "Integration (decommissioning)"},
	{Value: "system_user", Label: "System user"}, {Value: "token", Label: "Token (revocation)"}, {Value: "account", Label: "Account (retirement)"},
	{Value: "role", Label: "Role (removal)"}}

func (s *Server) renderStandingItems(c echo.Context, status int, f components.Form) error {
	items, err := s.store.ListStandingItems(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, status, pages.StandingItemsPage(s.page(c, "Checklist standing items", "admin"), items, f, standingKinds))
}

// listStandingItems is the admin page of the team's own checklist items.
func (s *Server) listStandingItems(c echo.Context) error {
	return s.renderStandingItems(c, http.StatusOK, components.Form{Values: map[string]string{"kind": "owner"}, CSRF: csrfToken(c)})
}

// addStandingItem adds one.
func (s *Server) addStandingItem(c echo.Context) error {
	f := formOf(c, "kind", "text")
	err := s.store.AddStandingItem(c.Request().Context(), actor(c), f.Value("kind"), f.Value("text"))
	if invalid(err, &f) {
		return s.renderStandingItems(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Standing item added to future checklists.")
	return redirect(c, "/admin/checklists")
}

// deleteStandingItem removes one from future checklists.
func (s *Server) deleteStandingItem(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteStandingItem(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.flash(c, "Standing item removed.")
	return redirect(c, "/admin/checklists")
}
