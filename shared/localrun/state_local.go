//go:build !lambda

package localrun

import (
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/localstate"
)

// UseState gives s the alert ledger and history of the -state database, with the timings of
// c, when -state is given and c names no DynamoDB state table: a finding alerted in one run is
// not alerted again in the next, and godview -state lists what was sent. (Lambda builds, tag
// lambda, have a no-op UseState and do not link the local state: state_lambda.go.)
func (a *App) UseState(s *alert.Sender, c alert.Config) {
	if a.StateDir() == "" || c.StateTable != "" {
		return
	}
	db, err := localstate.Open(a.StateDir())
	a.FailState(err)
	if err != nil {
		return
	}
	a.AtExit(db.Close)
	ledger, err := db.Ledger(alert.LedgerOptions{Window: c.SuppressWindow, DedupeFor: c.DedupeFor, FloodCap: c.FloodCap})
	a.FailState(err)
	history, err := db.History()
	a.FailState(err)
	if ledger != nil && history != nil {
		s.Ledger, s.History = ledger, history
	}
}
