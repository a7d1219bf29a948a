//go:build lambda

package localrun

import "github.com/trailguard/trailguard/shared/alert"

// UseState does nothing in Lambda builds: -state is a local run's (state_local.go), and the
// bootstraps link no local state (a function's Lambda bootstrap stays small).
func (a *App) UseState(*alert.Sender, alert.Config) {}
