// Package metatest is a fake of Meta's Graph API for tests: an httptest
// server answering debug_token and the business edges Steward reads, in
// the shapes Meta documents (debug_token's "data"; an edge's "data" with
// "paging.cursors" and "paging.next"), with small pages so readers cross
// them, and any endpoint made to answer a Graph error or to hang.
package metatest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"steward/db"
)

// Token is what debug_token says of one token value, in Meta's terms.
type Token struct {
	Valid               bool
	Type                string // "SYSTEM_USER", "USER", "PAGE"
	AppID               string // empty: the server's app
	Application         string
	UserID              string
	ExpiresAt           int64 // Unix seconds; 0 = never expires
	DataAccessExpiresAt int64
	IssuedAt            int64
	Scopes              []string
	GranularScopes      []GranularScope
	// ErrorMessage is Meta's reason when the token is not valid.
	ErrorMessage string
}

// GranularScope is one entry of debug_token's granular_scopes.
type GranularScope struct {
	Scope     string   `json:"scope"`
	TargetIDs []string `json:"target_ids,omitempty"`
}

// Fault is a Graph error an endpoint answers instead of its data, or a
// hang until the caller gives up.
type Fault struct {
	Code    int
	Subcode int
	Message string
	Hang    bool
}

// Server is the fake Graph API. Set it up with SetApp, SetBusiness,
// AddToken and Fail; its fields are its settings.
type Server struct {
	// URL is the Graph base URL to give the client (like
	// https://graph.facebook.com/v26.0).
	URL string
	// PageSize is how many items each page of an edge holds (default 2).
	PageSize int

	mu        sync.Mutex
	appID     string
	appSecret string
	business  db.MetaSnapshot
	tokens    map[string]Token
	faults    map[string]Fault
	requests  []string
	srv       *httptest.Server
}

// Cleaner is what New needs of a test (a *testing.T): a way to close the
// server at its end. A program outside tests can pass its own.
type Cleaner interface{ Cleanup(func()) }

// New starts a fake Graph API, closed when t ends, with the app "1001" /
// "fake-app-secret" and no business.
func New(t Cleaner) *Server {
	s := &Server{PageSize: 2, appID: "1001", appSecret: "fake-app-secret", tokens: map[string]Token{}, faults: map[string]Fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v26.0"
	t.Cleanup(s.srv.Close)
	return s
}

// SetApp sets the app whose app token (appID|appSecret) debug_token takes.
func (s *Server) SetApp(appID, appSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appID, s.appSecret = appID, appSecret
}

// SetBusiness sets what the business holds on Meta. Ad account IDs are
// bare numbers; the server adds "act_" where Meta does.
func (s *Server) SetBusiness(b db.MetaSnapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.business = b
}

// AddToken makes value a token debug_token describes as tok. A valid token
// with the business_management scope may also read the business.
func (s *Server) AddToken(value string, tok Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[value] = tok
}

// Fail makes endpoint answer f from now on: "debug_token", or an edge's
// name ("system_users", "business_users", "owned_ad_accounts",
// "owned_pages", "assigned_ad_accounts", "assigned_pages"). A zero Fault
// clears it.
func (s *Server) Fail(endpoint string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.faults, endpoint)
		return
	}
	if f.Message == "" {
		f.Message = messages[f.Code]
	}
	s.faults[endpoint] = f
}

// messages are Meta's documented messages for the codes tests use.
var messages = map[int]string{
	190: "Error validating access token: Session has expired.",
	10:  "(#10) Application does not have permission for this action",
	200: "(#200) Requires business_management permission to manage the object",
	4:   "(#4) Application request limit reached",
	17:  "(#17) User request limit reached",
	32:  "(#32) Page request limit reached",
	613: "(#613) Calls to this api have exceeded the rate limit.",
	100: "Unsupported get request.",
}

// Requests are the paths (with query) the server was asked for, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// bearer is the access token of r: the Authorization header's or the
// access_token parameter's.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if strings.HasPrefix(h, scheme) {
			return strings.TrimPrefix(h, scheme)
		}
	}
	return r.URL.Query().Get("access_token")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	s.mu.Unlock()
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v26.0"), "/"), "/")
	endpoint := parts[len(parts)-1]
	s.mu.Lock()
	fault, failing := s.faults[endpoint]
	s.mu.Unlock()
	if failing && fault.Hang {
		<-r.Context().Done()
		return
	}
	if failing {
		writeError(w, fault.Code, fault.Subcode, fault.Message)
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, 100, 0, "Unsupported post request.")
		return
	}
	if len(parts) == 1 && endpoint == "debug_token" {
		s.debugToken(w, r)
		return
	}
	if len(parts) == 2 {
		s.edge(w, r, parts[0], endpoint)
		return
	}
	if len(parts) == 1 {
		s.node(w, r, endpoint)
		return
	}
	writeError(w, 2500, 0, "Unknown path components: /"+strings.Join(parts, "/"))
}

// debugToken answers GET /debug_token?input_token=… for the app token.
func (s *Server) debugToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	appToken := s.appID + "|" + s.appSecret
	tok, known := s.tokens[r.URL.Query().Get("input_token")]
	appID := s.appID
	s.mu.Unlock()
	if bearer(r) != appToken {
		writeError(w, 190, 0, "Invalid OAuth access token signature.")
		return
	}
	data := map[string]any{"is_valid": false, "scopes": []string{}}
	switch {
	case !known:
		data["error"] = map[string]any{"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"}
	default:
		if tok.AppID == "" {
			tok.AppID = appID
		}
		data = map[string]any{
			"app_id": tok.AppID, "type": tok.Type, "application": tok.Application,
			"data_access_expires_at": tok.DataAccessExpiresAt, "expires_at": tok.ExpiresAt,
			"is_valid": tok.Valid, "issued_at": tok.IssuedAt, "scopes": tok.Scopes,
			"granular_scopes": tok.GranularScopes, "user_id": tok.UserID,
		}
		if !tok.Valid {
			data["error"] = map[string]any{"code": 190, "subcode": 463, "message": tok.ErrorMessage}
		}
	}
	writeJSON(w, map[string]any{"data": data})
}

// edge answers GET /{node}/{edge} with one page of items.
// node answers GET /{business-id}?fields=id,name: the business's name.
func (s *Server) node(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	tok, known := s.tokens[bearer(r)]
	b := s.business
	s.mu.Unlock()
	switch {
	case !known || !tok.Valid:
		writeError(w, 190, 0, "Invalid OAuth access token - Cannot parse access token")
	case !slices.Contains(tok.Scopes, "business_management"):
		writeError(w, 200, 0, messages[200])
	case id != b.BusinessID:
		writeError(w, 100, 33, "Unsupported get request. Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "name": b.BusinessName})
	}
}

func (s *Server) edge(w http.ResponseWriter, r *http.Request, node, edge string) {
	s.mu.Lock()
	tok, known := s.tokens[bearer(r)]
	b := s.business
	size := s.PageSize
	s.mu.Unlock()
	switch {
	case !known || !tok.Valid:
		writeError(w, 190, 0, "Invalid OAuth access token - Cannot parse access token")
		return
	case !slices.Contains(tok.Scopes, "business_management"):
		writeError(w, 200, 0, messages[200])
		return
	}
	items, ok := edgeItems(b, node, edge)
	if !ok {
		writeError(w, 100, 33, "Unsupported get request. Object with ID '"+node+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return
	}
	if size <= 0 {
		size = 2
	}
	from := 0
	if after := r.URL.Query().Get("after"); after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(after)
		if n, convErr := strconv.Atoi(string(raw)); err == nil && convErr == nil && n >= 0 && n <= len(items) {
			from = n
		}
	}
	to := min(from+size, len(items))
	page := map[string]any{"data": items[from:to]}
	if len(items) > 0 {
		paging := map[string]any{"cursors": map[string]string{
			"before": base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(from))),
			"after":  base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to))),
		}}
		if to < len(items) {
			// Like Meta, the next link repeats the query with the token.
			q := r.URL.Query()
			q.Set("after", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to))))
			q.Set("limit", strconv.Itoa(size))
			q.Set("access_token", bearer(r))
			paging["next"] = s.srv.URL + r.URL.Path + "?" + q.Encode()
		}
		page["paging"] = paging
	}
	writeJSON(w, page)
}

// edgeItems are an edge's items in Meta's shapes; ok is false for a node
// that is neither the business nor one of its system users.
func edgeItems(b db.MetaSnapshot, node, edge string) (items []map[string]any, ok bool) {
	adAccount := func(id, name string) map[string]any {
		return map[string]any{"id": "act_" + id, "account_id": id, "name": name}
	}
	if node == b.BusinessID && b.BusinessID != "" {
		switch edge {
		case "system_users":
			for _, su := range b.SystemUsers {
				items = append(items, map[string]any{"id": su.ID, "name": su.Name, "role": su.Role})
			}
		case "business_users":
			for _, p := range b.People {
				items = append(items, map[string]any{"id": p.ID, "name": p.Name, "email": p.Email, "role": p.Role})
			}
		case "owned_ad_accounts":
			for _, a := range b.AdAccounts {
				items = append(items, adAccount(a.ID, a.Name))
			}
		case "owned_pages":
			for _, p := range b.Pages {
				items = append(items, map[string]any{"id": p.ID, "name": p.Name})
			}
		default:
			return nil, false
		}
		return items, true
	}
	if !slices.ContainsFunc(b.SystemUsers, func(su db.MetaSystemUser) bool { return su.ID == node }) {
		return nil, false
	}
	kind := map[string]string{"assigned_ad_accounts": "ad_account", "assigned_pages": "page"}[edge]
	if kind == "" {
		return nil, false
	}
	for _, as := range b.Assignments {
		if as.SystemUserID != node || as.AssetKind != kind {
			continue
		}
		item := map[string]any{"id": as.AssetID, "name": assetName(b, as), "tasks": as.Tasks}
		if kind == "ad_account" {
			item = adAccount(as.AssetID, assetName(b, as))
			item["tasks"] = as.Tasks
		}
		items = append(items, item)
	}
	return items, true
}

// assetName is the name the business gives an assigned asset, if it owns it.
func assetName(b db.MetaSnapshot, as db.MetaAssignment) string {
	list := b.Pages
	if as.AssetKind == "ad_account" {
		list = b.AdAccounts
	}
	for _, a := range list {
		if a.ID == as.AssetID {
			return a.Name
		}
	}
	return ""
}

// writeError answers Meta's error object; Meta answers most with 400.
func writeError(w http.ResponseWriter, code, subcode int, message string) {
	e := map[string]any{"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfGhIjK"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
