package main

// The promise about token values: pasted once, fingerprinted, discarded.
// The real server runs on a real file, and afterwards the value's bytes are
// nowhere: not in the database, its WAL or shared memory, the log, or a page.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretClient is a cookie-keeping client of a running Steward that does not
// follow redirects.
type secretClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newSecretClient(t *testing.T, base string) *secretClient {
	jar, _ := cookiejar.New(nil)
	return &secretClient{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (h *secretClient) do(req *http.Request) (int, string, string) {
	h.t.Helper()
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (h *secretClient) get(path string) (int, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.base+path, nil)
	status, _, body := h.do(req)
	return status, body
}

// post sends a form with the CSRF token from the cookie jar.
func (h *secretClient) post(path string, form url.Values) (int, string, string) {
	h.t.Helper()
	u, _ := url.Parse(h.base)
	for _, c := range h.hc.Jar.Cookies(u) {
		if c.Name == "steward_csrf" {
			form.Set("_csrf", c.Value)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(req)
}

// upload posts content as an import form's file, with the CSRF token.
func (h *secretClient) upload(path, fileName string, content []byte) (int, string) {
	h.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	u, _ := url.Parse(h.base)
	for _, c := range h.hc.Jar.Cookies(u) {
		if c.Name == "steward_csrf" {
			_ = w.WriteField("_csrf", c.Value)
		}
	}
	fw, err := w.CreateFormFile("file", fileName)
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	if err := w.Close(); err != nil {
		h.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, h.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	status, _, text := h.do(req)
	return status, text
}

// secretEncodings are the forms a secret's bytes could take if some layer encoded
// them on the way to a file.
func secretEncodings(secret string) map[string][]byte {
	return map[string][]byte{
		"raw":       []byte(secret),
		"hex":       []byte(hex.EncodeToString([]byte(secret))),
		"base64":    []byte(base64.StdEncoding.EncodeToString([]byte(secret))[:40]),
		"base64url": []byte(base64.RawURLEncoding.EncodeToString([]byte(secret))[:40]),
		// The random part alone, in case a prefix was cut or re-cased.
		"random part": []byte(secret[4:]),
	}
}

// expectNoSecrets fails if any secret, in any encoding, is in data.
func expectNoSecrets(t *testing.T, where string, data []byte, secrets map[string]string) {
	t.Helper()
	for name, secret := range secrets {
		for enc, b := range secretEncodings(secret) {
			if bytes.Contains(data, b) {
				t.Errorf("%s contains the %s secret (%s)", where, name, enc)
			}
		}
	}
}

// sqliteFiles reads the database and its WAL and shared-memory files, whichever exist.
func sqliteFiles(t *testing.T, dbPath string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

func TestSecretNeverReachesDiskOrLog(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "steward.db")
	addr := freeAddr(t)
	env := map[string]string{"STEWARD_ADMIN_EMAIL": adminEmail, "STEWARD_ADMIN_PASSWORD": adminPassword}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"steward", "-addr", addr, "-db", dbPath}, func(k string) string { return env[k] },
			strings.NewReader(""), logs, logs)
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with an error: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("server did not stop within 15s")
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	h := newSecretClient(t, base)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("server exited before it was ready: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy after 15s\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Sign in.
	if status, _ := h.get("/login"); status != http.StatusOK {
		t.Fatalf("GET /login: %d", status)
	}
	if status, loc, _ := h.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign in: status %d, location %q", status, loc)
	}

	secrets := map[string]string{}
	for _, name := range []string{"registered", "rotated", "invalid form", "looked up unknown", "imported"} {
		secrets[name] = "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32])
	}
	var pages []string // every body the server sent after a secret was pasted

	// Register a token with a value.
	form := url.Values{"name": {"Conversions API token"}, "kind": {"system_user_token"}, "status": {"active"},
		"scopes": {"ads_management"}, "secret": {secrets["registered"]}}
	status, loc, body := h.post("/tokens", form)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/tokens/") {
		t.Fatalf("POST /tokens: status %d, location %q\n%s", status, loc, body)
	}
	tokenPath := loc
	pages = append(pages, body)
	status, body = h.get(tokenPath)
	sum := sha256.Sum256([]byte(secrets["registered"]))
	if status != http.StatusOK || !strings.Contains(body, hex.EncodeToString(sum[:])) {
		t.Errorf("token page: status %d, or no fingerprint", status)
	}
	pages = append(pages, body)

	// Look it up, and look up a value nobody registered.
	status, _, body = h.post("/tokens/lookup", url.Values{"secret": {secrets["registered"]}})
	if status != http.StatusOK || !strings.Contains(body, `data-match="found"`) || !strings.Contains(body, "Conversions API token") {
		t.Errorf("lookup of the registered value: status %d, found %v", status, strings.Contains(body, `data-match="found"`))
	}
	pages = append(pages, body)
	status, _, body = h.post("/tokens/lookup", url.Values{"secret": {secrets["looked up unknown"]}})
	if status != http.StatusOK || !strings.Contains(body, `data-match="none"`) {
		t.Errorf("lookup of an unknown value: status %d", status)
	}
	pages = append(pages, body)

	// An invalid form with a value: refused, and the value not echoed.
	status, _, body = h.post("/tokens", url.Values{"name": {""}, "kind": {"system_user_token"}, "status": {"active"},
		"scopes": {"kept scopes"}, "secret": {secrets["invalid form"]}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "kept scopes") {
		t.Errorf("invalid token form: status %d, want 422 with the user's values", status)
	}
	pages = append(pages, body)

	// An import with a secret column is refused whole: values are never
	// imported, so they cannot reach the preview, the database or the log.
	for _, header := range []string{"name,kind,secret", "name,kind, Secret "} {
		status, body = h.upload("/tokens/import", "tokens.csv", []byte(header+"\r\nAds API,api_key,"+secrets["imported"]+"\r\n"))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "does not import token values") {
			t.Errorf("import with a %q column: status %d, want 422 refusing token values", header, status)
		}
		pages = append(pages, body)
	}

	// Rotate: edit the token with a new value.
	form.Set("name", "Conversions API token")
	form.Set("secret", secrets["rotated"])
	if status, loc, body = h.post(tokenPath, form); status != http.StatusSeeOther || loc != tokenPath {
		t.Errorf("rotate: status %d, location %q", status, loc)
	}
	pages = append(pages, body)
	for _, p := range []string{tokenPath, tokenPath + "/edit", tokenPath + "/timeline", "/tokens", "/", "/search?q=Conversions"} {
		status, body = h.get(p)
		if status != http.StatusOK {
			t.Errorf("GET %s: status %d", p, status)
		}
		pages = append(pages, body)
	}

	for i, body := range pages {
		expectNoSecrets(t, "response "+string(rune('A'+i)), []byte(body), secrets)
	}

	// While the server runs, the WAL holds the recent writes.
	files := sqliteFiles(t, dbPath)
	if _, ok := files["steward.db-wal"]; !ok {
		t.Error("no WAL file while the server runs; the test would not see what it holds")
	}
	for name, b := range files {
		expectNoSecrets(t, name+" (server running)", b, secrets)
	}

	stop()
	for name, b := range sqliteFiles(t, dbPath) {
		expectNoSecrets(t, name+" (server stopped)", b, secrets)
	}
	log := logs.String()
	if !strings.Contains(log, "/tokens/lookup") {
		t.Error("the log has no request lines; the test would not see what it holds")
	}
	expectNoSecrets(t, "the server log", []byte(log), secrets)
}
