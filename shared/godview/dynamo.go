package godview

import (
	"context"
	"errors"
	"fmt"
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

// AccountHours is the counters' question the Tables source asks: every counter of one account
// in one hour (counters.Table.AccountHour, one Query).
type AccountHours interface {
	AccountHour(ctx context.Context, account, hour string) ([]counters.Row, error)
}

// Tables is the Source of the deployed god view: the counters, alert history and change
// tables. The counters are kept per account-hour, so a range is read as one Query per
// account and hour of Window(range) (Accounts × hours, Concurrency at a time): the read cost
// grows with the organization and the range (see the report in the package's tests).
type Tables struct {
	Counters    AccountHours
	Accounts    []string      // the accounts to read (ACCOUNTS)
	History     alert.History // nil: no alerts listed
	ChangeLog   *changelog.DynamoStore
	Concurrency int // Queries in flight; 0 means 16
}

// Activity implements Source.
func (t *Tables) Activity(ctx context.Context, from, to time.Time) ([]counters.Row, error) {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(t.Concurrency, 1))
	if t.Concurrency == 0 {
		g.SetLimit(16)
	}
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
