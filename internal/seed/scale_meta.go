package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/db"
)

// A Meta sync at scale (issue #16): the seeded Meta Business Manager with
// the most system users gets its system users assigned some of its ad
// accounts and Pages (as roles), and after loading, a kept sync of that
// business (recorded as Steward itself, never applied) lists what Meta
// would answer: most of the records as seeded, some renamed or with another
// role, some gone, and hundreds of system users, thousands of assignments
// and people Steward does not record. Its preview, the home page's drift
// findings and the records' "Seen on Meta" then have real numbers to show.

// metaRoleTasks are the tasks of the roles seeded on a business's assets, as
// Meta lists an assignment's tasks (db names the role after them).
var metaRoleTasks = map[string][]string{
	"Admin":      {"MANAGE", "ADVERTISE", "ANALYZE"},
	"Editor":     {"CREATE_CONTENT", "MODERATE", "ADVERTISE", "ANALYZE"},
	"Advertiser": {"ADVERTISE", "ANALYZE", "DRAFT"},
	"Analyst":    {"ANALYZE"},
}

// metaAssetKinds are the kinds of a business's accounts Meta lists, with the
// roles a system user is seeded with on each.
var metaAssetKinds = map[string][]seedRoleName{
	"Ad account": {{"Admin", true}, {"Advertiser", false}, {"Advertiser", false}, {"Analyst", false}},
	"Page":       {{"Admin", true}, {"Editor", false}, {"Analyst", false}},
}

// planMetaAssignments picks the business the sync reads and assigns each of
// its active system users one to three of its assets.
func (g *seeder) planMetaAssignments() {
	g.metaBusiness = -1
	count := map[int32]int{}
	for _, su := range g.systemUsers {
		if su.status == "active" {
			count[su.account]++
		}
	}
	for _, ai := range g.acByPlatform["Meta"] {
		if g.accounts[ai].parent < 0 && (g.metaBusiness < 0 || count[ai] > count[g.metaBusiness]) {
			g.metaBusiness = ai
		}
	}
	assets := g.metaAssets()
	if g.metaBusiness < 0 || len(assets) == 0 {
		return
	}
	for si, su := range g.systemUsers {
		if su.account != g.metaBusiness || su.status != "active" {
			continue
		}
		for _, ai := range g.some(assets, g.between(1, min(3, len(assets)))) {
			if a := g.accounts[ai]; a.status == "active" {
				names := metaAssetKinds[a.kind]
				g.addRole(ai, -1, int32(si), names[g.rnd.IntN(len(names))], su.created)
			}
		}
	}
}

// metaAssets are the business's ad accounts and Pages.
func (g *seeder) metaAssets() []int32 {
	var out []int32
	for i, a := range g.accounts {
		if a.parent == g.metaBusiness && g.metaBusiness >= 0 && metaAssetKinds[a.kind] != nil {
			out = append(out, int32(i))
		}
	}
	return out
}

// some picks n distinct elements of list, in list's order.
func (g *seeder) some(list []int32, n int) []int32 {
	idx := g.rnd.Perm(len(list))[:min(n, len(list))]
	slices.Sort(idx)
	out := make([]int32, len(idx))
	for i, j := range idx {
		out[i] = list[j]
	}
	return out
}

// recordMetaSync keeps the sync of the business, as Steward itself.
func (g *seeder) recordMetaSync(ctx context.Context, store *db.Store) error {
	if g.metaBusiness < 0 {
		return nil
	}
	if _, _, err := store.RecordMetaSync(ctx, db.SystemActor("seed"), g.metaSnapshot()); err != nil {
		return fmt.Errorf("seed: meta sync: %w", err)
	}
	return nil
}

// metaSnapshot is what Meta answers about the business: of what Steward
// records, about nine in ten as they are, a few renamed or with another
// role, the rest gone; and system users, assignments and people Steward
// does not record, in proportion to the inventory. It draws from its own
// random sequence, so the same seed gives the same snapshot.
func (g *seeder) metaSnapshot() db.MetaSnapshot {
	rnd := rand.New(rand.NewPCG(uint64(g.size.Seed), 0x3e7a5eed))
	chance := func(p float64) bool { return rnd.Float64() < p }
	digits := func() string { return strconv.FormatInt(100_000_000_000_000+rnd.Int64N(900_000_000_000_000), 10) }
	business := g.accounts[g.metaBusiness]
	snap := db.MetaSnapshot{BusinessID: business.externalID, ReadAt: g.end.Add(-90 * time.Minute)}

	// Assets: most as recorded, a few renamed or gone, a few new.
	listed := map[int32]bool{}
	var assetIDs []string // every asset Meta lists, for new assignments
	for n, ai := range g.metaAssets() {
		a := g.accounts[ai]
		if chance(0.05) || n == 0 { // at least one gone, however small the inventory
			continue
		}
		listed[ai] = true
		name := a.name
		if chance(0.1) || n == 1 { // at least one renamed
			name += " (renamed on Meta)"
		}
		asset := db.MetaAsset{ID: a.externalID, Name: name}
		if a.kind == "Page" {
			snap.Pages = append(snap.Pages, asset)
		} else {
			snap.AdAccounts = append(snap.AdAccounts, asset)
		}
		assetIDs = append(assetIDs, a.externalID)
	}
	for i := range 3 {
		asset := db.MetaAsset{ID: digits(), Name: business.name + " – New on Meta " + strconv.Itoa(i+1)}
		snap.AdAccounts = append(snap.AdAccounts, asset)
		assetIDs = append(assetIDs, asset.ID)
	}

	// System users: most as recorded (a few renamed or with another
	// admin level), some gone, and many more Steward does not record.
	suListed := map[int32]bool{}
	var suIDs []string
	for si, su := range g.systemUsers {
		if su.account != g.metaBusiness || su.status != "active" || chance(0.1) {
			continue
		}
		suListed[int32(si)] = true
		m := db.MetaSystemUser{ID: su.externalID, Name: su.name, Role: "EMPLOYEE"}
		if su.admin != chance(0.05) {
			m.Role = "ADMIN"
		}
		if chance(0.08) || len(snap.SystemUsers) == 0 { // the first, so a small seed has one too
			m.Name += "-renamed"
		}
		snap.SystemUsers = append(snap.SystemUsers, m)
		suIDs = append(suIDs, su.externalID)
	}
	suNames := platformByName("Meta").suNames
	for i := range max(20, g.size.Tokens/250) {
		m := db.MetaSystemUser{ID: digits(), Name: suNames[rnd.IntN(len(suNames))] + "-meta-" + strconv.Itoa(i+1), Role: "EMPLOYEE"}
		if chance(0.06) {
			m.Role = "ADMIN"
		}
		snap.SystemUsers = append(snap.SystemUsers, m)
		suIDs = append(suIDs, m.ID)
	}

	// Assignments: the recorded ones (a few with other tasks, some gone),
	// then two to eight assets for each system user Meta lists.
	assigned := map[[2]string]bool{}
	assign := func(su, asset string, tasks []string) {
		if key := [2]string{su, asset}; !assigned[key] {
			assigned[key] = true
			snap.Assignments = append(snap.Assignments, db.MetaAssignment{SystemUserID: su, AssetID: asset, Tasks: tasks})
		}
	}
	roleNames := slices.Sorted(func(yield func(string) bool) {
		for name := range metaRoleTasks {
			if !yield(name) {
				return
			}
		}
	})
	for _, r := range g.roles {
		if r.systemUser < 0 || r.status != "active" || !suListed[r.systemUser] || !listed[r.account] || chance(0.1) {
			continue
		}
		role := r.role
		if chance(0.08) {
			role = roleNames[rnd.IntN(len(roleNames))]
		}
		assign(g.systemUsers[r.systemUser].externalID, g.accounts[r.account].externalID, metaRoleTasks[role])
	}
	for _, su := range suIDs {
		for _, j := range rnd.Perm(len(assetIDs))[:min(len(assetIDs), 2+rnd.IntN(7))] {
			assign(su, assetIDs[j], metaRoleTasks[roleNames[rnd.IntN(len(roleNames))]])
		}
	}

	// People: those with a role on the business (some gone, a few with
	// another role), then people Steward records without a role there and
	// people it does not record at all.
	inBusiness := map[int32]bool{}
	for _, r := range g.roles {
		if r.account != g.metaBusiness || r.owner < 0 || r.status != "active" {
			continue
		}
		inBusiness[r.owner] = true
		if chance(0.1) {
			continue
		}
		role := strings.ToUpper(r.role)
		if chance(0.05) {
			role = map[bool]string{true: "EMPLOYEE", false: "ADMIN"}[r.admin]
		}
		o := g.owners[r.owner]
		snap.People = append(snap.People, db.MetaPerson{ID: digits(), Name: o.name, Email: o.email, Role: role})
	}
	for i := range max(50, g.size.Owners/5) {
		role := "EMPLOYEE"
		if chance(0.05) {
			role = "ADMIN"
		}
		if oi := int32(rnd.IntN(len(g.owners))); chance(0.7) {
			if o := g.owners[oi]; !inBusiness[oi] && o.status == db.OwnerActive {
				inBusiness[oi] = true
				snap.People = append(snap.People, db.MetaPerson{ID: digits(), Name: o.name, Email: o.email, Role: role})
			}
			continue
		}
		first, last := seedFirstNames[rnd.IntN(len(seedFirstNames))], seedLastNames[rnd.IntN(len(seedLastNames))]
		email := fmt.Sprintf("%s.%s.%d@partner.example", slug(first), slug(last), i+1)
		snap.People = append(snap.People, db.MetaPerson{ID: digits(), Name: first + " " + last, Email: email, Role: role})
	}
	return snap
}
