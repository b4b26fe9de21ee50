package db

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Meta sync (issue #16) compares what a Business Manager holds on Meta (a
// MetaSnapshot, read by internal/meta) with Steward's records of it:
//   - the business: the account with platform Meta and the business ID as
//     external ID; its ad accounts and Pages are Meta accounts by external ID,
//     with the business as parent;
//   - its system users: system users of the business account, by external ID,
//     admin when Meta's role is ADMIN;
//   - its people: owners by email, each with a role on the business account
//     named after Meta's role;
//   - assignments: a system user's role on an ad account or Page, named as
//     Business Settings names its tasks (Admin, Editor, Moderator, Advertiser,
//     Analyst), admin-level when the tasks include MANAGE.
//
// Records Meta no longer lists are never removed by a sync: they are listed
// as "gone from Meta" (and as a finding) for someone to act on through their
// checklists, because Meta's answer can be partial (a narrower token, an asset
// moved to another business) and a removal is not undone by the next sync.

// MetaPlatform is the platform name of Meta's accounts.
const MetaPlatform = "Meta"

// EventMetaDrift alerts the admins when a Meta sync finds drift it had not
// found before.
const EventMetaDrift = "meta.drift_found"

// The drift findings a sync leaves on the home page.
const (
	FindingUnrecordedOnPlatform = "unrecorded-on-platform"
	FindingGoneFromPlatform     = "gone-from-platform"
)

// MetaSyncPlan is what applying a snapshot would change.
type MetaSyncPlan struct {
	BusinessID   string
	BusinessName string // as Meta names it, else as recorded
	ReadAt       time.Time
	Create       []MetaSyncItem
	Update       []MetaSyncItem
	Gone         []MetaSyncItem // active records Meta no longer lists
	Seen         int            // records Meta lists that Steward already records
}

// MetaSyncItem is one record a sync creates, updates or finds gone.
type MetaSyncItem struct {
	Kind    string // a db.Kinds name
	ID      int64  // the record; 0 for one to create
	Name    string
	Detail  string   // what it is on Meta: "ad account", "system user of …"
	Changes []Change // an update's fields, before → after
	key     string   // names the item across syncs (drift)
	holder  string   // a role's holder kind: "owner" or "system_user"
}

// Counts says how many records of each kind the items hold, in Kinds order.
func (p MetaSyncPlan) Counts(items []MetaSyncItem) []KindCount {
	var out []KindCount
	for _, k := range Kinds {
		n := 0
		for _, it := range items {
			if it.Kind == k.Name {
				n++
			}
		}
		if n > 0 {
			out = append(out, KindCount{Kind: k, Count: n})
		}
	}
	return out
}

// KindCount is a number of records of one kind.
type KindCount struct {
	Kind  Kind
	Count int
}

// Empty reports whether applying the plan would change nothing.
func (p MetaSyncPlan) Empty() bool { return len(p.Create) == 0 && len(p.Update) == 0 }

// MetaSyncName is how events and pages name a sync: "the Meta sync of 3 Dec 2026 10:40".
func MetaSyncName(readAt time.Time) string {
	return "the Meta sync of " + readAt.UTC().Format("2 Jan 2006 15:04")
}

// PreviewMetaSync compares snap with Steward's records and says what
// applying it would change; it writes nothing.
func (s *Store) PreviewMetaSync(ctx context.Context, snap MetaSnapshot) (MetaSyncPlan, error) {
	w := metaWalk{s: s, ctx: ctx, q: s.read, snap: snap}
	return w.run()
}

// MetaSync is a kept sync: what it read and whether it was applied.
type MetaSync struct {
	ID       int64
	Snapshot MetaSnapshot
	Status   string // "pending" or "applied"
	ReadBy   string
}

// RecordMetaSync keeps what a sync read (for its apply and the drift
// findings), refreshes the drift findings from it and returns its ID and
// plan. The snapshot holds no secret.
func (s *Store) RecordMetaSync(ctx context.Context, actor Actor, snap MetaSnapshot) (int64, MetaSyncPlan, error) {
	if !actor.managesLogins() {
		return 0, MetaSyncPlan{}, errOnlyAdminsConnectMeta
	}
	body, err := json.Marshal(snap)
	if err != nil {
		return 0, MetaSyncPlan{}, fmt.Errorf("db: encode meta snapshot: %w", err)
	}
	var id int64
	var plan MetaSyncPlan
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		w := metaWalk{s: s, ctx: ctx, q: tx, snap: snap}
		if plan, err = w.run(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO meta_syncs (business_id, read_at, snapshot, read_by, scheduled, to_create, to_update, gone)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			snap.BusinessID, formatTime(snap.ReadAt), string(body), actor.Email, actor.Role == RoleSteward, len(plan.Create), len(plan.Update), len(plan.Gone))
		if err != nil {
			return fmt.Errorf("db: keep meta sync: %w", err)
		}
		id, _ = res.LastInsertId()
		return s.keepDrift(ctx, tx, id, plan)
	})
	return id, plan, err
}

// RecordMetaSyncFailure keeps a sync that could not read the business, for
// the connector page's history: problem says why in words (meta.Problem),
// never with a token. Nothing else changes: the drift findings stay those
// of the last sync that read the business.
func (s *Store) RecordMetaSyncFailure(ctx context.Context, actor Actor, businessID string, readAt time.Time, problem string) error {
	if !actor.managesLogins() {
		return errOnlyAdminsConnectMeta
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta_syncs (business_id, read_at, snapshot, status, read_by, scheduled, problem)
			VALUES (?, ?, '', 'failed', ?, ?, ?)`, businessID, formatTime(readAt), actor.Email, actor.Role == RoleSteward, problem); err != nil {
			return fmt.Errorf("db: keep failed meta sync: %w", err)
		}
		return nil
	})
}

// metaSyncsShown is how many syncs the connector page's history lists.
const metaSyncsShown = 20

// MetaSyncRow is one sync in the connector page's history.
type MetaSyncRow struct {
	ID         int64
	BusinessID string
	ReadAt     time.Time
	ReadBy     string // the admin's email; "" for the scheduled job
	Status     string // "pending", "applied" or "failed"
	AppliedAt  time.Time
	// Create, Update and Gone are the plan's counts when the sync was kept;
	// once applied, what applying it created and updated.
	Create, Update, Gone int
	Problem              string // why a failed sync read nothing
}

// MetaSyncHistory lists the latest syncs, newest first, at most 20.
func (s *Store) MetaSyncHistory(ctx context.Context) ([]MetaSyncRow, error) {
	return all(ctx, s.read, func(row scanner) (MetaSyncRow, error) {
		var r MetaSyncRow
		var readAt, appliedAt string
		var scheduled bool
		err := row.Scan(&r.ID, &r.BusinessID, &readAt, &r.ReadBy, &scheduled, &r.Status, &appliedAt, &r.Create, &r.Update, &r.Gone, &r.Problem)
		r.ReadAt, r.AppliedAt = parseStoredTime(readAt), parseStoredTime(appliedAt)
		if scheduled {
			r.ReadBy = ""
		}
		return r, err
	}, "meta sync history", `SELECT id, business_id, read_at, read_by, scheduled, status, applied_at, to_create, to_update, gone, problem
		FROM meta_syncs ORDER BY id DESC LIMIT ?`, metaSyncsShown)
}

// MetaSyncByID returns a kept sync.
func (s *Store) MetaSyncByID(ctx context.Context, id int64) (MetaSync, error) {
	return metaSyncTx(ctx, s.read, id)
}

func metaSyncTx(ctx context.Context, q querier, id int64) (MetaSync, error) {
	var m MetaSync
	var body string
	// A failed sync read nothing: there is nothing to preview or apply.
	err := q.QueryRowContext(ctx, "SELECT id, snapshot, status, read_by FROM meta_syncs WHERE id = ? AND status <> 'failed'", id).Scan(&m.ID, &body, &m.Status, &m.ReadBy)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("db: read meta sync: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &m.Snapshot); err != nil {
		return m, fmt.Errorf("db: decode meta snapshot: %w", err)
	}
	return m, nil
}

// ErrMetaSyncApplied is ApplyMetaSync's answer for a sync applied before.
var ErrMetaSyncApplied = errors.New("db: meta sync already applied")

// ErrMetaSyncStale is ApplyMetaSync's answer for a sync read before the
// latest one: applying it would bring back what Meta said earlier.
var ErrMetaSyncStale = errors.New("db: a newer meta sync was read")

// ApplyMetaSync applies the kept sync syncID in one transaction: every
// record to create or update, each with its audit event naming the sync,
// then stamps each record Meta lists as seen on Meta at the sync's reading.
// Records gone from Meta are left as they are (see above). The plan is
// worked out again inside the transaction, so changes made since the
// preview are taken into account rather than overwritten.
func (s *Store) ApplyMetaSync(ctx context.Context, actor Actor, syncID int64) (MetaSyncPlan, error) {
	if !actor.managesLogins() {
		return MetaSyncPlan{}, errOnlyAdminsConnectMeta
	}
	var plan MetaSyncPlan
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		m, err := metaSyncTx(ctx, tx, syncID)
		if err != nil {
			return err
		}
		if m.Status == "applied" {
			return ErrMetaSyncApplied
		}
		var latest int64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(id) FROM meta_syncs WHERE status <> 'failed'").Scan(&latest); err != nil {
			return fmt.Errorf("db: latest meta sync: %w", err)
		}
		if latest != syncID {
			return ErrMetaSyncStale
		}
		name := MetaSyncName(m.Snapshot.ReadAt)
		actor.Cause = "from " + name
		w := metaWalk{s: s, ctx: ctx, q: tx, tx: tx, actor: actor, snap: m.Snapshot}
		if plan, err = w.run(); err != nil {
			return err
		}
		for _, k := range Kinds {
			if ids := w.seen[k.Name]; len(ids) > 0 {
				list, _ := json.Marshal(ids)
				if _, err := tx.ExecContext(ctx, "UPDATE "+k.Table+" SET last_seen_on_meta = ? WHERE id IN (SELECT value FROM json_each(?))",
					formatTime(m.Snapshot.ReadAt), string(list)); err != nil {
					return fmt.Errorf("db: stamp seen on meta: %w", err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meta_syncs SET status = 'applied', applied_at = ?, to_create = ?, to_update = ?, gone = ? WHERE id = ?",
			formatTime(s.now()), len(plan.Create), len(plan.Update), len(plan.Gone), syncID); err != nil {
			return fmt.Errorf("db: mark meta sync applied: %w", err)
		}
		if err := s.appendEvent(ctx, tx, Actor{UserID: actor.UserID, Email: actor.Email, IP: actor.IP, Role: actor.Role}, Event{
			Action: "meta_sync.applied", Summary: fmt.Sprintf("Applied %s of business %s: %d created, %d updated, %d gone from Meta left for review",
				name, m.Snapshot.BusinessID, len(plan.Create), len(plan.Update), len(plan.Gone)),
			Changes: fields("business_id", m.Snapshot.BusinessID, "created", strconv.Itoa(len(plan.Create)),
				"updated", strconv.Itoa(len(plan.Update)), "gone", strconv.Itoa(len(plan.Gone)))}); err != nil {
			return err
		}
		// What is left after applying is the drift the findings show.
		after := metaWalk{s: s, ctx: ctx, q: tx, snap: m.Snapshot}
		left, err := after.run()
		if err != nil {
			return err
		}
		return s.keepDrift(ctx, tx, syncID, left)
	})
	return plan, err
}

// keepDrift replaces the drift findings with those of plan: system users
// and assignments Meta holds that Steward does not record, and records gone
// from Meta. An item dismissed before stays dismissed.
func (s *Store) keepDrift(ctx context.Context, tx *sql.Tx, syncID int64, plan MetaSyncPlan) error {
	type drift struct {
		finding string
		it      MetaSyncItem
	}
	var items []drift
	for _, it := range plan.Create {
		if it.Kind == "system_user" || (it.Kind == "role" && it.holder == "system_user") {
			items = append(items, drift{FindingUnrecordedOnPlatform, it})
		}
	}
	for _, it := range plan.Gone {
		items = append(items, drift{FindingGoneFromPlatform, it})
	}
	keys := make([]string, 0, len(items))
	for _, d := range items {
		keys = append(keys, d.finding+"|"+d.it.key)
	}
	list, _ := json.Marshal(keys)
	known, err := all(ctx, tx, func(row scanner) (string, error) {
		var k string
		return k, row.Scan(&k)
	}, "meta drift keys", "SELECT finding || '|' || key FROM meta_drift")
	if err != nil {
		return err
	}
	var fresh []string
	for i, d := range items {
		if !slices.Contains(known, keys[i]) {
			k, _ := KindNamed(d.it.Kind)
			what := map[string]string{FindingUnrecordedOnPlatform: "on Meta, not recorded", FindingGoneFromPlatform: "gone from Meta"}[d.finding]
			fresh = append(fresh, fmt.Sprintf("%s %s (%s): %s", strings.ToUpper(k.Noun[:1])+k.Noun[1:], d.it.Name, what, d.it.Detail))
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta_drift WHERE finding || '|' || key NOT IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
		return fmt.Errorf("db: clear meta drift: %w", err)
	}
	for _, d := range items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta_drift (finding, key, sync_id, record_kind, record_id, name, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (finding, key) DO UPDATE SET sync_id = excluded.sync_id, record_id = excluded.record_id,
				name = excluded.name, detail = excluded.detail`,
			d.finding, d.it.key, syncID, d.it.Kind, nullID(d.it.ID), d.it.Name, d.it.Detail); err != nil {
			return fmt.Errorf("db: keep meta drift: %w", err)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	count := len(fresh)
	if count > alertItemsMax {
		fresh = append(fresh[:alertItemsMax], fmt.Sprintf("and %d more", count-alertItemsMax))
	}
	return s.alertAdmins(ctx, tx, Message{Event: EventMetaDrift, Threshold: strconv.FormatInt(syncID, 10),
		Summary: fmt.Sprintf("%s of business %s found %d difference(s) with Steward's records it had not found before.",
			strings.ToUpper(MetaSyncName(plan.ReadAt)[:1])+MetaSyncName(plan.ReadAt)[1:], plan.BusinessID, count),
		Details: Facts{When: plan.ReadAt.UTC().Format("2006-01-02"), Items: fresh,
			Action: "Open the sync in Steward (Discover from Meta) to apply what Meta holds, and work through the checklists of records gone from Meta."}})
}

// DismissDrift hides one drift finding's item until a sync no longer finds
// it, with an audit event.
func (s *Store) DismissDrift(ctx context.Context, actor Actor, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var finding, kind, name, dismissed string
		var recordID sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT finding, record_kind, record_id, name, dismissed_at FROM meta_drift WHERE id = ?", id).
			Scan(&finding, &kind, &recordID, &name, &dismissed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("db: read meta drift: %w", err)
		}
		if dismissed != "" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE meta_drift SET dismissed_at = ?, dismissed_by = ? WHERE id = ?", formatTime(s.now()), actor.Email, id); err != nil {
			return fmt.Errorf("db: dismiss meta drift: %w", err)
		}
		what := map[string]string{FindingUnrecordedOnPlatform: "on Meta but not recorded", FindingGoneFromPlatform: "gone from Meta"}[finding]
		k, _ := KindNamed(kind)
		ev := Event{Action: "meta_drift.dismissed", Summary: fmt.Sprintf("Dismissed %s %s (%s)", k.Noun, name, what),
			Changes: fields("finding", finding, "name", name)}
		if recordID.Valid {
			ev.Subject = Ref{kind, recordID.Int64}
		}
		return s.appendEvent(ctx, tx, actor, ev)
	})
}

// metaWalk compares a snapshot with the records, in the order records
// depend on each other (accounts, system users, people, roles). Without a
// tx it only plans; with one it also writes each change as it goes, so a
// role can name a system user created a step before.
type metaWalk struct {
	s     *Store
	ctx   context.Context
	q     querier
	tx    *sql.Tx // nil: plan only
	actor Actor
	snap  MetaSnapshot
	plan  MetaSyncPlan
	seen  map[string][]int64 // kind → records Meta lists
	fake  int64              // the IDs a plan gives records it would create
}

// metaAccount is a Meta account as the walk reads it.
type metaAccount struct {
	id                      int64
	name, kind, ext, status string
	parent                  int64
}

// metaRole is an active role the walk may match.
type metaRole struct {
	id                      int64
	holder                  metaHolder
	account                 int64
	role, holderName, email string
	accountName             string
	admin                   bool
}

// metaHolder is who holds a role: an owner or a system user, and where.
type metaHolder struct {
	kind    string // "owner" or "system_user"
	id      int64
	account int64
}

// metaPeopleQuery reads the owners with the emails of a JSON array, each
// through the email index (a partial one, for non-empty emails only).
const metaPeopleQuery = `SELECT o.id, o.display_name, o.email FROM json_each(?) j JOIN owners o ON o.email = j.value COLLATE NOCASE AND o.email <> ''
	ORDER BY o.id`

// metaRolesQuery reads the active roles people hold on the business ?1 and
// those of its system users, through the indexes of both (an OR across the
// two tables read every active role).
const metaRolesQuery = `SELECT r.id, CASE WHEN r.owner_id IS NULL THEN 'system_user' ELSE 'owner' END, COALESCE(r.owner_id, r.system_user_id), r.account_id, r.role, r.admin, COALESCE(o.display_name, su.name), COALESCE(o.email, ''), a.display_name
	FROM (SELECT id FROM roles WHERE account_id = ?1 AND owner_id IS NOT NULL
		UNION ALL SELECT sr.id FROM system_users s CROSS JOIN roles sr ON sr.system_user_id = s.id WHERE s.account_id = ?1) mine
	CROSS JOIN roles r ON r.id = mine.id JOIN accounts a ON a.id = r.account_id LEFT JOIN owners o ON o.id = r.owner_id LEFT JOIN system_users su ON su.id = r.system_user_id
	WHERE r.status = 'active'
	ORDER BY r.id`

func (w *metaWalk) run() (MetaSyncPlan, error) {
	w.plan = MetaSyncPlan{BusinessID: w.snap.BusinessID, ReadAt: w.snap.ReadAt}
	w.seen = map[string][]int64{}
	ctx, snap := w.ctx, w.snap

	// Accounts: the business and the assets Meta lists, and those Steward
	// lists under the business.
	exts := []string{snap.BusinessID}
	for _, a := range slices.Concat(snap.AdAccounts, snap.Pages) {
		exts = append(exts, a.ID)
	}
	extList, _ := json.Marshal(exts)
	accounts, err := all(ctx, w.q, func(row scanner) (metaAccount, error) {
		var a metaAccount
		var parent sql.NullInt64
		err := row.Scan(&a.id, &a.name, &a.kind, &a.ext, &a.status, &parent)
		a.parent = nullable(parent)
		return a, err
	}, "meta accounts", `SELECT id, name, kind, external_id, status, parent_id FROM accounts
		WHERE platform = ?1 AND (external_id IN (SELECT value FROM json_each(?2))
			OR parent_id IN (SELECT id FROM accounts WHERE platform = ?1 AND external_id = ?3))
		ORDER BY id`, MetaPlatform, string(extList), snap.BusinessID)
	if err != nil {
		return w.plan, err
	}
	byExt := map[string]metaAccount{}
	for _, a := range accounts {
		if _, dup := byExt[a.ext]; !dup && a.ext != "" {
			byExt[a.ext] = a
		}
	}
	business, ok := byExt[snap.BusinessID]
	if !ok {
		business.name, business.ext = cmp.Or(snap.BusinessName, "Meta business "+snap.BusinessID), snap.BusinessID
		business.id, err = w.create(MetaSyncItem{Kind: "account", Name: business.name, Detail: "Business Manager", key: "account:" + snap.BusinessID},
			func() (int64, error) {
				return w.s.createAccount(ctx, w.tx, w.actor, AccountInput{Name: business.name, Platform: MetaPlatform,
					Kind: "Business Manager", ExternalID: snap.BusinessID})
			})
		if err != nil {
			return w.plan, err
		}
	} else if err := w.updateAccount(business, snap.BusinessName, "Business Manager", nil); err != nil {
		return w.plan, err
	}
	business.name = cmp.Or(snap.BusinessName, business.name) // as the plan's items name it
	w.plan.BusinessName = business.name
	assets := map[int64]bool{} // the business's ad accounts and Pages, by account ID
	listed := map[string]bool{}
	for _, group := range []struct {
		assets []MetaAsset
		kind   string
	}{{snap.AdAccounts, "Ad account"}, {snap.Pages, "Page"}} {
		for _, m := range group.assets {
			listed[m.ID] = true
			a, found := byExt[m.ID]
			if !found {
				a = metaAccount{name: m.Name, ext: m.ID, kind: group.kind, parent: business.id, status: "active"}
				a.id, err = w.create(MetaSyncItem{Kind: "account", Name: m.Name, Detail: strings.ToLower(group.kind), key: "account:" + m.ID},
					func() (int64, error) {
						return w.s.createAccount(ctx, w.tx, w.actor, AccountInput{Name: m.Name, Platform: MetaPlatform,
							Kind: group.kind, ExternalID: m.ID, ParentID: idString(business.id)})
					})
				if err != nil {
					return w.plan, err
				}
				byExt[m.ID] = a
			} else if err := w.updateAccount(a, m.Name, strings.ToLower(group.kind), &business); err != nil {
				return w.plan, err
			}
			assets[a.id] = true
		}
	}
	for _, a := range accounts {
		// Only the kinds a sync reads can be gone: Meta's answer lists no
		// Instagram account, pixel or catalog, nor anyone's access to them.
		if a.parent != business.id || business.id == 0 || !metaSyncedKind(a.kind) {
			continue
		}
		assets[a.id] = true
		if a.status == "active" && a.ext != "" && !listed[a.ext] {
			w.gone(MetaSyncItem{Kind: "account", ID: a.id, Name: a.name, Detail: "Meta no longer lists this " + strings.ToLower(a.kind), key: "account:" + a.ext})
		}
	}

	// System users of the business, by external ID.
	type sysUser struct {
		id        int64
		name, ext string
		admin     bool
		status    string
	}
	var users []sysUser
	if business.id > 0 {
		users, err = all(ctx, w.q, func(row scanner) (sysUser, error) {
			var u sysUser
			return u, row.Scan(&u.id, &u.name, &u.ext, &u.admin, &u.status)
		}, "meta system users", "SELECT id, name, external_id, admin, status FROM system_users WHERE account_id = ? ORDER BY id", business.id)
		if err != nil {
			return w.plan, err
		}
	}
	userByExt := map[string]sysUser{}
	for _, u := range users {
		if _, dup := userByExt[u.ext]; !dup && u.ext != "" && u.status == SystemUserActive {
			userByExt[u.ext] = u
		}
	}
	sysIDs := map[string]int64{}
	onMeta := map[string]bool{}
	for _, m := range snap.SystemUsers {
		onMeta[m.ID] = true
		admin := m.Role == "ADMIN"
		u, found := userByExt[m.ID]
		if !found {
			id, err := w.create(MetaSyncItem{Kind: "system_user", Name: m.Name, Detail: metaRoleName(m.Role) + " system user", key: "system_user:" + m.ID},
				func() (int64, error) {
					return w.s.createSystemUser(ctx, w.tx, w.actor, SystemUserInput{Name: m.Name, AccountID: idString(business.id),
						ExternalID: m.ID, Admin: yesNo01(admin)})
				})
			if err != nil {
				return w.plan, err
			}
			sysIDs[m.ID] = id
			continue
		}
		sysIDs[m.ID] = u.id
		var changes []Change
		if m.Name != "" && m.Name != u.name {
			changes = append(changes, Change{Field: "name", Before: u.name, After: m.Name})
		}
		if admin != u.admin {
			changes = append(changes, Change{Field: "admin", Before: yesNo(u.admin), After: yesNo(admin)})
		}
		if err := w.update(MetaSyncItem{Kind: "system_user", ID: u.id, Name: u.name, Detail: "system user", Changes: changes}, func() error {
			in, err := currentInput(ctx, w.tx, "system_user", u.id, scanSystemUser, "SELECT "+systemUserColumns+systemUserFrom+" WHERE su.id = ?", SystemUser.Input)
			if err != nil {
				return err
			}
			if m.Name != "" {
				in.Name = m.Name
			}
			in.Admin = yesNo01(admin)
			_, err = w.s.updateSystemUser(ctx, w.tx, w.actor, u.id, in)
			return err
		}); err != nil {
			return w.plan, err
		}
	}
	for _, u := range users {
		if u.status == SystemUserActive && u.ext != "" && !onMeta[u.ext] {
			w.gone(MetaSyncItem{Kind: "system_user", ID: u.id, Name: u.name, Detail: "Meta no longer lists this system user", key: "system_user:" + u.ext})
		}
	}

	// People: owners by email.
	emails := make([]string, 0, len(snap.People))
	for _, p := range snap.People {
		if p.Email != "" {
			emails = append(emails, p.Email)
		}
	}
	emailList, _ := json.Marshal(emails)
	type person struct {
		id          int64
		name, email string
	}
	people, err := all(ctx, w.q, func(row scanner) (person, error) {
		var p person
		return p, row.Scan(&p.id, &p.name, &p.email)
	}, "meta people", metaPeopleQuery, string(emailList))
	if err != nil {
		return w.plan, err
	}
	ownerByEmail := map[string]int64{}
	for _, p := range people {
		ownerByEmail[strings.ToLower(p.email)] = p.id
	}

	// Active roles on the business (people's) and of its system users (assignments).
	var roles []metaRole
	if business.id > 0 {
		roles, err = all(ctx, w.q, func(row scanner) (metaRole, error) {
			var r metaRole
			err := row.Scan(&r.id, &r.holder.kind, &r.holder.id, &r.account, &r.role, &r.admin, &r.holderName, &r.email, &r.accountName)
			r.holder.account = r.account
			return r, err
		}, "meta roles", metaRolesQuery, business.id)
		if err != nil {
			return w.plan, err
		}
	}
	roleOf := map[metaHolder]metaRole{}
	for _, r := range roles {
		if _, dup := roleOf[r.holder]; !dup {
			roleOf[r.holder] = r
		}
	}
	matched := map[int64]bool{}
	for _, p := range snap.People {
		if p.Email == "" {
			continue
		}
		id, found := ownerByEmail[strings.ToLower(p.Email)]
		if !found {
			id, err = w.create(MetaSyncItem{Kind: "owner", Name: p.Name, Detail: p.Email, key: "owner:" + strings.ToLower(p.Email)},
				func() (int64, error) {
					return w.s.createOwner(ctx, w.tx, w.actor, OwnerInput{Name: p.Name, Email: p.Email})
				})
			if err != nil {
				return w.plan, err
			}
			ownerByEmail[strings.ToLower(p.Email)] = id
		} else {
			w.see("owner", id)
		}
		h := metaHolder{"owner", id, business.id}
		key := "role:" + strings.ToLower(p.Email) + ":" + business.ext
		if err := w.grant(h, p.Name, key, business, metaRoleName(p.Role), p.Role == "ADMIN", roleOf, matched); err != nil {
			return w.plan, err
		}
	}
	suNames := map[string]string{}
	for _, u := range snap.SystemUsers {
		suNames[u.ID] = u.Name
	}
	for _, a := range snap.Assignments {
		su, okUser := sysIDs[a.SystemUserID]
		acc, okAcc := byExt[a.AssetID]
		if !okUser || !okAcc {
			continue // an asset or system user the business does not list
		}
		h := metaHolder{"system_user", su, acc.id}
		key := "role:" + a.SystemUserID + ":" + a.AssetID
		if err := w.grant(h, suNames[a.SystemUserID], key, acc, metaTasksName(a.Tasks), slices.Contains(a.Tasks, "MANAGE"), roleOf, matched); err != nil {
			return w.plan, err
		}
	}
	for _, r := range roles {
		if matched[r.id] {
			continue
		}
		// People's roles on the business; system users' on its assets.
		if r.holder.kind == "owner" && r.email != "" && r.account == business.id {
			w.gone(MetaSyncItem{Kind: "role", ID: r.id, Name: r.role, Detail: r.holderName + " is no longer a person of the business on Meta",
				key: "role:" + strconv.FormatInt(r.id, 10), holder: "owner"})
		}
		if r.holder.kind == "system_user" && assets[r.account] {
			w.gone(MetaSyncItem{Kind: "role", ID: r.id, Name: r.role, Detail: r.holderName + " is no longer assigned " + r.accountName + " on Meta",
				key: "role:" + strconv.FormatInt(r.id, 10), holder: "system_user"})
		}
	}
	return w.plan, nil
}

// updateAccount plans (or writes) account a's name as Meta has it ("" for
// none) and, for an asset of business, the business as its parent when it
// has none; a counts as seen either way.
func (w *metaWalk) updateAccount(a metaAccount, name, detail string, business *metaAccount) error {
	var changes []Change
	if name != "" && name != a.name {
		changes = append(changes, Change{Field: "name", Before: a.name, After: name})
	}
	if business != nil && a.parent == 0 {
		changes = append(changes, Change{Field: "parent", Before: "", After: business.name})
	}
	return w.update(MetaSyncItem{Kind: "account", ID: a.id, Name: a.name, Detail: detail, Changes: changes}, func() error {
		in, err := currentInput(w.ctx, w.tx, "account", a.id, scanAccount, "SELECT "+accountColumns+accountFrom+" WHERE a.id = ?", Account.Input)
		if err != nil {
			return err
		}
		if name != "" {
			in.Name = name
		}
		if business != nil && in.ParentID == "" {
			in.ParentID = idString(business.id)
		}
		_, err = w.s.updateAccount(w.ctx, w.tx, w.actor, a.id, in)
		return err
	})
}

// grant plans (or writes) holder's role on account: a new role when it has
// none there, else an update of its name and admin level.
func (w *metaWalk) grant(h metaHolder, holderName, key string, account metaAccount, role string, admin bool,
	roleOf map[metaHolder]metaRole, matched map[int64]bool) error {
	ctx := w.ctx
	r, found := roleOf[h]
	if !found {
		in := RoleInput{AccountID: idString(account.id), Role: role, Admin: yesNo01(admin)}
		if h.kind == "owner" {
			in.OwnerID = idString(h.id)
		} else {
			in.SystemUserID = idString(h.id)
		}
		_, err := w.create(MetaSyncItem{Kind: "role", Name: role, Detail: holderName + " on " + account.name, key: key, holder: h.kind},
			func() (int64, error) { return w.s.createRole(ctx, w.tx, w.actor, in) })
		return err
	}
	matched[r.id] = true
	var changes []Change
	if r.role != role {
		changes = append(changes, Change{Field: "role", Before: r.role, After: role})
	}
	if r.admin != admin {
		changes = append(changes, Change{Field: "admin", Before: yesNo(r.admin), After: yesNo(admin)})
	}
	return w.update(MetaSyncItem{Kind: "role", ID: r.id, Name: r.role, Detail: r.holderName + " on " + account.name, Changes: changes, holder: h.kind},
		func() error {
			in, err := currentInput(ctx, w.tx, "role", r.id, scanRole, "SELECT "+roleColumns+roleFrom+" WHERE r.id = ?", Role.Input)
			if err != nil {
				return err
			}
			in.Role, in.Admin = role, yesNo01(admin)
			_, err = w.s.updateRole(ctx, w.tx, w.actor, r.id, in)
			return err
		})
}

// create adds it to the plan and, when applying, writes it; it answers the
// record's ID (a stand-in when only planning).
func (w *metaWalk) create(it MetaSyncItem, write func() (int64, error)) (int64, error) {
	w.plan.Create = append(w.plan.Create, it)
	if w.tx == nil {
		w.fake--
		return w.fake, nil
	}
	id, err := write()
	if err != nil {
		return 0, metaWriteError(it, err)
	}
	w.seen[it.Kind] = append(w.seen[it.Kind], id)
	return id, nil
}

// update adds it to the plan when it changes anything and, when applying,
// writes it; the record counts as seen either way.
func (w *metaWalk) update(it MetaSyncItem, write func() error) error {
	w.see(it.Kind, it.ID)
	if len(it.Changes) == 0 {
		return nil
	}
	w.plan.Update = append(w.plan.Update, it)
	if w.tx == nil {
		return nil
	}
	return metaWriteError(it, write())
}

func (w *metaWalk) see(kind string, id int64) {
	if id > 0 {
		w.seen[kind] = append(w.seen[kind], id)
		w.plan.Seen++
	}
}

func (w *metaWalk) gone(it MetaSyncItem) { w.plan.Gone = append(w.plan.Gone, it) }

// MetaSyncRefusedError is ApplyMetaSync's answer when Meta gave a value
// Steward cannot hold (a name too long, an email another owner has): the
// whole sync was refused and nothing was written.
type MetaSyncRefusedError struct {
	Kind, Name string // the record: a db.Kinds name and what Meta calls it
	Problem    string // what the record's checks said
}

func (e *MetaSyncRefusedError) Error() string {
	return fmt.Sprintf("db: meta sync refused: %s %q: %s", e.Kind, e.Name, e.Problem)
}

// metaWriteError names the record a write refused.
func metaWriteError(it MetaSyncItem, err error) error {
	var verr ValidationError
	if errors.As(err, &verr) {
		var problems []string
		for field, msg := range verr {
			problems = append(problems, field+": "+msg)
		}
		slices.Sort(problems)
		return &MetaSyncRefusedError{Kind: it.Kind, Name: it.Name, Problem: strings.Join(problems, " ")}
	}
	if err != nil {
		return fmt.Errorf("db: meta sync %s %q: %w", it.Kind, it.Name, err)
	}
	return nil
}

// currentInput reads a record's fields as its form gives them, inside tx.
func currentInput[T, In any](ctx context.Context, tx *sql.Tx, kind string, id int64, scan func(scanner) (T, error), query string, input func(T) In) (In, error) {
	rec, err := currentTx(ctx, tx, scan, query, id)
	if err != nil {
		var zero In
		return zero, fmt.Errorf("db: read %s %d: %w", kind, id, err)
	}
	return input(rec), nil
}

// metaRoleName is a Meta role as a role's name: "ADMIN" → "Admin",
// "FINANCE_EDITOR" → "Finance editor".
func metaRoleName(role string) string {
	s := strings.ToLower(strings.ReplaceAll(role, "_", " "))
	if s == "" {
		return "Member"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// metaSyncedKind says whether an account of kind may be one a sync reads:
// an ad account or a Page (kinds are free text, so any case), or one whose
// kind nobody wrote down.
func metaSyncedKind(kind string) bool {
	return kind == "" || strings.EqualFold(kind, "Ad account") || strings.EqualFold(kind, "Page")
}

// metaTaskRoles names an assignment's role by its strongest task, as
// Business Settings does: on Meta each role is a set of tasks (an ad
// account's Advertiser is ADVERTISE, ANALYZE and DRAFT; a Page's Editor is
// CREATE_CONTENT, MODERATE, ADVERTISE and ANALYZE), so the strongest task
// names it.
var metaTaskRoles = []struct{ task, role string }{
	{"MANAGE", "Admin"}, {"CREATE_CONTENT", "Editor"}, {"MODERATE", "Moderator"}, {"ADVERTISE", "Advertiser"}, {"ANALYZE", "Analyst"},
}

// metaTasksName names an assignment's role after its tasks; tasks outside
// Meta's roles (DRAFT alone) are named themselves.
func metaTasksName(tasks []string) string {
	for _, r := range metaTaskRoles {
		if slices.Contains(tasks, r.task) {
			return r.role
		}
	}
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = metaRoleName(t)
	}
	if len(names) == 0 {
		return "Assigned"
	}
	return strings.Join(names, ", ")
}

func yesNo01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
