package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	pack "github.com/trailguard/trailguard/rules"
	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/rules"
	"github.com/trailguard/trailguard/shared/trail"
)

// detector runs the detection rules on one record as a log file holds it (rules.Detector).
type detector interface {
	DetectJSON(ctx context.Context, raw []byte) ([]alert.Alert, error)
}

// newDetector builds the same rules the rules function runs, so a record seen in real time and
// again in its log file raises the same alert (kind = rule id, same event ID), which the alert
// state then sends once. Threshold counts live in the alert state table (or in memory locally).
func newDetector(cfg Config, stateTable *dynamodb.Client) (*rules.Detector, error) {
	engine, err := cfg.Selection.Build(pack.FS)
	if err != nil {
		return nil, err
	}
	var counts rules.Counter = &rules.MemoryCounter{}
	if stateTable != nil {
		counts = &rules.DynamoCounter{Client: stateTable, Table: cfg.StateTable}
	}
	return rules.NewDetector(engine, counts)
}

// fileDetections collects the rule alerts of one log file. Alerts of one finding (one
// fingerprint) are folded into the first, which says how many more the file held: a noisy file
// (thousands of denied reads by one principal) costs one alert claim, not thousands. A record a
// rule cannot decide is counted and logged, never a reason to stop counting the file.
type fileDetections struct {
	alerts   []alert.Alert
	byPrint  map[string]int // fingerprint → index in alerts
	repeats  []int          // per alert: more of the same finding in this file
	ruleErrs int
	unusable int // records without the event ID or time an alert needs
	logged   int
}

func (f *fileDetections) add(ctx context.Context, log *slog.Logger, d detector, raw []byte) error {
	found, err := d.DetectJSON(ctx, raw)
	for _, a := range found {
		fp := a.Fingerprint()
		if i, ok := f.byPrint[fp]; ok {
			f.repeats[i]++
			continue
		}
		if f.byPrint == nil {
			f.byPrint = map[string]int{}
		}
		f.byPrint[fp] = len(f.alerts)
		f.alerts = append(f.alerts, a)
		f.repeats = append(f.repeats, 0)
	}
	if err == nil {
		return nil
	}
	var evalErr *rules.EvalError
	switch {
	case errors.Is(err, trail.ErrMalformed):
		f.unusable++
		return nil
	case errors.As(err, &evalErr):
		if f.ruleErrs++; f.logged < maxMalformedLogged {
			f.logged++
			log.WarnContext(ctx, "rule could not decide on a record", "decision", "skip", "rule", evalErr.RuleID, "event_id", evalErr.EventID, "error", err.Error())
		}
		return nil
	}
	return fmt.Errorf("detection rules: %w", err)
}

// final returns the collected alerts, each saying how many more of its finding the file held.
func (f *fileDetections) final() []alert.Alert {
	for i, n := range f.repeats {
		if n > 0 {
			f.alerts[i].Details = append(f.alerts[i].Details, alert.Detail{Label: "In this log file", Value: fmt.Sprintf("%d more like this", n)})
		}
	}
	return f.alerts
}
