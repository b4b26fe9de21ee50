package handlers

import (
	"net/http"
	"slices"
	"testing"
)

// TestOpenAPIRefusesUndescribedRoutes: a route under /api/v1 the generator
// does not know is reported, so TestOpenAPIDescribesEveryRoute fails until
// the generator describes it.
func TestOpenAPIRefusesUndescribedRoutes(t *testing.T) {
	routes := []Route{
		{http.MethodGet, "/api/v1/tokens", viewer, nil},
		{http.MethodGet, "/api/v1/widgets", viewer, nil},
		{http.MethodDelete, "/api/v1/tokens/:id", editor, nil},
		{http.MethodPost, "/api/v1/tokens/:id/revoke/now", editor, nil},
		{http.MethodPost, "/api/v1/tokens/:id/revoke", editor, nil},
		{http.MethodPost, "/api/v1/tokens/:id/rotate", editor, nil}, // not a status action
		{http.MethodGet, "/api/v1/tokens/export", viewer, nil},
		{http.MethodGet, "/tokens/:id", viewer, nil}, // not the API's
	}
	_, undescribed := (&Server{}).buildOpenAPI(routes)
	want := []string{"GET /api/v1/widgets", "DELETE /api/v1/tokens/:id", "POST /api/v1/tokens/:id/revoke/now", "POST /api/v1/tokens/:id/rotate", "GET /api/v1/tokens/export"}
	if !slices.Equal(undescribed, want) {
		t.Errorf("undescribed: %q, want %q", undescribed, want)
	}
}
