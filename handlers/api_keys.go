package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/components"
	"steward/views/pages"
)

// listAPIKeys is GET /admin/api-keys: every key and the form for a new one.
func (s *Server) listAPIKeys(c echo.Context) error {
	return s.renderAPIKeys(c, http.StatusOK, components.Form{Values: map[string]string{"scope": "read"}, CSRF: csrfToken(c)}, db.APIKey{}, "")
}

// renderAPIKeys renders the keys page, with key (made as k) shown this once
// when one was just created.
func (s *Server) renderAPIKeys(c echo.Context, status int, f components.Form, k db.APIKey, key string) error {
	keys, err := s.store.APIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	a := pages.APIKeysAdmin{Keys: keys, Form: f, Today: s.store.Today(), NewKey: key, NewKeyName: k.Name}
	return render(c, status, pages.APIKeysPage(s.page(c, "API keys", "admin"), a))
}

// createAPIKey is POST /admin/api-keys: the answer shows the new key once;
// it is never stored, so it cannot be shown again.
func (s *Server) createAPIKey(c echo.Context) error {
	f := formOf(c, "name", "scope", "expires_on")
	k, key, err := s.store.CreateAPIKey(c.Request().Context(), actor(c), db.APIKeyInput{Name: f.Value("name"),
		Scope: f.Value("scope"), ExpiresOn: f.Value("expires_on")})
	if invalid(err, &f) {
		return s.renderAPIKeys(c, http.StatusUnprocessableEntity, f.FocusFirst("name", "scope", "expires_on"), db.APIKey{}, "")
	}
	if err != nil {
		return err
	}
	return s.renderAPIKeys(c, http.StatusOK, components.Form{Values: map[string]string{"scope": "read"}, CSRF: csrfToken(c)}, k, key)
}

// revokeAPIKey is POST /admin/api-keys/{id}/revoke.
func (s *Server) revokeAPIKey(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	return s.flashOutcome(c, s.store.RevokeAPIKey(c.Request().Context(), actor(c), id), "API key revoked: requests with it are refused.", "/admin/api-keys")
}
