package handlers

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// showAdmin is GET /admin: the organisation's name, the audit chain's last
// check, the backup download and the export of everything.
func (s *Server) showAdmin(c echo.Context) error {
	name, err := s.store.OrganisationName(c.Request().Context())
	if err != nil {
		return err
	}
	return s.renderAdmin(c, http.StatusOK, components.Form{CSRF: csrfToken(c), Values: map[string]string{"organisation_name": name}})
}

// renderAdmin renders the admin page with the organisation form as given.
func (s *Server) renderAdmin(c echo.Context, status int, organisation components.Form) error {
	ctx := c.Request().Context()
	v, found, err := s.store.LastAuditVerification(ctx)
	if err != nil {
		return err
	}
	events, err := s.store.AuditEventCount(ctx)
	if err != nil {
		return err
	}
	feedsOn, err := s.store.CalendarFeedsOn(ctx)
	if err != nil {
		return err
	}
	a := pages.AdminArea{Verification: v, Verified: found, Events: events, Organisation: organisation, CalendarFeedsOn: feedsOn}
	return render(c, status, pages.AdminPage(s.page(c, "Admin", "admin"), a))
}

// saveOrganisation is POST /admin/organisation: the organisation's name,
// printed on checklists.
func (s *Server) saveOrganisation(c echo.Context) error {
	f := formOf(c, "organisation_name")
	err := s.store.SetOrganisationName(c.Request().Context(), actor(c), f.Value("organisation_name"))
	if invalid(err, &f) {
		return s.renderAdmin(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Organisation name saved.")
	return redirect(c, "/admin")
}

// verifyAudit is POST /admin/audit/verify: check the whole chain now and
// record the outcome.
func (s *Server) verifyAudit(c echo.Context) error {
	v, err := s.store.VerifyAndRecordAudit(c.Request().Context())
	if err != nil {
		return err
	}
	if v.Intact() {
		s.flash(c, fmt.Sprintf("The audit chain is intact: %d events checked.", v.Checked))
	} else {
		s.flash(c, fmt.Sprintf("The audit chain is broken at event %d.", v.BrokenID))
	}
	return redirect(c, "/admin")
}

// downloadBackup is POST /admin/backup (a form, since it writes a file and
// an audit event): a consistent copy of the database,
// made with Store.Backup into a temporary file (checked and synced before it
// is sent), streamed as an attachment, then deleted.
func (s *Server) downloadBackup(c echo.Context) error {
	ctx := c.Request().Context()
	dir, err := os.MkdirTemp("", "steward-backup-")
	if err != nil {
		return fmt.Errorf("backup: temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "steward.db")
	if err := s.store.Backup(ctx, path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: open copy: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: open copy: %w", err)
	}
	if err := s.store.Audit(ctx, actor(c), db.Event{Action: "backup.downloaded",
		Summary: "Downloaded a backup of the database (" + strconv.FormatInt(info.Size(), 10) + " bytes)"}); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.FormatInt(info.Size(), 10))
	return s.download(c, "steward-backup-"+s.store.Today()+".db", "application/vnd.sqlite3", func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}
