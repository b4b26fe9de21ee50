package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"steward/db"
)

// TestPasswordRules sets passwords through CreateUser, as setup, `steward
// user add` and the admin's form do: each refused one names what to do and
// adds no login; each good one is accepted.
func TestPasswordRules(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	for _, tt := range []struct {
		email, password string
		refused         string // part of the message; "" when accepted
	}{
		{"a1@example.com", "short pw", "at least 12 characters"},
		{"a2@example.com", strings.Repeat("x", 1025), "at most 1024 bytes"},
		{"a3@example.com", "qwerty123456", "list of commonly used passwords; choose another"},
		{"a4@example.com", "QWERTY123456", "list of commonly used passwords"}, // in any case
		{"a5@example.com", "1qaz2wsx3edc", "list of commonly used passwords"},
		{"a6@example.com", "FinalFantasy", "list of commonly used passwords"},
		{"alice.smith@example.com", "my alice.smith@example.com pw", "contains the email address"},
		{"alice.smith@example.com", "ALICE.SMITH-rocks-2026", "contains the email address or the name before its @"},
		{"Carol@Example.com", "i am carol and i sign in", "contains the email address"},
		{"bob@example.com", "x BOB@EXAMPLE.COM x", "contains the email address"},
		// A name of three letters is too often part of a word to refuse.
		{"bob@example.com", "bobsleigh championship", ""},
		{"dave@example.com", "correct horse battery staple", ""},
		{"erin@example.com", strings.Repeat("é", 512), ""}, // 1024 bytes exactly
		{"frank@example.com", "qwerty123456!", ""},         // not on the list as it is
	} {
		_, err := s.CreateUser(ctx, actor, db.UserInput{Email: tt.email, Password: tt.password, Role: db.RoleViewer})
		var verr db.ValidationError
		switch {
		case tt.refused == "" && err != nil:
			t.Errorf("%s with %.20q: %v, want it accepted", tt.email, tt.password, err)
		case tt.refused != "" && (!errors.As(err, &verr) || !strings.Contains(verr["password"], tt.refused)):
			t.Errorf("%s with %.20q: %v, want the password refused with %q", tt.email, tt.password, err, tt.refused)
		}
		added := count(t, s, "SELECT COUNT(*) FROM users WHERE email = ? COLLATE NOCASE", tt.email)
		if tt.refused != "" && added != 0 {
			t.Errorf("%s with %.20q: a login was added with a refused password", tt.email, tt.password)
		}
		if tt.refused == "" {
			if err := s.Exec(ctx, "DELETE FROM users WHERE email = ? COLLATE NOCASE", tt.email); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Without an email (nothing to compare with) only the other rules apply.
	if msg := db.ValidatePassword("correct horse battery staple", ""); msg != "" {
		t.Errorf("ValidatePassword without an email: %q", msg)
	}
}

// TestPasswordLinkLifetime: a set-password link works once, not after it
// expires, not once a newer one was issued, and never enables a disabled
// login; only its hash is stored.
func TestPasswordLinkLifetime(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	uid := mustUser(t, s, "gina@example.com", "correct horse battery staple", db.RoleViewer)

	old, _, err := s.IssuePasswordLink(ctx, actor, uid)
	if err != nil {
		t.Fatal(err)
	}
	token, expires, err := s.IssuePasswordLink(ctx, actor, uid)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 43 || !expires.Equal(now.Add(24*time.Hour)) {
		t.Errorf("token of %d characters expiring %v, want ≥ 43 (32 bytes) and a day later", len(token), expires)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM password_links WHERE token_hash = ? OR token_hash = ?", token, old); n != 0 {
		t.Error("a link's token is stored as it is")
	}
	if err := s.SetPasswordWithLink(ctx, actor, old, "a brand new passphrase"); !errors.Is(err, db.ErrPasswordLinkInvalid) {
		t.Errorf("the older link after a newer one: %v, want ErrPasswordLinkInvalid", err)
	}
	if err := s.SetUserDisabled(ctx, actor, uid, true); err != nil {
		t.Fatal(err)
	}
	var verr db.ValidationError
	if err := s.SetPasswordWithLink(ctx, actor, token, "gina@example.com is me"); !errors.As(err, &verr) || verr["password"] == "" {
		t.Errorf("a password with the email: %v, want it refused", err)
	}
	if err := s.SetPasswordWithLink(ctx, actor, token, "a brand new passphrase"); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.SetPasswordWithLink(ctx, actor, token, "another new passphrase"); !errors.Is(err, db.ErrPasswordLinkInvalid) {
		t.Errorf("second use: %v, want ErrPasswordLinkInvalid", err)
	}
	if count(t, s, "SELECT disabled FROM users WHERE id = ?", uid) != 1 {
		t.Error("setting the password enabled a disabled login")
	}
	if err := s.SetUserDisabled(ctx, actor, uid, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "gina@example.com", "a brand new passphrase"); err != nil {
		t.Errorf("sign in with the password set by the link: %v", err)
	}

	expiring, _, err := s.IssuePasswordLink(ctx, actor, uid)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(24*time.Hour - time.Second)
	if _, err := s.PasswordLinkLogin(ctx, expiring); err != nil {
		t.Errorf("a second before it expires: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := s.PasswordLinkLogin(ctx, expiring); !errors.Is(err, db.ErrPasswordLinkInvalid) {
		t.Errorf("when it expires: %v, want ErrPasswordLinkInvalid", err)
	}
	if err := s.SetPasswordWithLink(ctx, actor, expiring, "too late a passphrase"); !errors.Is(err, db.ErrPasswordLinkInvalid) {
		t.Errorf("use after expiry: %v, want ErrPasswordLinkInvalid", err)
	}
}
