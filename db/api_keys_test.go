package db

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestAPIKeyUseRecordedAtMostOnceAMinute: a busy key writes its last use
// once a minute, not once a request, and an unknown, revoked or expired key
// is refused.
func TestAPIKeyUseRecordedAtMostOnceAMinute(t *testing.T) {
	ctx, s := context.Background(), openCommitStore(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	k, key, err := s.CreateAPIKey(ctx, SystemActor("test"), APIKeyInput{Name: "Script", Scope: "read", ExpiresOn: "2026-03-03"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() string {
		var v string
		if err := s.read.QueryRowContext(ctx, "SELECT COALESCE(last_used_at, '') FROM api_keys WHERE id = ?", k.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	use := func(at time.Time) {
		t.Helper()
		now = at
		if _, err := s.AuthenticateAPIKey(ctx, key); err != nil {
			t.Fatalf("key at %s: %v", at, err)
		}
	}
	use(now)
	first := lastUsed()
	if first != "2026-03-02T10:00:00.000Z" {
		t.Fatalf("last used %q after the first use", first)
	}
	use(now.Add(59 * time.Second))
	if got := lastUsed(); got != first {
		t.Errorf("last used %q after a use 59 s later, want it kept at %q", got, first)
	}
	use(now.Add(2 * time.Second)) // 61 s after the first
	if got := lastUsed(); got != "2026-03-02T10:01:01.000Z" {
		t.Errorf("last used %q a minute later, want it written again", got)
	}

	for what, k := range map[string]string{"unknown": key + "x", "not a key": "Bearer", "empty": ""} {
		if _, err := s.AuthenticateAPIKey(ctx, k); err != ErrAPIKeyInvalid {
			t.Errorf("%s key: %v, want ErrAPIKeyInvalid", what, err)
		}
	}
	now = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	if _, err := s.AuthenticateAPIKey(ctx, key); err != ErrAPIKeyInvalid {
		t.Errorf("expired key: %v, want ErrAPIKeyInvalid", err)
	}
	_, other, _ := s.CreateAPIKey(ctx, SystemActor("test"), APIKeyInput{Name: "Other", Scope: "write"})
	if err := s.RevokeAPIKey(ctx, SystemActor("test"), k.ID+1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateAPIKey(ctx, other); err != ErrAPIKeyInvalid {
		t.Errorf("revoked key: %v, want ErrAPIKeyInvalid", err)
	}
	if err := s.RevokeAPIKey(ctx, Actor{Email: "editor@example.com", Role: RoleEditor}, k.ID); err == nil {
		t.Error("an editor revoked a key")
	}
}

// TestAPIPagesSeekByID: a page of any list paged by ID, and a page of the
// audit log after an event, is read from the primary key in its order:
// no sort of the matches, however deep the page.
func TestAPIPagesSeekByID(t *testing.T) {
	s := openCommitStore(t)
	p := ListParams{AfterID: 5000, Limit: 51}
	wheres := map[string]func() (string, []any){
		"owner":       func() (string, []any) { return ownerWhere(p) },
		"account":     func() (string, []any) { return accountWhere(p, AccountFilter{}) },
		"role":        func() (string, []any) { return roleWhere(p, RoleFilter{}) },
		"system_user": func() (string, []any) { return systemUserWhere(p, SystemUserFilter{}) },
		"integration": func() (string, []any) { return integrationWhere(p, IntegrationFilter{}) },
		"token":       func() (string, []any) { return s.tokenWhere(p, TokenFilter{}) },
	}
	lists := map[string]listQuery{"owner": ownerList, "account": accountList, "role": roleList, "system_user": systemUserList,
		"integration": integrationList, "token": tokenList}
	for _, k := range Kinds {
		where, args := wheres[k.Name]()
		query, args := s.eachQuery(lists[k.Name], p, where, args)
		plan := queryPlan(t, s, query, args...)
		first, _, _ := strings.Cut(plan, "\n")
		if strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(first, "USING INTEGER PRIMARY KEY (rowid>?)") {
			t.Errorf("%s: a page by ID does not seek the primary key:\n%s", k.Name, plan)
		}
	}
	plan := queryPlan(t, s, auditAfterQuery, 5000, 101)
	if plan != "SEARCH audit_events USING INTEGER PRIMARY KEY (rowid>?)" {
		t.Errorf("the audit log after an event:\n%s", plan)
	}
}
