package handlers

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/internal/sso"
	"steward/views/components"
)

// Single sign-on with OpenID Connect: GET /auth/oidc/login sends the browser
// to the provider with a fresh state, nonce and PKCE challenge; the provider
// sends it back to GET /auth/oidc/callback with a code. The nonce and the
// PKCE verifier never leave Steward: they wait in ssoFlows under the state,
// for ssoFlowTTL and one callback. The state also goes into a cookie, so
// only the browser that started a sign-in can finish it (a callback address
// sent to someone else signs nobody in).

const (
	ssoCookie  = "steward_sso"
	ssoFlowTTL = 10 * time.Minute
	// maxSSOFlows bounds the sign-ins under way that are remembered; past
	// it the oldest go, so starting sign-ins in bulk cannot grow memory.
	maxSSOFlows = 10000
	ssoCause    = "single sign-on"
)

// ssoFlow is one sign-in under way.
type ssoFlow struct {
	sso.Flow
	next    string
	expires time.Time
}

// ssoFlows are the sign-ins under way, by state; each is taken once.
type ssoFlows struct {
	mu    sync.Mutex
	flows map[string]ssoFlow
	order []string // states, oldest first, for dropping past maxSSOFlows
}

func newSSOFlows() *ssoFlows { return &ssoFlows{flows: map[string]ssoFlow{}} }

func (f *ssoFlows) add(flow ssoFlow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.order) > 0 && (len(f.flows) >= maxSSOFlows || len(f.order) >= 2*maxSSOFlows) {
		delete(f.flows, f.order[0])
		f.order = f.order[1:]
	}
	f.flows[flow.State] = flow
	f.order = append(f.order, flow.State)
}

// take removes and returns the unexpired flow of state.
func (f *ssoFlows) take(state string, now time.Time) (ssoFlow, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	flow, ok := f.flows[state]
	delete(f.flows, state)
	return flow, ok && now.Before(flow.expires)
}

// startSSO is GET /auth/oidc/login: off to the provider.
func (s *Server) startSSO(c echo.Context) error {
	if s.cfg.SSO == nil {
		return echo.NewHTTPError(http.StatusNotFound, "single sign-on is off")
	}
	flow := ssoFlow{Flow: sso.NewFlow(), next: safeNext(c.QueryParam("next")), expires: s.store.Now().Add(ssoFlowTTL)}
	s.ssoFlows.add(flow)
	c.SetCookie(s.ssoStateCookie(flow.State, int(ssoFlowTTL.Seconds())))
	return c.Redirect(http.StatusFound, s.cfg.SSO.AuthURL(flow.Flow))
}

// ssoStateCookie binds a sign-in's state to this browser; maxAge -1 deletes it.
func (s *Server) ssoStateCookie(state string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName(s.secure, ssoCookie), Value: state, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// finishSSO is GET /auth/oidc/callback: checks the state, has the provider
// confirm the code, checks the ID token and its email, and signs the
// matching login in, making it on its first sign-in. A refusal shows the
// sign-in page with a message; it writes nothing but, once the provider
// has named someone, the audit event of the refusal.
func (s *Server) finishSSO(c echo.Context) error {
	p := s.cfg.SSO
	if p == nil {
		return echo.NewHTTPError(http.StatusNotFound, "single sign-on is off")
	}
	ctx := c.Request().Context()
	refuse := func(status int, message string) error {
		return s.renderLogin(c, status, components.Form{CSRF: csrfToken(c), Values: map[string]string{}}, message)
	}
	state := c.QueryParam("state")
	ck, err := c.Cookie(cookieName(s.secure, ssoCookie))
	c.SetCookie(s.ssoStateCookie("", -1))
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(state)) != 1 {
		return refuse(http.StatusBadRequest, "This sign-in was not started in this browser, or has expired. Start again with “Sign in with "+p.Name()+"”.")
	}
	flow, ok := s.ssoFlows.take(state, s.store.Now())
	if !ok {
		return refuse(http.StatusBadRequest, "This sign-in has expired or was already used. Start again with “Sign in with "+p.Name()+"”.")
	}
	if c.QueryParam("error") != "" {
		s.log.Info("single sign-on refused by the provider", "error", truncate(c.QueryParam("error"), 64))
		return refuse(http.StatusUnauthorized, p.Name()+" did not sign you in. Try again, or ask your admin.")
	}
	id, err := p.Identify(ctx, flow.Flow, c.QueryParam("code"))
	if errors.Is(err, sso.ErrExchange) {
		s.log.Info("single sign-on: code refused", "err", err)
		return refuse(http.StatusUnauthorized, p.Name()+" did not confirm this sign-in: its code was used already or has expired. Start again.")
	}
	if err != nil {
		s.log.Warn("single sign-on: the provider's answer did not check out", "err", err)
		return refuse(http.StatusBadGateway, "Steward could not check "+p.Name()+"’s answer. Try again; if it keeps failing, ask your admin to look at Steward’s log.")
	}
	refused := func(why, message string) error {
		if err := s.store.RecordRefusedSignIn(ctx, c.RealIP(), id.Email, ssoCause+": "+why); err != nil {
			return err
		}
		return refuse(http.StatusForbidden, message)
	}
	switch {
	case id.Email == "":
		return refused("no email", p.Name()+" did not share an email address. Allow Steward to see your email there, then sign in again.")
	case !id.EmailVerified:
		return refused("the email is not verified", p.Name()+" has not verified the email address "+id.Email+". Verify it there, then sign in again.")
	case !p.DomainAllowed(id.Email):
		return refused("the email's domain is not allowed", id.Email+" is not in a domain allowed to sign in to Steward.")
	}
	u, err := s.ssoLogin(c, id.Email)
	if errors.Is(err, errEmailRefused) {
		return refused("Steward refuses the email", "Steward cannot make a login for "+id.Email+". Ask a Steward admin to add it.")
	}
	if errors.Is(err, errNoLoginYet) {
		return refuse(http.StatusForbidden, "Steward has no admin yet. Finish setting it up first (see the setup link in Steward’s log), then sign in.")
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return refused("the login is disabled", "The login "+u.Email+" is disabled. Ask a Steward admin to enable it.")
	}
	if err := s.startSession(c, u, ssoCause); err != nil {
		return err
	}
	return redirect(c, flow.next)
}

// errNoLoginYet refuses to make the very first login by single sign-on: it
// would get the default role, and no admin could be made after it.
var errNoLoginYet = errors.New("no login exists yet")

// errEmailRefused is a provider's email Steward's own checks refuse.
var errEmailRefused = errors.New("email refused")

// ssoLogin returns the login with email, making one with the provider's
// default role on its first sign-in.
func (s *Server) ssoLogin(c echo.Context, email string) (db.User, error) {
	ctx := c.Request().Context()
	u, err := s.store.UserByEmail(ctx, email)
	if !errors.Is(err, db.ErrNotFound) {
		return u, err
	}
	if n, err := s.store.CountUsers(ctx); err != nil || n == 0 {
		return u, cmp.Or(err, errNoLoginYet)
	}
	who := db.Actor{Email: email, IP: c.RealIP(), Role: db.RoleSteward, Cause: ssoCause + " through " + s.cfg.SSO.Name()}
	id, err := s.store.CreateUser(ctx, who, db.UserInput{Email: email, Role: s.cfg.SSO.DefaultRole(), NoPassword: true})
	var verr db.ValidationError
	if errors.As(err, &verr) { // made meanwhile by a sign-in in another tab, or an email Steward refuses
		if u, err = s.store.UserByEmail(ctx, email); errors.Is(err, db.ErrNotFound) {
			return u, errEmailRefused
		}
		return u, err
	}
	if err != nil {
		return u, err
	}
	return s.store.UserByID(ctx, id)
}

// ssoLink is the sign-in page's link to start single sign-on, or "".
func (s *Server) ssoLink(next string) string {
	if s.cfg.SSO == nil {
		return ""
	}
	if next = safeNext(next); next != "/" {
		return "/auth/oidc/login?next=" + url.QueryEscape(next)
	}
	return "/auth/oidc/login"
}
