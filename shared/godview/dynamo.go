package godview

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
)

// ErrNeedTag is the answer of a change log that cannot list changes without a tag (the
// DynamoDB change table is indexed by tag and by principal, not by time alone): the panel
// asks for a tag=key=value filter.
var ErrNeedTag = errors.New("the change log is read by tag: set tag=key=value")

// Counters is what the Tables source asks the counters table (counters.Table): every
// account's summaries of one hour (one Query), and, for Activity, the counters of one account
// in one hour (one Query).
type Counters interface {
	HourSummaries(ctx context.Context, hour string, detail bool) ([]counters.Summary, error)
	AccountHour(ctx context.Context, account, hour string) ([]counters.Row, error)
}

// Tables is the Source of the deployed god view: the counters, alert history and change
// tables. Build reads the counters' hour summaries (SummarySource): one Query per hour of
// Window(range), whatever the number of accounts, Concurrency at a time, with the ranked
// lists only for the hours shown (the read cost is measured in the counters package's
// BenchmarkReadUnitsDashboard).
type Tables struct {
	Counters Counters
	// Accounts are the AWS accounts shown (ACCOUNTS); empty: every account counted. The
	// accounts of other clouds (cloudpoll's sources, Summary.Cloud set) are always shown.
	Accounts    []string
	History     alert.History // nil: no alerts listed
	ChangeLog   *changelog.DynamoStore
	Concurrency int // Queries in flight; 0 means 16
}

func (t *Tables) group(ctx context.Context) (*errgroup.Group, context.Context) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(t.Concurrency, 16))
	return g, ctx
}

// Summaries implements SummarySource: one Query per hour in [from, to). Hours before the first
// one that has summaries (hours merged before the merge wrote them: the week after the
// upgrade) are summarized from their counters, one Query per account in Accounts and hour.
func (t *Tables) Summaries(ctx context.Context, from, to time.Time, detail bool) ([]counters.Summary, error) {
	var hours []string
	for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		hours = append(hours, h.Format(counters.HourLayout))
	}
	got := make([][]counters.Summary, len(hours))
	g, gctx := t.group(ctx)
	for i, hour := range hours {
		g.Go(func() error {
			sums, err := t.Counters.HourSummaries(gctx, hour, detail)
			if err != nil {
				return fmt.Errorf("summaries of hour %s: %w", hour, err)
			}
			got[i] = sums
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	first := len(hours)
	for i, sums := range got {
		if len(sums) > 0 {
			first = i
			break
		}
	}
	if len(t.Accounts) > 0 {
		g, gctx = t.group(ctx)
		for i := range first {
			g.Go(func() error {
				sums, err := t.summarizeCounters(gctx, hours[i], detail)
				got[i] = sums
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	var out []counters.Summary
	for _, sums := range got {
		for _, s := range sums {
			if len(t.Accounts) == 0 || s.Cloud != "" || slices.Contains(t.Accounts, s.Account) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// summarizeCounters summarizes the counters of every account in hour.
func (t *Tables) summarizeCounters(ctx context.Context, hour string, detail bool) ([]counters.Summary, error) {
	var rows []counters.Row
	for _, a := range t.Accounts {
		r, err := t.Counters.AccountHour(ctx, a, hour)
		if err != nil {
			return nil, fmt.Errorf("account %s hour %s: %w", a, hour, err)
		}
		rows = append(rows, r...)
	}
	return counters.Summarize(rows, detail), nil
}

// Activity implements Source: one Query per account in Accounts and hour (the counters
// themselves; Build reads the summaries instead).
func (t *Tables) Activity(ctx context.Context, from, to time.Time) ([]counters.Row, error) {
	g, ctx := t.group(ctx)
	var mu sync.Mutex
	var out []counters.Row
	for _, a := range t.Accounts {
		for h := from.UTC().Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
			hour := h.Format(counters.HourLayout)
			g.Go(func() error {
				rows, err := t.Counters.AccountHour(ctx, a, hour)
				if err != nil {
					return fmt.Errorf("account %s hour %s: %w", a, hour, err)
				}
				mu.Lock()
				out = append(out, rows...)
				mu.Unlock()
				return nil
			})
		}
	}
	return out, g.Wait()
}

// Alerts implements Source.
func (t *Tables) Alerts(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error) {
	if t.History == nil {
		return nil, nil
	}
	return t.History.Recent(ctx, from, to, limit)
}

// Changes implements Source: one Query of the ByTag index; without a tag, ErrNeedTag.
func (t *Tables) Changes(ctx context.Context, f ChangeFilter) ([]changelog.Change, error) {
	if t.ChangeLog == nil {
		return nil, nil
	}
	if f.TagKey == "" {
		return nil, ErrNeedTag
	}
	out, err := t.ChangeLog.ByTag(ctx, f.TagKey, f.TagValue, f.From, f.To.Add(-time.Second))
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, err
}
