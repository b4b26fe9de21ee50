package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// fillAuditChain appends n chained events straight into audit_events in one
// transaction, as fast as SQLite takes them, continuing any existing chain.
func fillAuditChain(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		prevID, prevHash := int64(0), genesisHash
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0), COALESCE((SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1), ?) FROM audit_events",
			genesisHash).Scan(&prevID, &prevHash); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_events
			(id, at, user_id, actor, ip, action, record_kind, record_id, summary, changes, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		h := newChainHasher(s.auditKey)
		firstID, firstHash := prevID, prevHash
		for i := 1; i <= n; i++ {
			changes, _ := json.Marshal([]Change{{Field: "name", Before: "", After: fmt.Sprintf("Owner %d", i)},
				{Field: "email", After: fmt.Sprintf("owner%d@example.com", i)}})
			e := AuditEvent{ID: prevID + 1, At: start.Add(time.Duration(i) * time.Second), UserID: 1, Actor: "admin@example.com",
				IP: "192.0.2.1", Action: "owner.created", RecordKind: "owner", RecordID: int64(i), Summary: fmt.Sprintf("Created owner Owner %d", i),
				PrevHash: prevHash}
			e.Hash = h.eventHash(e, string(changes))
			if _, err := stmt.ExecContext(ctx, e.ID, formatTime(e.At), e.UserID, e.Actor, e.IP, e.Action, e.RecordKind, e.RecordID,
				e.Summary, string(changes), e.PrevHash, e.Hash); err != nil {
				return err
			}
			prevID, prevHash = e.ID, e.Hash
		}
		return s.moveSealHead(ctx, tx, firstID, firstHash, prevID, prevHash)
	})
	if err != nil {
		tb.Fatalf("fill audit chain: %v", err)
	}
}

// BenchmarkVerifyAudit1M times `steward audit verify` over a chain of a
// million events. It is a benchmark, so the default test run skips it:
//
//	go test ./db -run '^$' -bench VerifyAudit1M -benchtime 3x
func BenchmarkVerifyAudit1M(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "big.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 1_000_000
	start := time.Now()
	fillAuditChain(b, s, n)
	b.Logf("inserted %d events in %s", n, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		res, err := s.VerifyAudit(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Checked != n || res.BrokenID != 0 {
			b.Fatalf("VerifyAudit = %+v, want %d intact", res, n)
		}
	}
}
