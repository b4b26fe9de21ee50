package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SeedSize says how large a dataset SeedScale makes. Seed picks the random
// sequence: the same size and seed on the same day give the same database.
type SeedSize struct {
	Owners int
	Tokens int
	Events int
	Seed   int64
}

// SeedStats counts what SeedScale wrote.
type SeedStats struct {
	Owners, Accounts, Integrations, SystemUsers, Roles, Tokens int
	Events, Links                                              int
	HeadID                                                     int64
	HeadHash                                                   string
}

// seedYears is how far back the seeded history reaches.
const seedYears = 3

// seedActor performs the seeded changes: the IT team, signing in from the
// office network. User IDs stay empty: the seed creates no logins, so the
// first admin can still come from the environment.
type seedActor struct{ email, ip string }

// SeedScale fills an empty database with a large, realistic inventory for
// benchmarks: about one account per twenty people spread over Meta Business
// Managers (with their ad accounts and Pages), GitHub organizations, AWS and
// Google Cloud organizations, Google Workspace, Stripe and more; one to five
// roles per person; a few departed people who still hold access; system
// users and integrations (some retired); tokens spread over them with a tail
// that never expires, some past their date but still active, some expiring
// soon; and size.Events audit events, hash-chained and linked to their
// records like the ones the dashboard writes.
//
// It writes with prepared statements in one transaction instead of the
// per-record Create methods, so a million events take seconds, and computes
// the chain with the audit writer's own hash. Dates are relative to the
// store's current day. It refuses a database that already holds records.
func (s *Store) SeedScale(ctx context.Context, size SeedSize) (SeedStats, error) {
	if size.Owners < 1 || size.Tokens < 0 || size.Events < 0 {
		return SeedStats{}, errors.New("db: seed: need at least one owner and no negative sizes")
	}
	var stats SeedStats
	if _, err := s.write.ExecContext(ctx, "PRAGMA cache_size = -1048576; PRAGMA foreign_keys = OFF"); err != nil {
		return stats, err
	}
	defer s.write.ExecContext(ctx, "PRAGMA cache_size = -16000; PRAGMA foreign_keys = ON")
	// Filled in one transaction, a fresh file needs no write-ahead log: its
	// pages are written once, straight into the file, instead of into the
	// log and then copied. This fails harmlessly (and the log is used) when
	// another connection has the file open.
	var mode string
	if err := s.write.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err == nil && mode == "delete" {
		defer s.write.ExecContext(ctx, "PRAGMA journal_mode = WAL")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var records int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM owners) + (SELECT COUNT(*) FROM accounts)
			+ (SELECT COUNT(*) FROM integrations) + (SELECT COUNT(*) FROM tokens)`).Scan(&records); err != nil {
			return fmt.Errorf("db: seed: count records: %w", err)
		}
		if records > 0 {
			return errors.New("db: seed: the database already holds records; seed an empty one")
		}
		g := newSeeder(s.now(), size)
		g.auditKey = s.auditKey
		g.plan()
		prevID, prevHash := int64(0), genesisHash
		err := tx.QueryRowContext(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&prevID, &prevHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: seed: read audit chain head: %w", err)
		}
		// The audit log's indexes on time, action and record kind grow at
		// a few ends as events are appended in order: they stay.
		err = withoutIndexes(ctx, tx, []string{"owners", "roles", "tokens", "audit_events"},
			[]string{"audit_events_at", "audit_events_action", "audit_events_kind"}, func() error {
				var err error
				stats, err = g.write(ctx, tx)
				return err
			})
		if err != nil {
			return err
		}
		return s.moveSealHead(ctx, tx, prevID, prevHash, stats.HeadID, stats.HeadHash)
	})
	return stats, err
}

// withoutIndexes drops the secondary indexes of tables inside tx, except
// those named in keep, runs fn, and creates them again from their stored
// definitions: building an index once over a million rows is far faster than
// inserting into the middle of it row by row.
func withoutIndexes(ctx context.Context, tx *sql.Tx, tables, keep []string, fn func() error) error {
	var defs [][2]string
	for _, table := range tables {
		rows, err := tx.QueryContext(ctx, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", table)
		if err != nil {
			return fmt.Errorf("db: seed: list indexes: %w", err)
		}
		for rows.Next() {
			var d [2]string
			if err := rows.Scan(&d[0], &d[1]); err != nil {
				rows.Close()
				return fmt.Errorf("db: seed: list indexes: %w", err)
			}
			if !slices.Contains(keep, d[0]) {
				defs = append(defs, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: seed: list indexes: %w", err)
		}
	}
	for _, d := range defs {
		// The name comes from sqlite_master, not from input; quote it anyway.
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(d[0], `"`, `""`)+`"`); err != nil {
			return fmt.Errorf("db: seed: drop index %s: %w", d[0], err)
		}
	}
	if err := fn(); err != nil {
		return err
	}
	for _, d := range defs {
		if _, err := tx.ExecContext(ctx, d[1]); err != nil {
			return fmt.Errorf("db: seed: create index %s: %w", d[0], err)
		}
	}
	return nil
}

// seeder generates the dataset in memory (only what the audit events need
// to name their records) and writes it.
type seeder struct {
	rnd        *rand.Rand
	size       SeedSize
	start, end time.Time // the history runs from start to end (today, 00:00 UTC)
	today      string
	actors     []seedActor
	auditKey   []byte // the store's, to key the chain

	owners       []seedOwner
	accounts     []seedAccount
	integrations []seedIntegration
	systemUsers  []seedSystemUser
	roles        []seedRole
	tokens       []seedToken
	events       []seedEvent

	suByPlatform map[string][]int32
	acByPlatform map[string][]int32
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

func newSeeder(now time.Time, size SeedSize) *seeder {
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

var (
	seedFirstNames = []string{"Maria", "Daniel", "Priya", "Sofia", "Tom", "Aisha", "Lucas", "Hannah", "Kenji", "Grace", "Lena",
		"Mateo", "Chloe", "Jake", "Ben", "Olivia", "Ravi", "Emma", "Noah", "Zoe", "Sam", "Amara", "Jonas", "Yuki", "Carlos",
		"Fatima", "Liam", "Ines", "Omar", "Mei", "Ethan", "Nadia", "Felix", "Sara", "Tariq", "Elena", "Hugo", "Ana", "Kofi",
		"Julia", "Arjun", "Clara", "Diego", "Freya", "Ivan", "Leila", "Marco", "Nora", "Pablo", "Rosa", "Samir", "Tessa",
		"Viktor", "Wen", "Yara", "Anton", "Bea", "Cyrus", "Dana", "Erik"}
	seedLastNames = []string{"Alvarez", "Okafor", "Raman", "Lindqvist", "Becker", "Karimi", "Moreau", "Schmidt", "Watanabe",
		"O'Neill", "Kowalski", "Rossi", "Martin", "Morrison", "Carter", "Nguyen", "Patel", "Johansson", "Fischer", "Adams",
		"Reyes", "Mensah", "Novak", "Tanaka", "Silva", "Haddad", "Murphy", "Costa", "Farouk", "Chen", "Brooks", "Petrova",
		"Weber", "Larsen", "Rahman", "Ivanova", "Dubois", "Santos", "Boateng", "Keller", "Iyer", "Hoffmann", "Ortega",
		"Nilsson", "Popescu", "Aziz", "Romano", "Berg", "Gomez", "Lopez", "Sato", "Kim", "Ahmed", "Walsh", "Horvat",
		"Jansen", "Kaur", "Yilmaz", "Zhou", "Andersen", "Bianchi", "Cohen", "Dias", "Eriksen", "Fontaine", "Garcia",
		"Hughes", "Ito", "Jovanovic", "Khan", "Lund", "Meyer", "Nakamura", "Olsen", "Park", "Quinn", "Russo", "Stein",
		"Toth", "Ueda"}
	seedDepartments = []struct {
		name   string
		weight int
		titles []string
	}{
		{"Engineering", 22, []string{"Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "DevOps Engineer", "Site Reliability Engineer", "Frontend Engineer", "QA Engineer"}},
		{"Marketing", 14, []string{"Performance Marketing Specialist", "Paid Social Manager", "Growth Marketer", "Content Lead", "Social Media Coordinator", "Marketing Manager", "SEO Specialist"}},
		{"Sales", 14, []string{"Account Executive", "Sales Development Representative", "Sales Manager", "Solutions Consultant"}},
		{"Operations", 8, []string{"Operations Manager", "IT & Security Lead", "IT Support Specialist", "Systems Administrator", "Office Manager"}},
		{"Finance", 6, []string{"Accountant", "Finance Manager", "Controller", "Billing Specialist"}},
		{"Support", 12, []string{"Support Specialist", "Customer Support Lead", "Customer Success Manager"}},
		{"Data", 6, []string{"Data Analyst", "Data Engineer", "Analytics Lead"}},
		{"Product", 6, []string{"Product Manager", "Product Designer", "UX Researcher"}},
		{"People", 4, []string{"People Partner", "Recruiter", "HR Coordinator"}},
		{"Legal", 2, []string{"Counsel", "Compliance Officer"}},
		{"Security", 2, []string{"Security Engineer", "Security Analyst"}},
		{"External", 4, []string{"Account Manager, Agency", "Contractor", "Freelance Media Buyer"}},
	}
	seedBrands = []string{"Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adventure Works", "Proseware",
		"Woodgrove", "Alpine Ski House", "Coho Winery", "Fourth Coffee", "Lamna", "Margie's Travel", "Relecloud", "Trey Research",
		"VanArsdel", "Wide World Importers", "Humongous Insurance", "Blue Yonder", "City Power", "Southridge Video",
		"Lucerne Publishing", "Bellows College", "Consolidated Messenger", "Munson's Pickles", "Datum", "Nod Publishers",
		"Graphic Design Institute", "Tasmanian Traders"}
	seedStoredIn = []string{"1Password › Ops vault", "1Password › Marketing vault", "1Password › Engineering vault",
		"AWS Secrets Manager (prod)", "AWS Secrets Manager (staging)", "GitHub Actions secret", "Vercel environment variable",
		"HashiCorp Vault kv/integrations", "Google Secret Manager", "Kubernetes secret in prod cluster", "Zapier connection",
		"Terraform Cloud variable", "Bitwarden › Finance collection", "a .env file on the reporting server", ""}
	seedRunsOn = []string{"AWS Lambda, eu-west-1", "Kubernetes (prod cluster)", "GitHub Actions", "Zapier", "Make.com",
		"Google Cloud Run", "Heroku", "the reporting VM", "Airflow on GCP", "a cron job on ops01", "Vercel", "n8n (self-hosted)"}
	seedIntegrationKinds = []struct{ name, description string }{
		{"HubSpot CRM sync", "Keeps contacts and deals in step between the shop and HubSpot."},
		{"Looker Studio reporting", "Weekly marketing dashboards from the ad platforms."},
		{"Conversions API", "Sends purchases from the server to Meta so ads are measured without browser cookies."},
		{"Catalog feed", "Pushes the product catalog to Meta and Google every hour."},
		{"Audience upload", "Uploads CRM segments as custom audiences."},
		{"Nightly BigQuery export", "Copies orders and ad spend into the warehouse."},
		{"CI deploy pipeline", "Builds and deploys the services on merge."},
		{"Terraform", "Applies the infrastructure changes that were reviewed."},
		{"Datadog monitoring", "Reads metrics and logs from the cloud accounts."},
		{"Stripe reconciliation", "Matches payouts with the ledger in the accounting system."},
		{"Slack alerts", "Posts incidents and ad-spend alerts to Slack."},
		{"Zapier: leads to Slack", "Announces new leads from the website forms."},
		{"Support inbox bot", "Triages support email and tags tickets."},
		{"Backup job", "Copies the production databases to cold storage."},
		{"SEO rank tracker", "Reads Search Console data for the content team."},
	}
)

// seedRoleName is a role a platform knows, and whether it is admin-level.
type seedRoleName struct {
	name  string
	admin bool
}

// seedPlatform is one platform: the kind of its top account, the children
// a top account has, the roles it grants and what its tokens look like.
type seedPlatform struct {
	name, topKind string
	weight        int
	children      []seedChild
	roles         []seedRoleName
	url           func(ext, slug string) string
	extID         func(g *seeder) string
	// suOn says where its system users live: "top", "child" or "" for none.
	suOn, suKind string // suKind is the token kind issued to its system users
	suNames      []string
	// A person's own token here, if people get them: its kind and scopes.
	personKind, personScopes string
	// A token on the account itself (API key, webhook secret, ...).
	accountKind, accountScopes string
	scopes                     string // scopes of system user tokens
}

type seedChild struct {
	kind     string
	min, max int
	suffixes []string
}

var seedPlatforms = []seedPlatform{
	{name: "Meta", topKind: "Business Manager", weight: 20,
		children: []seedChild{{"Ad account", 2, 8, []string{"Prospecting", "Retargeting", "Brand EU", "Brand US", "Catalog sales", "Lead gen", "Always on", "Promotions"}},
			{"Page", 1, 3, []string{"", "Careers", "Support"}}, {"Instagram account", 0, 2, []string{"", "Shop"}},
			{"Dataset (pixel)", 1, 1, []string{"Pixel"}}, {"Catalog", 0, 1, []string{"Products"}}},
		roles: []seedRoleName{{"Admin", true}, {"Employee", false}, {"Advertiser", false}, {"Analyst", false}, {"Editor", false}},
		url:   func(ext, _ string) string { return "https://business.facebook.com/settings/?business_id=" + ext },
		extID: func(g *seeder) string { return g.digits(15) }, suOn: "top", suKind: "system_user_token",
		suNames: []string{"capi-server", "catalog-sync", "reporting-reader", "audience-upload", "ads-automation", "crm-bridge"},
		scopes:  "ads_management, ads_read, business_management, pages_read_engagement", accountKind: "webhook_secret",
		accountScopes: "page webhooks"},
	{name: "GitHub", topKind: "Organization", weight: 6,
		roles: []seedRoleName{{"Owner", true}, {"Member", false}, {"Maintainer", false}, {"Billing manager", false}},
		url:   func(_, slug string) string { return "https://github.com/" + slug },
		extID: func(g *seeder) string { return g.digits(8) }, suOn: "top", suKind: "other",
		suNames:    []string{"release-bot", "deploy-app", "dependabot-runner", "docs-publisher"},
		scopes:     "contents:write, pull_requests:write, metadata:read",
		personKind: "personal_access_token", personScopes: "repo, read:org, workflow",
		accountKind: "webhook_secret", accountScopes: "push, pull_request events"},
	{name: "AWS", topKind: "Organization management account", weight: 8,
		children: []seedChild{{"Member account", 2, 6, []string{"prod", "staging", "dev", "data", "sandbox", "security", "logs"}}},
		roles:    []seedRoleName{{"AdministratorAccess", true}, {"PowerUserAccess", false}, {"ReadOnlyAccess", false}, {"Billing", false}},
		url:      func(ext, _ string) string { return "https://" + ext + ".signin.aws.amazon.com/console" },
		extID:    func(g *seeder) string { return g.digits(12) }, suOn: "child", suKind: "api_key",
		suNames: []string{"ci-deployer", "backup-writer", "datadog-reader", "terraform", "s3-uploader", "lambda-exec"},
		scopes:  "IAM policy: least privilege for its job"},
	{name: "Google Cloud", topKind: "Organization", weight: 5,
		children: []seedChild{{"Project", 2, 6, []string{"prod", "staging", "analytics", "ml", "sandbox"}}},
		roles:    []seedRoleName{{"Owner", true}, {"Editor", false}, {"Viewer", false}, {"BigQuery Admin", false}},
		url:      func(_, slug string) string { return "https://console.cloud.google.com/home/dashboard?project=" + slug },
		extID:    func(g *seeder) string { return g.digits(12) }, suOn: "child", suKind: "service_account_key",
		suNames: []string{"bq-export", "cloud-run-invoker", "looker-reader", "backup-sa", "airflow-worker"},
		scopes:  "roles/bigquery.dataEditor, roles/storage.objectViewer"},
	{name: "Google Workspace", topKind: "Workspace", weight: 3,
		roles: []seedRoleName{{"Super Admin", true}, {"User Management Admin", false}, {"Help Desk Admin", false}, {"Groups Admin", false}},
		url:   func(string, string) string { return "https://admin.google.com" },
		extID: func(g *seeder) string { return "C0" + strings.ToUpper(g.hexString(7)) }, suOn: "top", suKind: "service_account_key",
		suNames: []string{"directory-sync", "gmail-archiver", "drive-audit"},
		scopes:  "admin.directory.user.readonly, gmail.readonly", accountKind: "oauth_client", accountScopes: "openid, email, profile"},
	{name: "Google Ads", topKind: "Manager account", weight: 6,
		children:    []seedChild{{"Ad account", 1, 5, []string{"Search", "Shopping", "Performance Max", "YouTube", "Brand"}}},
		roles:       []seedRoleName{{"Admin", true}, {"Standard", false}, {"Read only", false}, {"Billing", false}},
		url:         func(string, string) string { return "https://ads.google.com/aw/overview" },
		extID:       func(g *seeder) string { d := g.digits(10); return d[:3] + "-" + d[3:6] + "-" + d[6:] },
		accountKind: "oauth_client", accountScopes: "adwords"},
	{name: "Stripe", topKind: "Account", weight: 6,
		roles:       []seedRoleName{{"Administrator", true}, {"Developer", false}, {"Analyst", false}, {"View only", false}},
		url:         func(ext, _ string) string { return "https://dashboard.stripe.com/" + ext },
		extID:       func(g *seeder) string { return "acct_" + strings.ToUpper(g.hexString(16)) },
		accountKind: "api_key", accountScopes: "restricted: charges read, payouts read",
		personKind: "api_key", personScopes: "restricted: reports read"},
	{name: "Slack", topKind: "Workspace", weight: 3,
		roles: []seedRoleName{{"Workspace Owner", true}, {"Workspace Admin", true}, {"Member", false}},
		url:   func(_, slug string) string { return "https://" + slug + ".slack.com" },
		extID: func(g *seeder) string { return "T0" + strings.ToUpper(g.hexString(9)) }, suOn: "top", suKind: "other",
		suNames: []string{"alerts-bot", "standup-bot", "leads-bot"}, scopes: "chat:write, channels:read"},
	{name: "HubSpot", topKind: "Portal", weight: 5,
		roles: []seedRoleName{{"Super Admin", true}, {"Marketing", false}, {"Sales", false}, {"View only", false}},
		url:   func(ext, _ string) string { return "https://app.hubspot.com/home?portalId=" + ext },
		extID: func(g *seeder) string { return g.digits(8) }, suOn: "top", suKind: "api_key",
		suNames: []string{"crm-sync-app", "forms-export"}, scopes: "crm.objects.contacts.read, crm.objects.deals.write"},
	{name: "Shopify", topKind: "Store", weight: 5,
		roles: []seedRoleName{{"Owner", true}, {"Staff", false}, {"Collaborator", false}},
		url:   func(_, slug string) string { return "https://admin.shopify.com/store/" + slug },
		extID: func(g *seeder) string { return g.digits(9) }, suOn: "top", suKind: "api_key",
		suNames: []string{"order-feed-app", "inventory-sync"}, scopes: "read_orders, read_products",
		accountKind: "webhook_secret", accountScopes: "orders/create"},
	{name: "Cloudflare", topKind: "Account", weight: 4,
		roles:      []seedRoleName{{"Super Administrator", true}, {"Administrator", true}, {"DNS", false}, {"Analytics", false}},
		url:        func(ext, _ string) string { return "https://dash.cloudflare.com/" + ext },
		extID:      func(g *seeder) string { return g.hexString(32) },
		personKind: "api_key", personScopes: "Zone:DNS:Edit", accountKind: "api_key", accountScopes: "Zone:Read, Cache Purge"},
	{name: "TikTok", topKind: "Business Center", weight: 5,
		children: []seedChild{{"Advertiser account", 1, 4, []string{"Prospecting", "Retargeting", "Spark Ads", "Creators"}}},
		roles:    []seedRoleName{{"Admin", true}, {"Operator", false}, {"Analyst", false}},
		url:      func(string, string) string { return "https://business.tiktok.com/manage/overview" },
		extID:    func(g *seeder) string { return g.digits(19) }, accountKind: "oauth_client", accountScopes: "ads.read, reporting"},
	{name: "Microsoft 365", topKind: "Tenant", weight: 2,
		roles: []seedRoleName{{"Global Administrator", true}, {"User Administrator", false}, {"Global Reader", false}},
		url:   func(string, string) string { return "https://admin.microsoft.com" },
		extID: func(g *seeder) string {
			return g.hexString(8) + "-" + g.hexString(4) + "-" + g.hexString(4) + "-" + g.hexString(12)
		},
		suOn: "top", suKind: "oauth_client", suNames: []string{"graph-mail-reader", "sharepoint-sync"},
		scopes: "Mail.Read, Sites.Read.All"},
	{name: "Datadog", topKind: "Organization", weight: 3,
		roles: []seedRoleName{{"Admin", true}, {"Standard", false}, {"Read Only", false}},
		url:   func(string, string) string { return "https://app.datadoghq.eu" },
		extID: func(g *seeder) string { return g.hexString(12) }, suOn: "top", suKind: "api_key",
		suNames: []string{"agent-key", "terraform-provider"}, scopes: "metrics write, logs write",
		personKind: "api_key", personScopes: "application key: dashboards read"},
}

// plan draws the whole dataset.
func (g *seeder) plan() {
	g.planOwners()
	g.planAccounts()
	g.planIntegrations()
	g.planSystemUsers()
	g.planRoles()
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
			status: OwnerActive, manager: -1}
		if i > 0 {
			o.manager = int32(g.rnd.IntN(min(i, managers)))
		}
		// The company grew over the years: later people joined later.
		o.created = startMs + int64(float64(endMs-startMs-86_400_000)*float64(i)/float64(n)*0.9) + g.rnd.Int64N(86_400_000)
		switch r := g.rnd.Float64(); {
		case r < 0.05 && i >= managers: // left the company
			o.status = OwnerDeparted
			o.left = g.timeIn(o.created + 30*86_400_000)
			o.leavingOn = dayOf(o.left)
		case r < 0.06 && i >= managers: // leaving within a month
			o.status = OwnerOffboarding
			o.left = g.timeIn(o.created)
			o.leavingOn = g.end.AddDate(0, 0, g.between(1, 30)).Format("2006-01-02")
		}
		g.owners[i] = o
	}
	// The IT team makes most changes.
	for i, o := range g.owners {
		if o.status == OwnerActive && (o.department == "Operations" || o.department == "Security") {
			g.actors = append(g.actors, seedActor{email: o.email, ip: fmt.Sprintf("10.20.%d.%d", i%200, 10+i%240)})
			if len(g.actors) == 8 {
				break
			}
		}
	}
	if len(g.actors) == 0 {
		g.actors = []seedActor{{email: g.owners[0].email, ip: "10.20.0.10"}}
	}
}

// activeOwner picks an owner who is still here, mostly.
func (g *seeder) activeOwner() int32 {
	for range 8 {
		i := int32(g.rnd.IntN(len(g.owners)))
		if g.owners[i].status == OwnerActive {
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

func (g *seeder) addRole(account, owner, systemUser int32, role seedRoleName, holderCreated int64) {
	a := g.accounts[account]
	r := seedRole{account: account, owner: owner, systemUser: systemUser, role: role.name, admin: role.admin, status: "active"}
	r.created = g.timeIn(max(a.created, holderCreated))
	r.grantedOn = dayOf(r.created)
	// Reviews: most within the quarter, a fair share overdue.
	if g.chance(0.7) {
		r.lastReviewedOn = g.daysAgo(g.rnd.IntN(ReviewEveryDays))
	} else {
		r.lastReviewedOn = g.daysAgo(ReviewEveryDays + g.rnd.IntN(400))
	}
	if r.lastReviewedOn < r.grantedOn {
		r.lastReviewedOn = r.grantedOn
	}
	if g.chance(0.15) {
		r.reviewBy = g.end.AddDate(0, 0, g.between(-60, 180)).Format("2006-01-02")
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
		case o.status == OwnerDeparted && g.chance(0.7):
			r.status, r.removed = "removed", max(r.created, o.left)
		case o.status == OwnerActive && g.chance(0.08):
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

// seedLifetime says how long tokens of a kind live: the share that never
// expires and the lifetimes in days of the rest.
var seedLifetime = map[string]struct {
	never float64
	days  []int
}{
	"system_user_token":     {0.30, []int{60}},
	"personal_access_token": {0.05, []int{30, 90, 90, 365}},
	"api_key":               {0.35, []int{365}},
	"service_account_key":   {0.30, []int{90, 365}},
	"oauth_client":          {0.40, []int{730}},
	"webhook_secret":        {0.90, []int{365}},
	"other":                 {0.25, []int{180}},
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
		t.name = fmt.Sprintf("%s – %s %s (%s)", purpose, platform, TokenKindLabel(t.kind),
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
		if g.chance(0.7) {
			t.lastReviewedOn = g.daysAgo(g.rnd.IntN(ReviewEveryDays))
		} else {
			t.lastReviewedOn = g.daysAgo(ReviewEveryDays + g.rnd.IntN(600))
		}
		if t.lastReviewedOn < t.issuedOn {
			t.lastReviewedOn = t.issuedOn
		}
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
			t.fingerprint, t.lastFour = Fingerprint(secret), secret[len(secret)-4:]
		}
		g.tokens = append(g.tokens, t)
	}
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
		case OwnerDeparted:
			add(evOwnerDeparted, i, o.left)
		case OwnerOffboarding:
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

// write inserts everything inside tx.
func (g *seeder) write(ctx context.Context, tx *sql.Tx) (SeedStats, error) {
	var st SeedStats
	if err := g.writeRecords(ctx, tx); err != nil {
		return st, err
	}
	st.Owners, st.Accounts, st.Integrations = len(g.owners), len(g.accounts), len(g.integrations)
	st.SystemUsers, st.Roles, st.Tokens = len(g.systemUsers), len(g.roles), len(g.tokens)
	var err error
	st.Events, st.Links, st.HeadID, st.HeadHash, err = g.writeEvents(ctx, tx)
	return st, err
}

// bulk inserts n rows with query, an INSERT whose VALUES clause holds one
// row of placeholders; row appends the values of row i to args. Rows go in
// batches of many per statement, and are made on a second goroutine while
// SQLite writes the previous batch, so both cores work. row is called in
// order, on that goroutine alone.
func bulk(ctx context.Context, tx *sql.Tx, what, query string, n int, row func(i int, args []any) []any) error {
	tuple := query[strings.LastIndex(query, "VALUES")+len("VALUES"):]
	cols := strings.Count(tuple, "?")
	per := max(1, 1000/cols)
	full, err := tx.PrepareContext(ctx, query+strings.Repeat(","+tuple, per-1))
	if err != nil {
		return fmt.Errorf("db: seed %s: %w", what, err)
	}
	defer full.Close()

	batches, free := make(chan []any, 4), make(chan []any, 6)
	done := make(chan struct{})
	go func() {
		defer close(batches)
		for i := 0; i < n; i += per {
			var args []any
			select {
			case args = <-free:
			default:
				args = make([]any, 0, per*cols)
			}
			for j := i; j < min(i+per, n); j++ {
				args = row(j, args)
			}
			select {
			case batches <- args:
			case <-done:
				return
			}
		}
	}()
	fail := func(err error) error {
		close(done)
		for range batches { // let the producer finish before returning
		}
		return err
	}
	for args := range batches {
		stmt := full
		if rows := len(args) / cols; rows != per {
			if stmt, err = tx.PrepareContext(ctx, query+strings.Repeat(","+tuple, rows-1)); err != nil {
				return fail(fmt.Errorf("db: seed %s: %w", what, err))
			}
			defer stmt.Close()
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fail(fmt.Errorf("db: seed %s: %w", what, err))
		}
		clear(args)
		select {
		case free <- args[:0]:
		default:
		}
	}
	return nil
}

// ref turns a slice index into a row ID (IDs start at 1), or NULL for -1.
func ref(i int32) any {
	if i < 0 {
		return nil
	}
	return int64(i) + 1
}

// updatedAt is a record's last change: its state change, else its creation.
func updatedAt(created, changed int64) string {
	return formatTime(time.UnixMilli(max(created, changed)))
}

func (g *seeder) writeRecords(ctx context.Context, tx *sql.Tx) error {
	tables := []struct {
		what, query string
		n           int
		row         func(i int, args []any) []any
	}{
		{"owner", `INSERT INTO owners (id, name, email, title, department, manager_id, status, leaving_on, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(g.owners), func(i int, args []any) []any {
			o := g.owners[i]
			return append(args, i+1, o.name, o.email, o.title, o.department, ref(o.manager), o.status, o.leavingOn,
				formatTime(time.UnixMilli(o.created)), updatedAt(o.created, o.left))
		}},
		{"account", `INSERT INTO accounts (id, name, platform, kind, external_id, url, parent_id, owner_id, criticality,
			status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(g.accounts), func(i int, args []any) []any {
			a := g.accounts[i]
			return append(args, i+1, a.name, a.platform, a.kind, a.externalID, a.url, ref(a.parent), ref(a.owner), a.criticality,
				a.status, formatTime(time.UnixMilli(a.created)), updatedAt(a.created, a.retired))
		}},
		{"integration", `INSERT INTO integrations (id, name, description, runs_on, owner_id, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(g.integrations), func(i int, args []any) []any {
			in := g.integrations[i]
			return append(args, i+1, in.name, in.description, in.runsOn, ref(in.owner), in.status,
				formatTime(time.UnixMilli(in.created)), updatedAt(in.created, in.retired))
		}},
		{"system user", `INSERT INTO system_users (id, name, account_id, external_id, admin, owner_id, integration_id,
			status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(g.systemUsers), func(i int, args []any) []any {
			su := g.systemUsers[i]
			return append(args, i+1, su.name, ref(su.account), su.externalID, su.admin, ref(su.owner), ref(su.integration), su.status,
				formatTime(time.UnixMilli(su.created)), updatedAt(su.created, su.removed))
		}},
		{"role", `INSERT INTO roles (id, account_id, owner_id, system_user_id, role, admin, granted_on, granted_by,
			review_by, last_reviewed_on, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			len(g.roles), func(i int, args []any) []any {
				r := g.roles[i]
				return append(args, i+1, ref(r.account), ref(r.owner), ref(r.systemUser), r.role, r.admin, r.grantedOn,
					g.owners[g.accounts[r.account].owner].name, r.reviewBy, r.lastReviewedOn, r.status,
					formatTime(time.UnixMilli(r.created)), updatedAt(r.created, r.removed))
			}},
		{"token", `INSERT INTO tokens (id, name, kind, account_id, system_user_id, owner_id, integration_id,
			responsible_owner_id, created_by_owner_id, scopes, assets, issued_on, expires_on, last_rotated_on, last_reviewed_on,
			stored_in, fingerprint, last_four, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(g.tokens), func(i int, args []any) []any {
			t := g.tokens[i]
			return append(args, i+1, t.name, t.kind, ref(t.account), ref(t.systemUser), ref(t.owner), ref(t.integration),
				ref(t.responsible), ref(t.creator), t.scopes, t.assets, t.issuedOn, t.expiresOn, t.lastRotatedOn,
				t.lastReviewedOn, t.storedIn, t.fingerprint, t.lastFour, t.status,
				formatTime(time.UnixMilli(t.created)), updatedAt(t.created, t.revoked))
		}},
	}
	for _, t := range tables {
		if err := bulk(ctx, tx, t.what, t.query, t.n, t.row); err != nil {
			return err
		}
	}
	return nil
}

// Link kinds, numbered in the order of their names so that sorting by
// number sorts links in audit_links' primary key order.
const (
	lkAccount uint8 = iota
	lkIntegration
	lkOwner
	lkRole
	lkSystemUser
	lkToken
)

var linkKindNames = [...]string{"account", "integration", "owner", "role", "system_user", "token"}

type seedLink struct {
	event int64
	rec   int32
	kind  uint8
}

// seedContent is one event's text and the records it links to.
type seedContent struct {
	action, kind, summary string
	rec                   int32 // -1 for none
	changes               []Change
	links                 []seedLink
}

// label names a record in audit changes the way label does: "Name (#id)".
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

// content builds an event's action, summary, changes and links.
func (g *seeder) content(e seedEvent, c *seedContent) {
	c.changes, c.links = c.changes[:0], c.links[:0]
	link := func(kind uint8, i int32) {
		if i >= 0 {
			c.links = append(c.links, seedLink{kind: kind, rec: i})
		}
	}
	set := func(action, kind string, lk uint8, summary string) {
		c.action, c.kind, c.rec, c.summary = action, kind, e.rec, summary
		link(lk, e.rec)
	}
	change := func(field, before, after string) {
		c.changes = append(c.changes, Change{Field: field, Before: before, After: after})
	}
	switch e.kind {
	case evOwnerCreated, evOwnerLeaving, evOwnerDeparted, evOwnerUpdated, evSignedIn, evSignInFailed, evDenied:
		o := g.owners[e.rec]
		switch e.kind {
		case evOwnerCreated:
			set("owner.created", "owner", lkOwner, "Created owner "+o.name)
			c.changes = diff(nil, fields("name", o.name, "email", o.email, "title", o.title, "department", o.department,
				"manager", g.ownerLabel(o.manager), "status", OwnerActive))
		case evOwnerLeaving:
			set("owner.updated", "owner", lkOwner, "Updated owner "+o.name)
			change("status", OwnerActive, OwnerOffboarding)
			change("leaving_on", "", o.leavingOn)
		case evOwnerDeparted:
			set("owner.updated", "owner", lkOwner, "Updated owner "+o.name)
			change("status", OwnerActive, OwnerDeparted)
			change("leaving_on", "", o.leavingOn)
		case evOwnerUpdated:
			set("owner.updated", "owner", lkOwner, "Updated owner "+o.name)
			if e.arg%2 == 0 {
				change("title", "", o.title)
			} else {
				change("notes", "", "Moved teams; access reviewed with their manager.")
			}
		case evSignedIn:
			c.action, c.kind, c.rec, c.summary = "user.signed_in", "", -1, "Signed in"
		case evSignInFailed:
			c.action, c.kind, c.rec, c.summary = "user.sign_in_failed", "", -1, "Failed sign-in for "+o.email
		case evDenied:
			c.action, c.kind, c.rec, c.summary = "request.denied", "", -1, "Refused POST /tokens: role viewer may not POST /tokens"
		}
	case evAccountCreated, evAccountUpdated, evAccountRetired:
		a := g.accounts[e.rec]
		switch e.kind {
		case evAccountCreated:
			set("account.created", "account", lkAccount, "Created account "+a.name)
			parent := ""
			if a.parent >= 0 {
				parent = seedLabel(g.accounts[a.parent].name, a.parent)
			}
			c.changes = diff(nil, fields("name", a.name, "platform", a.platform, "kind", a.kind, "external_id", a.externalID,
				"url", a.url, "parent", parent, "accountable_owner", g.ownerLabel(a.owner), "criticality", a.criticality, "status", "active"))
		case evAccountUpdated:
			set("account.updated", "account", lkAccount, "Updated account "+a.name)
			change("criticality", "medium", a.criticality)
		case evAccountRetired:
			set("account.retired", "account", lkAccount, "Retired account "+a.name)
			change("status", "active", "retired")
		}
	case evIntegrationCreated, evIntegrationRetired:
		in := g.integrations[e.rec]
		if e.kind == evIntegrationCreated {
			set("integration.created", "integration", lkIntegration, "Created integration "+in.name)
			c.changes = diff(nil, fields("name", in.name, "description", in.description, "runs_on", in.runsOn,
				"responsible_owner", g.ownerLabel(in.owner), "status", "active"))
		} else {
			set("integration.retired", "integration", lkIntegration, "Retired integration "+in.name)
			change("status", "active", "retired")
		}
		link(lkOwner, in.owner)
	case evSystemUserCreated, evSystemUserRemoved:
		su := g.systemUsers[e.rec]
		if e.kind == evSystemUserCreated {
			set("system_user.created", "system_user", lkSystemUser, "Created system user "+su.name)
			integration := ""
			if su.integration >= 0 {
				integration = seedLabel(g.integrations[su.integration].name, su.integration)
			}
			c.changes = diff(nil, fields("name", su.name, "account", seedLabel(g.accounts[su.account].name, su.account),
				"external_id", su.externalID, "admin", yesNo(su.admin), "responsible_owner", g.ownerLabel(su.owner),
				"integration", integration, "status", "active"))
		} else {
			set("system_user.removed", "system_user", lkSystemUser, "Removed system user "+su.name)
			change("status", "active", "removed")
		}
		link(lkAccount, su.account)
		link(lkOwner, su.owner)
		link(lkIntegration, su.integration)
	case evRoleCreated, evRoleRemoved, evRoleReviewed:
		r := g.roles[e.rec]
		switch e.kind {
		case evRoleCreated:
			set("role.created", "role", lkRole, fmt.Sprintf("Granted role %q", r.role))
			holder := g.ownerLabel(r.owner)
			if r.systemUser >= 0 {
				holder = "system user " + seedLabel(g.systemUsers[r.systemUser].name, r.systemUser)
			}
			c.changes = diff(nil, fields("account", seedLabel(g.accounts[r.account].name, r.account), "holder", holder,
				"role", r.role, "admin", yesNo(r.admin), "granted_on", r.grantedOn, "review_by", r.reviewBy, "status", "active"))
		case evRoleRemoved:
			set("role.removed", "role", lkRole, fmt.Sprintf("Removed role %q", r.role))
			change("status", "active", "removed")
		case evRoleReviewed:
			set("role.reviewed", "role", lkRole, fmt.Sprintf("Reviewed role %q", r.role))
			change("last_reviewed_on", "", r.lastReviewedOn)
		}
		link(lkAccount, r.account)
		link(lkOwner, r.owner)
		link(lkSystemUser, r.systemUser)
	default: // token events
		t := g.tokens[e.rec]
		switch e.kind {
		case evTokenCreated:
			set("token.created", "token", lkToken, "Registered token "+t.name)
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
			c.changes = diff(nil, fields("name", t.name, "kind", t.kind, "account", account, "issued_to_system_user", su,
				"issued_to_owner", owner, "used_by", integration, "responsible_owner", g.ownerLabel(t.responsible),
				"created_by", g.ownerLabel(t.creator), "scopes", t.scopes, "assets", t.assets, "issued_on", t.issuedOn,
				"expires_on", expires, "last_reviewed_on", dayOf(t.created), "stored_in", t.storedIn,
				"fingerprint", fingerprintLabel(t.fingerprint, t.lastFour), "status", status))
		case evTokenRevoked:
			set("token.revoked", "token", lkToken, "Revoked token "+t.name)
			change("status", "active", "revoked")
		case evTokenReviewed:
			set("token.reviewed", "token", lkToken, "Reviewed token "+t.name)
			change("last_reviewed_on", "", t.lastReviewedOn)
		case evTokenRotated:
			set("token.rotated", "token", lkToken, "Rotated token "+t.name)
			change("last_rotated_on", "", t.lastRotatedOn)
		case evTokenUpdated:
			set("token.updated", "token", lkToken, "Updated token "+t.name)
			change("stored_in", "", t.storedIn)
		}
		link(lkAccount, t.account)
		link(lkSystemUser, t.systemUser)
		link(lkOwner, t.owner)
		link(lkIntegration, t.integration)
		link(lkOwner, t.responsible)
		link(lkOwner, t.creator)
	}
}

// writeEvents appends the planned events to the chain, then their links in
// primary key order (appending to the index is far faster than inserting
// into the middle of it).
func (g *seeder) writeEvents(ctx context.Context, tx *sql.Tx) (events, links int, headID int64, headHash string, err error) {
	headID, headHash = 0, genesisHash
	err = tx.QueryRowContext(ctx, "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").Scan(&headID, &headHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, "", fmt.Errorf("db: seed: read audit chain head: %w", err)
	}
	var (
		h   = newChainHasher(g.auditKey)
		c   seedContent
		all = make([]seedLink, 0, len(g.events)*3)
	)
	err = bulk(ctx, tx, "audit event", `INSERT INTO audit_events
		(id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
		VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(g.events), func(i int, args []any) []any {
		e := g.events[i]
		g.content(e, &c)
		actor := g.actors[int(e.arg)%len(g.actors)]
		if e.kind == evSignedIn || e.kind == evSignInFailed {
			o := g.owners[e.rec]
			actor = seedActor{email: o.email, ip: fmt.Sprintf("10.%d.%d.%d", 30+e.arg%20, e.rec%250, 1+e.arg%250)}
		}
		changesJSON := "[]"
		if len(c.changes) > 0 {
			b, _ := json.Marshal(c.changes) // a []Change always encodes
			changesJSON = string(b)
		}
		id := headID + 1
		at := formatTime(time.UnixMilli(e.at))
		recordID := int64(0)
		if c.rec >= 0 {
			recordID = int64(c.rec) + 1
		}
		hash := string(h.hexDigest(true, headHash, id, at, 0, actor.email, actor.ip, c.action, c.kind, recordID, c.summary, changesJSON))
		args = append(args, id, at, actor.email, actor.ip, c.action, c.kind, nullID(recordID), c.summary, changesJSON, headHash, hash)
		for _, l := range c.links {
			l.event = id
			all = append(all, l)
		}
		headID, headHash = id, hash
		return args
	})
	if err != nil {
		return 0, 0, 0, "", err
	}
	slices.SortFunc(all, func(a, b seedLink) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		if a.rec != b.rec {
			return int(a.rec) - int(b.rec)
		}
		return int(a.event - b.event)
	})
	all = slices.Compact(all)
	err = bulk(ctx, tx, "audit link", "INSERT INTO audit_links (record_kind, record_id, event_id) VALUES (?, ?, ?)", len(all),
		func(i int, args []any) []any {
			l := all[i]
			return append(args, linkKindNames[l.kind], int64(l.rec)+1, l.event)
		})
	return len(g.events), len(all), headID, headHash, err
}
