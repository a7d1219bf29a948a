// Package metrics writes CloudWatch embedded metric format (EMF) lines: one JSON log line per
// invocation that CloudWatch Logs turns into metrics, with no PutMetricData call, no extra
// permission and no added latency.
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every trailguard metric.
const Namespace = "trailguard"

// Counters collects counts during one invocation; Flush writes them as one EMF line.
type Counters struct {
	Function string // dimension value, e.g. "logincheck"
	mu       sync.Mutex
	counts   map[string]float64
}

// Add adds n to the named counter.
func (c *Counters) Add(name string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]float64{}
	}
	c.counts[name] += float64(n)
}

// Get returns a counter's value (for tests and summaries).
func (c *Counters) Get(name string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[name]
}

// Flush writes the counters as one EMF line and resets them. Nothing is written when no
// counter was touched.
func (c *Counters) Flush(w io.Writer, now time.Time) error {
	c.mu.Lock()
	counts := c.counts
	c.counts = nil
	c.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	defs := make([]metric, 0, len(names))
	doc := map[string]any{"Function": c.Function}
	for _, n := range names {
		defs = append(defs, metric{Name: n, Unit: "Count"})
		doc[n] = counts[n]
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  Namespace,
			"Dimensions": [][]string{{"Function"}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// Flushing wraps a handler so the counters are written after every invocation, whatever its
// outcome: one EMF line per invocation.
func (c *Counters) Flushing(w io.Writer, handle func(context.Context, json.RawMessage) error) func(context.Context, json.RawMessage) error {
	return func(ctx context.Context, raw json.RawMessage) error {
		_, err := FlushingWith(c, w, func(ctx context.Context, raw json.RawMessage) (struct{}, error) {
			return struct{}{}, handle(ctx, raw)
		})(ctx, raw)
		return err
	}
}

// FlushingWith is Flushing for a handler that also answers something (an SQS partial batch
// response, say).
func FlushingWith[R any](c *Counters, w io.Writer, handle func(context.Context, json.RawMessage) (R, error)) func(context.Context, json.RawMessage) (R, error) {
	return func(ctx context.Context, raw json.RawMessage) (R, error) {
		resp, err := handle(ctx, raw)
		if ferr := c.Flush(w, time.Now()); ferr != nil && err == nil {
			return resp, ferr
		}
		return resp, err
	}
}
