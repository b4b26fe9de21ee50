package db

import (
	"context"
	"strings"
	"os"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuBench(b *testing.B, fn func(i int)) {
	c0 := cpuNow()
	n := 0
	for i := 0; b.Loop(); i++ {
		fn(i)
		n++
	}
	b.ReportMetric(float64((cpuNow()-c0).Microseconds())/float64(n), "cpu-µs/op")
}

func BenchmarkTmp(b *testing.B) {
	path := os.Getenv("TMP_SEEDED")
	if path == "" {
		b.Skip()
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.Run("TokenByID", func(b *testing.B) {
		cpuBench(b, func(i int) {
			if _, err := s.TokenByID(ctx, int64(1+i%1000)); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("Timeline", func(b *testing.B) {
		cpuBench(b, func(i int) { s.Timeline(ctx, Ref{"token", int64(1 + i%1000)}, 0, 20) })
	})
	b.Run("Session", func(b *testing.B) {
		cpuBench(b, func(i int) { s.SessionByID(ctx, "x") })
	})
	b.Run("Simple", func(b *testing.B) {
		cpuBench(b, func(i int) { s.QueryInt(ctx, "SELECT id FROM tokens WHERE id = ?", 1+i%1000) })
	})
	for name, q := range map[string]string{
		"sessNoJoin":   "SELECT count(*) FROM sessions s WHERE s.id_hash = ?",
		"sessJoin":     "SELECT count(*) FROM sessions s LEFT JOIN users u ON u.id = s.user_id LEFT JOIN owners o ON o.id = u.owner_id WHERE s.id_hash = ?",
		"ownerPK":      "SELECT count(*) FROM owners WHERE id = ?",
		"accountPK":    "SELECT count(*) FROM accounts WHERE id = ?",
		"tokenName":    "SELECT name FROM tokens WHERE id = ?",
		"tokenJoin1":   "SELECT t.name, a.name FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id WHERE t.id = ?",
		"tokenJoin2":   "SELECT t.name, a.name, ro.name FROM tokens t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN owners ro ON ro.id = t.responsible_owner_id WHERE t.id = ?",
	} {
		b.Run(name, func(b *testing.B) {
			cpuBench(b, func(i int) { s.QueryString(ctx, q, 1+i%1000) })
		})
	}
	b.Run("ListTokensP1", func(b *testing.B) {
		cpuBench(b, func(i int) { s.ListTokens(ctx, ListParams{Status: "active", Page: 1}, TokenFilter{Expiry: ExpiryNever}) })
	})
	b.Run("ListTokensP500", func(b *testing.B) {
		cpuBench(b, func(i int) { s.ListTokens(ctx, ListParams{Status: "active", Page: 500}, TokenFilter{Expiry: ExpiryNever}) })
	})
	b.Run("OwnerOptions", func(b *testing.B) {
		cpuBench(b, func(i int) { s.OwnerOptions(ctx, "", 500) })
	})
	b.Run("Findings", func(b *testing.B) {
		cpuBench(b, func(i int) { s.Findings(ctx) })
	})
	b.Run("FindingsUncached", func(b *testing.B) {
		cpuBench(b, func(i int) { s.computeFindings(ctx) })
	})
	b.Run("Search", func(b *testing.B) {
		cpuBench(b, func(i int) { s.search(ctx, "hubspot", 8) })
	})
	b.Run("PlanChecklist", func(b *testing.B) {
		cpuBench(b, func(i int) { s.PlanChecklist(ctx, "owner", 1234) })
	})
	b.Run("Select1", func(b *testing.B) {
		cpuBench(b, func(i int) { s.QueryInt(ctx, "SELECT 1") })
	})
}

func TestTmpPlans(t *testing.T) {
	path := os.Getenv("TMP_SEEDED")
	if path == "" {
		t.Skip()
	}
	s, _ := Open(context.Background(), path)
	defer s.Close()
	p := ListParams{Status: "active", Page: 500}
	where, args := s.tokenWhere(p, TokenFilter{Expiry: ExpiryNever})
	order := p.orderBy(tokenList.sorts, "t.id")
	inner := "SELECT t.id" + tokenList.idFrom(where, order) + where + order + " LIMIT 50 OFFSET 24950"
	outer := "SELECT " + tokenColumns + tokenFrom + " WHERE t.id IN (" + inner + ")" + order
	for _, q := range []string{inner, outer} {
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			t.Log(q[:20], "→", d)
		}
		rows.Close()
	}
	for _, fq := range findingQueries {
		for _, q := range []string{fq.count, strings.ReplaceAll(fq.sample, "{limit}", "5")} {
			c0 := cpuNow()
			rows, err := s.read.Query(q, fq.args(s)...)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			t.Log(fq.kind, (cpuNow() - c0).Microseconds(), "µs", q[:30])
		}
	}
	for _, q := range []string{
		"SELECT id FROM tokens WHERE fingerprint = ? AND fingerprint <> '' AND id <> ? ORDER BY id",
		"SELECT id FROM tokens WHERE fingerprint = ? AND id <> ? ORDER BY id",
		"SELECT id FROM owners WHERE email = ? COLLATE NOCASE AND email <> '' AND id <> ?",
		"SELECT id, password_hash, disabled FROM users WHERE email = ? COLLATE NOCASE",
	} {
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+q, "x", 1)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			t.Log(q[:50], "→", d)
		}
		rows.Close()
	}
}
