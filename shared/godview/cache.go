package godview

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trailguard/trailguard/shared/alert"
	"github.com/trailguard/trailguard/shared/changelog"
	"github.com/trailguard/trailguard/shared/counters"
)

// DefaultCacheTTL is how long a Cache keeps what it read: a dashboard's widgets are invoked
// within a few seconds of each other, and a refresh every minute reads again.
const DefaultCacheTTL = time.Minute

// Cache is a Source that keeps what it reads from another for TTL, so the widgets of one
// dashboard refresh share one read: CloudWatch invokes the function once per widget (nine
// for the god view), each with the same time range, and each Build asks for the same hour
// summaries and alerts. Concurrent requests for the same data wait for one read. Changes are
// not kept (each widget's tag filter is its own, and they are one Query). It serves the
// summaries of Source when it is a SummarySource, else summarizes its counters.
type Cache struct {
	Source Source
	TTL    time.Duration    // 0 means DefaultCacheTTL
	Now    func() time.Time // nil: time.Now

	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	done   chan struct{} // closed once read
	at     time.Time
	sums   []counters.Summary
	rows   []counters.Row
	alerts []alert.Sent
	err    error
}

var _ SummarySource = (*Cache)(nil)

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// get returns the entry of key, reading it with read unless a fresh one is kept. A failed
// read is not kept.
func (c *Cache) get(ctx context.Context, key string, read func(*cacheEntry)) (*cacheEntry, error) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	now := c.now()
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cacheEntry{}
	}
	e, ok := c.entries[key]
	if ok && now.Sub(e.at) >= ttl {
		select {
		case <-e.done: // stale: read again
			ok = false
		default: // still being read: wait for it
		}
	}
	if !ok {
		for k, old := range c.entries { // keep the cache small: drop what expired
			select {
			case <-old.done:
				if now.Sub(old.at) >= ttl {
					delete(c.entries, k)
				}
			default:
			}
		}
		e = &cacheEntry{done: make(chan struct{}), at: now}
		c.entries[key] = e
		c.mu.Unlock()
		read(e)
		close(e.done)
		if e.err != nil {
			c.mu.Lock()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		return e, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Summaries implements SummarySource.
func (c *Cache) Summaries(ctx context.Context, from, to time.Time, detail bool) ([]counters.Summary, error) {
	key := fmt.Sprintf("s|%d|%d|%t", from.Unix(), to.Unix(), detail)
	e, err := c.get(ctx, key, func(e *cacheEntry) {
		if ss, ok := c.Source.(SummarySource); ok {
			e.sums, e.err = ss.Summaries(ctx, from, to, detail)
			return
		}
		var rows []counters.Row
		if rows, e.err = c.Source.Activity(ctx, from, to); e.err == nil {
			e.sums = counters.Summarize(rows, detail)
		}
	})
	if err != nil {
		return nil, err
	}
	return e.sums, nil
}

// Activity implements Source.
func (c *Cache) Activity(ctx context.Context, from, to time.Time) ([]counters.Row, error) {
	e, err := c.get(ctx, fmt.Sprintf("a|%d|%d", from.Unix(), to.Unix()), func(e *cacheEntry) {
		e.rows, e.err = c.Source.Activity(ctx, from, to)
	})
	if err != nil {
		return nil, err
	}
	return e.rows, nil
}

// Alerts implements Source.
func (c *Cache) Alerts(ctx context.Context, from, to time.Time, limit int) ([]alert.Sent, error) {
	e, err := c.get(ctx, fmt.Sprintf("l|%d|%d|%d", from.Unix(), to.Unix(), limit), func(e *cacheEntry) {
		e.alerts, e.err = c.Source.Alerts(ctx, from, to, limit)
	})
	if err != nil {
		return nil, err
	}
	return e.alerts, nil
}

// Changes implements Source: read every time.
func (c *Cache) Changes(ctx context.Context, f ChangeFilter) ([]changelog.Change, error) {
	return c.Source.Changes(ctx, f)
}
