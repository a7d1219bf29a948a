package godview

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/trailguard/trailguard/shared/counters"
)

// failingHours fails its first n HourSummaries calls.
type failingHours struct {
	*countingHours
	n int
}

func (f *failingHours) HourSummaries(ctx context.Context, hour string, detail bool) ([]counters.Summary, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("injected: throttled")
	}
	return f.countingHours.HourSummaries(ctx, hour, detail)
}

// TestCacheOneReadPerRefresh: the nine widgets of a refresh, built at once with their own tags,
// read the hour summaries once (one Query per hour of the window) and build what one Build
// builds; a minute later the next refresh reads again; a failed read is not kept.
func TestCacheOneReadPerRefresh(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 14, 5, 0, 0, time.UTC)
	hours := &countingHours{rows: fixtureRows()}
	mem := fixture()
	cache := &Cache{Source: &Tables{Counters: hours, History: mem.History}, Now: func() time.Time { return now }}
	w := Window(fixtureRange)
	perBuild := int(w.To.Sub(w.From) / time.Hour)
	want, err := Build(ctx, &Tables{Counters: &countingHours{rows: fixtureRows()}, History: mem.History}, fixtureRange, Options{SilentHours: 2})
	if err != nil {
		t.Fatal(err)
	}
	refresh := func() {
		var wg sync.WaitGroup
		for i, p := range Panels {
			wg.Go(func() {
				opts := Options{SilentHours: 2}
				if p == PanelChanges {
					opts.Tag = "project=apollo"
				}
				m, err := Build(ctx, cache, fixtureRange, opts)
				if err != nil {
					t.Errorf("widget %d: %v", i, err)
					return
				}
				if m.KPIs[0] != want.KPIs[0] || len(m.Alerts) != len(want.Alerts) || len(m.Principals) != len(want.Principals) {
					t.Errorf("widget %d: model differs from a Build without the cache", i)
				}
			})
		}
		wg.Wait()
	}
	refresh()
	if hours.summaryQueries != perBuild {
		t.Errorf("a refresh of %d widgets made %d Queries, want %d (one Build's)", len(Panels), hours.summaryQueries, perBuild)
	}
	now = now.Add(DefaultCacheTTL)
	refresh()
	if hours.summaryQueries != 2*perBuild {
		t.Errorf("after the TTL: %d Queries, want %d", hours.summaryQueries, 2*perBuild)
	}

	failing := &Cache{Source: &Tables{Counters: &failingHours{countingHours: &countingHours{rows: fixtureRows()}, n: 1}}}
	if _, err := Build(ctx, failing, fixtureRange, Options{}); err == nil {
		t.Fatal("a failed read built a model")
	}
	if _, err := Build(ctx, failing, fixtureRange, Options{}); err != nil {
		t.Errorf("the failure was kept: %v", err)
	}
}
