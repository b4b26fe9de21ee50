package db

import "time"

// What Steward learns from Meta's Graph API (issue #16). These types are
// the seam between the Graph client (internal/meta), which fills them from
// Meta's answers, and the store and pages, which record and show them; the
// store never talks to Meta, and the client never writes the database.

// MetaTokenCheck is what Meta's debug_token said of a token's value, read
// before the value is discarded.
type MetaTokenCheck struct {
	CheckedAt time.Time
	Valid     bool
	// ExpiresAt is when the token stops working; zero when Meta says
	// expires_at = 0, which means it never expires.
	ExpiresAt           time.Time
	NeverExpires        bool
	DataAccessExpiresAt time.Time // zero when Meta gives none
	IssuedAt            time.Time // zero when Meta gives none
	Type                string    // "SYSTEM_USER", "USER", "PAGE", "APP"
	AppID               string
	Application         string // the app's name
	UserID              string // the system user's or person's ID on Meta
	Scopes              []string
	// Assets are the asset IDs granular_scopes name, with the scopes that
	// reach each, in Meta's order.
	Assets []MetaGrantedAsset
	// Error is Meta's own message when the token is not valid
	// (error.message inside debug_token's data), else "".
	Error string
}

// MetaGrantedAsset is one asset ID a token's granular scopes reach.
type MetaGrantedAsset struct {
	ID     string
	Scopes []string
}

// MetaSnapshot is what a Business Manager holds on Meta, as one sync read
// it: its system users, its people, the ad accounts and Pages it owns, and
// which assets each system user is assigned, with its tasks.
type MetaSnapshot struct {
	BusinessID string
	// BusinessName is the business's name on Meta ("" when not read).
	BusinessName string
	ReadAt       time.Time
	SystemUsers  []MetaSystemUser
	People       []MetaPerson
	AdAccounts   []MetaAsset
	Pages        []MetaAsset
	Assignments  []MetaAssignment
}

// MetaSystemUser is a system user of the business.
type MetaSystemUser struct {
	ID   string
	Name string
	Role string // "ADMIN" or "EMPLOYEE", as Meta spells it
}

// MetaPerson is a business user: a person with access to the business.
type MetaPerson struct {
	ID    string
	Name  string
	Email string
	Role  string // "ADMIN", "EMPLOYEE", …
}

// MetaAsset is an ad account or a Page the business owns.
type MetaAsset struct {
	// ID is the bare number, as accounts' external_id holds it: the client
	// strips an ad account's "act_" prefix.
	ID   string
	Name string
}

// MetaAssignment is one asset assigned to one system user, with its tasks
// ("MANAGE", "ADVERTISE", "ANALYZE", …).
type MetaAssignment struct {
	SystemUserID string
	AssetID      string
	AssetKind    string // "ad_account" or "page"
	Tasks        []string
}
