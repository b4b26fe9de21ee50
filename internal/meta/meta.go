// Package meta reads Meta's Graph API for issue #16: it checks a token with
// debug_token and reads what a Business Manager holds (its system users,
// people, ad accounts, Pages and each system user's assignments). It fills
// the db package's Meta types and never writes the database.
//
// Tokens travel in the Authorization header, never in a URL Steward builds
// (except debug_token's input_token, which Meta takes only as a query
// parameter); every URL that could reach a log or an error goes through
// Redact, and an error's text never holds a token or a secret.
package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultGraphURL is Meta's Graph API at the version Steward was written
// against (v26.0, the newest on Meta's changelog in December 2026).
const DefaultGraphURL = "https://graph.facebook.com/v26.0"

// RequestTimeout bounds every call to Meta.
const RequestTimeout = 10 * time.Second

// maxBody bounds what Steward reads of one answer.
const maxBody = 8 << 20

// Client calls Meta's Graph API at BaseURL (STEWARD_META_GRAPH_URL; empty
// means DefaultGraphURL) with HTTP (nil means a client with RequestTimeout).
type Client struct {
	BaseURL string
	HTTP    *http.Client
}

// ErrorKind names what went wrong with a call to Meta.
type ErrorKind int

// The kinds of failure Steward tells apart (issue #16 item 6).
const (
	Other        ErrorKind = iota // any other Graph error, or an answer Steward cannot read
	InvalidToken                  // 190: the token is invalid or expired
	Permission                    // 10, 200–299: the token lacks a permission
	RateLimited                   // 4, 17, 32, 613, 80000–80014: back off and try later
	Timeout                       // Meta did not answer within RequestTimeout
	Unreachable                   // no connection to Meta
)

// String is the kind as a person reads it.
func (k ErrorKind) String() string {
	switch k {
	case InvalidToken:
		return "invalid or expired token"
	case Permission:
		return "missing permission"
	case RateLimited:
		return "rate limited"
	case Timeout:
		return "timed out"
	case Unreachable:
		return "unreachable"
	}
	return "error"
}

// Error is a failed call to Meta: Meta's own error, or no answer at all.
// Its text never holds a token or a secret.
type Error struct {
	Code    int    // Meta's error code; 0 when Meta gave none
	Subcode int    // Meta's error_subcode; 0 when none
	Type    string // Meta's error type, such as "OAuthException"; "" when none
	Kind    ErrorKind
	Message string // Meta's message, or what went wrong, with tokens removed
}

// Error says the kind, Meta's code and its message.
func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("meta: %s (code %d): %s", e.Kind, e.Code, e.Message)
	}
	return fmt.Sprintf("meta: %s: %s", e.Kind, e.Message)
}

// KindOf is err's kind when it is an *Error, else Other.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}

// kindOfCode maps Meta's error codes to kinds, as Meta's "Handling Errors"
// page groups them.
func kindOfCode(code int) ErrorKind {
	switch {
	case code == 190 || code == 102:
		return InvalidToken
	case code == 10 || (code >= 200 && code <= 299):
		return Permission
	case code == 4 || code == 17 || code == 32 || code == 613 || (code >= 80000 && code <= 80014):
		return RateLimited
	}
	return Other
}

// secretParams are the query parameters that carry credentials.
var secretParams = regexp.MustCompile(`(?i)\b(access_token|input_token|appsecret_proof|client_secret)=[^&#\s"']*`)

// Redact is rawURL (or any text holding URLs) with the values of
// access_token, input_token, appsecret_proof and client_secret replaced.
func Redact(rawURL string) string {
	return secretParams.ReplaceAllString(rawURL, "$1=REDACTED")
}

// scrub removes the secrets from text, also where Meta's message repeats
// one, and redacts any URL in it.
func scrub(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "REDACTED")
			text = strings.ReplaceAll(text, url.QueryEscape(s), "REDACTED")
		}
	}
	return Redact(text)
}

// graphError is Meta's error object.
type graphError struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
	Subcode int    `json:"error_subcode"`
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: RequestTimeout}
}

func (c *Client) baseURL() string {
	if c.BaseURL == "" {
		return DefaultGraphURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// get calls Meta at target with bearer in the Authorization header and
// decodes the JSON answer into out. secrets are removed from any error.
func (c *Client) get(ctx context.Context, target *url.URL, bearer string, out any, secrets ...string) error {
	ctx, cancel := context.WithTimeout(ctx, RequestTimeout)
	defer cancel()
	secrets = append(secrets, bearer)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return &Error{Kind: Other, Message: "bad Graph URL " + scrub(target.Redacted(), secrets)}
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return transportError(err)
	}
	var envelope struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Error != nil {
		e := envelope.Error
		return &Error{Code: e.Code, Subcode: e.Subcode, Type: e.Type, Kind: kindOfCode(e.Code), Message: scrub(e.Message, secrets)}
	}
	if resp.StatusCode != http.StatusOK {
		return &Error{Kind: Other, Message: "Meta answered " + resp.Status}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Kind: Other, Message: "Meta's answer is not the JSON expected"}
	}
	return nil
}

// transportError names a call that got no answer. It never includes the
// URL (net/http's errors do, with its query).
func transportError(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &Error{Kind: Timeout, Message: fmt.Sprintf("Meta did not answer within %s", RequestTimeout)}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: Unreachable, Message: "the call to Meta was cancelled"}
	}
	return &Error{Kind: Unreachable, Message: "could not reach Meta's Graph API"}
}

// Problem names a failed read of the business in words a person acts on,
// for the sync form and the connector page's history of scheduled syncs.
// It never holds a token, a secret or a URL.
func Problem(err error) string {
	switch KindOf(err) {
	case InvalidToken:
		return "Meta refused the token: it is invalid or has expired. Use a current system user token."
	case Permission:
		return "The token lacks a permission: it needs business_management, and its system user must be able to see the business."
	case RateLimited:
		return "Meta is limiting requests from this app (rate limited). Try again in a few minutes."
	case Timeout:
		return fmt.Sprintf("Meta did not answer within %d seconds. Try again later.", int(RequestTimeout.Seconds()))
	case Unreachable:
		return "Steward could not reach Meta's Graph API. Check this server's connection to the internet."
	}
	return "Meta answered with an error Steward does not know."
}
