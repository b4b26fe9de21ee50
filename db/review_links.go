package db

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

// Reviewer links (issue #14 item 3). Most owners have no Steward login, so
// each reviewer of a review gets a personal address, /r/{secret}, that
// shows only their items and takes their answers. As with calendar feeds
// (see calendar.go), the secret is not stored: the link's row keeps a
// random seed, the secret is the HMAC of the seed under the audit key, and
// the row keeps the secret's SHA-256 to find the link of a request. So the
// review page can show the link again, while a copy of the database file
// holds neither the secret nor what makes it. A link works while its review
// is open and until it is revoked, and opens nothing else.

// ReviewLinkPrefix is where reviewer links live: ReviewLinkPrefix + secret.
const ReviewLinkPrefix = "/r/"

// reviewSeedBytes is how many random bytes a link's seed has.
const reviewSeedBytes = 32

// reviewSecret is the link secret made from seed; the label keeps it apart
// from every other MAC under the same key.
func (s *Store) reviewSecret(seed string) string {
	m := hmac.New(sha256.New, s.auditKey)
	m.Write([]byte("steward review link\n" + seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ReviewLink is one reviewer of a review and their personal link, as the
// review page lists them.
type ReviewLink struct {
	ReviewerOwnerID int64
	Reviewer        string // the owner's name
	Email           string // the owner's address, "" when none
	// Path is the working link's path (ReviewLinkPrefix + secret); "" when
	// the reviewer has none, or theirs was revoked.
	Path      string
	Issued    string // when the newest link was issued (RFC 3339), "" for none
	Revoked   string // when it was revoked, "" while it works
	OpenItems int    // items still undecided
	Items     int    // all their items
}

// ReviewLinks lists up to limit reviewers of review reviewID (the owners
// with items to review in it), those with the most open items first, then
// by name, each with their newest link.
func (s *Store) ReviewLinks(ctx context.Context, reviewID int64, limit int) ([]ReviewLink, error) {
	return s.reviews.links.get(s, idString(reviewID)+":"+idString(int64(limit)), func() ([]ReviewLink, error) {
		return s.reviewLinks(ctx, reviewID, limit)
	})
}

func (s *Store) reviewLinks(ctx context.Context, reviewID int64, limit int) ([]ReviewLink, error) {
	return all(ctx, s.read, func(row scanner) (ReviewLink, error) {
		var l ReviewLink
		var seed string
		err := row.Scan(&l.ReviewerOwnerID, &l.Reviewer, &l.Email, &l.OpenItems, &l.Items, &seed, &l.Issued, &l.Revoked)
		if seed != "" && l.Revoked == "" {
			l.Path = ReviewLinkPrefix + s.reviewSecret(seed)
		}
		return l, err
	}, "review links", `SELECT g.reviewer, o.display_name, o.email, g.open, g.items,
			COALESCE(l.seed, ''), COALESCE(l.created_at, ''), COALESCE(l.revoked_at, '')
		FROM (SELECT reviewer_owner_id AS reviewer, SUM(decision = 'pending') AS open, COUNT(*) AS items
			FROM review_items WHERE review_id = ?1 AND reviewer_owner_id IS NOT NULL GROUP BY reviewer_owner_id) g
		JOIN owners o ON o.id = g.reviewer
		LEFT JOIN review_links l ON l.id = (SELECT MAX(x.id) FROM review_links x WHERE x.review_id = ?1 AND x.reviewer_owner_id = g.reviewer)
		ORDER BY g.open DESC, o.display_name COLLATE NOCASE, g.reviewer LIMIT ?2`, reviewID, limit)
}

// ReviewLinkFor is the path of the working link of reviewer ownerID in
// review reviewID, issuing one (audited) when they have none; issued says
// it did. It answers ErrNotFound when the owner has no items in the review
// and ErrReviewClosed once the review is closed.
func (s *Store) ReviewLinkFor(ctx context.Context, actor Actor, reviewID, ownerID int64) (path string, issued bool, err error) {
	seed := randomToken(reviewSeedBytes) // made before the transaction: its function may run twice
	err = s.inReviewTx(ctx, func(tx *sql.Tx) error {
		var issuedNow bool
		path, issuedNow, err = s.reviewLinkIn(ctx, tx, actor, reviewID, ownerID, seed)
		issued = issuedNow
		return err
	})
	return path, issued, err
}

// reviewLinkIn is ReviewLinkFor inside tx, issuing a link made of seed
// when one is needed.
func (s *Store) reviewLinkIn(ctx context.Context, tx *sql.Tx, actor Actor, reviewID, ownerID int64, seed string) (string, bool, error) {
	var status, name, reviewer string
	var items int
	err := tx.QueryRowContext(ctx, `SELECT r.status, r.name, COALESCE(o.display_name, ''),
			(SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id AND i.reviewer_owner_id = ?2)
		FROM reviews r LEFT JOIN owners o ON o.id = ?2 WHERE r.id = ?1`, reviewID, ownerID).Scan(&status, &name, &reviewer, &items)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && items == 0) {
		return "", false, ErrNotFound
	}
	if err != nil {
		return "", false, fmt.Errorf("db: read review: %w", err)
	}
	if status != "open" {
		return "", false, ErrReviewClosed
	}
	var had string
	err = tx.QueryRowContext(ctx, `SELECT seed FROM review_links WHERE review_id = ? AND reviewer_owner_id = ? AND revoked_at = ''
		ORDER BY id DESC LIMIT 1`, reviewID, ownerID).Scan(&had)
	if err == nil {
		return ReviewLinkPrefix + s.reviewSecret(had), false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, fmt.Errorf("db: read review link: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO review_links (review_id, reviewer_owner_id, seed, secret_hash, created_at)
		VALUES (?, ?, ?, ?, ?)`, reviewID, ownerID, seed, hashToken(s.reviewSecret(seed)), formatTime(s.now())); err != nil {
		return "", false, fmt.Errorf("db: save review link: %w", err)
	}
	err = s.insertEvent(ctx, tx, actor, Event{Action: "review.link_issued", Subject: Ref{"review", reviewID},
		Related: []Ref{{"owner", ownerID}}, Summary: fmt.Sprintf("Issued %s a reviewer link for review “%s”", reviewer, name)})
	return ReviewLinkPrefix + s.reviewSecret(seed), true, err
}

// RevokeReviewLink stops the link of reviewer ownerID in review reviewID
// at once, audited; a new one can be issued after. It answers ErrNotFound
// when the reviewer has no working link.
func (s *Store) RevokeReviewLink(ctx context.Context, actor Actor, reviewID, ownerID int64) error {
	return s.inReviewTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE review_links SET revoked_at = ? WHERE review_id = ? AND reviewer_owner_id = ? AND revoked_at = ''`,
			formatTime(s.now()), reviewID, ownerID)
		if err != nil {
			return fmt.Errorf("db: revoke review link: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		var name, reviewer string
		if err := tx.QueryRowContext(ctx, `SELECT r.name, COALESCE(o.display_name, '') FROM reviews r LEFT JOIN owners o ON o.id = ?
			WHERE r.id = ?`, ownerID, reviewID).Scan(&name, &reviewer); err != nil {
			return fmt.Errorf("db: read review: %w", err)
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "review.link_revoked", Subject: Ref{"review", reviewID},
			Related: []Ref{{"owner", ownerID}}, Summary: fmt.Sprintf("Revoked the reviewer link of %s for review “%s”; it no longer works", reviewer, name)})
	})
}

// ReviewLinkPath is the path of the working link of reviewer ownerID in
// open review reviewID, without issuing one: ErrNotFound when there is none.
// Reminder emails take it when they are sent, so the secret is never queued.
func (s *Store) ReviewLinkPath(ctx context.Context, reviewID, ownerID int64) (string, error) {
	seed, err := s.QueryString(ctx, `SELECT l.seed FROM review_links l JOIN reviews r ON r.id = l.review_id
		WHERE l.review_id = ? AND l.reviewer_owner_id = ? AND l.revoked_at = '' AND r.status = 'open' ORDER BY l.id DESC LIMIT 1`,
		reviewID, ownerID)
	if err != nil {
		return "", err
	}
	return ReviewLinkPrefix + s.reviewSecret(seed), nil
}

// Reviewer is who a working reviewer link belongs to: the reviewer and
// their open review.
type Reviewer struct {
	ReviewID   int64
	ReviewName string
	DueOn      string
	OwnerID    int64
	Name       string
}

// ReviewerOfLink finds the reviewer whose working link holds secret. A
// link that is unknown or revoked, or whose review is closed, answers
// ErrNotFound.
func (s *Store) ReviewerOfLink(ctx context.Context, secret string) (Reviewer, error) {
	var r Reviewer
	err := s.read.QueryRowContext(ctx, `SELECT r.id, r.name, r.due_on, o.id, o.display_name
		FROM review_links l JOIN reviews r ON r.id = l.review_id JOIN owners o ON o.id = l.reviewer_owner_id
		WHERE l.secret_hash = ? AND l.revoked_at = '' AND r.status = 'open'`, hashToken(secret)).
		Scan(&r.ReviewID, &r.ReviewName, &r.DueOn, &r.OwnerID, &r.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("db: find review link: %w", err)
	}
	return r, nil
}

// AnswerByLink records the answer of the reviewer whose link holds secret
// to one of their items (see AnswerReviewItem). An item that is not theirs,
// and a link that no longer works, answer ErrNotFound.
func (s *Store) AnswerByLink(ctx context.Context, actor Actor, secret string, itemID int64, decision, note string) error {
	r, err := s.ReviewerOfLink(ctx, secret)
	if err != nil {
		return err
	}
	actor.Email = r.Name + " (reviewer link)"
	err = s.answerReviewItem(ctx, actor, r.ReviewID, itemID, r.OwnerID, r.Name, decision, note)
	if errors.Is(err, ErrReviewClosed) {
		return ErrNotFound // closed since: the link is used up
	}
	return err
}

// ReviewerItem is one item as its reviewer sees it.
type ReviewerItem struct {
	ID        int64
	Kind      string // role, token or system_user
	Holder    string
	Detail    string // the role's name, the token's kind …
	Account   string // where: the account's name, "" for none
	Platform  string
	Since     string
	LastSeen  string
	Decision  string // pending, keep or remove
	Note      string
	DecidedAt string
}

// ReviewerItems are up to limit of the items of reviewer ownerID in review
// reviewID, by account then ID (a stable order, so the page does not move
// under the reviewer as they answer), and how many they have in all.
func (s *Store) ReviewerItems(ctx context.Context, reviewID, ownerID int64, limit int) ([]ReviewerItem, int, error) {
	total, err := s.QueryInt(ctx, `SELECT COUNT(*) FROM review_items WHERE review_id = ? AND reviewer_owner_id = ?`, reviewID, ownerID)
	if err != nil {
		return nil, 0, err
	}
	items, err := all(ctx, s.read, func(row scanner) (ReviewerItem, error) {
		var it ReviewerItem
		return it, row.Scan(&it.ID, &it.Kind, &it.Holder, &it.Detail, &it.Account, &it.Platform, &it.Since, &it.LastSeen,
			&it.Decision, &it.Note, &it.DecidedAt)
	}, "reviewer items", `SELECT i.id, i.record_kind, i.holder, i.detail, COALESCE(a.display_name, ''), COALESCE(a.platform, ''),
			i.since, i.last_seen, i.decision, i.note, i.decided_at
		FROM review_items i LEFT JOIN accounts a ON a.id = i.account_id
		WHERE i.review_id = ? AND i.reviewer_owner_id = ? ORDER BY i.account_id, i.id LIMIT ?`, reviewID, ownerID, limit)
	return items, int(total), err
}

// ReviewNameOf is review reviewID's name and whether it is open, or
// ErrNotFound.
func (s *Store) ReviewNameOf(ctx context.Context, reviewID int64) (name string, open bool, err error) {
	var status string
	err = s.read.QueryRowContext(ctx, "SELECT name, status FROM reviews WHERE id = ?", reviewID).Scan(&name, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, ErrNotFound
	}
	if err != nil {
		return "", false, fmt.Errorf("db: read review: %w", err)
	}
	return name, status == "open", nil
}
