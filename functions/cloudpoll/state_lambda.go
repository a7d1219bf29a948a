//go:build lambda

package main

import (
	"context"

	"github.com/trailguard/trailguard/shared/localrun"
	"github.com/trailguard/trailguard/shared/rules"
)

// useLocalState does nothing in Lambda builds: -state is a local run's (state_local.go).
func useLocalState(_ context.Context, _ *localrun.App, _ Config, _ *Handler, _ *changeLog, counts rules.Counter) rules.Counter {
	return counts
}
