package pages

import (
	"testing"

	"steward/db"
)

// TestReviewItemKindReadsForAnOwner: a reviewer who has never seen Steward
// reads what each item is in plain words, an admin role's snapshot
// ("Admin (admin)") included.
func TestReviewItemKindReadsForAnOwner(t *testing.T) {
	for _, c := range []struct {
		it   db.ReviewerItem
		want string
	}{
		{db.ReviewerItem{Kind: "role", Detail: "Advertiser"}, "Advertiser access"},
		{db.ReviewerItem{Kind: "role", Detail: "Admin (admin)"}, "Admin access (admin level)"},
		{db.ReviewerItem{Kind: "role"}, "Access"},
		{db.ReviewerItem{Kind: "token", Detail: "System user"}, "Access token (System user)"},
		{db.ReviewerItem{Kind: "system_user"}, "System user (automated access)"},
	} {
		if got := reviewItemKind(c.it); got != c.want {
			t.Errorf("%s %q reads %q, want %q", c.it.Kind, c.it.Detail, got, c.want)
		}
	}
}
