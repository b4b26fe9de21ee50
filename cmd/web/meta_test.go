package main

import (
	"errors"
	"os"
	"strings"
	"testing"
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
