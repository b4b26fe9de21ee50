package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// User roles on the dashboard.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
	RoleViewer = "viewer"
)

// UserRoles lists the dashboard roles, most powerful first.
var UserRoles = []string{RoleAdmin, RoleEditor, RoleViewer}

// User is a dashboard login.
type User struct {
	ID          int64
	Email       string
	Role        string
	Disabled    bool
	OwnerID     int64
	OwnerName   string
	CreatedAt   string
	LastLoginAt string
	// HasPassword is false for a login that signs in only through single
	// sign-on (read by UserByID and the lists, not by sessions).
	HasPassword bool
}

// CanEdit reports whether the user may change records.
func (u User) CanEdit() bool { return !u.Disabled && (u.Role == RoleAdmin || u.Role == RoleEditor) }

// IsAdmin reports whether the user may manage users and settings.
func (u User) IsAdmin() bool { return !u.Disabled && u.Role == RoleAdmin }

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 12

// MaxPasswordBytes is the longest password accepted.
const MaxPasswordBytes = 1024

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("db: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword compares password with a PHC argon2id hash in constant time.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is compared against when the email is unknown, so an unknown
// user takes as long to refuse as a wrong password.
var dummyHash, _ = HashPassword("steward-dummy-password")

// ValidatePassword says what is wrong with password as the new password of
// the login email, or "". Every way of setting a password calls it.
func ValidatePassword(password, email string) string {
	switch n := utf8.RuneCountInString(password); {
	case !utf8.ValidString(password):
		return "The password must be UTF-8 text."
	case n < MinPasswordLength:
		return fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	case len(password) > MaxPasswordBytes:
		return fmt.Sprintf("Use at most %d bytes.", MaxPasswordBytes)
	case isCommonPassword(password):
		return "This password is on a list of commonly used passwords; choose another."
	case containsEmail(password, email):
		return "This password contains the email address or the name before its @; choose one without it."
	}
	return ""
}

const userColumns = `u.id, u.email, u.role, u.disabled, u.owner_id, COALESCE(o.display_name, ''), u.created_at, u.last_login_at, u.password_hash <> ''`
const userFrom = ` FROM users u LEFT JOIN owners o ON o.id = u.owner_id`

func scanUser(row scanner) (User, error) {
	var u User
	var owner sql.NullInt64
	err := row.Scan(&u.ID, &u.Email, &u.Role, &u.Disabled, &owner, &u.OwnerName, &u.CreatedAt, &u.LastLoginAt, &u.HasPassword)
	u.OwnerID = nullable(owner)
	return u, err
}

// CountUsers counts dashboard users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, err
}

// ListUsers lists every dashboard user.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	return all(ctx, s.read, scanUser, "users", "SELECT "+userColumns+userFrom+" ORDER BY u.email COLLATE NOCASE")
}

// UserByEmail returns the login with this email, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	return one(ctx, s.read, scanUser, "user", "SELECT "+userColumns+userFrom+" WHERE u.email = ? COLLATE NOCASE", strings.TrimSpace(email))
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return one(ctx, s.read, scanUser, "user", "SELECT "+userColumns+userFrom+" WHERE u.id = ?", id)
}

// UserInput is a new login's fields.
type UserInput struct {
	Email, Password, Role, OwnerID string
	// NoPassword makes a login that signs in only through single sign-on:
	// it has no password (until a set-password link gives it one).
	NoPassword bool
}

// CreateUser adds a dashboard login.
func (s *Store) CreateUser(ctx context.Context, actor Actor, in UserInput) (int64, error) {
	if !actor.managesLogins() {
		return 0, errOnlyAdminsChangeLogins("email")
	}
	return s.createUser(ctx, actor, in, nil)
}

// createUser is CreateUser running first, in the same transaction as the
// insert, what the caller needs done with it (spending the setup code).
func (s *Store) createUser(ctx context.Context, actor Actor, in UserInput, first func(tx *sql.Tx) error) (int64, error) {
	v := newValidator()
	email := v.email("email", in.Email, true)
	role := v.oneOf("role", in.Role, UserRoles...)
	ownerID := v.ref("owner_id", in.OwnerID, false)
	if msg := ValidatePassword(in.Password, email); msg != "" && !in.NoPassword {
		v.fail("password", msg)
	}
	if err := v.err(); err != nil {
		return 0, err
	}
	hash := "" // no password matches it, see Authenticate
	if !in.NoPassword {
		var err error
		if hash, err = s.hashPassword(ctx, in.Password); err != nil {
			return 0, err
		}
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		if err := v.exists(ctx, tx, "owner_id", "owners", ownerID); err != nil {
			return err
		}
		if err := v.err(); err != nil {
			return err
		}
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, role, owner_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, email, hash, role, nullID(ownerID), now, now)
		if isUniqueViolation(err) {
			return ValidationError{"email": "A login with this email already exists."}
		}
		if err != nil {
			return fmt.Errorf("db: insert user: %w", err)
		}
		id, _ = res.LastInsertId()
		return s.appendEvent(ctx, tx, actor, Event{Action: "user.created", Subject: Ref{"user", id},
			Summary: "Added login " + email, Changes: diff(nil, fields("email", email, "role", role)), Related: ownerRef(ownerID)})
	})
	return id, err
}

// Authenticate returns the enabled user with this email and password. Unknown
// emails, wrong passwords and disabled users all return ErrNotFound after the
// same amount of work; ErrPasswordBusy when no turn to check the password
// came in time.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	var hash string
	var id int64
	var disabled bool
	err := s.read.QueryRowContext(ctx, "SELECT id, password_hash, disabled FROM users WHERE email = ? COLLATE NOCASE",
		strings.TrimSpace(email)).Scan(&id, &hash, &disabled)
	known := err == nil && hash != ""
	if errors.Is(err, sql.ErrNoRows) || hash == "" {
		// A login without a password (single sign-on only) takes as long
		// to refuse as any other.
		hash = dummyHash
	} else if err != nil {
		return User{}, fmt.Errorf("db: read user: %w", err)
	}
	ok, err := s.passwordMatches(ctx, hash, password)
	if err != nil {
		return User{}, err
	}
	if !known || !ok || disabled {
		return User{}, ErrNotFound
	}
	return s.UserByID(ctx, id)
}

// RecordFailedSignIn audits a failed sign-in from ip. What was typed as the
// email is kept only when it is a login's: then the event is on that login,
// under the email on record. Anything else typed (a password in the wrong
// field, say) is not kept.
func (s *Store) RecordFailedSignIn(ctx context.Context, ip, email string) error {
	return s.RecordRefusedSignIn(ctx, ip, email, "")
}

// RecordRefusedSignIn is RecordFailedSignIn saying why it was refused, such
// as "single sign-on: the email is not verified".
func (s *Store) RecordRefusedSignIn(ctx context.Context, ip, email, why string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		ev := Event{Action: "user.sign_in_failed", Summary: "Failed sign-in for an unknown email"}
		var id int64
		var known string
		err := tx.QueryRowContext(ctx, "SELECT id, email FROM users WHERE email = ? COLLATE NOCASE", strings.TrimSpace(email)).Scan(&id, &known)
		switch {
		case err == nil:
			ev.Subject, ev.Summary = Ref{"user", id}, "Failed sign-in as "+known
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("db: read user: %w", err)
		}
		return s.appendEvent(ctx, tx, Actor{IP: ip, Cause: why}, ev)
	})
}

// RecordSignIn notes a successful sign-in and audits it.
func (s *Store) RecordSignIn(ctx context.Context, actor Actor) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET last_login_at = ? WHERE id = ?", formatTime(s.now()), actor.UserID); err != nil {
			return fmt.Errorf("db: record sign-in: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "user.signed_in", Subject: Ref{"user", actor.UserID}, Summary: "Signed in"})
	})
}

// SetUserRole changes a user's role and ends their sessions.
func (s *Store) SetUserRole(ctx context.Context, actor Actor, id int64, role string) error {
	v := newValidator()
	role = v.oneOf("role", role, UserRoles...)
	if err := v.err(); err != nil {
		return err
	}
	return s.changeUser(ctx, actor, id, "role", role, "user.role_changed")
}

// SetUserDisabled disables or enables a login; disabling ends its sessions.
func (s *Store) SetUserDisabled(ctx context.Context, actor Actor, id int64, disabled bool) error {
	action := "user.enabled"
	if disabled {
		action = "user.disabled"
	}
	return s.changeUser(ctx, actor, id, "disabled", yesNo(disabled), action)
}

// changeUser sets one column of a user, audits it, and ends the user's
// sessions so the change takes effect on their next request.
func (s *Store) changeUser(ctx context.Context, actor Actor, id int64, field, value, action string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.changeUserTx(ctx, tx, actor, id, field, value, action) })
}

// changeUserTx is changeUser inside the caller's transaction.
func (s *Store) changeUserTx(ctx context.Context, tx *sql.Tx, actor Actor, id int64, field, value, action string) error {
	if !actor.managesLogins() {
		return errOnlyAdminsChangeLogins(field)
	}
	var email, role string
	var disabled bool
	err := tx.QueryRowContext(ctx, "SELECT email, role, disabled FROM users WHERE id = ?", id).Scan(&email, &role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("db: read user: %w", err)
	}
	before := map[string]string{"role": role, "disabled": yesNo(disabled)}[field]
	if before == value {
		return nil
	}
	if (field == "role" && role == RoleAdmin) || (field == "disabled" && value == "yes" && role == RoleAdmin) {
		var admins int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?", id).Scan(&admins); err != nil {
			return fmt.Errorf("db: count admins: %w", err)
		}
		if admins == 0 {
			return ValidationError{field: "Steward needs at least one enabled admin."}
		}
	}
	query := "UPDATE users SET role = ?, updated_at = ? WHERE id = ?"
	var arg any = value
	if field == "disabled" {
		query, arg = "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", value == "yes"
	}
	if _, err := tx.ExecContext(ctx, query, arg, formatTime(s.now()), id); err != nil {
		return fmt.Errorf("db: update user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
		return fmt.Errorf("db: end sessions: %w", err)
	}
	return s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"user", id},
		Summary: fmt.Sprintf("Changed %s of login %s", field, email), Changes: []Change{{Field: field, Before: before, After: value}}})
}

// errOnlyAdminsChangeLogins refuses a change to logins asked for by anyone
// but an admin or Steward itself. Routes already keep others out; the store
// checks again because logins are reached by other paths too (departures,
// imports, checklists), and each must check who asks.
func errOnlyAdminsChangeLogins(field string) error {
	return ValidationError{field: "Only an admin can add, change or disable a Steward login."}
}

// disableLoginsOfOwner disables every enabled login linked to a departed
// owner and ends its sessions, inside the caller's transaction. Only an
// admin (or Steward itself) disables logins: when an editor marks someone
// departed, by form, import or checklist, their logins stay enabled for an
// admin to disable, which the owner's checklist item "Disable their Steward
// login" and the home page's departed-with-login finding ask for.
func (s *Store) disableLoginsOfOwner(ctx context.Context, tx *sql.Tx, actor Actor, ownerID int64) error {
	if !actor.managesLogins() {
		return nil
	}
	// Never the last enabled admin: nobody could sign in to manage logins.
	var theirAdmins, otherAdmins int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE owner_id = ?1), COUNT(*) FILTER (WHERE owner_id IS NOT ?1)
		FROM users WHERE role = 'admin' AND disabled = 0`, ownerID).Scan(&theirAdmins, &otherAdmins); err != nil {
		return fmt.Errorf("db: count admins: %w", err)
	}
	if theirAdmins > 0 && otherAdmins == 0 {
		return ValidationError{"status": "This person's login is Steward's only enabled admin. Make another login admin first (Admin → Users), then mark them departed."}
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, email FROM users WHERE owner_id = ? AND disabled = 0", ownerID)
	if err != nil {
		return fmt.Errorf("db: find owner's logins: %w", err)
	}
	type login struct {
		id    int64
		email string
	}
	var logins []login
	for rows.Next() {
		var l login
		if err := rows.Scan(&l.id, &l.email); err != nil {
			rows.Close()
			return err
		}
		logins = append(logins, l)
	}
	rows.Close()
	for _, l := range logins {
		if _, err := tx.ExecContext(ctx, "UPDATE users SET disabled = 1, updated_at = ? WHERE id = ?", formatTime(s.now()), l.id); err != nil {
			return fmt.Errorf("db: disable login: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = ?", l.id); err != nil {
			return fmt.Errorf("db: end sessions: %w", err)
		}
		if err := s.appendEvent(ctx, tx, actor, Event{Action: "user.disabled", Subject: Ref{"user", l.id},
			Summary: "Disabled login " + l.email + " because its owner departed", Related: ownerRef(ownerID),
			Changes: []Change{{Field: "disabled", Before: "no", After: "yes"}}}); err != nil {
			return err
		}
	}
	return nil
}

// NewSetupCode makes a one-time code that lets whoever holds it create the
// first admin; only its hash is kept.
func (s *Store) NewSetupCode(ctx context.Context) (string, error) {
	code := randomToken(24)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM setup_codes"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO setup_codes (code_hash, created_at) VALUES (?, ?)", hashToken(code), formatTime(s.now()))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("db: save setup code: %w", err)
	}
	return code, nil
}

// SetupCodeValid reports whether code is the current setup code and no user exists yet.
func (s *Store) SetupCodeValid(ctx context.Context, code string) bool {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM setup_codes WHERE code_hash = ?
		AND NOT EXISTS (SELECT 1 FROM users)`, hashToken(code)).Scan(&n)
	return err == nil && n == 1
}

// CreateFirstAdmin creates the first admin with a setup code. The code is
// spent in the transaction that inserts the admin, and only while no login
// exists, so of parallel requests with the code exactly one succeeds.
func (s *Store) CreateFirstAdmin(ctx context.Context, actor Actor, code, email, password string) (int64, error) {
	used := func() error {
		return ValidationError{"code": "This setup link has been used or has expired. Restart Steward for a new one."}
	}
	// Checked before the password is hashed, too: without the code, nobody
	// can make Steward hash anything here.
	if !s.SetupCodeValid(ctx, code) {
		return 0, used()
	}
	return s.createUser(ctx, actor, UserInput{Email: email, Password: password, Role: RoleAdmin}, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM setup_codes WHERE code_hash = ? AND NOT EXISTS (SELECT 1 FROM users)", hashToken(code))
		if err != nil {
			return fmt.Errorf("db: spend setup code: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return used()
		}
		return nil
	})
}

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("db: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// UsersLinkedTo lists the logins linked to an owner.
func (s *Store) UsersLinkedTo(ctx context.Context, ownerID int64) ([]User, error) {
	return all(ctx, s.read, scanUser, "users of owner", "SELECT "+userColumns+userFrom+" WHERE u.owner_id = ? ORDER BY u.email", ownerID)
}
