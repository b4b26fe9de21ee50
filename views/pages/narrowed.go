package pages

import (
	"strings"

	"steward/db"
	"steward/views/components"
)

// Related is the first few records related to the record a page shows, how
// many there are in all, and the link to all of them in their list.
type Related[T any] struct {
	Items   []T
	Total   int
	AllHref string
}

// Narrowing narrows a list to the records related to one record, as the
// "Show all" link of that record's page sets it: Param=ID in the query.
type Narrowing struct {
	Label string // what the chip says the record is: "Account"
	Param string // the query parameter: "account_id"
	ID    int64
	Name  string // the record's name; "" if it is gone
}

// Narrowed is a list's narrowings, which its sort, page and clear links keep.
type Narrowed []Narrowing

// Query is the narrowings as a query string.
func (n Narrowed) Query() string {
	pairs := make([]string, 0, 2*len(n))
	for _, x := range n {
		pairs = append(pairs, x.Param, components.OptionalID(x.ID))
	}
	return components.Query(pairs...)
}

// URL is the list at path with these narrowings and p's search, status and sort.
func (n Narrowed) URL(path string, p db.ListParams) string {
	if q := n.Query(); q != "" {
		path += "?" + q
	}
	return components.ListURL(path, p)
}

// ListQuery is the query string of p's search, status and sort and these
// narrowings, which the list's export links carry.
func (n Narrowed) ListQuery(p db.ListParams) string { return strings.TrimPrefix(n.URL("", p), "?") }

// Base is the list at path with these narrowings, for its sort and page links.
func (n Narrowed) Base(path string) string { return n.URL(path, db.ListParams{}) }

// without is n less its i-th narrowing, for that chip's "Clear" link.
func (n Narrowed) without(i int) Narrowed {
	return append(append(Narrowed{}, n[:i]...), n[i+1:]...)
}

// name names the record x narrows to, or says which one it was if it is gone.
func (x Narrowing) name() string {
	if x.Name != "" {
		return x.Name
	}
	return x.Label + " #" + components.ID(x.ID)
}

// clearLabel is the accessible name of x's "Clear" link.
func (x Narrowing) clearLabel() string { return "Clear the " + strings.ToLower(x.Label) + " filter" }
