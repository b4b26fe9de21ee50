package seed

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"steward/db"
	"steward/views/components"
)

// Size says how large a dataset Scale makes. Seed picks the random
// sequence: the same size and seed on the same day give the same database.
type Size struct {
	Owners int
	Tokens int
	Events int
	Seed   int64
}

// seedYears is how far back the seeded history reaches.
const seedYears = 3

// Scale fills an empty database with a large, realistic inventory for
// benchmarks: about one account per twenty people spread over Meta Business
// Managers (with their ad accounts and Pages), GitHub organizations, AWS and
// Google Cloud organizations, Google Workspace, Stripe and more; one to five
// roles per person; a few departed people who still hold access; system
// users and integrations (some retired); tokens spread over them with a tail
// that never expires, some past their date but still active, some expiring
// soon; and size.Events audit events, hash-chained and linked to their
// records like the ones the dashboard writes.
//
// It draws the dataset in memory and hands it to the store's BulkLoad
// instead of the per-record Create methods, so a million events take
// seconds. The seeded changes are signed by the IT team, signing in from the
// office network; no logins are created, so the first admin can still come
// from the environment. It then keeps a Meta sync of one business, as
// Steward itself (scale_meta.go). Dates are relative to the store's current
// day. It refuses a database that already holds records.
func Scale(ctx context.Context, store *db.Store, size Size) (db.BulkStats, error) {
	if size.Owners < 1 || size.Tokens < 0 || size.Events < 0 {
		return db.BulkStats{}, errors.New("seed: need at least one owner and no negative sizes")
	}
	g := newSeeder(store.Now(), size)
	g.plan()
	st, err := store.BulkLoad(ctx, g.bulk())
	if err != nil {
		return st, err
	}
	return st, g.recordMetaSync(ctx, store)
}

// seeder draws the dataset in memory (only what the audit events need to
// name their records).
type seeder struct {
	rnd        *rand.Rand
	size       Size
	start, end time.Time // the history runs from start to end (today, 00:00 UTC)
	today      string
	actors     []db.Actor // the IT team, who make most changes

	owners       []seedOwner
	accounts     []seedAccount
	integrations []seedIntegration
	systemUsers  []seedSystemUser
	roles        []seedRole
	tokens       []seedToken
	events       []seedEvent

	suByPlatform map[string][]int32
	acByPlatform map[string][]int32
	metaBusiness int32 // the Meta business the kept sync reads (scale_meta.go), -1 for none
}

type seedOwner struct {
	name, email, title, department, status, leavingOn string
	manager                                           int32
	created, left                                     int64 // unix ms; left is when the status changed
}

type seedAccount struct {
	name, platform, kind, externalID, url, criticality, status string
	parent, owner                                              int32 // -1 for none
	roles                                                      []seedRoleName
	created, retired                                           int64
}

type seedIntegration struct {
	name, description, runsOn, status string
	owner                             int32
	created, retired                  int64
}

type seedSystemUser struct {
	name, externalID, status    string
	account, owner, integration int32
	admin                       bool
	created, removed            int64
}

type seedRole struct {
	account, owner, systemUser int32
	role                       string
	admin                      bool
	grantedOn, reviewBy        string
	lastReviewedOn, status     string
	created, removed           int64
}

type seedToken struct {
	name, kind, scopes, assets                                    string
	issuedOn, expiresOn, lastRotatedOn, lastReviewedOn, storedIn  string
	fingerprint, lastFour, status                                 string
	account, systemUser, owner, integration, responsible, creator int32
	created, revoked                                              int64
}

func newSeeder(now time.Time, size Size) *seeder {
	end := now.UTC().Truncate(24 * time.Hour)
	return &seeder{
		rnd:          rand.New(rand.NewPCG(uint64(size.Seed), 0x5eed5eed)),
		size:         size,
		start:        end.AddDate(-seedYears, 0, 0),
		end:          end,
		today:        end.Format("2006-01-02"),
		suByPlatform: map[string][]int32{},
		acByPlatform: map[string][]int32{},
	}
}

// Helpers for random choices and dates.

func (g *seeder) pick(list []string) string { return list[g.rnd.IntN(len(list))] }
func (g *seeder) chance(p float64) bool     { return g.rnd.Float64() < p }
func (g *seeder) between(lo, hi int) int    { return lo + g.rnd.IntN(hi-lo+1) }

// timeIn is a random moment in [from, g.end), in unix ms.
func (g *seeder) timeIn(from int64) int64 {
	end := g.end.UnixMilli()
	if from >= end-1 {
		return end - 1
	}
	return from + g.rnd.Int64N(end-from)
}

// daysAgo is the date n days before today.
func (g *seeder) daysAgo(n int) string { return g.end.AddDate(0, 0, -n).Format("2006-01-02") }

// dayOf is the date of a unix ms time.
func dayOf(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }

// msOfDay is a random moment during the working day of date.
func (g *seeder) msOfDay(date string) int64 {
	d, _ := time.Parse("2006-01-02", date)
	t := d.Add(time.Duration(8*3600+g.rnd.IntN(10*3600)) * time.Second).UnixMilli()
	return min(max(t, g.start.UnixMilli()), g.end.UnixMilli()-1)
}

func (g *seeder) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rnd.IntN(10))
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

func (g *seeder) hexString(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.rnd.IntN(256))
	}
	return hex.EncodeToString(b)[:n]
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// plan draws the whole dataset.
func (g *seeder) plan() {
	g.planOwners()
	g.planAccounts()
	g.planIntegrations()
	g.planSystemUsers()
	g.planRoles()
	g.planMetaAssignments()
	g.planTokens()
	g.planEvents()
}

func (g *seeder) planOwners() {
	n := g.size.Owners
	totalWeight := 0
	for _, d := range seedDepartments {
		totalWeight += d.weight
	}
	emails := map[string]int{}
	startMs, endMs := g.start.UnixMilli(), g.end.UnixMilli()
	g.owners = make([]seedOwner, n)
	managers := max(1, n/12) // the first people hired manage the rest
	for i := range g.owners {
		first, last := g.pick(seedFirstNames), g.pick(seedLastNames)
		w := g.rnd.IntN(totalWeight)
		d := seedDepartments[0]
		for _, dep := range seedDepartments {
			if w < dep.weight {
				d = dep
				break
			}
			w -= dep.weight
		}
		local := slug(first) + "." + slug(last)
		emails[local]++
		if k := emails[local]; k > 1 {
			local += strconv.Itoa(k)
		}
		domain := "corp.example"
		if d.name == "External" {
			domain = "agency.example"
		}
		o := seedOwner{name: first + " " + last, email: local + "@" + domain, title: g.pick(d.titles), department: d.name,
			status: db.OwnerActive, manager: -1}
		if i > 0 {
			o.manager = int32(g.rnd.IntN(min(i, managers)))
		}
		// The company grew over the years: later people joined later.
		o.created = startMs + int64(float64(endMs-startMs-86_400_000)*float64(i)/float64(n)*0.9) + g.rnd.Int64N(86_400_000)
		switch r := g.rnd.Float64(); {
		case r < 0.05 && i >= managers: // left the company
			o.status = db.OwnerDeparted
			o.left = g.timeIn(o.created + 30*86_400_000)
			o.leavingOn = dayOf(o.left)
		case r < 0.06 && i >= managers: // leaving within a month
			o.status = db.OwnerOffboarding
			o.left = g.timeIn(o.created)
			o.leavingOn = g.end.AddDate(0, 0, g.between(1, 30)).Format("2006-01-02")
		}
		g.owners[i] = o
	}
	// The IT team makes most changes.
	for i, o := range g.owners {
		if o.status == db.OwnerActive && (o.department == "Operations" || o.department == "Security") {
			g.actors = append(g.actors, db.Actor{Email: o.email, IP: fmt.Sprintf("10.20.%d.%d", i%200, 10+i%240)})
			if len(g.actors) == 8 {
				break
			}
		}
	}
	if len(g.actors) == 0 {
		g.actors = []db.Actor{{Email: g.owners[0].email, IP: "10.20.0.10"}}
	}
}

// activeOwner picks an owner who is still here, mostly.
func (g *seeder) activeOwner() int32 {
	for range 8 {
		i := int32(g.rnd.IntN(len(g.owners)))
		if g.owners[i].status == db.OwnerActive {
			return i
		}
	}
	return int32(g.rnd.IntN(len(g.owners)))
}

func (g *seeder) planAccounts() {
	target := max(12, g.size.Owners/20)
	totalWeight := 0
	for _, p := range seedPlatforms {
		totalWeight += p.weight
	}
	startMs := g.start.UnixMilli()
	for round := 0; len(g.accounts) < target; round++ {
		brand := seedBrands[round%len(seedBrands)]
		if round >= len(seedBrands) {
			brand += " " + strconv.Itoa(round/len(seedBrands)+1)
		}
		// Each brand is on a handful of platforms.
		for range g.between(3, 7) {
			w := g.rnd.IntN(totalWeight)
			pi := 0
			for i, p := range seedPlatforms {
				if w < p.weight {
					pi = i
					break
				}
				w -= p.weight
			}
			p := &seedPlatforms[pi]
			top := int32(len(g.accounts))
			ext := p.extID(g)
			created := startMs + g.rnd.Int64N(2*365*86_400_000)
			g.accounts = append(g.accounts, seedAccount{name: brand, platform: p.name, kind: p.topKind, externalID: ext,
				url: p.url(ext, slug(brand)), criticality: g.pick([]string{"critical", "high", "high"}), status: "active",
				parent: -1, owner: g.activeOwner(), roles: p.roles, created: created})
			g.acByPlatform[p.name] = append(g.acByPlatform[p.name], top)
			for _, ch := range p.children {
				for k := range g.between(ch.min, ch.max) {
					suffix := ch.suffixes[k%len(ch.suffixes)]
					name := brand
					if suffix != "" {
						name += " – " + suffix
					}
					cext := p.extID(g)
					a := seedAccount{name: name, platform: p.name, kind: ch.kind, externalID: cext, url: p.url(cext, slug(name)),
						criticality: g.pick([]string{"high", "medium", "medium", "low"}), status: "active", parent: top,
						owner: g.activeOwner(), roles: p.roles, created: g.timeIn(created)}
					if g.chance(0.04) {
						a.status, a.retired = "retired", g.timeIn(a.created)
					}
					g.acByPlatform[p.name] = append(g.acByPlatform[p.name], int32(len(g.accounts)))
					g.accounts = append(g.accounts, a)
				}
			}
		}
	}
}

func (g *seeder) planIntegrations() {
	n := max(4, g.size.Owners/50)
	startMs := g.start.UnixMilli()
	for i := range n {
		kind := seedIntegrationKinds[i%len(seedIntegrationKinds)]
		brand := seedBrands[(i/len(seedIntegrationKinds))%len(seedBrands)]
		in := seedIntegration{name: brand + " " + kind.name, description: kind.description, runsOn: g.pick(seedRunsOn),
			status: "active", owner: g.activeOwner(), created: startMs + g.rnd.Int64N(int64(seedYears*365-60)*86_400_000)}
		if g.chance(0.10) || i == 3 { // at least one retired tool
			in.status, in.retired = "retired", g.timeIn(in.created)
		}
		g.integrations = append(g.integrations, in)
	}
}

func (g *seeder) planSystemUsers() {
	n := max(5, g.size.Tokens/20)
	var hosts []int32 // accounts that can hold system users
	for i, a := range g.accounts {
		p := platformByName(a.platform)
		if (p.suOn == "top" && a.parent < 0) || (p.suOn == "child" && a.parent >= 0) {
			hosts = append(hosts, int32(i))
		}
	}
	if len(hosts) == 0 {
		return
	}
	for i := range n {
		ai := hosts[g.rnd.IntN(len(hosts))]
		a := g.accounts[ai]
		p := platformByName(a.platform)
		su := seedSystemUser{name: g.pick(p.suNames) + "-" + strconv.Itoa(i+1), externalID: g.digits(14), status: "active",
			account: ai, owner: -1, integration: -1, admin: g.chance(0.06)}
		if g.chance(0.9) {
			su.owner = g.activeOwner()
			if g.chance(0.04) {
				su.owner = int32(g.rnd.IntN(len(g.owners))) // whoever, departed people included
			}
		}
		created := a.created
		if g.chance(0.75) {
			su.integration = int32(g.rnd.IntN(len(g.integrations)))
			created = max(created, g.integrations[su.integration].created)
		}
		su.created = g.timeIn(created)
		// A retired integration's system users were mostly removed with it.
		if su.integration >= 0 && g.integrations[su.integration].status == "retired" && g.chance(0.6) {
			su.status, su.removed = "removed", g.timeIn(max(su.created, g.integrations[su.integration].retired))
		} else if g.chance(0.04) {
			su.status, su.removed = "removed", g.timeIn(su.created)
		}
		g.suByPlatform[a.platform] = append(g.suByPlatform[a.platform], int32(len(g.systemUsers)))
		g.systemUsers = append(g.systemUsers, su)
	}
}

func platformByName(name string) *seedPlatform {
	for i := range seedPlatforms {
		if seedPlatforms[i].name == name {
			return &seedPlatforms[i]
		}
	}
	return &seedPlatforms[0]
}

// lastReview is the date of a record's last review: most within the
// quarter, a fair share overdue by up to overdueDays more, never before
// since (its grant or issue date).
func (g *seeder) lastReview(since string, overdueDays int) string {
	var on string
	if g.chance(0.7) {
		on = g.daysAgo(g.rnd.IntN(db.ReviewEveryDays))
	} else {
		on = g.daysAgo(db.ReviewEveryDays + g.rnd.IntN(overdueDays))
	}
	return max(on, since)
}

func (g *seeder) addRole(account, owner, systemUser int32, role seedRoleName, holderCreated int64) {
	a := g.accounts[account]
	r := seedRole{account: account, owner: owner, systemUser: systemUser, role: role.name, admin: role.admin, status: "active"}
	r.created = g.timeIn(max(a.created, holderCreated))
	r.grantedOn = dayOf(r.created)
	r.lastReviewedOn = g.lastReview(r.grantedOn, 400)
	if g.chance(0.15) {
		// Never before the grant: the role form refuses that, so editing
		// a seeded role would fail.
		r.reviewBy = max(g.end.AddDate(0, 0, g.between(-60, 180)).Format("2006-01-02"), r.grantedOn)
	}
	if a.status == "retired" {
		r.status, r.removed = "removed", max(a.retired, r.created)
	}
	g.roles = append(g.roles, r)
}

func (g *seeder) planRoles() {
	held := map[[2]int32]bool{} // (account, owner) pairs with a role
	// Admins first: most accounts have two or three, some one, a few none.
	for ai := range g.accounts {
		var admins int
		switch r := g.rnd.Float64(); {
		case r < 0.06:
			admins = 0
		case r < 0.20:
			admins = 1
		case r < 0.70:
			admins = 2
		default:
			admins = 3
		}
		var adminRoles []seedRoleName
		for _, rn := range g.accounts[ai].roles {
			if rn.admin {
				adminRoles = append(adminRoles, rn)
			}
		}
		for range admins {
			oi := g.activeOwner()
			if g.chance(0.03) {
				oi = int32(g.rnd.IntN(len(g.owners)))
			}
			if held[[2]int32{int32(ai), oi}] {
				continue
			}
			held[[2]int32{int32(ai), oi}] = true
			g.addRole(int32(ai), oi, -1, adminRoles[g.rnd.IntN(len(adminRoles))], g.owners[oi].created)
		}
	}
	// Then everyone's everyday roles: one to five each.
	for oi := range g.owners {
		for range g.between(1, 5) {
			ai := int32(g.rnd.IntN(len(g.accounts)))
			if held[[2]int32{ai, int32(oi)}] {
				continue
			}
			held[[2]int32{ai, int32(oi)}] = true
			var plain []seedRoleName
			for _, rn := range g.accounts[ai].roles {
				if !rn.admin {
					plain = append(plain, rn)
				}
			}
			g.addRole(ai, int32(oi), -1, plain[g.rnd.IntN(len(plain))], g.owners[oi].created)
		}
	}
	// People who left lost their roles, except the leftovers the home page
	// warns about; some roles were removed along the way.
	for i := range g.roles {
		r := &g.roles[i]
		if r.status != "active" || r.owner < 0 {
			continue
		}
		o := g.owners[r.owner]
		switch {
		case o.status == db.OwnerDeparted && g.chance(0.7):
			r.status, r.removed = "removed", max(r.created, o.left)
		case o.status == db.OwnerActive && g.chance(0.08):
			r.status, r.removed = "removed", g.timeIn(r.created)
		}
	}
	// System users hold a role on their own account.
	for si, su := range g.systemUsers {
		names := g.accounts[su.account].roles
		rn := names[1+g.rnd.IntN(len(names)-1)] // the first role is the admin one
		if su.admin {
			rn = names[0]
		}
		g.addRole(su.account, -1, int32(si), rn, su.created)
		if r := &g.roles[len(g.roles)-1]; su.status == "removed" && r.status == "active" {
			r.status, r.removed = "removed", max(r.created, su.removed)
		}
	}
}

func (g *seeder) planTokens() {
	g.tokens = make([]seedToken, 0, g.size.Tokens)
	var personPlatforms, accountPlatforms []string
	for _, p := range seedPlatforms {
		if p.personKind != "" && len(g.acByPlatform[p.name]) > 0 {
			personPlatforms = append(personPlatforms, p.name)
		}
		if p.accountKind != "" && len(g.acByPlatform[p.name]) > 0 {
			accountPlatforms = append(accountPlatforms, p.name)
		}
	}
	for range g.size.Tokens {
		t := seedToken{account: -1, systemUser: -1, owner: -1, integration: -1, responsible: -1, creator: -1}
		var purpose string
		switch r := g.rnd.Float64(); {
		case r < 0.55 && len(g.systemUsers) > 0: // issued to a system user
			si := int32(g.rnd.IntN(len(g.systemUsers)))
			su := g.systemUsers[si]
			p := platformByName(g.accounts[su.account].platform)
			t.systemUser, t.kind, t.scopes = si, p.suKind, p.scopes
			if g.chance(0.85) {
				t.account = su.account
			}
			t.integration = su.integration
			purpose = su.name
			if su.integration >= 0 {
				purpose = g.integrations[su.integration].name
			}
		case r < 0.80 && len(personPlatforms) > 0: // a person's own token
			p := platformByName(g.pick(personPlatforms))
			ids := g.acByPlatform[p.name]
			t.account, t.kind, t.scopes = ids[g.rnd.IntN(len(ids))], p.personKind, p.personScopes
			t.owner = int32(g.rnd.IntN(len(g.owners)))
			purpose = g.owners[t.owner].name + "'s " + g.pick([]string{"laptop", "scripts", "CLI", "release automation", "notebook"})
		default: // a key on the account itself, used by a tool
			name := g.pick(accountPlatforms)
			p := platformByName(name)
			ids := g.acByPlatform[name]
			t.account, t.kind, t.scopes = ids[g.rnd.IntN(len(ids))], p.accountKind, p.accountScopes
			if g.chance(0.7) {
				t.integration = int32(g.rnd.IntN(len(g.integrations)))
				purpose = g.integrations[t.integration].name
			} else {
				purpose = g.accounts[t.account].name
			}
		}
		platform := ""
		if t.account >= 0 {
			platform = g.accounts[t.account].platform
		} else if t.systemUser >= 0 {
			platform = g.accounts[g.systemUsers[t.systemUser].account].platform
		}
		t.name = fmt.Sprintf("%s – %s %s (%s)", purpose, platform, components.TokenKindLabel(t.kind),
			g.pick([]string{"prod", "prod", "staging", "dev", "reporting", "backup"}))
		if platform == "Meta" && t.account >= 0 {
			t.assets = "Ad account act_" + g.accounts[t.account].externalID
		}

		// Dates and status. Tokens that expire are either current (issued
		// within their lifetime) or lapsed; a few lapsed ones are still
		// marked active, which the home page flags.
		life := seedLifetime[t.kind]
		t.status = "active"
		historyDays := seedYears * 365
		if g.chance(life.never) {
			t.issuedOn = g.daysAgo(g.rnd.IntN(historyDays))
		} else {
			days := life.days[g.rnd.IntN(len(life.days))]
			var issued time.Time
			if g.chance(0.65) || days >= historyDays {
				issued = g.end.AddDate(0, 0, -g.rnd.IntN(days))
			} else {
				issued = g.end.AddDate(0, 0, -(days + g.rnd.IntN(historyDays-days)))
			}
			t.issuedOn = issued.Format("2006-01-02")
			t.expiresOn = issued.AddDate(0, 0, days).Format("2006-01-02")
			if t.expiresOn < g.today && g.chance(0.9) {
				t.status = "expired"
			}
		}
		t.created = g.msOfDay(t.issuedOn)
		if g.chance(0.15) {
			t.status, t.revoked = "revoked", g.timeIn(t.created)
		}
		if g.chance(0.35) {
			t.lastRotatedOn = dayOf(g.timeIn(t.created))
		}
		t.lastReviewedOn = g.lastReview(t.issuedOn, 600)
		// Who answers for it: mostly someone still here, sometimes whoever
		// (people who left included), sometimes nobody.
		switch r := g.rnd.Float64(); {
		case r < 0.03:
		case r < 0.90:
			t.responsible = g.activeOwner()
			if t.owner >= 0 && g.chance(0.8) {
				t.responsible = t.owner
			}
		default:
			t.responsible = int32(g.rnd.IntN(len(g.owners)))
		}
		if g.chance(0.85) {
			t.creator = int32(g.rnd.IntN(len(g.owners)))
			if t.owner >= 0 {
				t.creator = t.owner
			}
		}
		t.storedIn = g.pick(seedStoredIn)
		if g.chance(0.85) {
			secret := "stw_" + g.hexString(40)
			t.fingerprint, t.lastFour = db.Fingerprint(secret), secret[len(secret)-4:]
		}
		g.tokens = append(g.tokens, t)
	}
}

// bulk hands the drawn dataset to the store. A record's ID is its index in
// its slice plus one; its change time is its state change, else its creation.
func (g *seeder) bulk() db.Bulk {
	return db.Bulk{
		Owners: rows(g.owners, func(i int, o seedOwner) db.Owner {
			return db.Owner{ID: ref(int32(i)), Name: o.name, Email: o.email, Title: o.title, Department: o.department,
				ManagerID: ref(o.manager), Status: o.status, LeavingOn: o.leavingOn, CreatedAt: stamp(o.created),
				UpdatedAt: stamp(max(o.created, o.left))}
		}),
		Accounts: rows(g.accounts, func(i int, a seedAccount) db.Account {
			return db.Account{ID: ref(int32(i)), Name: a.name, Platform: a.platform, Kind: a.kind, ExternalID: a.externalID,
				URL: a.url, ParentID: ref(a.parent), OwnerID: ref(a.owner), Criticality: a.criticality, Status: a.status,
				CreatedAt: stamp(a.created), UpdatedAt: stamp(max(a.created, a.retired))}
		}),
		Integrations: rows(g.integrations, func(i int, in seedIntegration) db.Integration {
			return db.Integration{ID: ref(int32(i)), Name: in.name, Description: in.description, RunsOn: in.runsOn,
				ResponsibleOwnerID: ref(in.owner), Status: in.status, CreatedAt: stamp(in.created),
				UpdatedAt: stamp(max(in.created, in.retired))}
		}),
		SystemUsers: rows(g.systemUsers, func(i int, su seedSystemUser) db.SystemUser {
			return db.SystemUser{ID: ref(int32(i)), Name: su.name, AccountID: ref(su.account), ExternalID: su.externalID,
				Admin: su.admin, ResponsibleOwnerID: ref(su.owner), IntegrationID: ref(su.integration), Status: su.status,
				CreatedAt: stamp(su.created), UpdatedAt: stamp(max(su.created, su.removed))}
		}),
		Roles: rows(g.roles, func(i int, r seedRole) db.Role {
			return db.Role{ID: ref(int32(i)), AccountID: ref(r.account), OwnerID: ref(r.owner), SystemUserID: ref(r.systemUser),
				Role: r.role, Admin: r.admin, GrantedOn: r.grantedOn, GrantedBy: g.owners[g.accounts[r.account].owner].name,
				ReviewBy: r.reviewBy, LastReviewedOn: r.lastReviewedOn, Status: r.status, CreatedAt: stamp(r.created),
				UpdatedAt: stamp(max(r.created, r.removed))}
		}),
		Tokens: rows(g.tokens, func(i int, t seedToken) db.Token {
			return db.Token{ID: ref(int32(i)), Name: t.name, Kind: t.kind, AccountID: ref(t.account),
				SystemUserID: ref(t.systemUser), OwnerID: ref(t.owner), IntegrationID: ref(t.integration),
				ResponsibleOwnerID: ref(t.responsible), CreatedByOwnerID: ref(t.creator), Scopes: t.scopes, Assets: t.assets,
				IssuedOn: t.issuedOn, ExpiresOn: t.expiresOn, LastRotatedOn: t.lastRotatedOn, LastReviewedOn: t.lastReviewedOn,
				StoredIn: t.storedIn, Fingerprint: t.fingerprint, LastFour: t.lastFour, Status: t.status,
				CreatedAt: stamp(t.created), UpdatedAt: stamp(max(t.created, t.revoked))}
		}),
		Events: g.auditEvents,
	}
}

// rows yields row(i, v) for each element of list.
func rows[T, R any](list []T, row func(i int, v T) R) iter.Seq[R] {
	return func(yield func(R) bool) {
		for i, v := range list {
			if !yield(row(i, v)) {
				return
			}
		}
	}
}

// ref turns a slice index into a row ID (IDs start at 1), or 0 for -1.
func ref(i int32) int64 { return int64(i) + 1 }

// stamp is a unix ms time as the database stores it.
func stamp(ms int64) string { return db.FormatTime(time.UnixMilli(ms)) }
