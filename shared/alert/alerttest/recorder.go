// Package alerttest holds test doubles for the alert path, shared by every function's tests.
package alerttest

import (
	"context"
	"sync"

	"github.com/trailguard/trailguard/shared/alert"
)

// Recorder is an alert.Publisher that keeps what it is given, or fails with Err.
type Recorder struct {
	Err    error
	mu     sync.Mutex
	alerts []alert.Alert
}

// Publish implements alert.Publisher.
func (r *Recorder) Publish(_ context.Context, alerts []alert.Alert) error {
	if r.Err != nil {
		return r.Err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, alerts...)
	return nil
}

// Alerts returns the alerts published so far.
func (r *Recorder) Alerts() []alert.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Alert(nil), r.alerts...)
}

// Kinds returns the kinds of the alerts published so far, in order.
func (r *Recorder) Kinds() []string {
	var out []string
	for _, a := range r.Alerts() {
		out = append(out, a.Kind)
	}
	return out
}
