package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// Access review reminders (issue #14 item 4), through the notification
// rules: review.reminder asks each reviewer with undecided items to answer,
// ReviewReminderDays before the due date, by email with their personal link;
// review.overdue tells the admins every day while a review is open past its
// due date.

// The access review rules' events.
const (
	EventReviewReminder = "review.reminder"
	EventReviewOverdue  = "review.overdue"
)

// ReviewReminderDays are the days before a review's due date that its
// reviewers are reminded, largest first.
var ReviewReminderDays = [2]int{7, 1}

// The review rules' advice.
const (
	adviceReviewer = "Open your personal link and answer keep or remove for each person or token listed, with a note if you like. No sign-in is needed."
	adviceOverdue  = "Remind the reviewers (their links are on the review's page), answer the rest yourself, or close the review."
)

// ReviewReminderDetails are a review.reminder's details: the facts, and the
// reviewer, whose personal link the email carries. The link is made when
// the email is sent (ReviewLinkPath), so its secret is never queued.
type ReviewReminderDetails struct {
	Facts
	ReviewerOwnerID int64 `json:"reviewer_owner_id"`
}

// reviewReminderQuery finds the reviewers with undecided items in open
// reviews due within the largest step, with the step reached: ?1 is today,
// ?2 and ?3 the last days of the small and the large step. Its extra is the
// reviewer's ID, name, undecided items and whether they have a working link.
func reviewReminderQuery(mail bool) string {
	return `SELECT 'review', g.review_id, g.name, g.due_on, g.step, '', '', g.email,
		g.reviewer || char(31) || g.reviewer_name || char(31) || g.open || char(31) || g.linked
	FROM (SELECT r.id AS review_id, r.name, r.due_on, CASE WHEN r.due_on <= ?2 THEN ` + strconv.Itoa(ReviewReminderDays[1]) + ` ELSE ` +
		strconv.Itoa(ReviewReminderDays[0]) + ` END AS step,
			i.reviewer_owner_id AS reviewer, o.display_name AS reviewer_name, ` + ownerEmail("o") + ` AS email, COUNT(*) AS open,
			EXISTS (SELECT 1 FROM review_links l WHERE l.review_id = r.id AND l.reviewer_owner_id = i.reviewer_owner_id AND l.revoked_at = '') AS linked
		FROM reviews r JOIN review_items i ON i.review_id = r.id AND i.reviewer_owner_id IS NOT NULL AND i.decision = 'pending'
		JOIN owners o ON o.id = i.reviewer_owner_id
		WHERE r.status = 'open' AND r.due_on >= ?1 AND r.due_on <= ?3
		GROUP BY r.id, i.reviewer_owner_id) g
	WHERE 1` + notQueued(EventReviewReminder, "review", "g.review_id", reviewReminderStep, "g.email", mail) + `
	ORDER BY g.due_on, g.review_id, g.reviewer`
}

// reviewReminderStep is a reminder's step in its key: the days, the
// reviewer and the due date ("7d:12:2026-03-31"), so each reviewer gets
// each step once, and again when the due date moves.
const reviewReminderStep = `g.step || 'd:' || g.reviewer || ':' || g.due_on`

// DueReviewerReminders are the review.reminder messages due now: one per
// reviewer with undecided items, per step, to the reviewer's address (else
// the admins). A reviewer without a working link is issued one first, so
// the email can carry it.
func (s *Store) DueReviewerReminders(ctx context.Context) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, EventReviewReminder); err != nil || !heard {
		return nil, err
	}
	rows, err := s.dueRows(ctx, "due review reminders", reviewReminderQuery(s.mail),
		s.today(), s.daysFromToday(ReviewReminderDays[1]), s.daysFromToday(ReviewReminderDays[0]))
	if err != nil {
		return nil, err
	}
	type reviewer struct {
		id         int64
		name, open string
		linked     bool
	}
	reviewers := make([]reviewer, len(rows))
	var unlinked [][2]int64 // review, reviewer
	for i, r := range rows {
		f := strings.Split(r.extra, "\x1f")
		if len(f) != 4 {
			return nil, fmt.Errorf("db: due review reminders: unexpected row %q", r.extra)
		}
		id, _ := strconv.ParseInt(f[0], 10, 64)
		reviewers[i] = reviewer{id: id, name: f[1], open: f[2], linked: f[3] == "1"}
		if !reviewers[i].linked {
			unlinked = append(unlinked, [2]int64{r.id, id})
		}
	}
	if err := s.issueReviewLinks(ctx, unlinked); err != nil {
		return nil, err
	}
	i := 0
	alerts, err := s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		who := reviewers[i]
		i++
		n, _ := strconv.Atoi(who.open)
		return Message{Event: EventReviewReminder, Threshold: fmt.Sprintf("%dd:%d:%s", r.step, who.id, r.date), RecordName: r.name,
				Summary: fmt.Sprintf("Access review “%s”: %s, %s to answer by %s (%s).", r.name, who.name, itemsWord(n), r.date, s.inDays(r.date))},
			Facts{Action: adviceReviewer}
	})
	for j := range alerts {
		alerts[j].Details = ReviewReminderDetails{Facts: alerts[j].Details.(Facts), ReviewerOwnerID: reviewers[j].id}
	}
	return alerts, err
}

// issueReviewLinks issues a link to each reviewer of pairs (a review's ID
// and a reviewer's) in one transaction, each audited.
func (s *Store) issueReviewLinks(ctx context.Context, pairs [][2]int64) error {
	if len(pairs) == 0 {
		return nil
	}
	seeds := make([]string, len(pairs))
	for i := range seeds {
		seeds[i] = randomToken(reviewSeedBytes)
	}
	return s.inReviewTx(ctx, func(tx *sql.Tx) error {
		for i, p := range pairs {
			if _, _, err := s.reviewLinkIn(ctx, tx, Actor{Email: NotifierName, Role: RoleSteward}, p[0], p[1], seeds[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// reviewOverdueQuery finds open reviews past their due date not told of
// today (?1), with their undecided items.
func reviewOverdueQuery(mail bool) string {
	return `SELECT 'review', r.id, r.name, r.due_on, 0, '', '', '',
		(SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id AND i.decision = 'pending')
	FROM reviews r WHERE r.status = 'open' AND r.due_on < ?1` +
		notQueued(EventReviewOverdue, "review", "r.id", "?1", "''", mail) + ` ORDER BY r.due_on, r.id`
}

// DueReviewOverdue are today's review.overdue messages: one a day to the
// admins for each open review past its due date.
func (s *Store) DueReviewOverdue(ctx context.Context) ([]Alert, error) {
	if heard, err := s.ruleHeard(ctx, EventReviewOverdue); err != nil || !heard {
		return nil, err
	}
	today := s.today()
	rows, err := s.dueRows(ctx, "due overdue reviews", reviewOverdueQuery(s.mail), today)
	if err != nil {
		return nil, err
	}
	return s.dueAlerts(ctx, rows, func(r dueRow) (Message, Facts) {
		n, _ := strconv.Atoi(r.extra)
		return Message{Event: EventReviewOverdue, Threshold: today,
			Summary: fmt.Sprintf("The access review “%s” was due on %s and %s still undecided.", r.name, r.date, itemsOpen(n))}, Facts{Action: adviceOverdue}
	})
}

// itemsWord counts items: "1 item", "3 items".
func itemsWord(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}
