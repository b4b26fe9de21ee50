package meta

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"steward/db"
)

// pageSize is how many items Steward asks Meta for per page of an edge.
const pageSize = "100"

// edgePage is one page of an edge: its items and Meta's paging.
type edgePage struct {
	Data   []json.RawMessage `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

// edgeItem holds the fields Steward asks of any edge's items.
type edgeItem struct {
	ID        string   `json:"id"`
	AccountID string   `json:"account_id"` // an ad account's ID without "act_"
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Role      string   `json:"role"`
	Tasks     []string `json:"tasks"`
}

// assetID is the bare number of an ad account or Page.
func (it edgeItem) assetID() string {
	if it.AccountID != "" {
		return it.AccountID
	}
	return strings.TrimPrefix(it.ID, "act_")
}

// ReadBusiness reads everything Steward records of businessID with token:
// its name, system users, people, owned ad accounts and Pages, and each system user's
// assigned ad accounts and Pages with their tasks, following every page.
// Any error (a rate limit included) aborts the read: nothing partial is
// returned.
func (c *Client) ReadBusiness(ctx context.Context, token, businessID string) (db.MetaSnapshot, error) {
	snap := db.MetaSnapshot{BusinessID: businessID}
	id := url.PathEscape(businessID)
	base, err := url.Parse(c.baseURL())
	if err != nil {
		return db.MetaSnapshot{}, &Error{Kind: Other, Message: "bad Graph URL"}
	}
	node := base.JoinPath(id)
	node.RawQuery = url.Values{"fields": {"id,name"}}.Encode()
	var business edgeItem
	if err := c.get(ctx, node, token, &business); err != nil {
		return db.MetaSnapshot{}, err
	}
	snap.BusinessName = business.Name
	systemUsers, err := c.readEdge(ctx, token, id+"/system_users", "id,name,role")
	if err != nil {
		return db.MetaSnapshot{}, err
	}
	for _, it := range systemUsers {
		snap.SystemUsers = append(snap.SystemUsers, db.MetaSystemUser{ID: it.ID, Name: it.Name, Role: it.Role})
	}
	people, err := c.readEdge(ctx, token, id+"/business_users", "id,name,email,role")
	if err != nil {
		return db.MetaSnapshot{}, err
	}
	for _, it := range people {
		snap.People = append(snap.People, db.MetaPerson{ID: it.ID, Name: it.Name, Email: it.Email, Role: it.Role})
	}
	for _, owned := range []struct {
		edge, fields string
		into         *[]db.MetaAsset
	}{
		{"owned_ad_accounts", "id,account_id,name", &snap.AdAccounts},
		{"owned_pages", "id,name", &snap.Pages},
	} {
		items, err := c.readEdge(ctx, token, id+"/"+owned.edge, owned.fields)
		if err != nil {
			return db.MetaSnapshot{}, err
		}
		for _, it := range items {
			*owned.into = append(*owned.into, db.MetaAsset{ID: it.assetID(), Name: it.Name})
		}
	}
	for _, su := range snap.SystemUsers {
		for _, assigned := range []struct{ edge, fields, kind string }{
			{"assigned_ad_accounts", "id,account_id,name,tasks", "ad_account"},
			{"assigned_pages", "id,name,tasks", "page"},
		} {
			items, err := c.readEdge(ctx, token, url.PathEscape(su.ID)+"/"+assigned.edge, assigned.fields)
			if err != nil {
				return db.MetaSnapshot{}, err
			}
			for _, it := range items {
				snap.Assignments = append(snap.Assignments, db.MetaAssignment{
					SystemUserID: su.ID, AssetID: it.assetID(), AssetKind: assigned.kind, Tasks: it.Tasks})
			}
		}
	}
	snap.ReadAt = time.Now().UTC()
	return snap, nil
}

// readEdge reads every page of the edge at path (below BaseURL) with the
// given fields. It follows paging.next only to Meta's own host, and takes
// any access_token out of it: the token goes in the header.
func (c *Client) readEdge(ctx context.Context, token, path, fields string) ([]edgeItem, error) {
	base, err := url.Parse(c.baseURL())
	if err != nil {
		return nil, &Error{Kind: Other, Message: "bad Graph URL"}
	}
	target := base.JoinPath(path)
	target.RawQuery = url.Values{"fields": {fields}, "limit": {pageSize}}.Encode()
	var items []edgeItem
	for {
		var page edgePage
		if err := c.get(ctx, target, token, &page); err != nil {
			return nil, err
		}
		for _, raw := range page.Data {
			var it edgeItem
			if err := json.Unmarshal(raw, &it); err != nil {
				return nil, &Error{Kind: Other, Message: "Meta's answer is not the JSON expected"}
			}
			items = append(items, it)
		}
		if page.Paging.Next == "" || len(page.Data) == 0 {
			return items, nil
		}
		next, err := url.Parse(page.Paging.Next)
		if err != nil || next.Scheme != base.Scheme || next.Host != base.Host {
			return nil, &Error{Kind: Other, Message: "Meta's next page is not on " + base.Host}
		}
		q := next.Query()
		q.Del("access_token")
		next.RawQuery = q.Encode()
		target = next
	}
}
