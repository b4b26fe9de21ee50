package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// checklistRef is a checklist's own audit record.
func checklistRef(id int64) Ref { return Ref{"checklist", id} }

const checklistColumns = `id, subject_kind, subject_id, status, due_on, started_by, started_at, completed_by, completed_at, reason`

func scanChecklist(row scanner) (Checklist, error) {
	var c Checklist
	err := row.Scan(&c.ID, &c.SubjectKind, &c.SubjectID, &c.Status, &c.DueOn, &c.StartedBy, &c.StartedAt, &c.CompletedBy, &c.CompletedAt, &c.Reason)
	return c, err
}

func (s *Store) checklistItems(ctx context.Context, q querier, id int64) ([]ChecklistItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, position, action, target_kind, COALESCE(target_id, 0), title, steps, url, added_later,
		done, done_by, done_at, note, outcome FROM checklist_items WHERE checklist_id = ? ORDER BY position, id`, id)
	if err != nil {
		return nil, fmt.Errorf("db: checklist items: %w", err)
	}
	defer rows.Close()
	var out []ChecklistItem
	for rows.Next() {
		var it ChecklistItem
		if err := rows.Scan(&it.ID, &it.Position, &it.Action, &it.TargetKind, &it.TargetID, &it.Title, &it.Steps, &it.URL,
			&it.AddedLater, &it.Done, &it.DoneBy, &it.DoneAt, &it.Note, &it.Outcome); err != nil {
			return nil, fmt.Errorf("db: scan checklist item: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ChecklistByID returns a saved checklist with its items.
func (s *Store) ChecklistByID(ctx context.Context, id int64) (Checklist, error) {
	c, err := one(ctx, s.read, scanChecklist, "checklist", "SELECT "+checklistColumns+" FROM checklists WHERE id = ?", id)
	if err != nil {
		return c, err
	}
	c.Items, err = s.checklistItems(ctx, s.read, id)
	return c, err
}

// ChecklistSubject is the record a checklist is about, read without the
// checklist's items (a busy account's run to thousands).
func (s *Store) ChecklistSubject(ctx context.Context, id int64) (Ref, error) {
	return one(ctx, s.read, func(row scanner) (Ref, error) {
		var r Ref
		return r, row.Scan(&r.Kind, &r.ID)
	}, "checklist", "SELECT subject_kind, subject_id FROM checklists WHERE id = ?", id)
}

// LatestChecklist returns the subject's open checklist, or else its most
// recent one; ErrNotFound when it never had one.
func (s *Store) LatestChecklist(ctx context.Context, kind string, id int64) (Checklist, error) {
	c, err := one(ctx, s.read, scanChecklist, "checklist", "SELECT "+checklistColumns+
		" FROM checklists WHERE subject_kind = ? AND subject_id = ? ORDER BY status = 'open' DESC, id DESC LIMIT 1", kind, id)
	if err != nil {
		return c, err
	}
	c.Items, err = s.checklistItems(ctx, s.read, c.ID)
	return c, err
}

// StartChecklist saves the subject's checklist as planned now. A subject has
// at most one open checklist; starting again returns the open one.
func (s *Store) StartChecklist(ctx context.Context, actor Actor, kind string, id int64, dueOn string) (int64, error) {
	v := newValidator()
	dueOn = v.date("due_on", dueOn, false)
	if err := v.err(); err != nil {
		return 0, err
	}
	var cid int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, "SELECT id FROM checklists WHERE subject_kind = ? AND subject_id = ? AND status = 'open'", kind, id).Scan(&cid)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: find open checklist: %w", err)
		}
		name, err := recordName(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if dueOn == "" && kind == "owner" {
			_ = tx.QueryRowContext(ctx, "SELECT leaving_on FROM owners WHERE id = ?", id).Scan(&dueOn)
		}
		items, err := s.plan(ctx, tx, kind, id)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return ErrNothingToDo
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO checklists (subject_kind, subject_id, due_on, started_by, started_at)
			VALUES (?, ?, ?, ?, ?)`, kind, id, dueOn, actor.Email, formatTime(s.now()))
		if err != nil {
			return fmt.Errorf("db: start checklist: %w", err)
		}
		cid, _ = res.LastInsertId()
		for _, it := range items {
			if err := insertItem(ctx, tx, cid, it); err != nil {
				return err
			}
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: "checklist.started", Subject: checklistRef(cid),
			Summary: fmt.Sprintf("Started the checklist for %s (%d items)", name, len(items)),
			Changes: []Change{{Field: "due_on", After: dueOn}}, Related: []Ref{{kind, id}}})
	})
	return cid, err
}

func insertItem(ctx context.Context, tx *sql.Tx, cid int64, it ChecklistItem) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO checklist_items (checklist_id, position, action, target_kind, target_id, title, steps, url, added_later)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, cid, it.Position, it.Action, it.TargetKind, nullID(it.TargetID), it.Title, it.Steps, it.URL, it.AddedLater)
	if err != nil {
		return fmt.Errorf("db: add checklist item: %w", err)
	}
	return nil
}

// syncChecklists adds to each open checklist of the given records the items
// its subject now needs and did not have: access that appeared after it
// started, flagged as such.
func (s *Store) syncChecklists(ctx context.Context, tx *sql.Tx, actor Actor, refs []Ref) error {
	// What a system user gains, its account and the integration that uses
	// it gain too: their checklists cover its roles and tokens.
	for _, ref := range refs {
		if ref.Kind != "system_user" || ref.ID == 0 {
			continue
		}
		var accountID, integrationID int64
		err := tx.QueryRowContext(ctx, "SELECT account_id, COALESCE(integration_id, 0) FROM system_users WHERE id = ?", ref.ID).
			Scan(&accountID, &integrationID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("db: read system user: %w", err)
		}
		refs = append(refs, Ref{"account", accountID}, Ref{"integration", integrationID})
	}
	seen := map[Ref]bool{}
	for _, ref := range refs {
		if ref.ID == 0 || seen[ref] {
			continue
		}
		seen[ref] = true
		if _, ok := ChecklistKinds[ref.Kind]; !ok {
			continue
		}
		var cid int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM checklists WHERE subject_kind = ? AND subject_id = ? AND status = 'open'", ref.Kind, ref.ID).Scan(&cid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("db: find open checklist: %w", err)
		}
		existing, err := s.checklistItems(ctx, tx, cid)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		last := 0
		for _, it := range existing {
			have[it.key()] = true
			last = max(last, it.Position)
		}
		planned, err := s.plan(ctx, tx, ref.Kind, ref.ID)
		if err != nil {
			return err
		}
		for _, it := range planned {
			if have[it.key()] || it.Action == ActStanding || it.Action == ActManual {
				continue
			}
			last++
			it.Position, it.AddedLater = last, true
			if err := insertItem(ctx, tx, cid, it); err != nil {
				return err
			}
			if err := s.insertEvent(ctx, tx, actor, Event{Action: "checklist.item_added", Subject: checklistRef(cid),
				Summary: "New since the checklist started: " + it.Title, Related: []Ref{ref}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// TickInput is what a person says when ticking an item.
type TickInput struct {
	Done     bool
	Note     string
	CarryOut bool   // let Steward do the item's action
	OwnerID  string // the new responsible owner, for reassigning items
	Revoke   bool   // for "reassign or revoke": revoke instead
	Secret   string // a rotated token's new value: fingerprinted, never stored
}

// TickItem marks an item done or not, with a note, and carries out its
// action when asked — all in one transaction with the audit events.
func (s *Store) TickItem(ctx context.Context, actor Actor, cid, iid int64, in TickInput) error {
	v := newValidator()
	note := v.text("note", in.Note, false, 2000)
	ownerID := v.ref("owner_id", in.OwnerID, false)
	if err := v.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		kind, subjectID, err := openChecklistTx(ctx, tx, cid, "done")
		if err != nil {
			return err
		}
		var it ChecklistItem
		err = tx.QueryRowContext(ctx, `SELECT id, action, target_kind, COALESCE(target_id, 0), title, done, note, outcome FROM checklist_items
			WHERE id = ? AND checklist_id = ?`, iid, cid).Scan(&it.ID, &it.Action, &it.TargetKind, &it.TargetID, &it.Title, &it.Done, &it.Note, &it.Outcome)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read checklist item: %w", err)
		}
		if in.Done && it.Action == ActDisableLogin && !actor.managesLogins() {
			if err := loginLeftForAdmin(ctx, tx, it.TargetID); err != nil {
				return err
			}
		}
		if in.CarryOut && in.Done && handsOver(it.Action, in.Revoke) && kind == "owner" && ownerID == subjectID {
			return ValidationError{"owner_id": "Choose someone who stays: this checklist is for the person leaving."}
		}
		var outcome string
		if in.CarryOut && in.Done {
			if outcome, err = s.carryOut(ctx, tx, actor, it, ownerID, in.Revoke, in.Secret); err != nil {
				return err
			}
		}
		doneBy, doneAt := "", ""
		if in.Done {
			doneBy, doneAt = actor.Email, formatTime(s.now())
		}
		if _, err := tx.ExecContext(ctx, "UPDATE checklist_items SET done = ?, done_by = ?, done_at = ?, note = ?, outcome = ? WHERE id = ?",
			in.Done, doneBy, doneAt, note, outcome, iid); err != nil {
			return fmt.Errorf("db: tick checklist item: %w", err)
		}
		action, summary := "checklist.item_done", "Done: "+it.Title
		if !in.Done {
			action, summary = "checklist.item_reopened", "Reopened: "+it.Title
		}
		if outcome != "" {
			summary += " — " + outcome
		}
		changes := []Change{{Field: "done", Before: yesNo(it.Done), After: yesNo(in.Done)}}
		if outcome != it.Outcome {
			changes = append(changes, Change{Field: "outcome", Before: it.Outcome, After: outcome})
		}
		if note != it.Note {
			changes = append(changes, Change{Field: "note", Before: it.Note, After: note})
		}
		return s.insertEvent(ctx, tx, actor, Event{Action: action, Subject: checklistRef(cid), Summary: summary,
			Changes: changes, Related: []Ref{{kind, subjectID}}})
	})
}

// loginLeftForAdmin refuses to let someone other than an admin tick
// "Disable their Steward login" while the login is still enabled: only an
// admin disables logins, so the item stays open for one.
func loginLeftForAdmin(ctx context.Context, tx *sql.Tx, userID int64) error {
	var disabled bool
	err := tx.QueryRowContext(ctx, "SELECT disabled FROM users WHERE id = ?", userID).Scan(&disabled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: read login: %w", err)
	}
	if err == nil && !disabled {
		return ValidationError{"carry_out": "Only an admin can disable a Steward login. Leave this item open for an admin, " +
			"who can carry it out here or under Admin → Users."}
	}
	return nil
}

// openChecklistTx reads an open checklist's subject; a completed one is a
// validation error on field, the form field the user acted with.
func openChecklistTx(ctx context.Context, tx *sql.Tx, cid int64, field string) (string, int64, error) {
	var status, kind string
	var subjectID int64
	err := tx.QueryRowContext(ctx, "SELECT status, subject_kind, subject_id FROM checklists WHERE id = ?", cid).Scan(&status, &kind, &subjectID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("db: read checklist: %w", err)
	}
	if status != "open" {
		return "", 0, ValidationError{field: "This checklist is completed; start a new one to make changes."}
	}
	return kind, subjectID, nil
}

// carryOut does an item's action on its target record and returns what it
// did as a sentence for people ("Reassigned to Kenji Watanabe"), which the
// item keeps, its audit event carries and the printed checklist shows. A new
// action adds its case here and returns its own sentence. secret is the new
// value of a token it rotates.
func (s *Store) carryOut(ctx context.Context, tx *sql.Tx, actor Actor, it ChecklistItem, ownerID int64, revoke bool, secret string) (string, error) {
	var ownerName string
	if handsOver(it.Action, revoke) {
		if ownerID == 0 {
			return "", ValidationError{"owner_id": "Choose who takes it over."}
		}
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status, name FROM owners WHERE id = ?", ownerID).Scan(&status, &ownerName)
		if err != nil || status != OwnerActive {
			return "", ValidationError{"owner_id": "Choose an active owner."}
		}
	}
	reassigned := "Reassigned to " + ownerName
	switch it.Action {
	case ActRemoveRole:
		old, err := roleValuesTx(ctx, tx, it.TargetID)
		if err != nil {
			return "", err
		}
		vals := old
		vals.status = "removed"
		return "Role removed in Steward", s.writeRole(ctx, tx, actor, it.TargetID, old, vals, "role.removed")
	case ActRotateToken, ActRotateReassignToken:
		if revoke && MayRevokeInstead(it.Action) {
			return s.carryOut(ctx, tx, actor, ChecklistItem{Action: ActRevokeToken, TargetID: it.TargetID}, 0, false, "")
		}
		if !NeedsOwner(it.Action) {
			ownerID = 0
		}
		_, outcome, err := s.rotateToken(ctx, tx, actor, it.TargetID, secret, ownerID, nil) // "Token rotated; new value ends …wxyz"
		return outcome, err
	case ActRevokeToken, ActReassignToken:
		old, err := tokenValuesTx(ctx, tx, it.TargetID)
		if err != nil {
			return "", err
		}
		vals := old
		action, summary, outcome := "token.revoked", "Revoked token "+vals.name, "Token revoked"
		switch {
		case it.Action == ActReassignToken && !revoke:
			vals.responsibleID = ownerID
			action, summary, outcome = "token.reassigned", "Reassigned token "+vals.name, reassigned
		default:
			vals.status = "revoked"
		}
		return outcome, s.writeToken(ctx, tx, actor, it.TargetID, old, vals, action, summary)
	case ActReassignSystemUser, ActRemoveSystemUser:
		old, err := systemUserValuesTx(ctx, tx, it.TargetID)
		if err != nil {
			return "", err
		}
		vals := old
		if it.Action == ActRemoveSystemUser {
			vals.status = SystemUserRemoved
			return "System user removed in Steward",
				s.writeSystemUser(ctx, tx, actor, it.TargetID, old, vals, "system_user.removed", "Removed system user "+vals.name)
		}
		vals.ownerID = ownerID
		return reassigned, s.writeSystemUser(ctx, tx, actor, it.TargetID, old, vals, "system_user.reassigned", "Reassigned system user "+vals.name)
	case ActReassignIntegration:
		old, err := integrationValuesTx(ctx, tx, it.TargetID)
		if err != nil {
			return "", err
		}
		vals := old
		vals.ownerID = ownerID
		return reassigned, s.writeIntegration(ctx, tx, actor, it.TargetID, old, vals, "integration.reassigned", "Reassigned integration "+vals.name)
	case ActReassignAccount:
		old, err := accountValuesTx(ctx, tx, it.TargetID)
		if err != nil {
			return "", err
		}
		vals := old
		vals.ownerID = ownerID
		return reassigned, s.writeAccount(ctx, tx, actor, it.TargetID, old, vals, "account.reassigned", "Reassigned account "+vals.name)
	case ActDisableLogin:
		return "Login disabled", s.changeUserTx(ctx, tx, actor, it.TargetID, "disabled", "yes", "user.disabled")
	}
	return "", ValidationError{"carry_out": "Steward cannot do this item itself; do it, then tick it."}
}

// CompleteChecklist closes a checklist and moves its subject to departed,
// retired, revoked or removed. Open items need a reason, which is audited.
func (s *Store) CompleteChecklist(ctx context.Context, actor Actor, cid int64, reason string) error {
	v := newValidator()
	reason = v.text("reason", reason, false, 2000)
	if err := v.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		kind, subjectID, err := openChecklistTx(ctx, tx, cid, "reason")
		if err != nil {
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM checklist_items WHERE checklist_id = ? AND done = 0", cid).Scan(&open); err != nil {
			return fmt.Errorf("db: count open items: %w", err)
		}
		if open > 0 && reason == "" {
			return ValidationError{"reason": fmt.Sprintf("%d item(s) are still open: say why you are completing it anyway.", open)}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE checklists SET status = 'completed', completed_by = ?, completed_at = ?, reason = ? WHERE id = ?",
			actor.Email, formatTime(s.now()), reason, cid); err != nil {
			return fmt.Errorf("db: complete checklist: %w", err)
		}
		changes := []Change{{Field: "status", Before: "open", After: "completed"}, {Field: "open_items", After: strconv.Itoa(open)}}
		if reason != "" {
			changes = append(changes, Change{Field: "reason", After: reason})
		}
		if err := s.insertEvent(ctx, tx, actor, Event{Action: "checklist.completed", Subject: checklistRef(cid),
			Summary: "Completed the checklist", Changes: changes, Related: []Ref{{kind, subjectID}}}); err != nil {
			return err
		}
		return s.retireSubject(ctx, tx, actor, kind, subjectID)
	})
}

// retireSubject moves a checklist's subject to its final status.
func (s *Store) retireSubject(ctx context.Context, tx *sql.Tx, actor Actor, kind string, id int64) error {
	switch kind {
	case "owner":
		old, err := ownerValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		vals := old
		vals.status = OwnerDeparted
		if vals.leavingOn == "" {
			vals.leavingOn = s.today()
		}
		return s.writeOwner(ctx, tx, actor, id, old, vals)
	case "account":
		old, err := accountValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		vals := old
		vals.status = "retired"
		return s.writeAccount(ctx, tx, actor, id, old, vals, "account.retired", "Retired account "+vals.name)
	case "role", "token", "system_user":
		_, err := s.removeAccess(ctx, tx, actor, kind, id)
		return err
	case "integration":
		old, err := integrationValuesTx(ctx, tx, id)
		if err != nil {
			return err
		}
		vals := old
		vals.status = IntegrationRetired
		return s.writeIntegration(ctx, tx, actor, id, old, vals, "integration.retired", "Retired integration "+vals.name)
	}
	return nil
}

// removalActions are the carry-out that ends a role, a token or a system
// user, for the records whose checklist or access review removes them.
var removalActions = map[string]string{"role": ActRemoveRole, "token": ActRevokeToken, "system_user": ActRemoveSystemUser}

// removeAccess removes a role, revokes a token or removes a system user as
// a checklist's carry-out does, with its audit event, and says what it did.
func (s *Store) removeAccess(ctx context.Context, tx *sql.Tx, actor Actor, kind string, id int64) (string, error) {
	return s.carryOut(ctx, tx, actor, ChecklistItem{Action: removalActions[kind], TargetID: id}, 0, false, "")
}

// OpenChecklist is an open checklist's progress, for lists.
type OpenChecklist struct {
	ID          int64
	SubjectKind string
	SubjectID   int64
	SubjectName string
	DueOn       string
	Total       int
	Done        int
}

// subjectNameSQL selects the name of checklist c's subject, whatever its
// kind: built from Kinds and recordTables, never from input.
var subjectNameSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE c.subject_kind")
	for _, k := range Kinds {
		tc := recordTables[k.Name]
		fmt.Fprintf(&b, " WHEN '%s' THEN (SELECT %s FROM %s WHERE id = c.subject_id)", k.Name, tc[1], tc[0])
	}
	return b.String() + " END"
}()

// OpenChecklists lists open checklists with their progress, soonest due
// first; subjectKind and subjectID narrow it when set.
func (s *Store) OpenChecklists(ctx context.Context, subjectKind string, subjectID int64, limit int) ([]OpenChecklist, error) {
	return all(ctx, s.read, func(row scanner) (OpenChecklist, error) {
		var c OpenChecklist
		return c, row.Scan(&c.ID, &c.SubjectKind, &c.SubjectID, &c.SubjectName, &c.DueOn, &c.Total, &c.Done)
	}, "open checklists", `SELECT c.id, c.subject_kind, c.subject_id,
		COALESCE(`+subjectNameSQL+`, ''),
		c.due_on, (SELECT COUNT(*) FROM checklist_items i WHERE i.checklist_id = c.id),
		(SELECT COUNT(*) FROM checklist_items i WHERE i.checklist_id = c.id AND i.done = 1)
		FROM checklists c WHERE c.status = 'open' AND (? = '' OR (c.subject_kind = ? AND c.subject_id = ?))
		ORDER BY c.due_on = '', c.due_on, c.id LIMIT ?`, subjectKind, subjectKind, subjectID, limit)
}
