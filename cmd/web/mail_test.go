package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An invalid mail setting stops the server before it opens the database
// or listens, with a message that says what is wrong and never shows the
// password.
func TestInvalidSMTPURLStopsStart(t *testing.T) {
	t.Parallel()
	const password = "Quartz-s3cret"
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"STEWARD_SMTP_URL": "http://ana:" + password + "@mail.example.com", "STEWARD_MAIL_FROM": "steward@example.com"},
			nil, "STEWARD_SMTP_URL must start with smtp:// or smtps://"},
		{map[string]string{"STEWARD_SMTP_URL": "smtp://ana:" + password + "@mail.example.com:70000", "STEWARD_MAIL_FROM": "steward@example.com"},
			nil, "not a port number"},
		{map[string]string{"STEWARD_SMTP_URL": "smtp://ana:" + password + "@mail.example.com"},
			nil, "STEWARD_MAIL_FROM is not"},
		{map[string]string{"STEWARD_MAIL_FROM": "steward@example.com"},
			[]string{"-smtp-url", "smtp://ana:" + password + "@mail.example.com?x=1"}, "no path, query or fragment"},
	} {
		path := filepath.Join(t.TempDir(), "steward.db")
		var stdout, stderr bytes.Buffer
		args := append([]string{"steward", "-addr", "127.0.0.1:0", "-db", path}, tc.args...)
		err := run(context.Background(), args, func(k string) string { return tc.env[k] }, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one with %q", tc.env, tc.args, err, tc.want)
			continue
		}
		if all := err.Error() + stdout.String() + stderr.String(); strings.Contains(all, password) {
			t.Errorf("%v: the password is shown: %s", tc.env, all)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: the database was created (%v): start-up went on", tc.env, err)
		}
	}
}

// -h prints each flag's default, but never the SMTP URL's password nor the
// metrics token from the environment.
func TestHelpHidesTheSMTPPassword(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"STEWARD_SMTP_URL": "smtp://ana:Quartz-s3cret@mail.example.com", "STEWARD_MAIL_FROM": "steward@example.com",
		"STEWARD_METRICS_TOKEN": "metrics-Quartz-s3cret"}
	err := run(context.Background(), []string{"steward", "-h"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	out := stdout.String() + stderr.String()
	if !strings.Contains(out, "-smtp-url") || !strings.Contains(out, "-metrics-token") || strings.Contains(out, "Quartz-s3cret") {
		t.Fatalf("-h: want -smtp-url and -metrics-token described without the password or token:\n%s", out)
	}
}
