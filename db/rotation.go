package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// RotateToken records that a token's value was replaced: the new value,
// pasted once, is fingerprinted like a registered one and discarded; the
// old fingerprint is kept among the token's former values; today becomes
// its last rotation. A value the token has or had before is refused. It
// returns what it did in a sentence ("Token rotated; new value ends …wxyz").
func (s *Store) RotateToken(ctx context.Context, actor Actor, id int64, secret string) (TokenSaved, string, error) {
	return s.RotateTokenChecked(ctx, actor, id, secret, nil)
}

// RotateTokenChecked is RotateToken with what Meta said of the new value
// (nil: Meta was not asked), kept in the same transaction.
func (s *Store) RotateTokenChecked(ctx context.Context, actor Actor, id int64, secret string, check *MetaCheckOutcome) (TokenSaved, string, error) {
	var saved TokenSaved
	var outcome string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		saved, outcome, err = s.rotateToken(ctx, tx, actor, id, secret, 0, check)
		return err
	})
	return saved, outcome, err
}

// rotateToken is RotateToken inside tx. A newResponsible other than 0 also
// hands the token to that person, in the same audit event. It returns the
// outcome in a sentence, for a checklist item that carried it out.
func (s *Store) rotateToken(ctx context.Context, tx *sql.Tx, actor Actor, id int64, secret string, newResponsible int64, check *MetaCheckOutcome) (TokenSaved, string, error) {
	saved := TokenSaved{ID: id}
	old, err := tokenValuesTx(ctx, tx, id)
	if err != nil {
		return saved, "", err
	}
	v := newValidator()
	fp, last4 := v.secret("secret", secret)
	switch {
	case v.err() != nil:
	case fp == "":
		v.fail("secret", "Paste the new value the token was rotated to.")
	case old.status == "revoked":
		v.fail("secret", "This token is revoked: register its replacement as a new token instead.")
	case fp == old.fingerprint:
		v.fail("secret", "This is the token's current value. Paste the new value it was rotated to.")
	default:
		var replacedOn string
		err := tx.QueryRowContext(ctx, "SELECT replaced_on FROM token_former_values WHERE token_id = ? AND fingerprint = ? ORDER BY id DESC LIMIT 1",
			id, fp).Scan(&replacedOn)
		switch {
		case err == nil:
			v.fail("secret", "This is a former value of this token, replaced on "+replacedOn+". Paste the new value it was rotated to.")
		case !errors.Is(err, sql.ErrNoRows):
			return saved, "", fmt.Errorf("db: read former values: %w", err)
		}
	}
	if err := v.err(); err != nil {
		return saved, "", err
	}
	vals := old
	vals.fingerprint, vals.lastFour, vals.lastRotatedOn = fp, last4, s.today()
	if newResponsible != 0 {
		vals.responsibleID = newResponsible
	}
	if saved.DuplicateOf, err = sameFingerprint(ctx, tx, fp, id); err != nil {
		return saved, "", err
	}
	expiryNote, err := s.applyMetaCheck(ctx, tx, check, &vals)
	if err != nil {
		return saved, "", err
	}
	summary := "Rotated: fingerprint " + shortFingerprint(old.fingerprint, old.lastFour) + " → " + shortFingerprint(fp, last4) + " (" + old.name + ")"
	if err := s.writeToken(ctx, tx, actor, id, old, vals, "token.rotated", summary); err != nil {
		return saved, "", err
	}
	if check != nil {
		if saved.MetaCheck, err = s.recordMetaCheck(ctx, tx, actor, id, *check, expiryNote); err != nil {
			return saved, "", err
		}
	}
	outcome := "Token rotated; new value ends …" + last4
	if last4 == "" {
		outcome = "Token rotated; new fingerprint " + shortFingerprint(fp, "")
	}
	if newResponsible != 0 {
		name, err := recordName(ctx, tx, "owner", newResponsible)
		if err != nil {
			return saved, "", err
		}
		outcome += "; reassigned to " + name
	}
	return saved, outcome, nil
}

// shortFingerprint tells values apart in a sentence: their last four
// characters where kept, else the start of the fingerprint.
func shortFingerprint(fp, last4 string) string {
	switch {
	case last4 != "":
		return "…" + last4
	case fp != "":
		return "sha256:" + fp[:8] + "…"
	}
	return "(none)"
}

// keepFormerValue files a token's old fingerprint among its former values
// when a change replaced it: rotating, or pasting a new value in its form.
func (s *Store) keepFormerValue(ctx context.Context, tx *sql.Tx, id int64, old, vals tokenValues) error {
	if old.fingerprint == "" || old.fingerprint == vals.fingerprint {
		return nil
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO token_former_values (token_id, fingerprint, last_four, replaced_on) VALUES (?, ?, ?, ?)",
		id, old.fingerprint, old.lastFour, s.today())
	if err != nil {
		return fmt.Errorf("db: keep former value: %w", err)
	}
	return nil
}

// FormerValue is a value a token had before it was rotated.
type FormerValue struct {
	Token      Token
	ReplacedOn string
}

// FormerValuesByFingerprint finds the tokens that once had a value, newest
// replacement first; like TokensByFingerprint, the value is hashed here and
// goes no further. A token whose current value it is again is left to
// TokensByFingerprint.
func (s *Store) FormerValuesByFingerprint(ctx context.Context, secret string) ([]FormerValue, error) {
	if strings.TrimSpace(secret) == "" {
		return nil, nil
	}
	return all(ctx, s.read, func(row scanner) (FormerValue, error) {
		var f FormerValue
		var err error
		f.Token, err = scanToken(withColumns{row, []any{&f.ReplacedOn}})
		return f, err
	}, "former token values", "SELECT "+tokenColumns+", h.replaced_on"+tokenFrom+formerValuesWhere, Fingerprint(secret))
}

// formerValuesWhere finds a fingerprint's former tokens by its index.
const formerValuesWhere = " JOIN token_former_values h ON h.token_id = t.id WHERE h.fingerprint = ? AND t.fingerprint <> h.fingerprint ORDER BY h.id DESC"

// withColumns scans a row's extra columns after those a scan function reads.
type withColumns struct {
	scanner
	extra []any
}

func (w withColumns) Scan(dest ...any) error { return w.scanner.Scan(append(dest, w.extra...)...) }
