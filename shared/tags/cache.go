package tags

import (
	"sync"
	"time"
)

// Cache keeps recently read tag sets in memory for TTL, so a burst of changes to one resource
// costs one lookup. It holds at most Max entries; when full it drops expired entries, then
// arbitrary ones (a warm Lambda container's cache is a convenience, not a record). Safe for
// concurrent use.
type Cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	m  map[string]cached
}

type cached struct {
	tags    Tags
	expires time.Time
}

// NewCache returns a cache of at most max entries that each live for ttl; now is the clock
// (time.Now when nil).
func NewCache(ttl time.Duration, max int, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{ttl: ttl, max: max, now: now, m: map[string]cached{}}
}

// Get returns the tags cached for arn, if they have not expired.
func (c *Cache) Get(arn string) (Tags, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[arn]
	if !ok || !c.now().Before(e.expires) {
		return nil, false
	}
	return e.tags, true
}

// Put caches tags for arn for the TTL.
func (c *Cache) Put(arn string, tags Tags) {
	if c.ttl <= 0 || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.m[arn]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[arn] = cached{tags: tags, expires: now.Add(c.ttl)}
}

// Delete forgets arn: its tags just changed.
func (c *Cache) Delete(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, arn)
}

// Len counts the entries held, expired ones included.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
