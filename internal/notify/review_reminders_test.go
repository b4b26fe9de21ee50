package notify_test

import (
	"bytes"
	"context"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"steward/db"
)

// reviewQueued lists the access review rules' messages as "rule threshold
// recipient", oldest first.
func reviewQueued(t *testing.T, s *db.Store) string {
	t.Helper()
	v, err := s.QueryString(context.Background(), `SELECT COALESCE(group_concat(rule || ' ' || threshold || ' ' || recipient, '; '), '')
		FROM (SELECT * FROM outbox WHERE rule IN ('review.reminder', 'review.overdue') ORDER BY id)`)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReviewRemindersCarryTheReviewersLink: a review due in 8 days reminds
// each reviewer with undecided items 7 days and 1 day before, Ana at her
// address with her personal link and Ben (who has none) through the
// admins; once the due date has passed the admins hear of it every day.
// The link's secret is made as the email is sent, never queued.
func TestReviewRemindersCarryTheReviewersLink(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := openMailAt(t, filepath.Join(t.TempDir(), "s.db"), c)
	inv := newInventory(t, s)
	cleo, err := s.CreateOwner(ctx, admin, db.OwnerInput{Name: "Cleo Diaz"})
	if err != nil {
		t.Fatal(err)
	}
	role, err := s.CreateRole(ctx, admin, db.RoleInput{AccountID: inv.account, OwnerID: idText(cleo), Role: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	due := day(8)
	exec := func(q string, args ...any) {
		t.Helper()
		if err := s.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The review's rows as migration 017 holds them (starting a review is
	// not under test here): one item to Ana, one to Ben, one decided.
	exec(`INSERT INTO reviews (id, name, scope, include, due_on, created_at, updated_at) VALUES (1, 'Q1 Meta', 'all', '["roles"]', ?, 'x', 'x')`, due)
	exec(`INSERT INTO review_items (review_id, record_kind, record_id, account_id, holder, detail, reviewer_owner_id) VALUES
		(1, 'role', ?, ?, 'Cleo Diaz', 'Admin', ?), (1, 'token', 1, ?, 'CRM', 'api_key', ?)`, role, inv.account, inv.ana, inv.account, inv.ben)
	exec(`INSERT INTO review_items (review_id, record_kind, record_id, holder, reviewer_owner_id, decision) VALUES (1, 'token', 2, 'Done', ?, 'keep')`, inv.ana)

	runDays(t, quiet(s), c, 10)
	r7, r1 := "review.reminder 7d:", "review.reminder 1d:"
	want := strings.Join([]string{
		r7 + inv.ana + ":" + due + " ana@example.com", r7 + inv.ben + ":" + due + " boss@example.com",
		r1 + inv.ana + ":" + due + " ana@example.com", r1 + inv.ben + ":" + due + " boss@example.com",
		"review.overdue " + day(9) + " boss@example.com", "review.overdue " + day(10) + " boss@example.com",
	}, "; ")
	if got := reviewQueued(t, s); got != want {
		t.Fatalf("queued\n%q\nwant\n%q", got, want)
	}
	summary, err := s.QueryString(ctx, "SELECT summary FROM outbox WHERE rule = 'review.reminder' AND recipient = 'ana@example.com' ORDER BY id LIMIT 1")
	if err != nil || summary != "Access review “Q1 Meta”: Ana Ruiz, 1 item to answer by "+due+" (in 7 days)." {
		t.Errorf("Ana's reminder says %q (%v)", summary, err)
	}

	// Each reviewer was issued a link to send, audited.
	anaID, benID := mustID(t, inv.ana), mustID(t, inv.ben)
	anaLink, err := s.ReviewLinkPath(ctx, 1, anaID)
	if err != nil {
		t.Fatalf("Ana's link: %v", err)
	}
	if _, err := s.ReviewLinkPath(ctx, 1, benID); err != nil {
		t.Fatalf("Ben's link: %v", err)
	}
	if n, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM audit_events WHERE action = 'review.link_issued' AND record_kind = 'review' AND record_id = 1"); n != 2 {
		t.Errorf("link_issued events = %d, want 2", n)
	}
	secret := strings.TrimPrefix(anaLink, db.ReviewLinkPrefix)
	if n, _ := s.QueryInt(ctx, "SELECT COUNT(*) FROM outbox WHERE instr(details, ?) OR instr(summary, ?)", secret, secret); n != 0 {
		t.Error("the outbox holds the link's secret")
	}

	// Sent, Ana's email carries her link on the base URL.
	srv := startMailServer(t, "127.0.0.1:0")
	if _, err := newMailer(s, mailTo(t, srv.addr)).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range srv.messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		if m.to[0] != "ana@example.com" || msg.Header.Get("X-Steward-Event") != db.EventReviewReminder {
			continue
		}
		found = true
		if text := mailParts(t, msg)["text/plain"]; !strings.Contains(text, "Open your review in Steward: https://steward.example.com"+anaLink) {
			t.Errorf("Ana's reminder lacks her link:\n%s", text)
		}
	}
	if !found {
		t.Fatal("no reminder email reached Ana")
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
