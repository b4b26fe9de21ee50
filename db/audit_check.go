package db

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// auditVerifiedKey is the settings key that keeps the latest verification.
const auditVerifiedKey = "audit_verified"

// AuditVerification is the outcome of one check of the audit chain, kept in
// the settings table as JSON so the admin page can show it.
type AuditVerification struct {
	At       time.Time `json:"at"`
	Checked  int64     `json:"checked"`
	BrokenID int64     `json:"broken_id"`
	Problem  string    `json:"problem"`
	// HeadID and HeadHash are the newest event of the last check that found
	// the chain intact. A later check expects that event to be there with the
	// same hash, so cutting the newest events off (which leaves a shorter
	// chain that still links up) or rebuilding the whole chain is caught too.
	HeadID   int64  `json:"head_id,omitempty"`
	HeadHash string `json:"head_hash,omitempty"`
}

// storedVerification is a verification as kept in settings: with a MAC
// under the audit key over its JSON encoding.
type storedVerification struct {
	AuditVerification
	MAC string `json:"mac"`
}

// Intact reports whether the check found the chain whole.
func (v AuditVerification) Intact() bool { return v.BrokenID == 0 }

// VerifyAndRecordAudit verifies the audit chain (see VerifyAudit), also
// against the head the last intact check saw, records the outcome as the
// latest verification and logs the verified head, so a copy of it exists
// outside the database.
func (s *Store) VerifyAndRecordAudit(ctx context.Context) (AuditVerification, error) {
	last, found, err := s.LastAuditVerification(ctx)
	if err != nil {
		return AuditVerification{}, err
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil {
		return AuditVerification{}, err
	}
	v := s.verificationOf(res)
	if v.Intact() && found && last.HeadID > 0 {
		if err := s.checkAnchor(ctx, last, res, &v); err != nil {
			return AuditVerification{}, err
		}
	}
	if !v.Intact() && found {
		// Keep the last good head, so the next check still compares with it.
		v.HeadID, v.HeadHash = last.HeadID, last.HeadHash
	}
	return v, s.recordVerification(ctx, v)
}

// verificationOf is the verification a walk of the chain amounts to, dated now.
func (s *Store) verificationOf(res VerifyResult) AuditVerification {
	v := AuditVerification{At: s.now().Truncate(time.Second), Checked: res.Checked, BrokenID: res.BrokenID, Problem: res.Problem}
	if v.Intact() {
		v.HeadID, v.HeadHash = res.HeadID, res.HeadHash
	}
	return v
}

// recordVerification keeps v as the latest verification, MACed under the
// audit key so that a record forged in the file counts as none, and logs
// it with the head it verified; a failed check alerts the admins in the
// same transaction.
func (s *Store) recordVerification(ctx context.Context, v AuditVerification) error {
	if v.Intact() {
		s.log.Info("audit chain verified intact", "checked", v.Checked, "head_id", v.HeadID, "head_hash", v.HeadHash)
	} else {
		s.log.Error("audit chain broken", "broken_id", v.BrokenID, "problem", v.Problem, "checked", v.Checked,
			"last_good_head_id", v.HeadID, "last_good_head_hash", v.HeadHash)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("db: encode audit verification: %w", err)
	}
	value, err := json.Marshal(storedVerification{v, settingMAC(s.auditKey, auditVerifiedKey, string(body))})
	if err != nil {
		return fmt.Errorf("db: encode audit verification: %w", err)
	}
	checkedAt := formatTime(s.now())
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := putSetting(ctx, tx, auditVerifiedKey, string(value)); err != nil || v.Intact() {
			return err
		}
		return s.alertAuditVerifyFailed(ctx, tx, v, checkedAt)
	})
	if err != nil {
		return fmt.Errorf("db: record audit verification: %w", err)
	}
	return nil
}

// checkAnchor compares an intact chain with the head an earlier check saw.
func (s *Store) checkAnchor(ctx context.Context, last AuditVerification, res VerifyResult, v *AuditVerification) error {
	when := last.At.UTC().Format("2006-01-02 15:04 UTC")
	if res.HeadID < last.HeadID {
		v.BrokenID = res.HeadID + 1
		v.Problem = fmt.Sprintf("events %d to %d are missing: the check of %s saw the log up to event %d", res.HeadID+1, last.HeadID, when, last.HeadID)
		return nil
	}
	var hash string
	err := s.read.QueryRowContext(ctx, "SELECT hash FROM audit_events WHERE id = ?", last.HeadID).Scan(&hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read audit event %d: %w", last.HeadID, err)
	}
	if hash != last.HeadHash {
		// The chain links up but is not the one checked before: it was rebuilt.
		v.BrokenID = last.HeadID
		v.Problem = fmt.Sprintf("its hash differs from the one the check of %s saw: the chain was rewritten", when)
	}
	return nil
}

// LastAuditVerification returns the latest recorded verification, and false
// when the chain has never been verified.
func (s *Store) LastAuditVerification(ctx context.Context) (AuditVerification, bool, error) {
	var value string
	err := s.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", auditVerifiedKey).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditVerification{}, false, nil
	}
	if err != nil {
		return AuditVerification{}, false, fmt.Errorf("db: read audit verification: %w", err)
	}
	// A damaged or forged record is as good as none; the next check
	// replaces it.
	var stored storedVerification
	if json.Unmarshal([]byte(value), &stored) != nil {
		return AuditVerification{}, false, nil
	}
	body, err := json.Marshal(stored.AuditVerification)
	if err != nil || !hmac.Equal([]byte(stored.MAC), []byte(settingMAC(s.auditKey, auditVerifiedKey, string(body)))) {
		return AuditVerification{}, false, nil
	}
	return stored.AuditVerification, true, nil
}
