package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// errOnlyAdminsConnectMeta refuses the connector's and the syncs' changes
// by anyone but an admin (or Steward's own scheduled sync): the route
// refuses them first; this guards every other way in.
var errOnlyAdminsConnectMeta = ValidationError{"": "Only an admin can connect Meta or read and apply what a business holds."}

// MetaConnector is the connected Meta app as people see it: never its
// secret or its token (see MetaConnectorSecrets).
type MetaConnector struct {
	Connected   bool
	AppID       string
	BusinessID  string
	AccountID   int64 // the business's account record
	TokenKept   bool
	TokenID     int64 // the kept token's record; 0 when none is kept
	ConnectedAt string
	ConnectedBy string // the admin's email; "" when that login is gone
}

// MetaSecrets are the connector's opened secrets, for the server's calls
// to Meta alone: never shown, logged or exported.
type MetaSecrets struct {
	AppSecret string
	Token     string // "" when no token is kept
}

// MetaConnectInput is the connect form, with what Meta said of its token.
type MetaConnectInput struct {
	AppID, AppSecret, BusinessID string
	// Token is a system user token that reads the business; kept (sealed)
	// only when KeepToken is set.
	Token     string
	KeepToken bool
	// Check is what debug_token said of Token; it fills the kept token's
	// record (expiry, scopes, assets).
	Check MetaTokenCheck
}

// Problems says what is wrong with in's shape, by field, before anyone
// asks Meta.
func (in MetaConnectInput) Problems() ValidationError {
	return in.check().errs
}

func (in MetaConnectInput) check() *validator {
	v := newValidator()
	for _, f := range []struct{ field, value, what string }{
		{"app_id", in.AppID, "app ID"}, {"business_id", in.BusinessID, "business ID"},
	} {
		value := v.line(f.field, f.value, true, 32)
		if value != "" && strings.ContainsFunc(value, func(r rune) bool { return !unicode.IsDigit(r) }) {
			v.fail(f.field, "Meta's "+f.what+" is a number, like 1234567890.")
		}
	}
	switch secret := strings.TrimSpace(in.AppSecret); {
	case secret == "":
		v.fail("app_secret", "Required: Steward checks tokens with the app's token (app ID and secret).")
	case len(secret) > 200 || strings.ContainsFunc(secret, unicode.IsSpace):
		v.fail("app_secret", "An app secret is one word of letters and digits, as Meta shows it.")
	}
	v.secret("access_token", in.Token)
	if in.KeepToken && strings.TrimSpace(in.Token) == "" {
		v.fail("access_token", "Paste the token Steward should keep, or untick “Keep it”.")
	}
	return v
}

// MetaConnector is the connected Meta app; Connected is false when there
// is none.
func (s *Store) MetaConnector(ctx context.Context) (MetaConnector, error) {
	var c MetaConnector
	var account, token sql.NullInt64
	var sealedToken string
	err := s.read.QueryRowContext(ctx, `SELECT m.app_id, m.business_id, m.account_id, m.token_sealed, m.token_id,
		m.connected_at, COALESCE(u.email, '') FROM meta_connector m LEFT JOIN users u ON u.id = m.connected_by WHERE m.id = 1`).
		Scan(&c.AppID, &c.BusinessID, &account, &sealedToken, &token, &c.ConnectedAt, &c.ConnectedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return MetaConnector{}, nil
	}
	if err != nil {
		return MetaConnector{}, fmt.Errorf("db: read the Meta connector: %w", err)
	}
	c.Connected, c.TokenKept, c.AccountID, c.TokenID = true, sealedToken != "", account.Int64, token.Int64
	return c, nil
}

// MetaConnectorSecrets opens the connector's app secret and kept token;
// ErrNotFound when no app is connected. Only the server's calls to Meta
// use it.
func (s *Store) MetaConnectorSecrets(ctx context.Context) (MetaSecrets, error) {
	var sealedSecret, sealedToken string
	err := s.read.QueryRowContext(ctx, "SELECT app_secret_sealed, token_sealed FROM meta_connector WHERE id = 1").
		Scan(&sealedSecret, &sealedToken)
	if errors.Is(err, sql.ErrNoRows) {
		return MetaSecrets{}, ErrNotFound
	}
	if err != nil {
		return MetaSecrets{}, fmt.Errorf("db: read the Meta connector: %w", err)
	}
	var out MetaSecrets
	if out.AppSecret, err = s.openSecret(sealedSecret); err == nil {
		out.Token, err = s.openSecret(sealedToken)
	}
	return out, err
}

// MetaSyncAccess is what a sync of the connected business reads with:
// its ID and the kept token. Both are "" when no app is connected, and
// the token when none is kept.
func (s *Store) MetaSyncAccess(ctx context.Context) (businessID, token string, err error) {
	c, err := s.MetaConnector(ctx)
	if err != nil || !c.Connected {
		return "", "", err
	}
	secrets, err := s.MetaConnectorSecrets(ctx)
	if err != nil {
		return "", "", err
	}
	return c.BusinessID, secrets.Token, nil
}

// ConnectMeta connects (or reconnects) the Meta app, audited. The app
// secret, and the token when kept, are sealed under the secret key. A kept
// token is recorded as a token on the business's Meta account (created
// when Steward has none with that external ID), its responsible owner the
// connecting admin's person (linked to their login, else with their
// email); the same value registered before is reused.
func (s *Store) ConnectMeta(ctx context.Context, actor Actor, in MetaConnectInput) error {
	if !actor.managesLogins() {
		return errOnlyAdminsConnectMeta
	}
	if err := in.check().err(); err != nil {
		return err
	}
	in.AppID, in.BusinessID = strings.TrimSpace(in.AppID), strings.TrimSpace(in.BusinessID)
	in.AppSecret, in.Token = strings.TrimSpace(in.AppSecret), strings.TrimSpace(in.Token)
	sealedSecret, err := s.sealSecret(in.AppSecret)
	if err != nil {
		return fmt.Errorf("db: seal the app secret: %w", err)
	}
	sealedToken := ""
	if in.KeepToken {
		if sealedToken, err = s.sealSecret(in.Token); err != nil {
			return fmt.Errorf("db: seal the token: %w", err)
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := metaConnectorFields(ctx, tx)
		if err != nil {
			return err
		}
		accountID, err := s.metaBusinessAccount(ctx, tx, actor, in.BusinessID)
		if err != nil {
			return err
		}
		var tokenID int64
		if in.KeepToken {
			if tokenID, err = s.recordConnectorToken(ctx, tx, actor, accountID, in); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta_connector (id, app_id, app_secret_sealed, business_id, account_id,
			token_sealed, token_id, connected_by, connected_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET app_id = excluded.app_id, app_secret_sealed = excluded.app_secret_sealed,
			business_id = excluded.business_id, account_id = excluded.account_id, token_sealed = excluded.token_sealed,
			token_id = excluded.token_id, connected_by = excluded.connected_by, connected_at = excluded.connected_at`,
			in.AppID, sealedSecret, in.BusinessID, accountID, sealedToken, nullID(tokenID), nullID(actor.UserID), formatTime(s.now())); err != nil {
			return fmt.Errorf("db: save the Meta connector: %w", err)
		}
		after, err := metaConnectorFields(ctx, tx)
		if err != nil {
			return err
		}
		related := []Ref{{"account", accountID}}
		if tokenID != 0 {
			related = append(related, Ref{"token", tokenID})
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "connector.connected", Subject: Ref{"connector", 1},
			Summary: "Connected Meta app " + in.AppID + " to business " + in.BusinessID, Changes: diff(before, after), Related: related})
	})
}

// DisconnectMeta forgets the Meta app and its sealed secrets, audited. The
// kept token's record stays: the token still works on Meta until revoked
// there.
func (s *Store) DisconnectMeta(ctx context.Context, actor Actor) error {
	if !actor.managesLogins() {
		return errOnlyAdminsConnectMeta
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := metaConnectorFields(ctx, tx)
		if err != nil {
			return err
		}
		if before == nil {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM meta_connector WHERE id = 1"); err != nil {
			return fmt.Errorf("db: delete the Meta connector: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "connector.disconnected", Subject: Ref{"connector", 1},
			Summary: "Disconnected the Meta app; its secret and kept token were deleted", Changes: diff(before, nil)})
	})
}

// metaConnectorFields are the connector's audited fields inside tx (nil
// when none): never a secret, only whether one is kept.
func metaConnectorFields(ctx context.Context, tx *sql.Tx) ([]Change, error) {
	var appID, businessID, sealedToken string
	var tokenID sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT app_id, business_id, token_sealed, token_id FROM meta_connector WHERE id = 1").
		Scan(&appID, &businessID, &sealedToken, &tokenID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("db: read the Meta connector: %w", err)
	}
	token, err := label(ctx, tx, "tokens", tokenID.Int64)
	if err != nil {
		return nil, err
	}
	kept := "not kept"
	if sealedToken != "" {
		kept = "kept (sealed): " + token
	}
	return fields("app_id", appID, "app_secret", "set (sealed)", "business_id", businessID, "token", kept), nil
}

// metaBusinessAccount is the account recording the business on Meta: the
// first Meta account with its ID as external ID, else a new one.
func (s *Store) metaBusinessAccount(ctx context.Context, tx *sql.Tx, actor Actor, businessID string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE platform = 'Meta' COLLATE NOCASE AND external_id = ?
		ORDER BY status <> 'active', id LIMIT 1`, businessID).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	return s.createAccount(ctx, tx, actor, AccountInput{Name: "Meta business " + businessID, Platform: "Meta",
		Kind: "Business Manager", ExternalID: businessID, Criticality: "high",
		Notes: "Created when the Meta app was connected to Steward."})
}

// recordConnectorToken records the kept token as a token, or finds the
// record of the same value; it returns the record's ID.
func (s *Store) recordConnectorToken(ctx context.Context, tx *sql.Tx, actor Actor, accountID int64, in MetaConnectInput) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM tokens WHERE fingerprint = ? AND fingerprint <> '' ORDER BY id LIMIT 1",
		Fingerprint(in.Token)).Scan(&id)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	responsible, err := s.adminsPerson(ctx, tx, actor)
	if err != nil {
		return 0, err
	}
	// What Meta said of the token fills its record (expiry, scopes, system
	// user, assets) and is kept as its first check.
	check := MetaCheckOutcome{Check: in.Check}
	token := TokenInput{Name: "Steward's Meta connector (app " + in.AppID + ")", Kind: "system_user_token",
		AccountID: idString(accountID), ResponsibleOwnerID: idString(responsible),
		StoredIn: "Steward (sealed under its secret key)", Secret: in.Token, MetaCheck: &check,
		Notes: "Kept by Steward to read the business on Meta. Disconnect the app in Admin › Connectors, then revoke the token on Meta."}
	saved, err := s.createToken(ctx, tx, actor, token)
	return saved.ID, err
}

// adminsPerson is the person who answers for what an admin sets up: the
// one their login is linked to, else the one with their email, else a new
// person with their email (audited), so Steward's own access has someone
// who answers for it.
func (s *Store) adminsPerson(ctx context.Context, tx *sql.Tx, actor Actor) (int64, error) {
	var id sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(u.owner_id, (SELECT o.id FROM owners o WHERE o.email = u.email COLLATE NOCASE
		ORDER BY o.status <> 'active', o.id LIMIT 1)) FROM users u WHERE u.id = ?`, actor.UserID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("db: read the admin's person: %w", err)
	}
	if id.Valid || actor.UserID == 0 || actor.Email == "" {
		return id.Int64, nil
	}
	return s.createOwner(ctx, tx, actor, OwnerInput{Name: actor.Email, Email: actor.Email,
		Notes: "Added when they connected Meta: the connector's token needs someone who answers for it."})
}
