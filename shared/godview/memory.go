package godview

import (
	"context"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
)

// Memory is a Source over data in memory: the counters as rows, the alert history and the
// change log of a local run (or a fixture).
type Memory struct {
	Rows      []counters.Row
	History   alert.History          // nil: no alerts
	ChangeLog *changelog.MemoryStore // nil: no changes
}

// Activity implements Source.
func (m *Memory) Activity(_ context.Context, from, to time.Time) ([]counters.Row, error) {
	lo, hi := from.UTC().Format(counters.HourLayout), to.UTC().Format(counters.HourLayout)
	n := 0
	for i := range m.Rows {
		if h := m.Rows[i].Hour; h >= lo && h < hi {
			n++
		}
	}
	out := make([]counters.Row, 0, n)
	for i := range m.Rows {
		if h := m.Rows[i].Hour; h >= lo && h < hi {
			out = append(out, m.Rows[i])
		}
	}
	return out, nil
}

// Alerts implements Source.
func (m *Memory) Alerts(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error) {
	if m.History == nil {
		return nil, nil
	}
	return m.History.Recent(ctx, from, to, limit)
}

// Changes implements Source.
func (m *Memory) Changes(ctx context.Context, f ChangeFilter) ([]changelog.Change, error) {
	if m.ChangeLog == nil {
		return nil, nil
	}
	var out []changelog.Change
	var err error
	last := f.To.Add(-time.Second) // the stores' ranges are inclusive, to the second
	if f.TagKey != "" {
		out, err = m.ChangeLog.ByTag(ctx, f.TagKey, f.TagValue, f.From, last)
	} else {
		for _, c := range m.ChangeLog.All() {
			if at := c.At(); !at.Before(f.From) && at.Before(f.To) {
				out = append(out, c)
			}
		}
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, err
}
