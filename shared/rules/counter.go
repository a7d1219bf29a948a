package rules

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// MemoryCounter is the Counter of a local run and of tests: process memory, nothing expires.
type MemoryCounter struct {
	mu   sync.Mutex
	seen map[string]map[string]bool
}

// Add implements Counter.
func (c *MemoryCounter) Add(_ context.Context, key, member string, limit int, _ time.Time) (bool, []string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]map[string]bool{}
	}
	set := c.seen[key]
	if set == nil {
		set = map[string]bool{}
		c.seen[key] = set
	}
	if len(set) < limit && !set[member] {
		// Its own copy: a member may be a view of a log file's read buffer (a distinct
		// eventName, read by the parser without copying), which the next read overwrites.
		set[strings.Clone(member)] = true
	}
	if len(set) < limit {
		return false, nil, nil
	}
	members := make([]string, 0, len(set))
	for m := range set {
		members = append(members, m)
	}
	sort.Strings(members)
	return true, members, nil
}
