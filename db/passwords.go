package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// commonPasswords is the set of zxcvbn's 30,000 most used passwords
// (github.com/trustelem/zxcvbn, MIT licence) that are long enough to pass
// the length rule; shorter ones are refused for their length already.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, p := range frequency.FrequencyLists["passwords"] {
		if utf8.RuneCountInString(p) >= MinPasswordLength {
			set[strings.ToLower(p)] = true
		}
	}
	return set
})

// isCommonPassword reports whether password is on the list, in any case.
func isCommonPassword(password string) bool {
	return commonPasswords()[strings.ToLower(strings.TrimSpace(password))]
}

// minEmailNameInPassword is the shortest part of an email before its @ that
// a password may not contain: shorter names ("al", "bob") are too often
// part of ordinary words.
const minEmailNameInPassword = 4

// containsEmail reports whether password contains the email address, or its
// part before the @ when that is long enough, in any case.
func containsEmail(password, email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return false
	}
	password = strings.ToLower(password)
	name, _, _ := strings.Cut(email, "@")
	return strings.Contains(password, email) ||
		(utf8.RuneCountInString(name) >= minEmailNameInPassword && strings.Contains(password, name))
}

// ChangePassword sets a login's own password once its current password is
// confirmed, and ends every session of the login except keepSession (the
// ID of the session asking), all in one transaction with its audit event.
func (s *Store) ChangePassword(ctx context.Context, actor Actor, userID int64, current, next, keepSession string) error {
	var email, hash string
	err := s.read.QueryRowContext(ctx, "SELECT email, password_hash FROM users WHERE id = ?", userID).Scan(&email, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("db: read user: %w", err)
	}
	v := newValidator()
	matches, err := s.passwordMatches(ctx, hash, current)
	if err != nil {
		return err
	}
	if !matches {
		v.fail("current_password", "That is not your current password. Type the password you sign in with.")
	} else if next == current {
		v.fail("new_password", "This is your current password; choose a new one.")
	}
	if msg := ValidatePassword(next, email); msg != "" {
		v.fail("new_password", msg)
	}
	if err := v.err(); err != nil {
		return err
	}
	newHash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Only if the password checked above is still the login's: of two
		// changes sent at once with the same current password, one wins.
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND password_hash = ?",
			newHash, formatTime(s.now()), userID, hash)
		if err != nil {
			return fmt.Errorf("db: change password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ValidationError{"current_password": "Your password has just been changed elsewhere. Type the password you sign in with now."}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?", userID, hashToken(keepSession)); err != nil {
			return fmt.Errorf("db: end other sessions: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "user.password_changed", Subject: Ref{"user", userID},
			Summary: "Changed the password of login " + email + "; its other sessions ended"})
	})
}

// PasswordLinkLifetime is how long a set-password link works.
const PasswordLinkLifetime = 24 * time.Hour

// passwordLinkBytes is how many random bytes a set-password link's token has.
const passwordLinkBytes = 32

// ErrPasswordLinkInvalid answers a set-password link that is unknown,
// expired or used.
var ErrPasswordLinkInvalid = errors.New("db: set-password link unknown, expired or used")

// IssuePasswordLink makes a one-time token with which whoever holds it may
// set the login's password, until it expires. Only the token's hash is
// kept; an earlier link for the login stops working.
func (s *Store) IssuePasswordLink(ctx context.Context, actor Actor, userID int64) (token string, expires time.Time, err error) {
	if !actor.managesLogins() {
		return "", time.Time{}, errOnlyAdminsChangeLogins("password")
	}
	token = randomToken(passwordLinkBytes)
	now := s.now()
	expires = now.Add(PasswordLinkLifetime)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, "SELECT email FROM users WHERE id = ?", userID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read user: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM password_links WHERE user_id = ?", userID); err != nil {
			return fmt.Errorf("db: end earlier password links: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO password_links (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
			userID, hashToken(token), formatTime(now), formatTime(expires)); err != nil {
			return fmt.Errorf("db: save password link: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "user.password_reset_issued", Subject: Ref{"user", userID},
			Summary: "Issued a set-password link for login " + email + ", valid until " + formatTime(expires)})
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// PasswordLinkLogin returns the login a set-password link is for while the
// link is unused and unexpired, else ErrPasswordLinkInvalid.
func (s *Store) PasswordLinkLogin(ctx context.Context, token string) (User, error) {
	var userID int64
	err := s.read.QueryRowContext(ctx, "SELECT user_id FROM password_links WHERE token_hash = ? AND used_at = '' AND expires_at > ?",
		hashToken(token), formatTime(s.now())).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrPasswordLinkInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("db: read password link: %w", err)
	}
	return s.UserByID(ctx, userID)
}

// SetPasswordWithLink sets the password of a set-password link's login and
// uses the link up, in one transaction that also ends all the login's
// sessions: of several uses of one link, exactly one succeeds. It leaves a
// disabled login disabled. The event is the login's own, from actor's address.
func (s *Store) SetPasswordWithLink(ctx context.Context, actor Actor, token, password string) error {
	u, err := s.PasswordLinkLogin(ctx, token)
	if err != nil {
		return err
	}
	if msg := ValidatePassword(password, u.Email); msg != "" {
		return ValidationError{"password": msg}
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	actor.UserID, actor.Email = u.ID, u.Email
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, "UPDATE password_links SET used_at = ? WHERE token_hash = ? AND user_id = ? AND used_at = '' AND expires_at > ?",
			now, hashToken(token), u.ID, now)
		if err != nil {
			return fmt.Errorf("db: use password link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrPasswordLinkInvalid
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now, u.ID); err != nil {
			return fmt.Errorf("db: set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", u.ID); err != nil {
			return fmt.Errorf("db: end sessions: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "user.password_set", Subject: Ref{"user", u.ID},
			Summary: "Set the password of login " + u.Email + " with a set-password link; its sessions ended"})
	})
}
