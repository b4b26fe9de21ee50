package components

import (
	"strings"

	"github.com/a-h/templ"

	"steward/db"
	"steward/views/icons"
)

// FindingText is what a home page finding is called, why it matters, and
// what the link to its records says.
type FindingText struct {
	Title, Why, Action string
}

var findingTexts = map[string]FindingText{
	"departed-with-login":              {"Departed people who can still sign in to Steward", "Their Steward login is still enabled; only an admin can disable it (Admin → Users, or their checklist).", "Disable their logins"},
	"departed-with-access":             {"Departed people who still hold active roles", "Their access outlived their job.", "Remove their roles"},
	"retired-integration-active-token": {"Retired integrations with active tokens", "The tool is gone but its tokens still work.", "Revoke their tokens"},
	"expired-active":                   {"Tokens " + strings.ToLower(StatusLabel(db.TokenExpiredActive)), "The record says active but the date has passed: either it was renewed and the record is stale, or something is failing.", "Review expired tokens"},
	"creator-departed":                 {"Tokens created by someone who has left, not rotated since", "The person who saw the value has gone: rotate the token.", "Rotate them"},
	"owner-departed":                   {"Tokens whose responsible owner is leaving or gone", "Nobody who is still here answers for them.", "Reassign or revoke"},
	db.FindingUnrecordedOnPlatform:     {"Access on Meta that Steward does not record", "The latest Meta sync found system users or asset assignments nobody recorded: find out who uses them, then apply the sync or remove them on Meta.", ""},
	db.FindingGoneFromPlatform:         {"Records gone from Meta", "Steward lists them as active but the latest Meta sync did not find them: work through their checklists, or dismiss them if Meta's answer was partial.", ""},
	"no-admin":                         {"Accounts with no admin-level holder", "If something breaks, nobody can fix access.", "Grant an admin"},
	"single-admin":                     {"Accounts with exactly one admin", "A single point of failure: one person leaving locks everyone out.", "Add a second admin"},
	"never-expires":                    {"Tokens that never expire", "They keep their access until someone revokes them, whoever leaves and whatever is retired.", "Review never-expiring tokens"},
	"expiring-soon":                    {"Tokens expiring within 30 days", "Integrations using them stop working when they expire.", "Plan the rotations"},
	"admin-system-user":                {"Admin system users", "They can create system users and assign assets; Meta advises one system user per kind of access.", "Review admin system users"},
	"no-owner":                         {"Tokens with no responsible owner", "Nobody answers for them.", "Choose a responsible owner"},
	"review-overdue":                   {"Tokens and roles not reviewed in 90 days or past their review date", "Access nobody has looked at drifts from what is needed.", "Review the"},
	"offboarding-overdue":              {"Offboarding checklists past the leaving date", "People have left but their checklist still has open items.", "Work through their checklists"},
	"review-campaign-overdue":          {"Access reviews past their due date", "Until the review is closed, nobody has confirmed who should keep this access.", ""},
}

// FindingTextOf is the text of a finding kind.
func FindingTextOf(kind string) FindingText { return findingTexts[kind] }

// FindingTitle names a finding kind.
func FindingTitle(kind string) string { return findingTexts[kind].Title }

// FindingLinkText is what the link from a finding to its records in the
// list of kind says; a finding with records of several kinds names the kind.
func FindingLinkText(f db.Finding, kind string) string {
	action := findingTexts[f.Kind].Action
	if len(f.Lists) > 1 {
		k, _ := db.KindNamed(kind)
		return action + " " + k.Plural
	}
	return action
}

// FindingListURL is the list of kind narrowed to exactly the records of
// the finding.
func FindingListURL(finding, kind string) string {
	k, _ := db.KindNamed(kind)
	return ListURL("/"+k.Path, db.ListParams{Finding: finding})
}

// severityLook is how a severity shows: a word, a colour and an icon.
type severityLook struct {
	word   string
	badge  string // the badge's tone
	border string // the finding card's left edge
	icon   func() templ.Component
}

var severityLooks = map[db.Severity]severityLook{
	db.SeverityCritical: {"Critical", "badge-red", "border-l-red-600 dark:border-l-red-500", icons.Critical},
	db.SeverityHigh:     {"High", "badge-orange", "border-l-orange-500", icons.High},
	db.SeverityMedium:   {"Medium", "badge-yellow", "border-l-amber-400", icons.Medium},
	db.SeverityLow:      {"Low", "badge-blue", "border-l-sky-500", icons.Low},
}

// SeverityWord says a severity: "Critical", "High", "Medium" or "Low".
func SeverityWord(s db.Severity) string { return severityLooks[s].word }

// SeverityBorder is the colour of the left edge of a finding of severity s.
func SeverityBorder(s db.Severity) string { return severityLooks[s].border }
