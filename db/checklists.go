package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Checklist item actions. Those Steward can carry out act on the item's
// target record in the same transaction as the tick and its audit events.
const (
	ActRemoveRole          = "remove_role"          // target: role
	ActRevokeToken         = "revoke_token"         // target: token
	ActReassignToken       = "reassign_token"       // target: token; reassign (owner_id) or revoke
	ActRotateToken         = "rotate_token"         // target: token; takes its new value (secret)
	ActReassignSystemUser  = "reassign_system_user" // target: system user
	ActReassignIntegration = "reassign_integration" // target: integration
	ActReassignAccount     = "reassign_account"     // target: account
	ActDisableLogin        = "disable_login"        // target: user
	ActRemoveSystemUser    = "remove_system_user"   // target: system user
	ActManual              = "manual"               // a step only a person can do
	ActStanding            = "standing"             // the team's own item
)

// ActRotateReassignToken is the action on a token the person leaving
// created and answers for: revoke it, or rotate it (secret) and hand it
// over (owner_id).
const ActRotateReassignToken = "rotate_reassign_token"

// CanCarryOut reports whether Steward can do an action itself.
func CanCarryOut(action string) bool {
	switch action {
	case ActManual, ActStanding:
		return false
	}
	return true
}

// NeedsOwner reports whether carrying out an action needs a new responsible owner.
func NeedsOwner(action string) bool {
	switch action {
	case ActReassignToken, ActRotateReassignToken, ActReassignSystemUser, ActReassignIntegration, ActReassignAccount:
		return true
	}
	return false
}

// NeedsSecret reports whether carrying out an action takes a token's new
// value: rotating it.
func NeedsSecret(action string) bool {
	return action == ActRotateToken || action == ActRotateReassignToken
}

// MayRevokeInstead reports whether an action offers to revoke its token
// instead of handing it over.
func MayRevokeInstead(action string) bool {
	return action == ActReassignToken || action == ActRotateReassignToken
}

// handsOver reports whether carrying out an action gives its record to a
// new responsible owner, rather than revoking it instead.
func handsOver(action string, revoke bool) bool {
	return NeedsOwner(action) && !(MayRevokeInstead(action) && revoke)
}

// ErrNothingToDo is starting a checklist that would have no items.
var ErrNothingToDo = errors.New("db: the checklist has nothing to do")

// ChecklistKinds are the record kinds that have checklists, with the
// status their subject moves to when the checklist is completed.
var ChecklistKinds = func() map[string]string {
	out := map[string]string{}
	for _, k := range Kinds {
		out[k.Name] = k.Ended
	}
	return out
}()

// ChecklistItem is one thing to do, planned from live data or saved.
type ChecklistItem struct {
	ID         int64
	Position   int
	Action     string
	TargetKind string
	TargetID   int64
	Title      string
	Steps      string // how to do it on the platform
	URL        string // where to do it
	AddedLater bool   // access that appeared after the checklist started
	Done       bool
	DoneBy     string
	DoneAt     string
	Note       string
	// Outcome says what carrying the item out did ("Reassigned to Kenji
	// Watanabe"); empty when it was ticked by hand or is open.
	Outcome string
}

// key identifies an item by the record it acts on, to spot new access: a
// record already on the checklist under another action (a plan made by an
// older version, say) is not new.
func (it ChecklistItem) key() string {
	if it.TargetID == 0 {
		return it.Action + "|" + it.Title
	}
	return fmt.Sprintf("%s|%d", it.TargetKind, it.TargetID)
}

// Checklist is a saved checklist and its items.
type Checklist struct {
	ID          int64
	SubjectKind string
	SubjectID   int64
	Status      string
	DueOn       string
	StartedBy   string
	StartedAt   string
	CompletedBy string
	CompletedAt string
	Reason      string
	Items       []ChecklistItem
}

// Open counts the items not yet done.
func (c Checklist) Open() int {
	n := 0
	for _, it := range c.Items {
		if !it.Done {
			n++
		}
	}
	return n
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// planRow is what a planning query selects: the target's ID, its name and
// the account's name, platform, kind and URL where there is one.
type planRow struct {
	id                                 int64
	name, account, platform, kind, url string
	extra                              string
}

func planRows(ctx context.Context, q querier, query string, args ...any) ([]planRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: plan checklist: %w", err)
	}
	defer rows.Close()
	var out []planRow
	for rows.Next() {
		var r planRow
		if err := rows.Scan(&r.id, &r.name, &r.account, &r.platform, &r.kind, &r.url, &r.extra); err != nil {
			return nil, fmt.Errorf("db: scan checklist plan: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Queries that find what a checklist must cover. Each selects id, name,
// account (planAccount), platform, account kind, url and one extra text.
const (
	// planAccount names an item's account with its platform, "Northwind –
	// Retargeting (Meta)"; a name shared with another account already
	// carries its platform and kind in its display name (migration 011).
	planAccount    = `CASE WHEN a.display_name = a.name THEN a.name || ' (' || a.platform || ')' ELSE a.display_name END`
	planRolesWhere = `SELECT r.id, r.role, ` + planAccount + `, a.platform, a.kind, a.url, COALESCE(o.display_name, su.name, '')
		FROM roles r JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = r.owner_id
		LEFT JOIN system_users su ON su.id = r.system_user_id WHERE r.status = 'active' AND `
	// A token issued to a system user reaches the system user's account
	// when it names none of its own.
	planTokensWhere = `SELECT t.id, t.name, COALESCE(` + planAccount + `, ''), COALESCE(a.platform, ''), COALESCE(a.kind, ''), COALESCE(a.url, ''),
		COALESCE(su.name, '') FROM tokens t LEFT JOIN system_users su ON su.id = t.system_user_id
		LEFT JOIN accounts a ON a.id = COALESCE(t.account_id, su.account_id) WHERE t.status = 'active' AND `
	planSystemUsersWhere = `SELECT su.id, su.name, ` + planAccount + `, a.platform, a.kind, a.url, '' FROM system_users su
		JOIN accounts a ON a.id = su.account_id WHERE su.status = 'active' AND `
)

// PlanChecklist lists what must happen if the record goes away, from live
// data, followed by the team's standing items for its kind.
func (s *Store) PlanChecklist(ctx context.Context, kind string, id int64) ([]ChecklistItem, error) {
	return s.plan(ctx, s.read, kind, id)
}

func (s *Store) plan(ctx context.Context, q querier, kind string, id int64) ([]ChecklistItem, error) {
	var items []ChecklistItem
	add := func(action, targetKind string, targetID int64, title, steps, url string) {
		items = append(items, ChecklistItem{Action: action, TargetKind: targetKind, TargetID: targetID, Title: title, Steps: steps, URL: url})
	}
	addRoles := func(where string, arg int64) error {
		rows, err := planRows(ctx, q, planRolesWhere+where+" ORDER BY a.platform, a.name, r.id", arg)
		for _, r := range rows {
			add(ActRemoveRole, "role", r.id, fmt.Sprintf("Remove %s's role “%s” on %s", r.extra, r.name, r.account),
				removeRoleSteps(r.platform, r.kind, r.account, r.extra), r.url)
		}
		return err
	}
	addTokens := func(action, where string, arg int64, title func(planRow) string) error {
		rows, err := planRows(ctx, q, planTokensWhere+where+" ORDER BY t.name, t.id", arg)
		for _, r := range rows {
			steps := revokeTokenSteps(r.platform, r.extra, r.name)
			if NeedsSecret(action) {
				steps = rotateTokenSteps(r.platform, r.extra, r.name)
			}
			add(action, "token", r.id, title(r), steps, r.url)
		}
		return err
	}
	var err error
	switch kind {
	case "owner":
		// Each token once: one issued to them is revoked; one they answer
		// for is handed over, and also rotated when they created it; one
		// they only created is rotated.
		err = errors.Join(
			addRoles("r.owner_id = ?", id),
			addTokens(ActRevokeToken, "t.owner_id = ?1", id, func(r planRow) string {
				return "Revoke " + r.name + ", issued to them"
			}),
			addTokens(ActReassignToken, `t.responsible_owner_id = ?1 AND t.owner_id IS NOT ?1
				AND t.created_by_owner_id IS NOT ?1`, id,
				func(r planRow) string { return "Reassign or revoke " + r.name + ": they answer for it" }),
			addTokens(ActRotateReassignToken, "t.responsible_owner_id = ?1 AND t.created_by_owner_id = ?1 AND t.owner_id IS NOT ?1", id,
				func(r planRow) string {
					return "Revoke " + r.name + ", or rotate it and hand it over: they created it, saw its value and answer for it"
				}),
			addTokens(ActRotateToken, "t.created_by_owner_id = ?1 AND t.responsible_owner_id IS NOT ?1 AND t.owner_id IS NOT ?1", id,
				func(r planRow) string { return "Rotate " + r.name + ": they created it and saw its value" }),
			s.planReassign(ctx, q, &items, ActReassignSystemUser, "system_user",
				"SELECT id, name FROM system_users WHERE status = 'active' AND owner_id = ? ORDER BY name", id, "system user"),
			s.planReassign(ctx, q, &items, ActReassignIntegration, "integration",
				"SELECT id, name FROM integrations WHERE status = 'active' AND owner_id = ? ORDER BY name", id, "integration"),
			s.planReassign(ctx, q, &items, ActReassignAccount, "account",
				"SELECT id, display_name FROM accounts WHERE status = 'active' AND owner_id = ? ORDER BY name", id, "account"),
			s.planLogins(ctx, q, &items, id),
		)
	case "integration":
		err = errors.Join(
			addTokens(ActRevokeToken, "t.integration_id = ?", id, func(r planRow) string { return "Revoke " + r.name + ", which it uses" }),
			s.planSystemUsers(ctx, q, &items, "su.integration_id = ?", id),
			addRoles("r.system_user_id IN (SELECT id FROM system_users WHERE integration_id = ? AND status = 'active')", id),
		)
	case "system_user":
		err = errors.Join(
			addTokens(ActRevokeToken, "t.system_user_id = ?", id, func(r planRow) string { return "Revoke " + r.name + ", issued to it" }),
			addRoles("r.system_user_id = ?", id),
			s.planSystemUsers(ctx, q, &items, "su.id = ?", id),
		)
	case "account":
		err = errors.Join(
			addRoles("r.account_id = ?", id),
			// The two ways in, each by its index: with OR the query read
			// every active token.
			addTokens(ActRevokeToken, `t.id IN (SELECT id FROM tokens WHERE account_id = ?1
				UNION ALL SELECT id FROM tokens WHERE account_id IS NULL AND system_user_id IN (SELECT id FROM system_users WHERE account_id = ?1))`,
				id, func(r planRow) string { return "Revoke " + r.name + ", which reaches it" }),
		)
	case "token":
		err = s.planToken(ctx, q, &items, id)
	case "role":
		err = errors.Join(addRoles("r.id = ?", id), s.planConfirm(ctx, q, &items, "role", id))
	default:
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	standing, err := s.standingItems(ctx, q, kind)
	if err != nil {
		return nil, err
	}
	for _, text := range standing {
		add(ActStanding, "", 0, text, "", "")
	}
	for i := range items {
		items[i].Position = i + 1
	}
	return items, nil
}

func (s *Store) planReassign(ctx context.Context, q querier, items *[]ChecklistItem, action, kind, query string, id int64, noun string) error {
	rows, err := q.QueryContext(ctx, query, id)
	if err != nil {
		return fmt.Errorf("db: plan reassign: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it ChecklistItem
		if err := rows.Scan(&it.TargetID, &it.Title); err != nil {
			return err
		}
		it.Action, it.TargetKind = action, kind
		it.Title = "Reassign the " + noun + " " + it.Title + " to someone who stays"
		*items = append(*items, it)
	}
	return rows.Err()
}

func (s *Store) planLogins(ctx context.Context, q querier, items *[]ChecklistItem, ownerID int64) error {
	rows, err := q.QueryContext(ctx, "SELECT id, email FROM users WHERE owner_id = ? AND disabled = 0 ORDER BY email", ownerID)
	if err != nil {
		return fmt.Errorf("db: plan logins: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it ChecklistItem
		var email string
		if err := rows.Scan(&it.TargetID, &email); err != nil {
			return err
		}
		it.Action, it.TargetKind, it.Title = ActDisableLogin, "user", "Disable their Steward login "+email
		*items = append(*items, it)
	}
	return rows.Err()
}

func (s *Store) planSystemUsers(ctx context.Context, q querier, items *[]ChecklistItem, where string, id int64) error {
	rows, err := planRows(ctx, q, planSystemUsersWhere+where+" ORDER BY su.name", id)
	for _, r := range rows {
		*items = append(*items, ChecklistItem{Action: ActRemoveSystemUser, TargetKind: "system_user", TargetID: r.id,
			Title: fmt.Sprintf("Remove the system user %s from %s", r.name, r.account),
			Steps: removeSystemUserSteps(r.platform, r.name), URL: r.url})
	}
	return err
}

func (s *Store) planToken(ctx context.Context, q querier, items *[]ChecklistItem, id int64) error {
	var name, storedIn, platform, url, systemUser, integration string
	var integrationID int64
	err := q.QueryRowContext(ctx, `SELECT t.name, t.stored_in, COALESCE(a.platform, ''), COALESCE(a.url, ''), COALESCE(su.name, ''),
		COALESCE(i.name, ''), COALESCE(t.integration_id, 0) FROM tokens t LEFT JOIN system_users su ON su.id = t.system_user_id
		LEFT JOIN accounts a ON a.id = COALESCE(t.account_id, su.account_id) LEFT JOIN integrations i ON i.id = t.integration_id
		WHERE t.id = ?`, id).
		Scan(&name, &storedIn, &platform, &url, &systemUser, &integration, &integrationID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("db: plan token: %w", err)
	}
	where := "on the platform"
	if platform != "" {
		where = "on " + platform
	}
	*items = append(*items, ChecklistItem{Action: ActRevokeToken, TargetKind: "token", TargetID: id, Title: "Revoke " + name + " " + where,
		Steps: revokeTokenSteps(platform, systemUser, name), URL: url})
	if storedIn != "" {
		*items = append(*items, ChecklistItem{Action: ActManual, Title: "Remove it from where it is stored: " + storedIn})
	} else {
		*items = append(*items, ChecklistItem{Action: ActManual, Title: "Remove it from wherever it is stored (password manager, CI secrets, config files)"})
	}
	if integrationID != 0 {
		*items = append(*items, ChecklistItem{Action: ActManual, TargetKind: "integration", TargetID: integrationID,
			Title: "Check " + integration + ": give it a new token or retire it"})
	}
	*items = append(*items, ChecklistItem{Action: ActManual, Title: "Confirm the token no longer works: a call with it is refused"})
	return nil
}

func (s *Store) planConfirm(ctx context.Context, q querier, items *[]ChecklistItem, kind string, id int64) error {
	*items = append(*items, ChecklistItem{Action: ActManual, Title: "Confirm on the platform that the access is gone"})
	return nil
}

// isMeta reports whether a platform name is Meta's (Facebook, Instagram).
func isMeta(platform string) bool {
	p := strings.ToLower(platform)
	return strings.Contains(p, "meta") || strings.Contains(p, "facebook") || strings.Contains(p, "instagram")
}

// removeRoleSteps says where on the platform a person's or system user's
// access is removed.
func removeRoleSteps(platform, accountKind, account, holder string) string {
	if isMeta(platform) {
		if strings.EqualFold(accountKind, "Business Manager") {
			return "In Meta Business Settings (business.facebook.com/settings) › Users › People (or System users), select " + holder +
				" and choose Remove from business — or lower their role there."
		}
		return "In Meta Business Settings (business.facebook.com/settings) › Accounts › " + metaAssetMenu(accountKind) + ", select " + account +
			", open its People (or Partners) tab, find " + holder + " and remove their access."
	}
	return genericSteps(platform, "remove "+holder+"'s role on "+account)
}

func metaAssetMenu(kind string) string {
	switch strings.ToLower(kind) {
	case "ad account":
		return "Ad accounts"
	case "page":
		return "Pages"
	case "instagram account":
		return "Instagram accounts"
	case "pixel":
		return "Data sources › Pixels"
	case "catalog":
		return "Data sources › Catalogs"
	}
	return "the asset's list"
}

// revokeTokenSteps says where a token is revoked.
func revokeTokenSteps(platform, systemUser, token string) string {
	if isMeta(platform) && systemUser != "" {
		return "In Meta Business Settings (business.facebook.com/settings) › Users › System users, select " + systemUser +
			" and click Revoke tokens; choose the app the token was generated for. Integrations using " + token + " stop working at once."
	}
	return genericSteps(platform, "revoke "+token)
}

// rotateTokenSteps says how a token is replaced by a new value.
func rotateTokenSteps(platform, systemUser, token string) string {
	if isMeta(platform) && systemUser != "" {
		return "In Meta Business Settings (business.facebook.com/settings) › Users › System users, select " + systemUser +
			", click Generate new token for the same app and permissions, put the new value where " + token +
			" is stored, check the integration still works, then Revoke tokens for the old one."
	}
	return genericSteps(platform, "generate a new value for "+token+", replace it wherever it is stored, then revoke the old one")
}

func removeSystemUserSteps(platform, name string) string {
	if isMeta(platform) {
		return "In Meta Business Settings (business.facebook.com/settings) › Users › System users, select " + name +
			", remove its assigned assets, then delete the system user (trash icon)."
	}
	return genericSteps(platform, "delete the service account or bot "+name)
}

func genericSteps(platform, what string) string {
	if platform == "" {
		return "Sign in to the platform's admin console and " + what + "."
	}
	return "Sign in to " + platform + "'s admin console and " + what + "."
}

// StandingItem is one of the team's own checklist items.
type StandingItem struct {
	ID   int64
	Kind string
	Text string
}

func (s *Store) standingItems(ctx context.Context, q querier, kind string) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT text FROM standing_items WHERE kind = ? ORDER BY position, id", kind)
	if err != nil {
		return nil, fmt.Errorf("db: standing items: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ListStandingItems lists every kind's standing items.
func (s *Store) ListStandingItems(ctx context.Context) ([]StandingItem, error) {
	return all(ctx, s.read, func(row scanner) (StandingItem, error) {
		var it StandingItem
		return it, row.Scan(&it.ID, &it.Kind, &it.Text)
	}, "standing items", "SELECT id, kind, text FROM standing_items ORDER BY kind, position, id")
}

// AddStandingItem adds a team item to every new checklist of a kind.
func (s *Store) AddStandingItem(ctx context.Context, actor Actor, kind, text string) error {
	v := newValidator()
	if _, ok := ChecklistKinds[kind]; !ok {
		v.fail("kind", "Choose a record kind.")
	}
	text = v.line("text", text, true, 300)
	if err := v.err(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO standing_items (kind, text, position, created_at)
			VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM standing_items WHERE kind = ?), ?)`, kind, text, kind, formatTime(s.now()))
		if err != nil {
			return fmt.Errorf("db: add standing item: %w", err)
		}
		id, _ := res.LastInsertId()
		return s.appendEvent(ctx, tx, actor, Event{Action: "standing_item.added", Subject: Ref{"standing_item", id},
			Summary: "Added standing " + kind + " checklist item: " + text})
	})
}

// DeleteStandingItem removes a team item from future checklists; saved
// checklists keep their copy.
func (s *Store) DeleteStandingItem(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var kind, text string
		err := tx.QueryRowContext(ctx, "SELECT kind, text FROM standing_items WHERE id = ?", id).Scan(&kind, &text)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM standing_items WHERE id = ?", id); err != nil {
			return fmt.Errorf("db: delete standing item: %w", err)
		}
		return s.appendEvent(ctx, tx, actor, Event{Action: "standing_item.removed", Subject: Ref{"standing_item", id},
			Summary: "Removed standing " + kind + " checklist item: " + text})
	})
}
