package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// rulesFormFields are the rules form's single-valued fields; the rules
// switched on come as repeated "enabled" values.
var rulesFormFields = []string{"thresholds", "cadence"}

// storedRules is the rules form as the store holds the rules.
func (s *Server) storedRules(c echo.Context) (pages.NotificationRules, error) {
	rules, err := s.store.RuleSettings(c.Request().Context())
	if err != nil {
		return pages.NotificationRules{}, err
	}
	r := pages.NotificationRules{Form: components.Form{CSRF: csrfToken(c), Values: map[string]string{}}}
	for _, rule := range rules {
		if rule.Enabled {
			r.Enabled = append(r.Enabled, rule.Event)
		}
		switch rule.Event {
		case db.EventTokenExpiring:
			r.Form.Values["thresholds"] = strings.ReplaceAll(rule.Setting, ",", ", ")
		case db.EventDigest:
			r.Form.Values["cadence"] = rule.Setting
		}
	}
	return r, nil
}

// saveNotificationRules is POST /admin/notifications/rules: the rules
// switched on, the expiry thresholds and the digest's cadence. Bad input
// shows the page again with the error beside its field, nothing saved.
func (s *Server) saveNotificationRules(c echo.Context) error {
	f := formOf(c, rulesFormFields...)
	var enabled []string
	if form, err := c.FormParams(); err == nil {
		enabled = form["enabled"]
	}
	err := s.store.SaveRuleSettings(c.Request().Context(), actor(c),
		db.RulesInput{Enabled: enabled, Thresholds: f.Value("thresholds"), Cadence: f.Value("cadence")})
	if invalid(err, &f) {
		webhookForm := components.Form{CSRF: csrfToken(c), Values: map[string]string{"format": db.WebhookJSON}}
		return s.renderNotificationsPage(c, http.StatusUnprocessableEntity, webhookForm, nil,
			pages.NotificationRules{Form: f.FocusFirst(rulesFormFields...), Enabled: enabled})
	}
	if err != nil {
		return err
	}
	s.flash(c, "Notification rules saved.")
	return redirect(c, "/admin/notifications")
}
