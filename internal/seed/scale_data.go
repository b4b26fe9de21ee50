package seed

import "strings"

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
