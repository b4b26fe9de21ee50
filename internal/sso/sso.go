// Package sso signs people in through an OpenID Connect provider: its
// settings, the provider's discovery, and the authorization code flow with
// PKCE, state and nonce, down to a verified ID token's email. Who may then
// sign in as which login is for the caller (handlers) to decide.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"steward/db"
)

// CallbackPath is where the provider sends the browser back to: the
// redirect URL to register at the provider is the base URL followed by it.
const CallbackPath = "/auth/oidc/callback"

// Settings configure single sign-on; the zero value is single sign-on off.
type Settings struct {
	Issuer       string // the provider's issuer URL, as its discovery document names it
	ClientID     string
	ClientSecret string // never printed
	// AllowedDomains are the email domains that may sign in, comma-separated.
	AllowedDomains string
	// DefaultRole is the role of a login made at its first sign-in ("" is viewer).
	DefaultRole string
	// Name is what the sign-in button names ("" is the issuer's host).
	Name string
}

// Enabled reports whether any single sign-on setting is set.
func (s Settings) Enabled() bool {
	return s.Issuer != "" || s.ClientID != "" || s.ClientSecret != "" || s.AllowedDomains != ""
}

// Provider is a discovered OpenID provider Steward signs people in with.
type Provider struct {
	name        string
	domains     []string
	defaultRole string
	oauth       oauth2.Config
	verifier    *oidc.IDTokenVerifier
}

// discoveryTimeout bounds each wait for the provider: its discovery
// document at start, its token endpoint at each sign-in.
const discoveryTimeout = 15 * time.Second

// Discover checks the settings and reads the provider's discovery document,
// so that a wrong issuer or an unreachable provider stops Steward at start
// with a message naming the setting, instead of failing each sign-in later.
// baseURL is Steward's public address (the redirect URL's start).
func Discover(ctx context.Context, s Settings, baseURL string) (*Provider, error) {
	p, err := s.check()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, s.Issuer)
	if err != nil {
		return nil, fmt.Errorf("STEWARD_OIDC_ISSUER: cannot read the discovery document of %s (is the issuer right, and the provider reachable from here?): %w", s.Issuer, err)
	}
	p.oauth = oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  strings.TrimRight(baseURL, "/") + CallbackPath,
		Scopes:       []string{oidc.ScopeOpenID, "email"},
	}
	p.verifier = provider.Verifier(&oidc.Config{ClientID: s.ClientID})
	return p, nil
}

// Check says which setting is wrong, naming it as the environment does,
// without reaching the provider.
func (s Settings) Check() error {
	_, err := s.check()
	return err
}

// check is Check, making the Provider the settings describe.
func (s Settings) check() (*Provider, error) {
	u, err := url.Parse(s.Issuer)
	switch {
	case s.Issuer == "":
		return nil, errors.New("STEWARD_OIDC_ISSUER: single sign-on needs the provider's issuer URL, such as https://accounts.example.com")
	case err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))):
		return nil, fmt.Errorf("STEWARD_OIDC_ISSUER: %q is not an https URL (plain http is allowed only on a loopback address)", s.Issuer)
	case s.ClientID == "":
		return nil, errors.New("STEWARD_OIDC_CLIENT_ID: single sign-on needs the client ID registered at the provider")
	case s.ClientSecret == "":
		return nil, errors.New("STEWARD_OIDC_CLIENT_SECRET: single sign-on needs the client secret registered at the provider")
	}
	p := &Provider{name: s.Name, defaultRole: s.DefaultRole}
	if p.name == "" {
		p.name = u.Hostname()
	}
	if p.defaultRole == "" {
		p.defaultRole = db.RoleViewer
	}
	if !slices.Contains(db.UserRoles, p.defaultRole) {
		return nil, fmt.Errorf("STEWARD_OIDC_DEFAULT_ROLE: %q is not one of %s", s.DefaultRole, strings.Join(db.UserRoles, ", "))
	}
	for d := range strings.SplitSeq(s.AllowedDomains, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, "@/ ") || !strings.Contains(d, ".") {
			return nil, fmt.Errorf("STEWARD_OIDC_ALLOWED_DOMAINS: %q is not an email domain such as example.com", d)
		}
		p.domains = append(p.domains, d)
	}
	if len(p.domains) == 0 {
		return nil, errors.New("STEWARD_OIDC_ALLOWED_DOMAINS: name the email domains that may sign in, such as example.com,example.org")
	}
	return p, nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// Name is what the sign-in page offers: "Sign in with {Name}".
func (p *Provider) Name() string { return p.name }

// RedirectURL is the address to register at the provider.
func (p *Provider) RedirectURL() string { return p.oauth.RedirectURL }

// DefaultRole is the role of a login made at its first sign-in.
func (p *Provider) DefaultRole() string { return p.defaultRole }

// DomainAllowed reports whether email's domain is one that may sign in.
func (p *Provider) DomainAllowed(email string) bool {
	at := strings.LastIndexByte(email, '@')
	return at > 0 && slices.Contains(p.domains, strings.ToLower(email[at+1:]))
}

// Flow is one sign-in under way: what the callback must check. Kept on
// Steward's side, never sent to the browser but for State.
type Flow struct {
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
}

// NewFlow makes a fresh state, nonce and PKCE verifier.
func NewFlow() Flow {
	return Flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier()}
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported systems
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthURL is the provider's sign-in page for flow.
func (p *Provider) AuthURL(f Flow) string {
	return p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
}

// Identity is who the provider says signed in.
type Identity struct {
	Subject       string
	Email         string // lower case
	EmailVerified bool
}

// ErrExchange is a code the provider would not exchange for tokens: used
// already, expired, or not its own.
var ErrExchange = errors.New("sso: the provider refused the code")

// Identify exchanges code for tokens with flow's verifier, verifies the ID
// token (signature, issuer, audience, expiry) and its nonce, and returns
// whom it names.
func (p *Provider) Identify(ctx context.Context, f Flow, code string) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) {
		// Only the error code: the provider's description may repeat the code.
		return Identity{}, fmt.Errorf("%w: %d %s", ErrExchange, refused.Response.StatusCode, refused.ErrorCode)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("sso: reach the token endpoint: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return Identity{}, errors.New("sso: the token response has no ID token")
	}
	idToken, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("sso: verify the ID token: %w", err)
	}
	if idToken.Nonce != f.Nonce {
		return Identity{}, errors.New("sso: the ID token's nonce is not this sign-in's")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("sso: read the ID token's claims: %w", err)
	}
	return Identity{Subject: idToken.Subject, Email: strings.ToLower(strings.TrimSpace(claims.Email)),
		EmailVerified: isTrue(claims.EmailVerified)}, nil
}

// isTrue reads email_verified, which some providers send as a string.
func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}
