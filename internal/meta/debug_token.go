package meta

import (
	"context"
	"net/url"
	"time"

	"steward/db"
)

// debugTokenData is debug_token's "data" object.
type debugTokenData struct {
	AppID               string      `json:"app_id"`
	Type                string      `json:"type"`
	Application         string      `json:"application"`
	DataAccessExpiresAt int64       `json:"data_access_expires_at"`
	ExpiresAt           int64       `json:"expires_at"`
	IsValid             bool        `json:"is_valid"`
	IssuedAt            int64       `json:"issued_at"`
	Scopes              []string    `json:"scopes"`
	UserID              string      `json:"user_id"`
	Error               *graphError `json:"error"`
	GranularScopes      []struct {
		Scope     string   `json:"scope"`
		TargetIDs []string `json:"target_ids"`
	} `json:"granular_scopes"`
}

// CheckToken asks Meta's debug_token what token is, with the app token
// (appID|appSecret). An app token Meta refuses is an *Error (InvalidToken
// means a wrong app ID or secret); a token Meta does not accept is a check
// with Valid false and Meta's reason in Error.
func (c *Client) CheckToken(ctx context.Context, appID, appSecret, token string) (db.MetaTokenCheck, error) {
	target, err := url.Parse(c.baseURL() + "/debug_token")
	if err != nil {
		return db.MetaTokenCheck{}, &Error{Kind: Other, Message: "bad Graph URL"}
	}
	target.RawQuery = url.Values{"input_token": {token}}.Encode()
	var answer struct {
		Data debugTokenData `json:"data"`
	}
	if err := c.get(ctx, target, appID+"|"+appSecret, &answer, appSecret, token); err != nil {
		return db.MetaTokenCheck{}, err
	}
	d := answer.Data
	check := db.MetaTokenCheck{
		CheckedAt:           time.Now().UTC(),
		Valid:               d.IsValid,
		NeverExpires:        d.IsValid && d.ExpiresAt == 0,
		ExpiresAt:           unixOrZero(d.ExpiresAt),
		DataAccessExpiresAt: unixOrZero(d.DataAccessExpiresAt),
		IssuedAt:            unixOrZero(d.IssuedAt),
		Type:                d.Type,
		AppID:               d.AppID,
		Application:         d.Application,
		UserID:              d.UserID,
		Scopes:              d.Scopes,
	}
	if d.Error != nil {
		check.Error = scrub(d.Error.Message, []string{appSecret, token})
	}
	// granular_scopes lists, per scope, the assets it reaches; Steward
	// wants, per asset, the scopes that reach it.
	at := map[string]int{}
	for _, g := range d.GranularScopes {
		for _, id := range g.TargetIDs {
			i, seen := at[id]
			if !seen {
				i = len(check.Assets)
				at[id] = i
				check.Assets = append(check.Assets, db.MetaGrantedAsset{ID: id})
			}
			check.Assets[i].Scopes = append(check.Assets[i].Scopes, g.Scope)
		}
	}
	return check, nil
}

// unixOrZero is Meta's Unix time, with 0 (none, or never) as the zero time.
func unixOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
