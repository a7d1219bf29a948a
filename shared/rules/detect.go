package rules

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/trail"
)

// Counter counts distinct events per key, for threshold rules. Add records eventID under key
// and reports whether at least limit distinct event IDs are now recorded there. It must be
// idempotent per event ID: a redelivered event, or one seen by both the real-time and the
// log-file path, counts once. expires says when the key may be forgotten.
type Counter interface {
	Add(ctx context.Context, key, eventID string, limit int, expires time.Time) (reached bool, err error)
}

// counterRetention keeps a window's count this long after the window ends, so the log-file
// path (delivered minutes to hours later) still adds to the same count.
const counterRetention = 24 * time.Hour

// Detector turns records into alerts: every enabled rule, then the threshold of the rules that
// have one. The rules function and the aggregator each hold one.
type Detector struct {
	Engine *Engine
	// Counts holds threshold counts; required when a rule has a threshold.
	Counts Counter
}

// NewDetector checks that threshold rules have somewhere to count.
func NewDetector(e *Engine, counts Counter) (*Detector, error) {
	if counts == nil {
		for _, r := range e.Rules() {
			if r.HasThreshold() {
				return nil, fmt.Errorf("rule %s (%s) has a threshold but no counter is configured", r.ID, r.File)
			}
		}
	}
	return &Detector{Engine: e, Counts: counts}, nil
}

// Detect returns the alerts rec raises, in rule order. rec must have an eventID and an
// eventTime (the dedupe key and the threshold window need them); a record without is an
// error wrapping trail.ErrMalformed. Rules that could not be evaluated, and threshold counts
// that could not be recorded, are reported in the error (joined); the alerts of the others
// are returned all the same, so the caller publishes them and then fails, to be retried.
func (d *Detector) Detect(ctx context.Context, rec *trail.Record) ([]alert.Alert, error) {
	if err := rec.Require("", "eventID", "eventTime"); err != nil {
		return nil, err
	}
	matches, evalErr := d.Engine.Evaluate(rec)
	errs := []error{evalErr}
	var out []alert.Alert
	for _, m := range matches {
		a := m.Alert(rec)
		if m.Rule.HasThreshold() {
			reached, err := d.count(ctx, m.Rule, &a)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s on event %s: threshold count: %w", m.Rule.ID, rec.EventID, err))
				continue
			}
			if !reached {
				continue
			}
			a.Details = append(a.Details, alert.Detail{Label: "Threshold",
				Value: fmt.Sprintf("%d or more in the %s window from %s", m.Rule.Threshold, m.Rule.Window, windowStart(a.EventTime, m.Rule.window).Format(time.RFC3339))})
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

// DetectJSON is Detect for a record as a log file holds it (the aggregator frames records
// without decoding them). A record that does not decode is an error wrapping
// trail.ErrMalformed; raw may be reused once DetectJSON returns.
func (d *Detector) DetectJSON(ctx context.Context, raw []byte) ([]alert.Alert, error) {
	rec, err := trail.DecodeRecord(raw)
	if err != nil {
		return nil, err
	}
	return d.Detect(ctx, rec)
}

// count adds the alert's event to its finding's count in the window of its event time.
func (d *Detector) count(ctx context.Context, r *Rule, a *alert.Alert) (bool, error) {
	if d.Counts == nil {
		return false, errors.New("no counter configured")
	}
	start := windowStart(a.EventTime, r.window)
	key := ThresholdKey(r.ID, a.Fingerprint(), start)
	return d.Counts.Add(ctx, key, a.EventID, r.Threshold, start.Add(r.window+counterRetention))
}

func windowStart(t time.Time, w time.Duration) time.Time { return t.UTC().Truncate(w) }

// ThresholdKey is the counter key of one finding in one window: "rt#<rule>#<window start,
// Unix seconds>#<alert fingerprint>". The "rt#" prefix keeps it apart from the alert layer's
// items when both share the alert state table.
func ThresholdKey(ruleID, fingerprint string, windowStart time.Time) string {
	return "rt#" + ruleID + "#" + strconv.FormatInt(windowStart.Unix(), 10) + "#" + fingerprint
}
