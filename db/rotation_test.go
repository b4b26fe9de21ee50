package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"steward/db"
)

// tokenState is what a rotation may change: the token row and its former values.
func tokenState(t *testing.T, s *db.Store, tok int64) string {
	t.Helper()
	return str(t, s, `SELECT fingerprint || '|' || last_four || '|' || last_rotated_on || '|' || responsible_owner_id || '|' || status
		FROM tokens WHERE id = ?`, tok) + "\n" +
		str(t, s, `SELECT COALESCE(group_concat(fingerprint || '|' || last_four || '|' || replaced_on, ';'), '') FROM token_former_values
		WHERE token_id = ?`, tok)
}

// TestRotateToken: the new value replaces the fingerprint and last four,
// the old fingerprint is kept as a former value, today is the rotation,
// one audit event says what changed, and no value reaches the disk.
func TestRotateToken(t *testing.T) {
	ctx := context.Background()
	s, path := openStoreAt(t, filepath.Join(t.TempDir(), "rotate.db"))
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	const first = "EAAGfirstrotationvalue5551234567890ABCD"
	const second = "EAAGsecondrotationvalue000987654321WXYZ"
	const third = "EAAGthirdrotationvalue1112223334445QRST"
	in := safeToken("CAPI", o)
	in.Secret = first
	tok := mkToken(t, s, in)

	setDay(s, 10)
	before := events(t, s)
	saved, outcome, err := s.RotateToken(ctx, actor, tok, "  "+second+"\n")
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	if saved.ID != tok || len(saved.DuplicateOf) != 0 || outcome != "Token rotated; new value ends …WXYZ" {
		t.Errorf("RotateToken = %+v, %q", saved, outcome)
	}
	want := db.Fingerprint(second) + "|WXYZ|" + day(10) + "|" + id(o) + "|active\n" + db.Fingerprint(first) + "|ABCD|" + day(10)
	if got := tokenState(t, s, tok); got != want {
		t.Errorf("after rotating:\n %s\nwant\n %s", got, want)
	}
	if n := events(t, s) - before; n != 1 {
		t.Errorf("the rotation wrote %d events, want 1", n)
	}
	ev := lastEventOf(t, s, "token.rotated")
	if ev.RecordKind != "token" || ev.RecordID != tok || !strings.HasPrefix(ev.Summary, "Rotated: fingerprint …ABCD → …WXYZ") {
		t.Errorf("token.rotated event %+v", ev)
	}
	if c, ok := change(ev, "fingerprint"); !ok || !strings.Contains(c.Before, db.Fingerprint(first)[:12]) || !strings.Contains(c.After, db.Fingerprint(second)[:12]) {
		t.Errorf("token.rotated fingerprint change %+v", c)
	}
	if c, ok := change(ev, "last_rotated_on"); !ok || c.After != day(10) {
		t.Errorf("token.rotated last_rotated_on change %+v", c)
	}

	// The old value is found as a former value, not as the current one.
	if cur, err := s.TokensByFingerprint(ctx, first); err != nil || len(cur) != 0 {
		t.Errorf("TokensByFingerprint(old) = %v, %v; want none", idsOfTokens(cur), err)
	}
	former, err := s.FormerValuesByFingerprint(ctx, "\n"+first+" ")
	if err != nil || len(former) != 1 || former[0].Token.ID != tok || former[0].Token.Name != "CAPI" || former[0].ReplacedOn != day(10) {
		t.Errorf("FormerValuesByFingerprint(old) = %+v, %v", former, err)
	}
	if former, err := s.FormerValuesByFingerprint(ctx, second); err != nil || len(former) != 0 {
		t.Errorf("FormerValuesByFingerprint(current) = %+v, %v; want none", former, err)
	}

	t.Run("refused values write nothing", func(t *testing.T) {
		setDay(s, 20)
		if _, _, err := s.RotateToken(ctx, actor, tok, third); err != nil {
			t.Fatal(err)
		}
		state, n := tokenState(t, s, tok), events(t, s)
		for name, value := range map[string]string{"empty": " \n ", "current": third, "former": first, "the one before": second,
			"too long": strings.Repeat("x", 8193)} {
			_, _, err := s.RotateToken(ctx, actor, tok, value)
			validationError(t, err, "secret")
			var ve db.ValidationError
			errors.As(err, &ve)
			if name == "former" && !strings.Contains(ve["secret"], "former value of this token, replaced on "+day(10)) {
				t.Errorf("former value refused with %q", ve["secret"])
			}
			if tokenState(t, s, tok) != state || events(t, s) != n {
				t.Errorf("%s value: the refused rotation wrote to the database", name)
			}
		}
		revoked := mkToken(t, s, safeToken("Old", o))
		if err := s.RevokeToken(ctx, actor, revoked); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.RotateToken(ctx, actor, revoked, "EAAGanothervalue000000000000000000000")
		validationError(t, err, "secret")
		if _, _, err := s.RotateToken(ctx, actor, 99999, third+"x"); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("rotating a missing token: %v", err)
		}
	})

	t.Run("a new value pasted in the edit form keeps the old one too", func(t *testing.T) {
		const fourth = "EAAGfourthvaluepastedintheform0000LMNO"
		saveTokenWith(t, s, tok, func(in *db.TokenInput) { in.Secret = fourth })
		if got := count(t, s, "SELECT COUNT(*) FROM token_former_values WHERE token_id = ? AND fingerprint = ?", tok, db.Fingerprint(third)); got != 1 {
			t.Errorf("the value replaced through the form is kept %d times, want once", got)
		}
	})

	// Nothing of any value is in the database file or its WAL.
	closeWithoutSecrets(t, s, path, first, second, third)
}
