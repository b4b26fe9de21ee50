package pages

import (
	"strings"

	"steward/db"
)

// importHelp is what an import page says of one kind's file: how a row
// finds the record it updates, and what each column of the kind's field
// table (db.Kind.Fields) holds. TestImportHelpCoversEveryField checks it
// against the field tables.
type importHelp struct {
	Match   string
	Columns map[string]string // by field name
}

// idHelp explains the optional id column every import has.
const idHelp = "Optional. The record's ID in Steward: the row updates that record."

const (
	notesHelp      = "Free text; it may run over several lines."
	dateHelp       = "A date as YYYY-MM-DD."
	ownerRefHelp   = "an owner's ID or email"
	accountRefHelp = "an account's ID, external ID or exact name"
)

// importHelps are the import pages' texts by kind name.
var importHelps = map[string]importHelp{
	"owner": {
		Match: "A row updates the owner with the same email, in any case. Rows without an email always add a new owner.",
		Columns: map[string]string{
			"name":       "Full name.",
			"email":      "Work email address.",
			"title":      "Job title.",
			"department": "Department or team.",
			"manager_id": "Their manager: " + ownerRefHelp + ", also one an earlier row adds.",
			"status":     "active, offboarding or departed. Empty: active for a new owner, unchanged for an existing one.",
			"leaving_on": "Leaving date as YYYY-MM-DD; needed when offboarding.",
			"notes":      notesHelp,
		}},
	"account": {
		Match: "A row updates the account with the same platform and external ID. Without an external ID match, it updates the account with the same platform and exact name (one that has no other external ID).",
		Columns: map[string]string{
			"name":        "The account's name, as the platform shows it.",
			"platform":    "Meta, GitHub, AWS, Google Workspace, Stripe … any text.",
			"kind":        "Business Manager, Ad account, Page, Organization … any text.",
			"external_id": "The platform's own ID for the account.",
			"url":         "Its web address, starting with https://.",
			"parent_id":   "The account it sits in: " + accountRefHelp + ".",
			"owner_id":    "The accountable owner: " + ownerRefHelp + ".",
			"criticality": "low, medium, high or critical. Empty: medium for a new account, unchanged for an existing one.",
			"status":      "active or retired. Empty: active, or unchanged.",
			"notes":       notesHelp,
		}},
	"role": {
		Match: "A row updates the active role with the same account, holder and role name (in any case). Other rows grant new roles.",
		Columns: map[string]string{
			"account_id":     "The account the role is on: " + accountRefHelp + ".",
			"owner_id":       "The person who holds it: " + ownerRefHelp + ". Fill this or system_user_id.",
			"system_user_id": "The system user who holds it: its ID or exact name.",
			"role":           "The role's name on the platform, such as Admin or Employee.",
			"admin":          "1 or yes when the role is admin-level; 0, no or empty otherwise.",
			"granted_on":     dateHelp,
			"granted_by":     "Who granted it (text).",
			"review_by":      "When to review it, as YYYY-MM-DD.",
			"status":         "active or removed. Empty: active, or unchanged.",
			"notes":          notesHelp,
		}},
	"system_user": {
		Match: "A row updates the system user in the same account with the same external ID; without one, the one with the same exact name.",
		Columns: map[string]string{
			"name":                 "Its name on the platform.",
			"account_id":           "The account it lives in, such as a Business Manager: " + accountRefHelp + ".",
			"external_id":          "The platform's ID for it.",
			"admin":                "1 or yes for an admin system user; 0, no or empty otherwise.",
			"responsible_owner_id": "Who answers for it: " + ownerRefHelp + ".",
			"integration_id":       "The integration that uses it: its ID or exact name.",
			"status":               "active or removed. Empty: active, or unchanged.",
			"notes":                notesHelp,
		}},
	"integration": {
		Match: "A row updates the integration with the same exact name.",
		Columns: map[string]string{
			"name":                 "What the team calls it.",
			"description":          "What it does.",
			"runs_on":              "Where it runs: a server, a SaaS tool …",
			"responsible_owner_id": "Who answers for it: " + ownerRefHelp + ".",
			"status":               "active or retired. Empty: active, or unchanged.",
			"notes":                notesHelp,
		}},
	"token": {
		Match: "A row updates the token with the same exact name on the same account. Token values are never imported: register each value on the token's page.",
		Columns: map[string]string{
			"name":                 "What the team calls it.",
			"kind":                 strings.Join(db.TokenKinds, ", ") + ".",
			"account_id":           "The account it reaches: " + accountRefHelp + ".",
			"system_user_id":       "Issued to this system user: its ID or exact name.",
			"owner_id":             "Or issued to this person: " + ownerRefHelp + ".",
			"integration_id":       "The integration that uses it: its ID or exact name.",
			"responsible_owner_id": "Who answers for it: " + ownerRefHelp + ".",
			"created_by_owner_id":  "Who created it and saw its value: " + ownerRefHelp + ".",
			"scopes":               "Its permissions, such as ads_read, business_management.",
			"assets":               "The asset IDs it reaches.",
			"issued_on":            dateHelp,
			"expires_on":           "A date as YYYY-MM-DD; empty means it never expires.",
			"last_rotated_on":      dateHelp,
			"last_reviewed_on":     "A date as YYYY-MM-DD. Empty: today for a new token, unchanged for an existing one.",
			"stored_in":            "Where the value is kept, such as a vault path.",
			"status":               "active, revoked or expired. Empty: active, or unchanged.",
			"notes":                notesHelp,
		}},
}

// importColumn is one row of an import page's table of columns.
type importColumn struct {
	Name, Help string
	Required   bool // a new record needs a value here
}

// importColumns are the columns an import of kind takes: the optional id,
// then its fields' columns.
func importColumns(k db.Kind) []importColumn {
	help := importHelps[k.Name].Columns
	out := []importColumn{{Name: "id", Help: idHelp}}
	for _, f := range k.Fields {
		if !f.Secret {
			out = append(out, importColumn{Name: f.Name, Help: help[f.Name], Required: f.Required})
		}
	}
	return out
}
