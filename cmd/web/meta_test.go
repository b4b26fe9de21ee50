package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"steward/db"
	"steward/internal/meta/metatest"
)

// A Graph URL that is not an http(s) address, or a secret key that is not
// 32 bytes of base64, stops start-up, named, before the database is made.
func TestMetaSettingsMustBeValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"STEWARD_META_GRAPH_URL": "graph.facebook.com/v26.0"}, nil, "STEWARD_META_GRAPH_URL"},
		{nil, []string{"-meta-graph-url", "ftp://graph.example/v26.0?access_token=EAAGsecret"}, "is not an http(s) address"},
		{map[string]string{"STEWARD_SECRET_KEY": "c2hvcnQ="}, nil, "STEWARD_SECRET_KEY: db: the secret key has 5 bytes"},
	} {
		dbFile, _, err := startWith(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "EAAGsecret") {
			t.Errorf("%v %v: error %v, want one with %q (and no token)", tc.env, tc.args, err, tc.want)
		}
		if _, err := os.Stat(dbFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v %v: the database was created (%v): start-up went on", tc.env, tc.args, err)
		}
	}
}

// TestMetaSecretsNeverOnDiskInClear: after an admin connects a Meta app
// and keeps its token (and after refused tries, one where Meta repeats the
// token in its message), registers a token Meta checks, and reads the
// business with a token pasted for one sync (refused once, Meta repeating
// it) and with the kept one, neither the app secret nor a token is in the
// database, its WAL, the log, a page, an export or a backup, downloaded or
// made by `steward backup`.
func TestMetaSecretsNeverOnDiskInClear(t *testing.T) {
	secrets := map[string]string{
		"app secret":    hex.EncodeToString([]byte(rand.Text())[:16]),
		"kept token":    "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32]),
		"wrong secret":  hex.EncodeToString([]byte(rand.Text())[:16]),
		"invalid token": "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32]),
		"checked token": "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32]),
		"sync token":    "EAAG" + hex.EncodeToString([]byte(rand.Text() + rand.Text())[:32]),
	}
	g := metatest.New(t)
	g.SetApp("1001", secrets["app secret"])
	g.AddToken(secrets["kept token"], metatest.Token{Valid: true, Type: "SYSTEM_USER", UserID: "9001", Scopes: []string{"business_management"}})
	g.AddToken(secrets["checked token"], metatest.Token{Valid: true, Type: "SYSTEM_USER", UserID: "9002", Scopes: []string{"ads_read"}})
	g.AddToken(secrets["sync token"], metatest.Token{Valid: true, Type: "SYSTEM_USER", UserID: "9003", Scopes: []string{"business_management"}})
	g.SetBusiness(db.MetaSnapshot{BusinessID: "555000111", SystemUsers: []db.MetaSystemUser{{ID: "9001", Name: "steward-reader", Role: "EMPLOYEE"}},
		AdAccounts: []db.MetaAsset{{ID: "7001", Name: "Prospecting"}}})
	srv := startStewardWith(t, "-meta-graph-url", g.URL)
	h := newSecretClient(t, srv.base)
	if status, _ := h.get("/login"); status != http.StatusOK {
		t.Fatalf("GET /login: %d", status)
	}
	if status, loc, _ := h.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign in: %d %q", status, loc)
	}
	var bodies []string
	connect := func(secret, token string, want int) {
		t.Helper()
		status, _, body := h.post("/admin/connectors/meta", url.Values{"app_id": {"1001"}, "app_secret": {secret},
			"business_id": {"555000111"}, "access_token": {token}, "keep_token": {"1"}})
		if status != want {
			t.Fatalf("connect: status %d, want %d\n%s", status, want, body)
		}
		bodies = append(bodies, body)
	}
	connect(secrets["wrong secret"], secrets["kept token"], http.StatusUnprocessableEntity)
	connect(secrets["app secret"], secrets["invalid token"], http.StatusUnprocessableEntity)
	g.Fail("debug_token", metatest.Fault{Code: 1, Message: "Cannot check " + secrets["kept token"]})
	connect(secrets["app secret"], secrets["kept token"], http.StatusUnprocessableEntity)
	g.Fail("debug_token", metatest.Fault{})
	connect(secrets["app secret"], secrets["kept token"], http.StatusSeeOther)

	// A check: a token registered on the business's account with its value.
	_, page := h.get("/admin/connectors")
	account := regexp.MustCompile(`/accounts/([0-9]+)`).FindStringSubmatch(page)
	if account == nil {
		t.Fatal("the connectors page does not link the business's account")
	}
	status, _, body := h.post("/tokens", url.Values{"name": {"Pasted on Meta"}, "kind": {"system_user_token"}, "status": {"active"},
		"account_id": {account[1]}, "secret": {secrets["checked token"]}})
	if status != http.StatusSeeOther {
		t.Fatalf("register a token: %d\n%s", status, body)
	}
	// Syncs: a pasted token Meta refuses, repeating it; the same accepted;
	// the kept token's; then applied.
	sync := func(token string, want int) string {
		t.Helper()
		status, loc, body := h.post("/admin/connectors/meta/sync", url.Values{"access_token": {token}})
		if status != want {
			t.Fatalf("sync: status %d, want %d\n%s", status, want, body)
		}
		bodies = append(bodies, body)
		return loc
	}
	g.Fail("system_users", metatest.Fault{Code: 190, Message: "Error validating access token " + secrets["sync token"]})
	sync(secrets["sync token"], http.StatusUnprocessableEntity)
	g.Fail("system_users", metatest.Fault{})
	sync(secrets["sync token"], http.StatusSeeOther)
	syncPage := sync("", http.StatusSeeOther)
	if status, _, body := h.post("/admin/connectors/meta/sync/apply", url.Values{"sync": {path.Base(syncPage)}}); status != http.StatusSeeOther {
		t.Fatalf("apply the sync: %d\n%s", status, body)
	}
	_, body = h.get(syncPage)
	bodies = append(bodies, body)

	tokenID := ""
	for _, p := range []string{"/admin/connectors", "/tokens", "/audit", "/tokens/export.csv", "/tokens/export.json", "/audit/export.json", "/accounts/export.csv"} {
		status, body := h.get(p)
		if status != http.StatusOK {
			t.Errorf("GET %s: %d", p, status)
		}
		if p == "/admin/connectors" {
			tokenID = regexp.MustCompile(`/tokens/[0-9]+`).FindString(body)
		}
		bodies = append(bodies, body)
	}
	if tokenID == "" {
		t.Fatal("the connectors page does not link the kept token's record")
	}
	for _, p := range []string{tokenID, tokenID + "/timeline"} {
		_, body := h.get(p)
		bodies = append(bodies, body)
	}
	for i, body := range bodies {
		expectNoSecrets(t, "response "+strconv.Itoa(i), []byte(body), secrets)
	}

	status, _, download := h.post("/admin/backup", url.Values{})
	if status != http.StatusOK || !strings.HasPrefix(download, "SQLite format 3") {
		t.Fatalf("POST /admin/backup: %d", status)
	}
	expectNoSecrets(t, "the downloaded backup", []byte(download), secrets)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := run(context.Background(), []string{"steward", "backup", "-db", srv.db, backup}, func(string) string { return "" },
		strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatalf("steward backup: %v", err)
	}
	copied, err := os.ReadFile(backup)
	if err != nil || len(copied) == 0 {
		t.Fatalf("read the backup: %v", err)
	}
	expectNoSecrets(t, "the backup file", copied, secrets)

	files := sqliteFiles(t, srv.db)
	if _, ok := files["steward.db-wal"]; !ok {
		t.Error("no WAL file while the server runs; the test would not see what it holds")
	}
	for name, b := range files {
		expectNoSecrets(t, name, b, secrets)
	}
	if !strings.Contains(srv.log.String(), "/admin/connectors/meta") || !strings.Contains(srv.log.String(), "meta:") {
		t.Error("the log has no request lines or Meta warnings; the test would not see what it holds")
	}
	expectNoSecrets(t, "the server log", []byte(srv.log.String()), secrets)
	if key, err := os.ReadFile(srv.db + ".secret-key"); err != nil || len(key) == 0 {
		t.Errorf("no secret key file beside the database: %v", err)
	}
}
