package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/db"
)

const (
	connAppSecret = "0123456789abcdef0123456789abcdef"
	connToken     = "EAAGconnectortokenvalue0123456789ABCDEFG"
)

// connectAsAdmin makes an admin linked to a person and connects the Meta
// app as them, keeping the token.
func connectAsAdmin(t *testing.T, s *db.Store) (db.Actor, int64) {
	t.Helper()
	ctx := context.Background()
	person := mustOwner(t, s, db.OwnerInput{Name: "Ada Admin", Email: "ada@example.com"})
	uid, err := s.CreateUser(ctx, actor, db.UserInput{Email: "ada@example.com", Password: "Quartz-Harbor-Lantern-88", Role: db.RoleAdmin, OwnerID: id(person)})
	if err != nil {
		t.Fatal(err)
	}
	admin := db.Actor{UserID: uid, Email: "ada@example.com", Role: db.RoleAdmin}
	err = s.ConnectMeta(ctx, admin, db.MetaConnectInput{AppID: "1001", AppSecret: connAppSecret, BusinessID: "555000111",
		Token: connToken, KeepToken: true, Check: db.MetaTokenCheck{Valid: true, NeverExpires: true, UserID: "9001",
			IssuedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Scopes: []string{"business_management", "ads_read"},
			Assets: []db.MetaGrantedAsset{{ID: "7001", Scopes: []string{"ads_read"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return admin, person
}

// TestConnectMetaKeepsSecretsSealedAndRecordsTheToken: the app secret and
// the kept token are stored sealed and open again; the token is a token
// record on a new Meta business account, its responsible owner the admin's
// person, with its fingerprint only; one audit event says so.
func TestConnectMetaKeepsSecretsSealedAndRecordsTheToken(t *testing.T) {
	ctx := context.Background()
	s, path := openStoreAt(t, filepath.Join(t.TempDir(), "t.db"))
	before := events(t, s)
	_, person := connectAsAdmin(t, s)

	c, err := s.MetaConnector(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Connected || c.AppID != "1001" || c.BusinessID != "555000111" || !c.TokenKept || c.TokenID == 0 || c.ConnectedBy != "ada@example.com" || c.ConnectedAt == "" {
		t.Fatalf("MetaConnector = %+v", c)
	}
	secrets, err := s.MetaConnectorSecrets(ctx)
	if err != nil || secrets.AppSecret != connAppSecret || secrets.Token != connToken {
		t.Fatalf("MetaConnectorSecrets = %+v, %v", secrets, err)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM meta_connector WHERE app_secret_sealed LIKE 'v1:%' AND token_sealed LIKE 'v1:%' AND instr(app_secret_sealed, ?) = 0 AND instr(token_sealed, ?) = 0", connAppSecret, connToken); n != 1 {
		t.Errorf("secrets not sealed in the row")
	}
	if got := str(t, s, `SELECT a.platform || '|' || a.kind || '|' || a.external_id || '|' || t.kind || '|' || t.responsible_owner_id || '|' || t.fingerprint || '|' || t.expires_on || '|' || t.issued_on || '|' || t.scopes || '|' || t.assets
		FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?`, c.TokenID); got !=
		"Meta|Business Manager|555000111|system_user_token|"+id(person)+"|"+db.Fingerprint(connToken)+"||2026-11-02|business_management, ads_read|Meta asset 7001" {
		t.Errorf("token record = %q", got)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM audit_events WHERE action = 'connector.connected' AND instr(changes, ?) = 0 AND instr(changes, ?) = 0", connAppSecret, connToken); n != 1 {
		t.Errorf("%d connector.connected events without secrets, want 1", n)
	}
	if got := events(t, s) - before; got != 6 { // person, user, account, token, its check, connector
		t.Errorf("%d events, want 6", got)
	}
	info, err := os.Stat(db.SecretKeyFile(path))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret key file: %v, %v", info, err)
	}
	if key, _ := os.ReadFile(db.SecretKeyFile(path)); count(t, s, "SELECT COUNT(*) FROM meta_connector WHERE instr(app_secret_sealed, ?) > 0", strings.TrimSpace(string(key))) != 0 {
		t.Error("the key is in the database")
	}
}

// TestReconnectReusesTheTokenRecordAndDisconnectForgets: connecting again
// with the same token does not record it twice; disconnecting deletes the
// sealed secrets and keeps the token's record.
func TestReconnectReusesTheTokenRecordAndDisconnectForgets(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	admin, _ := connectAsAdmin(t, s)
	first, _ := s.MetaConnector(ctx)
	if err := s.ConnectMeta(ctx, admin, db.MetaConnectInput{AppID: "1001", AppSecret: connAppSecret, BusinessID: "555000111", Token: connToken, KeepToken: true}); err != nil {
		t.Fatal(err)
	}
	again, _ := s.MetaConnector(ctx)
	if again.TokenID != first.TokenID || count(t, s, "SELECT COUNT(*) FROM tokens") != 1 || count(t, s, "SELECT COUNT(*) FROM accounts") != 1 {
		t.Errorf("reconnect made another record: %+v, %d tokens", again, count(t, s, "SELECT COUNT(*) FROM tokens"))
	}
	if err := s.DisconnectMeta(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.MetaConnector(ctx); c.Connected || count(t, s, "SELECT COUNT(*) FROM meta_connector") != 0 || count(t, s, "SELECT COUNT(*) FROM tokens") != 1 {
		t.Errorf("after disconnect: %+v", c)
	}
	if _, err := s.MetaConnectorSecrets(ctx); err != db.ErrNotFound {
		t.Errorf("secrets after disconnect: %v", err)
	}
	if err := s.DisconnectMeta(ctx, admin); err != db.ErrNotFound {
		t.Errorf("second disconnect: %v", err)
	}
}

// TestConnectMetaWithoutKeepingStoresNoToken: a token given only to check
// the app is neither stored nor recorded.
func TestConnectMetaWithoutKeepingStoresNoToken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if err := s.ConnectMeta(ctx, actor, db.MetaConnectInput{AppID: "1001", AppSecret: connAppSecret, BusinessID: "555000111", Token: connToken}); err != nil {
		t.Fatal(err)
	}
	c, _ := s.MetaConnector(ctx)
	secrets, _ := s.MetaConnectorSecrets(ctx)
	if c.TokenKept || c.TokenID != 0 || secrets.Token != "" || count(t, s, "SELECT COUNT(*) FROM tokens") != 0 {
		t.Errorf("a token not kept was stored: %+v", c)
	}
}

// TestConnectorTokenResponsibleByEmail: an admin whose login is linked to
// no person answers for the kept token through the person with their email.
func TestConnectorTokenResponsibleByEmail(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	person := mustOwner(t, s, db.OwnerInput{Name: "Bo Admin", Email: "Bo@Example.com"})
	uid, err := s.CreateUser(ctx, actor, db.UserInput{Email: "bo@example.com", Password: "Quartz-Harbor-Lantern-88", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConnectMeta(ctx, db.Actor{UserID: uid, Email: "bo@example.com", Role: db.RoleAdmin}, db.MetaConnectInput{AppID: "1",
		AppSecret: connAppSecret, BusinessID: "2", Token: connToken, KeepToken: true}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT responsible_owner_id FROM tokens"); got != person {
		t.Errorf("responsible owner %d, want %d", got, person)
	}
}

func TestConnectMetaProblems(t *testing.T) {
	s := openStore(t)
	for field, in := range map[string]db.MetaConnectInput{
		"app_id":       {AppID: "abc", AppSecret: connAppSecret, BusinessID: "1"},
		"business_id":  {AppID: "1", AppSecret: connAppSecret, BusinessID: ""},
		"app_secret":   {AppID: "1", BusinessID: "1"},
		"access_token": {AppID: "1", AppSecret: connAppSecret, BusinessID: "1", KeepToken: true},
	} {
		validationError(t, s.ConnectMeta(context.Background(), actor, in), field)
	}
	if count(t, s, "SELECT COUNT(*) FROM meta_connector") != 0 {
		t.Error("a refused connect was saved")
	}
}

// TestSecretKeyFromOptionsAndWrongKey: a key given in Options writes no key
// file; a database opened with another key cannot open its secrets.
func TestSecretKeyFromOptionsAndWrongKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	key, _ := db.ParseSecretKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	s, err := db.OpenWith(ctx, path, db.Options{SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConnectMeta(ctx, actor, db.MetaConnectInput{AppID: "1", AppSecret: connAppSecret, BusinessID: "2"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(db.SecretKeyFile(path)); !os.IsNotExist(err) {
		t.Errorf("a key file was written though the key was given: %v", err)
	}
	other, _ := openStoreAt(t, path) // creates a new key file: another key
	if _, err := other.MetaConnectorSecrets(ctx); err == nil || strings.Contains(err.Error(), connAppSecret) {
		t.Errorf("opened with another key: %v", err)
	}
	for _, bad := range []string{"not base64!", "AAEC"} {
		if _, err := db.ParseSecretKey(bad); err == nil {
			t.Errorf("ParseSecretKey(%q) accepted", bad)
		}
	}
}

// Connecting Meta, reading a business and applying it are an admin's (or
// Steward's scheduled sync's) alone, whatever the way in: an editor is
// refused in the store and nothing is written.
func TestMetaConnectorAndSyncsRefuseAnEditor(t *testing.T) {
	ctx := context.Background()
	s, _ := openStoreAt(t, filepath.Join(t.TempDir(), "t.db"))
	editor := db.Actor{Email: "ed@example.com", Role: db.RoleEditor}
	err := s.ConnectMeta(ctx, editor, db.MetaConnectInput{AppID: "1001", AppSecret: connAppSecret, BusinessID: "555000111"})
	if err == nil {
		t.Error("an editor connected Meta")
	}
	if _, _, err := s.RecordMetaSync(ctx, editor, db.MetaSnapshot{BusinessID: "555000111", ReadAt: s.Now()}); err == nil {
		t.Error("an editor kept a sync")
	}
	syncID, _, err := s.RecordMetaSync(ctx, db.SystemActor("scheduled Meta sync"), db.MetaSnapshot{BusinessID: "555000111", ReadAt: s.Now(),
		SystemUsers: []db.MetaSystemUser{{ID: "61", Name: "capi", Role: "ADMIN"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyMetaSync(ctx, editor, syncID); err == nil {
		t.Error("an editor applied a sync")
	}
	if err := s.DisconnectMeta(ctx, editor); err == nil {
		t.Error("an editor disconnected Meta")
	}
	for q, want := range map[string]int64{"SELECT COUNT(*) FROM meta_connector": 0, "SELECT COUNT(*) FROM meta_syncs": 1,
		"SELECT COUNT(*) FROM system_users": 0, "SELECT COUNT(*) FROM accounts": 0} {
		if n, _ := s.QueryInt(ctx, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

// An admin with no person record who connects Meta and keeps the token
// answers for it all the same: a person with their email is added.
func TestConnectMetaGivesTheKeptTokenAResponsibleOwner(t *testing.T) {
	ctx := context.Background()
	s, _ := openStoreAt(t, filepath.Join(t.TempDir(), "t.db"))
	uid, err := s.CreateUser(ctx, actor, db.UserInput{Email: "root@example.com", Password: "Quartz-Harbor-Lantern-88", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	admin := db.Actor{UserID: uid, Email: "root@example.com", Role: db.RoleAdmin}
	if err := s.ConnectMeta(ctx, admin, db.MetaConnectInput{AppID: "1001", AppSecret: connAppSecret, BusinessID: "555000111",
		Token: connToken, KeepToken: true, Check: db.MetaTokenCheck{Valid: true, NeverExpires: true}}); err != nil {
		t.Fatal(err)
	}
	if got := str(t, s, `SELECT o.email || '|' || o.status FROM tokens t JOIN owners o ON o.id = t.responsible_owner_id
		WHERE t.id = (SELECT token_id FROM meta_connector)`); got != "root@example.com|active" {
		t.Errorf("the kept token's responsible owner = %q, want a person with the admin's email", got)
	}
}
