package db

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SearchHit is one record matching a search.
type SearchHit struct {
	Kind   string // owner, account, role, system_user, integration, token
	ID     int64
	Name   string
	Detail string
	// TokenKind is a token's kind (db.TokenKinds), and TokenStatus its
	// effective status (Token.EffectiveStatus), which views name.
	TokenKind, TokenStatus string
}

// SearchGroup is the hits of one kind and how many there were in all.
type SearchGroup struct {
	Kind  string
	Hits  []SearchHit
	Total int
}

// searchQueries finds each kind by its names, emails, external IDs, scopes
// and where it is stored. Each takes the LIKE pattern as ?1 and the limit as
// ?2. count, when set, counts the matches without the joins the sample needs.
// order, when set, sorts the sample instead of its second column: a kind
// named by its display name is read in the order of its name's index.
var searchQueries = []struct {
	kind, where, sample, count, order string
}{
	{"owner", ` FROM owners WHERE name LIKE ?1 ESCAPE '\' OR email LIKE ?1 ESCAPE '\' OR title LIKE ?1 ESCAPE '\' OR department LIKE ?1 ESCAPE '\'`,
		`SELECT id, display_name, email || CASE WHEN status <> 'active' THEN ' · ' || status ELSE '' END`, "", "name"},
	{"account", ` FROM accounts WHERE name LIKE ?1 ESCAPE '\' OR external_id LIKE ?1 ESCAPE '\' OR platform LIKE ?1 ESCAPE '\' OR url LIKE ?1 ESCAPE '\'`,
		`SELECT id, display_name, platform || ' ' || kind || CASE WHEN external_id <> '' THEN ' · ' || external_id ELSE '' END`, "", "name"},
	{"role", ` FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = r.owner_id
		LEFT JOIN system_users su ON su.id = r.system_user_id WHERE r.role LIKE ?1 ESCAPE '\'`,
		`SELECT r.id, r.role || ' on ' || a.display_name, COALESCE(o.display_name, su.name, '') || ' · ' || r.status`,
		` FROM roles r WHERE r.role LIKE ?1 ESCAPE '\'`, ""},
	{"system_user", ` FROM system_users WHERE name LIKE ?1 ESCAPE '\' OR external_id LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, CASE WHEN admin = 1 THEN 'admin · ' ELSE '' END || status || CASE WHEN external_id <> '' THEN ' · ' || external_id ELSE '' END`, "", ""},
	{"integration", ` FROM integrations WHERE name LIKE ?1 ESCAPE '\' OR description LIKE ?1 ESCAPE '\' OR runs_on LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, status || CASE WHEN runs_on <> '' THEN ' · ' || runs_on ELSE '' END`, "", ""},
	{"token", ` FROM tokens WHERE name LIKE ?1 ESCAPE '\' OR scopes LIKE ?1 ESCAPE '\' OR stored_in LIKE ?1 ESCAPE '\' OR assets LIKE ?1 ESCAPE '\'`,
		// Then its kind and what its effective status is made of.
		`SELECT id, name, CASE WHEN stored_in <> '' THEN 'stored in ' || stored_in ELSE '' END, kind, status, expires_on`, "", ""},
}

// Search finds records of every kind matching q, up to perKind of each.
// Each kind takes one pass over its table, counting every match while it
// keeps the first few by name. The answer is kept until the next write, so
// repeating a search (the header's active search asks again as people type
// and go back) costs nothing; callers must not modify it.
func (s *Store) Search(ctx context.Context, q string, perKind int) ([]SearchGroup, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	groups, err := s.searches.get(s, s.today()+"\x00"+q+"\x00"+strconv.Itoa(perKind), func() ([]SearchGroup, error) { return s.search(ctx, q, perKind) })
	return slices.Clip(groups), err
}

func (s *Store) search(ctx context.Context, q string, perKind int) ([]SearchGroup, error) {
	pat := likePattern(q)
	var out []SearchGroup
	for _, sq := range searchQueries {
		g := SearchGroup{Kind: sq.kind}
		args := []any{pat, perKind}
		// The count apart from the first few: the few are then read in
		// name order by index, and stop, instead of sorting every match.
		count := sq.count
		if count == "" {
			count = sq.where
		}
		if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*)"+count, pat).Scan(&g.Total); err != nil {
			return nil, fmt.Errorf("db: count search %s: %w", sq.kind, err)
		}
		if g.Total == 0 {
			continue
		}
		order := sq.order
		if order == "" {
			order = "2"
		}
		rows, err := s.read.QueryContext(ctx, sq.sample+sq.where+" ORDER BY "+order+" COLLATE NOCASE LIMIT ?2", args...)
		if err != nil {
			return nil, fmt.Errorf("db: search %s: %w", sq.kind, err)
		}
		for rows.Next() {
			h := SearchHit{Kind: sq.kind}
			var t Token
			dest := []any{&h.ID, &h.Name, &h.Detail}
			if sq.kind == "token" {
				dest = append(dest, &h.TokenKind, &t.Status, &t.ExpiresOn)
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("db: scan search %s: %w", sq.kind, err)
			}
			if sq.kind == "token" {
				h.TokenStatus = t.EffectiveStatus(s.today())
			}
			g.Hits = append(g.Hits, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("db: search %s: %w", sq.kind, err)
		}
		if g.Total > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// AccountPlatforms lists the platforms accounts are on, for filters.
// Every token list shows them, so they are kept until the next write.
func (s *Store) AccountPlatforms(ctx context.Context) ([]string, error) {
	platforms, err := s.platforms.get(s, "", func() ([]string, error) {
		return all(ctx, s.read, func(row scanner) (string, error) {
			var p string
			return p, row.Scan(&p)
		}, "platforms", "SELECT DISTINCT platform FROM accounts WHERE platform <> '' ORDER BY platform COLLATE NOCASE")
	})
	return slices.Clip(platforms), err
}
