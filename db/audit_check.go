package db

import (
	"context"
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

// Intact reports whether the check found the chain whole.
func (v AuditVerification) Intact() bool { return v.BrokenID == 0 }

// VerifyAndRecordAudit verifies the audit chain, also against the head the
// last intact check saw, and records the outcome as the latest verification.
func (s *Store) VerifyAndRecordAudit(ctx context.Context) (AuditVerification, error) {
	last, found, err := s.LastAuditVerification(ctx)
	if err != nil {
		return AuditVerification{}, err
	}
	res, err := s.VerifyAudit(ctx)
	if err != nil {
		return AuditVerification{}, err
	}
	v := AuditVerification{At: s.now().Truncate(time.Second), Checked: res.Checked, BrokenID: res.BrokenID, Problem: res.Problem}
	if v.Intact() && found && last.HeadID > 0 {
		if err := s.checkAnchor(ctx, last, res, &v); err != nil {
			return AuditVerification{}, err
		}
	}
	if v.Intact() {
		v.HeadID, v.HeadHash = res.HeadID, res.HeadHash
	} else if found {
		// Keep the last good head, so the next check still compares with it.
		v.HeadID, v.HeadHash = last.HeadID, last.HeadHash
	}
	value, err := json.Marshal(v)
	if err != nil {
		return v, fmt.Errorf("db: encode audit verification: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, auditVerifiedKey, string(value))
		return err
	})
	if err != nil {
		return v, fmt.Errorf("db: record audit verification: %w", err)
	}
	return v, nil
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
	var v AuditVerification
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		// A damaged record is as good as none; the next check replaces it.
		return AuditVerification{}, false, nil
	}
	return v, true, nil
}
