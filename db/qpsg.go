package db

/*
// The SQLite that github.com/mattn/go-sqlite3 compiles into the binary;
// declared here rather than included, as its header is not on our path.
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_api_routines sqlite3_api_routines;
int sqlite3_db_config(sqlite3*, int op, ...);
int sqlite3_auto_extension(void (*entry)(void));

#define STEWARD_DBCONFIG_ENABLE_QPSG 1007 // SQLITE_DBCONFIG_ENABLE_QPSG

static int steward_enable_qpsg(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
	return sqlite3_db_config(db, STEWARD_DBCONFIG_ENABLE_QPSG, 1, (int*)0);
}

static int steward_register_qpsg(void) {
	return sqlite3_auto_extension((void (*)(void))steward_enable_qpsg);
}
*/
import "C"

import (
	"fmt"
	"sync"
)

// enableQPSG turns on SQLite's query planner stability guarantee for every
// connection opened after it, by registering an automatic extension.
//
// Why: without it, SQLite marks a statement for re-preparing whenever a new
// value is bound to a parameter the planner looked at (a "col = ?" term, a
// LIMIT ?), and the driver clears the bindings of every statement it runs,
// so every query was parsed and planned again on every call; for the
// seven-table joins of the record pages that was most of a page's cost. With
// the guarantee, a plan does not depend on bound values, so the driver's
// statement cache (_stmt_cache_size in the DSN) reuses it. The price: the
// planner cannot use a bound value to prove a partial index applies, so
// queries that need one repeat the index's condition literally (see the
// fingerprint lookups).
var enableQPSG = sync.OnceValue(func() error {
	if rc := C.steward_register_qpsg(); rc != 0 {
		return fmt.Errorf("db: enable the query planner stability guarantee: sqlite error %d", int(rc))
	}
	return nil
})
