package localrun

import (
	"fmt"
)

// stateUsage is the -state flag's help, the same for every function.
const stateUsage = "keep this run's state (counters, change log, last known tags, alert ledger and history, rule counters) " +
	"in an SQLite database under `DIR` (DIR/trailguard.db) instead of in memory, so it outlives the run: functions replayed with one DIR " +
	"share it, godview -state DIR draws it, and sqlite3 opens it (docs/local-state.md). A store with a DynamoDB table configured uses the table"

// StateDir is -state: the directory of the local state database (shared/localstate), or ""
// when the stores stay in memory. It is always "" under Lambda, which never keeps state on
// local disk.
func (a *App) StateDir() string {
	if a.stateDir == nil || a.human == nil {
		return ""
	}
	return *a.stateDir
}

// AtExit registers close to run before a local run exits (closing a -state database, so its
// last writes are checkpointed into the file people open).
func (a *App) AtExit(close func() error) { a.atExit = append(a.atExit, close) }

// FailState stops the run (ExitConfig) when the -state database or one of its stores could
// not be opened (err != nil).
func (a *App) FailState(err error) {
	if err != nil {
		a.Fail(fmt.Sprintf("%s: -state %s: %v", a.Name, a.StateDir(), err))
	}
}

// closeState runs the AtExit functions before the run exits with code (which it returns); a
// failure turns success into ExitMalformed.
func (a *App) closeState(code int) int {
	fns := a.atExit
	a.atExit = nil
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil {
			fmt.Fprintf(a.stderr, "%s: -state: %v\n", a.Name, err)
			if code == ExitOK {
				code = ExitMalformed
			}
		}
	}
	return code
}
