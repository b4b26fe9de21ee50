package db_test

import (
	"context"
	"slices"
	"testing"

	"steward/db"
)

func TestRuleSettingsHaveDefaultsAndSaveWithTheirAuditEvent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rules, err := s.RuleSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != len(db.NotificationEvents) || rules[0] != (db.RuleSetting{Event: "token.expiring", Enabled: true, Setting: "60,30,7,1"}) ||
		rules[len(rules)-1] != (db.RuleSetting{Event: "digest", Enabled: true, Setting: "weekly"}) {
		t.Fatalf("defaults %+v", rules)
	}
	before := events(t, s)
	all := slices.Clone(db.NotificationEvents)
	if err := s.SaveRuleSettings(ctx, actor, db.RulesInput{Enabled: all, Thresholds: "60 30 7 1", Cadence: "weekly"}); err != nil {
		t.Fatal(err)
	}
	if events(t, s) != before || count(t, s, "SELECT COUNT(*) FROM notification_rules") != 0 {
		t.Fatal("saving the defaults unchanged wrote something")
	}
	if err := s.SaveRuleSettings(ctx, actor, db.RulesInput{Enabled: all[1:], Thresholds: "14; 90", Cadence: "daily"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ExpiryThresholds(ctx); !slices.Equal(got, []int{14, 90}) {
		t.Fatalf("thresholds %v, want [14 90]", got)
	}
	if r, _ := s.RuleSettingOf(ctx, "token.expiring"); r.Enabled {
		t.Fatal("token.expiring is still on")
	}
	if events(t, s) != before+1 {
		t.Fatal("want one audit event for the change")
	}
	for _, bad := range []string{"", "0", "366", "5,5", "1,2,3,4,5,6,7,8,9", "-3", "1e2"} {
		validationError(t, s.SaveRuleSettings(ctx, actor, db.RulesInput{Enabled: all, Thresholds: bad, Cadence: "daily"}), "thresholds")
	}
	validationError(t, s.SaveRuleSettings(ctx, actor, db.RulesInput{Enabled: all, Thresholds: "7", Cadence: "monthly"}), "cadence")
	validationError(t, s.SaveRuleSettings(ctx, actor, db.RulesInput{Enabled: []string{"nope"}, Thresholds: "7", Cadence: "daily"}), "enabled")
	if events(t, s) != before+1 {
		t.Fatal("a refused save wrote an audit event")
	}
}
