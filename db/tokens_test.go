package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"steward/db"
)

func tokenID(t db.Token) int64 { return t.ID }

// listTokenIDs lists the IDs a token list returns, in ID order.
func listTokenIDs(t *testing.T, s *db.Store, p db.ListParams, f db.TokenFilter) []int64 {
	t.Helper()
	page, err := s.ListTokens(context.Background(), p, f)
	if err != nil {
		t.Fatalf("ListTokens(%+v, %+v): %v", p, f, err)
	}
	if page.Total != len(page.Items) {
		t.Errorf("ListTokens(%+v, %+v): total %d, %d items", p, f, page.Total, len(page.Items))
	}
	ids := idsOfTokens(page.Items)
	slices.Sort(ids)
	return ids
}

func idsOfTokens(tokens []db.Token) []int64 {
	var out []int64
	for _, tok := range tokens {
		out = append(out, tokenID(tok))
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestTokenValidation(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	acc := mustAccount(t, s, db.AccountInput{Name: "BM", Platform: "Meta"})
	su := mkSystemUser(t, s, db.SystemUserInput{Name: "capi", AccountID: id(acc)})
	before := events(t, s)

	cases := []struct {
		name  string
		in    db.TokenInput
		field string
	}{
		{"no name", db.TokenInput{Kind: "api_key"}, "name"},
		{"blank name", db.TokenInput{Name: "   ", Kind: "api_key"}, "name"},
		{"no kind", db.TokenInput{Name: "x"}, "kind"},
		{"unknown kind", db.TokenInput{Name: "x", Kind: "password"}, "kind"},
		{"unknown status", db.TokenInput{Name: "x", Kind: "api_key", Status: "paused"}, "status"},
		{"expires before issued", db.TokenInput{Name: "x", Kind: "api_key", IssuedOn: day(10), ExpiresOn: day(9)}, "expires_on"},
		{"bad expiry date", db.TokenInput{Name: "x", Kind: "api_key", ExpiresOn: "31/12/2025"}, "expires_on"},
		{"bad issue date", db.TokenInput{Name: "x", Kind: "api_key", IssuedOn: "2025-02-30"}, "issued_on"},
		{"system user and person", db.TokenInput{Name: "x", Kind: "system_user_token", SystemUserID: id(su), OwnerID: id(o)}, "owner_id"},
		{"missing account", db.TokenInput{Name: "x", Kind: "api_key", AccountID: "999"}, "account_id"},
		{"missing system user", db.TokenInput{Name: "x", Kind: "api_key", SystemUserID: "999"}, "system_user_id"},
		{"missing responsible owner", db.TokenInput{Name: "x", Kind: "api_key", ResponsibleOwnerID: "999"}, "responsible_owner_id"},
		{"missing creator", db.TokenInput{Name: "x", Kind: "api_key", CreatedByOwnerID: "abc"}, "created_by_owner_id"},
		{"missing integration", db.TokenInput{Name: "x", Kind: "api_key", IntegrationID: "999"}, "integration_id"},
		{"secret too long", db.TokenInput{Name: "x", Kind: "api_key", Secret: strings.Repeat("a", 8193)}, "secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateToken(ctx, actor, tc.in)
			validationError(t, err, tc.field)
		})
	}
	if n := count(t, s, "SELECT COUNT(*) FROM tokens"); n != 0 {
		t.Errorf("tokens = %d after refused creates, want 0", n)
	}
	if n := events(t, s); n != before {
		t.Errorf("refused creates wrote %d audit events", n-before)
	}

	// The same day for issue and expiry is fine; so is either alone.
	for _, in := range []db.TokenInput{
		{Name: "same day", Kind: "api_key", IssuedOn: day(3), ExpiresOn: day(3)},
		{Name: "expiry only", Kind: "api_key", ExpiresOn: day(-3)},
		{Name: "to a system user", Kind: "system_user_token", SystemUserID: id(su)},
		{Name: "to a person", Kind: "personal_access_token", OwnerID: id(o)},
	} {
		if _, err := s.CreateToken(ctx, actor, in); err != nil {
			t.Errorf("CreateToken(%+v): %v", in, err)
		}
	}

	// An update is validated the same way and changes nothing when refused.
	tok := mkToken(t, s, safeToken("Valid", o))
	_, err := s.UpdateToken(ctx, actor, tok, db.TokenInput{Name: "Valid", Kind: "api_key", IssuedOn: day(5), ExpiresOn: day(1)})
	validationError(t, err, "expires_on")
	if got := str(t, s, "SELECT expires_on FROM tokens WHERE id = ?", tok); got != day(365) {
		t.Errorf("a refused update changed expires_on to %q", got)
	}
	if _, err := s.UpdateToken(ctx, actor, 999, safeToken("x", o)); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("UpdateToken(999) = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, actor, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("RevokeToken(999) = %v, want ErrNotFound", err)
	}
	if err := s.ReviewToken(ctx, actor, 999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("ReviewToken(999) = %v, want ErrNotFound", err)
	}
}

func TestTokenFingerprint(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})

	const value = "EAAGm0PX4ZCpsBAKZCtokenvalue1234WXYZ"
	in := safeToken("Long value", o)
	in.Secret = "  " + value + "\n" // as pasted
	long := mkToken(t, s, in)
	if got := db.Fingerprint(" " + value + "\t\n"); got != sha256Hex(value) {
		t.Errorf("Fingerprint = %s, want the SHA-256 of the trimmed value %s", got, sha256Hex(value))
	}
	if got := str(t, s, "SELECT fingerprint || '|' || last_four FROM tokens WHERE id = ?", long); got != sha256Hex(value)+"|WXYZ" {
		t.Errorf("stored fingerprint|last_four = %q, want %s|WXYZ", got, sha256Hex(value))
	}

	// A short value keeps no last four: they would give a quarter of it away.
	in = safeToken("Short value", o)
	in.Secret = "abc123456789"
	short := mkToken(t, s, in)
	if got := str(t, s, "SELECT fingerprint || '|' || last_four FROM tokens WHERE id = ?", short); got != sha256Hex("abc123456789")+"|" {
		t.Errorf("short value: stored %q, want the fingerprint and no last four", got)
	}

	// No value, no fingerprint.
	none := mkToken(t, s, safeToken("No value", o))
	if got := str(t, s, "SELECT fingerprint || last_four FROM tokens WHERE id = ?", none); got != "" {
		t.Errorf("token without a value stored %q", got)
	}

	// Editing without a value keeps the fingerprint and the rotation date.
	setDay(s, 5)
	saveTokenWith(t, s, long, func(in *db.TokenInput) { in.Notes = "checked" })
	tok, err := s.TokenByID(ctx, long)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Fingerprint != sha256Hex(value) || tok.LastFour != "WXYZ" || tok.LastRotatedOn != "" {
		t.Errorf("after an edit without a value: fingerprint %s, last four %q, rotated %q; want them kept", tok.Fingerprint, tok.LastFour, tok.LastRotatedOn)
	}

	// A new value replaces the fingerprint and records today's rotation.
	const rotated = "EAAGnewvaluefortherotation9876ABCD"
	saveTokenWith(t, s, long, func(in *db.TokenInput) { in.Secret = rotated })
	if tok, err = s.TokenByID(ctx, long); err != nil {
		t.Fatal(err)
	}
	if tok.Fingerprint != sha256Hex(rotated) || tok.LastFour != "ABCD" || tok.LastRotatedOn != day(5) {
		t.Errorf("after rotating: fingerprint %s, last four %q, rotated %q; want the new value's, ABCD, %s",
			tok.Fingerprint, tok.LastFour, tok.LastRotatedOn, day(5))
	}
	// A rotation date given with the new value wins.
	saveTokenWith(t, s, long, func(in *db.TokenInput) { in.Secret, in.LastRotatedOn = "EAAGyetanothervalue0000000000000", day(4) })
	if got := str(t, s, "SELECT last_rotated_on FROM tokens WHERE id = ?", long); got != day(4) {
		t.Errorf("rotation date given with the value: stored %q, want %s", got, day(4))
	}

	// The old value no longer finds the token; the new one does, pasted
	// with white space around it.
	if found, err := s.TokensByFingerprint(ctx, value); err != nil || len(found) != 0 {
		t.Errorf("TokensByFingerprint(old value) = %v, %v; want nothing", idsOfTokens(found), err)
	}
	found, err := s.TokensByFingerprint(ctx, "\t"+"EAAGyetanothervalue0000000000000"+"  ")
	if err != nil || !slices.Equal(idsOfTokens(found), []int64{long}) {
		t.Errorf("TokensByFingerprint(current value) = %v, %v; want [%d]", idsOfTokens(found), err, long)
	}
	if found[0].Name != "Long value" || found[0].ResponsibleName != "Ada" {
		t.Errorf("lookup returned %q answered for by %q", found[0].Name, found[0].ResponsibleName)
	}
	for _, unknown := range []string{"not-a-registered-value-000000000", "", "   "} {
		if found, err := s.TokensByFingerprint(ctx, unknown); err != nil || len(found) != 0 {
			t.Errorf("TokensByFingerprint(%q) = %v, %v; want nothing", unknown, idsOfTokens(found), err)
		}
	}
}

func TestTokenDuplicateValue(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	const value = "ghp_duplicatedvalue0123456789abcdef"

	in := safeToken("First", o)
	in.Secret = value
	first, err := s.CreateToken(ctx, actor, in)
	if err != nil || len(first.DuplicateOf) != 0 {
		t.Fatalf("first registration: %+v, %v; want no duplicates", first, err)
	}
	in = safeToken("Second", o)
	in.Secret = " " + value
	second, err := s.CreateToken(ctx, actor, in)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.DuplicateOf, []int64{first.ID}) {
		t.Errorf("second registration DuplicateOf = %v, want [%d]", second.DuplicateOf, first.ID)
	}
	// An edit that pastes a third token's value onto it warns too.
	third := mkToken(t, s, safeToken("Third", o))
	saved := saveTokenWith(t, s, third, func(in *db.TokenInput) { in.Secret = value })
	if !slices.Equal(saved.DuplicateOf, []int64{first.ID, second.ID}) {
		t.Errorf("update DuplicateOf = %v, want [%d %d]", saved.DuplicateOf, first.ID, second.ID)
	}
	// An edit that keeps the value still names the others.
	saved = saveTokenWith(t, s, first.ID, func(in *db.TokenInput) { in.Notes = "same" })
	if !slices.Equal(saved.DuplicateOf, []int64{second.ID, third}) {
		t.Errorf("update without a value DuplicateOf = %v, want [%d %d]", saved.DuplicateOf, second.ID, third)
	}
	found, err := s.TokensByFingerprint(ctx, value)
	if err != nil || !slices.Equal(idsOfTokens(found), []int64{first.ID, second.ID, third}) {
		t.Errorf("TokensByFingerprint = %v, %v; want all three", idsOfTokens(found), err)
	}
}

func TestTokenEffectiveStatus(t *testing.T) {
	for _, tc := range []struct {
		status, expires, want string
	}{
		{"active", "", "active"},
		{"active", "2025-03-10", "active"}, // expires today: still valid
		{"active", "2025-03-09", db.TokenExpiredActive},
		{"active", "2025-04-01", "active"},
		{"revoked", "2025-03-01", "revoked"},
		{"expired", "2025-04-01", "expired"},
	} {
		tok := db.Token{Status: tc.status, ExpiresOn: tc.expires}
		if got := tok.EffectiveStatus("2025-03-10"); got != tc.want {
			t.Errorf("EffectiveStatus(status %s, expires %q) = %s, want %s", tc.status, tc.expires, got, tc.want)
		}
	}
	if !(db.Token{}).NeverExpires() || (db.Token{ExpiresOn: "2025-01-01"}).NeverExpires() {
		t.Error("NeverExpires is wrong")
	}
}

func TestListTokensFilters(t *testing.T) {
	s := openStore(t)
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	other := mustOwner(t, s, db.OwnerInput{Name: "Bob"})
	meta := mustAccount(t, s, db.AccountInput{Name: "Acme BM", Platform: "Meta"})
	gh := mustAccount(t, s, db.AccountInput{Name: "acme-org", Platform: "GitHub"})

	mk := func(name, expires, account string, responsible int64) int64 {
		in := safeToken(name, responsible)
		in.IssuedOn, in.ExpiresOn, in.AccountID = day(-30), expires, account
		return mkToken(t, s, in)
	}
	never := mk("never", "", id(meta), o)
	soon := mk("soon", day(20), id(gh), o)
	later := mk("later", day(200), id(meta), other)
	past := mk("past", day(-1), "", o)
	revokedPast := mk("revoked past", day(-5), id(gh), o)
	if err := s.RevokeToken(context.Background(), actor, revokedPast); err != nil {
		t.Fatal(err)
	}
	markedExpired := mk("marked expired", day(100), "", o)
	saveTokenWith(t, s, markedExpired, func(in *db.TokenInput) { in.Status = "expired" })

	all := []int64{never, soon, later, past, revokedPast, markedExpired}
	for _, tc := range []struct {
		name string
		p    db.ListParams
		f    db.TokenFilter
		want []int64
	}{
		{"everything", db.ListParams{}, db.TokenFilter{}, all},
		{"status active excludes past-date tokens", db.ListParams{Status: "active"}, db.TokenFilter{}, []int64{never, soon, later}},
		{"status expired includes active past-date tokens", db.ListParams{Status: "expired"}, db.TokenFilter{}, []int64{past, markedExpired}},
		{"status revoked", db.ListParams{Status: "revoked"}, db.TokenFilter{}, []int64{revokedPast}},
		{"never expires", db.ListParams{}, db.TokenFilter{Expiry: db.ExpiryNever}, []int64{never}},
		{"expires soon", db.ListParams{}, db.TokenFilter{Expiry: db.ExpirySoon}, []int64{soon}},
		{"past its date", db.ListParams{}, db.TokenFilter{Expiry: db.ExpiryExpired}, []int64{past, revokedPast}},
		{"past its date, active", db.ListParams{Status: "active"}, db.TokenFilter{Expiry: db.ExpiryExpired}, nil},
		{"platform Meta", db.ListParams{}, db.TokenFilter{Platform: "Meta"}, []int64{never, later}},
		{"platform, any case", db.ListParams{}, db.TokenFilter{Platform: "github"}, []int64{soon, revokedPast}},
		{"platform and expiry", db.ListParams{}, db.TokenFilter{Platform: "GitHub", Expiry: db.ExpirySoon}, []int64{soon}},
		{"responsible owner", db.ListParams{}, db.TokenFilter{ResponsibleOwnerID: other}, []int64{later}},
		{"responsible by name, any case", db.ListParams{}, db.TokenFilter{Responsible: "bo"}, []int64{later}},
		{"responsible by name that nobody has", db.ListParams{}, db.TokenFilter{Responsible: "Zed"}, nil},
		{"responsible with LIKE wildcards taken literally", db.ListParams{}, db.TokenFilter{Responsible: "%"}, nil},
		{"account", db.ListParams{}, db.TokenFilter{AccountID: meta}, []int64{never, later}},
		{"search by name", db.ListParams{Q: "soon"}, db.TokenFilter{}, []int64{soon}},
		{"search by account name", db.ListParams{Q: "acme-org"}, db.TokenFilter{}, []int64{soon, revokedPast}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listTokenIDs(t, s, tc.p, tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("ListTokens(%+v, %+v) = %v, want %v", tc.p, tc.f, got, tc.want)
			}
		})
	}
}

func TestTokenReviewAndRevokeEvents(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	acc := mustAccount(t, s, db.AccountInput{Name: "Acme BM", Platform: "Meta"})
	in := safeToken("CAPI", o)
	in.AccountID = id(acc)
	tok := mkToken(t, s, in)
	if got := str(t, s, "SELECT last_reviewed_on FROM tokens WHERE id = ?", tok); got != day(0) {
		t.Errorf("a new token's last_reviewed_on = %q, want today %s (registering is its first review)", got, day(0))
	}

	setDay(s, 40)
	if err := s.ReviewToken(ctx, actor, tok); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT last_reviewed_on FROM tokens WHERE id = ?", tok); got != day(40) {
		t.Errorf("last_reviewed_on after review = %q, want %s", got, day(40))
	}
	setDay(s, 41)
	if err := s.RevokeToken(ctx, actor, tok); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, "SELECT status FROM tokens WHERE id = ?", tok); got != "revoked" {
		t.Errorf("status after revoke = %q", got)
	}

	for _, ref := range []db.Ref{{Kind: "token", ID: tok}, {Kind: "account", ID: acc}, {Kind: "owner", ID: o}} {
		tl, err := s.Timeline(ctx, ref, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range tl.Events {
			actions = append(actions, e.Action)
		}
		if len(actions) < 3 || !slices.Equal(actions[:3], []string{"token.revoked", "token.reviewed", "token.created"}) {
			t.Errorf("%s #%d timeline = %v, want token.revoked, token.reviewed, token.created first", ref.Kind, ref.ID, actions)
			continue
		}
		if ref.Kind != "token" {
			continue
		}
		reviewed, revoked := tl.Events[1], tl.Events[0]
		if !hasChange(reviewed.Changes, "last_reviewed_on", day(0), day(40)) || len(reviewed.Changes) != 1 {
			t.Errorf("token.reviewed changes = %+v, want only last_reviewed_on %s → %s", reviewed.Changes, day(0), day(40))
		}
		if !hasChange(revoked.Changes, "status", "active", "revoked") || len(revoked.Changes) != 1 {
			t.Errorf("token.revoked changes = %+v, want only status active → revoked", revoked.Changes)
		}
		if revoked.RecordKind != "token" || revoked.RecordID != tok || revoked.Actor != actor.Email {
			t.Errorf("token.revoked is on %s #%d by %q", revoked.RecordKind, revoked.RecordID, revoked.Actor)
		}
	}

	// Revoking again changes nothing and writes nothing.
	n := events(t, s)
	if err := s.RevokeToken(ctx, actor, tok); err != nil {
		t.Fatal(err)
	}
	if events(t, s) != n {
		t.Error("revoking a revoked token wrote an event")
	}
}

func hasChange(changes []db.Change, field, before, after string) bool {
	return slices.Contains(changes, db.Change{Field: field, Before: before, After: after})
}

// TestTokenSecretNeverStored: the audit log shows a fingerprint label, and
// the value is in no table, and not in the database file or its WAL.
func TestTokenSecretNeverStored(t *testing.T) {
	ctx := context.Background()
	s, path := openStoreAt(t, filepath.Join(t.TempDir(), "secret.db"))
	setDay(s, 0)
	o := mustOwner(t, s, db.OwnerInput{Name: "Ada"})
	const first = "EAAGfirstsecretvalue5551234567890QRST"
	const second = "EAAGsecondsecretvalue0000987654321UVWX"

	in := safeToken("CAPI", o)
	in.Secret = first
	tok := mkToken(t, s, in)
	saveTokenWith(t, s, tok, func(in *db.TokenInput) { in.Secret = second })
	if _, err := s.TokensByFingerprint(ctx, first); err != nil {
		t.Fatal(err)
	}

	created := str(t, s, "SELECT changes FROM audit_events WHERE action = 'token.created'")
	if !strings.Contains(created, `"field":"fingerprint"`) || !strings.Contains(created, "sha256:"+sha256Hex(first)[:12]) ||
		!strings.Contains(created, "ending QRST") {
		t.Errorf("token.created changes %s lack the fingerprint label", created)
	}
	updated := str(t, s, "SELECT changes FROM audit_events WHERE action = 'token.updated'")
	if !strings.Contains(updated, "sha256:"+sha256Hex(second)[:12]) {
		t.Errorf("token.updated changes %s lack the new fingerprint label", updated)
	}
	// The label is a prefix: the whole fingerprint is not in the log either.
	everything := str(t, s, `SELECT group_concat(summary || changes, '') FROM audit_events`)
	for _, secret := range []string{first, second} {
		if strings.Contains(everything, secret) || strings.Contains(everything, secret[:20]) {
			t.Errorf("the audit log contains the secret %s", secret)
		}
		if strings.Contains(everything, sha256Hex(secret)) {
			t.Errorf("the audit log contains the whole fingerprint of %s", secret)
		}
	}
	closeWithoutSecrets(t, s, path, first, second)
}

// closeWithoutSecrets closes the store and checks that neither its database
// file nor its WAL, before or after closing, holds any of the secrets.
func closeWithoutSecrets(t *testing.T, s *db.Store, path string, secrets ...string) {
	t.Helper()
	walBytes := readIfExists(t, path+"-wal")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"db": readIfExists(t, path), "wal (open)": walBytes, "wal (closed)": readIfExists(t, path+"-wal")} {
		for _, secret := range secrets {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("the %s file contains the secret %s", name, secret)
			}
		}
	}
}

func readIfExists(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}
