package handlers

import "time"

// SetImportTestHooks makes an import wait at most wait for another, and
// runs importing as each import takes the server's slot; restore undoes it.
// Only tests that do not run in parallel may use it.
func SetImportTestHooks(wait time.Duration, importing func()) (restore func()) {
	oldWait, oldHook := importWait, testHookImporting
	importWait, testHookImporting = wait, importing
	return func() { importWait, testHookImporting = oldWait, oldHook }
}
