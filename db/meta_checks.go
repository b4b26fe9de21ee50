package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MetaCheckOutcome is what happened when Steward asked Meta about a pasted
// token value: the check Meta answered with, or why it could not be asked.
type MetaCheckOutcome struct {
	Check MetaTokenCheck
	// Failure says, in words, why Meta could not be asked (unreachable, a
	// refused app, …); "" when Meta answered. Check is then zero.
	Failure string
}

// TokenMetaCheck is a check as the store keeps it: Meta's answer with the
// asset IDs and the user ID matched to Steward's records.
type TokenMetaCheck struct {
	MetaTokenCheck
	Failure string
	// Reached are the granular scopes' assets Steward records as accounts
	// (by external ID); Unknown are the asset IDs it does not.
	Reached []MetaReachedAccount
	Unknown []MetaGrantedAsset
	// SystemUserID is the system user whose external ID is Meta's user ID
	// (0: none recorded).
	SystemUserID   int64
	SystemUserName string
}

// MetaReachedAccount is an account a checked token reaches, by its
// granular scopes.
type MetaReachedAccount struct {
	AccountID int64
	Name      string
	AssetID   string
	Scopes    []string
}

// checkedAsset is one element of token_meta_checks.assets.
type checkedAsset struct {
	ID        string   `json:"id"`
	Scopes    []string `json:"scopes"`
	AccountID int64    `json:"account_id"`
}

// applyMetaCheck applies a valid check to a token's values before they
// are written. Meta knows when the value stops working, so its expiry (or
// "never") replaces the form's; fields left blank are filled from what
// Meta said: issued on, scopes, the system user it is issued to (by
// external ID) and the accounts it reaches (by name, or by Meta's ID when
// Steward records none). It returns a sentence saying
// what changed, "" when nothing did.
func (s *Store) applyMetaCheck(ctx context.Context, tx *sql.Tx, o *MetaCheckOutcome, vals *tokenValues) (string, error) {
	if o == nil || o.Failure != "" || !o.Check.Valid {
		return "", nil
	}
	c := o.Check
	var notes, filled []string
	if note := s.metaExpiry(c, vals); note != "" {
		notes = append(notes, note)
	}
	// Meta's issue date fills a blank one, and replaces one after Meta's
	// expiry, which no later save of the record would accept.
	if !c.IssuedAt.IsZero() && (vals.issuedOn == "" || (vals.expiresOn != "" && vals.issuedOn > vals.expiresOn)) {
		vals.issuedOn, filled = c.IssuedAt.In(s.now().Location()).Format("2006-01-02"), append(filled, "issued on")
	}
	if vals.scopes == "" && len(c.Scopes) > 0 {
		vals.scopes, filled = strings.Join(c.Scopes, ", "), append(filled, "scopes")
	}
	if vals.systemUserID == 0 && vals.ownerID == 0 && c.UserID != "" {
		id, _, err := matchMetaUser(ctx, tx, c.UserID)
		if err != nil {
			return "", err
		}
		if id != 0 {
			vals.systemUserID, filled = id, append(filled, "issued to")
		}
	}
	if vals.assets == "" {
		var names []string
		for _, a := range c.Assets {
			_, name, err := matchMetaAsset(ctx, tx, a.ID)
			if err != nil {
				return "", err
			}
			if name == "" {
				name = "Meta asset " + a.ID // not recorded in Steward
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		if len(names) > 0 {
			vals.assets, filled = strings.Join(names, ", "), append(filled, "assets it reaches")
		}
	}
	if len(filled) > 0 {
		notes = append(notes, "Filled in from Meta: "+strings.Join(filled, ", ")+".")
	}
	return strings.Join(notes, " "), nil
}

// metaExpiry puts Meta's expiry in vals and returns a sentence when it
// differed from the form's.
func (s *Store) metaExpiry(c MetaTokenCheck, vals *tokenValues) string {
	meta := "" // never expires
	if !c.NeverExpires && !c.ExpiresAt.IsZero() {
		meta = c.ExpiresAt.In(s.now().Location()).Format("2006-01-02")
	} else if !c.NeverExpires {
		return "" // Meta said nothing of its expiry
	}
	if meta == vals.expiresOn {
		return ""
	}
	form := "had no date"
	if vals.expiresOn != "" {
		form = "said " + vals.expiresOn
	}
	vals.expiresOn = meta
	if meta == "" {
		return "Meta says it never expires (the record " + form + "): recorded as never expiring."
	}
	return "Meta says it expires on " + meta + " (the record " + form + "): Meta's date is recorded."
}

// matchMetaAsset is the account whose external ID is Meta's asset ID (an
// ad account's with or without "act_"), the active one first; 0 and ""
// when Steward records none.
func matchMetaAsset(ctx context.Context, tx *sql.Tx, assetID string) (int64, string, error) {
	var id int64
	var name string
	err := tx.QueryRowContext(ctx, `SELECT id, display_name FROM accounts WHERE external_id IN (?, ?) AND external_id <> ''
		ORDER BY status = 'active' DESC, id LIMIT 1`, assetID, "act_"+assetID).Scan(&id, &name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("db: match Meta asset: %w", err)
	}
	return id, name, nil
}

// matchMetaUser is the system user whose external ID is Meta's user ID,
// the active one first; 0 and "" when Steward records none.
func matchMetaUser(ctx context.Context, tx *sql.Tx, userID string) (int64, string, error) {
	var id int64
	var name string
	err := tx.QueryRowContext(ctx, "SELECT id, name FROM system_users WHERE external_id = ? ORDER BY status = 'active' DESC, id LIMIT 1",
		userID).Scan(&id, &name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("db: match Meta user: %w", err)
	}
	return id, name, nil
}

// recordMetaCheck keeps o for token id inside tx, matching its assets to
// accounts and its user to a system user by external ID, with its audit
// event on the token's timeline. expiryNote is metaExpiry's sentence. It
// returns the event's summary.
func (s *Store) recordMetaCheck(ctx context.Context, tx *sql.Tx, actor Actor, id int64, o MetaCheckOutcome, expiryNote string) (string, error) {
	c := o.Check
	checkedAt := c.CheckedAt
	if checkedAt.IsZero() {
		checkedAt = s.now()
	}
	var assets []checkedAsset
	var related []Ref
	var reached []string
	unknown := 0
	for _, a := range c.Assets {
		accountID, name, err := matchMetaAsset(ctx, tx, a.ID)
		if err != nil {
			return "", err
		}
		if accountID != 0 {
			related = append(related, Ref{"account", accountID})
			reached = append(reached, name)
		} else {
			unknown++
		}
		assets = append(assets, checkedAsset{ID: a.ID, Scopes: nonNil(a.Scopes), AccountID: accountID})
	}
	var systemUserID int64
	var systemUserName string
	if c.UserID != "" {
		var err error
		if systemUserID, systemUserName, err = matchMetaUser(ctx, tx, c.UserID); err != nil {
			return "", err
		}
		if systemUserID != 0 {
			related = append(related, Ref{"system_user", systemUserID})
		}
	}
	scopesJSON, _ := json.Marshal(nonNil(c.Scopes))
	assetsJSON, _ := json.Marshal(nonNilAssets(assets))
	_, err := tx.ExecContext(ctx, `INSERT INTO token_meta_checks (token_id, checked_at, failure, valid, never_expires, expires_at,
		data_access_expires_at, issued_at, type, app_id, application, meta_user_id, system_user_id, scopes, assets, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, formatTime(checkedAt), o.Failure, c.Valid, c.NeverExpires, timeOrEmpty(c.ExpiresAt), timeOrEmpty(c.DataAccessExpiresAt),
		timeOrEmpty(c.IssuedAt), c.Type, c.AppID, c.Application, c.UserID, nullID(systemUserID), string(scopesJSON), string(assetsJSON), c.Error)
	if err != nil {
		return "", fmt.Errorf("db: record Meta check: %w", err)
	}
	summary := metaCheckSummary(o, reached, unknown, systemUserName, expiryNote)
	return summary, s.appendEvent(ctx, tx, actor, Event{Action: "token.checked", Subject: Ref{"token", id}, Summary: summary, Related: related})
}

// metaCheckSummary says what a check found, in one sentence for the
// timeline and the message after saving.
func metaCheckSummary(o MetaCheckOutcome, reached []string, unknown int, systemUser, expiryNote string) string {
	if o.Failure != "" {
		return "Not checked with Meta: " + o.Failure
	}
	c := o.Check
	if !c.Valid {
		s := "Checked with Meta: not valid"
		if c.Error != "" {
			s += " (" + strings.TrimSuffix(c.Error, ".") + ")"
		}
		return s + ". Mark it revoked unless it was replaced."
	}
	parts := []string{"valid"}
	switch {
	case c.NeverExpires:
		parts = append(parts, "never expires")
	case !c.ExpiresAt.IsZero():
		parts = append(parts, "expires "+c.ExpiresAt.UTC().Format("2006-01-02"))
	}
	switch len(reached) {
	case 0:
	case 1:
		parts = append(parts, "reaches "+reached[0])
	default:
		parts = append(parts, fmt.Sprintf("reaches %d accounts (%s)", len(reached), strings.Join(reached, ", ")))
	}
	if unknown > 0 {
		ids := "IDs"
		if unknown == 1 {
			ids = "ID"
		}
		parts = append(parts, fmt.Sprintf("%d asset %s not recorded in Steward", unknown, ids))
	}
	if systemUser != "" {
		parts = append(parts, "issued to system user "+systemUser)
	} else if c.UserID != "" {
		parts = append(parts, "issued to Meta user "+c.UserID+", not recorded as a system user")
	}
	s := "Checked with Meta: " + strings.Join(parts, ", ") + "."
	if expiryNote != "" {
		s += " " + expiryNote
	}
	return s
}

// LatestMetaCheck is the newest check of token id; found is false when it
// was never checked.
func (s *Store) LatestMetaCheck(ctx context.Context, id int64) (c TokenMetaCheck, found bool, err error) {
	checks, err := latestMetaChecks(ctx, s.read, []int64{id})
	c, found = checks[id]
	return c, found, err
}

// LatestMetaChecks are the newest checks of the tokens ids, by token ID;
// a token never checked has none. Two queries read them however many
// tokens there are, so a page of a list costs no query per row.
func (r Snapshot) LatestMetaChecks(ctx context.Context, ids []int64) (map[int64]TokenMetaCheck, error) {
	return latestMetaChecks(ctx, r.tx, ids)
}

// latestMetaChecksSQL reads the newest check of each of n tokens, each
// found by the index on (token_id, id).
func latestMetaChecksSQL(n int) string {
	return `SELECT m.token_id, m.checked_at, m.failure, m.valid, m.never_expires, m.expires_at, m.data_access_expires_at,
		m.issued_at, m.type, m.app_id, m.application, m.meta_user_id, m.system_user_id, COALESCE(su.name, ''), m.scopes, m.assets, m.error
		FROM token_meta_checks m LEFT JOIN system_users su ON su.id = m.system_user_id
		WHERE m.id IN (SELECT MAX(id) FROM token_meta_checks WHERE token_id IN (?` + strings.Repeat(", ?", n-1) + `) GROUP BY token_id)`
}

func latestMetaChecks(ctx context.Context, q querier, ids []int64) (map[int64]TokenMetaCheck, error) {
	out := map[int64]TokenMetaCheck{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, latestMetaChecksSQL(len(ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("db: read Meta checks: %w", err)
	}
	defer rows.Close()
	assets := map[int64][]checkedAsset{}
	for rows.Next() {
		var c TokenMetaCheck
		var tokenID int64
		var checkedAt, expiresAt, dataAccess, issuedAt, scopesJSON, assetsJSON string
		var systemUserID sql.NullInt64
		if err := rows.Scan(&tokenID, &checkedAt, &c.Failure, &c.Valid, &c.NeverExpires, &expiresAt, &dataAccess, &issuedAt, &c.Type,
			&c.AppID, &c.Application, &c.UserID, &systemUserID, &c.SystemUserName, &scopesJSON, &assetsJSON, &c.Error); err != nil {
			return nil, fmt.Errorf("db: read Meta check: %w", err)
		}
		c.SystemUserID = systemUserID.Int64
		c.CheckedAt, c.ExpiresAt, c.DataAccessExpiresAt, c.IssuedAt = parseStoredTime(checkedAt), parseStoredTime(expiresAt),
			parseStoredTime(dataAccess), parseStoredTime(issuedAt)
		var a []checkedAsset
		if err := json.Unmarshal([]byte(scopesJSON), &c.Scopes); err != nil {
			return nil, fmt.Errorf("db: read Meta check scopes: %w", err)
		}
		if err := json.Unmarshal([]byte(assetsJSON), &a); err != nil {
			return nil, fmt.Errorf("db: read Meta check assets: %w", err)
		}
		out[tokenID], assets[tokenID] = c, a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read Meta checks: %w", err)
	}
	names, err := accountNames(ctx, q, assets)
	if err != nil {
		return nil, err
	}
	for tokenID, a := range assets {
		c := out[tokenID]
		for _, asset := range a {
			c.Assets = append(c.Assets, MetaGrantedAsset{ID: asset.ID, Scopes: asset.Scopes})
			if name, ok := names[asset.AccountID]; ok {
				c.Reached = append(c.Reached, MetaReachedAccount{AccountID: asset.AccountID, Name: name, AssetID: asset.ID, Scopes: asset.Scopes})
			} else {
				c.Unknown = append(c.Unknown, MetaGrantedAsset{ID: asset.ID, Scopes: asset.Scopes})
			}
		}
		out[tokenID] = c
	}
	return out, nil
}

// accountNames reads the display names of the accounts the checks' assets
// were matched to, in one query.
func accountNames(ctx context.Context, q querier, assets map[int64][]checkedAsset) (map[int64]string, error) {
	var ids []any
	seen := map[int64]bool{}
	for _, a := range assets {
		for _, asset := range a {
			if asset.AccountID != 0 && !seen[asset.AccountID] {
				seen[asset.AccountID] = true
				ids = append(ids, asset.AccountID)
			}
		}
	}
	names := map[int64]string{}
	if len(ids) == 0 {
		return names, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT id, display_name FROM accounts WHERE id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", ids...)
	if err != nil {
		return nil, fmt.Errorf("db: read checked accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// IsMetaAccount reports whether account id (as a form gives it) is on Meta.
func (s *Store) IsMetaAccount(ctx context.Context, id string) (bool, error) {
	var platform string
	err := s.read.QueryRowContext(ctx, "SELECT platform FROM accounts WHERE id = ?", strings.TrimSpace(id)).Scan(&platform)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: read account's platform: %w", err)
	}
	return isMeta(platform), nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilAssets(a []checkedAsset) []checkedAsset {
	if a == nil {
		return []checkedAsset{}
	}
	return a
}
