package db

import (
	"context"
	"database/sql"
	"fmt"
)

// Snapshot reads the database as it stood at one moment: every list read
// through it comes from the same read transaction, so an export of several
// lists agrees with itself even while others keep writing.
type Snapshot struct {
	s  *Store
	tx *sql.Tx
}

// ReadSnapshot runs fn with a Snapshot of the database. The snapshot ends
// when fn returns; fn must not keep it.
func (s *Store) ReadSnapshot(ctx context.Context, fn func(Snapshot) error) error {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin snapshot: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to undo
	return fn(Snapshot{s: s, tx: tx})
}

// each runs lq's list query for every row matching where, in p's order
// (paging ignored), and calls fn with each row as it is read: one query, one
// row in memory at a time, however long the list.
func each[T any](ctx context.Context, r Snapshot, lq listQuery, scan func(scanner) (T, error), p ListParams, where string, args []any, fn func(T) error) error {
	query, args := r.s.eachQuery(lq, p, where, args)
	rows, err := r.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("db: export %s: %w", lq.what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("db: scan %s: %w", lq.what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: export %s: %w", lq.what, err)
	}
	return nil
}

// eachQuery is each's query: lq's rows matching where, p's finding and
// p's ID paging, in p's order or, when paging by ID, in ID order.
func (s *Store) eachQuery(lq listQuery, p ListParams, where string, args []any) (string, []any) {
	where, args = s.narrowToFinding(lq.kind, p, where, args)
	order := p.orderBy(lq.sorts, lq.idCol)
	if p.ID != 0 {
		where, args = where+" AND "+lq.idCol+" = ?", append(args, p.ID)
	}
	if p.AfterID != 0 || p.Limit > 0 {
		where, args, order = where+" AND "+lq.idCol+" > ?", append(args, p.AfterID), " ORDER BY "+lq.idCol
	}
	if p.Limit > 0 {
		order, args = order+" LIMIT ?", append(args, p.Limit)
	}
	return "SELECT " + lq.columns + lq.from + where + order, args
}

// EachOwner calls fn for every owner matching p's search and status, in p's
// sort order, streaming rather than paging.
func (r Snapshot) EachOwner(ctx context.Context, p ListParams, fn func(Owner) error) error {
	where, args := ownerWhere(p)
	return each(ctx, r, ownerList, scanOwner, p, where, args, fn)
}

// EachAccount calls fn for every account matching p and f, in p's sort order.
func (r Snapshot) EachAccount(ctx context.Context, p ListParams, f AccountFilter, fn func(Account) error) error {
	where, args := accountWhere(p, f)
	return each(ctx, r, accountList, scanAccount, p, where, args, fn)
}

// EachRole calls fn for every role matching p and f, in p's sort order.
func (r Snapshot) EachRole(ctx context.Context, p ListParams, f RoleFilter, fn func(Role) error) error {
	where, args := roleWhere(p, f)
	return each(ctx, r, roleList, scanRole, p, where, args, fn)
}

// EachSystemUser calls fn for every system user matching p and f, in p's sort order.
func (r Snapshot) EachSystemUser(ctx context.Context, p ListParams, f SystemUserFilter, fn func(SystemUser) error) error {
	where, args := systemUserWhere(p, f)
	return each(ctx, r, systemUserList, scanSystemUser, p, where, args, fn)
}

// EachIntegration calls fn for every integration matching p and f, in p's sort order.
func (r Snapshot) EachIntegration(ctx context.Context, p ListParams, f IntegrationFilter, fn func(Integration) error) error {
	where, args := integrationWhere(p, f)
	return each(ctx, r, integrationList, scanIntegration, p, where, args, fn)
}

// EachToken calls fn for every token matching p and f, in p's sort order.
// Like ListTokens, the status filter uses the effective status.
func (r Snapshot) EachToken(ctx context.Context, p ListParams, f TokenFilter, fn func(Token) error) error {
	where, args := r.s.tokenWhere(p, f)
	return each(ctx, r, tokenList, scanToken, p, where, args, fn)
}

// Users lists every dashboard login (never a password hash).
func (r Snapshot) Users(ctx context.Context) ([]User, error) {
	return all(ctx, r.tx, scanUser, "users", "SELECT "+userColumns+userFrom+" ORDER BY u.id")
}

// StandingItems lists every kind's standing checklist items.
func (r Snapshot) StandingItems(ctx context.Context) ([]StandingItem, error) {
	return all(ctx, r.tx, func(row scanner) (StandingItem, error) {
		var it StandingItem
		return it, row.Scan(&it.ID, &it.Kind, &it.Text)
	}, "standing items", "SELECT id, kind, text FROM standing_items ORDER BY kind, position, id")
}
