package db

import (
	"context"
	"strings"
)

// SearchHit is one record matching a search.
type SearchHit struct {
	Kind   string // owner, account, role, system_user, integration, token
	ID     int64
	Name   string
	Detail string
}

// SearchGroup is the hits of one kind and how many there were in all.
type SearchGroup struct {
	Kind  string
	Hits  []SearchHit
	Total int
}

// searchQueries finds each kind by its names, emails, external IDs, scopes
// and where it is stored. Each takes the LIKE pattern as ?1 and the limit as ?2.
var searchQueries = []struct {
	kind, where, sample string
}{
	{"owner", ` FROM owners WHERE name LIKE ?1 ESCAPE '\' OR email LIKE ?1 ESCAPE '\' OR title LIKE ?1 ESCAPE '\' OR department LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, email || CASE WHEN status <> 'active' THEN ' · ' || status ELSE '' END`},
	{"account", ` FROM accounts WHERE name LIKE ?1 ESCAPE '\' OR external_id LIKE ?1 ESCAPE '\' OR platform LIKE ?1 ESCAPE '\' OR url LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, platform || ' ' || kind || CASE WHEN external_id <> '' THEN ' · ' || external_id ELSE '' END`},
	{"role", ` FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = r.owner_id
		LEFT JOIN system_users su ON su.id = r.system_user_id WHERE r.role LIKE ?1 ESCAPE '\'`,
		`SELECT r.id, r.role || ' on ' || a.name, COALESCE(o.name, su.name, '') || ' · ' || r.status`},
	{"system_user", ` FROM system_users WHERE name LIKE ?1 ESCAPE '\' OR external_id LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, CASE WHEN admin = 1 THEN 'admin · ' ELSE '' END || status || CASE WHEN external_id <> '' THEN ' · ' || external_id ELSE '' END`},
	{"integration", ` FROM integrations WHERE name LIKE ?1 ESCAPE '\' OR description LIKE ?1 ESCAPE '\' OR runs_on LIKE ?1 ESCAPE '\'`,
		`SELECT id, name, status || CASE WHEN runs_on <> '' THEN ' · ' || runs_on ELSE '' END`},
	{"token", ` FROM tokens WHERE name LIKE ?1 ESCAPE '\' OR scopes LIKE ?1 ESCAPE '\' OR stored_in LIKE ?1 ESCAPE '\' OR assets LIKE ?1 ESCAPE '\'`,
		// The token's kind as people call it, and its effective status: a
		// token past its date shows as expired here as everywhere (?3 is today).
		`SELECT id, name, ` + tokenKindLabelSQL() + ` || ' · ' ||
			CASE WHEN status = 'active' AND expires_on <> '' AND expires_on < ?3 THEN 'expired' ELSE status END
			|| CASE WHEN stored_in <> '' THEN ' · stored in ' || stored_in ELSE '' END`},
}

// tokenKindLabelSQL is TokenKindLabel as an SQL expression over kind.
func tokenKindLabelSQL() string {
	var b strings.Builder
	b.WriteString("CASE kind")
	for _, k := range TokenKinds {
		b.WriteString(" WHEN '" + k + "' THEN '" + TokenKindLabel(k) + "'")
	}
	b.WriteString(" ELSE 'Other' END")
	return b.String()
}

// Search finds records of every kind matching q, up to perKind of each.
func (s *Store) Search(ctx context.Context, q string, perKind int) ([]SearchGroup, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	pat := likePattern(q)
	var out []SearchGroup
	for _, sq := range searchQueries {
		g := SearchGroup{Kind: sq.kind}
		if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*)"+sq.where, pat).Scan(&g.Total); err != nil {
			return nil, err
		}
		if g.Total == 0 {
			continue
		}
		kind := sq.kind
		args := []any{pat, perKind}
		if kind == "token" {
			args = append(args, s.today())
		}
		hits, err := all(ctx, s.read, func(row scanner) (SearchHit, error) {
			h := SearchHit{Kind: kind}
			return h, row.Scan(&h.ID, &h.Name, &h.Detail)
		}, "search "+sq.kind, sq.sample+sq.where+" ORDER BY 2 COLLATE NOCASE LIMIT ?2", args...)
		if err != nil {
			return nil, err
		}
		g.Hits = hits
		out = append(out, g)
	}
	return out, nil
}

// AccountPlatforms lists the platforms accounts are on, for filters.
func (s *Store) AccountPlatforms(ctx context.Context) ([]string, error) {
	return all(ctx, s.read, func(row scanner) (string, error) {
		var p string
		return p, row.Scan(&p)
	}, "platforms", "SELECT DISTINCT platform FROM accounts WHERE platform <> '' ORDER BY platform COLLATE NOCASE")
}
