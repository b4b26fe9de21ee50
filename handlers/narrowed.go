package handlers

import (
	"errors"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"steward/db"
	"steward/views/pages"
)

// relatedShown is how many related records (tokens, roles, system users,
// accounts, integrations) a record's page lists; a link leads to all of them
// in their list, narrowed to that record.
const relatedShown = 20

// queryID reads a record ID from the query; anything but a positive number
// counts as none, so a mangled link shows the whole list.
func queryID(c echo.Context, name string) int64 {
	n, _ := strconv.ParseInt(c.QueryParam(name), 10, 64)
	return max(n, 0)
}

// narrowBy is a list filter a record page's "Show all" link may set: param
// holds the ID of a record of kind, read into *id.
type narrowBy struct {
	label, param, kind string
	id                 *int64
}

// roleNarrowing is the role list's narrowings, read into f.
func roleNarrowing(f *db.RoleFilter) []narrowBy {
	return []narrowBy{{"Account", "account_id", "account", &f.AccountID}, {"Person", "owner_id", "owner", &f.OwnerID},
		{"System user", "system_user_id", "system_user", &f.SystemUserID}}
}

// accountNarrowing is the account list's narrowings, read into f.
func accountNarrowing(f *db.AccountFilter) []narrowBy {
	return []narrowBy{{"Parent account", "parent_id", "account", &f.ParentID}, {"Accountable owner", "owner_id", "owner", &f.OwnerID}}
}

// systemUserNarrowing is the system user list's narrowings, read into f.
func systemUserNarrowing(f *db.SystemUserFilter) []narrowBy {
	return []narrowBy{{"Account", "account_id", "account", &f.AccountID}, {"Integration", "integration_id", "integration", &f.IntegrationID},
		{"Responsible owner", "responsible_owner_id", "owner", &f.OwnerID}}
}

// integrationNarrowing is the integration list's narrowings, read into f.
func integrationNarrowing(f *db.IntegrationFilter) []narrowBy {
	return []narrowBy{{"Responsible owner", "responsible_owner_id", "owner", &f.OwnerID}}
}

// listFilters is every list's filters beyond search and status as the query
// gives them, for the exports: the token list's own, and the narrowings of
// the others.
type listFilters struct {
	token       db.TokenFilter
	role        db.RoleFilter
	account     db.AccountFilter
	systemUser  db.SystemUserFilter
	integration db.IntegrationFilter
}

// readListFilters reads every list's filters from the query.
func readListFilters(c echo.Context) listFilters {
	var f listFilters
	for _, by := range f.narrowings() {
		readNarrowing(c, by)
	}
	for _, by := range f.textFilters() {
		for _, tf := range by {
			if v := c.QueryParam(tf.param); tf.choices == nil || slices.Contains(tf.choices, v) {
				*tf.value = v
			}
		}
	}
	return f
}

// narrowings are each list's narrowings, read into f, by db.Kind name; the
// OpenAPI document lists them as the API lists' query parameters.
func (f *listFilters) narrowings() map[string][]narrowBy {
	return map[string][]narrowBy{"token": tokenNarrowing(&f.token), "role": roleNarrowing(&f.role), "account": accountNarrowing(&f.account),
		"system_user": systemUserNarrowing(&f.systemUser), "integration": integrationNarrowing(&f.integration)}
}

// textFilter is a list filter that takes text: any, or one of choices
// (another value counts as none).
type textFilter struct {
	param   string
	choices []string
	value   *string
}

// textFilters are each list's filters that take text, read into f, by
// db.Kind name.
func (f *listFilters) textFilters() map[string][]textFilter {
	return map[string][]textFilter{"token": tokenTextFilters(&f.token)}
}

// readNarrowing reads the IDs of by from the query.
func readNarrowing(c echo.Context, by []narrowBy) {
	for _, b := range by {
		*b.id = queryID(c, b.param)
	}
}

// narrowing reads the narrowings of a list from the query into their IDs and
// names each record for its chip; an ID of no record keeps its chip (and
// matches nothing), as on the token list.
func (s *Server) narrowing(c echo.Context, by []narrowBy) (pages.Narrowed, error) {
	readNarrowing(c, by)
	var out pages.Narrowed
	for _, b := range by {
		if *b.id == 0 {
			continue
		}
		name, err := s.store.RecordName(c.Request().Context(), b.kind, *b.id)
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		out = append(out, pages.Narrowing{Label: b.label, Param: b.param, ID: *b.id, Name: name})
	}
	return out, nil
}

// related is the first of a record's related records, as a store's list
// gives them (relatedShown of them, see relatedPage), with the link to them all in
// the list at path narrowed by param to the record id.
func related[T any](page db.Page[T], err error, path, param string, id int64) (pages.Related[T], error) {
	return pages.Related[T]{Items: page.Items, Total: page.Total, AllHref: narrowedTo(path, param, id)}, err
}

// relatedPage is the list parameters of a record page's related records:
// the first few, active ones first.
var relatedPage = db.ListParams{PerPage: relatedShown, Sort: "status"}

// narrowedTo is the list at path narrowed to the record id by param, the
// target of a record page's "Show all" link.
func narrowedTo(path, param string, id int64) string {
	return pages.Narrowed{{Param: param, ID: id}}.URL(path, db.ListParams{})
}
