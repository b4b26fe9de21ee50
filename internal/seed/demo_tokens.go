package seed

import (
	"context"
	"fmt"

	"steward/db"
)

// demoToken is one credential of the sample company.
type demoToken struct {
	name, kind, account, systemUser, owner, integration, responsible, createdBy  string
	scopes, assets, issuedOn, expiresOn, lastRotatedOn, lastReviewedOn, storedIn string
	secret, notes                                                                string
}

// demoTokens registers the sample company's tokens, chosen so that every
// risk finding has something to show. The demo values are made up; only
// their fingerprints are kept, like any other.
func demoTokens(ctx context.Context, store *db.Store, day func(int) string, owners, accounts, integrations, systemUsers map[string]int64) error {
	tokens := []demoToken{
		{name: "Conversions API – server events", kind: "system_user_token", account: "bm", systemUser: "capi-admin",
			integration: "capi", responsible: "kenji", createdBy: "jake",
			scopes: "ads_management, business_management, ads_read", assets: "Pixel 2749103385, Northwind – Retargeting, Northwind – Prospecting",
			issuedOn: day(-180), storedIn: "AWS Secrets Manager › prod/capi/meta-token", secret: "EAAGdemoCAPI0000000000000000000000000000capiTokenNW01",
			notes: "Never-expiring system user token. Jake generated it and pasted it into the Lambda's secret himself."},
		{name: "Catalog sync – Meta", kind: "system_user_token", account: "bm", systemUser: "catalog-sync", integration: "catalog",
			responsible: "lucas", createdBy: "lucas", scopes: "catalog_management, business_management",
			assets: "Catalog “Northwind products”", issuedOn: day(-40), expiresOn: day(20), storedIn: "GitHub Actions secret META_TOKEN",
			secret: "EAAGdemoCATALOG00000000000000000000000catalogNW02", notes: "60-day token; refresh before it lapses or the hourly sync fails."},
		{name: "Looker Studio – ads insights", kind: "system_user_token", account: "bm", systemUser: "looker", integration: "looker",
			responsible: "ravi", createdBy: "ravi", scopes: "ads_read, read_insights", issuedOn: day(-63), expiresOn: day(-3),
			storedIn: "Looker Studio data source credentials", secret: "EAAGdemoLOOKER000000000000000000000000lookerNW03",
			notes: "Expired three days ago; the weekly report will be empty until it is renewed."},
		{name: "CRM audience upload", kind: "system_user_token", account: "bm", systemUser: "crm-upload", integration: "crm",
			responsible: "daniel", createdBy: "daniel", scopes: "ads_management", assets: "Northwind – Retargeting custom audiences",
			issuedOn: day(-900), lastReviewedOn: day(-400), storedIn: "crm01:/etc/crm-sync/meta.env (server wiped)",
			secret: "EAAGdemoCRM0000000000000000000000000000crmNW04", notes: "The CRM sync is retired but this token was never revoked."},
		{name: "GitHub PAT – release automation", kind: "personal_access_token", account: "github", owner: "lena",
			responsible: "lena", createdBy: "lena", scopes: "repo, workflow", assets: "northwind-outfitters/shop, northwind-outfitters/catalog-sync",
			issuedOn: day(-200), expiresOn: day(165), storedIn: "GitHub Actions secret RELEASE_TOKEN",
			secret: "ghp_demoRELEASE0000000000000000000000NW05", notes: "Lena leaves soon: move this to a GitHub App before she goes."},
		{name: "Stripe restricted key – refunds bot", kind: "api_key", account: "stripe", integration: "",
			scopes: "refunds:write, charges:read", issuedOn: day(-120), storedIn: "Zendesk app settings",
			secret: "rk_live_demoREFUNDS000000000000000000NW06", notes: "Nobody remembers who set this up."},
		{name: "AWS access key – CI deploy", kind: "api_key", account: "aws", owner: "kenji", responsible: "kenji", createdBy: "kenji",
			scopes: "DeployRole (assume-role only)", assets: "Northwind Production", issuedOn: day(-30), lastRotatedOn: day(-30),
			storedIn: "GitHub Actions secret AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY", secret: "AKIADEMOCIDEPLOYNW07xxxxxxxx",
			notes: "Access keys do not expire; rotated every 90 days by policy."},
		{name: "Shopify webhook signing secret", kind: "webhook_secret", integration: "catalog", responsible: "lucas", createdBy: "lucas",
			issuedOn: day(-400), expiresOn: day(300), storedIn: "GitHub Actions secret SHOPIFY_WEBHOOK_SECRET",
			secret: "whsec_demoSHOPIFY0000000000000000NW08"},
	}
	for _, t := range tokens {
		_, err := store.CreateToken(ctx, demoActor, db.TokenInput{Name: t.name, Kind: t.kind, AccountID: demoRef(accounts, t.account),
			SystemUserID: demoRef(systemUsers, t.systemUser), OwnerID: demoRef(owners, t.owner),
			IntegrationID: demoRef(integrations, t.integration), ResponsibleOwnerID: demoRef(owners, t.responsible),
			CreatedByOwnerID: demoRef(owners, t.createdBy), Scopes: t.scopes, Assets: t.assets, IssuedOn: t.issuedOn,
			ExpiresOn: t.expiresOn, LastRotatedOn: t.lastRotatedOn, LastReviewedOn: t.lastReviewedOn, StoredIn: t.storedIn,
			Secret: t.secret, Notes: t.notes})
		if err != nil {
			return fmt.Errorf("seed: demo token %s: %w", t.name, err)
		}
	}
	return nil
}
