package seed

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"steward/db"
)

// demoDomain is the sample company's mail domain; .example is reserved, so
// no mail can ever reach a real person.
const demoDomain = "northwind-outfitters.example"

// demoActor signs every demo change in the audit log.
var demoActor = db.SystemActor("demo")

type demoOwner struct {
	key, name, email, title, department, manager, notes string
}

type demoAccount struct {
	key, name, platform, kind, externalID, url, parent, owner, criticality, notes string
}

type demoRole struct {
	account, holder, role string
	admin                 bool
	grantedOn, grantedBy  string
	reviewBy, notes       string
}

type demoIntegration struct {
	key, name, description, runsOn, owner, notes string
}

type demoSystemUser struct {
	key, name, account, externalID string
	admin                          bool
	owner, integration, notes      string
}

// Demo fills an empty database with a small sample company, Northwind
// Outfitters: about twenty people, its Meta Business Manager with ad accounts
// and Pages, a GitHub organization, an AWS account, a Google Workspace and a
// Stripe account, the roles people hold on them, the integrations that use
// tokens and the Meta system users they run as. It plants the risks the home
// page looks for: a departed person who still holds an admin role on the
// Business Manager, a person offboarding in two weeks, accounts with a single
// admin, one account with no admin at all, overdue reviews, an admin system
// user, and a retired integration whose system user is still active.
//
// It goes through the same Store methods as the dashboard, signed by
// db.SystemActor("demo"), so every record has its audit events. Dates are
// relative to store.Now(); nothing is random. When any owner exists Demo
// does nothing and returns nil, so it never mixes sample data into a
// database in use and is safe to run twice.
func Demo(ctx context.Context, store *db.Store) error {
	counts, err := store.CountOwners(ctx)
	if err != nil {
		return fmt.Errorf("seed: demo: count owners: %w", err)
	}
	if counts.Active+counts.Offboarding+counts.Departed > 0 {
		return nil
	}
	today := store.Now()
	day := func(offset int) string { return today.AddDate(0, 0, offset).Format("2006-01-02") }

	owners := []demoOwner{
		{"maria", "Maria Alvarez", "maria.alvarez", "Chief Executive Officer", "Leadership", "", ""},
		{"daniel", "Daniel Okafor", "daniel.okafor", "Head of Operations", "Operations", "maria", ""},
		{"priya", "Priya Raman", "priya.raman", "Head of Engineering", "Engineering", "maria", ""},
		{"sofia", "Sofia Lindqvist", "sofia.lindqvist", "Head of Marketing", "Marketing", "maria", ""},
		{"tom", "Tom Becker", "tom.becker", "Finance Manager", "Finance", "maria", ""},
		{"aisha", "Aisha Karimi", "aisha.karimi", "IT & Security Lead", "Operations", "daniel",
			"Runs onboarding and offboarding. Keeps the break-glass credentials in the office safe."},
		{"lucas", "Lucas Moreau", "lucas.moreau", "Senior Software Engineer", "Engineering", "priya", ""},
		{"hannah", "Hannah Schmidt", "hannah.schmidt", "Software Engineer", "Engineering", "priya", ""},
		{"kenji", "Kenji Watanabe", "kenji.watanabe", "DevOps Engineer", "Engineering", "priya", "On call for production in even weeks."},
		{"grace", "Grace O'Neill", "grace.oneill", "Software Engineer", "Engineering", "priya", ""},
		{"lena", "Lena Kowalski", "lena.kowalski", "Frontend Engineer", "Engineering", "priya", ""},
		{"mateo", "Mateo Rossi", "mateo.rossi", "Paid Social Manager", "Marketing", "sofia", ""},
		{"chloe", "Chloe Martin", "chloe.martin", "Performance Marketing Specialist", "Marketing", "mateo", ""},
		{"jake", "Jake Morrison", "jake.morrison", "Growth Marketer", "Marketing", "sofia", ""},
		{"ben", "Ben Carter", "ben.carter", "Social Media Coordinator", "Marketing", "sofia", ""},
		{"olivia", "Olivia Nguyen", "olivia.nguyen", "Content Lead", "Marketing", "sofia", ""},
		{"ravi", "Ravi Patel", "ravi.patel", "Data Analyst", "Operations", "daniel", ""},
		{"emma", "Emma Johansson", "emma.johansson", "Customer Support Lead", "Support", "daniel", ""},
		{"noah", "Noah Fischer", "noah.fischer", "Support Specialist", "Support", "emma", ""},
		{"zoe", "Zoe Adams", "zoe.adams", "Accountant", "Finance", "tom", ""},
		{"sam", "Sam Reyes", "sam@brightline-agency.example", "Account Manager, Brightline Agency", "External", "",
			"Agency contact who runs the EU brand campaigns. Contract renews every quarter."},
	}
	ownerIDs := map[string]int64{}
	for _, o := range owners {
		email := o.email
		if !strings.Contains(email, "@") {
			email += "@" + demoDomain
		}
		id, err := store.CreateOwner(ctx, demoActor, db.OwnerInput{Name: o.name, Email: email, Title: o.title,
			Department: o.department, ManagerID: demoRef(ownerIDs, o.manager), Notes: o.notes})
		if err != nil {
			return fmt.Errorf("seed: demo owner %s: %w", o.name, err)
		}
		ownerIDs[o.key] = id
	}

	const bmID = "184726351902847"
	accounts := []demoAccount{
		{"bm", "Northwind Outfitters", "Meta", "Business Manager", bmID,
			"https://business.facebook.com/settings/?business_id=" + bmID, "", "sofia", "critical",
			"Owns every ad account, Page and pixel. Two admins by policy."},
		{"prospecting", "Northwind – Prospecting", "Meta", "Ad account", "1029384756102938",
			"https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=1029384756102938", "bm", "mateo", "high",
			"Card on file: company Amex ending 4021."},
		{"retargeting", "Northwind – Retargeting", "Meta", "Ad account", "1029384756209114",
			"https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=1029384756209114", "bm", "mateo", "high", ""},
		{"brand-eu", "Northwind – Brand EU (agency)", "Meta", "Ad account", "1029384756377520",
			"https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=1029384756377520", "bm", "chloe", "medium",
			"Run day to day by Brightline Agency."},
		{"page", "Northwind Outfitters", "Meta", "Page", "102938475610293",
			"https://www.facebook.com/profile.php?id=102938475610293", "bm", "sofia", "high", ""},
		{"journal", "Northwind Trail Journal", "Meta", "Page", "102938475688140",
			"https://www.facebook.com/profile.php?id=102938475688140", "bm", "olivia", "low",
			"The hiking blog's Page. Nobody has full control since the old agency handed it over."},
		{"github", "northwind-outfitters", "GitHub", "Organization", "98765432",
			"https://github.com/northwind-outfitters", "", "priya", "critical", "Shop, warehouse integration and infrastructure code."},
		{"aws", "Northwind Production", "AWS", "AWS account", "483920175634",
			"https://483920175634.signin.aws.amazon.com/console", "", "kenji", "critical", "eu-west-1. Root user MFA token is in the office safe."},
		{"workspace", demoDomain, "Google Workspace", "Workspace", "C03x8k2pq",
			"https://admin.google.com/", "", "aisha", "critical", "Everyone's email and Drive. SSO for most other tools."},
		{"stripe", "Northwind Outfitters (live)", "Stripe", "Stripe account", "acct_1NwOutf1tt3rsQ7",
			"https://dashboard.stripe.com/", "", "tom", "critical", "Payouts to the main operating account."},
	}
	accountIDs := map[string]int64{}
	for _, a := range accounts {
		id, err := store.CreateAccount(ctx, demoActor, db.AccountInput{Name: a.name, Platform: a.platform, Kind: a.kind,
			ExternalID: a.externalID, URL: a.url, ParentID: demoRef(accountIDs, a.parent), OwnerID: demoRef(ownerIDs, a.owner),
			Criticality: a.criticality, Notes: a.notes})
		if err != nil {
			return fmt.Errorf("seed: demo account %s: %w", a.name, err)
		}
		accountIDs[a.key] = id
	}

	const (
		sofia = "Sofia Lindqvist"
		priya = "Priya Raman"
		aisha = "Aisha Karimi"
		kenji = "Kenji Watanabe"
		mateo = "Mateo Rossi"
	)
	roles := []demoRole{
		// The Business Manager has two admins by policy; one of them has left.
		{"bm", "sofia", "Admin", true, day(-1100), "Maria Alvarez", day(60), ""},
		{"bm", "jake", "Admin", true, day(-640), sofia, day(-20), "Made admin to set up the conversions API."},
		{"bm", "mateo", "Employee", false, day(-800), sofia, "", ""},
		{"bm", "aisha", "Employee", false, day(-500), sofia, "", "Reviews security settings and two-factor enforcement."},
		{"prospecting", "mateo", "Admin", true, day(-800), sofia, day(90), ""},
		{"prospecting", "sofia", "Admin", true, day(-1100), "", "", ""},
		{"prospecting", "chloe", "Advertiser", false, day(-420), mateo, "", ""},
		{"prospecting", "ravi", "Analyst", false, day(-300), mateo, day(-5), "Read-only for the weekly ROAS report."},
		{"prospecting", "sam", "Advertiser", false, day(-200), mateo, day(25), "Agency access; review with each contract renewal."},
		{"retargeting", "mateo", "Admin", true, day(-800), sofia, day(90), ""},
		{"retargeting", "sofia", "Admin", true, day(-1100), "", "", ""},
		{"retargeting", "chloe", "Advertiser", false, day(-420), mateo, "", ""},
		{"retargeting", "jake", "Advertiser", false, day(-600), mateo, "", ""},
		// The agency's ad account has exactly one admin.
		{"brand-eu", "chloe", "Admin", true, day(-380), mateo, day(30), ""},
		{"brand-eu", "sam", "Advertiser", false, day(-200), "Chloe Martin", day(25), "Agency access; review with each contract renewal."},
		{"brand-eu", "ravi", "Analyst", false, day(-300), "Chloe Martin", "", ""},
		{"page", "sofia", "Admin", true, day(-1100), "", day(60), ""},
		{"page", "olivia", "Editor", false, day(-700), sofia, "", ""},
		{"page", "ben", "Editor", false, day(-250), sofia, "", ""},
		{"page", "emma", "Moderator", false, day(-330), sofia, "", "Answers customer comments and messages."},
		// Nobody holds full control of the journal Page.
		{"journal", "olivia", "Editor", false, day(-700), "", "", ""},
		{"journal", "ben", "Editor", false, day(-250), "Olivia Nguyen", "", ""},
		{"github", "priya", "Owner", true, day(-1400), "", day(120), ""},
		{"github", "kenji", "Owner", true, day(-900), priya, day(-12), "Owner so he can manage Actions runners."},
		{"github", "lucas", "Member", false, day(-1000), priya, "", "Maintainer of the shop and warehouse-sync teams."},
		{"github", "hannah", "Member", false, day(-450), priya, "", ""},
		{"github", "grace", "Member", false, day(-150), priya, "", ""},
		{"github", "lena", "Member", false, day(-520), priya, day(14), "Remove on her last day."},
		{"aws", "kenji", "AdministratorAccess", true, day(-900), priya, day(45), "IAM Identity Center permission set."},
		{"aws", "priya", "AdministratorAccess", true, day(-1400), "", day(-40), "Break-glass; should be used rarely."},
		{"aws", "lucas", "PowerUserAccess", false, day(-700), kenji, day(45), ""},
		{"aws", "ravi", "ReadOnlyAccess", false, day(-300), kenji, "", "For Cost Explorer and Athena queries."},
		{"workspace", "aisha", "Super Admin", true, day(-1200), "Maria Alvarez", day(100), ""},
		{"workspace", "maria", "Super Admin", true, day(-1500), "", "", "Founder's account; recovery contact for the domain."},
		{"workspace", "daniel", "User Management Admin", true, day(-600), aisha, day(-3), ""},
		// Finance has one Stripe administrator.
		{"stripe", "tom", "Administrator", true, day(-1000), "Maria Alvarez", day(75), ""},
		{"stripe", "zoe", "Analyst", false, day(-380), "Tom Becker", "", ""},
		{"stripe", "emma", "Support Specialist", false, day(-330), "Tom Becker", "", "Issues refunds."},
		{"stripe", "noah", "Support Specialist", false, day(-90), "Tom Becker", "", "Issues refunds."},
	}
	ownerRoles, err := demoRoles(ctx, store, roles, accountIDs, ownerIDs, false)
	if err != nil {
		return err
	}

	integrations := []demoIntegration{
		{"capi", "Conversions API (server events)", "Sends purchases and add-to-carts from the shop's server to Meta, so ads are measured without browser cookies.",
			"AWS Lambda, eu-west-1", "jake", "Set up by Jake Morrison in his last quarter; nobody took it over when he left."},
		{"catalog", "Shopify ↔ Meta catalog sync", "Keeps the Meta product catalog in step with the Shopify store: prices, stock and new products, every hour.",
			"GitHub Actions (northwind-outfitters/catalog-sync)", "lucas", ""},
		{"looker", "Looker Studio reporting", "Weekly spend and ROAS dashboards for marketing and finance, from the ad accounts' insights.",
			"Looker Studio", "ravi", ""},
		{"crm", "Legacy CRM sync", "Uploaded customer lists from the old CRM to Meta as custom audiences every night.",
			"Office server crm01", "daniel", "Switched off when the shop moved to Shopify. crm01 was wiped and recycled."},
	}
	integrationIDs := map[string]int64{}
	for _, in := range integrations {
		id, err := store.CreateIntegration(ctx, demoActor, db.IntegrationInput{Name: in.name, Description: in.description,
			RunsOn: in.runsOn, ResponsibleOwnerID: demoRef(ownerIDs, in.owner), Notes: in.notes})
		if err != nil {
			return fmt.Errorf("seed: demo integration %s: %w", in.name, err)
		}
		integrationIDs[in.key] = id
	}

	// Meta system users live in the Business Manager; each one is meant to
	// serve one integration.
	systemUsers := []demoSystemUser{
		{"capi-admin", "conversions-api-admin", "bm", "61550293847561", true, "jake", "capi",
			"Created by Jake Morrison while setting up the Conversions API. Admin only because a setup guide said so; a regular system user with the pixel would do."},
		{"catalog-sync", "catalog-sync", "bm", "61550293847562", false, "lucas", "catalog", ""},
		{"looker", "looker-reporting", "bm", "61550293847563", false, "ravi", "looker", "Read-only: Analyst on each asset it reports on."},
		{"crm-upload", "crm-audience-upload", "bm", "61550293847564", false, "daniel", "crm",
			"Still active: nobody removed it when the CRM sync was switched off."},
		{"crm-export", "crm-export", "bm", "61550293847565", false, "daniel", "crm", ""},
	}
	systemUserIDs := map[string]int64{}
	for _, u := range systemUsers {
		admin := ""
		if u.admin {
			admin = "1"
		}
		id, err := store.CreateSystemUser(ctx, demoActor, db.SystemUserInput{Name: u.name, AccountID: demoRef(accountIDs, u.account),
			ExternalID: u.externalID, Admin: admin, ResponsibleOwnerID: demoRef(ownerIDs, u.owner),
			IntegrationID: demoRef(integrationIDs, u.integration), Notes: u.notes})
		if err != nil {
			return fmt.Errorf("seed: demo system user %s: %w", u.name, err)
		}
		systemUserIDs[u.key] = id
	}
	systemUserRoles := []demoRole{
		// Full control where Advertiser would be enough: the token reaches more than it needs.
		{"retargeting", "capi-admin", "Admin", true, day(-180), "Jake Morrison", "", "Full control granted during setup; Advertiser would be enough."},
		{"prospecting", "capi-admin", "Advertiser", false, day(-180), "Jake Morrison", "", ""},
		{"prospecting", "catalog-sync", "Advertiser", false, day(-400), mateo, day(60), "Product ads read the catalog through the ad account."},
		{"retargeting", "catalog-sync", "Advertiser", false, day(-400), mateo, day(60), ""},
		{"prospecting", "looker", "Analyst", false, day(-300), mateo, day(65), ""},
		{"retargeting", "looker", "Analyst", false, day(-300), mateo, day(65), ""},
		{"brand-eu", "looker", "Analyst", false, day(-290), "Chloe Martin", day(65), ""},
		{"page", "looker", "Analyst", false, day(-290), sofia, day(65), "Page insights for the monthly report."},
		{"retargeting", "crm-upload", "Advertiser", false, day(-900), sofia, day(-200), "Custom audience uploads."},
		{"prospecting", "crm-export", "Advertiser", false, day(-900), sofia, "", ""},
	}
	systemUserRoleIDs, err := demoRoles(ctx, store, systemUserRoles, accountIDs, systemUserIDs, true)
	if err != nil {
		return err
	}

	if err := demoTokens(ctx, store, day, ownerIDs, accountIDs, integrationIDs, systemUserIDs); err != nil {
		return err
	}

	// The CRM sync was retired. One of its system users was cleaned up, role
	// first; the other was forgotten and keeps its access.
	if err := store.RetireIntegration(ctx, demoActor, integrationIDs["crm"]); err != nil {
		return fmt.Errorf("seed: demo retire integration: %w", err)
	}
	if err := store.RemoveRole(ctx, demoActor, systemUserRoleIDs["prospecting/crm-export"]); err != nil {
		return fmt.Errorf("seed: demo remove role: %w", err)
	}
	if err := store.RemoveSystemUser(ctx, demoActor, systemUserIDs["crm-export"]); err != nil {
		return fmt.Errorf("seed: demo remove system user: %w", err)
	}

	// Jake left six weeks ago. Someone removed his ad account access but
	// forgot the Business Manager, where he is still an admin.
	if err := store.RemoveRole(ctx, demoActor, ownerRoles["retargeting/jake"]); err != nil {
		return fmt.Errorf("seed: demo remove role: %w", err)
	}
	for _, change := range []struct {
		key, status, leavingOn, notes string
	}{
		{"jake", db.OwnerDeparted, day(-41), "Left to join an agency. Laptop returned; Google account suspended."},
		{"lena", db.OwnerOffboarding, day(14), "Moving to Berlin for a new job. Last day agreed with Priya."},
	} {
		id := ownerIDs[change.key]
		o, err := store.OwnerByID(ctx, id)
		if err != nil {
			return fmt.Errorf("seed: demo read owner: %w", err)
		}
		in := o.Input()
		in.Status, in.LeavingOn, in.Notes = change.status, change.leavingOn, change.notes
		if err := store.UpdateOwner(ctx, demoActor, id, in); err != nil {
			return fmt.Errorf("seed: demo update owner %s: %w", o.Name, err)
		}
	}
	return nil
}

// demoRoles grants roles whose holders are the owners (or, with
// systemUsers, the system users) in holderIDs, and returns each role's ID
// keyed "account/holder".
func demoRoles(ctx context.Context, store *db.Store, roles []demoRole, accountIDs, holderIDs map[string]int64, systemUsers bool) (map[string]int64, error) {
	ids := make(map[string]int64, len(roles))
	for _, r := range roles {
		in := db.RoleInput{AccountID: demoRef(accountIDs, r.account), Role: r.role, GrantedOn: r.grantedOn,
			GrantedBy: r.grantedBy, ReviewBy: r.reviewBy, Notes: r.notes}
		if r.admin {
			in.Admin = "1"
		}
		if systemUsers {
			in.SystemUserID = demoRef(holderIDs, r.holder)
		} else {
			in.OwnerID = demoRef(holderIDs, r.holder)
		}
		id, err := store.CreateRole(ctx, demoActor, in)
		if err != nil {
			return nil, fmt.Errorf("seed: demo role %s on %s for %s: %w", r.role, r.account, r.holder, err)
		}
		ids[r.account+"/"+r.holder] = id
	}
	return ids, nil
}

// demoRef turns a demo key into the form value of its record's ID; an empty
// key is no record.
func demoRef(ids map[string]int64, key string) string {
	if key == "" {
		return ""
	}
	return strconv.FormatInt(ids[key], 10)
}
