package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"steward/db"
)

// Commits do not copy the write-ahead log back into the database file
// themselves; the checkpointer does, shortly after. Seen from the file alone
// (a copy without its log), every committed change is there after a moment.
func TestChangesReachTheDatabaseFileWithoutACommitWaiting(t *testing.T) {
	s, path := openStoreAt(t, filepath.Join(t.TempDir(), "ckpt.db"))
	for i := range 50 {
		mustOwner(t, s, db.OwnerInput{Name: fmt.Sprintf("Person %d", i)})
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := ownersInFileAlone(t, path)
		if n == 50 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the database file alone holds %d of 50 owners 5 s after they were committed", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ownersInFileAlone counts owners in a copy of the database file without
// its write-ahead log; none when the file has no owners table yet.
func ownersInFileAlone(t *testing.T, path string) int {
	t.Helper()
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	copyFile(t, path, copyPath)
	conn, err := sql.Open("sqlite3", "file:"+copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM owners").Scan(&n); err != nil {
		return 0 // not even the tables are there yet
	}
	return n
}
