package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Pickers.
//
// A form offers the first records of a kind in a select, as many as a page
// can carry; with ten thousand people that is not all of them. So a form
// that shows a record chosen before (editing a token whose owner is far down
// the alphabet) adds that record to its picker (PickerOptions): a select
// without the chosen option would silently send nothing and clear the link.

// optionSources name each kind's records for pickers: "SELECT id, label
// FROM ..." and the ID column. An account is named with its platform and
// kind, which its display name already carries when another account has
// its name (migration 011).
var optionSources = map[string]struct{ selectFrom, idCol string }{
	"owners": {`SELECT id, name || CASE WHEN email <> '' THEN ' <' || email || '>' ELSE '' END
		|| CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM owners`, "id"},
	"accounts": {`SELECT id, CASE WHEN display_name <> name THEN display_name
		ELSE name || ' — ' || platform || CASE WHEN kind <> '' THEN ' ' || kind ELSE '' END END
		|| CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM accounts`, "id"},
	"system_users": {`SELECT su.id, su.name || ' — ' || a.display_name
		|| CASE WHEN su.status <> 'active' THEN ' (' || su.status || ')' ELSE '' END
		FROM system_users su JOIN accounts a ON a.id = su.account_id`, "su.id"},
	"integrations": {`SELECT id, name || CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM integrations`, "id"},
}

// PickerOptions are up to limit records of kind ("owners", "accounts",
// "system_users" or "integrations") matching q, the first ones when q is
// empty, followed by those of chosen that are not among them.
func (s *Store) PickerOptions(ctx context.Context, kind, q string, limit int, chosen []int64) ([]Option, error) {
	first := map[string]func(context.Context, string, int) ([]Option, error){
		"owners": s.OwnerOptions, "accounts": s.AccountOptions, "system_users": s.SystemUserOptions, "integrations": s.IntegrationOptions,
	}[kind]
	if first == nil {
		return nil, fmt.Errorf("db: no picker for %q", kind)
	}
	opts, err := first(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range chosen {
		if id > 0 && !slices.Contains(missing, id) && !slices.ContainsFunc(opts, func(o Option) bool { return o.ID == id }) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return opts, nil
	}
	list, err := json.Marshal(missing)
	if err != nil {
		return nil, err
	}
	src := optionSources[kind]
	extra, err := s.optionList(ctx, src.selectFrom+" WHERE "+src.idCol+" IN (SELECT value FROM json_each(?)) ORDER BY "+src.idCol, string(list))
	// Clipped: opts may be a cached slice, which append must not write into.
	return append(slices.Clip(opts), extra...), err
}
