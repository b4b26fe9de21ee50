package components

import "steward/db"

// TokenKindLabel names a token kind (db.TokenKinds) for people.
func TokenKindLabel(kind string) string {
	switch kind {
	case "system_user_token":
		return "System user token"
	case "personal_access_token":
		return "Personal access token"
	case "api_key":
		return "API key"
	case "oauth_client":
		return "OAuth client"
	case "service_account_key":
		return "Service account key"
	case "webhook_secret":
		return "Webhook secret"
	}
	return "Other"
}

// StatusLabel is how a record's status reads: the stored word, except that
// a token past its expiry date but still marked active
// (db.TokenExpiredActive) reads the same wherever its status shows.
func StatusLabel(status string) string {
	if status == db.TokenExpiredActive {
		return "Expired — still marked active"
	}
	return status
}
