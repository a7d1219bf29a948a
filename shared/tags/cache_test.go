package tags

import (
	"fmt"
	"testing"
	"time"
)

func TestCacheExpires(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	c := NewCache(time.Minute, 10, func() time.Time { return now })
	c.Put("a", Tags{"project": "apollo"})
	if got, ok := c.Get("a"); !ok || !got.Has("project", "apollo") {
		t.Fatalf("Get after Put = %v, %v", got, ok)
	}
	now = now.Add(59 * time.Second)
	if _, ok := c.Get("a"); !ok {
		t.Fatal("entry gone before its TTL")
	}
	now = now.Add(time.Second)
	if _, ok := c.Get("a"); ok {
		t.Fatal("entry still served at its TTL")
	}
}

func TestCacheDelete(t *testing.T) {
	c := NewCache(time.Minute, 10, nil)
	c.Put("a", Tags{})
	c.Delete("a")
	if _, ok := c.Get("a"); ok {
		t.Fatal("deleted entry served")
	}
}

func TestCacheBounded(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	c := NewCache(time.Minute, 3, func() time.Time { return now })
	c.Put("old", Tags{})
	now = now.Add(2 * time.Minute) // "old" has expired
	for i := range 5 {
		c.Put(fmt.Sprint(i), Tags{})
		if c.Len() > 3 {
			t.Fatalf("after %d puts the cache holds %d entries, more than its max 3", i+2, c.Len())
		}
	}
	if _, ok := c.Get("4"); !ok {
		t.Error("the entry just put was evicted")
	}
}

func TestCacheDisabled(t *testing.T) {
	c := NewCache(0, 10, nil)
	c.Put("a", Tags{})
	if _, ok := c.Get("a"); ok {
		t.Fatal("a cache with TTL 0 served an entry")
	}
}
