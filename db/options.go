package db

import (
	"context"
	"encoding/json"
	"fmt"
)

// Pickers.
//
// A form offers the first records of a kind in a select, as many as a page
// can carry; with ten thousand people that is not all of them. So a form
// that shows a record chosen before (editing a token whose owner is far down
// the alphabet) adds that record to its picker with ChosenOptions: a select
// without the chosen option would silently send nothing and clear the link.

// optionSources name each kind's records for pickers: "SELECT id, label
// FROM ..." and the ID column.
var optionSources = map[string]struct{ selectFrom, idCol string }{
	"owners": {`SELECT id, name || CASE WHEN email <> '' THEN ' <' || email || '>' ELSE '' END
		|| CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM owners`, "id"},
	"accounts": {`SELECT id, name || ' — ' || platform || CASE WHEN kind <> '' THEN ' ' || kind ELSE '' END
		|| CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM accounts`, "id"},
	"system_users": {`SELECT su.id, su.name || ' — ' || a.name
		|| CASE WHEN su.status <> 'active' THEN ' (' || su.status || ')' ELSE '' END
		FROM system_users su JOIN accounts a ON a.id = su.account_id`, "su.id"},
	"integrations": {`SELECT id, name || CASE WHEN status <> 'active' THEN ' (' || status || ')' ELSE '' END FROM integrations`, "id"},
}

// ChosenOptions labels the records of kind with these IDs as their picker
// does; IDs of no record are left out.
func (s *Store) ChosenOptions(ctx context.Context, kind string, ids []int64) ([]Option, error) {
	src, ok := optionSources[kind]
	if !ok {
		return nil, fmt.Errorf("db: no picker for %q", kind)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return s.optionList(ctx, src.selectFrom+" WHERE "+src.idCol+" IN (SELECT value FROM json_each(?)) ORDER BY "+src.idCol, string(list))
}
