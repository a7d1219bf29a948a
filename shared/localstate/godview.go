package localstate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
	"github.com/trailguard/trailguard/shared/godview"
)

// GodView is the god view's Source over a state directory: the counters aggregate wrote, the
// changes tagenrich wrote and the alerts every function's sender recorded, read per request
// (a page served while functions replay into the same state shows their latest writes).
type GodView struct {
	Counters  *Counters
	ChangeLog *Changes
	History   alert.History // nil: no alerts listed
}

var _ godview.Source = (*GodView)(nil)

// NewGodView opens the stores of db the god view reads (creating empty tables in a new state,
// so a page of an empty state is empty, not an error). history is the alert history in db
// (nil: no alerts listed).
func NewGodView(ctx context.Context, db *DB, history alert.History) (*GodView, error) {
	c, err := NewCounters(ctx, db)
	if err != nil {
		return nil, err
	}
	ch, err := NewChanges(ctx, db)
	if err != nil {
		return nil, err
	}
	return &GodView{Counters: c, ChangeLog: ch, History: history}, nil
}

// Activity implements godview.Source.
func (g *GodView) Activity(ctx context.Context, from, to time.Time) ([]counters.Row, error) {
	return g.Counters.Rows(ctx, from, to)
}

// Alerts implements godview.Source. Over the state's own history (History) an alert is in
// [from, to) when the event it is about is, or when it was sent then: a replayed trail's
// alerts are sent today about events of long ago, and the page of those hours lists them.
// Newest event first.
func (g *GodView) Alerts(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error) {
	h, ok := g.History.(*History)
	if !ok {
		if g.History == nil {
			return nil, nil
		}
		return g.History.Recent(ctx, from, to, limit)
	}
	lo, hi := historyTime(from), historyTime(to)
	return h.read(ctx, `event_time >= ? AND event_time < ? OR sent_at >= ? AND sent_at < ?`,
		`event_time DESC, key`, limit, lo, hi, lo, hi)
}

// Changes implements godview.Source: [f.From, f.To), as the other sources read it.
func (g *GodView) Changes(ctx context.Context, f godview.ChangeFilter) ([]changelog.Change, error) {
	last := f.To.Add(-time.Second) // the store's ranges are inclusive, to the second
	if f.TagKey == "" {
		return g.ChangeLog.Between(ctx, f.From, last, f.Limit)
	}
	out, err := g.ChangeLog.ByTag(ctx, f.TagKey, f.TagValue, f.From, last)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, err
}

// LatestHour is the latest hour of the data in the state ("2006-01-02T15"), or "" for an
// empty state: a local page's default range ends there, not at the clock's hour (replayed
// trails are old). The counters decide (they are what most panels draw); a state without
// counters goes by its changes' times.
func (g *GodView) LatestHour(ctx context.Context) (string, error) {
	latest, err := g.Counters.LatestHour(ctx)
	if err != nil || latest != "" {
		return latest, err
	}
	t, err := g.ChangeLog.LatestTime(ctx)
	if err != nil {
		return "", err
	}
	if at, err := time.Parse(changelog.TimeLayout, t); err == nil {
		latest = at.UTC().Format(counters.HourLayout)
	}
	return latest, nil
}

// OpenGodView opens the state in dir for the god view: its counters, changes and alert
// history. close closes the database.
func OpenGodView(ctx context.Context, dir string) (g *GodView, close func() error, err error) {
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		return nil, nil, fmt.Errorf("no state in %s (%w): replay events with -state %s first", dir, err, dir)
	}
	db, err := Open(dir)
	if err != nil {
		return nil, nil, err
	}
	history, err := db.History()
	if err == nil {
		g, err = NewGodView(ctx, db, history)
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("state %s: %w", dir, err)
	}
	return g, db.Close, nil
}
