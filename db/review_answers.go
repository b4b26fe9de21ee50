package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Answers to access reviews (issue #14 item 3): a reviewer, through their
// personal link, or an editor, from the review page, answers an item keep or
// remove with an optional note. The item keeps the latest answer; every
// answer is an audit event on the review and on the item's record, so the
// history holds them all.

// The answers an item takes.
const (
	ReviewKeep   = "keep"
	ReviewRemove = "remove"
)

// MaxReviewNote bounds an answer's note, in characters.
const MaxReviewNote = 1000

// ErrReviewClosed answers a change to a review that is closed.
var ErrReviewClosed = errors.New("db: the review is closed")

// AnswerReviewItem records an editor's answer to item itemID of review
// reviewID: decision keep or remove (a field error otherwise, and nothing
// written), with an optional note. It answers ErrNotFound for an item not in
// the review and ErrReviewClosed once the review is closed.
func (s *Store) AnswerReviewItem(ctx context.Context, actor Actor, reviewID, itemID int64, decision, note string) error {
	return s.answerReviewItem(ctx, actor, reviewID, itemID, 0, actor.Email, decision, note)
}

// checkAnswer validates an answer's fields.
func checkAnswer(decision, note string) error {
	v := newValidator()
	if decision != ReviewKeep && decision != ReviewRemove {
		v.errs["decision"] = "Choose keep or remove."
	}
	if utf8.RuneCountInString(note) > MaxReviewNote {
		v.errs["note"] = fmt.Sprintf("Keep the note under %d characters.", MaxReviewNote)
	}
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}

// answerReviewItem records an answer, by decidedBy; reviewerOwnerID, when
// not 0, is the only reviewer whose items it may answer (a reviewer link's).
func (s *Store) answerReviewItem(ctx context.Context, actor Actor, reviewID, itemID, reviewerOwnerID int64, decidedBy, decision, note string) error {
	note = strings.TrimSpace(note)
	if err := checkAnswer(decision, note); err != nil {
		return err
	}
	return s.inReviewTx(ctx, func(tx *sql.Tx) error {
		var (
			status, name, kind, holder, detail, oldDecision, oldNote string
			recordID, reviewer                                       int64
		)
		err := tx.QueryRowContext(ctx, `SELECT r.status, r.name, i.record_kind, i.record_id, i.holder, i.detail,
			i.decision, i.note, COALESCE(i.reviewer_owner_id, 0)
			FROM review_items i JOIN reviews r ON r.id = i.review_id WHERE i.id = ? AND i.review_id = ?`, itemID, reviewID).
			Scan(&status, &name, &kind, &recordID, &holder, &detail, &oldDecision, &oldNote, &reviewer)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && reviewerOwnerID != 0 && reviewer != reviewerOwnerID) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read review item: %w", err)
		}
		if status != "open" {
			return ErrReviewClosed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE review_items SET decision = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
			decision, note, decidedBy, formatTime(s.now()), itemID); err != nil {
			return fmt.Errorf("db: answer review item: %w", err)
		}
		what := holder
		if detail != "" {
			what = detail + " of " + holder
		}
		summary := fmt.Sprintf("Answered %s for %s in review “%s”", decision, what, name)
		if note != "" {
			summary += ": " + note
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "review.answered", Subject: Ref{"review", reviewID},
			Summary: summary, Related: []Ref{{kind, recordID}},
			Changes: []Change{{Field: "decision", Before: oldDecision, After: decision}, {Field: "note", Before: oldNote, After: note}}})
	})
}
