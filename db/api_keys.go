package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIKeyPrefix starts every API key, so a key pasted where it does not
// belong (a query string, a log, a repository) is recognisable.
const APIKeyPrefix = "stw_"

// APIKeyScopes are the scopes a key may have: read acts as a viewer, write
// as an editor.
var APIKeyScopes = []string{"read", "write"}

// apiKeyShownPrefix is how many of a key's characters the admin page shows:
// "stw_" and eight more.
const apiKeyShownPrefix = 12

// apiKeyTouchEvery is how stale a key's last use may get before a request
// records it again: one write a minute per busy key, not one per request.
const apiKeyTouchEvery = time.Minute

// ErrAPIKeyInvalid answers a key that is unknown, revoked or expired; the
// caller learns no more than that.
var ErrAPIKeyInvalid = errors.New("db: API key unknown, revoked or expired")

// errOnlyAdminsManageKeys refuses a key's change by anyone but an admin.
var errOnlyAdminsManageKeys = ValidationError{"name": "Only an admin can create or revoke API keys."}

// APIKey is a stored API key: never the key itself, only its prefix.
type APIKey struct {
	ID         int64
	Name       string
	Scope      string // "read" or "write"
	Prefix     string
	CreatedBy  string // the email of the admin who made it, if still a login
	CreatedAt  time.Time
	ExpiresOn  string // YYYY-MM-DD, or "" for never
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Status is "revoked", "expired" (on today) or "active".
func (k APIKey) Status(today string) string {
	switch {
	case !k.RevokedAt.IsZero():
		return "revoked"
	case k.ExpiresOn != "" && k.ExpiresOn < today:
		return "expired"
	}
	return "active"
}

// Actor is who a request made with the key acts as: the key by its name,
// as a viewer (read) or an editor (write), never an admin. The audit log
// and timelines show the name.
func (k APIKey) Actor(ip string) Actor {
	role := RoleViewer
	if k.Scope == "write" {
		role = RoleEditor
	}
	return Actor{Email: "API key “" + k.Name + "”", Role: role, IP: ip}
}

// APIKeyInput is the admin form's new key.
type APIKeyInput struct {
	Name, Scope, ExpiresOn string
}

const apiKeyColumns = `k.id, k.name, k.scope, k.prefix, COALESCE(u.email, ''), k.created_at, COALESCE(k.expires_on, ''),
	COALESCE(k.last_used_at, ''), COALESCE(k.revoked_at, '')`

const apiKeyFrom = " FROM api_keys k LEFT JOIN users u ON u.id = k.created_by"

func scanAPIKey(row scanner) (APIKey, error) {
	var k APIKey
	var created, used, revoked string
	err := row.Scan(&k.ID, &k.Name, &k.Scope, &k.Prefix, &k.CreatedBy, &created, &k.ExpiresOn, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = parseStoredTime(created), parseStoredTime(used), parseStoredTime(revoked)
	return k, err
}

// parseStoredTime reads a time formatTime wrote; "" is the zero time.
func parseStoredTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000Z", s)
	return t
}

// CreateAPIKey makes a key for in and returns it with the key itself, which
// exists only in this answer: the table keeps its SHA-256 and its prefix.
// Only an admin may make one.
func (s *Store) CreateAPIKey(ctx context.Context, actor Actor, in APIKeyInput) (APIKey, string, error) {
	if !actor.managesLogins() {
		return APIKey{}, "", errOnlyAdminsManageKeys
	}
	v := newValidator()
	name := v.line("name", in.Name, true, 100)
	scope := v.oneOf("scope", in.Scope, APIKeyScopes...)
	expires := v.date("expires_on", in.ExpiresOn, false)
	if expires != "" && expires < s.today() {
		v.fail("expires_on", "Choose today or a later date.")
	}
	if err := v.err(); err != nil {
		return APIKey{}, "", err
	}
	key := APIKeyPrefix + randomToken(32)
	k := APIKey{Name: name, Scope: scope, Prefix: key[:apiKeyShownPrefix], CreatedBy: actor.Email, ExpiresOn: expires}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (name, scope, prefix, hash, created_by, created_at, expires_on)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, name, scope, k.Prefix, hashToken(key), nullID(actor.UserID), formatTime(now), nullText(expires))
		if err != nil {
			return fmt.Errorf("db: insert API key: %w", err)
		}
		k.ID, _ = res.LastInsertId()
		k.CreatedAt = now.UTC().Truncate(time.Millisecond)
		return s.appendEvent(ctx, tx, actor, Event{Action: "api_key.created", Subject: Ref{"api_key", k.ID},
			Summary: "Created API key “" + name + "” (" + scope + ")",
			Changes: diff(nil, fields("name", name, "scope", scope, "prefix", k.Prefix, "expires_on", expires))})
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, key, nil
}

// nullText stores "" as NULL.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RevokeAPIKey ends a key for good; revoking a revoked key changes nothing.
// Only an admin may revoke one.
func (s *Store) RevokeAPIKey(ctx context.Context, actor Actor, id int64) error {
	if !actor.managesLogins() {
		return errOnlyAdminsManageKeys
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		var revoked sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT name, revoked_at FROM api_keys WHERE id = ?", id).Scan(&name, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || revoked.Valid {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", formatTime(s.now()), id); err != nil {
			return fmt.Errorf("db: revoke API key: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "api_key.revoked", Subject: Ref{"api_key", id},
			Summary: "Revoked API key “" + name + "”"})
	})
}

// APIKeys lists every key, newest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	return all(ctx, s.read, scanAPIKey, "API keys", "SELECT "+apiKeyColumns+apiKeyFrom+" ORDER BY k.id DESC")
}

// AuthenticateAPIKey returns the active key that key is, or
// ErrAPIKeyInvalid for one unknown, revoked or expired. It is found by its
// hash, one indexed read; its last use is written at most once a minute,
// without making kept pages stale.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) {
		return APIKey{}, ErrAPIKeyInvalid
	}
	k, err := one(ctx, s.read, scanAPIKey, "API key", "SELECT "+apiKeyColumns+apiKeyFrom+" WHERE k.hash = ?", hashToken(key))
	if errors.Is(err, ErrNotFound) || err == nil && k.Status(s.today()) != "active" {
		return APIKey{}, ErrAPIKeyInvalid
	}
	if err != nil {
		return APIKey{}, err
	}
	if now := s.now(); now.Sub(k.LastUsedAt) >= apiKeyTouchEvery {
		err := s.sessionExec(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", formatTime(now), k.ID)
		if err != nil {
			return APIKey{}, fmt.Errorf("db: touch API key: %w", err)
		}
		k.LastUsedAt = now
	}
	return k, nil
}
