package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Session is a stored dashboard session and the user it belongs to, if any.
type Session struct {
	Data       []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	User       *User // nil for an anonymous session
}

// NewSessionID returns a fresh random session ID for a cookie.
func NewSessionID() string { return randomToken(32) }

// maxCachedSessions bounds the sessions kept in memory; past it, sessions
// are read from the database until the next write.
const maxCachedSessions = 4096

// SessionByID loads a session and its user. Every request of a signed-in
// user needs it, so it is kept in memory until the next write of any kind
// (a session's, a login's, an owner's), a seventh of a cached page's cost
// otherwise: whatever ends or changes a session, or changes its login, is a
// write through this store, and the next read after it sees its result. The
// table keeps only the ID's hash, and so does the cache.
func (s *Store) SessionByID(ctx context.Context, id string) (Session, error) {
	hash := hashToken(id)
	sess, err := s.sessions.get(s, hash, func() (Session, error) { return s.readSession(ctx, hash) })
	if err != nil {
		return sess, err
	}
	// The caller gets its own copy: the kept one is shared.
	sess.Data = slices.Clone(sess.Data)
	if sess.User != nil {
		u := *sess.User
		sess.User = &u
	}
	return sess, nil
}

// readSession reads the session whose ID hashes to hash, and its user, in
// one query.
func (s *Store) readSession(ctx context.Context, hash string) (Session, error) {
	var sess Session
	var created, seen int64
	var userID sql.NullInt64
	var u User
	var email, role, ownerName sql.NullString
	var disabled sql.NullBool
	var owner sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT s.data, s.created_at, s.last_seen_at, s.user_id, u.email, u.role, u.disabled,
		u.owner_id, o.name FROM sessions s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN owners o ON o.id = u.owner_id
		WHERE s.id_hash = ?`, hash).Scan(&sess.Data, &created, &seen, &userID, &email, &role, &disabled, &owner, &ownerName)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ErrNotFound
	}
	if err != nil {
		return sess, fmt.Errorf("db: read session: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = time.Unix(created, 0).UTC(), time.Unix(seen, 0).UTC()
	if userID.Valid && email.Valid {
		u.ID, u.Email, u.Role, u.Disabled, u.OwnerID, u.OwnerName = userID.Int64, email.String, role.String, disabled.Bool, owner.Int64, ownerName.String
		sess.User = &u
	}
	return sess, nil
}

// SaveSession writes a session's data and owner, keeping its creation time.
func (s *Store) SaveSession(ctx context.Context, id string, userID int64, data []byte) error {
	now := s.now().Unix()
	err := s.sessionExec(ctx, `INSERT INTO sessions (id_hash, user_id, data, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id_hash) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, last_seen_at = excluded.last_seen_at`,
		hashToken(id), nullID(userID), data, now, now)
	if err != nil {
		return fmt.Errorf("db: save session: %w", err)
	}
	return nil
}

// TouchSession moves a session's last-seen time to now.
func (s *Store) TouchSession(ctx context.Context, id string) error {
	return s.sessionExec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", s.now().Unix(), hashToken(id))
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.sessionExec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashToken(id))
}

// DeleteExpiredSessions removes sessions idle since before idleCutoff or
// created before absoluteCutoff.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleCutoff, absoluteCutoff time.Time) error {
	return s.sessionExec(ctx, "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", idleCutoff.Unix(), absoluteCutoff.Unix())
}
