package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

const ssoSecret = "Quartz-client-s3cret"

// ssoEnv is a complete single sign-on configuration for issuer.
func ssoEnv(issuer string) map[string]string {
	return map[string]string{"STEWARD_OIDC_ISSUER": issuer, "STEWARD_OIDC_CLIENT_ID": "steward",
		"STEWARD_OIDC_CLIENT_SECRET": ssoSecret, "STEWARD_OIDC_ALLOWED_DOMAINS": "example.com"}
}

// with is env with changes; an empty value removes the setting.
func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// startWith runs the server with env and args until it says it is running,
// and returns what stopped it and what it printed.
func startWith(t *testing.T, env map[string]string, args ...string) (dbFile, out string, err error) {
	t.Helper()
	dbFile = filepath.Join(t.TempDir(), "steward.db")
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := stopOnRunning{w: &logs, stop: cancel}
	err = run(ctx, append([]string{"steward", "-addr", "127.0.0.1:0", "-db", dbFile}, args...),
		func(k string) string { return env[k] }, strings.NewReader(""), stdout, &logs)
	return dbFile, logs.String(), err
}

// stopOnRunning ends the server once it prints that it is running.
type stopOnRunning struct {
	w    io.Writer
	stop func()
}

func (s stopOnRunning) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Steward is running at")) {
		s.stop()
	}
	return s.w.Write(p)
}

// Wrong single sign-on settings stop the server before it opens the
// database, saying which setting is wrong and never showing the secret.
func TestSSOSettingsStopStart(t *testing.T) {
	t.Parallel()
	good := ssoEnv("https://id.example.com")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{with(good, "STEWARD_OIDC_ALLOWED_DOMAINS", ""), nil, "STEWARD_OIDC_ALLOWED_DOMAINS: name the email domains"},
		{with(good, "STEWARD_OIDC_ALLOWED_DOMAINS", "@example.com"), nil, `STEWARD_OIDC_ALLOWED_DOMAINS: "@example.com" is not an email domain`},
		{with(good, "STEWARD_OIDC_ISSUER", "http://id.example.com"), nil, "STEWARD_OIDC_ISSUER: \"http://id.example.com\" is not an https URL"},
		{with(good, "STEWARD_OIDC_ISSUER", ""), nil, "STEWARD_OIDC_ISSUER: single sign-on needs"},
		{with(good, "STEWARD_OIDC_CLIENT_ID", ""), nil, "STEWARD_OIDC_CLIENT_ID"},
		{with(good, "STEWARD_OIDC_CLIENT_SECRET", ""), nil, "STEWARD_OIDC_CLIENT_SECRET"},
		{with(good, "STEWARD_OIDC_DEFAULT_ROLE", "owner"), nil, `STEWARD_OIDC_DEFAULT_ROLE: "owner" is not one of admin, editor, viewer`},
		{nil, []string{"-oidc-issuer", "https://id.example.com", "-oidc-client-id", "steward", "-oidc-client-secret", ssoSecret}, "STEWARD_OIDC_ALLOWED_DOMAINS"},
		{map[string]string{"STEWARD_PASSWORD_LOGIN": "0"}, nil, "single sign-on is not configured"},
		{nil, []string{"-password-login=false"}, "single sign-on is not configured"},
		{map[string]string{"STEWARD_PASSWORD_LOGIN": "maybe"}, nil, `STEWARD_PASSWORD_LOGIN: "maybe" is neither 1 nor 0`},
	} {
		dbFile, out, err := startWith(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one with %q", tc.env, tc.args, err, tc.want)
			continue
		}
		if strings.Contains(err.Error()+out, ssoSecret) {
			t.Errorf("%v %v: the client secret is shown: %v\n%s", tc.env, tc.args, err, out)
		}
		if _, err := os.Stat(dbFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v %v: the database was created (%v): start-up went on", tc.env, tc.args, err)
		}
	}
}

// A provider that cannot be reached stops the server at start, naming the
// issuer setting.
func TestSSOProviderUnreachableStopsStart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/oidc"
	ln.Close()
	_, out, err := startWith(t, ssoEnv(closed))
	if err == nil || !strings.Contains(err.Error(), "STEWARD_OIDC_ISSUER: cannot read the discovery document of "+closed) {
		t.Fatalf("error %v, want one saying the issuer's discovery document cannot be read", err)
	}
	if strings.Contains(err.Error()+out, ssoSecret) {
		t.Fatalf("the client secret is shown: %v\n%s", err, out)
	}
}

// With password sign-in off the first admin can only be named by
// STEWARD_ADMIN_EMAIL: start-up refuses without it, and with it makes an
// admin without a password, who signs in through the provider.
func TestSSOOnlyFirstAdmin(t *testing.T) {
	t.Parallel()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	env := with(ssoEnv(m.Issuer()), "STEWARD_OIDC_CLIENT_ID", m.ClientID, "STEWARD_OIDC_CLIENT_SECRET", m.ClientSecret,
		"STEWARD_PASSWORD_LOGIN", "0")
	if _, _, err := startWith(t, env); err == nil || !strings.Contains(err.Error(), "set STEWARD_ADMIN_EMAIL") {
		t.Fatalf("no login and no STEWARD_ADMIN_EMAIL: error %v, want one asking for STEWARD_ADMIN_EMAIL", err)
	}
	dbFile, out, err := startWith(t, with(env, "STEWARD_ADMIN_EMAIL", "boss@example.com", "STEWARD_ADMIN_PASSWORD", "Quartz-Harbor-Lantern-88"))
	if err != nil {
		t.Fatalf("start: %v\n%s", err, out)
	}
	if n := cliCount(t, dbFile, `SELECT COUNT(*) FROM users WHERE email = 'boss@example.com' AND role = 'admin' AND password_hash = ''`); n != 1 {
		t.Fatalf("%d admins boss@example.com without a password, want 1\n%s", n, out)
	}
}

// -h describes the single sign-on flags, but never shows the client secret
// from the environment.
func TestHelpHidesTheSSOSecret(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	env := ssoEnv("https://id.example.com")
	err := run(context.Background(), []string{"steward", "-h"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if out := stdout.String() + stderr.String(); !strings.Contains(out, "-oidc-client-secret") || strings.Contains(out, ssoSecret) {
		t.Fatalf("-h: want -oidc-client-secret described without the secret:\n%s", out)
	}
}

// A rate for API keys that is not a positive number stops start-up, named,
// instead of being ignored.
func TestAPIKeyRateMustBePositive(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"STEWARD_API_KEY_RATE": "fast"}, nil, `STEWARD_API_KEY_RATE: "fast" is not a positive number`},
		{map[string]string{"STEWARD_API_KEY_RATE": "0"}, nil, `STEWARD_API_KEY_RATE: "0" is not a positive number`},
		{nil, []string{"-api-key-rate", "-5"}, "-api-key-rate: -5 is not a positive number"},
		{nil, []string{"-api-key-rate", "+Inf"}, "-api-key-rate: +Inf is not a positive number"},
	} {
		dbFile, _, err := startWith(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one with %q", tc.env, tc.args, err, tc.want)
		}
		if _, err := os.Stat(dbFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v %v: the database was created (%v): start-up went on", tc.env, tc.args, err)
		}
	}
}
