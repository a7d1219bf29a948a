package rules

import (
	"context"
	"sync"
	"time"
)

// MemoryCounter is the Counter of a local run and of tests: process memory, nothing expires.
type MemoryCounter struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

// Add implements Counter.
func (c *MemoryCounter) Add(_ context.Context, key, eventID string, limit int, _ time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]map[string]bool{}
	}
	ids := c.seen[key]
	if ids == nil {
		ids = map[string]bool{}
		c.seen[key] = ids
	}
	if len(ids) < limit {
		ids[eventID] = true
	}
	return len(ids) >= limit, nil
}
