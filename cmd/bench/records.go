package main

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	_ "github.com/mattn/go-sqlite3" // the seeded database, read beside the server

	"steward/db"
)

// records finds the records pages show, reading the seeded database
// read-only (beside the running server, which keeps it in WAL mode).
type records struct {
	db     *sql.DB
	ranked map[string][]int64 // by table: the busiest IDs first
}

func openRecords(path string) (*records, error) {
	d, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	return &records{db: d, ranked: map[string][]int64{}}, nil
}

func (r *records) Close() error { return r.db.Close() }

// tables are the database's tables.
func (r *records) tables(ctx context.Context) ([]string, error) {
	var out []string
	err := eachRow(ctx, r.db, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		out = append(out, name)
		return err
	}, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	return out, err
}

// busiest returns the IDs of table's rows with the most related rows:
// rows of other tables whose foreign keys point at them (found from the
// schema, so a new table that points at a kind counts too), then the most
// timeline events. Each count groups one indexed column, so it takes
// moments at full scale. The answer is kept: ask for a table only once its
// rows exist (checklists are started by the benchmark).
func (r *records) busiest(ctx context.Context, table string) ([]int64, error) {
	if ids, ok := r.ranked[table]; ok {
		return ids, nil
	}
	var refs [][2]string // table, column
	err := eachRow(ctx, r.db, func(rows *sql.Rows) error {
		var f [2]string
		err := rows.Scan(&f[0], &f[1])
		refs = append(refs, f)
		return err
	}, `SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = ? ORDER BY 1, 2`, table)
	if err != nil {
		return nil, fmt.Errorf("foreign keys to %s: %w", table, err)
	}
	related, links := map[int64]int64{}, map[int64]int64{}
	for _, f := range refs {
		q := fmt.Sprintf(`SELECT "%s", COUNT(*) FROM "%s" WHERE "%[1]s" IS NOT NULL GROUP BY 1`, f[1], f[0])
		if err := countsBy(ctx, r.db, related, q); err != nil {
			return nil, fmt.Errorf("count %s.%s: %w", f[0], f[1], err)
		}
	}
	if k, ok := db.KindOfTable(table); ok {
		q := "SELECT record_id, COUNT(*) FROM audit_links WHERE record_kind = ? GROUP BY 1"
		if err := countsBy(ctx, r.db, links, q, k.Name); err != nil {
			return nil, fmt.Errorf("count %s timelines: %w", table, err)
		}
	}
	var ids []int64
	err = eachRow(ctx, r.db, func(rows *sql.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, fmt.Sprintf(`SELECT id FROM "%s"`, table))
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no rows in %s", table)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		return cmp.Or(cmp.Compare(related[b], related[a]), cmp.Compare(links[b], links[a]), cmp.Compare(a, b))
	})
	ids = ids[:min(len(ids), 3)]
	r.ranked[table] = ids
	return ids, nil
}

// lastID is the highest ID of table: its rows are 1..lastID after seeding.
func (r *records) lastID(ctx context.Context, table string) (int64, error) {
	var n sql.NullInt64
	err := r.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT MAX(id) FROM "%s"`, table)).Scan(&n)
	if err == nil && !n.Valid {
		err = fmt.Errorf("no rows in %s", table)
	}
	return n.Int64, err
}

// activeID is the first active row of table, for the token form.
func (r *records) activeID(ctx context.Context, table string) (int64, error) {
	var id int64
	err := r.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT id FROM "%s" WHERE status = 'active' ORDER BY id LIMIT 1`, table)).Scan(&id)
	return id, err
}

// auditValues picks the audit log's filters: the month after the middle
// event, the most frequent actor, record kind and action (each counted on
// its own index), and events near the oldest end to page before.
func (r *records) auditValues(ctx context.Context) (auditValues, error) {
	var a auditValues
	var first, last int64
	if err := r.db.QueryRowContext(ctx, "SELECT MIN(id), MAX(id) FROM audit_events").Scan(&first, &last); err != nil {
		return a, fmt.Errorf("audit events: %w", err)
	}
	var at string
	if err := r.db.QueryRowContext(ctx, "SELECT at FROM audit_events WHERE id >= ? ORDER BY id LIMIT 1", (first+last)/2).Scan(&at); err != nil {
		return a, err
	}
	from, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return a, err
	}
	a.newest = last
	a.from, a.to = from.Format(time.DateOnly), from.AddDate(0, 0, 30).Format(time.DateOnly)
	for _, f := range []struct {
		column string
		to     *string
	}{{"actor", &a.actor}, {"record_kind", &a.kind}, {"action", &a.action}} {
		q := fmt.Sprintf("SELECT %s FROM audit_events WHERE %[1]s <> '' GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1", f.column)
		if err := r.db.QueryRowContext(ctx, q).Scan(f.to); err != nil {
			return a, fmt.Errorf("most frequent %s: %w", f.column, err)
		}
	}
	// Two pages of 50 from the oldest end: keyset paging seeks, so this
	// is as far as a user paging back gets.
	a.before = first + 100
	var rangeFirst int64
	if err := r.db.QueryRowContext(ctx, "SELECT id FROM audit_events WHERE at >= ? ORDER BY at LIMIT 1", a.from).Scan(&rangeFirst); err != nil {
		return a, err
	}
	a.rangedBefore = rangeFirst + 100
	return a, nil
}

// eachRow runs query and calls scan on each row.
func eachRow(ctx context.Context, d *sql.DB, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := d.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// countsBy adds each row's (ID, count) to into.
func countsBy(ctx context.Context, d *sql.DB, into map[int64]int64, query string, args ...any) error {
	return eachRow(ctx, d, func(rows *sql.Rows) error {
		var id, n int64
		err := rows.Scan(&id, &n)
		into[id] += n
		return err
	}, query, args...)
}
