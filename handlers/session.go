package handlers

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"steward/db"
)

const sessionCookie = "steward_session"

// Keys in a session's values. userKey and seenKey are filled on load and
// never written to the database.
const (
	userIDKey = "user_id"
	userKey   = "_user"
	seenKey   = "_seen"
)

// sessionStore is a gorilla/sessions Store that keeps session data in
// SQLite. The cookie carries only a signed random ID, so logging out,
// disabling a user or changing their role ends the session server-side.
type sessionStore struct {
	store  *db.Store
	codecs []securecookie.Codec
	opts   sessions.Options
	secure bool // cookies go by __Host- names, see cookieName

	decodedMu sync.RWMutex
	decoded   map[string]map[any]any // see decode

	idsMu sync.RWMutex
	ids   map[[2]string]string // see sessionID
}

func newSessionStore(store *db.Store, key []byte, secure bool) *sessionStore {
	return &sessionStore{
		store:  store,
		codecs: securecookie.CodecsFromPairs(key),
		secure: secure,
		opts: sessions.Options{Path: "/", MaxAge: int(SessionAbsolute.Seconds()), HttpOnly: true, Secure: secure,
			SameSite: http.SameSiteLaxMode},
		decoded: map[string]map[any]any{},
		ids:     map[[2]string]string{},
	}
}

// Get returns the request's session, cached for the rest of the request.
func (st *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New loads the session named by the request's cookie, or starts an empty
// one when there is none or it has expired.
func (st *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	s := sessions.NewSession(st, name)
	opts := st.opts
	s.Options = &opts
	s.IsNew = true
	c, err := r.Cookie(cookieName(st.secure, name))
	if err != nil {
		return s, nil
	}
	id := st.sessionID(name, c.Value)
	if id == "" {
		return s, nil // a forged or stale cookie just means no session
	}
	stored, err := st.store.SessionByID(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	now := st.store.Now()
	if now.Sub(stored.LastSeenAt) > SessionIdle || now.Sub(stored.CreatedAt) > SessionAbsolute {
		_ = st.store.DeleteSession(r.Context(), id)
		return s, nil
	}
	values, err := st.decode(stored.Data)
	if err != nil {
		return s, nil
	}
	s.ID, s.IsNew, s.Values = id, false, values
	if stored.User != nil {
		s.Values[userKey] = stored.User
	}
	s.Values[seenKey] = stored.LastSeenAt
	return s, nil
}

// sessionID returns the session ID a cookie named name carries, or "" when
// its signature does not hold. Checking it (an HMAC, then gob) was a twelfth
// of a cached page's time, for the same few cookies again and again: so a
// value that passed is remembered, until maxDecoded values are. Nothing is
// remembered of a value that fails, and whether the ID is still a session
// is for the store to say on every request. The codecs' own age limit (30
// days from sign-in, when the cookie is made) never ends a cookie before
// SessionAbsolute ends its session.
func (st *sessionStore) sessionID(name, value string) string {
	key := [2]string{name, value}
	st.idsMu.RLock()
	id, ok := st.ids[key]
	st.idsMu.RUnlock()
	if ok {
		return id
	}
	if err := securecookie.DecodeMulti(name, value, &id, st.codecs...); err != nil || id == "" {
		return ""
	}
	st.idsMu.Lock()
	if len(st.ids) >= maxDecoded {
		clear(st.ids)
	}
	st.ids[key] = id
	st.idsMu.Unlock()
	return id
}

// decode reads a session's stored values. Decoding gob builds its type
// tables afresh for every decoder, a tenth of a page's cost, while most
// sessions hold the same few bytes (the user's ID): so small data made of
// plain values is decoded once and copied after. Data holding slices (flash
// messages) is always decoded, so no two requests share one.
func (st *sessionStore) decode(data []byte) (map[any]any, error) {
	st.decodedMu.RLock()
	cached, ok := st.decoded[string(data)]
	st.decodedMu.RUnlock()
	if ok {
		return maps.Clone(cached), nil
	}
	values := map[any]any{}
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&values); err != nil {
		return nil, err
	}
	if len(data) <= maxDecodedSize && plainValues(values) {
		st.decodedMu.Lock()
		if len(st.decoded) >= maxDecoded {
			clear(st.decoded)
		}
		st.decoded[string(data)] = maps.Clone(values)
		st.decodedMu.Unlock()
	}
	return values, nil
}

// Bounds of the decoded-session cache.
const (
	maxDecoded     = 1024
	maxDecodedSize = 256
)

// plainValues reports whether every key and value is a string, number or
// boolean, which a shallow copy copies whole.
func plainValues(values map[any]any) bool {
	for k, v := range values {
		for _, x := range [2]any{k, v} {
			switch x.(type) {
			case string, int, int64, bool:
			default:
				return false
			}
		}
	}
	return true
}

// Save writes the session and its cookie; a negative MaxAge deletes both.
func (st *sessionStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	if s.Options.MaxAge < 0 {
		if s.ID != "" {
			if err := st.store.DeleteSession(r.Context(), s.ID); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(cookieName(st.secure, s.Name()), "", s.Options))
		return nil
	}
	if s.ID == "" {
		s.ID = db.NewSessionID()
	}
	persist := map[any]any{}
	for k, v := range s.Values {
		if k != userKey && k != seenKey {
			persist[k] = v
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(persist); err != nil {
		return err
	}
	userID, _ := s.Values[userIDKey].(int64)
	if err := st.store.SaveSession(r.Context(), s.ID, userID, buf.Bytes()); err != nil {
		return err
	}
	encoded, err := securecookie.EncodeMulti(s.Name(), s.ID, st.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(cookieName(st.secure, s.Name()), encoded, s.Options))
	return nil
}

// touch moves the session's idle clock at most once a minute, so reading
// pages does not turn every request into a write.
func (st *sessionStore) touch(ctx context.Context, s *sessions.Session) {
	seen, _ := s.Values[seenKey].(time.Time)
	if s.ID != "" && st.store.Now().Sub(seen) > time.Minute {
		_ = st.store.TouchSession(ctx, s.ID)
	}
}

func init() {
	gob.Register(int64(0))
	gob.Register([]any{})
}
