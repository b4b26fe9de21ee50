package seed

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"steward/db"
)

// seedEvent is one audit event to write: what happened (an evKind), to
// which record (an index into the kind's slice) and when (unix ms).
type seedEvent struct {
	at   int64
	rec  int32
	kind uint8
	arg  uint8 // a variation: which field changed, which actor
}

// Event kinds. Creation and state changes follow the records; the rest is
// everyday activity spread over the history.
const (
	evOwnerCreated uint8 = iota
	evOwnerLeaving
	evOwnerDeparted
	evOwnerUpdated
	evAccountCreated
	evAccountUpdated
	evAccountRetired
	evIntegrationCreated
	evIntegrationRetired
	evSystemUserCreated
	evSystemUserRemoved
	evRoleCreated
	evRoleRemoved
	evRoleReviewed
	evTokenCreated
	evTokenRevoked
	evTokenReviewed
	evTokenRotated
	evTokenUpdated
	evSignedIn
	evSignInFailed
	evDenied
)

// seedActivity weighs the everyday events that fill the history.
var seedActivity = []struct {
	kind   uint8
	weight int
}{
	{evSignedIn, 30}, {evSignInFailed, 3}, {evDenied, 1}, {evTokenReviewed, 22}, {evRoleReviewed, 12},
	{evTokenUpdated, 10}, {evTokenRotated, 5}, {evOwnerUpdated, 8}, {evAccountUpdated, 4},
}

// planEvents lays out the audit history: each record's creation and state
// changes, then everyday activity until there are size.Events, in time
// order. With fewer events than records, the earliest ones are kept.
func (g *seeder) planEvents() {
	ev := make([]seedEvent, 0, max(g.size.Events, 0)+len(g.owners)/10)
	add := func(kind uint8, rec int, at int64) { ev = append(ev, seedEvent{at: at, rec: int32(rec), kind: kind}) }
	for i, o := range g.owners {
		add(evOwnerCreated, i, o.created)
		switch o.status {
		case db.OwnerDeparted:
			add(evOwnerDeparted, i, o.left)
		case db.OwnerOffboarding:
			add(evOwnerLeaving, i, o.left)
		}
	}
	for i, a := range g.accounts {
		add(evAccountCreated, i, a.created)
		if a.status == "retired" {
			add(evAccountRetired, i, a.retired)
		}
	}
	for i, in := range g.integrations {
		add(evIntegrationCreated, i, in.created)
		if in.status == "retired" {
			add(evIntegrationRetired, i, in.retired)
		}
	}
	for i, su := range g.systemUsers {
		add(evSystemUserCreated, i, su.created)
		if su.status == "removed" {
			add(evSystemUserRemoved, i, su.removed)
		}
	}
	for i, r := range g.roles {
		add(evRoleCreated, i, r.created)
		if r.status == "removed" {
			add(evRoleRemoved, i, r.removed)
		}
	}
	for i, t := range g.tokens {
		add(evTokenCreated, i, t.created)
		if t.status == "revoked" {
			add(evTokenRevoked, i, t.revoked)
		}
	}
	total := 0
	for _, a := range seedActivity {
		total += a.weight
	}
	for len(ev) < g.size.Events {
		w := g.rnd.IntN(total)
		kind := seedActivity[0].kind
		for _, a := range seedActivity {
			if w < a.weight {
				kind = a.kind
				break
			}
			w -= a.weight
		}
		var rec int
		var from int64
		switch kind {
		case evTokenReviewed, evTokenUpdated, evTokenRotated:
			if len(g.tokens) == 0 {
				continue
			}
			rec = g.rnd.IntN(len(g.tokens))
			from = g.tokens[rec].created
		case evRoleReviewed:
			rec = g.rnd.IntN(len(g.roles))
			from = g.roles[rec].created
		case evOwnerUpdated, evSignedIn, evSignInFailed, evDenied:
			rec = g.rnd.IntN(len(g.owners))
			from = g.owners[rec].created
		case evAccountUpdated:
			rec = g.rnd.IntN(len(g.accounts))
			from = g.accounts[rec].created
		}
		ev = append(ev, seedEvent{at: g.timeIn(from), rec: int32(rec), kind: kind, arg: uint8(g.rnd.IntN(256))})
	}
	slices.SortStableFunc(ev, func(a, b seedEvent) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	if len(ev) > g.size.Events {
		ev = ev[:g.size.Events]
	}
	g.events = ev
}

// seedLabel names a record in audit changes the way the store does: "Name (#id)".
func seedLabel(name string, i int32) string {
	if i < 0 {
		return ""
	}
	return name + " (#" + strconv.Itoa(int(i)+1) + ")"
}

func (g *seeder) ownerLabel(i int32) string {
	if i < 0 {
		return ""
	}
	return seedLabel(g.owners[i].name, i)
}

// describe fills ev with planned event e: when and by whom, its action,
// summary and changes, and the records it links to. It reuses ev's slices.
func (g *seeder) describe(e seedEvent, ev *db.BulkEvent) {
	ev.At = time.UnixMilli(e.at)
	ev.Actor = g.actors[int(e.arg)%len(g.actors)]
	if e.kind == evSignedIn || e.kind == evSignInFailed {
		o := g.owners[e.rec]
		ev.Actor = db.Actor{Email: o.email, IP: fmt.Sprintf("10.%d.%d.%d", 30+e.arg%20, e.rec%250, 1+e.arg%250)}
	}
	ev.Subject, ev.Changes, ev.Related = db.Ref{}, ev.Changes[:0], ev.Related[:0]
	link := func(kind string, i int32) {
		if i >= 0 {
			ev.Related = append(ev.Related, db.Ref{Kind: kind, ID: ref(i)})
		}
	}
	set := func(action, kind, summary string) {
		ev.Action, ev.Summary, ev.Subject = action, summary, db.Ref{Kind: kind, ID: ref(e.rec)}
	}
	change := func(field, before, after string) {
		ev.Changes = append(ev.Changes, db.Change{Field: field, Before: before, After: after})
	}
	switch e.kind {
	case evOwnerCreated, evOwnerLeaving, evOwnerDeparted, evOwnerUpdated, evSignedIn, evSignInFailed, evDenied:
		o := g.owners[e.rec]
		switch e.kind {
		case evOwnerCreated:
			set("owner.created", "owner", "Created owner "+o.name)
			ev.Changes = db.CreatedChanges("name", o.name, "email", o.email, "title", o.title, "department", o.department,
				"manager", g.ownerLabel(o.manager), "status", db.OwnerActive)
		case evOwnerLeaving:
			set("owner.updated", "owner", "Updated owner "+o.name)
			change("status", db.OwnerActive, db.OwnerOffboarding)
			change("leaving_on", "", o.leavingOn)
		case evOwnerDeparted:
			set("owner.updated", "owner", "Updated owner "+o.name)
			change("status", db.OwnerActive, db.OwnerDeparted)
			change("leaving_on", "", o.leavingOn)
		case evOwnerUpdated:
			set("owner.updated", "owner", "Updated owner "+o.name)
			if e.arg%2 == 0 {
				change("title", "", o.title)
			} else {
				change("notes", "", "Moved teams; access reviewed with their manager.")
			}
		case evSignedIn:
			ev.Action, ev.Summary = "user.signed_in", "Signed in"
		case evSignInFailed:
			ev.Action, ev.Summary = "user.sign_in_failed", "Failed sign-in for "+o.email
		case evDenied:
			ev.Action, ev.Summary = "request.denied", "Refused POST /tokens: role viewer may not POST /tokens"
		}
	case evAccountCreated, evAccountUpdated, evAccountRetired:
		a := g.accounts[e.rec]
		switch e.kind {
		case evAccountCreated:
			set("account.created", "account", "Created account "+a.name)
			parent := ""
			if a.parent >= 0 {
				parent = seedLabel(g.accounts[a.parent].name, a.parent)
			}
			ev.Changes = db.CreatedChanges("name", a.name, "platform", a.platform, "kind", a.kind, "external_id", a.externalID,
				"url", a.url, "parent", parent, "accountable_owner", g.ownerLabel(a.owner), "criticality", a.criticality, "status", "active")
		case evAccountUpdated:
			set("account.updated", "account", "Updated account "+a.name)
			change("criticality", "medium", a.criticality)
		case evAccountRetired:
			set("account.retired", "account", "Retired account "+a.name)
			change("status", "active", "retired")
		}
	case evIntegrationCreated, evIntegrationRetired:
		in := g.integrations[e.rec]
		if e.kind == evIntegrationCreated {
			set("integration.created", "integration", "Created integration "+in.name)
			ev.Changes = db.CreatedChanges("name", in.name, "description", in.description, "runs_on", in.runsOn,
				"responsible_owner", g.ownerLabel(in.owner), "status", "active")
		} else {
			set("integration.retired", "integration", "Retired integration "+in.name)
			change("status", "active", "retired")
		}
		link("owner", in.owner)
	case evSystemUserCreated, evSystemUserRemoved:
		su := g.systemUsers[e.rec]
		if e.kind == evSystemUserCreated {
			set("system_user.created", "system_user", "Created system user "+su.name)
			integration := ""
			if su.integration >= 0 {
				integration = seedLabel(g.integrations[su.integration].name, su.integration)
			}
			ev.Changes = db.CreatedChanges("name", su.name, "account", seedLabel(g.accounts[su.account].name, su.account),
				"external_id", su.externalID, "admin", yesNo(su.admin), "responsible_owner", g.ownerLabel(su.owner),
				"integration", integration, "status", "active")
		} else {
			set("system_user.removed", "system_user", "Removed system user "+su.name)
			change("status", "active", "removed")
		}
		link("account", su.account)
		link("owner", su.owner)
		link("integration", su.integration)
	case evRoleCreated, evRoleRemoved, evRoleReviewed:
		r := g.roles[e.rec]
		holder, holderName := g.ownerLabel(r.owner), ""
		if r.owner >= 0 {
			holderName = g.owners[r.owner].name
		}
		if r.systemUser >= 0 {
			holder = "system user " + seedLabel(g.systemUsers[r.systemUser].name, r.systemUser)
			holderName = "system user " + g.systemUsers[r.systemUser].name
		}
		summary := func(action string) string {
			return db.RoleSummary(action, r.role, holderName, g.accounts[r.account].name)
		}
		switch e.kind {
		case evRoleCreated:
			set("role.created", "role", summary("role.created"))
			ev.Changes = db.CreatedChanges("account", seedLabel(g.accounts[r.account].name, r.account), "holder", holder,
				"role", r.role, "admin", yesNo(r.admin), "granted_on", r.grantedOn, "review_by", r.reviewBy, "status", "active")
		case evRoleRemoved:
			set("role.removed", "role", summary("role.removed"))
			change("status", "active", "removed")
		case evRoleReviewed:
			set("role.reviewed", "role", summary("role.reviewed"))
			change("last_reviewed_on", "", r.lastReviewedOn)
		}
		link("account", r.account)
		link("owner", r.owner)
		link("system_user", r.systemUser)
	default: // token events
		t := g.tokens[e.rec]
		switch e.kind {
		case evTokenCreated:
			set("token.created", "token", "Registered token "+t.name)
			expires := t.expiresOn
			if expires == "" {
				expires = "never"
			}
			var account, su, owner, integration string
			if t.account >= 0 {
				account = seedLabel(g.accounts[t.account].name, t.account)
			}
			if t.systemUser >= 0 {
				su = seedLabel(g.systemUsers[t.systemUser].name, t.systemUser)
			}
			owner = g.ownerLabel(t.owner)
			if t.integration >= 0 {
				integration = seedLabel(g.integrations[t.integration].name, t.integration)
			}
			status := t.status
			if status == "revoked" {
				status = "active"
			}
			ev.Changes = db.CreatedChanges("name", t.name, "kind", t.kind, "account", account, "issued_to_system_user", su,
				"issued_to_owner", owner, "used_by", integration, "responsible_owner", g.ownerLabel(t.responsible),
				"created_by", g.ownerLabel(t.creator), "scopes", t.scopes, "assets", t.assets, "issued_on", t.issuedOn,
				"expires_on", expires, "last_reviewed_on", dayOf(t.created), "stored_in", t.storedIn,
				"fingerprint", db.FingerprintLabel(t.fingerprint, t.lastFour), "status", status)
		case evTokenRevoked:
			set("token.revoked", "token", "Revoked token "+t.name)
			change("status", "active", "revoked")
		case evTokenReviewed:
			set("token.reviewed", "token", "Reviewed token "+t.name)
			change("last_reviewed_on", "", t.lastReviewedOn)
		case evTokenRotated:
			set("token.rotated", "token", "Rotated token "+t.name)
			change("last_rotated_on", "", t.lastRotatedOn)
		case evTokenUpdated:
			set("token.updated", "token", "Updated token "+t.name)
			change("stored_in", "", t.storedIn)
		}
		link("account", t.account)
		link("system_user", t.systemUser)
		link("owner", t.owner)
		link("integration", t.integration)
		link("owner", t.responsible)
		link("owner", t.creator)
	}
}

// auditEvents yields the planned events, described.
func (g *seeder) auditEvents(yield func(db.BulkEvent) bool) {
	var ev db.BulkEvent
	for _, e := range g.events {
		g.describe(e, &ev)
		if !yield(ev) {
			return
		}
	}
}

// yesNo is a flag as the audit log shows it.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
