package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"steward/db"
)

func mustUser(t *testing.T, s *db.Store, email, password, role string) int64 {
	t.Helper()
	uid, err := s.CreateUser(context.Background(), actor, db.UserInput{Email: email, Password: password, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return uid
}

func TestPasswordsSignIn(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	long := strings.Repeat("abcdefghij", 7) // 70 characters
	unicode := "pässwörd-日本語-🔑-long-enough"
	// Longer than bcrypt's 72-byte cut-off: a truncating hash would accept
	// any password sharing the first 72 bytes.
	veryLong := strings.Repeat("0123456789", 10)
	if utf8.RuneCountInString(long) != 70 {
		t.Fatal("long password is not 70 characters")
	}
	longID := mustUser(t, s, "long@example.com", long, db.RoleAdmin)
	uniID := mustUser(t, s, "unicode@example.com", unicode, db.RoleViewer)
	veryLongID := mustUser(t, s, "verylong@example.com", veryLong, db.RoleViewer)

	hash := str(t, s, "SELECT password_hash FROM users WHERE id = ?", longID)
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, long) {
		t.Errorf("stored hash %q is not an argon2id hash", hash)
	}

	for _, tt := range []struct {
		email, password string
		want            int64 // 0: refused with ErrNotFound
	}{
		{"long@example.com", long, longID},
		{"  LONG@Example.com ", long, longID}, // email matches case-insensitively
		{"unicode@example.com", unicode, uniID},
		{"long@example.com", long[:69], 0},
		{"long@example.com", long[:69] + "X", 0}, // differs only in the last character
		{"unicode@example.com", strings.ToUpper(unicode), 0},
		{"unicode@example.com", "passwörd-日本語-🔑-long-enough", 0},
		{"verylong@example.com", veryLong, veryLongID},
		{"verylong@example.com", veryLong[:99] + "X", 0},
		{"nobody@example.com", long, 0},
		{"", "", 0},
	} {
		u, err := s.Authenticate(ctx, tt.email, tt.password)
		switch {
		case tt.want == 0 && !errors.Is(err, db.ErrNotFound):
			t.Errorf("Authenticate(%q, %q) = %+v, %v; want ErrNotFound", tt.email, tt.password, u, err)
		case tt.want != 0 && (err != nil || u.ID != tt.want):
			t.Errorf("Authenticate(%q, %q) = user %d, %v; want user %d", tt.email, tt.password, u.ID, err, tt.want)
		}
	}

	// A disabled user cannot sign in even with the right password.
	if err := s.SetUserDisabled(ctx, actor, uniID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "unicode@example.com", unicode); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("disabled user: Authenticate = %v, want ErrNotFound", err)
	}

	// Hashes are salted: the same password never hashes the same way twice.
	h1, _ := db.HashPassword(unicode)
	h2, _ := db.HashPassword(unicode)
	if h1 == h2 {
		t.Error("two hashes of one password are equal; the salt is missing")
	}
}

func TestCreateUserValidation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	mustUser(t, s, "admin@example.com", "correct horse battery", db.RoleAdmin)
	for _, tt := range []struct {
		in    db.UserInput
		field string
	}{
		{db.UserInput{Email: "x@example.com", Password: "short", Role: db.RoleEditor}, "password"},
		{db.UserInput{Email: "x@example.com", Password: "correct horse battery", Role: "root"}, "role"},
		{db.UserInput{Email: "not-an-email", Password: "correct horse battery", Role: db.RoleEditor}, "email"},
		{db.UserInput{Email: "ADMIN@example.com", Password: "correct horse battery", Role: db.RoleEditor}, "email"},
		{db.UserInput{Email: "x@example.com", Password: "correct horse battery", Role: db.RoleEditor, OwnerID: "42"}, "owner_id"},
	} {
		_, err := s.CreateUser(ctx, actor, tt.in)
		validationError(t, err, tt.field)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM users"); n != 1 {
		t.Errorf("users = %d, want 1", n)
	}
}

func TestUserChangesEndSessionsAndKeepAnAdmin(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	admin := mustUser(t, s, "admin@example.com", "correct horse battery", db.RoleAdmin)
	editor := mustUser(t, s, "editor@example.com", "correct horse battery", db.RoleEditor)
	for sid, uid := range map[string]int64{"a1": admin, "e1": editor, "e2": editor} {
		if err := s.SaveSession(ctx, sid, uid, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}

	// Changing a role ends that user's sessions, and only theirs.
	if err := s.SetUserRole(ctx, actor, editor, db.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT role FROM users WHERE id = ?", editor); got != db.RoleViewer {
		t.Errorf("role = %q, want viewer", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", editor); n != 0 {
		t.Errorf("%d sessions survived the role change", n)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", admin); n != 1 {
		t.Errorf("the admin's sessions = %d, want 1", n)
	}
	ev := latestEvent(t, s)
	if c, ok := change(ev, "role"); ev.Action != "user.role_changed" || !ok || c.Before != "editor" || c.After != "viewer" {
		t.Errorf("event = %s %+v, want user.role_changed editor → viewer", ev.Action, ev.Changes)
	}
	validationError(t, s.SetUserRole(ctx, actor, editor, "owner"), "role")
	if err := s.SetUserRole(ctx, actor, 999, db.RoleViewer); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("SetUserRole(999) = %v, want ErrNotFound", err)
	}

	// The only admin can be neither demoted nor disabled.
	before := events(t, s)
	validationError(t, s.SetUserRole(ctx, actor, admin, db.RoleEditor), "role")
	validationError(t, s.SetUserDisabled(ctx, actor, admin, true), "disabled")
	if got := str(t, s, "SELECT role || '/' || disabled FROM users WHERE id = ?", admin); got != "admin/0" {
		t.Errorf("last admin is now %s, want admin/0", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", admin); n != 1 {
		t.Errorf("refused change ended the admin's sessions (%d left)", n)
	}
	if n := events(t, s) - before; n != 0 {
		t.Errorf("refused changes wrote %d events", n)
	}

	// A disabled admin does not count: promoting one and disabling it leaves
	// the first admin still the last.
	if err := s.SetUserRole(ctx, actor, editor, db.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, actor, editor, true); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	validationError(t, s.SetUserDisabled(ctx, actor, admin, true), "disabled")

	// With a second enabled admin, the first may step down.
	if err := s.SetUserDisabled(ctx, actor, editor, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, actor, admin, db.RoleEditor); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", admin); n != 0 {
		t.Errorf("demoted admin kept %d sessions", n)
	}
}
