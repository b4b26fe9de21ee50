package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/db"
	"steward/internal/meta"
)

// checkWithMeta asks Meta's debug_token about a token's pasted value,
// before the store drops it, when the token is on a Meta account
// (accountID, as a form gives it) and a Meta app is connected; nil when
// Meta is not asked. A failure is kept with its reason: the token is saved
// all the same.
func (s *Server) checkWithMeta(ctx context.Context, accountID, secret string) *db.MetaCheckOutcome {
	secret = strings.TrimSpace(secret)
	if secret == "" || strings.TrimSpace(accountID) == "" {
		return nil
	}
	if onMeta, err := s.store.IsMetaAccount(ctx, accountID); err != nil || !onMeta {
		return nil // a bad account ID is the form's to report
	}
	app, err := s.store.MetaConnector(ctx)
	if err != nil || !app.Connected {
		return nil
	}
	secrets, err := s.store.MetaConnectorSecrets(ctx)
	if err != nil {
		// The key that opens the app secret is missing or wrong: say so,
		// without the store's words.
		return &db.MetaCheckOutcome{Failure: "Steward could not open the connected app's secret (is its secret key in place?)."}
	}
	check, err := s.metaClient().CheckToken(ctx, app.AppID, secrets.AppSecret, secret)
	if err != nil {
		return &db.MetaCheckOutcome{Failure: metaCheckFailure(err)}
	}
	return &db.MetaCheckOutcome{Check: check}
}

// metaCheckFailure says in words why Meta gave no verdict on a token.
// meta.Error's message never holds a token or a secret; any other error's
// text is not repeated.
func metaCheckFailure(err error) string {
	var e *meta.Error
	errors.As(err, &e)
	switch meta.KindOf(err) {
	case meta.Timeout:
		return "Meta did not answer in time."
	case meta.Unreachable:
		return "Meta could not be reached."
	case meta.RateLimited:
		return "Meta asked Steward to slow down (rate limit)."
	case meta.InvalidToken:
		return "Meta refused the connected app's ID and secret; connect the app again in Admin › Connectors."
	case meta.Permission:
		return "the connected app lacks a permission Meta requires."
	}
	if e != nil && e.Message != "" {
		return "Meta said: " + strings.TrimSuffix(e.Message, ".") + "."
	}
	return "Meta's answer could not be read."
}

// metaCheckNote is the message after saving a token Meta was asked about.
func metaCheckNote(saved db.TokenSaved, check *db.MetaCheckOutcome) []string {
	switch {
	case saved.MetaCheck == "":
		return nil
	case check.Failure != "":
		return []string{"Warning: the check with Meta failed: " + check.Failure + " The token is saved; its page says it was not checked."}
	case !check.Check.Valid:
		return []string{"Warning: " + saved.MetaCheck}
	}
	return []string{saved.MetaCheck}
}

// apiMetaCheck is a token's latest check with Meta as the API gives it
// (meta_check; null when Meta was never asked). Valid is null when the
// check failed: Meta gave no verdict, and Failure says why.
type apiMetaCheck struct {
	CheckedAt           string              `json:"checked_at"`
	Failure             string              `json:"failure"`
	Valid               *bool               `json:"valid"`
	Error               string              `json:"error"`
	NeverExpires        bool                `json:"never_expires"`
	ExpiresAt           *string             `json:"expires_at"`
	DataAccessExpiresAt *string             `json:"data_access_expires_at"`
	IssuedAt            *string             `json:"issued_at"`
	Type                string              `json:"type"`
	AppID               string              `json:"app_id"`
	Application         string              `json:"application"`
	MetaUserID          string              `json:"meta_user_id"`
	SystemUserID        any                 `json:"system_user_id"` // ref: null when none matched
	Scopes              []string            `json:"scopes"`
	ReachedAccounts     []apiReachedAccount `json:"reached_accounts"`
	UnknownAssets       []apiUnknownAsset   `json:"unknown_assets"`
}

// apiReachedAccount is an account a checked token reaches: an asset of its
// granular scopes that Steward records, by external ID.
type apiReachedAccount struct {
	AccountID   int64    `json:"account_id"`
	AccountName string   `json:"account_name"`
	AssetID     string   `json:"asset_id"`
	Scopes      []string `json:"scopes"`
}

// apiUnknownAsset is an asset of a checked token's granular scopes that
// Steward does not record.
type apiUnknownAsset struct {
	AssetID string   `json:"asset_id"`
	Scopes  []string `json:"scopes"`
}

// readMetaChecks are the latest checks with Meta of the tokens ids, by ID,
// as the API gives them.
func readMetaChecks(ctx context.Context, r db.Snapshot, ids []int64) (map[int64]any, error) {
	checks, err := r.LatestMetaChecks(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]any, len(checks))
	for id, c := range checks {
		out[id] = apiMetaCheckOf(c)
	}
	return out, nil
}

// apiMetaCheckOf is the stored check c as the API gives it.
func apiMetaCheckOf(c db.TokenMetaCheck) apiMetaCheck {
	a := apiMetaCheck{CheckedAt: apiTime(c.CheckedAt), Failure: c.Failure, Error: c.Error, NeverExpires: c.NeverExpires,
		ExpiresAt: optionalTime(c.ExpiresAt), DataAccessExpiresAt: optionalTime(c.DataAccessExpiresAt), IssuedAt: optionalTime(c.IssuedAt),
		Type: c.Type, AppID: c.AppID, Application: c.Application, MetaUserID: c.UserID, SystemUserID: ref(c.SystemUserID),
		Scopes: orEmpty(c.Scopes), ReachedAccounts: []apiReachedAccount{}, UnknownAssets: []apiUnknownAsset{}}
	if c.Failure == "" {
		a.Valid = &c.Valid
	}
	for _, r := range c.Reached {
		a.ReachedAccounts = append(a.ReachedAccounts, apiReachedAccount{r.AccountID, r.Name, r.AssetID, orEmpty(r.Scopes)})
	}
	for _, u := range c.Unknown {
		a.UnknownAssets = append(a.UnknownAssets, apiUnknownAsset{u.ID, orEmpty(u.Scopes)})
	}
	return a
}

// metaCheckSchema is apiMetaCheck's schema in the OpenAPI document.
func metaCheckSchema() *schema {
	str := func(desc string) *schema { return &schema{Type: "string", Description: desc} }
	when := func(desc string) *schema {
		return &schema{Type: []string{"string", "null"}, Format: "date-time", Description: desc}
	}
	scopes := &schema{Type: "array", Items: &schema{Type: "string"}}
	check := object("The token's latest check with Meta's debug_token, made when its value was pasted on a Meta account "+
		"with a Meta app connected; null when Meta was never asked.", properties{
		{"checked_at", &schema{Type: "string", Format: "date-time", Description: "When Steward asked Meta."}},
		{"failure", str("Why Meta could not be asked (unreachable, too slow, the app refused …); \"\" when Meta answered.")},
		{"valid", &schema{Type: []string{"boolean", "null"}, Description: "Meta's verdict; null when the check failed."}},
		{"error", str("Meta's reason when the token is not valid, else \"\".")},
		{"never_expires", &schema{Type: "boolean", Description: "Meta says the token never expires (expires_at 0)."}},
		{"expires_at", when("When Meta says the token stops working; null when it never expires or Meta did not say.")},
		{"data_access_expires_at", when("When its access to data expires, as Meta says; null when Meta did not say.")},
		{"issued_at", when("When it was issued, as Meta says; null when Meta did not say.")},
		{"type", str("Meta's type of token: SYSTEM_USER, USER, PAGE, APP.")},
		{"app_id", str("The app the token belongs to.")},
		{"application", str("That app's name.")},
		{"meta_user_id", str("The system user's or person's ID on Meta.")},
		{"system_user_id", &schema{Type: []string{"integer", "null"}, Description: "The system user whose external ID is meta_user_id; null when none is recorded."}},
		{"scopes", scopes},
		{"reached_accounts", &schema{Type: "array", Description: "The assets of its granular scopes that Steward records as accounts (by external ID).",
			Items: object("", properties{{"account_id", &schema{Type: "integer"}}, {"account_name", &schema{Type: "string"}},
				{"asset_id", str("The asset's ID on Meta.")}, {"scopes", scopes}})}},
		{"unknown_assets", &schema{Type: "array", Description: "The assets of its granular scopes that Steward does not record.",
			Items: object("", properties{{"asset_id", str("The asset's ID on Meta.")}, {"scopes", scopes}})}},
	})
	check.Type = []string{"object", "null"}
	check.ReadOnly = true
	return check
}

// apiTime is t as the API writes a time, like the records' created_at.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// optionalTime is t as the API writes it, or null when it is zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := apiTime(t)
	return &s
}

// orEmpty is ss, or [] rather than null.
func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
