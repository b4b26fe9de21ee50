package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/internal/notify"
	"steward/views/components"
	"steward/views/pages"
)

// deliveryLogPage is how many deliveries the log shows at once.
const deliveryLogPage = 50

// webhookFormFields are the webhook form's single-valued fields; events
// are repeated.
var webhookFormFields = []string{"url", "format", "secret"}

// showNotifications is GET /admin/notifications: the webhooks, the form
// to add one, and the delivery log (?status=failed filters it, ?before=
// pages it).
func (s *Server) showNotifications(c echo.Context) error {
	f := components.Form{CSRF: csrfToken(c), Values: map[string]string{"format": db.WebhookJSON}}
	return s.renderNotifications(c, http.StatusOK, f, nil)
}

// renderNotifications renders the notifications page with the add form as
// given (events are the form's ticked events).
func (s *Server) renderNotifications(c echo.Context, status int, f components.Form, events []string) error {
	rules, err := s.storedRules(c)
	if err != nil {
		return err
	}
	return s.renderNotificationsPage(c, status, f, events, rules)
}

// renderNotificationsPage renders the notifications page with the add form
// and the rules form as given.
func (s *Server) renderNotificationsPage(c echo.Context, status int, f components.Form, events []string, rules pages.NotificationRules) error {
	ctx := c.Request().Context()
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	filter := c.QueryParam("status")
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	log, err := s.store.ListDeliveries(ctx, filter, before, deliveryLogPage)
	if err != nil {
		return err
	}
	n := pages.NotificationsAdmin{Webhooks: hooks, Form: f, Events: events, Log: log, Filter: filter, Mail: s.cfg.Mail, Rules: rules}
	return render(c, status, pages.NotificationsPage(s.page(c, "Notifications", "admin"), n))
}

// readWebhookForm reads the webhook form: what to show again (never the
// secret) and the input to save.
func readWebhookForm(c echo.Context) (components.Form, db.WebhookInput) {
	f := formOf(c, webhookFormFields...)
	in := db.WebhookInput{URL: f.Value("url"), Format: f.Value("format"), Secret: f.Value("secret")}
	if form, err := c.FormParams(); err == nil {
		in.Events = form["events"]
	}
	delete(f.Values, "secret")
	return f, in
}

// webhookProblems are in's problems, with a URL that points at Steward
// itself refused: a webhook must not make Steward call its own pages.
func (s *Server) webhookProblems(in db.WebhookInput, creating bool) db.ValidationError {
	errs := in.Problems(creating)
	if _, bad := errs["url"]; !bad && in.URL != "" && notify.PointsAt(in.URL, s.cfg.BaseURL, s.cfg.ListenAddr) {
		errs["url"] = "This address is Steward itself. Enter the address of the service that receives the messages."
	}
	return errs
}

// createWebhook is POST /admin/notifications/webhooks.
func (s *Server) createWebhook(c echo.Context) error {
	f, in := readWebhookForm(c)
	var err error
	if errs := s.webhookProblems(in, true); len(errs) > 0 {
		err = errs
	} else {
		_, err = s.store.CreateWebhook(c.Request().Context(), actor(c), in)
	}
	if invalid(err, &f) {
		return s.renderNotifications(c, http.StatusUnprocessableEntity, f.FocusFirst(webhookFormFields...), in.Events)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Webhook added. Send it a test to check that it arrives.")
	return redirect(c, "/admin/notifications")
}

// editWebhook is GET /admin/notifications/webhooks/:id: its form, with
// the address and the secret left empty (they are never shown back).
func (s *Server) editWebhook(c echo.Context) error {
	w, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	f := components.Form{CSRF: csrfToken(c), Values: map[string]string{"format": w.Format}}
	return s.renderWebhookEdit(c, http.StatusOK, w, f, w.Events)
}

// renderWebhookEdit renders webhook w's edit form.
func (s *Server) renderWebhookEdit(c echo.Context, status int, w db.Webhook, f components.Form, events []string) error {
	return render(c, status, pages.WebhookEditPage(s.page(c, "Edit webhook", "admin"), pages.WebhookEdit{Webhook: w, Form: f, Events: events}))
}

// webhookParam is the webhook the :id parameter names.
func (s *Server) webhookParam(c echo.Context) (db.Webhook, error) {
	id, err := idParam(c)
	if err != nil {
		return db.Webhook{}, err
	}
	return s.store.WebhookByID(c.Request().Context(), id)
}

// updateWebhook is POST /admin/notifications/webhooks/:id.
func (s *Server) updateWebhook(c echo.Context) error {
	w, err := s.webhookParam(c)
	if err != nil {
		return err
	}
	f, in := readWebhookForm(c)
	if errs := s.webhookProblems(in, false); len(errs) > 0 {
		err = errs
	} else {
		err = s.store.UpdateWebhook(c.Request().Context(), actor(c), w.ID, in)
	}
	if invalid(err, &f) {
		return s.renderWebhookEdit(c, http.StatusUnprocessableEntity, w, f.FocusFirst(webhookFormFields...), in.Events)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Webhook saved.")
	return redirect(c, "/admin/notifications")
}

// webhookAction is a POST on one webhook: do changes it (audited), done is
// the flash, and the answer is the notifications page. A refusal is
// flashed.
func (s *Server) webhookAction(do func(c echo.Context, id int64) error, done string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		return s.flashOutcome(c, do(c, id), done, "/admin/notifications")
	}
}

// disableWebhook is POST /admin/notifications/webhooks/:id/disable.
func (s *Server) disableWebhook(c echo.Context, id int64) error {
	return s.store.SetWebhookDisabled(c.Request().Context(), actor(c), id, true)
}

// enableWebhook is POST /admin/notifications/webhooks/:id/enable.
func (s *Server) enableWebhook(c echo.Context, id int64) error {
	return s.store.SetWebhookDisabled(c.Request().Context(), actor(c), id, false)
}

// deleteWebhook is POST /admin/notifications/webhooks/:id/delete.
func (s *Server) deleteWebhook(c echo.Context, id int64) error {
	return s.store.DeleteWebhook(c.Request().Context(), actor(c), id)
}

// testWebhook is POST /admin/notifications/webhooks/:id/test: queue a
// test message for it and wake the sender.
func (s *Server) testWebhook(c echo.Context, id int64) error {
	if err := s.store.QueueWebhookTest(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.notifier.Kick()
	return nil
}

// testEmail is POST /admin/notifications/test-email: queue a test email
// to the signed-in admin's own address and wake the sender. It is refused
// (flashed) when mail is not set up.
func (s *Server) testEmail(c echo.Context) error {
	a := actor(c)
	err := s.store.QueueEmailTest(c.Request().Context(), a)
	if err == nil {
		s.notifier.Kick()
	}
	return s.flashOutcome(c, err, "Test email queued to "+a.Email+". Watch the delivery log below: it shows when it is sent, or why not.", "/admin/notifications")
}

// retryDelivery is POST /admin/notifications/deliveries/:id/retry.
func (s *Server) retryDelivery(c echo.Context, id int64) error {
	if err := s.store.RetryDelivery(c.Request().Context(), actor(c), id); err != nil {
		return err
	}
	s.notifier.Kick()
	return nil
}

// runNowFor bounds how long "Run now" waits for the work, so that its page
// answers well within the server's write timeout; what is left is sent in
// the background.
const runNowFor = 30 * time.Second

// runNotifications is POST /admin/notifications/run: all due work now —
// the scheduled jobs whose time has come, then every due delivery.
func (s *Server) runNotifications(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), runNowFor)
	defer cancel()
	out, err := s.notifier.RunNow(ctx)
	unfinished := errors.Is(err, context.DeadlineExceeded)
	if err != nil && !unfinished {
		return err
	}
	msg := fmt.Sprintf("Ran %s. Sent %s", components.Count(out.Jobs, "job"), components.Count(out.Sent, "message"))
	if out.Sent+out.Retry+out.Failed == 0 && !unfinished {
		// Each message goes once: say so, or a second run looks broken.
		msg += ": nothing new was due. Each message is sent once; the delivery log shows what went before"
	}
	if out.Retry > 0 {
		msg += fmt.Sprintf("; %d failed and will be retried", out.Retry)
	}
	if out.Failed > 0 {
		msg += fmt.Sprintf("; %d failed for good", out.Failed)
	}
	if out.JobErrs > 0 {
		msg += fmt.Sprintf("; %s failed (see the server log)", components.Count(out.JobErrs, "job"))
	}
	if unfinished {
		s.notifier.Kick()
		msg += "; the rest is being sent in the background"
	}
	s.flash(c, msg+".")
	return redirect(c, "/admin/notifications")
}
