// Package godview computes and draws the god view: an administrator's picture of every
// account's activity (who did what from where, hour by hour, and where it departs from the
// usual), the recent alerts and the latest tagged changes. Build reads a Source (the counters,
// the alert history, the change log) and computes every panel's data as a Model, always from
// account-hour summaries (counters.Summary): read as they are from the counters table (a
// SummarySource: one Query per hour), or summarized from counter rows elsewhere, so the
// deployed and the local views are computed alike. The render functions draw a panel as HTML
// with server-side SVG, which is what CloudWatch dashboard custom widgets show (no script, no
// iframe, no <use>, no external request). A Cache lets the widgets of one refresh share a read.
package godview

import (
	"context"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
)

// Source is what the panels read. It is narrow so that a DynamoDB reader, the in-memory
// stores of local runs and test fixtures all serve it.
type Source interface {
	// Activity returns the activity counters of every account for the hours in [from, to)
	// (both on the hour, UTC).
	Activity(ctx context.Context, from, to time.Time) ([]counters.Row, error)
	// Alerts returns the alerts sent in [from, to), newest first, at most limit.
	Alerts(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error)
	// Changes returns the latest changes in [from, to) matching f, newest first.
	Changes(ctx context.Context, f ChangeFilter) ([]changelog.Change, error)
}

// ChangeFilter selects changes: those to resources tagged TagKey=TagValue (no filter when
// TagKey is empty) between From and To, at most Limit.
type ChangeFilter struct {
	TagKey, TagValue string
	From, To         time.Time
	Limit            int
}

// Range is the hours a view covers: [From, To), both on the hour, UTC.
type Range struct {
	From, To time.Time
}

// Hours is the number of hours in r.
func (r Range) Hours() int { return int(r.To.Sub(r.From) / time.Hour) }

// Prev is the period of equal length just before r: the KPIs' comparison.
func (r Range) Prev() Range { return Range{r.From.Add(-r.To.Sub(r.From)), r.From} }

// HourRange is the range of whole hours covering [from, to): from rounded down, to rounded up
// to the hour, at least one hour long.
func HourRange(from, to time.Time) Range {
	f := from.UTC().Truncate(time.Hour)
	t := to.UTC().Truncate(time.Hour)
	if t.Before(to.UTC()) {
		t = t.Add(time.Hour)
	}
	if !t.After(f) {
		t = f.Add(time.Hour)
	}
	return Range{f, t}
}
