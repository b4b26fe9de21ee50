package handlers

import (
	"context"
	"errors"
	"strings"

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
