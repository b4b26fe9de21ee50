package db

import "strings"

// Kind describes one kind of record: how each layer spells it and what ends
// it. What lists or translates record kinds (per-kind routes, record names
// and links, menu, search group titles, checklist kinds, import and audit
// kinds) derives from Kinds; what each kind does differently (its SQL, its
// checklist plan, its forms) stays with that kind's own code.
//
// To add a seventh kind: add its table in a migration and its store
// functions (ByID, List, Each…, create/update writing an audit event), then
// add it to Kinds below. Its handlers go in kindHandlers (handlers/routes.go:
// a list, a record page and a recordForms description for its form pages)
// and listWriters (handlers/export.go): TestKindRoutes fails until every
// per-kind route exists. Then its pages, its checklist (Store.plan,
// retireSubject, checklistSubject), its input's field table (Fields) and
// export columns (ExportOnly), its importer and import help, its search
// group, and its routes' lines in handlers/testdata/route_access.txt.
type Kind struct {
	Name   string // in audit events, checklists and imports: "system_user"
	Table  string // the SQLite table: "system_users"
	Path   string // the URL segment: "system-users"
	Noun   string // one record, as UI text says it: "system user"
	Plural string // several records: "system users"
	// Ended is the status a record moves to when its checklist completes.
	Ended string
	// NameColumn is the column that names a record where it is named:
	// "display_name" where namesakes carry what tells them apart
	// (migration 011), "name", or "role" for roles.
	NameColumn string
	// ChecklistNoun is what a checklist calls its subject: "person" for an owner.
	ChecklistNoun string
	// ChecklistTitle names its checklist on screen and paper: "Offboarding
	// checklist" for an owner.
	ChecklistTitle string
	// Picker says forms pick records of this kind from /options/{Path}.
	Picker bool
	// Fields are the specs of the kind's input's field table (OwnerFields…).
	Fields []FieldSpec
	// ExportOnly are the read-only columns a list's export has after the
	// fields: values Steward computes (a token's fingerprint and last four
	// characters), labels and counts that help a reader of the file. An
	// import of an exported file skips them.
	ExportOnly []string
}

// Title is the kind's plural with a capital: "System users".
func (k Kind) Title() string {
	if k.Plural == "" {
		return ""
	}
	return strings.ToUpper(k.Plural[:1]) + k.Plural[1:]
}

// URL is the page of the record with id, or "" for id 0 or no kind.
func (k Kind) URL(id int64) string {
	if id == 0 || k.Path == "" {
		return ""
	}
	return "/" + k.Path + "/" + idString(id)
}

// Kinds are the six kinds of record, in menu order.
var Kinds = []Kind{
	{Name: "owner", Table: "owners", Path: "owners", Noun: "owner", Plural: "owners",
		Ended: OwnerDeparted, NameColumn: "display_name", ChecklistNoun: "person", ChecklistTitle: "Offboarding checklist", Picker: true,
		Fields: OwnerFields.Specs(), ExportOnly: []string{"manager_name", "active_roles", "created_at", "updated_at"}},
	{Name: "account", Table: "accounts", Path: "accounts", Noun: "account", Plural: "accounts",
		Ended: "retired", NameColumn: "display_name", ChecklistNoun: "account", ChecklistTitle: "Retirement checklist", Picker: true,
		Fields: AccountFields.Specs(), ExportOnly: []string{"parent_name", "owner_name", "active_roles", "admin_holders", "created_at", "updated_at"}},
	{Name: "role", Table: "roles", Path: "roles", Noun: "role", Plural: "roles",
		Ended: "removed", NameColumn: "role", ChecklistNoun: "role", ChecklistTitle: "Removal checklist",
		Fields: RoleFields.Specs(), ExportOnly: []string{"last_reviewed_on", "account_name", "platform", "holder_name", "created_at", "updated_at"}},
	{Name: "system_user", Table: "system_users", Path: "system-users", Noun: "system user", Plural: "system users",
		Ended: SystemUserRemoved, NameColumn: "name", ChecklistNoun: "system user", ChecklistTitle: "Removal checklist", Picker: true,
		Fields: SystemUserFields.Specs(), ExportOnly: []string{"account_name", "platform", "responsible_owner_name", "integration_name", "active_roles", "created_at", "updated_at"}},
	{Name: "integration", Table: "integrations", Path: "integrations", Noun: "integration", Plural: "integrations",
		Ended: IntegrationRetired, NameColumn: "name", ChecklistNoun: "integration", ChecklistTitle: "Decommissioning checklist", Picker: true,
		Fields: IntegrationFields.Specs(), ExportOnly: []string{"responsible_owner_name", "active_system_users", "created_at", "updated_at"}},
	{Name: "token", Table: "tokens", Path: "tokens", Noun: "token", Plural: "tokens",
		Ended: "revoked", NameColumn: "name", ChecklistNoun: "token", ChecklistTitle: "Revocation checklist",
		Fields: TokenFields.Specs(), ExportOnly: []string{"fingerprint", "last_four", "account_name", "platform", "system_user_name", "owner_name", "integration_name",
			"responsible_owner_name", "created_by_name", "effective_status", "created_at", "updated_at"}},
}

// KindNamed returns the kind called name ("system_user").
func KindNamed(name string) (Kind, bool) {
	return findKind(func(k Kind) bool { return k.Name == name })
}

// KindAtPath returns the kind whose URL segment is path ("system-users").
func KindAtPath(path string) (Kind, bool) {
	return findKind(func(k Kind) bool { return k.Path == path })
}

// KindOfTable returns the kind stored in table ("system_users").
func KindOfTable(table string) (Kind, bool) {
	return findKind(func(k Kind) bool { return k.Table == table })
}

func findKind(match func(Kind) bool) (Kind, bool) {
	for _, k := range Kinds {
		if match(k) {
			return k, true
		}
	}
	return Kind{}, false
}

// kindNames lists the kinds' names in menu order.
func kindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.Name
	}
	return out
}
