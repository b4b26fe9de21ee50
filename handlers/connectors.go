package handlers

import (
	"cmp"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/internal/meta"
	"steward/views/components"
	"steward/views/pages"
)

// metaClient is the Graph API client: the configured one, or Meta's own.
func (s *Server) metaClient() *meta.Client {
	if s.cfg.Meta != nil {
		return s.cfg.Meta
	}
	return &meta.Client{}
}

// metaConnectFields are the connect form's fields, in its order.
var metaConnectFields = []string{"app_id", "app_secret", "business_id", "access_token", "keep_token"}

// showConnectors is GET /admin/connectors; connecting again starts from
// the connected app's IDs.
func (s *Server) showConnectors(c echo.Context) error {
	m, err := s.store.MetaConnector(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderConnectors(c, http.StatusOK, components.Form{CSRF: csrfToken(c),
		Values: map[string]string{"app_id": m.AppID, "business_id": m.BusinessID}}, "")
}

// renderConnectors renders the connectors page with the latest syncs; the
// form's secrets are never sent back.
func (s *Server) renderConnectors(c echo.Context, status int, f components.Form, problem string) error {
	m, err := s.store.MetaConnector(c.Request().Context())
	if err != nil {
		return err
	}
	syncs, err := s.store.MetaSyncHistory(c.Request().Context())
	if err != nil {
		return err
	}
	delete(f.Values, "app_secret")
	delete(f.Values, "access_token")
	return render(c, status, pages.ConnectorsPage(s.page(c, "Connectors", "admin"), pages.ConnectorsAdmin{Meta: m, Syncs: syncs, Form: f, Problem: problem}))
}

// connectMeta is POST /admin/connectors/meta: Meta checks the app token
// and the access token (debug_token) before anything is saved.
func (s *Server) connectMeta(c echo.Context) error {
	ctx := c.Request().Context()
	f := formOf(c, metaConnectFields...)
	in := db.MetaConnectInput{AppID: f.Value("app_id"), AppSecret: f.Value("app_secret"), BusinessID: f.Value("business_id"),
		Token: f.Value("access_token"), KeepToken: f.Value("keep_token") == "1"}
	refuse := func(status int, problem string) error {
		return s.renderConnectors(c, status, f.FocusFirst(metaConnectFields...), problem)
	}
	if f.Errors = in.Problems(); len(f.Errors) > 0 {
		return refuse(http.StatusUnprocessableEntity, "")
	}
	// Without an access token, the app token checks itself.
	checked := in.Token
	if checked == "" {
		checked = in.AppID + "|" + in.AppSecret
	}
	check, err := s.metaClient().CheckToken(ctx, in.AppID, in.AppSecret, checked)
	if err != nil {
		s.log.Warn("meta: the connect check failed", "err", err, "id", c.Response().Header().Get(echo.HeaderXRequestID))
		return refuse(metaFailure(err, &f))
	}
	switch {
	case in.Token != "" && !check.Valid:
		f.Errors = db.ValidationError{"access_token": "Meta says this token is not valid: " + cmp.Or(check.Error, "no reason given") + "."}
	case in.Token != "" && check.AppID != "" && check.AppID != in.AppID:
		f.Errors = db.ValidationError{"access_token": "This token belongs to another Meta app (" + check.AppID + "). Use a token of this app's system user."}
	}
	if len(f.Errors) > 0 {
		return refuse(http.StatusUnprocessableEntity, "")
	}
	if in.Token != "" {
		in.Check = check
	}
	err = s.store.ConnectMeta(ctx, actor(c), in)
	if invalid(err, &f) {
		return refuse(http.StatusUnprocessableEntity, "")
	}
	if err != nil {
		return err
	}
	s.flash(c, "Meta app connected: Meta accepted its token.")
	return redirect(c, "/admin/connectors")
}

// metaFailure is the status and message of a check Meta did not answer
// with a verdict: a refused app token is the app secret's error, the rest
// a message above the form. Nothing Meta said can hold a secret
// (meta.Error's text never does).
func metaFailure(err error, f *components.Form) (int, string) {
	var e *meta.Error
	errors.As(err, &e)
	switch meta.KindOf(err) {
	case meta.InvalidToken:
		f.Errors = db.ValidationError{"app_secret": "Meta refused this app ID and secret. Copy both again from the app's Settings › Basic."}
		return http.StatusUnprocessableEntity, ""
	case meta.Timeout, meta.Unreachable:
		return http.StatusServiceUnavailable, "Steward could not reach Meta to check the app, so nothing was saved. Try again in a few minutes; if it keeps failing, check that this server can reach graph.facebook.com."
	case meta.RateLimited:
		return http.StatusServiceUnavailable, "Meta asks Steward to slow down (rate limit), so nothing was saved. Try again in a few minutes."
	}
	msg := "Meta did not accept the check, so nothing was saved."
	if e != nil && e.Message != "" {
		msg = "Meta did not accept the check, so nothing was saved. Meta said: " + e.Message
	}
	return http.StatusUnprocessableEntity, msg
}

// disconnectMeta is POST /admin/connectors/meta/disconnect.
func (s *Server) disconnectMeta(c echo.Context) error {
	return s.flashOutcome(c, s.store.DisconnectMeta(c.Request().Context(), actor(c)),
		"Meta app disconnected: its secret and kept token are deleted. Revoke the token on Meta too.", "/admin/connectors")
}
