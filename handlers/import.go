package handlers

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/internal/csvimport"
	"steward/views/pages"
)

// MaxImportBody is the request body limit of an import upload: the file
// (csvimport.MaxBytes) plus room for the rest of the multipart form.
const MaxImportBody = "21M"

// isImportUpload reports whether r uploads a file to an import, which may
// be larger than any other request.
func isImportUpload(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	kind, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/import")
	_, known := db.KindAtPath(kind)
	return ok && known
}

// importSpec is what the parser needs to know of the import of the list
// at the URL kind, such as "owners".
func importSpec(kind string) csvimport.Spec {
	k := kindAt(kind)
	return csvimport.Spec{Noun: k.Noun, Plural: k.Plural, Columns: k.Columns(), ExportOnly: k.ExportOnly, Secret: k.SecretColumns()}
}

// parseImport splits a file for the list at the URL kind into rows, for the
// store to check and import.
func parseImport(kind string, data []byte) (*db.ImportFile, error) {
	f, err := csvimport.ParseData(importSpec(kind), data)
	if err != nil {
		return nil, err
	}
	out := &db.ImportFile{Kind: kindAt(kind).Name, Columns: f.Columns, Total: f.Total, Rows: make([]db.ImportRow, len(f.Rows))}
	for i, r := range f.Rows {
		out.Rows[i] = db.ImportRow(r)
	}
	for _, p := range f.Problems {
		out.Problems = append(out.Problems, db.ImportProblem(p))
	}
	return out, nil
}

// renderImportForm shows the import page, with msg beside the file input.
func (s *Server) renderImportForm(c echo.Context, kind string, status int, msg string) error {
	f := pages.ImportForm{Path: "/" + kind, Kind: kindAt(kind), Message: msg, CSRF: csrfToken(c)}
	return render(c, status, pages.ImportPage(s.page(c, "Import "+f.Kind.Plural, kind), f))
}

// showImport explains a kind's columns and offers the template and the upload.
func (s *Server) showImport(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return s.renderImportForm(c, kind, http.StatusOK, "")
	}
}

// importTemplate downloads a CSV file holding just the kind's header row.
func (s *Server) importTemplate(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(kindAt(kind).Columns())
		w.Flush()
		h := c.Response().Header()
		h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="steward-%s-template.csv"`, kind))
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	}
}

// Import work (reading a file, checking every row of it in a rolled-back
// transaction) holds the whole file and its rows in memory, so one runs at a
// time per server: another waits up to importWait, then is told to try
// again in a moment, rather than have four 20 MB files parsed at once.
var importWait = 10 * time.Second

// errImportBusy answers an import that waited importWait for another.
var errImportBusy = &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: [2]string{"Another import is running",
	"Steward checks one import file at a time, and another one is being checked now. Try again in a moment: nothing of yours was lost."}}

// importing takes the server's one import slot, waiting up to importWait;
// it returns the release, or errImportBusy with Retry-After set.
func (s *Server) importing(c echo.Context) (release func(), err error) {
	release = func() { <-s.importSlot }
	taken := func() (func(), error) {
		if testHookImporting != nil {
			testHookImporting()
		}
		return release, nil
	}
	select { // a free slot is taken at once, whatever importWait
	case s.importSlot <- struct{}{}:
		return taken()
	default:
	}
	timer := time.NewTimer(importWait)
	defer timer.Stop()
	select {
	case s.importSlot <- struct{}{}:
		return taken()
	case <-timer.C:
		c.Response().Header().Set("Retry-After", "10")
		return nil, errImportBusy
	case <-c.Request().Context().Done():
		return nil, c.Request().Context().Err()
	}
}

// testHookImporting, when set by a test, runs as an import takes the slot.
var testHookImporting func()

// previewImport reads the uploaded file and shows what importing it would
// do, writing nothing; a file without problems is kept for the confirm form.
func (s *Server) previewImport(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		fh, err := c.FormFile("file")
		if err != nil {
			return s.renderImportForm(c, kind, http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
		}
		if fh.Size > csvimport.MaxBytes {
			return echo.ErrStatusRequestEntityTooLarge
		}
		if db.HasInvisibleFormatting(fh.Filename) {
			return s.renderImportForm(c, kind, http.StatusUnprocessableEntity, "The file's name contains invisible formatting "+
				"characters (such as text-direction marks or zero-width spaces), which could make it read as another name. "+
				"Rename the file and upload it again.")
		}
		release, err := s.importing(c)
		if err != nil {
			return err
		}
		defer release()
		file, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open upload: %w", err)
		}
		// The upload waits in a temporary file (see readForm); read it into
		// one buffer of its size, the only copy the preview holds.
		data := make([]byte, fh.Size)
		_, err = io.ReadFull(file, data)
		file.Close()
		if err != nil {
			return fmt.Errorf("read upload: %w", err)
		}
		parsed, err := parseImport(kind, data)
		var ierr *csvimport.Error
		if errors.As(err, &ierr) {
			return s.renderImportForm(c, kind, http.StatusUnprocessableEntity, ierr.Message)
		}
		if err != nil {
			return err
		}
		// The rows are parsed: keep the file compressed for the confirm form
		// and let the 20 MB go before checking every row.
		stashed, err := newStashedImport(kind, uploadName(fh.Filename), data, currentUser(c).ID)
		if err != nil {
			return err
		}
		data = nil
		res, err := s.store.PreviewImport(c.Request().Context(), actor(c), parsed)
		if err != nil {
			return err
		}
		v := pages.ImportPreview{Path: "/" + kind, Kind: kindAt(kind), FileName: stashed.fileName, Result: res, CSRF: csrfToken(c)}
		status := http.StatusUnprocessableEntity
		if len(res.Problems) == 0 {
			status = http.StatusOK
			v.Token, v.Sum = s.imports.put(stashed)
		}
		return render(c, status, pages.ImportPreviewPage(s.page(c, "Import "+v.Kind.Plural, kind), v))
	}
}

// applyImport imports the previewed file: it is read and checked again, and
// every row is written in one transaction, or none is.
func (s *Server) applyImport(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		release, err := s.importing(c)
		if err != nil {
			return err
		}
		defer release()
		st, ok := s.imports.take(c.FormValue("import"), c.FormValue("sha256"), kind, currentUser(c).ID)
		if !ok {
			return s.renderImportForm(c, kind, http.StatusUnprocessableEntity,
				"That preview has expired or was already imported. Upload the file again to see a fresh preview.")
		}
		data, err := st.file()
		if err != nil {
			return err
		}
		parsed, err := parseImport(kind, data)
		if err != nil {
			return err // it parsed for the preview; the same bytes cannot fail now
		}
		res, err := s.store.ApplyImport(c.Request().Context(), actor(c), parsed, st.fileName)
		if errors.Is(err, db.ErrImportRefused) {
			v := pages.ImportPreview{Path: "/" + kind, Kind: kindAt(kind), FileName: st.fileName, Result: res, CSRF: csrfToken(c),
				Message: "Nothing was imported: the records changed since the preview, and some rows now have problems."}
			return render(c, http.StatusUnprocessableEntity, pages.ImportPreviewPage(s.page(c, "Import "+v.Kind.Plural, kind), v))
		}
		if err != nil {
			return err
		}
		s.flash(c, fmt.Sprintf("Imported %s: %d %s created, %d updated, %d unchanged.", st.fileName, res.Created,
			kindAt(kind).Plural, res.Updated, res.Unchanged))
		return redirect(c, "/"+kind)
	}
}

// uploadName is the uploaded file's name, fit for a page and the audit log.
func uploadName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "" || name == "." || name == "/" {
		return "upload.csv"
	}
	return name
}

// Limits of the import stash: how long a preview can be confirmed, and how
// many files and bytes it holds before it forgets the oldest.
const (
	importStashTTL   = time.Hour
	importStashFiles = 16
	importStashBytes = 32 << 20 // compressed
)

// stashedImport is an uploaded file between its preview and its apply,
// gzipped: a spreadsheet's CSV shrinks to a fifth or less, so a few waiting
// 20 MB files do not hold the server's memory.
type stashedImport struct {
	kind, fileName string
	gz             []byte // the file, compressed
	size           int    // its length uncompressed
	sum            string // hex SHA-256 of the file
	userID         int64
	at             time.Time
}

// newStashedImport compresses and sums an uploaded file for the stash.
func newStashedImport(kind, fileName string, data []byte, userID int64) (stashedImport, error) {
	digest := sha256.Sum256(data)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level cannot fail
	if _, err := zw.Write(data); err != nil {
		return stashedImport{}, fmt.Errorf("compress upload: %w", err)
	}
	if err := zw.Close(); err != nil {
		return stashedImport{}, fmt.Errorf("compress upload: %w", err)
	}
	return stashedImport{kind: kind, fileName: fileName, gz: bytes.Clone(buf.Bytes()), size: len(data),
		sum: hex.EncodeToString(digest[:]), userID: userID}, nil
}

// file is the stashed file uncompressed.
func (e stashedImport) file() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(e.gz))
	if err != nil {
		return nil, fmt.Errorf("stashed import: %w", err)
	}
	data := make([]byte, e.size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, fmt.Errorf("stashed import: %w", err)
	}
	return data, nil
}

// importStash keeps previewed files in memory, each named by a random
// token, so the confirm form need not send the file again. A restart
// forgets them: the user uploads again.
type importStash struct {
	mu      sync.Mutex
	entries map[string]stashedImport
}

func newImportStash() *importStash { return &importStash{entries: map[string]stashedImport{}} }

// put keeps e, replacing the user's earlier file for the same list, and
// returns its token and checksum.
func (st *importStash) put(e stashedImport) (token, sum string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	e.at = time.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for t, old := range st.entries {
		if time.Since(old.at) > importStashTTL || (old.userID == e.userID && old.kind == e.kind) {
			delete(st.entries, t)
		}
	}
	total := len(e.gz)
	for _, old := range st.entries {
		total += len(old.gz)
	}
	for len(st.entries) > 0 && (len(st.entries) >= importStashFiles || total > importStashBytes) {
		oldest := ""
		for t, old := range st.entries {
			if oldest == "" || old.at.Before(st.entries[oldest].at) {
				oldest = t
			}
		}
		total -= len(st.entries[oldest].gz)
		delete(st.entries, oldest)
	}
	st.entries[token] = e
	return token, e.sum
}

// take removes and returns the file token names, if it is the user's, for
// this list, unexpired and still matches sum.
func (st *importStash) take(token, sum, kind string, userID int64) (stashedImport, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.entries[token]
	if !ok || e.userID != userID || e.kind != kind || subtle.ConstantTimeCompare([]byte(e.sum), []byte(sum)) != 1 {
		return stashedImport{}, false
	}
	delete(st.entries, token)
	if time.Since(e.at) > importStashTTL {
		return stashedImport{}, false
	}
	return e, true
}
