package handlers

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"steward/db"
)

// MetaChecker asks Meta about a token's value (Graph API debug_token) with
// the connected Meta app. Its errors are read by people: they name what
// went wrong and never carry a token or a secret.
type MetaChecker interface {
	CheckToken(ctx context.Context, secret string) (db.MetaTokenCheck, error)
}

// ErrNoMetaConnector is what a MetaChecker answers when no Meta app is
// connected: the token is saved without a check, and without a word.
var ErrNoMetaConnector = errors.New("no Meta app is connected")

// checkWithMeta asks Meta about a token's pasted value, before the store
// drops it, when the token is on a Meta account (accountID, as a form gives
// it) and an app is connected; nil when Meta is not asked. A failure is kept with its reason: the token is
// registered all the same.
func (s *Server) checkWithMeta(ctx context.Context, accountID, secret string) *db.MetaCheckOutcome {
	secret = strings.TrimSpace(secret)
	if s.cfg.MetaChecker == nil || secret == "" || strings.TrimSpace(accountID) == "" {
		return nil
	}
	if onMeta, err := s.store.IsMetaAccount(ctx, accountID); err != nil || !onMeta {
		return nil // a bad account ID is the form's to report
	}
	check, err := s.cfg.MetaChecker.CheckToken(ctx, secret)
	switch {
	case errors.Is(err, ErrNoMetaConnector):
		return nil
	case err != nil:
		return &db.MetaCheckOutcome{Failure: metaFailure(err, secret)}
	}
	return &db.MetaCheckOutcome{Check: check}
}

// metaFailure says why Meta could not be asked. A transport error names the
// URL it was sent to, which holds the token and the app secret: it is
// never repeated.
func metaFailure(err error, secret string) string {
	var urlErr *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Meta did not answer in time."
	case errors.As(err, &urlErr) && urlErr.Timeout():
		return "Meta did not answer in time."
	case errors.As(err, &urlErr):
		return "Meta could not be reached."
	}
	msg := strings.TrimSpace(err.Error())
	if secret = strings.TrimSpace(secret); secret != "" {
		msg = strings.ReplaceAll(msg, secret, "…")
	}
	if msg == "" {
		return "Meta gave no answer."
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
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
