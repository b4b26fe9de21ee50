package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// tokenFilter reads the token list's extra filters from the query.
func tokenFilter(c echo.Context) db.TokenFilter {
	return readListFilters(c).token
}

// tokenNarrowing is the token list's narrowings, read into f.
func tokenNarrowing(f *db.TokenFilter) []narrowBy {
	return []narrowBy{{"Responsible owner", "responsible_owner_id", "owner", &f.ResponsibleOwnerID}, {"Account", "account_id", "account", &f.AccountID},
		{"System user", "system_user_id", "system_user", &f.SystemUserID}, {"Integration", "integration_id", "integration", &f.IntegrationID},
		{"Person involved", "involves_owner_id", "owner", &f.InvolvesOwnerID}}
}

// tokenTextFilters are the token list's filters that take text, read into f.
func tokenTextFilters(f *db.TokenFilter) []textFilter {
	return []textFilter{{"platform", nil, &f.Platform}, {"responsible", nil, &f.Responsible},
		{"expiry", []string{db.ExpiryNever, db.ExpirySoon, db.ExpiryExpired}, &f.Expiry}}
}

// listTokens serves the token list with its filters, or just the rows.
func (s *Server) listTokens(c echo.Context) error {
	ctx := c.Request().Context()
	p, f := listParams(c), tokenFilter(c)
	platforms, err := s.store.AccountPlatforms(ctx)
	if err != nil {
		return err
	}
	l := pages.TokenList{Params: p, Filter: f, Platforms: platforms, Today: s.store.Today(), CanEdit: currentUser(c).CanEdit()}
	if l.Page, err = s.store.ListTokens(ctx, p, f); err != nil {
		return err
	}
	list := pages.TokensList(l)
	for kind, id := range map[string]int64{"account": f.AccountID, "system_user": f.SystemUserID, "integration": f.IntegrationID, "owner": f.InvolvesOwnerID} {
		if id == 0 {
			continue
		}
		// A record page's "Show all" link: name the record.
		switch name, err := s.store.RecordName(ctx, kind, id); {
		case err == nil:
			l.RelatedName = name
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
	}
	if f.ResponsibleOwnerID != 0 {
		// A link from an owner's page: name the person instead of a number.
		o, err := s.store.OwnerByID(ctx, f.ResponsibleOwnerID)
		switch {
		case err == nil:
			l.ResponsibleName = o.Name
		case !errors.Is(err, db.ErrNotFound):
			return err
		}
	}
	return renderList(c, pages.TokensPage(s.page(c, "Tokens", "tokens"), l, list), list)
}

// showToken is a token's page.
func (s *Server) showToken(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	t, err := s.store.TokenByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	tl, err := s.recordTimeline(c, "token", id)
	if err != nil {
		return err
	}
	d := pages.TokenDetail{Token: t, Today: s.store.Today(), Timeline: tl, CanEdit: currentUser(c).CanEdit(), CSRF: csrfToken(c)}
	if d.MetaCheck, d.MetaChecked, err = s.store.LatestMetaCheck(c.Request().Context(), id); err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.Framed(s.page(c, t.Name, "tokens"), pages.TokenContent(d)))
}

func (s *Server) renderTokenForm(c echo.Context, status int, id int64, f components.Form) error {
	ctx := c.Request().Context()
	var pick pages.TokenPickers
	var err error
	if pick.Accounts, err = s.refOptions(ctx, "account", db.TokenFields.Specs(), f); err != nil {
		return err
	}
	if pick.SystemUsers, err = s.refOptions(ctx, "system_user", db.TokenFields.Specs(), f); err != nil {
		return err
	}
	if pick.Owners, err = s.refOptions(ctx, "owner", db.TokenFields.Specs(), f); err != nil {
		return err
	}
	if pick.Integrations, err = s.refOptions(ctx, "integration", db.TokenFields.Specs(), f); err != nil {
		return err
	}
	title := "Register token"
	if id != 0 {
		title = "Edit token"
	}
	return render(c, status, pages.TokenFormPage(s.page(c, title, "tokens"), id, f, pick))
}

// tokenForms are the token form's pages; a pasted value becomes a
// fingerprint, and saving one already registered elsewhere warns.
func (s *Server) tokenForms() recordForms[db.TokenInput] {
	return recordForms[db.TokenInput]{s: s, kind: "token", fields: db.TokenFields,
		blank: func() db.TokenInput {
			return db.TokenInput{Kind: "system_user_token", Status: "active", IssuedOn: today()}
		},
		fromQuery: []string{"account_id", "system_user_id", "owner_id", "integration_id", "responsible_owner_id"},
		load:      inputOf(s.store.TokenByID),
		create: func(ctx context.Context, a db.Actor, in db.TokenInput) (savedRecord, error) {
			in.MetaCheck = s.checkWithMeta(ctx, in.AccountID, in.Secret)
			saved, err := s.store.CreateToken(ctx, a, in)
			return savedRecord{ID: saved.ID, Notes: append(duplicateWarnings(saved), metaCheckNote(saved, in.MetaCheck)...)}, err
		},
		update: func(ctx context.Context, a db.Actor, id int64, in db.TokenInput) (savedRecord, error) {
			in.MetaCheck = s.checkWithMeta(ctx, in.AccountID, in.Secret)
			saved, err := s.store.UpdateToken(ctx, a, id, in)
			return savedRecord{ID: id, Notes: append(duplicateWarnings(saved), metaCheckNote(saved, in.MetaCheck)...)}, err
		},
		render: s.renderTokenForm, added: "Token registered.", saved: "Token saved."}
}

// duplicateWarnings warn when the pasted value is already on other tokens.
func duplicateWarnings(saved db.TokenSaved) []string {
	var out []string
	for _, other := range saved.DuplicateOf {
		out = append(out, fmt.Sprintf("Warning: this value is already registered on token #%d. The same secret in two records usually means a copy was made; check both.", other))
	}
	return out
}

// showRotateForm is GET /tokens/:id/rotate: the form that takes a token's
// new value once.
func (s *Server) showRotateForm(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return s.renderRotateForm(c, http.StatusOK, id, formOf(c))
}

func (s *Server) renderRotateForm(c echo.Context, status int, id int64, f components.Form) error {
	t, err := s.store.TokenByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, status, pages.RotateTokenPage(s.page(c, "Rotate "+t.Name, "tokens"), t, f))
}

// rotateToken is POST /tokens/:id/rotate: the new value replaces the
// fingerprint and is dropped, like a registered one.
func (s *Server) rotateToken(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := s.store.TokenByID(ctx, id)
	if err != nil {
		return err
	}
	check := s.checkWithMeta(ctx, strconv.FormatInt(t.AccountID, 10), c.FormValue("secret"))
	saved, outcome, err := s.store.RotateTokenChecked(ctx, actor(c), id, c.FormValue("secret"), check)
	if f := formOf(c); invalid(err, &f) {
		return s.renderRotateForm(c, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, outcome+". The old value's fingerprint is kept: “Whose token is this?” still finds it.")
	for _, w := range append(duplicateWarnings(saved), metaCheckNote(saved, check)...) {
		s.flash(c, w)
	}
	return redirect(c, components.RecordURL("token", id))
}

// showLookup is the "Whose token is this?" form.
func (s *Server) showLookup(c echo.Context) error {
	return render(c, http.StatusOK, pages.LookupPage(s.page(c, "Whose token is this?", "tokens"), pages.LookupResult{}))
}

// lookupToken finds tokens by the fingerprint of a pasted value. The value
// is hashed and dropped: not stored, logged or shown again.
func (s *Server) lookupToken(c echo.Context) error {
	secret := c.FormValue("secret")
	r := pages.LookupResult{Today: s.store.Today()}
	if strings.TrimSpace(secret) == "" {
		r.Error = "Paste the token's value."
		return render(c, http.StatusUnprocessableEntity, pages.LookupPage(s.page(c, "Whose token is this?", "tokens"), r))
	}
	tokens, err := s.store.TokensByFingerprint(c.Request().Context(), secret)
	if err != nil {
		return err
	}
	if r.Former, err = s.store.FormerValuesByFingerprint(c.Request().Context(), secret); err != nil {
		return err
	}
	r.Searched, r.Tokens = true, tokens
	return render(c, http.StatusOK, pages.LookupPage(s.page(c, "Whose token is this?", "tokens"), r))
}

// relatedTokens builds the tokens section of another record's page.
func (s *Server) relatedTokens(c echo.Context, title string, f db.TokenFilter, newQuery string) (pages.TokensSection, error) {
	page, err := s.store.ListTokens(c.Request().Context(), db.ListParams{PerPage: relatedShown, Sort: "name"}, f)
	if err != nil {
		return pages.TokensSection{}, err
	}
	return pages.TokensSection{Title: title, Tokens: page.Items, Total: page.Total, Today: s.store.Today(), OnAccount: f.AccountID != 0,
		NewHref: "/tokens/new?" + newQuery, AllHref: pages.TokenListURL(f), CanEdit: currentUser(c).CanEdit()}, nil
}
