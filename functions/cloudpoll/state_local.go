//go:build !lambda

package main

import (
	"context"
	"time"

	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/localstate"
	"github.com/trailguard/trailguard/shared/rules"
)

// useLocalState keeps a local run's state in the -state directory's database
// (shared/localstate), like the other functions: the sources' cursors and seen events, the god
// view's counters, the change log and its last known tags, and the rules' threshold counts. A
// store with its DynamoDB table configured keeps the table. It returns the threshold counter
// to use (counts, or the database's). Lambda builds (tag lambda) link none of it:
// state_lambda.go.
func useLocalState(ctx context.Context, app *localrun.App, cfg Config, h *Handler, changes *changeLog, counts rules.Counter) rules.Counter {
	if app.StateDir() == "" {
		return counts
	}
	db, err := localstate.Open(app.StateDir())
	app.FailState(err)
	app.AtExit(db.Close)
	if cfg.PollTable == "" {
		st, err := localstate.NewCloudState(ctx, db, time.Now)
		app.FailState(err)
		h.State = st
	}
	if cfg.CountersTable == "" {
		c, err := localstate.NewCounters(ctx, db)
		app.FailState(err)
		h.Counts = c
	}
	if cfg.ChangeTable == "" {
		c, err := localstate.NewChanges(ctx, db)
		app.FailState(err)
		changes.Store = c
	}
	if cfg.KnownTagsTable == "" {
		k, err := localstate.NewKnown(ctx, db)
		app.FailState(err)
		changes.Known = k
	}
	if cfg.Config.StateTable == "" {
		rc, err := db.RuleCounter()
		app.FailState(err)
		counts = rc
	}
	return counts
}
