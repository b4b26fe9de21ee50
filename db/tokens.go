package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// TokenKinds lists the kinds of credential a token record can describe.
var TokenKinds = []string{"system_user_token", "personal_access_token", "api_key", "oauth_client",
	"service_account_key", "webhook_secret", "other"}

// TokenStatuses lists a token's statuses.
var TokenStatuses = []string{"active", "revoked", "expired"}

// ExpiringSoonDays is how far ahead "expires soon" looks.
const ExpiringSoonDays = 30

// Token is the record of a credential. It never holds the secret: only a
// SHA-256 fingerprint and the last four characters of a value pasted once.
type Token struct {
	ID                 int64
	Name               string
	Kind               string
	AccountID          int64
	AccountName        string
	Platform           string
	SystemUserID       int64
	SystemUserName     string
	OwnerID            int64 // issued to a person
	OwnerName          string
	IntegrationID      int64
	IntegrationName    string
	IntegrationStatus  string
	ResponsibleOwnerID int64
	ResponsibleName    string
	ResponsibleStatus  string
	CreatedByOwnerID   int64
	CreatedByName      string
	CreatedByStatus    string
	Scopes             string
	Assets             string
	IssuedOn           string
	ExpiresOn          string // "" means it never expires
	LastRotatedOn      string
	LastReviewedOn     string
	StoredIn           string
	Fingerprint        string
	LastFour           string
	Status             string
	Notes              string
	CreatedAt          string
	UpdatedAt          string
}

// NeverExpires reports whether the token has no expiry date.
func (t Token) NeverExpires() bool { return t.ExpiresOn == "" }

// TokenExpiredActive is the effective status of a token past its expiry
// date whose record still says active: expired in fact, active on paper.
// Views give it one label wherever a token's status shows
// (components.StatusLabel).
const TokenExpiredActive = "expired-active"

// EffectiveStatus is the status to show on date today: the record's, or
// TokenExpiredActive for an active token past its expiry date.
func (t Token) EffectiveStatus(today string) string {
	if t.Status == "active" && t.ExpiresOn != "" && t.ExpiresOn < today {
		return TokenExpiredActive
	}
	return t.Status
}

// HolderName is who the token was issued to: a system user or a person.
func (t Token) HolderName() string {
	if t.SystemUserName != "" {
		return t.SystemUserName
	}
	return t.OwnerName
}

// TokenInput is a token's editable fields as a form or an import row gives
// them. Secret is the token's value, if the user pasted it: it is turned into
// a fingerprint and never stored.
type TokenInput struct {
	Name, Kind, AccountID, SystemUserID, OwnerID, IntegrationID, ResponsibleOwnerID, CreatedByOwnerID string
	Scopes, Assets, IssuedOn, ExpiresOn, LastRotatedOn, LastReviewedOn, StoredIn, Status, Notes       string
	Secret                                                                                            string
	// MetaCheck is what Meta said of Secret when it was asked before the
	// value was dropped (nil: not asked); the token is saved with it.
	// No form or import column fills it.
	MetaCheck *MetaCheckOutcome
}

// TokenFields is the field table of TokenInput: its form, import and export columns, and the secret its form takes.
var TokenFields = Fields[TokenInput]{
	{FieldSpec{Name: "name", Required: true}, func(in *TokenInput) *string { return &in.Name }},
	{FieldSpec{Name: "kind", Required: true, Enum: TokenKinds, Keep: true}, func(in *TokenInput) *string { return &in.Kind }},
	{FieldSpec{Name: "account_id", Ref: "account"}, func(in *TokenInput) *string { return &in.AccountID }},
	{FieldSpec{Name: "system_user_id", Ref: "system_user"}, func(in *TokenInput) *string { return &in.SystemUserID }},
	{FieldSpec{Name: "owner_id", Ref: "owner"}, func(in *TokenInput) *string { return &in.OwnerID }},
	{FieldSpec{Name: "integration_id", Ref: "integration"}, func(in *TokenInput) *string { return &in.IntegrationID }},
	{FieldSpec{Name: "responsible_owner_id", Ref: "owner"}, func(in *TokenInput) *string { return &in.ResponsibleOwnerID }},
	{FieldSpec{Name: "created_by_owner_id", Ref: "owner"}, func(in *TokenInput) *string { return &in.CreatedByOwnerID }},
	{FieldSpec{Name: "scopes"}, func(in *TokenInput) *string { return &in.Scopes }},
	{FieldSpec{Name: "assets"}, func(in *TokenInput) *string { return &in.Assets }},
	{FieldSpec{Name: "issued_on"}, func(in *TokenInput) *string { return &in.IssuedOn }},
	{FieldSpec{Name: "expires_on"}, func(in *TokenInput) *string { return &in.ExpiresOn }},
	{FieldSpec{Name: "last_rotated_on"}, func(in *TokenInput) *string { return &in.LastRotatedOn }},
	{FieldSpec{Name: "last_reviewed_on"}, func(in *TokenInput) *string { return &in.LastReviewedOn }},
	{FieldSpec{Name: "stored_in"}, func(in *TokenInput) *string { return &in.StoredIn }},
	{FieldSpec{Name: "status", Enum: TokenStatuses, Keep: true}, func(in *TokenInput) *string { return &in.Status }},
	{FieldSpec{Name: "notes"}, func(in *TokenInput) *string { return &in.Notes }},
	{FieldSpec{Name: "secret", Secret: true}, func(in *TokenInput) *string { return &in.Secret }},
}

// Input returns the token's fields for an edit form; Secret stays empty.
func (t Token) Input() TokenInput {
	return TokenInput{Name: t.Name, Kind: t.Kind, AccountID: idString(t.AccountID), SystemUserID: idString(t.SystemUserID),
		OwnerID: idString(t.OwnerID), IntegrationID: idString(t.IntegrationID), ResponsibleOwnerID: idString(t.ResponsibleOwnerID),
		CreatedByOwnerID: idString(t.CreatedByOwnerID), Scopes: t.Scopes, Assets: t.Assets, IssuedOn: t.IssuedOn,
		ExpiresOn: t.ExpiresOn, LastRotatedOn: t.LastRotatedOn, LastReviewedOn: t.LastReviewedOn, StoredIn: t.StoredIn, Status: t.Status, Notes: t.Notes}
}

type tokenValues struct {
	name, kind, scopes, assets, issuedOn, expiresOn, lastRotatedOn, lastReviewedOn, storedIn, status, notes string
	accountID, systemUserID, ownerID, integrationID, responsibleID, createdByID                             int64
	fingerprint, lastFour                                                                                   string
}

// Fingerprint is the hex SHA-256 of a token's value, after trimming the
// white space a copy and paste brings along.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}

// lastFour keeps the last four characters of a long value only, so a short
// secret is not half given away.
func lastFour(secret string) string {
	secret = strings.TrimSpace(secret)
	if utf8.RuneCountInString(secret) < 16 {
		return ""
	}
	r := []rune(secret)
	return string(r[len(r)-4:])
}

func (in TokenInput) validate() (tokenValues, *validator) {
	v := newValidator()
	if in.Status == "" {
		in.Status = "active"
	}
	out := tokenValues{
		name:           v.line("name", in.Name, true, 200),
		kind:           v.oneOf("kind", in.Kind, TokenKinds...),
		accountID:      v.ref("account_id", in.AccountID, false),
		systemUserID:   v.ref("system_user_id", in.SystemUserID, false),
		ownerID:        v.ref("owner_id", in.OwnerID, false),
		integrationID:  v.ref("integration_id", in.IntegrationID, false),
		responsibleID:  v.ref("responsible_owner_id", in.ResponsibleOwnerID, false),
		createdByID:    v.ref("created_by_owner_id", in.CreatedByOwnerID, false),
		scopes:         v.text("scopes", in.Scopes, false, 4000),
		assets:         v.text("assets", in.Assets, false, 4000),
		issuedOn:       v.date("issued_on", in.IssuedOn, false),
		expiresOn:      v.date("expires_on", in.ExpiresOn, false),
		lastRotatedOn:  v.date("last_rotated_on", in.LastRotatedOn, false),
		lastReviewedOn: v.date("last_reviewed_on", in.LastReviewedOn, false),
		storedIn:       v.line("stored_in", in.StoredIn, false, 500),
		status:         v.oneOf("status", in.Status, TokenStatuses...),
		notes:          v.text("notes", in.Notes, false, 10000),
	}
	if out.systemUserID != 0 && out.ownerID != 0 {
		v.fail("owner_id", "A token is issued to a system user or a person, not both.")
	}
	if out.issuedOn != "" && out.expiresOn != "" && out.expiresOn < out.issuedOn {
		v.fail("expires_on", "A token cannot expire before it was issued.")
	}
	out.fingerprint, out.lastFour = v.secret("secret", in.Secret)
	return out, v
}

// secret checks a pasted token value and returns its fingerprint and last
// four characters, both empty when nothing was pasted. The value goes no
// further.
func (v *validator) secret(field, value string) (fingerprint, last4 string) {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		return "", ""
	case len(value) > 8192:
		v.fail(field, "At most 8192 characters.")
		return "", ""
	}
	return Fingerprint(value), lastFour(value)
}

// fingerprintLabel shows a fingerprint in the audit log: enough to compare,
// never the value.
func fingerprintLabel(fp, last4 string) string {
	if fp == "" {
		return ""
	}
	label := "sha256:" + fp[:12] + "…"
	if last4 != "" {
		label += " ending " + last4
	}
	return label
}

func (v tokenValues) auditFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	var names [6]string
	for i, ref := range []struct {
		table string
		id    int64
	}{{"accounts", v.accountID}, {"system_users", v.systemUserID}, {"owners", v.ownerID}, {"integrations", v.integrationID},
		{"owners", v.responsibleID}, {"owners", v.createdByID}} {
		name, err := label(ctx, tx, ref.table, ref.id)
		if err != nil {
			return nil, err
		}
		names[i] = name
	}
	expires := v.expiresOn
	if expires == "" {
		expires = "never"
	}
	return fields("name", v.name, "kind", v.kind, "account", names[0], "issued_to_system_user", names[1],
		"issued_to_owner", names[2], "used_by", names[3], "responsible_owner", names[4], "created_by", names[5],
		"scopes", v.scopes, "assets", v.assets, "issued_on", v.issuedOn, "expires_on", expires,
		"last_rotated_on", v.lastRotatedOn, "last_reviewed_on", v.lastReviewedOn, "stored_in", v.storedIn, "fingerprint", fingerprintLabel(v.fingerprint, v.lastFour),
		"status", v.status, "notes", v.notes), nil
}

// related links a token's events to every record it names.
func (v tokenValues) related() []Ref {
	var refs []Ref
	for _, r := range []Ref{{"account", v.accountID}, {"system_user", v.systemUserID}, {"owner", v.ownerID},
		{"integration", v.integrationID}, {"owner", v.responsibleID}, {"owner", v.createdByID}} {
		if r.ID != 0 {
			refs = append(refs, r)
		}
	}
	return refs
}

func checkToken(ctx context.Context, tx *sql.Tx, in TokenInput) (tokenValues, error) {
	vals, v := in.validate()
	for _, c := range []struct {
		field, table string
		id           int64
	}{{"account_id", "accounts", vals.accountID}, {"system_user_id", "system_users", vals.systemUserID},
		{"owner_id", "owners", vals.ownerID}, {"integration_id", "integrations", vals.integrationID},
		{"responsible_owner_id", "owners", vals.responsibleID}, {"created_by_owner_id", "owners", vals.createdByID}} {
		if err := v.exists(ctx, tx, c.field, c.table, c.id); err != nil {
			return vals, err
		}
	}
	return vals, v.err()
}

// TokenSaved is the outcome of saving a token: its ID, and other tokens
// that carry the same fingerprint (the same value registered twice).
type TokenSaved struct {
	ID          int64
	DuplicateOf []int64
	// MetaCheck says what the check with Meta found, as the token's
	// timeline does; "" when Meta was not asked.
	MetaCheck string
}

// CreateToken registers a token and its audit event.
func (s *Store) CreateToken(ctx context.Context, actor Actor, in TokenInput) (TokenSaved, error) {
	var saved TokenSaved
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		saved, err = s.createToken(ctx, tx, actor, in)
		return err
	})
	return saved, err
}

// createToken is CreateToken inside tx.
func (s *Store) createToken(ctx context.Context, tx *sql.Tx, actor Actor, in TokenInput) (TokenSaved, error) {
	var saved TokenSaved
	vals, err := checkToken(ctx, tx, in)
	if err != nil {
		return saved, err
	}
	if vals.lastReviewedOn == "" {
		vals.lastReviewedOn = s.today() // registering a token counts as its first review
	}
	expiryNote, err := s.applyMetaCheck(ctx, tx, in.MetaCheck, &vals)
	if err != nil {
		return saved, err
	}
	now := formatTime(s.now())
	res, err := tx.ExecContext(ctx, `INSERT INTO tokens (name, kind, account_id, system_user_id, owner_id, integration_id,
		responsible_owner_id, created_by_owner_id, scopes, assets, issued_on, expires_on, last_rotated_on, last_reviewed_on,
		stored_in, fingerprint, last_four, status, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		vals.name, vals.kind, nullID(vals.accountID), nullID(vals.systemUserID), nullID(vals.ownerID), nullID(vals.integrationID),
		nullID(vals.responsibleID), nullID(vals.createdByID), vals.scopes, vals.assets, vals.issuedOn, vals.expiresOn,
		vals.lastRotatedOn, vals.lastReviewedOn, vals.storedIn, vals.fingerprint, vals.lastFour, vals.status, vals.notes, now, now)
	if err != nil {
		return saved, fmt.Errorf("db: insert token: %w", err)
	}
	saved.ID, _ = res.LastInsertId()
	if saved.DuplicateOf, err = sameFingerprint(ctx, tx, vals.fingerprint, saved.ID); err != nil {
		return saved, err
	}
	after, err := vals.auditFields(ctx, tx)
	if err != nil {
		return saved, err
	}
	if err := s.appendEvent(ctx, tx, actor, Event{Action: "token.created", Subject: Ref{"token", saved.ID},
		Summary: "Registered token " + vals.name, Changes: diff(nil, after), Related: vals.related()}); err != nil {
		return saved, err
	}
	if in.MetaCheck != nil {
		if saved.MetaCheck, err = s.recordMetaCheck(ctx, tx, actor, saved.ID, *in.MetaCheck, expiryNote); err != nil {
			return saved, err
		}
	}
	return saved, s.alertNeverExpires(ctx, tx, saved.ID, vals, false)
}

// Fingerprint lookups repeat the partial index's condition (fingerprint <>
// ”): with the planner's stability guarantee (see enableQPSG) SQLite does
// not look at the bound value to see that the index applies.
const (
	sameFingerprintSQL       = "SELECT id FROM tokens WHERE fingerprint = ? AND fingerprint <> '' AND id <> ? ORDER BY id"
	tokensByFingerprintWhere = " WHERE t.fingerprint = ? AND t.fingerprint <> '' ORDER BY t.id"
)

// sameFingerprint lists the other tokens registered with this fingerprint.
func sameFingerprint(ctx context.Context, tx *sql.Tx, fp string, except int64) ([]int64, error) {
	if fp == "" {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, sameFingerprintSQL, fp, except)
	if err != nil {
		return nil, fmt.Errorf("db: match fingerprint: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func tokenValuesTx(ctx context.Context, tx *sql.Tx, id int64) (tokenValues, error) {
	var v tokenValues
	var account, su, owner, integration, responsible, createdBy sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT name, kind, account_id, system_user_id, owner_id, integration_id, responsible_owner_id,
		created_by_owner_id, scopes, assets, issued_on, expires_on, last_rotated_on, last_reviewed_on, stored_in, fingerprint, last_four,
		status, notes FROM tokens WHERE id = ?`, id).Scan(&v.name, &v.kind, &account, &su, &owner, &integration, &responsible, &createdBy,
		&v.scopes, &v.assets, &v.issuedOn, &v.expiresOn, &v.lastRotatedOn, &v.lastReviewedOn, &v.storedIn, &v.fingerprint, &v.lastFour, &v.status, &v.notes)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("db: read token: %w", err)
	}
	v.accountID, v.systemUserID, v.ownerID, v.integrationID = account.Int64, su.Int64, owner.Int64, integration.Int64
	v.responsibleID, v.createdByID = responsible.Int64, createdBy.Int64
	return v, nil
}

// UpdateToken changes a token. A new value replaces the fingerprint and,
// unless a rotation date was given, records today as the rotation; an empty
// value keeps the old fingerprint.
func (s *Store) UpdateToken(ctx context.Context, actor Actor, id int64, in TokenInput) (TokenSaved, error) {
	saved := TokenSaved{ID: id}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		saved, _, err = s.updateToken(ctx, tx, actor, id, in)
		return err
	})
	return saved, err
}

// updateToken is UpdateToken inside tx; it reports whether anything changed.
func (s *Store) updateToken(ctx context.Context, tx *sql.Tx, actor Actor, id int64, in TokenInput) (TokenSaved, bool, error) {
	saved := TokenSaved{ID: id}
	old, err := tokenValuesTx(ctx, tx, id)
	if err != nil {
		return saved, false, err
	}
	vals, err := checkToken(ctx, tx, in)
	if err != nil {
		return saved, false, err
	}
	if vals.lastReviewedOn == "" {
		vals.lastReviewedOn = old.lastReviewedOn
	}
	switch {
	case vals.fingerprint == "":
		vals.fingerprint, vals.lastFour = old.fingerprint, old.lastFour
	case vals.fingerprint != old.fingerprint && old.fingerprint != "" && vals.lastRotatedOn == old.lastRotatedOn:
		vals.lastRotatedOn = s.today()
	}
	if saved.DuplicateOf, err = sameFingerprint(ctx, tx, vals.fingerprint, id); err != nil {
		return saved, false, err
	}
	expiryNote, err := s.applyMetaCheck(ctx, tx, in.MetaCheck, &vals)
	if err != nil {
		return saved, false, err
	}
	if err := s.writeToken(ctx, tx, actor, id, old, vals, "token.updated", "Updated token "+vals.name); err != nil {
		return saved, false, err
	}
	if in.MetaCheck != nil {
		if saved.MetaCheck, err = s.recordMetaCheck(ctx, tx, actor, id, *in.MetaCheck, expiryNote); err != nil {
			return saved, false, err
		}
	}
	return saved, vals != old, nil
}

func (s *Store) writeToken(ctx context.Context, tx *sql.Tx, actor Actor, id int64, old, vals tokenValues, action, summary string) error {
	changes, err := changesBetween(ctx, tx, old, vals)
	if err != nil || len(changes) == 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE tokens SET name = ?, kind = ?, account_id = ?, system_user_id = ?, owner_id = ?,
		integration_id = ?, responsible_owner_id = ?, created_by_owner_id = ?, scopes = ?, assets = ?, issued_on = ?, expires_on = ?,
		last_rotated_on = ?, last_reviewed_on = ?, stored_in = ?, fingerprint = ?, last_four = ?, status = ?, notes = ?, updated_at = ?
		WHERE id = ?`,
		vals.name, vals.kind, nullID(vals.accountID), nullID(vals.systemUserID), nullID(vals.ownerID), nullID(vals.integrationID),
		nullID(vals.responsibleID), nullID(vals.createdByID), vals.scopes, vals.assets, vals.issuedOn, vals.expiresOn,
		vals.lastRotatedOn, vals.lastReviewedOn, vals.storedIn, vals.fingerprint, vals.lastFour, vals.status, vals.notes, formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("db: update token: %w", err)
	}
	if err := s.keepFormerValue(ctx, tx, id, old, vals); err != nil {
		return err
	}
	if err := s.appendEvent(ctx, tx, actor, Event{Action: action, Subject: Ref{"token", id}, Summary: summary,
		Changes: changes, Related: append(old.related(), vals.related()...)}); err != nil {
		return err
	}
	return s.alertNeverExpires(ctx, tx, id, vals, old.status == "active" && old.expiresOn == "")
}

// RevokeToken marks a token revoked; the record stays for the history.
func (s *Store) RevokeToken(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := tokenValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		vals := old
		vals.status = "revoked"
		return s.writeToken(ctx, tx, actor, id, old, vals, "token.revoked", "Revoked token "+vals.name)
	})
}

// ReviewToken records that someone checked the token today.
func (s *Store) ReviewToken(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.reviewTokenTx(ctx, tx, actor, id) })
}

// reviewTokenTx is ReviewToken inside tx.
func (s *Store) reviewTokenTx(ctx context.Context, tx *sql.Tx, actor Actor, id int64) error {
	old, err := tokenValuesTx(ctx, tx, id)
	if err != nil {
		return err
	}
	vals := old
	vals.lastReviewedOn = s.today()
	return s.writeToken(ctx, tx, actor, id, old, vals, "token.reviewed", "Reviewed token "+vals.name)
}

const tokenColumns = `t.id, t.name, t.kind, t.account_id, COALESCE(a.display_name, ''), COALESCE(a.platform, ''),
	t.system_user_id, COALESCE(su.name, ''), t.owner_id, COALESCE(io.display_name, ''), t.integration_id, COALESCE(i.name, ''), COALESCE(i.status, ''),
	t.responsible_owner_id, COALESCE(ro.display_name, ''), COALESCE(ro.status, ''), t.created_by_owner_id, COALESCE(co.display_name, ''), COALESCE(co.status, ''),
	t.scopes, t.assets, t.issued_on, t.expires_on, t.last_rotated_on, t.last_reviewed_on, t.stored_in, t.fingerprint, t.last_four,
	t.status, t.notes, t.created_at, t.updated_at`

const tokenFrom = ` FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN system_users su ON su.id = t.system_user_id
	LEFT JOIN owners io ON io.id = t.owner_id LEFT JOIN integrations i ON i.id = t.integration_id
	LEFT JOIN owners ro ON ro.id = t.responsible_owner_id LEFT JOIN owners co ON co.id = t.created_by_owner_id`

func scanToken(row scanner) (Token, error) {
	var t Token
	var account, su, owner, integration, responsible, createdBy sql.NullInt64
	err := row.Scan(&t.ID, &t.Name, &t.Kind, &account, &t.AccountName, &t.Platform, &su, &t.SystemUserName, &owner, &t.OwnerName,
		&integration, &t.IntegrationName, &t.IntegrationStatus, &responsible, &t.ResponsibleName, &t.ResponsibleStatus,
		&createdBy, &t.CreatedByName, &t.CreatedByStatus, &t.Scopes, &t.Assets, &t.IssuedOn, &t.ExpiresOn, &t.LastRotatedOn,
		&t.LastReviewedOn, &t.StoredIn, &t.Fingerprint, &t.LastFour, &t.Status, &t.Notes, &t.CreatedAt, &t.UpdatedAt)
	t.AccountID, t.SystemUserID, t.OwnerID, t.IntegrationID = account.Int64, su.Int64, owner.Int64, integration.Int64
	t.ResponsibleOwnerID, t.CreatedByOwnerID = responsible.Int64, createdBy.Int64
	return t, err
}

// TokenByID returns one token.
func (s *Store) TokenByID(ctx context.Context, id int64) (Token, error) {
	return one(ctx, s.read, scanToken, "token", "SELECT "+tokenColumns+tokenFrom+" WHERE t.id = ?", id)
}

// TokensByFingerprint finds the tokens registered with a value; the value
// itself is hashed here and goes no further.
func (s *Store) TokensByFingerprint(ctx context.Context, secret string) ([]Token, error) {
	if strings.TrimSpace(secret) == "" {
		return nil, nil
	}
	return all(ctx, s.read, scanToken, "tokens by fingerprint", "SELECT "+tokenColumns+tokenFrom+
		tokensByFingerprintWhere, Fingerprint(secret))
}

var tokenList = listQuery{kind: "token", what: "tokens", columns: tokenColumns, from: tokenFrom, idCol: "t.id", base: " FROM tokens t", sorts: [][2]string{
	{"name", "t.name COLLATE NOCASE"}, {"kind", "t.kind"}, {"account", "a.name COLLATE NOCASE"},
	{"expires_on", "CASE WHEN t.expires_on = '' THEN '9999' ELSE t.expires_on END"}, {"responsible", "ro.name COLLATE NOCASE"},
	{"last_reviewed_on", "t.last_reviewed_on"}, {"status", "t.status"}, {"updated", "t.updated_at"},
}}

// Expiry filters for token lists.
const (
	ExpiryNever   = "never"
	ExpirySoon    = "soon"
	ExpiryExpired = "expired"
)

// TokenFilter narrows a token list beyond search and status.
type TokenFilter struct {
	Platform           string
	Expiry             string // ExpiryNever, ExpirySoon or ExpiryExpired
	ResponsibleOwnerID int64
	// Responsible matches tokens whose responsible owner's name or email
	// contains this text: a list filter that works with any number of people.
	Responsible      string
	AccountID        int64
	SystemUserID     int64
	OwnerID          int64 // issued to this person
	IntegrationID    int64
	CreatedByOwnerID int64
	// InvolvesOwnerID matches tokens issued to, answered for or created by this person.
	InvolvesOwnerID int64
}

// ListTokens returns a page of tokens. The status filter uses the effective
// status: "expired" includes active tokens past their date.
func (s *Store) ListTokens(ctx context.Context, p ListParams, f TokenFilter) (Page[Token], error) {
	where, args := s.tokenWhere(p, f)
	return page(ctx, s, tokenList, scanToken, p, where, args)
}

// tokenWhere is the token list's WHERE clause for p's search and status and f.
func (s *Store) tokenWhere(p ListParams, f TokenFilter) (string, []any) {
	where, args := " WHERE 1=1", []any{}
	for _, c := range []struct {
		col string
		id  int64
	}{{"t.responsible_owner_id", f.ResponsibleOwnerID}, {"t.account_id", f.AccountID}, {"t.system_user_id", f.SystemUserID},
		{"t.owner_id", f.OwnerID}, {"t.integration_id", f.IntegrationID}, {"t.created_by_owner_id", f.CreatedByOwnerID}} {
		if c.id != 0 {
			where += " AND " + c.col + " = ?"
			args = append(args, c.id)
		}
	}
	if f.InvolvesOwnerID != 0 {
		where += " AND (t.owner_id = ? OR t.responsible_owner_id = ? OR t.created_by_owner_id = ?)"
		args = append(args, f.InvolvesOwnerID, f.InvolvesOwnerID, f.InvolvesOwnerID)
	}
	today := s.today()
	switch p.Status {
	case "active":
		where += " AND t.status = 'active' AND (t.expires_on = '' OR t.expires_on >= ?)"
		args = append(args, today)
	case "expired":
		where += " AND (t.status = 'expired' OR (t.status = 'active' AND t.expires_on <> '' AND t.expires_on < ?))"
		args = append(args, today)
	case "revoked":
		where += " AND t.status = 'revoked'"
	}
	switch f.Expiry {
	case ExpiryNever:
		where += " AND t.expires_on = ''"
	case ExpirySoon:
		where += " AND t.expires_on >= ? AND t.expires_on <= ?"
		args = append(args, today, s.daysFromToday(ExpiringSoonDays))
	case ExpiryExpired:
		where += " AND t.expires_on <> '' AND t.expires_on < ?"
		args = append(args, today)
	}
	if strings.TrimSpace(f.Responsible) != "" {
		where += ` AND t.responsible_owner_id IN (SELECT id FROM owners WHERE name LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`
		pat := likePattern(f.Responsible)
		args = append(args, pat, pat)
	}
	// Conditions on related records are subqueries over their (small)
	// tables rather than on the joined columns: the count and the page's IDs
	// then read the tokens table alone (see listQuery.idFrom), a searched
	// list's count in a fifth of the time.
	if f.Platform != "" {
		where += " AND t.account_id IN (SELECT id FROM accounts WHERE platform = ? COLLATE NOCASE)"
		args = append(args, f.Platform)
	}
	if p.Q != "" {
		where += ` AND (t.name LIKE ? ESCAPE '\' OR t.scopes LIKE ? ESCAPE '\' OR t.stored_in LIKE ? ESCAPE '\'
			OR t.assets LIKE ? ESCAPE '\' OR t.account_id IN (SELECT id FROM accounts WHERE name LIKE ? ESCAPE '\')
			OR t.system_user_id IN (SELECT id FROM system_users WHERE name LIKE ? ESCAPE '\')
			OR t.integration_id IN (SELECT id FROM integrations WHERE name LIKE ? ESCAPE '\'))`
		pat := likePattern(p.Q)
		args = append(args, pat, pat, pat, pat, pat, pat, pat)
	}
	return where, args
}

// Today is the store's current date, for showing effective statuses.
func (s *Store) Today() string { return s.today() }
